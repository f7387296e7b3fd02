// The application form's safety net (SPEC §4, STANDARDS F26–F27): nothing typed is ever lost.
//
// * Every keystroke is mirrored to localStorage under sciplan:draft:<application>:<section>:<field>,
//   together with the version the text was based on.
// * About two seconds after typing stops, the fields typed since the last save (and only those, so a
//   colleague's work on other fields is never overwritten or flagged) are sent with that base version.
// * Offline or failed: a banner says so, the text stays in this browser, and it is saved when the
//   connection is back. A stale base version answers 409: both texts are shown side by side and the
//   user keeps theirs or takes the colleague's.
// * On load, a local copy newer than the server's is restored (or offered, when the server changed the
//   field too).
(function () {
  "use strict";

  var DELAY = 2000;
  var RETRY = 15000;

  function init(form) {
    var app = form.dataset.app;
    var section = form.dataset.section;
    var prefix = "sciplan:draft:" + app + ":" + section + ":";
    var baseInput = form.querySelector("[data-base-version]");
    var csrf = (form.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
    var stateEl = document.querySelector("[data-save-state]");
    var offlineBanner = document.querySelector("[data-offline-banner]");
    var panel = document.querySelector("[data-conflict-panel]");
    var url = form.getAttribute("action") || window.location.pathname;
    var dirty = new Set();
    var timer = null;
    var retryTimer = null;
    var saving = false;
    var again = false;
    var conflict = null;

    function version() { return parseInt(form.dataset.version, 10) || 0; }
    function setVersion(v) { form.dataset.version = String(v); baseInput.value = String(v); }
    function skip(name) {
      return !name || name === "csrfmiddlewaretoken" || name === "base_version" || name === "keep_mine_version" || /__present$/.test(name);
    }
    function elements(name) { return Array.from(form.elements).filter(function (el) { return el.name === name; }); }
    function fieldNames() {
      var names = [];
      Array.from(form.elements).forEach(function (el) {
        if (!skip(el.name) && names.indexOf(el.name) < 0) names.push(el.name);
      });
      return names;
    }
    function isGroup(name) { return !!form.querySelector('input[type=hidden][name="' + name + '__present"]') && elements(name).length > 0 && elements(name)[0].type === "checkbox"; }
    function valueOf(name) {
      var els = elements(name);
      if (!els.length) return "";
      if (isGroup(name)) return els.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
      return els[0].value;
    }
    function setValue(name, value) {
      var els = elements(name);
      if (isGroup(name)) {
        var list = Array.isArray(value) ? value : [];
        els.forEach(function (el) { el.checked = list.indexOf(el.value) >= 0; });
      } else if (els.length) {
        els[0].value = value === null || value === undefined ? "" : String(value);
        els[0].dispatchEvent(new Event("sciplan:set", { bubbles: true }));
      }
      refreshDerived();
    }
    function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
    function fieldVersion(name) {
      var el = form.querySelector('[data-name="' + name + '"]') || elements(name)[0];
      return el ? parseInt(el.getAttribute("data-field-version") || "0", 10) : 0;
    }

    // --- local copies ---
    function storeLocal(name) {
      try {
        localStorage.setItem(prefix + name, JSON.stringify({ value: valueOf(name), base: version(), at: Date.now() }));
      } catch (e) { /* storage full or disabled: the server save still runs */ }
    }
    function readLocal(name) {
      try { return JSON.parse(localStorage.getItem(prefix + name) || "null"); } catch (e) { return null; }
    }
    function dropLocal(name) { try { localStorage.removeItem(prefix + name); } catch (e) { /* ignore */ } }

    // --- state line and banners ---
    function setState(text, kind) {
      if (!stateEl) return;
      stateEl.textContent = text;
      stateEl.className = "save-state" + (kind ? " " + kind : "");
    }
    function showOffline(on) { if (offlineBanner) offlineBanner.hidden = !on; }
    function showError(name, message) {
      var el = document.getElementById("e-f-" + name);
      var input = document.getElementById("f-" + name);
      if (el) { el.textContent = message || ""; el.hidden = !message; }
      var wrap = input ? input.closest(".field, td") : null;
      if (wrap) wrap.classList.toggle("has-error", !!message);
      if (input) { if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid"); }
    }
    function now() { return new Date().toLocaleTimeString("zh-CN", { hour12: false }); }

    // --- derived displays: consortium name, finance totals ---
    function refreshDerived() {
      var direction = document.getElementById("f-direction");
      if (direction) {
        var preview = document.querySelector("[data-name-preview]");
        var name = (preview ? preview.dataset.city : "") + (direction.value.trim() || "＿＿") + "创新联合体";
        document.querySelectorAll("[data-name-preview]").forEach(function (el) { el.textContent = name; });
      }
      ["revenue", "rd"].forEach(function (kind) {
        var out = form.querySelector('[data-total="' + kind + '"]');
        if (!out) return;
        var total = 0, filled = 0, bad = false;
        form.querySelectorAll('[data-sum="' + kind + '"]').forEach(function (el) {
          var cents = amount(el.value);
          if (cents === null) return;
          if (isNaN(cents)) { bad = true; return; }
          total += cents; filled += 1;
        });
        out.textContent = bad ? "请检查数字" : filled ? money(total) + " 万元" : "—";
      });
      refreshBudget();
    }

    // An amount in 万元 read as the server's budget.parse_amount reads it: "6800", "6,800.00",
    // "６８００", "6800万元"; at most two decimals once trailing zeros are dropped. In cents; null when
    // empty; NaN for what the server refuses (a minus sign, misplaced thousands separators, "1e5").
    // The number of digits is the model field's to limit and is left to the server.
    function amount(value) {
      var text = String(value).normalize("NFKC").replace(/\s+/g, "").replace(/，/g, ",").replace(/。/g, ".")
        .replace(/万元?$/, "");
      if (text === "") return null;
      if (text.indexOf(",") >= 0 && !/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) return NaN;
      text = text.replace(/,/g, "");
      if (!/^\d+(\.\d*)?$|^\.\d+$/.test(text)) return NaN;
      if ((text.split(".")[1] || "").replace(/0+$/, "").length > 2) return NaN;
      return Math.round(Number(text) * 100);
    }
    function money(cents) {
      var text = (cents / 100).toFixed(2).split(".");
      return text[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + text[1];
    }
    function refreshBudget() {
      var table = form.querySelector("[data-budget]");
      if (!table) return;
      var sums = {}, bad = {}, filled = {};
      function add(key, cents) { sums[key] = (sums[key] || 0) + cents; }
      table.querySelectorAll("[data-budget-line]").forEach(function (el) {
        var year = el.dataset.budgetYear, kind = el.dataset.budgetKind, line = el.dataset.budgetLine;
        var cents = amount(el.value);
        if (cents === null) return;
        filled[year] = true;
        if (isNaN(cents)) { bad[kind + "-" + year] = bad[kind + "-all"] = bad["line-" + line] = true; return; }
        add(kind + "-" + year, cents); add(kind + "-all", cents); add("line-" + line, cents);
      });
      table.querySelectorAll("[data-budget-total]").forEach(function (out) {
        var key = out.dataset.budgetTotal;
        out.textContent = bad[key] ? "请检查数字" : money(sums[key] || 0);
      });
      table.querySelectorAll("[data-budget-balance]").forEach(function (cell) {
        var year = cell.dataset.budgetBalance;
        var src = sums["source-" + year] || 0, use = sums["use-" + year] || 0;
        var broken = bad["source-" + year] || bad["use-" + year];
        var off = !broken && filled[year] && src !== use;
        cell.textContent = broken ? "请检查数字" : !filled[year] ? "—" : off ? "相差 " + money(Math.abs(src - use)) : "平衡";
        cell.classList.toggle("bad", !!(broken || off));
      });
    }

    // --- saving ---
    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, DELAY);
    }
    function retryLater() {
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(save, RETRY);
    }
    function save(leaving) {
      window.clearTimeout(timer);
      if (conflict) return Promise.resolve();
      if (saving) { again = true; return Promise.resolve(); }
      if (!dirty.size) return Promise.resolve();
      if (navigator.onLine === false) {
        showOffline(true);
        setState("离线，已在本机暂存", "error");
        return Promise.resolve();
      }
      var names = Array.from(dirty);
      var sent = {};
      var body = new FormData();
      body.append("csrfmiddlewaretoken", csrf);
      body.append("base_version", String(version()));
      names.forEach(function (name) {
        var value = valueOf(name);
        sent[name] = value;
        if (Array.isArray(value)) {
          body.append(name + "__present", "1");
          value.forEach(function (v) { body.append(name, v); });
        } else {
          body.append(name, value);
        }
      });
      saving = true;
      setState("正在保存…", "saving");
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        keepalive: leaving === true,  // a save started as the page goes away still reaches the server
        headers: { "X-Autosave": "1", "Accept": "application/json", "X-CSRFToken": csrf },
      }).then(function (resp) {
        var json = (resp.headers.get("Content-Type") || "").indexOf("application/json") >= 0;
        return (json ? resp.json() : Promise.resolve(null)).then(function (data) { return { resp: resp, data: data }; });
      }).then(function (r) {
        saving = false;
        showOffline(false);
        if (!r.data) {
          // Redirected to the login page: the session ended. The text is safe in this browser.
          setState("登录已超时，内容已在本机暂存。请重新登录后回到本页，内容会自动恢复。", "error");
          return;
        }
        if (r.resp.status === 200) onSaved(names, sent, r.data);
        else if (r.resp.status === 409 && r.data.conflict) onConflict(r.data);
        else { setState((r.data.message || "保存失败") + " 内容已在本机暂存。", "error"); if (r.resp.status >= 500) retryLater(); }
        if (again) { again = false; save(); }
      }).catch(function () {
        saving = false;
        again = false;
        showOffline(true);
        setState("离线，已在本机暂存", "error");
        retryLater();
      });
    }
    function onSaved(names, sent, data) {
      setVersion(data.version);
      var errors = data.errors || {};
      names.forEach(function (name) {
        showError(name, errors[name] || "");
        if (errors[name]) return;
        if (same(valueOf(name), sent[name])) {
          dirty.delete(name);
          dropLocal(name);
        } else {
          storeLocal(name);  // typed on while saving: keep the newer text, based on the new version
        }
      });
      var count = Object.keys(errors).length;
      if (count) setState("已保存其余内容；" + count + " 项填写有误，未保存（见标红处）", "error");
      else setState("已自动保存 " + (data.saved_at || now()) + "（修改版本 " + data.version + "）", "saved");
      if (data.consortium_name) {
        document.querySelectorAll("[data-consortium-name]").forEach(function (el) { el.textContent = data.consortium_name; });
      }
    }

    // --- conflicts ---
    function text(value) {
      if (Array.isArray(value)) return value.join("、");
      return value === null || value === undefined ? "" : String(value);
    }
    function onConflict(data) {
      conflict = data;
      var rows = panel.querySelector("[data-conflict-rows]");
      rows.textContent = "";
      data.fields.forEach(function (f) {
        var row = document.createElement("div");
        row.className = "conflict-row";
        var h = document.createElement("h4");
        h.textContent = f.label;
        var cols = document.createElement("div");
        cols.className = "cols-2";
        [["您的内容", f.mine], ["他人已保存的内容", f.theirs]].forEach(function (pair) {
          var box = document.createElement("div");
          var h5 = document.createElement("h5");
          h5.textContent = pair[0];
          var pre = document.createElement("pre");
          pre.textContent = text(pair[1]) || "（空）";
          box.appendChild(h5);
          box.appendChild(pre);
          cols.appendChild(box);
        });
        row.appendChild(h);
        row.appendChild(cols);
        rows.appendChild(row);
      });
      panel.querySelector("[data-conflict-message]").textContent = data.message;
      panel.hidden = false;
      setState("保存冲突：请在上方选择保留哪一份内容", "error");
      panel.scrollIntoView({ behavior: "smooth", block: "center" });
      panel.querySelector("[data-keep-mine]").focus();
    }
    function resolve(keepMine) {
      var data = conflict;
      conflict = null;
      panel.hidden = true;
      if (!keepMine) {
        data.fields.forEach(function (f) {
          setValue(f.name, f.theirs_raw);
          dirty.delete(f.name);
          dropLocal(f.name);
          showError(f.name, "");
        });
      }
      setVersion(data.version);
      dirty.forEach(storeLocal);
      if (dirty.size) save();
      else setState("已采用他人已保存的内容（修改版本 " + data.version + "）", "saved");
    }
    if (panel) {
      panel.addEventListener("click", function (e) {
        if (!conflict) return;  // a conflict rendered by the server: the plain form buttons do the work
        if (e.target.closest("[data-keep-mine]")) { e.preventDefault(); resolve(true); }
        if (e.target.closest("[data-take-theirs]")) { e.preventDefault(); resolve(false); }
      });
    }

    // --- typing ---
    function onEdit(e) {
      var el = e.target;
      if (!el.name || skip(el.name) || !form.contains(el)) return;
      // Text fields report every keystroke as "input"; their "change" on leaving the field adds nothing.
      if (e.type === "change" && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|tel|email)$/.test(el.type)))) return;
      dirty.add(el.name);
      storeLocal(el.name);
      refreshDerived();
      if (!conflict) {
        setState("有未保存的修改…", "pending");
        schedule();
      }
    }
    form.addEventListener("input", onEdit);
    form.addEventListener("change", onEdit);
    form.addEventListener("submit", function (e) {
      if (e.submitter && e.submitter.name === "keep_mine_version") return;
      e.preventDefault();
      if (!dirty.size) { setState("没有需要保存的修改（修改版本 " + version() + "）", "saved"); return; }
      save();
    });
    window.addEventListener("online", function () { showOffline(false); save(); });
    window.addEventListener("offline", function () { if (dirty.size) { showOffline(true); setState("离线，已在本机暂存", "error"); } });
    // Leaving the page (closing the tab, following a link, switching apps on a phone) saves at once;
    // whatever does not make it is still in this browser and is restored on the next visit.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && dirty.size && !saving) save(true);
    });
    window.addEventListener("pagehide", function () { if (dirty.size && !saving) save(true); });

    // --- restoring on load ---
    function restore() {
      if (form.hasAttribute("data-restore-off")) return;
      var auto = [];
      var offer = [];
      fieldNames().forEach(function (name) {
        var entry = readLocal(name);
        if (!entry) return;
        if (same(entry.value, valueOf(name))) { dropLocal(name); return; }
        // The server's value has not changed since the local text's base: the local text is newer.
        if (entry.base >= fieldVersion(name)) auto.push([name, entry]); else offer.push([name, entry]);
      });
      auto.forEach(function (pair) { setValue(pair[0], pair[1].value); dirty.add(pair[0]); });
      if (auto.length) {
        setState("已恢复本机暂存的 " + auto.length + " 项内容，正在保存…", "pending");
        schedule();
      }
      if (!offer.length) return;
      var banner = document.querySelector("[data-restore-banner]");
      var latest = Math.max.apply(null, offer.map(function (p) { return p[1].at; }));
      banner.querySelector("[data-restore-text]").textContent =
        "本机暂存有 " + offer.length + " 项未保存的内容（" + new Date(latest).toLocaleString("zh-CN", { hour12: false }) +
        "），之后服务器上的内容也被修改过。恢复后将与服务器内容对照。";
      banner.hidden = false;
      banner.querySelector("[data-restore-yes]").addEventListener("click", function () {
        var base = Math.min.apply(null, offer.map(function (p) { return p[1].base; }));
        offer.forEach(function (pair) { setValue(pair[0], pair[1].value); dirty.add(pair[0]); });
        // Saving on the older base lets the server show both texts where they differ.
        setVersion(Math.min(base, version()));
        banner.hidden = true;
        save();
      });
      banner.querySelector("[data-restore-no]").addEventListener("click", function () {
        offer.forEach(function (pair) { dropLocal(pair[0]); });
        banner.hidden = true;
      });
    }

    refreshDerived();
    restore();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // On a phone the section menu is one scrolling row: bring the current section into view.
    var nav = document.querySelector(".section-nav");
    var current = nav && nav.querySelector("[aria-current]");
    if (nav && current && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
    }
    document.querySelectorAll("form[data-autosave]").forEach(init);
  });
})();
