"""The full check of the chain with each entry's canonical bytes built by the database.

`canonical()` writes an entry's bytes as sorted-key compact JSON. SQLite (`json_object`) and
PostgreSQL (`format` and `to_json`) can write the same text in the query that reads the
entries, so Python receives one value an entry and only hashes it: no value of the 27
fields becomes a Python object. Their string escaping is the JSON encoder's (`"`, `\\`,
`\\b \\f \\n \\r \\t` by name, other characters below U+0020 as lowercase `\\u00XX`, everything
else as it is, as `ensure_ascii=False` writes it); tests/test_conduct.py compares the two on
entries holding every kind of value.

The check here only proves a record intact. On the first doubt (a hash or a link that does not
match, a file changed, or on SQLite a value not of its column's type, which only a hand-edited
database holds and which Python converts as SQLAlchemy would) it returns None, and the caller
runs the check in Python (`canonical.verify_in_python`), which names the entry as before.

It needs a DB-API connection only (sqlite3 or psycopg), not SQLAlchemy, so that `practice
verify-log` starts without importing it (practice/verify_log.py)."""

import hashlib
import json
import os
import threading
from collections import namedtuple
from datetime import datetime

GENESIS = "0" * 64  # the "previous hash" of the first entry
BATCH = 2000  # entries read and hashed at a time

# Each hashed field and the kind of value its column holds ("?": may be empty, NULL).
FIELD_KINDS = {
    "seq": "int", "client_id": "int", "kind": "text", "category_id": "int?", "severity": "text?",
    "safety": "bool", "occurred_from": "time", "occurred_to": "time?", "recorded_at": "time",
    "recorded_by_id": "int?", "source": "text", "appointment_id": "int?", "policy_id": "int?",
    "minutes": "int?", "amount_cents": "int?", "location": "text", "channel": "text?",
    "description": "text", "response": "text", "effect": "text", "witnesses": "text",
    "police_reference": "text", "note": "text", "corrects_id": "int?", "withdrawn": "bool",
    "related_ids": "text", "prev_hash": "text",
}
ATTACHMENT_FIELDS = ("filename", "media_type", "size", "sha256")
DOCUMENT_KEYS = tuple(sorted((*FIELD_KINDS, "attachments")))

# What `attachments` holds in the text the database writes; an entry with files has it
# replaced. Only "amount_cents" and "appointment_id" (numbers or null) come before it.
NO_FILES = b'"attachments":[]'


# A named tuple rather than a dataclass: importing dataclasses (and inspect) was a sixth of
# `practice verify-log`'s start-up.
class Verification(namedtuple("Verification", "ok count bad_entry_id reason head_hash through_seq",
                              defaults=(None, "", GENESIS, 0))):
    """What a check found: `count` entries checked, the first failing one named with its
    reason, the last entry's hash (`head_hash`, noted to detect removal of the latest) and
    the place of the last entry found intact (`through_seq`)."""

    __slots__ = ()

    @property
    def summary(self) -> str:
        if self.ok:
            return f"All {self.count} entries verified: the record is unaltered."
        return f"Entry {self.bad_entry_id} fails verification: {self.reason}"


def check_values(result: Verification, *, source: str, files_checked: bool, now: datetime) -> dict:
    """The columns of the ChainCheck row that keeps what a full check found."""
    return dict(checked_at=now, source=source, files_checked=files_checked, ok=result.ok,
                entries=result.count, through_seq=result.through_seq, head_hash=result.head_hash,
                bad_entry_id=result.bad_entry_id, reason=result.reason)


# SQLite ------------------------------------------------------------------------------------------

# The storage classes the writer leaves in each kind of column (SQLite keeps any value anywhere).
_SQLITE_TYPES = {"int": "'integer'", "int?": "'integer','null'", "text": "'text'", "text?": "'text','null'",
                 "bool": "'integer'", "time": "'text'", "time?": "'text','null'"}
