"""The hash chain that makes the conduct record tamper-evident.

Each entry's hash is SHA-256 over a canonical serialisation of its fields (sorted-key JSON,
times as UTC ISO strings, the SHA-256 of each attachment, the ids of related entries and the
hash of the entry before it). Changing, removing or reordering an entry behind the
application's back breaks the chain at that entry, and `verify_chain` names it."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, text

from practice.conduct.models import Attachment, ConductEntry

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


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return value


def canonical(entry, attachments) -> bytes:
    """The bytes an entry's hash is taken over. `entry` and `attachments` may be ORM objects
    or database rows: anything with the fields as attributes."""
    document = {name: _plain(getattr(entry, name)) for name in HASHED_FIELDS}
    document["attachments"] = [
        {name: getattr(attachment, name) for name in ATTACHMENT_FIELDS} for attachment in attachments
    ]
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


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
    else:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


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
    for attachment in attachments:
        if hasattr(attachment, "data") and hashlib.sha256(attachment.data).hexdigest() != attachment.sha256:
            return f"the attachment {attachment.filename!r} was changed after it was recorded."
    if entry_hash(row, attachments) != row.hash:
        return "its contents do not match its hash: it was changed after it was recorded."
    return ""


def verify_chain(session, *, check_files: bool = True) -> Verification:
    """Check every entry in chain order, a batch at a time; stop at the first that fails.
    `check_files=False` trusts the stored SHA-256 of each attachment instead of reading the
    file again (quick enough for a page)."""
    count, prev_hash, seq = 0, GENESIS, 0
    while rows := _entries_after(session, seq):
        attachments = _attachments_of(session, [row.id for row in rows], with_data=check_files)
        for row in rows:
            reason = _fault(row, attachments[row.id], count + 1, prev_hash)
            if reason:
                return Verification(False, count, row.id, reason, prev_hash)
            count, prev_hash, seq = count + 1, row.hash, row.seq
    return Verification(True, count, head_hash=prev_hash)
