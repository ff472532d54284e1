// Today keeps up with the other desks: every few seconds it asks for the day's fingerprint
// (a small JSON answer, 304 when unchanged) and reloads when the day changed, unless someone
// is typing here. Then it says so and waits for a click, so nothing
// typed is lost.
(function () {
  "use strict";

  var notice = document.getElementById("day-changed");
  if (!notice || !window.fetch) { return; }
  var url = notice.dataset.versionUrl;
  var version = notice.dataset.dayVersion;
  var every = 1000 * (Number(notice.dataset.pollSeconds) || 15);

  function busy() {
    var active = document.activeElement;
    if (active && active.matches("input, select, textarea")) { return true; }
    return Array.prototype.some.call(document.querySelectorAll("input, textarea"), function (field) {
      return field.type !== "hidden" && field.value !== field.defaultValue;
    });
  }

  function changed() {
    if (busy()) {
      notice.hidden = false;
    } else {
      window.location.reload();
    }
  }

  function check() {
    if (document.hidden) { return; }
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && answer.version !== version) { changed(); }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }

  notice.querySelector("[data-reload-page]").addEventListener("click", function () {
    window.location.reload();
  });
  window.setInterval(check, every);
  document.addEventListener("visibilitychange", check);
})();
