// The booking form (templates/practice/scheduling/book.html): a free start's button, or a
// first free time's, fills the form's fields in place and moves on to "Book". Without this
// script the same buttons post the form and the page comes back filled in.
(function () {
  "use strict";

  var form = document.querySelector("[data-booking-form]");
  if (!form) { return; }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill-start]");
    if (!button) { return; }
    event.preventDefault();
    if (button.dataset.fillPractitioner) { form.elements.practitioner_id.value = button.dataset.fillPractitioner; }
    if (button.dataset.fillDay) { form.elements.day.value = button.dataset.fillDay; }
    form.elements.start.value = button.dataset.fillStart;
    form.querySelectorAll("[data-fill-start][aria-pressed]").forEach(function (other) {
      other.removeAttribute("aria-pressed");
    });
    button.setAttribute("aria-pressed", "true");
    form.querySelector("[data-book-button]").focus();
  });
})();
