// Small progressive enhancements. The pages work without this file.
"use strict";
document.addEventListener("htmx:afterSwap", function (event) {
  // After htmx replaces the main region, move focus there so screen readers announce the change.
  var target = event.detail && event.detail.target;
  if (target && target.id === "main") {
    target.focus();
  }
});
