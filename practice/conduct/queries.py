"""Reads for the conduct pages and the evidence report, each in a fixed number of queries.
Pages check the client's own entries and their links to their neighbours in the chain, and
show when the whole chain was last checked in full (practice verify-log, the daily job)."""

from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, case, func, select, union_all
from sqlalchemy.orm import aliased, defer, joinedload, selectinload, subqueryload

from practice.auth.models import User
from practice.clients.models import Client
from practice.conduct.chain import ClientCheck, check_client
from practice.conduct.models import (
    COMMUNICATION_KINDS,
    KINDS,
    Attachment,
    Communication,
    CommunicationLabels,
    ConductEntry,
    EntryLabels,
    IncidentCategory,
)
from practice.db import db
from practice.paging import Window, window_of

# As the other long lists (PRACTICE_PAGE_SIZE): each entry is a card of its facts, and writing
# fifty of them was most of the page's time after the integrity check.
ENTRIES_PER_PAGE = 25
COMMUNICATIONS_SHOWN = 20  # on the record's page, unless all are asked for


@dataclass
class EntryView:
    """An original entry with the corrections made to it (oldest first)."""

    entry: "ConductEntry | ShownEntry"
    corrections: list = field(default_factory=list)

    @property
    def latest(self) -> "ConductEntry | ShownEntry":
        """What the record now says: the last correction, else the entry itself."""
        return self.corrections[-1] if self.corrections else self.entry

    @property
    def withdrawn(self) -> bool:
        return self.latest.withdrawn


@dataclass
class ConductRecord:
    client: Client
    entries: Window  # of EntryView: originals, most recent occurrence first
    communications: list["ShownCommunication"]  # most recent first
    communications_total: int
    check: ClientCheck  # with the files of the entries (`files`)

    @property
    def files(self) -> dict[int, list]:
        """Each entry's attachments (their fields, not their bytes), by entry id."""
        return self.check.files


def _whole_record(client_id: int):
    """The client's entries for the evidence report, each with its category, who recorded it
    (joined, one row each: a query more for each would build their parents' keys again in
    Python) and its attachments without their bytes (the check reads those on its own)."""
    # selectinload asks for 500 entries' attachments a query; the whole record (hundreds of
    # entries) loads them in one query however many there are.
    return (
        select(ConductEntry)
        .options(joinedload(ConductEntry.category), joinedload(ConductEntry.recorded_by),
                 subqueryload(ConductEntry.attachments).options(defer(Attachment.data)))
        .where(ConductEntry.client_id == client_id)
    )


def group_corrections(entries: list[ConductEntry]) -> list[EntryView]:
    """Originals with their corrections beside them, in the order the originals came."""
    views = {e.id: EntryView(e) for e in entries if e.corrects_id is None}
    for entry in sorted(entries, key=lambda e: e.seq):
        if entry.corrects_id in views:
            views[entry.corrects_id].corrections.append(entry)
    return list(views.values())


class Label(NamedTuple):
    label: str  # an entry's category, as the model's IncidentCategory.label


class Person(NamedTuple):
    name: str  # who recorded an entry or a communication, as the model's User.name


_ENTRY, _COMMUNICATION = ConductEntry.__table__, Communication.__table__
_CATEGORY, _USER = IncidentCategory.__table__, User.__table__
# What the record's page writes of each entry (templates' entry_facts and the cards).
_SHOWN_FIELDS = ("id", "seq", "corrects_id", "kind", "source", "safety", "withdrawn", "severity",
                 "occurred_from", "occurred_to", "recorded_at", "appointment_id", "minutes",
                 "amount_cents", "channel", "location", "description", "response", "effect",
                 "witnesses", "police_reference", "note", "related_ids")
_COMMUNICATION_FIELDS = ("occurred_at", "kind", "channel", "summary", "recorded_at")


class ShownEntry(namedtuple("ShownEntry", [*_SHOWN_FIELDS, "category", "recorded_by"]), EntryLabels):
    """An entry as the record's page shows it: its values, its category's label and who
    recorded it by the names the model gives them, so the shared entry_facts macro reads it
    as it reads a ConductEntry. Plain values, not ORM objects: loading the page's fifty
    entries and twenty communications as objects (the identity map, each attribute's
    instrumentation, their categories' and users' objects) was about a seventh of a view."""

    __slots__ = ()

    @classmethod
    def of(cls, row) -> "ShownEntry":
        *values, category, recorded_by = row
        return cls(*values, None if category is None else Label(category),
                   None if recorded_by is None else Person(recorded_by))


