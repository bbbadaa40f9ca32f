/* mediebild – the situation room's only script (no third-party code; the page works without it).
 * On a live page (body[data-live-page]) it asks /api/version every data-refresh seconds whether a new
 * monitoring pass or an action has landed; when so, it fetches the same page again and swaps the
 * [data-live] regions in place, keeping the reader's place (the element at the top of the window stays
 * where it was, open <details> stay open, a region holding the keyboard focus is left alone). */
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.hasAttribute("data-live-page") || !window.fetch || !window.DOMParser) { return; }
  var version = body.getAttribute("data-version") || "";
  var every = Math.max(2, parseInt(body.getAttribute("data-refresh") || "15", 10)) * 1000;
  var sv = (document.documentElement.lang || "sv") !== "en";
  var words = sv ? { live: "uppdateras automatiskt", busy: "inhämtning pågår", fresh: "uppdaterad", offline: "ingen kontakt" }
                 : { live: "updates by itself", busy: "monitoring pass running", fresh: "updated", offline: "no connection" };
  var badge = document.createElement("span");
  badge.className = "live-state";
  badge.setAttribute("role", "status");
  badge.textContent = words.live;
  var timer = null;

  function status() { return document.querySelector("[data-live-status]"); }
  function showBadge(text, busy) {
    badge.textContent = text;
    badge.className = "live-state" + (busy ? " busy" : "");
    var s = status();
    if (s && badge.parentNode !== s) { s.appendChild(badge); }
  }

  function anchor() {
    var nodes = document.querySelectorAll("main [id]");
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].querySelector("[id]")) { continue; }  /* a region holding others: its top does not move */
      var r = nodes[i].getBoundingClientRect();
      if (r.bottom > 0 && r.height > 0) { return { id: nodes[i].id, top: r.top }; }
    }
    return null;
  }

  function swap(html, newVersion) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var keep = anchor();
    var focused = document.activeElement;
    document.querySelectorAll("[data-live][id]").forEach(function (el) {
      if (focused && focused !== document.body && el.contains(focused)) { return; }
      var fresh = doc.getElementById(el.id);
      if (!fresh || fresh.innerHTML === el.innerHTML) { return; }
      var open = [];
      el.querySelectorAll("details[open]").forEach(function (d) {
        var owner = d.closest("[id]");
        if (owner) { open.push(owner.id); }
      });
      el.innerHTML = fresh.innerHTML;
      open.forEach(function (id) {
        var owner = document.getElementById(id);
        var d = owner && owner.querySelector("details");
        if (d) { d.open = true; }
      });
      el.classList.remove("live-flash");
      void el.offsetWidth;
      el.classList.add("live-flash");
    });
    var freshStatus = doc.querySelector("[data-live-status]");
    var s = status();
    if (freshStatus && s) { s.innerHTML = freshStatus.innerHTML; }
    if (keep) {
      var again = document.getElementById(keep.id);
      if (again) { window.scrollBy(0, again.getBoundingClientRect().top - keep.top); }
    }
    version = String(newVersion);
    body.setAttribute("data-version", version);
    var now = new Date();
    showBadge(words.fresh + " " + String(now.getHours()).padStart(2, "0") + (sv ? "." : ":") +
              String(now.getMinutes()).padStart(2, "0") + (sv ? "." : ":") + String(now.getSeconds()).padStart(2, "0"), false);
  }

  function refresh(newVersion) {
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw r.status; } return r.text(); })
      .then(function (html) { swap(html, newVersion); });
  }

  function poll() {
    timer = null;
    if (document.hidden) { return; }
    fetch("/api/version", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); throw 401; }
        if (!r.ok) { throw r.status; }
        return r.json();
      })
      .then(function (v) {
        showBadge(v.writer ? words.busy : words.live, v.writer);
        if (String(v.version) !== version) { return refresh(v.version); }
      })
      .catch(function () { showBadge(words.offline, true); })
      .then(schedule);
  }

  function schedule() {
    if (timer === null && !document.hidden) { timer = window.setTimeout(poll, every); }
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      if (timer !== null) { window.clearTimeout(timer); timer = null; }
      poll();
    }
  });
  showBadge(words.live, false);
  schedule();
}());
