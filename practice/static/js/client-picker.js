// The client picker (templates/practice/clients/_picker.html): search as you type, a page of
// matches at a time from the server, the arrow keys to move through them, Enter or a click to
// choose. The chosen client's id goes into the hidden field; typing again clears it, so a
// name half-changed never books the client chosen before. Without this script "Find" posts
// the form and the page lists the matches.
(function () {
  "use strict";

  function setUp(picker) {
    var input = picker.querySelector("[data-picker-input]");
    var value = picker.querySelector("[data-picker-value]");
    var list = picker.querySelector("[role=listbox]");
    var status = picker.querySelector("[data-picker-status]");
    if (!input || !value || !list) { return; }
    var searchUrl = picker.dataset.searchUrl;
    var bookableOnly = picker.hasAttribute("data-bookable-only");
    var help = status.textContent;
    var options = [];     // the <li> shown
    var active = -1;      // the one the arrow keys are on
    var typed = "";       // the text the shown options answer
    var page = 1;
    var timer = null;
    var latest = 0;       // answers to older requests are dropped

    function say(text) { status.textContent = text; }

    function open(isOpen) {
      list.hidden = !isOpen;
      input.setAttribute("aria-expanded", isOpen ? "true" : "false");
      if (!isOpen) { input.removeAttribute("aria-activedescendant"); active = -1; }
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
        option.classList.toggle("active", i === index);
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    }

    function option(id, label, detail, disabled) {
      var li = document.createElement("li");
      li.id = input.id + "-option-" + id;
      li.className = "list-group-item list-group-item-action";
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.id = id;
      li.dataset.name = label;
      var name = document.createElement("span");
      name.textContent = label;
      li.appendChild(name);
      if (detail) {
        var small = document.createElement("span");
        small.className = "small text-muted ms-2";
        small.textContent = detail;
        li.appendChild(small);
      }
      if (disabled) {
        li.setAttribute("aria-disabled", "true");
        li.classList.add("disabled");
        var badge = document.createElement("span");
        badge.className = "badge text-bg-dark ms-2";
        badge.textContent = "Not bookable";
        li.appendChild(badge);
      }
      return li;
    }

    function show(answer, append) {
      if (!append) { list.textContent = ""; options = []; }
      var more = list.querySelector("[data-more]");
      if (more) { more.remove(); options.pop(); }
      answer.results.forEach(function (client) {
        var li = option(client.id, client.name, client.detail, bookableOnly && !client.bookable);
        list.appendChild(li);
        options.push(li);
      });
      if (answer.has_more) {
        var next = option("more", "More matches…", "", false);
        next.dataset.more = "1";
        list.appendChild(next);
        options.push(next);
      }
      var count = answer.results.length + (append ? options.length - answer.results.length - (answer.has_more ? 1 : 0) : 0);
      if (!options.length) {
        say("No client matches “" + typed + "”.");
        open(false);
        return;
      }
      say(answer.has_more ? "More than " + count + " clients match: use the arrow keys to choose, or type more."
                          : count + (count === 1 ? " client matches" : " clients match") + ": use the arrow keys to choose.");
      open(true);
    }

    function search(append) {
      var text = input.value.trim();
      typed = text;
      if (!text) { open(false); list.textContent = ""; options = []; say(help); return; }
      page = append ? page + 1 : 1;
      var ticket = ++latest;
      fetch(searchUrl + "?q=" + encodeURIComponent(text) + "&page=" + page,
            { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (answer) {
          if (ticket === latest) { show(answer, append); if (append) { highlight(options.length ? Math.min(active + 1, options.length - 1) : -1); } }
        })
        .catch(function () { say("The search did not answer. Press Find instead."); });
    }

    function choose(li) {
      if (!li || li.getAttribute("aria-disabled") === "true") { return; }
      if (li.dataset.more) { search(true); return; }
      value.value = li.dataset.id;
      input.value = li.dataset.name;
      input.dataset.chosenName = li.dataset.name;
      var detail = li.querySelector(".text-muted");
      say("Chosen: " + li.dataset.name + (detail ? ", " + detail.textContent : "") + ".");
      open(false);
      value.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("input", function () {
      if (value.value && input.value !== input.dataset.chosenName) {
        value.value = "";  // changed: the client chosen before is chosen no more
        delete input.dataset.chosenName;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { search(false); }, 200);
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { if (options.length) { open(true); } else { search(false); } return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(Math.max(0, Math.min(options.length - 1, active + step)));
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();  // choose, do not send the form
          choose(options[active]);
        } else if (!value.value && input.value.trim()) {
          event.preventDefault();  // nothing chosen yet: search rather than book
          search(false);
        }
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        open(false);
      }
    });

    list.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus
    list.addEventListener("click", function (event) { choose(event.target.closest("[role=option]")); });
    input.addEventListener("blur", function () { window.setTimeout(function () { open(false); }, 150); });
  }

  document.querySelectorAll("[data-client-picker]").forEach(setUp);
})();
