// Reveal one masked value in place: <form data-unmask="id-of-the-span"> posting to accounts:unmask.
// Without JavaScript the form still works and answers with the value as JSON.
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var targetId = form.getAttribute("data-unmask");
    if (!targetId) return;
    e.preventDefault();
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        var span = document.getElementById(targetId);
        if (res.ok && span) {
          span.textContent = res.body.value;
          form.remove();
        } else if (span) {
          span.textContent = span.textContent + "（" + (res.body.detail || "无法显示") + "）";
        }
      });
  });
})();
