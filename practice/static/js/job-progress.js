// A job's page follows the job: it asks the server how far the job has got every second,
// moves the progress bar, and reloads itself when the job has finished (to offer the file
// or say what went wrong). Without JavaScript the page refreshes itself instead.
(function () {
  "use strict";
  var card = document.querySelector("[data-job-progress]");
  if (!card) { return; }
  var url = card.getAttribute("data-job-progress");
  var state = document.getElementById("job-state");
  var badge = card.querySelector("[data-job-badge] .badge");
  var holder = card.querySelector(".progress");
  var bar = card.querySelector(".progress-bar");

  function show(job) {
    if (job.status === "running") {
      var words = job.message || "Started.";
      if (job.total) { words += " (" + job.done + " of " + job.total + ")"; }
      if (state.textContent !== words) { state.textContent = words; }
      if (badge) { badge.textContent = job.status_label; badge.className = "badge text-bg-primary"; }
    }
    if (holder && bar) {
      holder.setAttribute("aria-valuenow", String(job.percent));
      bar.style.width = job.percent + "%";
      bar.textContent = job.percent + "%";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (job && job.finished) { window.location.reload(); return; }
        if (job) { show(job); }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
