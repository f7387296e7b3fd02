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

  // Irreversible actions (core.confirmation): a form holding a [data-confirm-panel] asks in a dialog
  // before it is sent; the dialog's 确认 button sends the form with confirm=1. Without JavaScript the
  // server shows the same panel in the page instead. A panel inside [data-confirm-when="name=value"]
  // is the question for that choice only (a formal review's outcome).
  function chosenPanel(form) {
    var panels = form.querySelectorAll("[data-confirm-panel]");
    for (var i = 0; i < panels.length; i++) {
      var when = panels[i].closest("[data-confirm-when]");
      if (!when || !form.contains(when)) return panels[i];
      var pair = when.getAttribute("data-confirm-when").split("=");
      var field = form.elements[pair[0]];
      if (field && field.value === pair[1]) return panels[i];
    }
    return null;
  }
  function openConfirm(form, panel) {
    var dialog = document.createElement("dialog");
    var home = panel.parentNode, next = panel.nextSibling;
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", panel.getAttribute("aria-labelledby"));
    form.appendChild(dialog);
    dialog.appendChild(panel);
    panel.hidden = false;
    dialog.addEventListener("close", function () {
      // Back where it was, hidden, so the next question is asked afresh.
      panel.hidden = true;
      panel.removeAttribute("data-confirm-open");
      home.insertBefore(panel, next);
      dialog.remove();
    });
    dialog.showModal();
    var yes = panel.querySelector("[data-confirm-yes]");
    if (yes) yes.focus();
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.submitter && e.submitter.hasAttribute("data-confirm-yes")) return;
    var panel = chosenPanel(form);
    if (!panel) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    openConfirm(form, panel);
  }, true);
  document.addEventListener("click", function (e) {
    var cancel = e.target.closest("[data-confirm-cancel]");
    var dialog = cancel && cancel.closest("dialog.confirm-dialog");
    if (!dialog) return;
    e.preventDefault();
    dialog.close();
  });

  // A select that switches the page as soon as it changes: <select data-autosubmit> (the form keeps
  // its own 切换 button for keyboards and browsers without JavaScript).
  document.addEventListener("change", function (e) {
    if (!e.target.matches("select[data-autosubmit]")) return;
    var form = e.target.form;
    if (form) { if (form.requestSubmit) form.requestSubmit(); else form.submit(); }
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
    // The server asked for a confirmation (a POST without confirm=1): show it as the dialog.
    document.querySelectorAll("[data-confirm-panel][data-confirm-open]").forEach(function (panel) {
      var form = panel.closest("form");
      if (form) openConfirm(form, panel);
    });
  });
})();
