"""The `practice` command (also available as `flask --app practice ...`).

A command that writes is one unit of work (`@one_unit_of_work`): it commits once when it
succeeds and leaves nothing when it fails."""

import glob
import logging
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from practice import demo
from practice.app import create_app
from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.auth.models import Role
from practice.clock import now
from practice.db import db
from practice.errors import DomainError
from practice.scheduling.models import Appointment
from practice.unit_of_work import one_unit_of_work


@dataclass(frozen=True)
class BackupFormat:
    """What a backup of one kind of database looks like; `header` starts every such file."""

    label: str
    suffix: str
    header: bytes


BACKUP_FORMATS = {
    "sqlite": BackupFormat("SQLite", ".sqlite", b"SQLite format 3\x00"),
    "postgresql": BackupFormat("PostgreSQL", ".dump", b"PGDMP"),
}


@contextmanager
def refusals_as_errors():
    """Show a service's refusal as a one-line CLI error instead of a traceback."""
    try:
        yield
    except DomainError as error:
        raise click.ClickException(error.message) from None


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="Display name (defaults to the part before @).")
@click.option("--credentials", default="", help="Qualifications shown for a practitioner.")
@click.option("--password", default=None, help="Prompted for when not given.")
@one_unit_of_work
def create_user_command(email, role, name, credentials, password):
    """Create an account (a practitioner role also gets a practitioner profile)."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with refusals_as_errors():
        user = auth_services.create_user(
            db.session, SYSTEM, email=email, name=name or email.split("@")[0],
            role=role, password=password, credentials=credentials, now=now(),
        )
    click.echo(f"Created {user.role} {user.email}.")


@click.command("demo")
@one_unit_of_work
def demo_command():
    """Fill an empty database with a demo practice: staff, clients, services, hours, three
    weeks of past appointments and the coming week booked."""
    with refusals_as_errors():
        users = demo.build_demo(db.session, now())
    appointments = db.session.scalar(select(func.count()).select_from(Appointment))
    click.echo(
        f"Created the demo practice {demo.PRACTICE.name} with {len(demo.CLIENTS)} clients, "
        f"{len(demo.SERVICES)} services and {appointments} appointments "
        f"(the past {demo.HISTORY_WEEKS} weeks and the coming week)."
    )
    click.echo()
    echo_table(
        ("Role", "Name", "E-mail", "Password"),
        [(user.role_label, user.name, user.email, demo.DEMO_PASSWORD) for user in users],
    )


def echo_table(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, tuple("-" * width for width in widths), *rows):
        cells = (str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: <instance>/backups/practice-<UTC time>).")
def backup_command(output):
    """Copy the database to a file while the app keeps running."""
    url = db.engine.url
    kind = url.get_backend_name()
    target = output or default_backup_path(kind)
    create_private_file(target)
    try:
        if kind == "sqlite":
            backup_sqlite(url.database, target)
        else:
            run_postgres_tool("pg_dump", url, "--format=custom", f"--file={target}")
    except BaseException:
        target.unlink()
        raise
    click.echo(f"Backup written to {target}")


def default_backup_path(kind: str) -> Path:
    name = f"practice-{now():%Y%m%d-%H%M%S}{BACKUP_FORMATS[kind].suffix}"
    return Path(current_app.instance_path) / "backups" / name


def create_private_file(path: Path) -> None:
    """Create the file readable by its owner only (it holds client records), never
    overwriting an earlier backup."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise click.ClickException(f"{path} already exists; choose another --output.") from None


def backup_sqlite(database: str, target: Path) -> None:
    # The backup API copies a consistent snapshot even while the app is writing.
    with sqlite_errors("back up"), closing(sqlite3.connect(database)) as source, \
            closing(sqlite3.connect(target)) as copy:
        source.backup(copy)


