"""The rows of the busiest pages written as HTML in one pass: Today's appointments and the
calendar's columns with their blocks. A busy day has hundreds of them, and Jinja placing a
dozen values in each (each an attribute looked up and escaped on its own) took a quarter of
a page's time. The templates call these; the markup is what their loops wrote, and every value
is escaped here as Jinja's autoescape would (markupsafe.escape)."""

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from practice.auth.queries import PractitionerName
from practice.localtime import span
from practice.scheduling.book import Block, BookPage, Column
from practice.scheduling.queries import STATUS_LABELS, DeskRow

_NOT_BOOKABLE = ' <span class="f-dark" title="Ask the practitioner before booking">Not bookable</span>'
_BOOKED_ONLINE = ' <span class="f-info">Booked online</span>'
_PAID = ' <span class="paid">paid</span>'
# Each state as a row shows it: the appointment's status, in Today's words.
_STATES = {status: f'<span class="s-{escape(status)}">{escape(label)}</span>' for status, label in STATUS_LABELS.items()}
_LABELS = {status: str(escape(label)) for status, label in STATUS_LABELS.items()}


def _charrefs(text: str) -> str:
    """HTML `text` with its characters outside ASCII written as character references
    ("09:00&#8211;10:00", "&#163;30.00"), which a browser reads as the characters themselves.
    One character beyond Latin-1 anywhere in a page ("–", "…") makes Python hold the whole
    page's text at two bytes a character, and one above ASCII ("£") keeps it from being
    copied as it is into UTF-8: encoding Today's 165 KB took 0.65 ms (0.39 as Latin-1)
    rather than 0.02."""
    return text if text.isascii() else text.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _text(value: str) -> str:
    """A string of the practice's data (a client's name, an amount) as HTML text, as a
    plain str: escaped as markupsafe.escape escapes it, "&" first, and in ASCII (_charrefs).
    markupsafe.escape wraps its answer in a Markup object, built in Python (0.8 us a call
    against 0.3 for these replacements), for each of a busy day's hundreds of rows."""
    return _charrefs(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                     .replace('"', "&#34;").replace("'", "&#39;"))


def charrefs(value) -> Markup:
    """The template filter `charrefs`: `value` escaped (unless it is markup already) and
    written in ASCII as _charrefs writes it, for the text Today's and the calendar's
    templates place themselves."""
    return Markup(_charrefs(str(escape(value))))


