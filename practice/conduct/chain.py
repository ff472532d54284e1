"""The hash chain that makes the conduct record tamper-evident.

Each entry's hash is SHA-256 over a canonical serialisation of its fields (sorted-key JSON,
times as UTC ISO strings, the SHA-256 of each attachment, the ids of related entries and the
hash of the entry before it). Changing, removing or reordering an entry behind the
application's back breaks the chain at that entry, and `verify_chain` names it."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import attrgetter

from sqlalchemy import select

from practice.conduct.models import Attachment, ChainCheck, ConductEntry
from practice.db import advisory_lock

GENESIS = "0" * 64  # the "previous hash" of the first entry
CHAIN_LOCK_KEY = 4_240_001  # PostgreSQL advisory lock taken while appending
BATCH = 500

HASHED_FIELDS = (
    "seq", "client_id", "kind", "category_id", "severity", "safety", "occurred_from",
    "occurred_to", "recorded_at", "recorded_by_id", "source", "appointment_id", "policy_id",
    "minutes", "amount_cents", "location", "channel", "description", "response", "effect",
    "witnesses", "police_reference", "note", "corrects_id", "withdrawn", "related_ids",
    "prev_hash",
)
ATTACHMENT_FIELDS = ("filename", "media_type", "size", "sha256")
TIME_FIELDS = ("occurred_from", "occurred_to", "recorded_at")  # written as UTC ISO strings


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return value


# The document's keys in sorted order, read in one call: dicts built in this order encode as
# `json.dumps(..., sort_keys=True)` would, without sorting each entry again.
_DOCUMENT_KEYS = tuple(sorted((*HASHED_FIELDS, "attachments")))
_FIELD_KEYS = tuple(name for name in _DOCUMENT_KEYS if name != "attachments")
_READ_FIELDS = attrgetter(*_FIELD_KEYS)
_TIMES_AT = tuple(_FIELD_KEYS.index(name) for name in TIME_FIELDS)
_ATTACHMENTS_AT = _DOCUMENT_KEYS.index("attachments")
_READ_ATTACHMENT = attrgetter(*sorted(ATTACHMENT_FIELDS))
_ATTACHMENT_KEYS = tuple(sorted(ATTACHMENT_FIELDS))
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical(entry, attachments) -> bytes:
    """The bytes an entry's hash is taken over: sorted-key JSON of its fields and of its
    attachments' fields. `entry` and `attachments` may be ORM objects or database rows:
    anything with the fields as attributes."""
    values = list(_READ_FIELDS(entry))
    for index in _TIMES_AT:
        values[index] = _plain(values[index])
    values.insert(_ATTACHMENTS_AT, [dict(zip(_ATTACHMENT_KEYS, _READ_ATTACHMENT(attachment), strict=True))
                                    for attachment in attachments])
    return _encode(dict(zip(_DOCUMENT_KEYS, values, strict=True))).encode()


def entry_hash(entry, attachments) -> str:
    return hashlib.sha256(canonical(entry, attachments)).hexdigest()


def lock_chain(session) -> None:
    """Serialise appends so that two writers cannot both extend the same last entry.

    SQLite: the database's write lock, before the last entry is read (a unit of work that
    writes began IMMEDIATE and holds it already). PostgreSQL: a transaction-scoped advisory
    lock, held until the unit of work commits."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    advisory_lock(connection, CHAIN_LOCK_KEY)


def append(session, entry: ConductEntry, attachments: list[Attachment]) -> ConductEntry:
    """Link `entry` (every field set) to the end of the chain and add it with its
    attachments. The unit of work commits; the lock is held until then."""
    lock_chain(session)
    last = session.execute(
        select(ConductEntry.seq, ConductEntry.hash).order_by(ConductEntry.seq.desc()).limit(1)
    ).first()
    entry.seq = last.seq + 1 if last else 1
    entry.prev_hash = last.hash if last else GENESIS
    entry.hash = entry_hash(entry, attachments)
    entry.attachments = attachments
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int  # entries checked
    bad_entry_id: int | None = None
    reason: str = ""
    head_hash: str = GENESIS  # the last entry's hash: note it to detect removal of the latest
    through_seq: int = 0  # the place of the last entry found intact

    @property
    def summary(self) -> str:
        if self.ok:
            return f"All {self.count} entries verified: the record is unaltered."
        return f"Entry {self.bad_entry_id} fails verification: {self.reason}"


def _entries_after(session, seq: int):
    table = ConductEntry.__table__
    return session.execute(
        select(table).where(table.c.seq > seq).order_by(table.c.seq).limit(BATCH)
    ).all()


def _attachments_of(session, entry_ids: list[int], *, with_data: bool) -> dict[int, list]:
    table = Attachment.__table__
    columns = [c for c in table.c if with_data or c.name != "data"]
    found: dict[int, list] = {entry_id: [] for entry_id in entry_ids}
    for row in session.execute(
        select(*columns).where(table.c.entry_id.in_(entry_ids)).order_by(table.c.id)
    ):
        found[row.entry_id].append(row)
    return found


