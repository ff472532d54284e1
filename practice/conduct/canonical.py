"""The bytes each conduct entry's hash is taken over, and the full check of the chain.

Kept free of the ORM, Flask-SQLAlchemy and the other domains (only SQLAlchemy Core): `practice
verify-log` loads it without building the app when it must name a failing entry
(practice/verify_log.py).

An entry's canonical form is sorted-key JSON of its fields (times as UTC ISO strings) and of
its attachments' fields. `canonical` builds it from an ORM object or a typed row, one entry
at a time. `canonical_rows` builds the same bytes for a batch of raw database rows a column at
a time, with the functions the JSON encoder itself uses (so the bytes are identical), which
is what makes checking 50,000 entries cheap; a value of a type the column should not hold
(only a hand-edited database has one) sends the batch through the JSON encoder instead."""

import hashlib
import json
from datetime import datetime, timezone
from itertools import chain as joined
from json.encoder import encode_basestring
from operator import attrgetter

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME

from practice.conduct import fullcheck
from practice.conduct.fullcheck import ATTACHMENT_FIELDS, BATCH, FIELD_KINDS, GENESIS, Verification

HASHED_FIELDS = tuple(FIELD_KINDS)
TIME_FIELDS = tuple(name for name, kind in FIELD_KINDS.items() if kind.startswith("time"))

# The tables as the check reads them: column names only, so values arrive as the driver gives
# them (SQLite: times as text, booleans as 0/1), without a converter per value.
ENTRY = sa.table("conduct_entry", sa.column("id"), sa.column("hash"), *(sa.column(name) for name in HASHED_FIELDS))
ATTACHMENT = sa.table("attachment", sa.column("id"), sa.column("entry_id"), sa.column("data"),
                      *(sa.column(name) for name in ATTACHMENT_FIELDS))


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    return value


# The document's keys in sorted order, read in one call: dicts built in this order encode as
# `json.dumps(..., sort_keys=True)` would, without sorting each entry again.
_DOCUMENT_KEYS = fullcheck.DOCUMENT_KEYS
_FIELD_KEYS = tuple(name for name in _DOCUMENT_KEYS if name != "attachments")
_READ_FIELDS = attrgetter(*_FIELD_KEYS)
_TIMES_AT = tuple(_FIELD_KEYS.index(name) for name in TIME_FIELDS)
_ATTACHMENTS_AT = _DOCUMENT_KEYS.index("attachments")
_READ_ATTACHMENT = attrgetter(*sorted(ATTACHMENT_FIELDS))
_ATTACHMENT_KEYS = tuple(sorted(ATTACHMENT_FIELDS))
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _attachment_documents(attachments) -> list[dict]:
    return [dict(zip(_ATTACHMENT_KEYS, _READ_ATTACHMENT(attachment), strict=True)) for attachment in attachments]


def canonical(entry, attachments) -> bytes:
    """The bytes an entry's hash is taken over: sorted-key JSON of its fields and of its
    attachments' fields. `entry` and `attachments` may be ORM objects or typed database rows:
    anything with the fields as attributes."""
    values = list(_READ_FIELDS(entry))
    for index in _TIMES_AT:
        values[index] = _plain(values[index])
    values.insert(_ATTACHMENTS_AT, _attachment_documents(attachments))
    return _encode(dict(zip(_DOCUMENT_KEYS, values, strict=True))).encode()


def entry_hash(entry, attachments) -> str:
    return hashlib.sha256(canonical(entry, attachments)).hexdigest()


# Raw rows, a column at a time -----------------------------------------------------------------

def raw_columns(table=ENTRY) -> list:
    """The hashed fields of `table` (ENTRY or an alias of it) in the order `canonical_rows`
    expects them, as the first columns of a select."""
    return [table.c[name] for name in _FIELD_KEYS]


_sqlite_datetime = SQLITE_DATETIME().result_processor(None, None)


