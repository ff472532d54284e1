"""The hash chain that makes the conduct record tamper-evident.

Each entry's hash is SHA-256 over a canonical serialisation of its fields (sorted-key JSON,
times as UTC ISO strings, the SHA-256 of each attachment, the ids of related entries and the
hash of the entry before it). Changing, removing or reordering an entry behind the
application's back breaks the chain at that entry, and `verify_chain` names it."""

import json
from collections import namedtuple
from dataclasses import dataclass
from operator import itemgetter

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import OperationalError

from practice.conduct.canonical import (  # noqa: F401  (the chain's API, kept in one place)
    ENTRY,
    GENESIS,
    HASHED_FIELDS,
    INTACT,
    Verification,
    attachments_of,
    by_entry,
    canonical,
    content_faults,
    entry_hash,
    files_query,
    raw_columns,
    verify_chain,
)
from practice.conduct.models import Attachment, ChainCheck, ConductEntry
from practice.db import advisory_lock

CHAIN_LOCK_KEY = 4_240_001  # PostgreSQL advisory lock taken while appending


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


# One client's entries ------------------------------------------------------------------------

_BEFORE, _AFTER = ENTRY.alias("before"), ENTRY.alias("after")


def _with_neighbours(*columns):
    """`columns` over the entries of the client `client_id` (a parameter), each joined to its
    neighbours in the chain: one query on `seq`'s index. In no order: sorting them into
    chain order in Python (`_in_chain_order`) is quicker than SQLite's sort of the wide rows."""
    return (
        select(*columns)
        .select_from(ENTRY)
        .outerjoin(_BEFORE, _BEFORE.c.seq == ENTRY.c.seq - 1)
        .outerjoin(_AFTER, _AFTER.c.seq == ENTRY.c.seq + 1)
        .where(ENTRY.c.client_id == bindparam("client_id"))
    )


_VALUES = (*raw_columns(ENTRY), ENTRY.c.id, ENTRY.c.hash, _BEFORE.c.hash.label("before_hash"),
           _AFTER.c.prev_hash.label("after_link"))
WITH_NEIGHBOURS = _with_neighbours(*_VALUES)  # the driver's rows (PostgreSQL's record)
NamedEntry = namedtuple("NamedEntry", [column.name for column in WITH_NEIGHBOURS.selected_columns])
_in_chain_order = itemgetter(NamedEntry._fields.index("seq"))
# The chain's last place: a statement of its own where the record is read as rows (on each
# of 500 rows, PostgreSQL's record took longer to send and decode than the round trip saved).
_HEAD = select(ENTRY.c.seq, ENTRY.c.hash).order_by(ENTRY.c.seq.desc()).limit(1)
# SQLite's record: the rows of WITH_NEIGHBOURS as one JSON text (an array of each row's
# values, of the types the driver gives), how many there are, whether an entry of the client
# has no entry after it, and the chain's last place and hash (one row, entries or none).
# SQLite writes the text where the driver would make a Python object of each of a long
# record's 500 rows' 31 values: one string to compare with a record found intact, decoded
# into rows only when it is not one. (PostgreSQL's json_build_array took four times as long
# as its plain rows, in the server.)
RECORD_TEXT = _with_neighbours(func.json_group_array(func.json_array(*_VALUES)), func.count(),
                               func.count() > func.count(_AFTER.c.prev_hash),
                               *(_HEAD.with_only_columns(column).scalar_subquery()
                                 for column in (ENTRY.c.seq, ENTRY.c.hash)))
ATTACHED = select(ENTRY.c.id).where(ENTRY.c.client_id == bindparam("client_id")).scalar_subquery()
CLIENT_FILES = {with_data: files_query(ATTACHED, with_data=with_data) for with_data in (False, True)}


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

    check: ChainCheck  # its columns' values (a row), by the same names
    holds: bool


@dataclass(frozen=True)
class ClientCheck:
    """What a page about one client says of the record's integrity."""

    entries: Verification  # the client's entries, their files if read, and their links
    last_full: LastCheck | None  # None: the whole chain has never been checked
    # The attachments' fields the check read (and their bytes, if it read them), by entry id
    # in id order: the record's page lists its entries' files from them, not a read more.
    files: dict[int, list]

    @property
    def ok(self) -> bool:
        return self.entries.ok and (self.last_full is None or (self.last_full.check.ok and self.last_full.holds))


def verify_client(session, client_id: int, *, check_files: bool) -> Verification:
    """The client's entries: each one's hash over its fields (and, with `check_files`, its
    files' bytes), its link to the entry before it and the link the entry after it holds.
    Three queries, whatever the size of the practice's log, and no ORM object. Every entry is
    read on every check; a record this process has already found intact with exactly the
    same values is not hashed again (`canonical.INTACT`; not when files are read). The
    first fault is named."""
    return _verify(session, client_id, check_files=check_files)[0]


