// SciPlan page behaviour shared by every page. Forms work without JavaScript; this only helps.
// No inline handlers anywhere (the CSP allows scripts from this site only): behaviour hangs on data-*.
(function () {
  "use strict";

  // Live character counters: <textarea data-maxlength> + <span data-counter-for="id">.
  function updateCounter(field) {
    var counter = document.querySelector('[data-counter-for="' + field.id + '"]');
    if (!counter) return;
    var max = parseInt(field.getAttribute("data-maxlength") || field.getAttribute("maxlength") || "0", 10);
    var len = Array.from(field.value).length;
    counter.textContent = len + " / " + max + " 字" + (max > 0 && len > max ? "（超出" + (len - max) + "字）" : "");
    counter.classList.toggle("over", max > 0 && len > max);
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches("textarea[data-maxlength], input[data-maxlength]")) updateCounter(e.target);
  });

  // A confirmation question before a consequential form is sent: <form data-confirm="…">.
  // Forms marked data-once cannot be sent twice (double click): the button is disabled while sending.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      e.preventDefault();
      return;
    }
    if (form.hasAttribute("data-once")) {
      if (form.dataset.sending === "1") {
        e.preventDefault();
        return;
      }
      form.dataset.sending = "1";
      var button = e.submitter || form.querySelector("button[type=submit]");
      if (button) {
        // Disable after the browser has taken the button's own name/value into the form data.
        window.setTimeout(function () {
          button.disabled = true;
          if (button.dataset.busyText) button.textContent = button.dataset.busyText;
        }, 0);
      }
    }
  });
  // Coming back with the browser's back button must not leave a form stuck as "sending".
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.dataset.sending = "";
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

  // Copy buttons: <button data-copy="input-id">.
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!input) return;
    input.select();
    var done = function () { if (status) status.textContent = "已复制到剪贴板。"; button.textContent = "已复制"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // The file picker shows the chosen file's name (the browser's own text may not be Chinese).
  document.addEventListener("change", function (e) {
    if (!e.target.matches(".file-pick input[type=file]")) return;
    var name = e.target.closest(".file-pick").querySelector("[data-file-name]");
    if (name) name.textContent = e.target.files.length ? e.target.files[0].name : "未选择文件";
  });

  // Deadline countdowns, judged by the server's clock: the page carries the server time it was made at.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function startCountdowns() {
    var nodes = document.querySelectorAll("[data-countdown]");
    if (!nodes.length) return;
    var loadedAt = Date.now();
    function tick() {
      nodes.forEach(function (node) {
        var deadline = parseInt(node.dataset.deadline, 10) * 1000;
        var serverNow = parseInt(node.dataset.now, 10) * 1000 + (Date.now() - loadedAt);
        var left = Math.max(0, Math.floor((deadline - serverNow) / 1000));
        if (left === 0) {
          node.textContent = "已截止";
          node.classList.add("closed");
          return;
        }
        var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
        var m = Math.floor((left % 3600) / 60), s = left % 60;
        node.textContent = "剩余 " + (d ? d + "天" : "") + pad(h) + "小时" + pad(m) + "分" + pad(s) + "秒";
        node.classList.toggle("soon", left < 86400);
      });
    }
    tick();
    window.setInterval(tick, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-maxlength], input[data-maxlength]").forEach(updateCounter);
    startCountdowns();
  });
})();
