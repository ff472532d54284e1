// Small behaviours of the practice's pages, wired by data- attributes. The pages' Content
// Security Policy runs no inline script, so everything a page does in the browser is here.
(function () {
  "use strict";

  // A read-only link to copy (an invitation, a calendar feed): one click selects all of it.
  document.querySelectorAll("[data-select-on-click]").forEach(function (input) {
    input.addEventListener("click", function () { input.select(); });
  });

  // "Print" buttons.
  document.querySelectorAll("[data-print-page]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // The incident form: choosing a safety category ticks "safety entry" (it can be unticked).
  document.querySelectorAll("select[data-safety-ids][data-safety-box]").forEach(function (select) {
    var box = document.getElementById(select.dataset.safetyBox);
    var safetyIds = (select.dataset.safetyIds || "").split(",");
    if (!box) { return; }
    select.addEventListener("change", function () {
      if (safetyIds.indexOf(select.value) >= 0) { box.checked = true; }
    });
  });
})();
