"""One chronological view of a client: appointments, the conduct record, communications,
standing decisions, referrals and the viewer's own private notes.

Every kind but appointments (the page's appointment history) is read in one query, so the
page's query count does not grow with the record. What a viewer may see is decided by the
caller (the permission check) and passed in `kinds`."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    union_all,
)

from practice.auth.models import Practitioner, User
from practice.clients.models import PrivateNote, StandingChange
from practice.conduct import escalation
from practice.conduct.models import Communication, ConductEntry, IncidentCategory
from practice.db import db
from practice.letters.models import Letter
from practice.scheduling.queries import WHEN, named_rows
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


def events(client_id: int, *, kinds: set[str], viewer_id: int | None, limit: int | None,
           ladder_from: datetime | None = None) -> dict[str, list]:
    """The client's events of `kinds` other than appointments, each kind newest first (its
    latest `limit` and one more when a limit is given), in one statement however many kinds:
    plain rows of `kind`, `at`, `id` and the columns each kind's line shows (see `_part`).
    The viewer's own private notes only: none without a viewer. With `ladder_from`, the
    same statement also reads what the ladder of next steps reads (see `suggestion`), whatever
    the limit: the entries that happened from then ("ladder") and the policy communications
    ("told"), a statement fewer than the ladder reading them itself."""
    read = frozenset(kinds & set(_PARTS) - ({"note"} if viewer_id is None else set())) | (
        _LADDER_KINDS if ladder_from else frozenset())
    found = {kind: [] for kind in read}
    if read:
        parameters = {"client_id": client_id, "viewer_id": viewer_id, "limit": (limit or 0) + 1,
                      "ladder_from": ladder_from}
        rows = map(EventColumns._make, db.session.execute(_events(read, limit is not None), parameters).all())
        for row in sorted(rows, key=_in_time, reverse=True):
            found[row.kind].append(row)
    return found


def suggestion(client, events: dict[str, list], policy, now: datetime) -> escalation.Suggestion | None:
    """The ladder's suggested next step for `client` at `now`, from the rows `events` read
    with `ladder_from=escalation.reach_back(policy, [now])`, oldest first as it reads them."""
    client_id = client.id  # read once: an ORM attribute, for each of hundreds of rows
    entries = [escalation.LadderEntry(row.id, client_id, row.type, row.at, row.minutes, row.safety, row.withdrawn,
                            row.corrects_id, row.label) for row in reversed(events["ladder"])]
    told = [escalation.Told(client_id, row.type, row.at) for row in reversed(events["told"])]
    at = escalation.suggestions_from([client], entries, told, policy, [now], practice_zone(db.session))
    return at[now][client.id]




def _in_time(row) -> tuple:
    return row.at, row.id


def timeline(*, kinds: set[str], events: dict[str, list], past_appointments, limit: int | None = None,
             more_appointments: bool = False) -> Timeline:
    """The client's history, newest first, limited to `kinds`, and to its latest `limit`
    items when given. Past appointments come from the page's appointment history (rows with
    what is owing), the other kinds from `events` (read with the same limit);
    `more_appointments`: some appointments were left out."""
    found, more = [], False
    if "appointment" in kinds:
        found.extend((row.appointment.start_at, "appointment", row) for row in past_appointments)
        more = more_appointments
    # In KINDS' order, so items of one minute keep one order (a set's would change with the
    # server process's hash seed).
    for kind in [kind for kind in KINDS if kind in kinds and kind in events]:
        more = more or (limit is not None and len(events[kind]) > limit)
        found.extend((row.at, kind, row) for row in events[kind])
    found.sort(key=lambda item: item[0], reverse=True)
    if limit is not None and len(found) > limit:
        found, more = found[:limit], True
    # Written here once, with the zone looked up once, not by a template filter for each item.
    zone = practice_zone(db.session)
    return Timeline([Item(at, kind, row, at.astimezone(zone).strftime(WHEN)) for at, kind, row in found], more)


def _part(kind: str, at, key, where, *, type=None, detail=None, text=None, label=None, minutes=None,
          safety=None, corrects_id=None, withdrawn=None):
    """One kind's rows of the history's union, with the same columns, typed when empty (a
    union's columns must agree): `type` its own kind (an entry's, a letter's...) or the
    standing changed from, `detail` the channel or the standing changed to, `text` what was
    written, `label` a name shown with it (the entry's category, who changed the standing,
    the letter's author, the colleague consulted)."""
    return select(
        literal_column(f"'{kind}'", String).label("kind"), at.label("at"), key.label("id"),
        _or_null(type, String).label("type"), _or_null(detail, String).label("detail"),
        _or_null(text, Text).label("text"), _or_null(label, String).label("label"),
        _or_null(minutes, Integer).label("minutes"), _or_null(safety, Boolean).label("safety"),
        _or_null(corrects_id, Integer).label("corrects_id"), _or_null(withdrawn, Boolean).label("withdrawn"),
    ).where(where)


def _or_null(column, type_):
    return cast(null(), type_) if column is None else column


_CLIENT = bindparam("client_id")
_PARTS = {
    "conduct": lambda: _part(
        "conduct", ConductEntry.occurred_from, ConductEntry.id, ConductEntry.client_id == _CLIENT,
        type=ConductEntry.kind, text=ConductEntry.description, label=IncidentCategory.label,
        minutes=ConductEntry.minutes, safety=ConductEntry.safety, corrects_id=ConductEntry.corrects_id,
    ).outerjoin(IncidentCategory, IncidentCategory.id == ConductEntry.category_id),
    "communication": lambda: _part(
        "communication", Communication.occurred_at, Communication.id, Communication.client_id == _CLIENT,
        type=Communication.kind, detail=Communication.channel, text=Communication.summary),
    "standing": lambda: _part(
        "standing", StandingChange.changed_at, StandingChange.id, StandingChange.client_id == _CLIENT,
        type=StandingChange.from_standing, detail=StandingChange.to_standing, text=StandingChange.reason,
        label=User.name,
    ).outerjoin(User, User.id == StandingChange.changed_by_id),
    "letter": lambda: _part(
        "letter", Letter.issued_at, Letter.id, Letter.client_id == _CLIENT,
        type=Letter.kind, detail=Letter.channel, label=Practitioner.display_name,
    ).outerjoin(Practitioner, Practitioner.id == Letter.author_id),
    "note": lambda: _part(
        "note", PrivateNote.written_at, PrivateNote.id,
        (PrivateNote.client_id == _CLIENT) & (PrivateNote.author_id == bindparam("viewer_id")),
        type=PrivateNote.kind, text=PrivateNote.body, label=PrivateNote.colleague),
}
# What the ladder of next steps reads (escalation._record_statement reads the same for itself).
_LADDER_PARTS = {
    "ladder": lambda: _part(
        "ladder", ConductEntry.occurred_from, ConductEntry.id,
        (ConductEntry.client_id == _CLIENT) & (ConductEntry.occurred_from >= bindparam("ladder_from")),
        type=ConductEntry.kind, label=IncidentCategory.label, minutes=ConductEntry.minutes,
        safety=ConductEntry.safety, corrects_id=ConductEntry.corrects_id, withdrawn=ConductEntry.withdrawn,
    ).outerjoin(IncidentCategory, IncidentCategory.id == ConductEntry.category_id),
    "told": lambda: _part(
        "told", Communication.occurred_at, Communication.id,
        (Communication.client_id == _CLIENT) & Communication.kind.in_(escalation.POLICY_COMMUNICATIONS),
        type=Communication.kind),
}
_LADDER_KINDS = frozenset(_LADDER_PARTS)
# The union's rows as named tuples (every kind's part has the same columns): a long record's
# hundreds of rows are each read by name several times (sorted, the ladder, the history's lines).
EventColumns = named_rows(_PARTS["note"]().selected_columns, "EventColumns")


@cache
def _events(kinds: frozenset[str], limited: bool):
    """The union of `kinds`' rows, each history kind's latest `limit` (a parameter) when
    `limited` (the ladder's, all of them): built once for each choice of kinds (building one
    took longer than running it). The latest are subqueries of their own, as SQLite takes no
    LIMIT on a part of a union."""
    parts = []
    for kind in sorted(kinds):
        part = (_PARTS | _LADDER_PARTS)[kind]()
        if limited and kind in _PARTS:
            at, key = part.selected_columns.at, part.selected_columns.id
            part = select(part.order_by(at.desc(), key.desc()).limit(bindparam("limit")).subquery())
        parts.append(part)
    return union_all(*parts)
