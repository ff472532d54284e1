"""The client page's longest lists written as HTML in one pass: the upcoming appointments and
the history; and the rows of the clients list. A long history is fifty upcoming rows and a
page of events, and Jinja placing each value (each an attribute looked up and escaped on its
own, an `if` for each kind of event) took a quarter of the page's rendering; the list's 25
rows, each with a url_for, a third of the list's. The markup is what the templates' loops
wrote; every value from the practice's data is escaped here as Jinja's autoescape would
(markupsafe.escape)."""

from collections.abc import Callable

from flask import current_app, url_for
from jinja2.filters import do_truncate
from markupsafe import Markup, escape

from practice.clients.models import STANDINGS, Client
from practice.clients.timeline import Item
from practice.letters.models import CHANNELS as LETTER_CHANNELS
from practice.letters.models import KINDS as LETTER_KINDS
from practice.phones import display_phone
from practice.scheduling.queries import STATUS_LABELS, AppointmentRow, UpcomingRow

# Each status's badge, as scheduling/_status.html's status_badge writes it.
STATUS_STYLES = {"booked": "primary", "arrived": "success", "completed": "secondary", "cancelled": "light",
                 "late_cancelled": "warning", "no_show": "danger"}
_BADGES = {status: f'<span class="badge text-bg-{STATUS_STYLES[status]}">{escape(label)}</span>'
           for status, label in STATUS_LABELS.items()}
# How the history names the ways the client was told (lower case, inside a sentence).
CHANNELS = {"in_person": "in person", "phone": "phone", "text": "text", "email": "e-mail", "post": "post",
            "social_media": "social media", "gift": "gift", "third_party": "third party", "other": "other"}
DESCRIPTION_SHOWN = 300  # characters of an entry's description in the history (the record has it all)


def client_rows(clients: list[Client], *, client_url: str) -> Markup:
    """The clients list's <tr>: the name (a link to the record) with the pronouns and whether
    archived, the legal name, the phone, the e-mail, the primary practitioner."""
    url = str(escape(client_url))
    return Markup("\n".join(_client_row(client, url) for client in clients))


def _client_row(client: Client, url: str) -> str:
    pronouns = f' <span class="text-muted small">({escape(client.pronouns)})</span>' if client.pronouns else ""
    archived = ' <span class="badge text-bg-secondary">archived</span>' if client.archived else ""
    practitioner = client.primary_practitioner.display_name if client.primary_practitioner else ""
    return (f'<tr><td><a href="{url}{client.id}">{escape(client.display_name)}</a>{pronouns}{archived}</td>\n'
            f'<td>{escape(client.legal_name)}</td><td class="nowrap">{escape(display_phone(client.phone))}</td>'
            f'<td>{escape(client.email)}</td><td>{escape(practitioner)}</td></tr>')


def upcoming_rows(rows: list[UpcomingRow], *, appointment_url: str) -> Markup:
    """The upcoming table's <tr>: when (a link to the appointment), the service, who with, the status."""
    url = str(escape(appointment_url))
    return Markup("\n".join(
        f'<tr><td class="nowrap"><a href="{url}{row.appointment.id}">{escape(row.when)}</a></td>\n'
        f'<td>{escape(row.appointment.service_name)}</td><td>{escape(row.appointment.practitioner_name)}</td>'
        f'<td>{_BADGES[row.appointment.status]}</td></tr>'
        for row in rows))


def history_items(items: list[Item], *, appointment_url: str, money: Callable[[int], str]) -> Markup:
    """The history's <li>, one for each item, newest first: when, then what happened, as its kind
    shows it. `money`: the page's filter of that name."""
    url = str(escape(appointment_url))
    return Markup("\n".join(
        f'<li class="timeline-item timeline-{escape(item.kind)} border-start ps-3 pb-3">\n'
        f'<div class="small text-muted">{escape(item.when)}</div>\n'
        f'{_WRITERS[item.kind](item.obj, url, money)}\n</li>'
        for item in items))


