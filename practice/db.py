"""The declarative base, naming convention, the session object and engine set-up."""

from datetime import datetime, timezone

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ColumnElement, DateTime, Index, MetaData, event, literal_column, text
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _as_utc(value: datetime | None) -> datetime | None:
    """A datetime read from the database, as UTC (one without a zone is UTC already)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return _as_utc(value)

    def bind_processor(self, dialect):
        """On SQLite, an aware datetime written as the stored text (UTC, without an offset) in
        one step: the review binds forty of them a request, and the dialect's own formatting
        of each (after setting its zone aside) took longer than SQLite's running the review's
        two-week statement. Anything else (None, a naive datetime, which is refused) goes the
        general way."""
        general = super().bind_processor(dialect)
        if dialect.name != "sqlite":
            return general
        utc, plain_datetime = timezone.utc, datetime

        def process(value):
            if value.__class__ is plain_datetime and value.tzinfo is not None:
                return value.astimezone(utc).isoformat(" ", "microseconds")[:26]  # less "+00:00"
            return general(value)

        return process

    def result_processor(self, dialect, coltype):
        """On SQLite, the stored text (UTC, without an offset) read as UTC in one step: a page
        of hundreds of rows converts a thousand datetimes, and setting the zone on each after
        parsing it (datetime.replace) took several times as long as the parsing. Elsewhere, when
        the driver gives datetimes as they are (psycopg does), each is made UTC by one call
        rather than TypeDecorator's two (the calendar's busy day: 572 values)."""
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            if self.impl_instance.result_processor(dialect, coltype) is not None:
                return general
            return _as_utc
        parse = datetime.fromisoformat

        def process(value):
            if value.__class__ is str:
                try:
                    return parse(value + "+00:00")
                except ValueError:  # not the stored form: the dialect's own parsing says why
                    pass
            return None if value is None else general(value)

        return process


class Base(DeclarativeBase):
    # One registry carries both, as Flask-SQLAlchemy subclasses this base.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base, disable_autonaming=True)


def one_of(column, words: tuple[str, ...]) -> ColumnElement[bool]:
    """SQL: `column` is one of `words`, fixed words of the code (statuses, standings) written
    into the statement. As a list parameter, SQLAlchemy wrote the statement out again on
    every run (its post-compile step: a sixth to a third of its own time running each of
    the review's statements)."""
    if any("'" in word for word in words):
        raise ValueError(f"a quote in a fixed word: {words!r}")
    return column.in_([literal_column(f"'{word}'") for word in words])


def only_on(dialect: str, index: Index) -> Index:
    """An index that one database has and the other has not: created only on `dialect`, and
    left out of Alembic's comparison of the models with the others (`in_this_database`)."""
    index.info["only_on"] = dialect
    return index.ddl_if(dialect=dialect)


def in_this_database(object, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: whether the models' `object` belongs to this database."""
    dialect = getattr(object, "info", {}).get("only_on")
    return dialect is None or dialect == db.engine.dialect.name


# SQLite reads the database file through a memory map of up to this size instead of a read()
# per page into each connection's own small cache: a page reading a long record's rows, spread
# over a large file, reads them from the operating system's cache directly (the conduct
# record's 500 entries with their neighbours: about 7.5 -> 3 ms on the benchmark's practice).
# It is address space, not memory: the pages are the OS cache's, shared by every process.
SQLITE_MMAP_BYTES = 1 << 30


def configure_engine(app) -> None:
    """PostgreSQL: every session in UTC. SQLite: WAL, foreign keys, a busy timeout and reads
    through a memory map on every connection; a unit of work that writes begins IMMEDIATE
    (see practice.unit_of_work)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _utc_session)
    if engine.dialect.name != "sqlite":
        return
    timeout = int(app.config["PRACTICE_SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={timeout}")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        from practice.unit_of_work import lazy_commit, writing

        sqlite = connection.connection.dbapi_connection
        _commit_lazily(connection.connection.info, sqlite, lazy_commit())
        if writing():
            # The write lock first, before anything is read; sqlite3 must not begin on its own.
            sqlite.isolation_level = None
            sqlite.execute("BEGIN IMMEDIATE")
        else:
            sqlite.isolation_level = ""  # sqlite3's default: BEGIN before the first write


def _utc_session(dbapi_connection, _record) -> None:
    """PostgreSQL gives timestamps in the session's zone, by default the server's: in UTC,
    psycopg gives them with Python's own UTC, which UTCDateTime keeps as it is; in any other
    zone, even Etc/UTC, each value is converted (about 0.9 µs: 0.5 ms of the calendar's busy
    day, 572 values). No statement depends on the session's zone: days and hours are worked
    out in Python, in the practice's zone."""
    dbapi_connection.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _commit_lazily(memo: dict, sqlite, lazily: bool) -> None:
    """SQLite in WAL mode: a transaction commits with a sync of the log to disk (FULL, the
    default) or, for a page's request, without one (NORMAL: it reaches the disk with the next
    durable commit or checkpoint; a power cut may lose it, never corrupts the database). The
    sync was 1 to 6 ms of every view that records who looked. Set before the transaction
    begins (SQLite refuses it inside one), and only when it changes."""
    level = "NORMAL" if lazily else "FULL"
    if memo.get("practice_synchronous") != level:
        sqlite.execute(f"PRAGMA synchronous={level}")
        memo["practice_synchronous"] = level


def render_migration_type(type_, obj, autogen_context):
    """Write UTCDateTime columns into migrations as plain aware DateTime columns."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def advisory_lock(connection, key: int) -> None:
    """On PostgreSQL, a lock on `key` held until the transaction ends: those taking the same
    key queue for it. SQLite needs none: a writing transaction holds its one write lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