# A time as SQLAlchemy stores it (UTC, 'YYYY-MM-DD HH:MM:SS.ffffff'): rewritten as text, the
# way canonical_rows rewrites it; any other stored form is Python's to convert.
_SQLITE_TIME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]"


def _sqlite_value(name: str, kind: str) -> str:
    column = f"e.{name}"
    if kind == "bool":
        return f"json(CASE {column} WHEN 1 THEN 'true' ELSE 'false' END)"
    if kind.startswith("time"):
        return f"substr({column}, 1, 10) || 'T' || substr({column}, 12) || '+00:00'"
    return column


def _sqlite_conforms(name: str, kind: str) -> str:
    column = f"e.{name}"
    if kind == "bool":
        return f"{column} IN (0, 1)"
    if kind.startswith("time"):
        either = f"{column} GLOB '{_SQLITE_TIME}'"
        return f"({column} IS NULL OR {either})" if kind.endswith("?") else either
    return f"typeof({column}) IN ({_SQLITE_TYPES[kind]})"


def _sqlite_document() -> str:
    pairs = ", ".join(
        f"'{key}', " + ("json('[]')" if key == "attachments" else _sqlite_value(key, FIELD_KINDS[key]))
        for key in DOCUMENT_KEYS)
    return f"CAST(json_object({pairs}) AS BLOB)"


# An entry's text as SQLite writes it, and that text only for an entry whose every value is
# of the type the writer leaves (else NULL).
SQLITE_DOCUMENT = _sqlite_document()
_SQLITE_TEXT = (f"CASE WHEN {' AND '.join(_sqlite_conforms(name, kind) for name, kind in FIELD_KINDS.items())} "
                f"THEN {SQLITE_DOCUMENT} END")


# PostgreSQL ----------------------------------------------------------------------------------------

_PG_TIME = """'"' || to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '"'"""
_PG_VALUE = {
    "int": "{0}::text",
    "text": "to_json({0})::text",
    "bool": "CASE {0} WHEN true THEN 'true' WHEN false THEN 'false' END",
    "time": _PG_TIME,
}


def _postgresql_text() -> str:
    template = "{" + ",".join(f'"{key}":%s' for key in DOCUMENT_KEYS) + "}"
    values = ", ".join(
        "'[]'" if key == "attachments" else
        f"coalesce({_PG_VALUE[FIELD_KINDS[key].rstrip('?')].format('e.' + key)}, 'null')"
        for key in DOCUMENT_KEYS)
    return f"convert_to(format('{template}', {values}), 'UTF8')"


_TEXT = {"sqlite": _SQLITE_TEXT, "postgresql": _postgresql_text()}
ENTRIES = {dialect: f"SELECT e.id, e.seq, e.prev_hash, e.hash, {text} FROM conduct_entry e ORDER BY e.seq"
           for dialect, text in _TEXT.items()}
_HAVING_FILES = "SELECT DISTINCT entry_id FROM attachment"


def _entries(dialect: str, where: str) -> str:
    return ENTRIES[dialect].replace(" ORDER BY ", f" WHERE {where} ORDER BY ", 1)


# The check -----------------------------------------------------------------------------------------

def check(connection, dialect: str, *, check_files: bool = True) -> Verification | None:
    """The whole chain found intact (every hash, link and place, and with `check_files` every
    attachment's bytes), or None: something needs the check in Python to name it."""
    having_files = _having_files(connection)
    return _joined([_span(connection, dialect, ENTRIES[dialect], 1, having_files, check_files)])