def _appointment(row: AppointmentRow, url: str, money) -> str:
    a = row.appointment
    late = (f'<span class="text-danger-emphasis">{escape(a.late_minutes)} min late</span>' if a.late_minutes
            else "on time" if a.arrived_at else "")
    fee = (f'<span class="small">fee {escape(money(a.fee_cents))}{" (waived)" if a.fee_waived else ""}</span>'
           if a.fee_cents else "")
    owing = f'<span class="badge text-bg-warning">owing {escape(money(row.owing_cents))}</span>' if row.owing_cents > 0 else ""
    return (f'<div><a href="{url}{a.id}">{escape(a.service_name)}</a> with {escape(a.practitioner_name)}\n'
            f'{_BADGES[a.status]} {late}\n{fee}\n{owing}</div>')


# The other kinds are rows of timeline.events: `type`, `detail`, `text` and `label` are what
# each kind's columns hold there (timeline._part).
def _conduct(entry, _url, _money) -> str:
    badge = ("danger", "Safety") if entry.safety else ("secondary", "Boundary" if entry.type == "boundary" else "Policy")
    what = entry.label or entry.type.replace("_", " ").capitalize()
    minutes = f"({escape(entry.minutes)} min)" if entry.minutes else ""
    correction = ' <span class="badge text-bg-light border">correction</span>' if entry.corrects_id else ""
    description = (f'\n<div class="small pre-line">{escape(_truncated(entry.text))}</div>'
                   if entry.text else "")
    return (f'<div><span class="badge text-bg-{badge[0]}">{badge[1]}</span>\n<strong>{escape(what)}</strong>\n'
            f'{minutes}{correction}</div>{description}')


def _truncated(text: str) -> str:
    """As the template's `truncate(DESCRIPTION_SHOWN)` wrote it (at a word, with the
    environment's leeway and '...')."""
    return do_truncate(current_app.jinja_env, text, DESCRIPTION_SHOWN)


def _communication(communication, _url, _money) -> str:
    what = communication.type.replace("_", " ").capitalize()
    channel = CHANNELS.get(communication.detail, communication.detail)
    return (f'<div><span class="badge text-bg-primary">Told the client</span> <strong>{escape(what)}</strong> '
            f'({escape(channel)})</div>\n<div class="small pre-line">{escape(communication.text)}</div>')


def _standing(change, _url, _money) -> str:
    by = change.label if change.label is not None else "the system"
    return (f'<div><span class="badge text-bg-dark">Standing</span> {escape(STANDINGS[change.type])} → '
            f'<strong>{escape(STANDINGS[change.detail])}</strong>\n'
            f'<span class="small text-muted">by {escape(by)}</span></div>\n'
            f'<div class="small pre-line">{escape(change.text)}</div>')


def _letter(letter, _url, _money) -> str:
    signed = f", signed by {letter.label}" if letter.label is not None else ""
    channel = LETTER_CHANNELS.get(letter.detail, letter.detail)
    return (f'<div><span class="badge text-bg-info">Letter</span> '
            f'<a href="{escape(url_for("letters.show", letter_id=letter.id))}"><strong>{escape(LETTER_KINDS.get(letter.type, letter.type))}</strong></a>\n'
            f'<span class="small text-muted">({escape(channel.lower() + signed)})</span>\n'
            f'<a class="small" href="{escape(url_for("letters.download", letter_id=letter.id))}">PDF</a></div>')


def _note(note, _url, _money) -> str:
    title = ("Consultation" + (f" with {note.label}" if note.label else "")) if note.type == "consultation" else "Note"
    return (f'<div><span class="badge text-bg-light border">Private</span> <strong>{escape(title)}</strong></div>\n'
            f'<div class="small pre-line">{escape(note.text)}</div>')


_WRITERS = {"appointment": _appointment, "conduct": _conduct, "communication": _communication,
            "standing": _standing, "letter": _letter, "note": _note}
