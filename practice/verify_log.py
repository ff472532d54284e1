"""`practice verify-log` started on its own: the configuration read as the app reads it (the
instance folder's config.py, PRACTICE_* environment variables) and an engine, without
building the app (no blueprint, model or PDF renderer is imported), because a check run by
cron or by hand should cost the hashing, not the start-up. `flask --app practice verify-log`
and the tests reach the same check through the app (practice/cli.py)."""

import gc
import sys

import click
import sqlalchemy as sa
from flask.cli import load_dotenv

from practice.app import configured_app
from practice.clock import SystemClock
from practice.conduct.canonical import Verification, check_values, verify_chain

HELP = ("Check the conduct record's hash chain and every attachment; name the first entry that "
        "fails (exit status 1). What it found is kept: pages say when the whole record was last "
        "checked.")

# The row that keeps what was found (practice.conduct.models.ChainCheck), written with Core.
CHAIN_CHECK = sa.table(
    "chain_check", sa.column("checked_at", sa.DateTime(timezone=True)),
    *(sa.column(name) for name in ("source", "files_checked", "ok", "entries", "through_seq",
                                   "head_hash", "bad_entry_id", "reason")),
)


def report(result: Verification) -> None:
    """What the command prints, and its exit status: 1 with the first failing entry named."""
    if not result.ok:
        raise click.ClickException(result.summary)
    click.echo(result.summary)
    click.echo(f"Latest entry hash: {result.head_hash}")


def engine_for(config) -> sa.Engine:
    """The app's database, with the busy timeout the app sets on SQLite (practice.db)."""
    engine = sa.create_engine(config["SQLALCHEMY_DATABASE_URI"])
    if engine.dialect.name == "sqlite":
        timeout = int(config["PRACTICE_SQLITE_BUSY_TIMEOUT_MS"])

        @sa.event.listens_for(engine, "connect")
        def _busy_timeout(dbapi_connection, _record):
            dbapi_connection.execute(f"PRAGMA busy_timeout={timeout}")

    return engine


@click.command("verify-log", help=HELP)
def verify_log_command():
    engine = engine_for(configured_app().config)
    # The check makes millions of short-lived values, all freed by reference counting; the
    # cyclic collector would walk every object of the start-up again and again (a fifth of
    # the time). A command that ends after one check does without it.
    gc.disable()
    try:
        with engine.connect() as connection:  # the long read holds no write lock
            result = verify_chain(connection)
        with engine.begin() as connection:  # the finding is one short write
            connection.execute(sa.insert(CHAIN_CHECK).values(
                check_values(result, source="command", files_checked=True, now=SystemClock().now())))
    finally:
        engine.dispose()
    report(result)


def main(args: list[str]) -> None:
    load_dotenv()  # as the `practice` command's FlaskGroup does (.env files, with python-dotenv)
    verify_log_command.main(args, prog_name="practice verify-log")


if __name__ == "__main__":
    main(sys.argv[1:])