def check_in_halves(first, second) -> Verification | None:
    """`check` on PostgreSQL with the chain's two halves read at once, on two connections (one
    in a second thread), so that two server processes write the texts on two cores while this
    one hashes. The second connection imports the first's snapshot (as pg_dump's workers do),
    so the halves are of one state of the database and join as one read would have read them.
    (Not on SQLite: there the database's work is in this process, and two threads reading
    took each about twice the CPU time of one, no sooner.)"""
    first.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    (snapshot,), = first.execute("SELECT pg_export_snapshot()").fetchall()
    second.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    quoted = snapshot.replace("'", "''")  # the server's own id, quoted all the same
    second.execute(f"SET TRANSACTION SNAPSHOT '{quoted}'")
    total, middle = _size(first)
    having_files = _having_files(first)
    spans, failures = [None, None], []

    def later_half():
        try:
            spans[1] = _half(second, "postgresql", middle, having_files, later=True)
        except Exception as error:  # raised below, in the caller's thread, as `check` raises it
            failures.append(error)

    thread = threading.Thread(target=later_half)
    thread.start()
    try:
        spans[0] = _half(first, "postgresql", middle, having_files, later=False)
    finally:
        thread.join()
    if failures:
        raise failures[0]
    return _whole(spans, total)


def check_in_two_processes(connect) -> Verification | None:
    """`check` on SQLite with the chain's later half read by a second process, forked before
    any connection is open (a SQLite connection must not cross a fork), so that two processes
    write and hash the texts on two cores: on SQLite that work is the reading process's own.
    `connect` opens a connection. While both begin to read, a third connection holds the write
    lock, so nothing is committed in between and the halves are of one state of the database
    (a reader sees the state of its transaction's first read). Should the second process give
    no answer, this one reads the later half itself, in its own transaction, and raises what
    `check` would raise."""
    orders_read, orders_written = os.pipe()
    answers_read, answers_written = os.pipe()
    pid = os.fork()
    if not pid:
        os.close(orders_written)
        os.close(answers_read)
        _later_half_in_child(connect, orders_read, answers_written)
    os.close(orders_read)
    os.close(answers_written)
    try:
        with open(orders_written, "w") as to_child, open(answers_read) as from_child:
            return _earlier_half_and_join(connect, to_child, from_child)
    finally:
        os.waitpid(pid, 0)


def _earlier_half_and_join(connect, to_child, from_child) -> Verification | None:
    lock, first = connect(), connect()
    try:
        lock.execute("BEGIN IMMEDIATE")
        first.execute("BEGIN")
        total, middle = _size(first)
        to_child.write(f"{middle}\n")
        to_child.flush()
        from_child.readline()  # the second process has begun its transaction (or given up)
        lock.rollback()  # both halves' states are fixed: writers may commit again
        having_files = _having_files(first)
        earlier = _half(first, "sqlite", middle, having_files, later=False)
        answer = from_child.readline()  # its finding, or nothing if it failed
        if not answer.endswith("\n"):
            return _whole([earlier, _half(first, "sqlite", middle, having_files, later=True)], total)
        return _whole([earlier, json.loads(answer)], total)
    finally:
        lock.close()
        first.close()


def _later_half_in_child(connect, orders: int, answers: int) -> None:
    """The second process: told where the later half starts, it begins its transaction, says
    so, reads the half and sends what it found as JSON. It ends without the parent's exit
    handlers, silently on any error (the parent then reads the half itself)."""
    try:
        with open(orders) as from_parent, open(answers, "w") as to_parent:
            middle = int(from_parent.readline())
            connection = connect()
            try:
                connection.execute("BEGIN")
                having_files = _having_files(connection)  # its first read: what it reads is now fixed
                to_parent.write("begun\n")
                to_parent.flush()
                to_parent.write(json.dumps(_half(connection, "sqlite", middle, having_files, later=True)) + "\n")
            finally:
                connection.close()
    finally:
        os._exit(0)


def _size(connection) -> tuple[int, int]:
    """How many entries there are, and the last place of the earlier half."""
    (total, last), = connection.execute("SELECT count(*), max(seq) FROM conduct_entry").fetchall()
    return total, int(last or 0) // 2


def _half(connection, dialect: str, middle: int, having_files: set, *, later: bool) -> tuple | None:
    if later:
        return _span(connection, dialect, _entries(dialect, f"e.seq > {middle}"), middle + 1, having_files, True)
    return _span(connection, dialect, _entries(dialect, f"e.seq <= {middle}"), 1, having_files, True)