def _fault(row, attachments, expected_seq: int, prev_hash: str) -> str:
    if row.seq != expected_seq:
        return f"it is in place {row.seq} of the chain where {expected_seq} was expected: an entry before it is missing."
    if row.prev_hash != prev_hash:
        return "its link to the entry before it does not match: that entry was changed or removed."
    return _content_fault(row, attachments)


def _content_fault(row, attachments) -> str:
    for attachment in attachments:
        if hasattr(attachment, "data") and hashlib.sha256(attachment.data).hexdigest() != attachment.sha256:
            return f"the attachment {attachment.filename!r} was changed after it was recorded."
    if entry_hash(row, attachments) != row.hash:
        return "its contents do not match its hash: it was changed after it was recorded."
    return ""


def verify_chain(session, *, check_files: bool = True) -> Verification:
    """The full check: every entry in chain order, a batch at a time; stop at the first that
    fails. `check_files=False` trusts the stored SHA-256 of each attachment instead of
    reading the file again. `practice verify-log` and the daily job run it (and keep what
    they found as a ChainCheck); pages check one client's entries (`check_client`)."""
    count, prev_hash, seq = 0, GENESIS, 0
    while rows := _entries_after(session, seq):
        attachments = _attachments_of(session, [row.id for row in rows], with_data=check_files)
        for row in rows:
            reason = _fault(row, attachments[row.id], count + 1, prev_hash)
            if reason:
                return Verification(False, count, row.id, reason, prev_hash, seq)
            count, prev_hash, seq = count + 1, row.hash, row.seq
    return Verification(True, count, head_hash=prev_hash, through_seq=seq)


# One client's entries ------------------------------------------------------------------------

def _with_neighbours(client_id: int):
    """The client's entries in chain order, each with the hash of the entry before it and
    the link the entry after it holds (whoever's they are): one query on `seq`'s index."""
    entry = ConductEntry.__table__
    before, after = entry.alias("before"), entry.alias("after")
    return (
        select(entry, before.c.hash.label("before_hash"), after.c.prev_hash.label("after_link"))
        .outerjoin(before, before.c.seq == entry.c.seq - 1)
        .outerjoin(after, after.c.seq == entry.c.seq + 1)
        .where(entry.c.client_id == client_id)
        .order_by(entry.c.seq)
    )


def _link_fault(row, head_seq: int) -> str:
    """What is wrong with the entry's links to its neighbours in the whole chain, if anything."""
    if row.seq == 1:
        if row.prev_hash != GENESIS:
            return "it is first in the chain but links to an entry before it."
    elif row.before_hash is None:
        return f"the entry before it (place {row.seq - 1} of the chain) is missing."
    elif row.before_hash != row.prev_hash:
        return "its link to the entry before it does not match: that entry was changed or removed."
    if row.after_link is None and row.seq < head_seq:
        return f"the entry after it (place {row.seq + 1} of the chain) is missing."
    if row.after_link is not None and row.after_link != row.hash:
        return "the entry after it holds another hash for it: it was changed and hashed again."
    return ""


@dataclass(frozen=True)
class LastCheck:
    """The latest full check of the chain, and whether the entry it ended at is unchanged."""

    check: ChainCheck
    holds: bool


@dataclass(frozen=True)
class ClientCheck:
    """What a page about one client says of the record's integrity."""

    entries: Verification  # the client's entries, their files if read, and their links
    last_full: LastCheck | None  # None: the whole chain has never been checked

    @property
    def ok(self) -> bool:
        return self.entries.ok and (self.last_full is None or (self.last_full.check.ok and self.last_full.holds))


def verify_client(session, client_id: int, *, check_files: bool) -> Verification:
    """The client's entries: each one's hash over its fields (and, with `check_files`, its
    files' bytes), its link to the entry before it and the link the entry after it holds.
    Three queries, whatever the size of the practice's log; the first fault is named."""
    head = session.execute(
        select(ConductEntry.seq, ConductEntry.hash).order_by(ConductEntry.seq.desc()).limit(1)).first()
    rows = session.execute(_with_neighbours(client_id)).all()
    attachments = _attachments_of(session, [row.id for row in rows], with_data=check_files) if rows else {}
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    for count, row in enumerate(rows):
        reason = _link_fault(row, head_seq) or _content_fault(row, attachments[row.id])
        if reason:
            return Verification(False, count, row.id, reason, head_hash)
    return Verification(True, len(rows), head_hash=head_hash, through_seq=head_seq)


def last_full_check(session) -> LastCheck | None:
    """The latest ChainCheck, and whether the entry it ended at still has the hash it had
    (one query)."""
    row = session.execute(
        select(ChainCheck, ConductEntry.hash)
        .outerjoin(ConductEntry, ConductEntry.seq == ChainCheck.through_seq)
        .order_by(ChainCheck.checked_at.desc(), ChainCheck.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    check, current_hash = row
    holds = current_hash == check.head_hash if check.through_seq else True
    return LastCheck(check, holds)


def check_client(session, client_id: int, *, check_files: bool = False) -> ClientCheck:
    return ClientCheck(verify_client(session, client_id, check_files=check_files), last_full_check(session))
