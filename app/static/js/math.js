// Typeset the maths placeholders emitted by app/core/markdown.py:
//   <span class="math-inline">TeX</span> and <div class="math-block">TeX</div>
// An external file because the CSP forbids inline scripts. base.html loads it on every page
// (last, after each page's own scripts) with the KaTeX file addresses in data attributes: when
// the page holds maths and KaTeX is not loaded yet, it loads KaTeX's script and stylesheet
// itself, so any page that shows author text gets its maths typeset. A page that loads
// katex.min.js itself (and this file before base's copy) works as before.
// katex.render builds DOM nodes (styles set through the CSSOM), so no inline HTML is injected.
(function () {
  "use strict";

  var SELECTORS = [[".math-inline", false], [".math-block", true]];
  var me = document.currentScript;

  function typeset(root, selector, displayMode) {
    var nodes = root.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      // Each copy of this file (and each later call) skips what is already typeset: KaTeX's
      // output read back as TeX would be garbage.
      if (el.hasAttribute("data-typeset")) {
        continue;
      }
      el.setAttribute("data-typeset", "");
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

  function typesetAll(root) {
    for (var i = 0; i < SELECTORS.length; i++) {
      typeset(root, SELECTORS[i][0], SELECTORS[i][1]);
    }
  }

  function hasMaths() {
    return document.querySelector(".math-inline:not([data-typeset]), " +
                                  ".math-block:not([data-typeset])") !== null;
  }

  function loadKatex() {
    // Only one copy of this file asks for KaTeX, and only when a page has maths.
    if (!me || !me.dataset.katexJs || window.coplanKatexLoading) {
      return;
    }
    window.coplanKatexLoading = true;
    if (me.dataset.katexCss) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = me.dataset.katexCss;
      document.head.appendChild(link);
    }
    var script = document.createElement("script");
    script.src = me.dataset.katexJs;
    script.onload = function () { typesetAll(document); };
    // On error the raw TeX simply stays readable.
    document.head.appendChild(script);
  }

  function run() {
    if (!hasMaths()) {
      return;
    }
    if (typeof katex === "undefined") {
      loadKatex();
      return;
    }
    typesetAll(document);
  }

  // For scripts that put new maths on the page (a live preview, say).
  window.coplanTypeset = function (root) {
    if (typeof katex !== "undefined") {
      typesetAll(root || document);
    } else {
      run();
    }
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
