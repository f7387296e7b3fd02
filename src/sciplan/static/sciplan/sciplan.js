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


  // Tables that read as cards on a phone (table.stack): each cell carries its column's name.
  function labelStackedTables() {
    document.querySelectorAll("table.stack").forEach(function (table) {
      var heads = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.from(row.children).forEach(function (cell, i) {
          if (!cell.hasAttribute("data-label") && heads[i] && !cell.hasAttribute("colspan")) cell.setAttribute("data-label", heads[i]);
        });
      });
    });
  }

  // A form that came back with messages: a summary at the top that links to each field and takes the
  // focus (GOV.UK's error summary). The messages themselves stay beside their fields.
  function labelOf(field) {
    var box = field.closest(".field") || field.parentNode;
    var legend = box.querySelector("legend");
    var label = box.querySelector("label:not(.check)") || legend || box.querySelector("label");
    return label ? label.textContent.replace(/[*＊]|（必填）/g, "").trim() : "";
  }
  function errorSummary() {
    if (document.querySelector(".error-summary")) return;
    var items = [];
    document.querySelectorAll("main p.error:not([hidden]), main ul.errorlist").forEach(function (node) {
      var text = node.textContent.trim();
      if (!text || node.closest(".error-summary, dialog, [hidden]")) return;
      var box = node.closest(".field") || node.parentNode;
      var field = box.querySelector("input:not([type=hidden]), select, textarea, fieldset");
      if (!field && node.id && node.id.indexOf("e-") === 0) field = document.getElementById(node.id.slice(2));
      if (field && !field.id) return;
      var label = field ? labelOf(field) : "";
      items.push({ id: field ? field.id : "", text: (label && text.indexOf(label) !== 0 ? label + "：" : "") + text });
    });
    if (!items.length) return;
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.setAttribute("tabindex", "-1");
    summary.setAttribute("data-error-summary", "");
    var h = document.createElement("h2");
    h.textContent = "有 " + items.length + " 处需要修改";
    summary.appendChild(h);
    var list = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      if (item.id) {
        var a = document.createElement("a");
        a.href = "#" + item.id;
        a.textContent = item.text;
        li.appendChild(a);
      } else {
        li.textContent = item.text;
      }
      list.appendChild(li);
    });
    summary.appendChild(list);
    var first = document.querySelector("main p.error:not([hidden]), main ul.errorlist");
    var form = first && first.closest("form");
    var anchor = form || document.querySelector("main h1");
    if (form) form.insertBefore(summary, form.firstChild);
    else if (anchor) anchor.parentNode.insertBefore(summary, anchor.nextSibling);
    else document.querySelector("main").prepend(summary);
    summary.focus();
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    e.preventDefault();
    var target = field.matches("fieldset") ? field.querySelector("input") || field : field;
    (field.closest(".field") || field).scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  });

  // After an action on one section of a long page (an upload, a deletion) the server sends the person
  // back to that section (#kind-…); the message it left at the top of the page would be off screen, so
  // it moves into the section, just under its heading.
  function messagesWhereThePersonIs() {
    var box = document.querySelector("main > .messages");
    if (!location.hash || location.hash.length < 2) return;
    var folded = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (folded && folded.matches("details")) folded.open = true;
    if (!box) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target || target.closest("main") === null) return;
    if (target.matches("details")) {
      target.open = true;
      target = target.querySelector(".stage-body") || target;
    }
    var head = target.querySelector("header, h2, h3");
    box.classList.add("msg-local");
    box.setAttribute("data-moved-to", target.id);
    if (head && head.parentNode === target) target.insertBefore(box, head.nextSibling);
    else target.insertBefore(box, target.firstChild);
    (target.closest("details") || target).scrollIntoView({ block: "start" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // SciPlan's own messages, in Chinese beside the field, rather than the browser's bubbles.
    document.querySelectorAll("form[method=post], form[method=POST]").forEach(function (form) { form.noValidate = true; });
    labelStackedTables();
    errorSummary();
    messagesWhereThePersonIs();
  });

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