@contextmanager
def sqlite_errors(action: str):
    """A locked or damaged file is the user's to fix: say so without a traceback."""
    try:
        yield
    except sqlite3.Error as error:
        raise click.ClickException(f"Could not {action} the database: {error}.") from None


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(backup, yes):
    """Replace ALL current data with the contents of a backup file."""
    url = db.engine.url
    kind = url.get_backend_name()
    check_backup_file(backup, kind)
    if not yes:
        click.confirm(
            f"This replaces all current data in the database with {backup}. Continue?",
            abort=True,
        )
    # Our own pooled connections would hold locks that block the restore.
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        restore_sqlite(backup, url.database)
    else:
        run_postgres_tool(
            "pg_restore", url, "--clean", "--if-exists", "--no-owner",
            # All or nothing: a failed restore leaves the current data as it was.
            "--single-transaction", str(backup),
        )
    click.echo(f"Restored {backup}.")


def check_backup_file(path: Path, kind: str) -> None:
    if not path.is_file():
        raise click.ClickException(f"{path} does not exist.")
    with path.open("rb") as handle:
        start = handle.read(max(len(found.header) for found in BACKUP_FORMATS.values()))
    found = next((f for f in BACKUP_FORMATS.values() if start.startswith(f.header)), None)
    if found is None:
        raise click.ClickException(f"{path} is not a practice backup.")
    if found is not BACKUP_FORMATS[kind]:
        raise click.ClickException(
            f"{path} is a {found.label} backup, but this practice uses "
            f"{BACKUP_FORMATS[kind].label}."
        )


def restore_sqlite(backup: Path, database: str) -> None:
    # Copying into the live file (rather than replacing it) keeps its WAL and locks coherent
    # for any other process that has it open.
    # The copy runs as one transaction: a damaged backup leaves the live data as it was.
    with sqlite_errors("restore"), closing(sqlite3.connect(backup)) as source, \
            closing(sqlite3.connect(database)) as live:
        source.backup(live)


def run_postgres_tool(name: str, url, *args: str) -> None:
    """Run pg_dump or pg_restore against the app's database."""
    # The password goes in the environment: command lines are visible to other users.
    dsn = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port,
        database=url.database, query=url.query,
    ).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    command = [postgres_tool(name), f"--dbname={dsn}", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise click.ClickException(f"{name} failed:\n{result.stderr.strip()}")


def postgres_tool(name: str) -> str:
    """The tool on PATH, else the newest one installed by the Debian/Ubuntu packages."""
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda path: int(path.split("/")[-3])
    )
    if not installed:
        raise click.ClickException(f"{name} was not found; install the PostgreSQL client tools.")
    return installed[-1]


@click.command("verify-log")
def verify_log_command():
    """Check the conduct record's hash chain and every attachment; name the first entry
    that fails (exit status 1)."""
    from practice.conduct.chain import verify_chain

    result = verify_chain(db.session)
    if not result.ok:
        raise click.ClickException(result.summary)
    click.echo(result.summary)
    click.echo(f"Latest entry hash: {result.head_hash}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run at most one due job, then stop.")
@click.option("--burst", is_flag=True, help="Run due jobs until none is left, then stop.")
def worker_command(once, burst):
    """Run background jobs until stopped; Ctrl-C or SIGTERM let the job in hand finish first.
    Several workers may share a PostgreSQL database; with SQLite one is enough."""
    from practice.jobs.worker import Worker, stop_on_signals

    # The worker's own news (each job done or failed); only warnings from the libraries.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("practice").setLevel(logging.INFO)
    worker = Worker(current_app._get_current_object())
    with stop_on_signals(worker):
        ran = worker.run(once=once, burst=burst)
    click.echo(f"Ran {ran} job{'' if ran == 1 else 's'}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--web-processes", default=2, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes serving the pages.")
def serve_command(host, port, web_processes):
    """Serve the pages (gunicorn) with one background worker beside them; Ctrl-C stops both."""
    from practice.serve import serve_commands, supervise

    raise SystemExit(supervise(serve_commands(host, port, web_processes)))


def register_commands(app) -> None:
    for command in (create_user_command, demo_command, backup_command, restore_command,
                    verify_log_command, worker_command, serve_command):
        app.cli.add_command(command)


def main() -> None:
    FlaskGroup(create_app=lambda: create_app(), help="Practice management.")()