def _utc_iso(value) -> str:
    """A stored time as `_plain` writes it, read as SQLAlchemy reads it (practice.db.UTCDateTime):
    SQLite keeps text, PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = _sqlite_datetime(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)  # the time the row holds is UTC
    return _plain(value)


def _times(values) -> list[str]:
    # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's format): rewritten as text.
    return [f'"{v[:10]}T{v[11:]}+00:00"' if type(v) is str and len(v) == 26 and v[10] == " " and v[19] == "."
            else "null" if v is None else f'"{_utc_iso(v)}"' for v in values]


_int = int.__repr__  # as the JSON encoder writes an int (a bool, also an int, is written otherwise)


_ENCODE_COLUMN = {
    "int": lambda values: [_int(v) if type(v) is int else _refuse(v) for v in values],
    "int?": lambda values: ["null" if v is None else _int(v) if type(v) is int else _refuse(v) for v in values],
    "text": lambda values: list(map(encode_basestring, values)),
    "text?": lambda values: ["null" if v is None else encode_basestring(v) for v in values],
    # As SQLAlchemy reads a Boolean column: any true value is true, NULL stays null.
    "bool": lambda values: ["null" if v is None else "true" if v else "false" for v in values],
    "time": _times,
    "time?": _times,
}


def _refuse(value):
    raise TypeError(f"unexpected {type(value).__name__} in a hashed column")


_COLUMN_ENCODERS = tuple(_ENCODE_COLUMN[FIELD_KINDS[name]] for name in _FIELD_KEYS)
_TEMPLATE = "{" + ",".join(f"{encode_basestring(key)}:%s" for key in _DOCUMENT_KEYS) + "}"


def canonical_rows(rows, attachments: dict[int, list]) -> list[bytes]:
    """`canonical` of each raw row (its first columns as `raw_columns` gives them, then
    `id`), given the attachments of the entries that have any (by entry id, in id order)."""
    if not rows:
        return []
    try:
        columns = [encode(values) for encode, values in zip(_COLUMN_ENCODERS, zip(*rows, strict=True), strict=False)]
    except (TypeError, ValueError, AttributeError):
        return [_canonical_raw(row, attachments.get(row.id, ())) for row in rows]
    columns.insert(_ATTACHMENTS_AT, [
        _encode(_attachment_documents(attachments[row.id])) if row.id in attachments else "[]" for row in rows
    ])
    return [text.encode() for text in map(_TEMPLATE.__mod__, zip(*columns, strict=True))]


def _canonical_raw(row, attachments) -> bytes:
    """One raw row through the JSON encoder, with the conversions SQLAlchemy's types make. A
    value that cannot be converted (a hand-edited database) is written as it is: the hash
    will not match, and the check names the entry."""
    values = []
    for name, value in zip(_FIELD_KEYS, row, strict=False):
        kind = FIELD_KINDS[name]
        if kind == "bool" and value is not None:
            value = bool(value)
        elif kind.startswith("time") and value is not None:
            try:
                value = _utc_iso(value)
            except (TypeError, ValueError, AttributeError):
                pass  # written as it is
        values.append(value)
    values.insert(_ATTACHMENTS_AT, _attachment_documents(attachments))
    return _encode_anything(dict(zip(_DOCUMENT_KEYS, values, strict=True))).encode()


_encode_anything = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=repr).encode


# The full check --------------------------------------------------------------------------------

def files_query(entry_ids, *, with_data: bool):
    """The attachments of those of `entry_ids` (a list, or a select of ids) that have any,
    in id order, with or without their bytes."""
    columns = [c for c in ATTACHMENT.c if with_data or c.name != "data"]
    return sa.select(*columns).where(ATTACHMENT.c.entry_id.in_(entry_ids)).order_by(ATTACHMENT.c.id)


def by_entry(attachments) -> dict[int, list]:
    """Attachment rows by the id of their entry, in the order they came."""
    found: dict[int, list] = {}
    for row in attachments:
        found.setdefault(row.entry_id, []).append(row)
    return found


def attachments_of(connection, entry_ids, *, with_data: bool, **parameters) -> dict[int, list]:
    """The attachments of those of `entry_ids` (a list, or a select of ids with its
    `parameters`) that have any, in id order (one query)."""
    return by_entry(connection.execute(files_query(entry_ids, with_data=with_data), parameters))


def content_faults(rows, attachments: dict[int, list]) -> dict[int, str]:
    """What is wrong with the contents of the raw rows that fail, by their index in `rows`:
    an attachment whose bytes (when read) no longer match their SHA-256, or fields that no
    longer match the entry's hash. Empty when every row is intact."""
    faults: dict[int, str] = {}
    for index, row in enumerate(rows):
        for attachment in attachments.get(row.id, ()) if attachments else ():
            if "data" in attachment._fields and hashlib.sha256(attachment.data).hexdigest() != attachment.sha256:
                faults[index] = f"the attachment {attachment.filename!r} was changed after it was recorded."
                break
    found = [hashlib.sha256(text).hexdigest() for text in canonical_rows(rows, attachments)]
    kept = [row.hash for row in rows]
    if found != kept:
        for index, (hashed, stored) in enumerate(zip(found, kept, strict=True)):
            if hashed != stored:
                faults.setdefault(index, "its contents do not match its hash: it was changed after it was recorded.")
    return faults


