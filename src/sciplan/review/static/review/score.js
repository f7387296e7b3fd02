/* Running weighted total on the expert's score sheet. Loaded as a static file (CSP script-src 'self');
   the server computes the same total on the review step, so the page works without this script. */
(function () {
  "use strict";
  function parse(raw, max) {
    var text = String(raw || "").trim();
    if (!/^\d+(\.\d+)?$/.test(text)) { return null; }
    var value = Number(text);
    return value >= 0 && value <= max ? value : null;
  }
  function bind(form) {
    var output = form.querySelector("[data-running-total]");
    var inputs = form.querySelectorAll("input[data-max]");
    if (!output) { return; }
    function update() {
      var hundredths = 0;
      inputs.forEach(function (input) {
        var value = parse(input.value, Number(input.getAttribute("data-max")));
        if (value !== null) { hundredths += Math.round(value * 100); }
      });
      output.textContent = (hundredths / 100).toFixed(2);
    }
    inputs.forEach(function (input) { input.addEventListener("input", update); });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-score-sheet]").forEach(bind);
  });
})();
