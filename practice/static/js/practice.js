// Small behaviours of the practice's pages, wired by data- attributes. The pages' Content
// Security Policy runs no inline script, so everything a page does in the browser is here.
(function () {
  "use strict";

  // A read-only link to copy (an invitation, a calendar feed): one click selects all of it.
  document.querySelectorAll("[data-select-on-click]").forEach(function (input) {
    input.addEventListener("click", function () { input.select(); });
  });

  // A form whose submit buttons stand elsewhere on the page, each naming what it submits (the
  // colleague a referral is for): Enter in one of its fields submits nothing. Without this
  // script its default button does that (the server answers "stay" with 204 No Content);
  // with it, not even that request is sent.
  document.querySelectorAll("form[data-no-implicit-submit]").forEach(function (form) {
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.tagName === "INPUT") { event.preventDefault(); }
    });
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
  // The navigation bar folds into its menu whenever its links do not fit on one line (an
  // admin's many sections at 1180 px, a practice with a long name), not only below a fixed
  // width: laid out open, measured, and folded when a link wrapped or overflowed.
  var nav = document.querySelector("nav[data-fold-when-full]");
  var links = nav && nav.querySelector(".navbar-collapse");
  if (links) {
    var fit = function () {
      nav.classList.add("navbar-expand-xl");
      if (window.getComputedStyle(links).display === "none") { return; }  // folded by width already
      var items = links.querySelectorAll(".nav-item, form");
      var middle = function (item) { var box = item.getBoundingClientRect(); return (box.top + box.bottom) / 2; };
      var first = items.length ? middle(items[0]) : 0;
      var wraps = Array.prototype.some.call(items, function (item) { return Math.abs(middle(item) - first) > 12; });
      var bar = nav.querySelector(".container-fluid");
      if (wraps || bar.scrollWidth > bar.clientWidth + 1) { nav.classList.remove("navbar-expand-xl"); }
    };
    fit();
    window.addEventListener("resize", fit);
  }
})();