class ShownCommunication(namedtuple("ShownCommunication", [*_COMMUNICATION_FIELDS, "recorded_by"]),
                         CommunicationLabels):
    """A communication as the record's page shows it (as ShownEntry, for the same reason)."""

    __slots__ = ()

    @classmethod
    def of(cls, row) -> "ShownCommunication":
        *values, recorded_by, _total = row
        return cls(*values, None if recorded_by is None else Person(recorded_by))


def _record_statements():
    """The conduct record page's reads of the client `client_id` (a parameter): a page of
    originals (`limit`, `offset`) with the corrections of those, in one query; their latest
    `limit` communications or all of them, each with how many there are in all (one read:
    a query of its own was a round trip more on every view)."""
    client_id = bindparam("client_id")
    original, correction = _ENTRY.alias("original"), _ENTRY.alias("correction")
    page = (select(original.c.id).where(original.c.client_id == client_id, original.c.corrects_id.is_(None))
            .order_by(original.c.occurred_from.desc(), original.c.seq.desc())
            .limit(bindparam("limit")).offset(bindparam("offset")).cte("page"))
    # The ids of the page's originals, then of their corrections on the index of what they
    # correct: the entries are then read by id (neither database reads the client's whole
    # record, nor PostgreSQL the whole log, as for an OR of the two).
    ids = union_all(select(page.c.id),
                    select(correction.c.id).join(page, correction.c.corrects_id == page.c.id))
    # The category and who recorded each come in the same query (joined). Their files are
    # those the check reads on every view (ClientCheck.files): a read of them here too was a
    # query more and a tenth of the page's reads in SQLAlchemy.
    shown = (select(*(_ENTRY.c[name] for name in _SHOWN_FIELDS), _CATEGORY.c.label, _USER.c.name)
             .select_from(_ENTRY.outerjoin(_CATEGORY, _ENTRY.c.category_id == _CATEGORY.c.id)
                          .outerjoin(_USER, _ENTRY.c.recorded_by_id == _USER.c.id))
             .where(_ENTRY.c.id.in_(ids)))
    communications = (select(*(_COMMUNICATION.c[name] for name in _COMMUNICATION_FIELDS), _USER.c.name,
                             func.count().over().label("total"))
                      .select_from(_COMMUNICATION.outerjoin(_USER, _COMMUNICATION.c.recorded_by_id == _USER.c.id))
                      .where(_COMMUNICATION.c.client_id == client_id)
                      .order_by(_COMMUNICATION.c.occurred_at.desc(), _COMMUNICATION.c.id.desc()))
    return shown, communications, communications.limit(bindparam("limit"))


# Built once, not on each view of the record (building them took longer than running them).
_SHOWN, _COMMUNICATIONS, _LATEST_COMMUNICATIONS = _record_statements()


def _most_recent_first(entry: ConductEntry) -> tuple:
    return entry.occurred_from, entry.seq  # as the page's originals are ordered, reversed


def conduct_record(client_id: int, *, page: int = 1, all_communications: bool = False) -> ConductRecord | None:
    """One page of the client's entries (originals, most recent first, each with its
    corrections), their latest communications (or all), and the integrity check."""
    client = db.session.get(Client, client_id)
    if client is None:
        return None
    per_page, theirs = ENTRIES_PER_PAGE, {"client_id": client_id}
    connection = db.session.connection()  # Core statements: the session's ORM layer adds nothing
    # A page of originals and one more, which says whether another page follows
    # (paging.window), with the corrections of each.
    entries = list(map(ShownEntry.of, connection.execute(
        _SHOWN, {**theirs, "limit": per_page + 1, "offset": (page - 1) * per_page})))
    found = sorted((entry for entry in entries if entry.corrects_id is None), key=_most_recent_first, reverse=True)
    originals = window_of(found, page=page, per_page=per_page)
    kept = {entry.id for entry in originals.items}
    originals.items = group_corrections(originals.items + [entry for entry in entries if entry.corrects_id in kept])
    communications = (connection.execute(_COMMUNICATIONS, theirs) if all_communications else
                      connection.execute(_LATEST_COMMUNICATIONS, {**theirs, "limit": COMMUNICATIONS_SHOWN})).all()
    total = communications[0].total if communications else 0
    return ConductRecord(client, originals, list(map(ShownCommunication.of, communications)), total,
                         check_client(db.session, client_id))


@dataclass
class Evidence:
    client: Client
    start: datetime | None
    end: datetime | None
    entries: list[EntryView]  # originals in the order they happened
    communications: list[Communication]  # in the order they happened
    check: ClientCheck  # every file of the client's entries read again

    @property
    def attachments(self) -> list[Attachment]:
        return [attachment for view in self.entries for entry in (view.entry, *view.corrections)
                for attachment in entry.attachments]


