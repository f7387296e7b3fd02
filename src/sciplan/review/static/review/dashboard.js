/* Bureau dashboard charts. Data comes from the json_script block; no inline script (CSP script-src 'self'). */
(function () {
  "use strict";
  function draw() {
    var node = document.getElementById("dashboard-data");
    if (!node || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(node.textContent);
    var palette = ["#b71c1c", "#1c4f8f", "#1b7f3b", "#a86400", "#6a3d9a", "#00838f", "#c2185b", "#5d4037", "#455a64", "#827717", "#283593", "#ef6c00"];
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    function chart(id, series, type) {
      var canvas = document.getElementById(id);
      if (!canvas || !series || !series.labels.length) { return; }
      var colours = series.labels.map(function (_, i) { return palette[i % palette.length]; });
      new Chart(canvas, {
        type: type,
        data: { labels: series.labels, datasets: [{ label: "数量", data: series.values, backgroundColor: colours, borderWidth: 1 }] },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: type === "doughnut", position: "right" } },
          scales: type === "doughnut" ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } },
          indexAxis: type === "bar-h" ? "y" : "x"
        }
      });
    }
    chart("chart-state", data.state, "bar");
    chart("chart-industry", data.industry, "doughnut");
    chart("chart-recommender", data.recommender, "bar");
    chart("chart-members", data.members, "doughnut");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
