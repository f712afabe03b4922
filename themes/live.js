// copbook serve: live reload. Injected by `copbook serve` only; never part
// of a built site.
(function () {
  "use strict";
  var me = document.currentScript;
  var version = me ? me.getAttribute("data-version") : null;
  var KEY = "copbook-scroll:" + location.pathname;
  try {
    var saved = sessionStorage.getItem(KEY);
    if (saved !== null) {
      sessionStorage.removeItem(KEY);
      window.addEventListener("load", function () { window.scrollTo(0, parseInt(saved, 10) || 0); });
    }
  } catch (e) { /* storage may be off */ }

  function reload() {
    try { sessionStorage.setItem(KEY, String(window.scrollY)); } catch (e) {}
    location.reload();
  }
  function overlay(text) {
    var box = document.getElementById("copbook-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "copbook-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:99999;" +
        "background:#fff4d6;color:#3a2a00;border-top:4px solid #b45309;padding:1rem 1.2rem;" +
        "font:14px/1.5 ui-monospace,monospace;box-shadow:0 -4px 16px rgba(0,0,0,.25)";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var h = document.createElement("strong");
    h.textContent = "The handbook has errors. Still showing the last good version.";
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:.5rem 0 0";
    pre.textContent = text;
    box.appendChild(h);
    box.appendChild(pre);
  }
  function clearOverlay() {
    var box = document.getElementById("copbook-error");
    if (box) box.remove();
  }
  if (!window.EventSource) return;
  var es = new EventSource("/__copbook/events");
  // The output file this page was served from, as the server names it.
  var key = decodeURIComponent(location.pathname).replace(/^\//, "");
  if (key === "" || key.charAt(key.length - 1) === "/") key += "index.html";
  // data: the new version, then the changed files (none: any may have).
  es.addEventListener("reload", function (e) {
    var lines = e.data.split("\n");
    var v = lines[0], changed = lines.slice(1);
    clearOverlay();
    if (v === version) return;
    if (changed.length === 0 || changed.indexOf(key) !== -1) reload();
    else version = v;
  });
  es.addEventListener("css", function (e) {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      if (links[i].getAttribute("href").indexOf("assets/style-") !== -1) links[i].href = "/" + e.data;
    }
  });
  es.addEventListener("error", function (e) { if (e.data !== undefined) overlay(e.data); });
  es.addEventListener("ok", clearOverlay);
})();
