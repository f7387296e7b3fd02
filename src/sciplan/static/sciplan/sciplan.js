// SciPlan page behaviour: live character counters. Forms work without JavaScript; this only helps.
(function () {
  "use strict";
  function updateCounter(field) {
    var counter = document.querySelector('[data-counter-for="' + field.id + '"]');
    if (!counter) return;
    var max = parseInt(field.getAttribute("data-maxlength") || field.getAttribute("maxlength") || "0", 10);
    var len = Array.from(field.value).length;
    counter.textContent = len + " / " + max + " 字";
    counter.classList.toggle("over", max > 0 && len > max);
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches("textarea[data-maxlength], input[data-maxlength]")) updateCounter(e.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-maxlength], input[data-maxlength]").forEach(updateCounter);
  });
})();
