// Typeset the maths placeholders emitted by app/core/markdown.py:
//   <span class="math-inline">TeX</span> and <div class="math-block">TeX</div>
// An external file because the CSP forbids inline scripts. Load after katex.min.js.
// katex.render builds DOM nodes (styles set through the CSSOM), so no inline HTML is injected.
(function () {
  "use strict";

  function typeset(selector, displayMode) {
    var nodes = document.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var source = el.textContent;
      // One formula at a time: anything KaTeX throws (a RangeError from a stack overflow on
      // absurd nesting, say) leaves this formula's source as it was and the loop goes on.
      try {
        // textContent is the unescaped TeX source; KaTeX replaces the element's children.
        katex.render(source, el, {
          displayMode: displayMode,
          throwOnError: false, // show the source in red rather than break the page
          trust: false // no \href, \url, \includegraphics from author text
        });
      } catch (err) {
        el.textContent = source; // undo any half-built output
        el.classList.add("math-failed");
        el.title = "This formula could not be displayed";
      }
    }
  }

  function run() {
    if (typeof katex === "undefined") {
      return; // KaTeX failed to load: the raw TeX stays readable
    }
    typeset(".math-inline", false);
    typeset(".math-block", true);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
