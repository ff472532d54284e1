"""One chronological view of a client: appointments, the conduct record, communications,
standing decisions, referrals and the viewer's own private notes.

Each kind is one query, so the page's query count does not grow with the record. What a
viewer may see is decided by the caller (the permission check) and passed in `kinds`."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from practice.clients.models import PrivateNote, StandingChange
from practice.conduct.models import Communication, ConductEntry
from practice.db import db

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


def timeline(client_id: int, *, kinds: set[str], viewer_id: int | None, past_appointments) -> list[Item]:
    """The client's history, newest first, limited to `kinds`. Past appointments come from
    the page's appointment history (rows with what is owing), already loaded."""
    items = []
    if "appointment" in kinds:
        items.extend(Item(row.appointment.start_at, "appointment", row) for row in past_appointments)
    for kind in kinds - {"appointment"}:
        items.extend(Item(at, kind, obj) for at, obj in READERS[kind](client_id, viewer_id))
    return sorted(items, key=lambda item: item.at, reverse=True)


def _conduct(client_id, _viewer_id):
    rows = db.session.scalars(
        select(ConductEntry)
        .options(joinedload(ConductEntry.category), selectinload(ConductEntry.attachments))
        .where(ConductEntry.client_id == client_id)
    )
    return [(e.occurred_from, e) for e in rows]


def _communications(client_id, _viewer_id):
    rows = db.session.scalars(select(Communication).where(Communication.client_id == client_id))
    return [(c.occurred_at, c) for c in rows]


def _standing(client_id, _viewer_id):
    rows = db.session.scalars(
        select(StandingChange).options(joinedload(StandingChange.changed_by))
        .where(StandingChange.client_id == client_id)
    )
    return [(s.changed_at, s) for s in rows]


def _notes(client_id, viewer_id):
    if viewer_id is None:
        return []
    rows = db.session.scalars(
        select(PrivateNote).where(PrivateNote.client_id == client_id, PrivateNote.author_id == viewer_id)
    )
    return [(n.written_at, n) for n in rows]


def _letters(client_id, _viewer_id):
    from practice.letters.queries import letters_for_client  # letters import clients

    return [(letter.issued_at, letter) for letter in letters_for_client(client_id)]


READERS = {
    "letter": _letters,
    "conduct": _conduct,
    "communication": _communications,
    "standing": _standing,
    "note": _notes,
}
