"""`practice verify-log` started on its own: the configuration read as the app reads it (the
instance folder's config.py, PRACTICE_* environment variables) and the database opened with
its driver (sqlite3 or psycopg), without Flask or SQLAlchemy, because a check run by cron or
by hand should cost the hashing, not the start-up. The database writes each entry's bytes
(practice/conduct/fullcheck.py), the chain's two halves at once: on PostgreSQL two server
processes, on SQLite (whose work is the reading process's own) this process and one forked
from it. Only when that check finds something to doubt is SQLAlchemy loaded, for the check
in Python that names the entry; click only to word an error or to answer `--help`.
`flask --app practice verify-log` and the tests reach the same check through the app
(practice/cli.py)."""

import gc
import os
import sys
from datetime import datetime, timezone
from types import SimpleNamespace

from practice import config
from practice.conduct.fullcheck import (
    Verification,
    check,
    check_in_halves,
    check_in_two_processes,
    check_values,
)

HELP = ("Check the conduct record's hash chain and every attachment; name the first entry that "
        "fails (exit status 1). What it found is kept: pages say when the whole record was last "
        "checked.")

SQLITE, POSTGRESQL = "sqlite:///", "postgresql+psycopg://"
# The row that keeps what was found (practice.conduct.models.ChainCheck).
CHAIN_CHECK_COLUMNS = ("checked_at", "source", "files_checked", "ok", "entries", "through_seq", "head_hash",
                       "bad_entry_id", "reason")


def report(result: Verification) -> None:
    """What the command prints, and its exit status: 1 with the first failing entry named,
    worded by click as any command's error (click is loaded only then)."""
    if not result.ok:
        import click

        error = click.ClickException(result.summary)
        error.show()
        raise SystemExit(error.exit_code)
    print(result.summary)
    print(f"Latest entry hash: {result.head_hash}")


def database() -> tuple[str, int]:
    """The app's database URL and SQLite busy timeout, found as the app finds them."""
    instance_path = config.instance_path()
    settings = config.read(instance_path)
    url = config.database_url(SimpleNamespace(config=settings, instance_path=str(instance_path)))
    return url, int(settings["PRACTICE_SQLITE_BUSY_TIMEOUT_MS"])


def connect(url: str, timeout_ms: int):
    """A DB-API connection to the database and its dialect's name: with the driver itself for
    the URLs the configuration writes, through a SQLAlchemy engine for any other."""
    if url.startswith(POSTGRESQL):
        import psycopg

        return psycopg.connect("postgresql://" + url.removeprefix(POSTGRESQL)), "postgresql"
    if plain_sqlite(url):
        return sqlite_connection(url, timeout_ms), "sqlite"
    engine = engine_for(url, timeout_ms)
    return engine.raw_connection().driver_connection, engine.dialect.name


def plain_sqlite(url: str) -> bool:
    """A SQLite file named as the configuration names it (no options for SQLAlchemy to read)."""
    return url.startswith(SQLITE) and "?" not in url and url != SQLITE


def sqlite_connection(url: str, timeout_ms: int):
    import sqlite3

    connection = sqlite3.connect(url.removeprefix(SQLITE))
    connection.execute(f"PRAGMA busy_timeout={timeout_ms}")  # as the app's engine sets it
    return connection


def engine_for(url: str, timeout_ms: int):
    """The app's database, with the busy timeout the app sets on SQLite (practice.db)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _busy_timeout(dbapi_connection, _record):
            dbapi_connection.execute(f"PRAGMA busy_timeout={timeout_ms}")

    return engine


def check_in_python(url: str, timeout_ms: int) -> Verification:
    """The check that names the first failing entry (practice/conduct/canonical.py)."""
    from practice.conduct.canonical import verify_in_python

    engine = engine_for(url, timeout_ms)
    try:
        with engine.connect() as connection:
            return verify_in_python(connection)
    finally:
        engine.dispose()


def check_database(url: str, timeout_ms: int) -> tuple[Verification | None, object, str]:
    """The database's check, and a connection (open, with its dialect) to keep what it found."""
    if plain_sqlite(url):  # forked before this process opens any connection
        return (check_in_two_processes(lambda: sqlite_connection(url, timeout_ms)), *connect(url, timeout_ms))
    connection, dialect = connect(url, timeout_ms)
    return check_both_halves(connection, dialect, url), connection, dialect


def check_both_halves(connection, dialect: str, url: str) -> Verification | None:
    """The database's check; on PostgreSQL (through psycopg) the chain's two halves at once,
    on two connections: two server processes write the texts. (On SQLite, through sqlite3,
    two processes read them: fullcheck.check_in_two_processes.)"""
    if not url.startswith(POSTGRESQL):
        return check(connection, dialect)
    second, _ = connect(url, 0)
    try:
        return check_in_halves(connection, second)
    finally:
        second.close()


def record(connection, dialect: str, result: Verification) -> None:
    """Keep what was found as a ChainCheck row, as the app writes one (SQLite keeps the time
    as UTC text, the way SQLAlchemy writes it)."""
    now = datetime.now(timezone.utc)
    values = check_values(result, source="command", files_checked=True,
                          now=now.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else now)
    marker = "?" if dialect == "sqlite" else "%s"
    connection.execute(f"INSERT INTO chain_check ({', '.join(CHAIN_CHECK_COLUMNS)}) "
                       f"VALUES ({', '.join([marker] * len(CHAIN_CHECK_COLUMNS))})",
                       [values[column] for column in CHAIN_CHECK_COLUMNS])
    connection.commit()


def verify_log() -> None:
    url, timeout_ms = database()
    # The check makes many short-lived values, all freed by reference counting; the cyclic
    # collector would walk every object of the start-up again and again. A command that ends
    # after one check does without it.
    gc.disable()
    result, connection, dialect = check_database(url, timeout_ms)
    try:
        if result is None:  # something to doubt: the check in Python names it
            result = check_in_python(url, timeout_ms)
        connection.rollback()  # the long read holds no lock; the finding is one short write
        record(connection, dialect, result)
    finally:
        connection.close()
    report(result)


def load_dotenv() -> None:
    """`.flaskenv` and `.env` (the nearest, searching up from the working folder) set the
    variables not already set, with python-dotenv, as the `practice` command's FlaskGroup
    reads them (flask.cli.load_dotenv)."""
    try:
        import dotenv
    except ImportError:
        if os.path.isfile(".env") or os.path.isfile(".flaskenv"):
            import click

            click.secho(" * Tip: There are .env files present. Install python-dotenv to use them.",
                        fg="yellow", err=True)
        return
    found: dict = {}
    for name in (".flaskenv", ".env"):
        if path := dotenv.find_dotenv(name, usecwd=True):
            found |= dotenv.dotenv_values(path, encoding="utf-8")
    for key, value in found.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value


def main(args: list[str]) -> None:
    load_dotenv()
    if args:  # --help, or arguments the command does not take: click answers, as for any command
        import click

        click.command("verify-log", help=HELP)(verify_log).main(args, prog_name="practice verify-log")
    verify_log()
    end()


def end() -> None:
    """End the process once its output is written, without the interpreter's teardown: freeing
    every module and object psycopg and the check brought took about 25 ms, a twentieth of the
    command, and does nothing a finished check needs (its connections are closed, its finding
    committed). A failing check ends as any command does (SystemExit, status 1)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