def desk_rows(rows: list[DeskRow], *, undoing: dict[int, str], policy_flag: Markup, now: datetime,
              appointment_url: str, client_url: str, back_query: str, hidden: Markup, methods: Markup,
              money: Callable[[int], str], amount: Callable[[int], str]) -> Markup:
    """The <li> of each row: its time (a link to the appointment), the client (a link to their
    page) with their flags, the service, the state with lateness and what is owed, and the
    one-click actions (buttons of the page's #desk form), the payment form and the links to
    cancel or undo. The rows are desk_day's (their `appointment` a TodayColumns tuple, which
    says the fees owed and whether the policy was acknowledged). `hidden`: the forms' hidden
    fields; `methods`: the payment methods' <option>s; `money`, `amount`: the page's filters
    of those names. What comes from the practice's data (names, services, amounts) is
    escaped; what desk_row and the services write (times, lateness, flags, what may be
    undone) is digits and fixed words. The rows are written in ASCII (_charrefs)."""
    appointment_url, client_url, back_query = str(escape(appointment_url)), str(escape(client_url)), str(escape(back_query))
    policy_flag, hidden, methods = f" {policy_flag}", str(hidden), str(methods)
    # A day has hundreds of rows, and a few services, times and amounts.
    services: dict[str, str] = {}
    whens: dict[str, str] = {}
    amounts: dict[int, str] = {}
    written = []
    for row in rows:
        at, who, status = f"{appointment_url}{row.id}", _text(row.who), row.status
        if (service := services.get(row.service)) is None:
            service = services[row.service] = _charrefs(escape(row.service))
        if (when := whens.get(row.when)) is None:
            when = whens[row.when] = _charrefs(row.when)
        flag = (_NOT_BOOKABLE if row.flag == "Not bookable" else
                f' <span class="f-warn">{row.flag}</span>' if row.flag else "")
        owed = row.appointment.fees_owed  # on the rows still to come only
        owes_fees = f' <span class="f-warn">Owes {_written(owed, amounts, money)} in fees</span>' if owed else ""
        late = (f' <span class="late">{row.late}</span>' if row.late else
                f" {row.lateness}" if row.lateness else "")
        due = row.due_cents
        owing = due - row.paid_cents
        balance = f' <span class="appointment-owing">owes {_written(owing, amounts, money)}</span>' if owing > 0 else (
            _PAID if due else "")
        written.append(
            f'\n<li data-appointment="{row.id}"><div><a href="{at}">{when}</a></div>\n'
            f'<div><a href="{client_url}{row.client_id}">{who}</a>{flag}'
            f'{_BOOKED_ONLINE if row.booked_online else ""}'
            f'{"" if row.appointment.acknowledged else policy_flag}{owes_fees}</div>\n'
            f'<div>{service}</div>\n'
            f'<div>{_STATES[status]}{late}{balance}</div>\n<div>')
        if status == "booked":
            written.append(
                f'<button form="desk" formaction="{at}/check-in">Check in<span class="visually-hidden"> {who}</span></button>')
            if row.appointment.start_at <= now:
                written.append(f'<button form="desk" formaction="{at}/no-show">No-show'
                               f'<span class="visually-hidden">: {who}</span></button>')
            written.append(f'<a href="{at}/cancel?{back_query}">Cancel&hellip;'
                           f'<span class="visually-hidden"> {who}\'s appointment</span></a>')
        elif status == "arrived":
            written.append(f'<button form="desk" formaction="{at}/complete">Complete'
                           f'<span class="visually-hidden"> {who}\'s session</span></button>')
        if owing > 0:
            field = f"a{row.id}"
            written.append(
                f'<form method="post" action="{at}/payment" class="payment-inline">{hidden}'
                f'<label class="visually-hidden" for="{field}-amount">Amount from {who}</label>'
                f'<input class="form-control form-control-sm width-6rem" id="{field}-amount" name="amount" '
                f'value="{_text(amount(owing))}" inputmode="decimal">'
                f'<label class="visually-hidden" for="{field}-method">Method</label>'
                f'<select class="form-select form-select-sm width-7rem" id="{field}-method" name="method">{methods}</select>'
                f'<button class="btn btn-sm btn-primary">Take payment</button></form>')
        if undo := undoing.get(row.id):
            written.append(f'<a href="{at}?{back_query}#undo-heading">Undo&hellip;'
                           f'<span class="visually-hidden"> {who}\'s {undo}</span></a>')
        written.append("</div></li>")
    return Markup("".join(written))


def _written(cents: int, amounts: dict[int, str], money: Callable[[int], str]) -> str:
    """An amount as the page's `money` filter writes it, escaped and in ASCII, once for each
    amount of the page (kept in `amounts`)."""
    if (written := amounts.get(cents)) is None:
        written = amounts[cents] = _text(money(cents))
    return written


def book_blocks(blocks: list[Block], appointment_url: str) -> Markup:
    """Each appointment's block in a column of the calendar's grid (book.py lays them out):
    a link to the appointment placed on the grid's rows and lanes, with what book.js needs
    to move it when it may be moved. The client's and service's names are escaped as plain
    strings (_text: no Markup object for each of hundreds of names); the times, states and
    flags book.py writes are digits and fixed words. The blocks are written in ASCII
    (_charrefs): each time's "–" would otherwise hold the whole page at two bytes a
    character."""
    appointment_url = str(escape(appointment_url))
    # Hundreds of blocks, and a few services and times.
    services: dict[str, str] = {}
    whens: dict[str, str] = {}
    written = []
    for block in blocks:
        client = _text(block.client_name)
        if (service := services.get(block.service_name)) is None:
            service = services[block.service_name] = _text(block.service_name)
        if (when := whens.get(block.when)) is None:
            when = whens[block.when] = _charrefs(block.when)
        lanes = f" lane-{block.lane}-of-{block.lanes}" if block.lanes > 1 else ""
        movable = (f'data-movable data-start="{block.start}" data-minutes="{block.minutes}" '
                   f'data-client="{client}" aria-describedby="book-help"' if block.movable else "")
        flag = (' <span class="badge text-bg-dark" title="Ask the practitioner before booking">Not bookable</span>'
                if block.flag == "Not bookable" else
                f' <span class="badge text-bg-warning">{block.flag}</span>' if block.flag else "")
        written.append(
            f'\n      <a class="book-appt status-{block.status} bk-r{block.row} bk-s{block.rows}{lanes}"\n'
            f'         href="{appointment_url}{block.appointment_id}" data-appointment="{block.appointment_id}"\n'
            f'         {movable}>\n'
            f'        <span class="book-appt-time">{when}</span>\n'
            f'        <span class="book-appt-client">{client}</span>{flag}\n'
            f'        <span class="book-appt-service">{service}</span>\n'
            f'        <span class="book-appt-status">{_LABELS[block.status]}</span>\n'
            f'      </a>\n      ')
    return Markup("".join(written))