def evidence(client_id: int, start: datetime | None, end: datetime | None) -> Evidence | None:
    """The client's record for a period (by when things happened), and the check of all the
    client's entries with their files and links. The files' bytes stay unloaded here: the
    check reads them on its own, pictures print from their copies."""
    client = db.session.get(Client, client_id)
    if client is None:
        return None
    query = _whole_record(client_id)
    communications = select(Communication).options(selectinload(Communication.recorded_by)).where(
        Communication.client_id == client_id)
    if start:
        query = query.where(ConductEntry.occurred_from >= start)
        communications = communications.where(Communication.occurred_at >= start)
    if end:
        query = query.where(ConductEntry.occurred_from < end)
        communications = communications.where(Communication.occurred_at < end)
    entries = sorted(db.session.scalars(query), key=lambda e: (e.occurred_from, e.seq))
    views = group_corrections(entries)
    views.sort(key=lambda view: (view.entry.occurred_from, view.entry.seq))
    return Evidence(
        client, start, end, views,
        list(db.session.scalars(communications.order_by(Communication.occurred_at, Communication.id))),
        check_client(db.session, client_id, check_files=True),
    )


def categories(*, include_retired: bool = False) -> list[IncidentCategory]:
    query = select(IncidentCategory).order_by(IncidentCategory.position, IncidentCategory.id)
    if not include_retired:
        query = query.where(IncidentCategory.retired_at.is_(None))
    return list(db.session.scalars(query))


def entry_for_page(entry_id: int) -> ConductEntry | None:
    return db.session.scalar(
        select(ConductEntry)
        .options(selectinload(ConductEntry.client), selectinload(ConductEntry.category),
                 selectinload(ConductEntry.attachments).options(defer(Attachment.data)))
        .where(ConductEntry.id == entry_id)
    )


def related_choices(client_id: int) -> list[ConductEntry]:
    """The client's original entries, for the related-entries picker (most recent first)."""
    return list(db.session.scalars(
        select(ConductEntry).where(ConductEntry.client_id == client_id, ConductEntry.corrects_id.is_(None))
        .order_by(ConductEntry.occurred_from.desc(), ConductEntry.seq.desc())
    ))


@dataclass(frozen=True)
class LatestEntry:
    kind: str
    occurred_from: datetime

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class LatestCommunication:
    kind: str
    occurred_at: datetime

    @property
    def kind_label(self) -> str:
        return COMMUNICATION_KINDS.get(self.kind, self.kind)


@dataclass
class ConductSummary:
    """The client page's short view of the record (no chain check: the record page has it)."""

    counts: dict[str, int]
    safety_count: int
    latest: LatestEntry | None
    last_communication: LatestCommunication | None
    labels: dict[str, str] = field(default_factory=lambda: dict(KINDS))


def _summary_statements():
    """What the record of the client `client_id` (a parameter) now says (the latest
    correction of each entry, leaving out those withdrawn, as group_corrections sees it)
    counted by kind, and their latest communication."""
    e, later = ConductEntry, aliased(ConductEntry)
    client_id = bindparam("client_id")
    superseded = (select(later.id)
                  .where(later.corrects_id == func.coalesce(e.corrects_id, e.id), later.seq > e.seq)
                  .exists())
    counts = (select(e.kind, func.count(), func.sum(case((e.safety, 1), else_=0)), func.max(e.occurred_from))
              .where(e.client_id == client_id, e.withdrawn.is_(False), ~superseded)
              .group_by(e.kind))
    last_communication = (select(Communication.kind, Communication.occurred_at).where(Communication.client_id == client_id)
                          .order_by(Communication.occurred_at.desc(), Communication.id.desc()).limit(1))
    return counts, last_communication


# Built once, not on each view of the client page (building them took longer than running them).
SUMMARY_COUNTS, LAST_COMMUNICATION = _summary_statements()


def conduct_summary(client_id: int, *, communications: list[tuple[str, datetime]] | None = None) -> ConductSummary:
    """Two queries, however long the record: what it now says counted by kind in the
    database, and the latest communication; one when the caller has read the client's
    latest `communications` already (their kind and when, newest first, as
    LAST_COMMUNICATION orders them)."""
    counts, safety, latest = {}, 0, None
    for kind, number, safe, last in db.session.execute(SUMMARY_COUNTS, {"client_id": client_id}):
        counts[kind], safety = int(number), safety + int(safe)
        if latest is None or last > latest.occurred_from:
            latest = LatestEntry(kind, last)
    if communications is None:
        communications = db.session.execute(LAST_COMMUNICATION, {"client_id": client_id}).all()
    last_communication = LatestCommunication(*communications[0]) if communications else None
    ordered = {kind: counts[kind] for kind in [*KINDS, *sorted(set(counts) - set(KINDS))] if kind in counts}
    return ConductSummary(ordered, safety, latest, last_communication)
