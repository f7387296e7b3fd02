// Live countdown to the recommenders' deadline. The server's time is the reference: the page carries the
// server's "now", and the countdown runs from it, so a wrong PC clock does not mislead anyone.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      var offset = Date.parse(el.getAttribute("data-server-now")) - Date.now();
      function tick() {
        var left = Math.floor((deadline - (Date.now() + offset)) / 1000);
        if (left <= 0) { el.textContent = "推荐已截止"; return; }
        var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
        el.textContent = "剩余" + (d ? d + "天" : "") + pad(h) + "小时" + pad(m) + "分" + pad(s) + "秒";
        setTimeout(tick, 1000);
      }
      tick();
    });
  });
})();