class IntactRecords:
    """Clients' records already found intact, remembered by this process (not by the
    database, where whoever alters an entry could alter the memory too).

    Whether a client's entries match their hashes and link to their neighbours depends only
    on the values read for them (every hashed field, the stored hash, the neighbours' links,
    the attachments' fields) and on the chain's last place when their last entry has no
    entry after it. A record read again with all of that equal to a record found intact is
    intact: one comparison of two tuples, without hashing or comparing links entry by entry. Any other record (an entry added,
    altered in any field, its hash or an attachment, a neighbour's link changed) is checked
    in full and fails as before. Files' bytes are not in the snapshot: a check that reads
    them checks everything. Past `limit` entries the memory starts again empty (the next
    views check their records in full again)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._records: dict[int, tuple[tuple, int]] = {}  # client id: (snapshot, entries)
        self._entries = 0

    @staticmethod
    def snapshot(record, attachments: dict[int, list], head_seq: int, open_end: bool) -> tuple:
        """What the verdict on the client's entries depends on, as one tuple. `record` holds
        every value read for them and their neighbours' links: SQLite's JSON text of them
        (chain.RECORD_TEXT), or the driver's tuples in chain order; `open_end`: an entry of
        theirs has no entry after it."""
        # Rows are compared by value, not type: two stored values equal in Python are of one
        # type (a column's type is fixed on PostgreSQL). SQLite's text tells types apart too
        # (5 from '5'): a record written otherwise is checked in full, never taken as known.
        files = tuple(joined.from_iterable(joined.from_iterable(attachments.values())))
        # Only an entry with no entry after it is judged against the chain's last place.
        return record, files, head_seq if open_end else None

    def known(self, client_id: int, snapshot: tuple) -> bool:
        remembered = self._records.get(client_id)
        return remembered is not None and remembered[0] == snapshot

    def remember(self, client_id: int, snapshot: tuple, entries: int) -> None:
        _, before = self._records.pop(client_id, (None, 0))
        self._entries -= before
        if self._entries + entries > self.limit:
            self._records, self._entries = {}, 0
        self._records[client_id] = (snapshot, entries)
        self._entries += entries


# About 1.5 KB a remembered entry on PostgreSQL (the large benchmark practice's entries,
# values included), about 0.5 KB on SQLite (its text of them): 5,000 entries, ten long
# records of 500, keep a server process at most about 8 MB larger.
INTACT = IntactRecords(limit=5_000)


def verify_chain(connection, *, check_files: bool = True) -> Verification:
    """The full check: every entry in chain order; the first that fails is named.
    `check_files=False` trusts the stored SHA-256 of each attachment instead of reading the
    file again. `connection` is a session or a Core connection. `practice verify-log`, the
    daily job and a restore run it (and keep what they found as a ChainCheck); pages check
    one client's entries (`chain.check_client`). The database writes the entries' bytes
    (practice/conduct/fullcheck.py); when that check finds anything to doubt, the check in
    Python reads the fields and names the entry."""
    core = connection.connection() if hasattr(connection, "get_bind") else connection  # a session's
    intact = fullcheck.check(core.connection.driver_connection, core.dialect.name, check_files=check_files)
    return intact if intact is not None else verify_in_python(connection, check_files=check_files)


def verify_in_python(connection, *, check_files: bool = True) -> Verification:
    """The full check with the fields read and the bytes built here: every entry in chain
    order, read in one streamed query and hashed a batch at a time; stop at the first that
    fails."""
    having_files = {row.entry_id for row in connection.execute(sa.select(ATTACHMENT.c.entry_id).distinct())}
    entries = connection.execute(
        sa.select(*raw_columns(), ENTRY.c.id, ENTRY.c.hash).order_by(ENTRY.c.seq)
        .execution_options(yield_per=BATCH)
    )
    count, prev_hash, seq = 0, GENESIS, 0
    for rows in entries.partitions():
        with_files = [row.id for row in rows if row.id in having_files]
        attachments = attachments_of(connection, with_files, with_data=check_files) if with_files else {}
        faults = content_faults(rows, attachments)
        places, links, hashes = ([row.seq for row in rows], [row.prev_hash for row in rows],
                                 [row.hash for row in rows])
        if not faults and places == list(range(count + 1, count + 1 + len(rows))) and links == [prev_hash, *hashes[:-1]]:
            count, prev_hash, seq = count + len(rows), hashes[-1], places[-1]
            continue
        for index, row in enumerate(rows):  # something is wrong: the first fault in chain order
            reason = _place_fault(row, count + 1, prev_hash) or faults.get(index, "")
            if reason:
                entries.close()
                return Verification(False, count, row.id, reason, prev_hash, seq)
            count, prev_hash, seq = count + 1, row.hash, row.seq
    return Verification(True, count, head_hash=prev_hash, through_seq=seq)


def _place_fault(row, expected_seq: int, prev_hash: str) -> str:
    if row.seq != expected_seq:
        return f"it is in place {row.seq} of the chain where {expected_seq} was expected: an entry before it is missing."
    if row.prev_hash != prev_hash:
        return "its link to the entry before it does not match: that entry was changed or removed."
    return ""