def _verify(session, client_id: int, *, check_files: bool) -> tuple[Verification, dict[int, list]]:
    """`verify_client`, and the attachments it read by entry id."""
    connection = session.connection()  # Core statements: the session's ORM layer adds nothing
    theirs = {"client_id": client_id}
    record, values, entries, open_end, (head_seq, head_hash) = _read_record(connection, theirs)
    attachments = by_entry(connection.execute(CLIENT_FILES[check_files], theirs)) if entries else {}
    intact = Verification(True, entries, head_hash=head_hash, through_seq=head_seq)
    snapshot = None if check_files or record is None else INTACT.snapshot(record, attachments, head_seq, open_end)
    if snapshot is not None and INTACT.known(client_id, snapshot):
        return intact, attachments
    rows = sorted(map(NamedEntry._make, json.loads(record) if values is None else values), key=_in_chain_order)
    faults = content_faults(rows, attachments)
    links = _link_faults(rows, head_seq)
    if not faults and not links:
        if snapshot is not None:
            INTACT.remember(client_id, snapshot, entries)
        return intact, attachments
    first = min([*faults, *links])
    row = rows[first]
    return Verification(False, first, row.id, links.get(first) or faults[first], head_hash), attachments


def _read_record(connection, parameters: dict) -> tuple:
    """What is compared with a record found intact (None: nothing is), the rows if they were
    read as rows (else None: `record` is RECORD_TEXT's), how many entries, whether one has
    no entry after it, and the chain's last place and hash (0 and GENESIS: the log is empty)."""
    if connection.dialect.name == "sqlite":
        try:
            text, entries, open_end, *head = connection.execute(RECORD_TEXT, parameters).one()
            return text, None, entries, bool(open_end), _head(*head)
        except OperationalError as error:  # bytes kept in a column, which SQLite's JSON refuses
            if "BLOB" not in str(error.orig):  # (only a hand-edited database holds them)
                raise
        values = _plain_rows(connection.execute(WITH_NEIGHBOURS, parameters))
        return None, values, len(values), False, _head(*_last_place(connection))
    head = _last_place(connection)
    values = sorted(_plain_rows(connection.execute(WITH_NEIGHBOURS, parameters)), key=_in_chain_order)
    return values, values, len(values), bool(values) and values[-1][-1] is None, _head(*head)


def _last_place(connection) -> tuple:
    return connection.execute(_HEAD).first() or (None, None)


def _head(seq: int | None, hash_: str | None) -> tuple[int, str]:
    return (seq, hash_) if seq is not None else (0, GENESIS)


def _plain_rows(result) -> list[tuple]:
    """The rows as the driver's own tuples: a SQLAlchemy Row for each of a long record's
    entries took about as long as comparing them all (the statement is still executed, and
    counted, by SQLAlchemy)."""
    rows = result.cursor.fetchall()
    result.close()
    return rows


def _link_faults(rows, head_seq: int) -> dict[int, str]:
    """What is wrong with each entry's links to its neighbours, by index in `rows` (the
    conditions of `_link_fault`, tested in one pass; the reasons only when one fails)."""
    if all((row.prev_hash == GENESIS if row.seq == 1
            else row.before_hash is not None and row.before_hash == row.prev_hash)
           and (row.after_link == row.hash or (row.after_link is None and row.seq >= head_seq))
           for row in rows):
        return {}
    return {index: reason for index, row in enumerate(rows) if (reason := _link_fault(row, head_seq))}


# Built once: every view of a record runs it. Plain columns (typed), not a ChainCheck object:
# loading the one object took SQLAlchemy's ORM longer than reading it.
_CHECKS = ChainCheck.__table__
_LAST_FULL_CHECK = (
    select(*_CHECKS.c, ConductEntry.hash.label("current_hash"))
    .outerjoin(ConductEntry, ConductEntry.seq == _CHECKS.c.through_seq)
    .order_by(_CHECKS.c.checked_at.desc(), _CHECKS.c.id.desc()).limit(1))


def last_full_check(session) -> LastCheck | None:
    """The latest ChainCheck's values, and whether the entry it ended at still has the hash
    it had (one query)."""
    check = session.connection().execute(_LAST_FULL_CHECK).first()
    if check is None:
        return None
    holds = check.current_hash == check.head_hash if check.through_seq else True
    return LastCheck(check, holds)


def check_client(session, client_id: int, *, check_files: bool = False) -> ClientCheck:
    entries, files = _verify(session, client_id, check_files=check_files)
    return ClientCheck(entries, last_full_check(session), files)