def _whole(spans: list, total: int) -> Verification | None:
    found = _joined(spans)
    return found if found is not None and found.count == total else None  # no row outside both halves


def _having_files(connection) -> set:
    return {entry_id for (entry_id,) in connection.execute(_HAVING_FILES).fetchall()}


def _joined(spans: list) -> Verification | None:
    """The spans' verdict as one chain: each span starts at the place after the previous
    span's last entry and links to that entry's hash; the first links to the genesis."""
    count, head = 0, GENESIS
    for span in spans:
        if span is None:
            return None
        first_place, link, rows, last_hash = span
        if rows:
            if first_place != count + 1 or link != head:
                return None
            count, head = count + rows, last_hash
    return Verification(True, count, head_hash=head, through_seq=count)


def _span(connection, dialect: str, query: str, first_place: int, having_files: set,
          check_files: bool) -> tuple | None:
    """The entries `query` reads found intact, from `first_place` on, each linked to the one
    before: (first_place, the first's link, how many, the last's hash), or None."""
    # PostgreSQL: a server-side cursor, streamed BATCH rows at a time, in binary (the texts
    # arrive as they are; hex-encoded and decoded again, fetching them took half as long again).
    cursor = connection.cursor(name="conduct_chain", binary=True) if dialect == "postgresql" else connection.cursor()
    try:
        cursor.execute(query)
        count, first_link, prev_hash = 0, None, None
        while rows := cursor.fetchmany(BATCH):
            ids, places, links, hashes, texts = zip(*rows, strict=True)
            if not count:
                first_link = prev_hash = links[0]
            texts = _with_files(connection, ids, texts, having_files, check_files=check_files)
            if (texts is None or None in texts
                    or places != tuple(range(first_place + count, first_place + count + len(rows)))
                    or links != (prev_hash, *hashes[:-1])
                    or [hashlib.sha256(text).hexdigest() for text in texts] != list(hashes)):
                return None
            count, prev_hash = count + len(rows), hashes[-1]
    finally:
        cursor.close()
    return first_place, first_link, count, prev_hash


def _with_files(connection, ids, texts, having_files: set, *, check_files: bool) -> list | None:
    """The entries' texts with their attachments written in, or None when a file or an
    attachment's value needs the check in Python."""
    with_files = [entry_id for entry_id in ids if entry_id in having_files]
    if not with_files:
        return texts
    found: dict[int, list] = {}
    for entry_id, *values, data in connection.execute(_files_query(with_files, check_files)).fetchall():
        if not _plain_attachment(values, data, check_files=check_files):
            return None
        found.setdefault(entry_id, []).append(dict(zip(ATTACHMENT_FIELDS, values, strict=True)))
    texts = list(texts)
    for index, entry_id in enumerate(ids):
        if entry_id in found and texts[index] is not None:
            texts[index] = texts[index].replace(NO_FILES, b'"attachments":' + _files_json(found[entry_id]), 1)
    return texts


def _files_query(entry_ids: list[int], check_files: bool) -> str:
    ids = ",".join(str(int(entry_id)) for entry_id in entry_ids)
    data = "data" if check_files else "NULL"
    return (f"SELECT entry_id, {', '.join(ATTACHMENT_FIELDS)}, {data} FROM attachment "
            f"WHERE entry_id IN ({ids}) ORDER BY id")


def _plain_attachment(values, data, *, check_files: bool) -> bool:
    """Values of the types the writer leaves, and (when read) bytes matching their SHA-256."""
    filename, media_type, size, sha256 = values
    if not (type(filename) is type(media_type) is type(sha256) is str and type(size) is int):
        return False
    return not check_files or (type(data) is bytes and hashlib.sha256(data).hexdigest() == sha256)


_encode_files = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def _files_json(attachments: list[dict]) -> bytes:
    return _encode_files(attachments).encode()
