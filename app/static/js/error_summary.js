// After a form comes back with errors, start at its error summary (macros.html errors_summary):
// a keyboard or screen reader user hears the list of problems first instead of the top of the
// page. The summary also carries autofocus; this covers browsers that only autofocus form
// controls. Its links go to the fields: a plain #f-name link only scrolls in some browsers and
// cannot focus a group of checkboxes, so a click focuses the field itself (the first box of a
// group) and scrolls its label or legend into view, since the field alone hides its question.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (!summary) { return; }
  // Never take focus from somewhere the reader has already moved it.
  if (!document.activeElement || document.activeElement === document.body) {
    summary.focus();
  }

  function fieldFor(target) {
    if (target.matches("input, select, textarea")) { return target; }
    return target.querySelector("input:not([type=hidden]), select, textarea");
  }

  function captionFor(target, field) {
    if (target.tagName === "FIELDSET") { return target.querySelector("legend"); }
    return field.labels && field.labels.length ? field.labels[0] : null;
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    var field = target && fieldFor(target);
    if (!field) { return; }
    event.preventDefault();
    (captionFor(target, field) || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
