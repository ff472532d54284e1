// The appointment book (templates/practice/scheduling/_book.html): book a free time by
// clicking or tapping it; move a booked appointment by dragging it (a long press first on a
// touch screen) or from the keyboard (arrow keys, then Enter). Every move is checked with
// the server first (GET .../move-check) and confirmed in a dialog that shows the server's
// answer, refusals included; the move itself is the appointment's ordinary "Move" form.
// Without this script the grid is still a grid of links and "+ book" opens the form.
(function () {
  "use strict";

  var book = document.querySelector("[data-book]");
  if (!book || !book.classList.contains("book-bookable")) { return; }

  var ROW = 5;    // minutes in one grid row (practice/scheduling/book.py ROW_MINUTES)
  var SLOT = 15;  // what a click, a drag or an arrow key snaps to
  var firstMinute = Number(book.dataset.firstMinute);
  var rows = Number(book.dataset.rows);
  var lastMinute = firstMinute + rows * ROW;
  var week = book.dataset.view === "week";
  var dialog = document.getElementById("book-move-dialog");
  var announcer = document.getElementById("book-announce");

  function hhmm(minute) {
    var h = Math.floor(minute / 60), m = minute % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function clamp(minute, length) {
    var latest = lastMinute - (length || SLOT);
    return Math.max(firstMinute, Math.min(minute, latest - latest % SLOT));
  }

  // The slot under a point of a column (the top of a block held `offset` pixels lower).
  function minuteAt(column, clientY, offset, length) {
    var box = column.getBoundingClientRect();
    var rowHeight = box.height / rows;
    var slots = Math.floor((clientY - (offset || 0) - box.top) / rowHeight / (SLOT / ROW) + (offset ? 0.5 : 0));
    return clamp(firstMinute + slots * SLOT, length);
  }

  function placeIn(element, column, minute, length) {
    element.className = element.className.replace(/\bbk-[rs]\d+\b/g, "").trim();
    element.classList.add("bk-r" + ((minute - firstMinute) / ROW + 1), "bk-s" + Math.max(1, Math.round(length / ROW)));
    if (element.parentNode !== column) { column.appendChild(element); }
  }

  var ghost = document.createElement("div");
  ghost.className = "book-ghost";
  ghost.setAttribute("aria-hidden", "true");

  function showGhost(column, minute, length, text) {
    ghost.textContent = text;
    placeIn(ghost, column, minute, length);
  }

  function hideGhost() {
    if (ghost.parentNode) { ghost.parentNode.removeChild(ghost); }
  }

  function announce(text) {
    if (announcer) { announcer.textContent = text; }
  }

  // Booking: a click or tap on working time opens the form with the practitioner, the day
  // and the time filled in.
  book.addEventListener("click", function (event) {
    var open = event.target.closest(".book-open");
    if (!open || event.defaultPrevented) { return; }
    var column = open.closest(".book-col");
    window.location.href = column.dataset.bookUrl + "&start=" + hhmm(minuteAt(column, event.clientY));
  });

  book.addEventListener("pointermove", function (event) {
    if (event.pointerType !== "mouse" || moving) { return; }
    var open = event.target.closest(".book-open");
    if (!open) { hideGhost(); return; }
    var column = open.closest(".book-col");
    var minute = minuteAt(column, event.clientY);
    showGhost(column, minute, SLOT, "Book " + hhmm(minute));
  });
  book.addEventListener("pointerleave", function () { if (!moving) { hideGhost(); } });

  // Moving ---------------------------------------------------------------------------------
  var moving = null;  // {appt, column, minute, length, ...} while a move is being chosen

  function startOf(appt) {
    var parts = appt.dataset.start.split(":");
    return Number(parts[0]) * 60 + Number(parts[1]);
  }

  function begin(appt) {
    moving = {
      appt: appt, home: appt.closest(".book-col"), column: appt.closest(".book-col"),
      minute: startOf(appt), length: Number(appt.dataset.minutes)
    };
    appt.classList.add("book-dragging");
  }

  function show() {
    showGhost(moving.column, moving.minute, moving.length,
      moving.appt.dataset.client + " → " + hhmm(moving.minute));
  }

  function end() {
    if (moving) { moving.appt.classList.remove("book-dragging"); }
    moving = null;
    hideGhost();
  }

  function allowed(column) {
    // A day's columns are practitioners: a move stays with the same one. A week's columns
    // are days of one practitioner: any of them.
    return column && (week || column === moving.home);
  }

  // Dragging with a mouse, a pen or (after a long press) a finger.
  var press = null;

  book.addEventListener("dragstart", function (event) {
    if (event.target.closest && event.target.closest(".book-appt[data-movable]")) { event.preventDefault(); }
  });

  book.addEventListener("pointerdown", function (event) {
    var appt = event.target.closest(".book-appt[data-movable]");
    if (!appt || event.button !== 0 || moving) { return; }
    var box = appt.getBoundingClientRect();
    press = { appt: appt, id: event.pointerId, x: event.clientX, y: event.clientY, offset: event.clientY - box.top,
              touch: event.pointerType === "touch", dragging: false, timer: null };
    if (press.touch) {
      press.timer = window.setTimeout(function () {
        if (press) { press.dragging = true; begin(press.appt); show(); }
      }, 400);
    }
  });

  document.addEventListener("pointermove", function (event) {
    if (!press || event.pointerId !== press.id) { return; }
    var far = Math.abs(event.clientX - press.x) + Math.abs(event.clientY - press.y) > 6;
    if (!press.dragging) {
      if (!far) { return; }
      if (press.touch) { window.clearTimeout(press.timer); press = null; return; }  // a scroll
      press.dragging = true;
      begin(press.appt);
    }
    var under = document.elementFromPoint(event.clientX, event.clientY);
    var column = under && under.closest(".book-col");
    if (allowed(column)) { moving.column = column; }
    moving.minute = minuteAt(moving.column, event.clientY, press.offset, moving.length);
    show();
  });

  document.addEventListener("touchmove", function (event) {
    if (press && press.dragging) { event.preventDefault(); }  // the finger drags, not scrolls
  }, { passive: false });

  document.addEventListener("pointerup", function (event) {
    if (!press || event.pointerId !== press.id) { return; }
    window.clearTimeout(press.timer);
    var dragged = press.dragging;
    press = null;
    if (dragged) {
      suppressClick = true;
      ask();
    }
  });

  document.addEventListener("pointercancel", function () {
    if (press) { window.clearTimeout(press.timer); press = null; end(); }
  });

  var suppressClick = false;
  book.addEventListener("click", function (event) {
    if (suppressClick) { event.preventDefault(); suppressClick = false; }
  }, true);

  // The keyboard: arrow keys choose the new time (and day, in a week), Enter asks.
  book.addEventListener("keydown", function (event) {
    var appt = event.target.closest && event.target.closest(".book-appt[data-movable]");
    if (!appt) { return; }
    // The dialog has closed but its close event is still to come: the move it asked about is
    // over, and these keys start a new one from where the appointment is.
    if (moving && moving.asked && !(dialog && dialog.open)) { end(); }
    var keys = { ArrowUp: [0, -SLOT], ArrowDown: [0, SLOT], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
    if (keys[event.key]) {
      event.preventDefault();
      if (!moving || moving.appt !== appt) { end(); begin(appt); }
      var step = keys[event.key];
      if (step[0] && week) {
        var columns = Array.prototype.slice.call(book.querySelectorAll(".book-col"));
        var next = columns[columns.indexOf(moving.column) + step[0]];
        if (next) { moving.column = next; }
      }
      moving.minute = clamp(moving.minute + step[1], moving.length);
      show();
      announce("Move to " + moving.column.getAttribute("aria-label") + ", " + hhmm(moving.minute) +
        ". Press Enter to check and confirm, or Escape to leave it.");
    } else if (event.key === "Enter" && moving && moving.appt === appt) {
      event.preventDefault();
      ask();
    } else if (event.key === "Escape" && moving) {
      end();
      announce("Not moved.");
    }
  });

  book.addEventListener("focusout", function (event) {
    if (moving && event.target === moving.appt && !(dialog && dialog.open)) { end(); }
  });

  // The confirmation: the server's answer, then the ordinary Move form.
  function ask() {
    if (!moving || !dialog) { end(); return; }
    moving.asked = true;
    var appt = moving.appt;
    var id = appt.dataset.appointment;
    var day = moving.column.dataset.day;
    var start = hhmm(moving.minute);
    var question = document.getElementById("book-move-question");
    var refusal = document.getElementById("book-move-refusal");
    var confirm = document.getElementById("book-move-confirm");
    var form = document.getElementById("book-move-form");
    question.textContent = "Checking " + start + "…";
    refusal.hidden = true;
    confirm.disabled = true;
    form.action = book.dataset.moveUrl.replace("/0/", "/" + id + "/");
    form.elements.day.value = day;
    form.elements.start.value = start;
    dialog.showModal();
    var url = book.dataset.checkUrl.replace("/0/", "/" + id + "/") +
      "?day=" + encodeURIComponent(day) + "&start=" + encodeURIComponent(start);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (answer) {
        if (answer.ok) {
          question.textContent = answer.message;
          confirm.disabled = false;
          confirm.focus();
        } else {
          question.textContent = "This move cannot be made:";
          refusal.textContent = answer.message;
          refusal.hidden = false;
          document.getElementById("book-move-cancel").focus();
        }
      })
      .catch(function () {
        question.textContent = "The move could not be checked. Try again, or use the appointment's page.";
      });
  }

  if (dialog) {
    document.getElementById("book-move-cancel").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () {
      if (!moving || !moving.asked) { return; }  // a new move already begun: it stays
      var appt = moving.appt;
      end();
      appt.focus();
    });
  }
})();
