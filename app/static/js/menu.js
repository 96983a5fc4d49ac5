// The phone header's Menu popover closes when keyboard focus moves on past it: open, it
// covers the top of the page, and whatever took focus there would be hidden under it
// (WCAG 2.4.11). Without this file Esc or a tap outside still closes it.
(function () {
  "use strict";

  var menu = document.getElementById("site-menu");
  if (!menu || !menu.hidePopover) {
    return;
  }
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (!menu.matches(":popover-open") || menu.contains(target) ||
        (target.closest && target.closest("[popovertarget=site-menu]"))) {
      return;
    }
    menu.hidePopover();
  });
})();
