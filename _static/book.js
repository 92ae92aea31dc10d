/* The book's own script (Jupyter Book adds every .js under _static/ to every page, before the per-page
   scripts of MathJax and the widget manager). It makes the vendored widget manager work offline:

   1. RequireJS configuration, read by _static/vendor/requirejs/require.js when it loads: the widget
      manager's module is mapped to _static/vendor/html-manager/, so the Font Awesome files that it loads
      relative to itself are found there (otherwise they are looked for beside each page).
   2. The widget manager typesets widget labels with MathJax 2's MathJax.Hub.Queue; the book loads
      MathJax 3, which has no Hub. A Hub.Queue that forwards to MathJax 3's typesetPromise is added
      once MathJax has loaded (it is a deferred script: it has run when DOMContentLoaded fires, the widgets
      are rendered later, on load).
   3. Opened from disk (file://), the browser forbids the search page to fetch result pages for their
      summaries (a CORS error per result): there the search shows titles only. */
(function () {
  "use strict";
  var root = document.documentElement.dataset.content_root || "";
  if (typeof window.require !== "function") {
    window.require = { paths: { "@jupyter-widgets/html-manager/dist": root + "_static/vendor/html-manager" } };
  }
  // documentation_options.js declares a global const, which is not a property of window
  if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS !== "undefined") {
    DOCUMENTATION_OPTIONS.SHOW_SEARCH_SUMMARY = false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && mj.startup && !mj.Hub) {
      mj.Hub = {
        Queue: function (job) {
          var element = job && job[2];
          mj.startup.promise = mj.startup.promise.then(function () {
            return mj.typesetPromise(element ? [element] : undefined);
          });
        },
      };
    }
  });
})();
