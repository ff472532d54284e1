"""The `practice` command (also available as `flask --app practice ...`).

A command that writes is one unit of work (`@one_unit_of_work`): it commits once when it
succeeds and leaves nothing when it fails."""

import logging
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup
from flask_migrate import upgrade
from sqlalchemy import func, select

from practice import backups, verify_log
from practice.app import create_app
from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.auth.models import Role
from practice.clock import now
from practice.db import db
from practice.errors import DomainError
from practice.reports.models import DayFigures, OwingAppointment
from practice.scheduling.models import Appointment
from practice.unit_of_work import one_unit_of_work, unit_of_work


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
    from practice import demo  # it writes letters: only this command needs the PDF renderer

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
@click.option("--verify", "verify", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Check this backup file (as a restore would) without restoring it.")
def backup_command(output, verify):
    """Copy the database to a file while the app keeps running (or check a backup file)."""
    live = db.engine.url
    if verify is not None and output is not None:
        raise click.UsageError("Use --output to write a backup or --verify to check one, not both.")
    with backup_errors():
        if verify is not None:
            with backups.scratch_folder(Path(current_app.instance_path)) as scratch, \
                    backups.staged(live, verify, scratch) as (checked, _):
                click.echo(checked.summary)
            return
        target = output or backups.backup_path(
            Path(current_app.instance_path) / "backups", live.get_backend_name(), now())
        try:
            backups.create_private_file(target)
        except FileExistsError:
            raise click.ClickException(f"{target} already exists; choose another --output.") from None
        backups.write_backup(live, target)
    click.echo(f"Backup written to {target}")


@contextmanager
def backup_errors():
    """A refused backup or a failed tool is one clear message, never a traceback."""
    try:
        yield
    except (backups.BackupRefused, backups.ToolFailed) as error:
        raise click.ClickException(str(error)) from None


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(backup, yes):
    """Replace ALL current data with the contents of a backup file, once the file has been
    checked; the current data is backed up first."""
    live = db.engine.url
    instance_path = Path(current_app.instance_path)
    with backup_errors(), backups.scratch_folder(instance_path) as scratch, \
            backups.staged(live, backup, scratch) as (checked, restore_from):
        click.echo(checked.summary)
        if not yes:
            click.confirm(f"This replaces all current data in the database with {backup}. Continue?",
                          abort=True)
        kept = backups.keep_live_copy(live, instance_path, now())
        click.echo(f"The current data is kept in {kept}")
        # Our own pooled connections would hold locks that block the restore.
        db.session.remove()
        db.engine.dispose()
        backups.replace_live(live, restore_from)
        if not checked.current:
            upgrade()
    click.echo(f"Restored {backup}.")


@click.command("verify-log", help=verify_log.HELP)
def verify_log_command():
    """The check in the app (`flask --app practice verify-log`, the tests); the `practice`
    command runs it without building the app (practice/verify_log.py)."""
    from practice.conduct.chain import verify_chain
    from practice.conduct.services import record_chain_check

    result = verify_chain(db.session)
    db.session.rollback()  # the long read ends here, holding no write lock; the finding is one short write
    with unit_of_work(db.session):
        record_chain_check(db.session, result, source="command", files_checked=True, now=now())
    verify_log.report(result)


@click.command("rebuild-reports")
@one_unit_of_work
def rebuild_reports_command():
    """Compute the reports' summary again from every appointment, payment, conduct entry and
    client (after rows were changed outside the app; a restore and the migrations keep it
    themselves)."""
    from practice.reports import summary

    summary.rebuild(db.session)
    days = db.session.scalar(select(func.count()).select_from(DayFigures))
    owing = db.session.scalar(select(func.count()).select_from(OwingAppointment))
    click.echo(f"The reports' summary was rebuilt: {days} practitioner-days, {owing} appointments still owed for.")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run at most one due job, then stop.")
@click.option("--burst", is_flag=True, help="Run due jobs until none is left, then stop.")
def worker_command(once, burst):
    """Run background jobs until stopped; Ctrl-C or SIGTERM let the job in hand finish first.
    Several workers may share a PostgreSQL database; with SQLite one is enough."""
    from practice.jobs.worker import Worker, stop_on_signals
    from practice.serve import frozen

    # The worker's own news (each job done or failed); only warnings from the libraries.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("practice").setLevel(logging.INFO)
    worker = Worker(frozen(current_app._get_current_object()))
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
                    verify_log_command, rebuild_reports_command, worker_command, serve_command):
        app.cli.add_command(command)


def main() -> None:
    FlaskGroup(create_app=lambda: create_app(), help="Practice management.")()