def practitioner_options(practitioners: list[PractitionerName], chosen_id: int | None) -> Markup:
    """The <option> of each practitioner in the calendar's choice of whose book to show,
    the one shown (`chosen_id`) selected; their names escaped, in ASCII (_charrefs)."""
    return Markup("".join(f'<option value="{p.id}"{" selected" if p.id == chosen_id else ""}>'
                          f'{_text(p.display_name)}</option>' for p in practitioners))


def book_heads(book: BookPage, today: date, *, week: bool, book_url: str | None, calendar_url: str) -> Markup:
    """Each column's heading above the grid: the practitioner's name (a day) or the day, a
    link to it (a week), and the link to book in the column when it is a working one and the
    user may book (`book_url`): a Jinja loop over a day's twenty columns was a measurable
    part of the page (with the practitioners' <option>s and their reading as rows, about 8%
    of its instructions). The practitioners' names are escaped, in ASCII (_charrefs)."""
    booking = str(escape(book_url)) if book_url is not None else None
    calendar_url = str(escape(calendar_url))
    long_days = _long_days(book)
    written = []
    for number, column in enumerate(book.columns, 1):
        day = column.day
        name = _text(column.practitioner.display_name)
        heading = (f'<a href="{calendar_url}?date={day.isoformat()}">{day.strftime("%a %-d")}'
                   f'<span class="d-none d-md-inline"> {day.strftime("%b")}</span></a>' if week else
                   f"<strong>{name}</strong>")
        link = (f'<a class="small d-print-none text-nowrap" href="{booking}?day={day.isoformat()}'
                f'&amp;practitioner_id={column.practitioner.id}" '
                f'aria-label="Book with {name} on {long_days[day]}">+ book</a>'
                if booking is not None and column.working else "")
        written.append(
            f'\n    <div id="book-col-{number}" class="{"book-today" if day == today else ""}">\n'
            f'      {heading}\n      {link}\n    </div>\n    ')
    return Markup("".join(written))


def book_columns(book: BookPage, zone: ZoneInfo, *, week: bool, book_url: str | None, appointment_url: str) -> Markup:
    """Each column of the calendar's grid (a <section>): its practitioner and day for book.js,
    the link to book in it (`book_url`, when the user may book), the working hours, the
    shaded and blocked time, the appointments' blocks and the line for "now". The
    practitioners' names and the reasons for time off are escaped; all is in ASCII
    (_charrefs), as the blocks are."""
    booking = str(escape(book_url)) if book_url is not None else None
    top = f'<div class="bk-r1 bk-s{book.rows}" aria-hidden="true"></div>'
    long_days = _long_days(book)
    return Markup("".join(_column(column, zone, week, booking, top, appointment_url, long_days[column.day])
                          for column in book.columns))


def _long_days(book: BookPage) -> dict[date, str]:
    """Each day's name as the columns' labels write it ("Monday 23 November"): once a day,
    not once for each of a day's twenty columns."""
    return {day: day.strftime("%A %-d %B") for day in book.days}


def _column(column: Column, zone: ZoneInfo, week: bool, book_url: str | None, top: str, appointment_url: str,
            long_day: str) -> str:
    day, practitioner_id = column.day.isoformat(), column.practitioner.id
    label = long_day if week else f"{_text(column.practitioner.display_name)}, {long_day}"
    booking = (f'data-book-url="{book_url}?practitioner_id={practitioner_id}&amp;day={day}"'
               if book_url is not None else "")
    spans = "".join(f'<div class="book-open bk-r{s.row} bk-s{s.rows}" aria-hidden="true"></div>'
                    for s in column.open_spans)
    shades = "".join(
        f'<div class="book-shade book-shade-{shade.kind} bk-r{shade.row} bk-s{shade.rows}">'
        f'{_charrefs(span(shade.block.start_at, shade.block.end_at, zone)) + " " if shade.block else ""}'
        f'{_text(shade.label)}</div>'
        for shade in column.shades)
    now = (f'<div class="book-now bk-r{column.now_row} bk-s1" aria-hidden="true"></div>'
           if column.now_row else "")
    return (f'\n    <section class="book-col" aria-label="{label}"\n'
            f'             data-practitioner="{practitioner_id}" data-day="{day}"\n'
            f'             {booking}>\n'
            f'      {top}\n      {spans}\n      {shades}\n      {book_blocks(column.blocks, appointment_url)}\n'
            f'      {now}\n    </section>\n    ')
