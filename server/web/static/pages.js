// Small behaviours every page shares; the pages work without them.
"use strict";
document.addEventListener("click", function (event) {
  var target = event.target;
  if (!(target instanceof Element)) return;
  if (target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  } else if (target.closest("[data-back]") && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
