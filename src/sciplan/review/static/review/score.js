/* The expert's score sheet: a running weighted total, and what was typed kept in this tab while the
   expert reads the full text and comes back. Loaded as a static file (CSP script-src 'self'); the server
   computes the same total on the review step, so the sheet works without this script. */
(function () {
  "use strict";
  function parse(raw, max) {
    var text = String(raw || "").trim();
    if (!/^\d+(\.\d+)?$/.test(text)) { return null; }
    var value = Number(text);
    return value >= 0 && value <= max ? value : null;
  }
  function store() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function bind(form) {
    var key = "sciplan-score-" + form.getAttribute("data-score-sheet");
    var output = form.querySelector("[data-running-total]");
    var inputs = form.querySelectorAll("input[data-max]");
    var fields = form.querySelectorAll("input[data-max], textarea");
    var storage = store();
    function update() {
      var hundredths = 0;
      inputs.forEach(function (input) {
        var value = parse(input.value, Number(input.getAttribute("data-max")));
        if (value !== null) { hundredths += Math.round(value * 100); }
      });
      if (output) { output.textContent = (hundredths / 100).toFixed(2); }
    }
    function save() {
      if (!storage) { return; }
      var data = {};
      fields.forEach(function (field) { data[field.name] = field.value; });
      storage.setItem(key, JSON.stringify(data));
    }
    if (storage && storage.getItem(key)) {
      var kept = JSON.parse(storage.getItem(key));
      fields.forEach(function (field) {
        if (!field.value && kept[field.name]) { field.value = kept[field.name]; }
      });
    }
    fields.forEach(function (field) {
      field.addEventListener("input", function () { update(); save(); });
    });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-score-sheet]").forEach(bind);
    var storage = store();
    document.querySelectorAll("[data-score-done]").forEach(function (node) {
      if (storage) { storage.removeItem("sciplan-score-" + node.getAttribute("data-score-done")); }
    });
  });
})();
