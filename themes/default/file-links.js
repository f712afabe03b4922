// Opened from file://, a folder link such as `../members/` shows a folder
// listing (or nothing) instead of the page: point folder links at the
// folder's index.html. Over http(s) this script does nothing.
(function () {
  "use strict";
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
})();
