// Small progressive enhancements for the OrderHub console. Every page works without this file.
(function () {
  "use strict";

  // Forms that do something hard to undo ask first (data-confirm holds the translated question).
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // The language links come back to the page as it is now, including filters HTMX has pushed
  // into the address bar after the page was rendered.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-lang]");
    if (link) {
      link.href = "/lang/" + encodeURIComponent(link.getAttribute("data-lang")) +
        "?next=" + encodeURIComponent(location.pathname + location.search);
    }
  });

  // Leave empty filters out of HTMX requests, so pushed URLs stay short and shareable.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") {
      return;
    }
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (name) {
      if (params[name] === "") {
        delete params[name];
      }
    });
  });
})();
