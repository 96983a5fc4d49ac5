// "Copy" buttons next to read-only text (an invitation link). Progressive enhancement: the
// buttons stay hidden without JavaScript, where the text itself can be selected and copied.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      var say = function (text) { if (status) { status.textContent = text; } };
      var fallback = function () {
        source.focus();
        source.select();
        say("Selected: press Ctrl+C (or ⌘+C) to copy.");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(source.value).then(function () { say("Link copied."); },
                                                         fallback);
      } else {
        fallback();
      }
    });
  });
})();
