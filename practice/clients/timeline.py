"""One chronological view of a client: appointments, the conduct record, communications,
standing decisions, referrals and the viewer's own private notes.

Each kind is one query, so the page's query count does not grow with the record. What a
viewer may see is decided by the caller (the permission check) and passed in `kinds`."""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from practice.clients.models import PrivateNote, StandingChange
from practice.conduct.models import Communication, ConductEntry, IncidentCategory
from practice.db import db
from practice.scheduling.queries import WHEN
from practice.settings.services import practice_zone

KINDS = {
    "appointment": "Appointments",
    "conduct": "Conduct record",
    "communication": "Communications",
    "standing": "Standing",
    "letter": "Letters",
    "note": "My private notes",
}
# What only the client's practitioners and admins see (never the front desk).
CONDUCT_KINDS = frozenset({"conduct", "communication", "standing", "letter"})


@dataclass(frozen=True)
class Item:
    at: datetime
    kind: str
    obj: object
    when: str = ""  # `at` as the page writes it, in the practice's time zone


@dataclass(frozen=True)
class Timeline:
    items: list[Item]  # newest first
    more: bool  # older items were left out (a limit was given)


def timeline(client_id: int, *, kinds: set[str], viewer_id: int | None, past_appointments,
             limit: int | None = None, more_appointments: bool = False,
             communications: list[Communication] | None = None) -> Timeline:
    """The client's history, newest first, limited to `kinds`, and to its latest `limit`
    items when given (each kind reads at most that many and one more). Past appointments
    come from the page's appointment history (rows with what is owing), already loaded and
    limited alike (`more_appointments`: some were left out); the communications too when
    the page has read them (`latest_communications`, with the same limit)."""
    items, more = [], False
    if "appointment" in kinds:
        items.extend(Item(row.appointment.start_at, "appointment", row) for row in past_appointments)
        more = more_appointments
    for kind in kinds - {"appointment"}:
        if kind == "communication" and communications is not None:
            found = [(c.occurred_at, c) for c in communications]
        else:
            found = READERS[kind](client_id, viewer_id, None if limit is None else limit + 1)
        more = more or (limit is not None and len(found) > limit)
        items.extend(Item(at, kind, obj) for at, obj in found)
    items.sort(key=lambda item: item.at, reverse=True)
    if limit is not None and len(items) > limit:
        items, more = items[:limit], True
    # Written here once, with the zone looked up once, not by a template filter for each item.
    zone = practice_zone(db.session)
    return Timeline([replace(item, when=item.at.astimezone(zone).strftime(WHEN)) for item in items], more)


def _latest(query, *columns):
    """`query` newest first by `columns`: all rows, and the latest `limit` (a parameter)."""
    everything = query.order_by(*(column.desc() for column in columns))
    return everything, everything.limit(bindparam("limit"))


# Each kind's statements are built once, not on each view of the client page (building one
# and its cache key took longer than running it); the client and the viewer are parameters.
_CONDUCT = _latest(  # plain rows of what the history shows of an entry (its files are on the record's page)
    select(ConductEntry.occurred_from, ConductEntry.kind, ConductEntry.safety, ConductEntry.minutes,
           ConductEntry.corrects_id, ConductEntry.description, IncidentCategory.label.label("category_label"))
    .outerjoin(IncidentCategory, IncidentCategory.id == ConductEntry.category_id)
    .where(ConductEntry.client_id == bindparam("client_id")), ConductEntry.occurred_from)
_COMMUNICATIONS = _latest(  # in the order of the record's summary, which takes the first as the latest
    select(Communication).where(Communication.client_id == bindparam("client_id")),
    Communication.occurred_at, Communication.id)
_STANDING = _latest(
    select(StandingChange).options(joinedload(StandingChange.changed_by))
    .where(StandingChange.client_id == bindparam("client_id")), StandingChange.changed_at)
_NOTES = _latest(
    select(PrivateNote).where(PrivateNote.client_id == bindparam("client_id"),
                              PrivateNote.author_id == bindparam("viewer_id")), PrivateNote.written_at)


def _read(statements, limit, **parameters):
    everything, latest = statements
    if limit is None:
        return db.session.execute(everything, parameters)
    return db.session.execute(latest, {**parameters, "limit": limit})


def _conduct(client_id, _viewer_id, limit):
    return [(e.occurred_from, e) for e in _read(_CONDUCT, limit, client_id=client_id)]


def latest_communications(client_id: int, limit: int | None) -> list[Communication]:
    """The client's communications newest first, the latest `limit` and one more (all when
    None): read once by the client page for its history and the record's summary."""
    return list(_read(_COMMUNICATIONS, None if limit is None else limit + 1, client_id=client_id).scalars())


def _communications(client_id, _viewer_id, limit):
    return [(c.occurred_at, c) for c in _read(_COMMUNICATIONS, limit, client_id=client_id).scalars()]


def _standing(client_id, _viewer_id, limit):
    return [(s.changed_at, s) for s in _read(_STANDING, limit, client_id=client_id).scalars()]


def _notes(client_id, viewer_id, limit):
    if viewer_id is None:
        return []
    return [(n.written_at, n) for n in _read(_NOTES, limit, client_id=client_id, viewer_id=viewer_id).scalars()]


def _letters(client_id, _viewer_id, limit):
    from practice.letters.queries import letters_for_client  # letters import clients

    return [(letter.issued_at, letter) for letter in letters_for_client(client_id, limit=limit)]


READERS = {
    "letter": _letters,
    "conduct": _conduct,
    "communication": _communications,
    "standing": _standing,
    "note": _notes,
}
