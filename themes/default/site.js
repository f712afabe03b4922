// copbook default theme script. Loaded in <head> so that the chosen colour
// scheme applies before the first paint; reading and navigation never
// depend on it.
// - a light/dark toggle, remembered in localStorage;
// - the phone menu starts folded;
// - opened from file://, folder links point at the folder's index.html
//   (a folder link otherwise shows a listing or nothing).
(function () {
  "use strict";
  var KEY = "copbook-theme";
  var root = document.documentElement;
  try {
    var saved = localStorage.getItem(KEY);
    if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);
  } catch (e) { /* storage may be off */ }

  function effective() {
    var t = root.getAttribute("data-theme");
    if (t) return t;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function fileLinks() {
    if (location.protocol !== "file:") {
      return;
    }
    var links = document.querySelectorAll("a[href], link[rel=prev][href], link[rel=next][href]");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href");
      // Leave other sites, mail links, root-relative paths and in-page anchors.
      if (/^([a-z][a-z0-9+.-]*:|\/|#)/i.test(href)) {
        continue;
      }
      var cut = href.search(/[?#]/);
      var path = cut < 0 ? href : href.slice(0, cut);
      var rest = cut < 0 ? "" : href.slice(cut);
      if (path === "." || path === "..") {
        path += "/";
      }
      if (path.charAt(path.length - 1) === "/") {
        links[i].setAttribute("href", path + "index.html" + rest);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    fileLinks();
    var button = document.getElementById("theme-toggle");
    if (button) {
      var label = function () {
        var dark = effective() === "dark";
        button.setAttribute("aria-pressed", dark ? "true" : "false");
        button.textContent = dark ? "Light mode" : "Dark mode";
      };
      button.hidden = false;
      label();
      button.addEventListener("click", function () {
        var next = effective() === "dark" ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem(KEY, next); } catch (e) {}
        label();
      });
    }
    // On a phone the sidebar starts folded; without this script it stays open.
    var menu = document.getElementById("menu");
    if (menu && window.matchMedia && window.matchMedia("(max-width: 48rem)").matches) {
      menu.open = false;
    }
  });
})();
