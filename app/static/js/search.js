// On a phone the search page's filters and search tips fold away (<details> that work without
// this script), so the results come first. On a screen wide enough to show them beside the
// results, open them.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(min-width: 48rem)").matches) {
    return;
  }
  var folded = document.querySelectorAll(".search-filters details, .search-tips");
  for (var i = 0; i < folded.length; i++) {
    folded[i].open = true;
  }
})();
