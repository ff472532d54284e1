"""Backups: writing them, checking them, and restoring one without ever losing the live data.

A backup is checked before anything is restored from it, on a private copy (SQLite) or in a
scratch database (PostgreSQL), so that the file cannot change between the check and the
restore. It must be:
- a backup of this application: its schema version (Alembic's) is one this code knows;
- intact by the database's own check: SQLite's `PRAGMA integrity_check`; for PostgreSQL a
  complete `pg_restore` of the dump into a scratch database;
- unaltered: the conduct record's hash chain verifies (attachments included), and every
  issued letter's PDF still matches its SHA-256.
Otherwise the restore is refused with the reason and nothing is changed. Before the live
data is replaced it is itself backed up into <instance>/backups/pre-restore-<time>."""

import glob
import hashlib
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from practice.conduct.chain import verify_chain
from practice.config import PACKAGE_DIR
from practice.letters.models import Letter

LETTER_BATCH = 50  # letters hashed at a time (each holds a PDF)


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


class BackupRefused(Exception):
    """The file is not one to restore from; the message says why."""


class ToolFailed(Exception):
    """pg_dump, pg_restore or SQLite could not do what was asked; the message says why."""


@dataclass(frozen=True)
class Checked:
    """What a backup was found to be."""

    path: Path
    revision: str
    entries: int  # conduct entries whose chain verified
    letters: int  # letters whose PDF matches its SHA-256
    current: bool  # made by this version of the schema (else it is upgraded after restoring)

    @property
    def summary(self) -> str:
        schema = "the current schema" if self.current else "an earlier schema, upgraded after restoring"
        return (f"{self.path} is a practice backup ({schema}, revision {self.revision}). It passes "
                f"the database's integrity check, the conduct record's hash chain verifies "
                f"({_count(self.entries, 'entry', 'entries')}) and every issued letter matches its "
                f"SHA-256 ({_count(self.letters, 'letter', 'letters')}).")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


# Writing ------------------------------------------------------------------------------------

def backup_path(folder: Path, kind: str, now: datetime, prefix: str = "practice") -> Path:
    """<folder>/<prefix>-<UTC time><suffix>, never the name of an earlier file."""
    stem, suffix = f"{prefix}-{now:%Y%m%d-%H%M%S}", BACKUP_FORMATS[kind].suffix
    path, number = folder / f"{stem}{suffix}", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}{suffix}"
    return path


def create_private_file(path: Path) -> None:
    """Create the file readable by its owner only (it holds client records), never
    overwriting an earlier one (FileExistsError)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def write_backup(url: URL, target: Path) -> None:
    """A consistent copy of the live database into `target` (already created, empty), made
    while the app keeps running: SQLite's backup API, or pg_dump's custom format."""
    try:
        if url.get_backend_name() == "sqlite":
            copy_sqlite(Path(url.database), target)
        else:
            run_postgres_tool("pg_dump", url, "--format=custom", f"--file={target}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def copy_sqlite(source: Path, target: Path) -> None:
    with sqlite_errors("copy"), closing(sqlite3.connect(source)) as origin, \
            closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


@contextmanager
def sqlite_errors(action: str):
    """A locked or damaged file is the user's to fix: say so plainly."""
    try:
        yield
    except sqlite3.Error as error:
        raise ToolFailed(f"Could not {action} the database: {error}.") from None


# Checking -----------------------------------------------------------------------------------

def kind_of_file(path: Path, expected: str) -> None:
    """Refuse what is not a backup file for this kind of database, by its first bytes."""
    if not path.is_file():
        raise BackupRefused(f"{path} does not exist.")
    with path.open("rb") as handle:
        start = handle.read(max(len(found.header) for found in BACKUP_FORMATS.values()))
    found = next((f for f in BACKUP_FORMATS.values() if start.startswith(f.header)), None)
    if found is None:
        raise BackupRefused(f"{path} is not a practice backup.")
    if found is not BACKUP_FORMATS[expected]:
        raise BackupRefused(f"{path} is a {found.label} backup, but this practice uses "
                            f"{BACKUP_FORMATS[expected].label}.")


@contextmanager
def staged(live: URL, backup: Path, scratch: Path) -> Iterator[tuple[Checked, object]]:
    """Check the backup where the live data cannot be touched and yield (what it is, what to
    restore from): a checked private copy of a SQLite file, or the path of a dump that
    restored cleanly into a scratch database (dropped afterwards)."""
    kind = live.get_backend_name()
    kind_of_file(backup, kind)
    if kind == "sqlite":
        copy = scratch / "backup.sqlite"
        shutil.copyfile(backup, copy)  # checked and restored from, whatever happens to the file
        os.chmod(copy, 0o600)
        sqlite_integrity(copy, backup)
        engine = sa.create_engine(f"sqlite:///{copy}")
        try:
            yield check_contents(engine, backup), copy
        finally:
            engine.dispose()
        return
    dump = scratch / "backup.dump"
    shutil.copyfile(backup, dump)
    with scratch_database(live) as scratch_url:
        try:
            run_postgres_tool("pg_restore", scratch_url, "--no-owner", "--no-privileges",
                              "--exit-on-error", "--single-transaction", str(dump))
        except ToolFailed as failure:
            raise BackupRefused(f"{backup} does not restore cleanly, so it is damaged or not a "
                                f"complete backup: {failure}") from None
        engine = sa.create_engine(scratch_url)
        try:
            yield check_contents(engine, backup), dump
        finally:
            engine.dispose()


def sqlite_integrity(copy: Path, shown_as: Path) -> None:
    """SQLite's own full check of every page, index and constraint."""
    try:
        with closing(sqlite3.connect(copy)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
    except sqlite3.DatabaseError as error:
        raise BackupRefused(f"{shown_as} is damaged: SQLite cannot read it ({error}).") from None
    if problems != ["ok"]:
        raise BackupRefused(f"{shown_as} is damaged: SQLite's integrity check found "
                            f"{'; '.join(problems)}.")


def check_contents(engine, shown_as: Path) -> Checked:
    """The schema version, the conduct record's chain and the letters' hashes."""
    revision, current = schema_revision(engine, shown_as)
    tables = set(sa.inspect(engine).get_table_names())
    with Session(engine) as session:
        entries = verified_entries(session, shown_as) if "conduct_entry" in tables else 0
        letters = verified_letters(session, shown_as) if "letter" in tables else 0
    return Checked(shown_as, revision, entries, letters, current)


def schema_revision(engine, shown_as: Path) -> tuple[str, bool]:
    """The backup's Alembic revision, and whether it is the code's own head."""
    try:
        with engine.connect() as connection:
            revisions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    except sa.exc.DatabaseError:
        raise BackupRefused(f"{shown_as} is not a backup of this application: it has no schema "
                            "version.") from None
    scripts = migrations()
    if len(revisions) != 1:
        raise BackupRefused(f"{shown_as} is not a backup of this application: its schema version "
                            "is missing.")
    try:
        known = scripts.get_revision(revisions[0])
    except CommandError:
        known = None
    if known is None:
        raise BackupRefused(f"{shown_as} was made by a version of the application this one does not "
                            f"know (schema revision {revisions[0]}). Restore it with the version "
                            "that made it.")
    return revisions[0], revisions[0] == scripts.get_current_head()


def migrations() -> ScriptDirectory:
    return ScriptDirectory(str(PACKAGE_DIR / "migrations"))


def verified_entries(session, shown_as: Path) -> int:
    result = verify_chain(session)
    if not result.ok:
        raise BackupRefused(f"{shown_as} has an altered conduct record. {result.summary}")
    return result.count


def verified_letters(session, shown_as: Path) -> int:
    table = Letter.__table__
    count, last_id = 0, 0
    while rows := session.execute(
        sa.select(table.c.id, table.c.sha256, table.c.pdf).where(table.c.id > last_id)
        .order_by(table.c.id).limit(LETTER_BATCH)
    ).all():
        for row in rows:
            if hashlib.sha256(row.pdf).hexdigest() != row.sha256:
                raise BackupRefused(f"{shown_as} has an altered letter: letter {row.id}'s PDF does not "
                                    "match the SHA-256 recorded when it was issued.")
        count, last_id = count + len(rows), rows[-1].id
    return count


# Restoring ---------------------------------------------------------------------------------

@contextmanager
def scratch_folder(instance_path: Path) -> Iterator[Path]:
    """A private folder beside the backups for the copies being checked; removed after."""
    backups = instance_path / "backups"
    backups.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".checking-", dir=backups))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def keep_live_copy(live: URL, instance_path: Path, now: datetime) -> Path:
    """Back up the live data into <instance>/backups/pre-restore-<time> before a restore.
    A SQLite file too damaged to copy page by page is kept byte for byte instead."""
    target = backup_path(instance_path / "backups", live.get_backend_name(), now, prefix="pre-restore")
    create_private_file(target)
    try:
        write_backup(live, target)
    except ToolFailed as failure:
        if live.get_backend_name() != "sqlite":
            raise ToolFailed(f"Could not keep a copy of the current data, so nothing was "
                             f"restored: {failure}") from None
        create_private_file(target)
        shutil.copyfile(live.database, target)
    return target


def replace_live(live: URL, restore_from: Path) -> None:
    """Put the checked backup in place of the live data, all or nothing."""
    if live.get_backend_name() == "sqlite":
        # Copying into the live file (rather than replacing it) keeps its WAL and locks
        # coherent for any other process that has it open; the copy is one transaction.
        try:
            with closing(sqlite3.connect(restore_from)) as source, \
                    closing(sqlite3.connect(live.database)) as target:
                source.backup(target)
        except sqlite3.DatabaseError:
            replace_unreadable_file(restore_from, Path(live.database))
    else:
        run_postgres_tool("pg_restore", live, "--clean", "--if-exists", "--no-owner",
                          "--single-transaction", str(restore_from))


def replace_unreadable_file(restore_from: Path, database: Path) -> None:
    """A live file SQLite cannot open any more (its header is gone) cannot be copied into:
    it is replaced whole (it was kept byte for byte first), and its write-ahead log and
    shared memory, which belong to the damaged file, go with it."""
    staging = database.with_name(database.name + ".restoring")
    shutil.copyfile(restore_from, staging)
    os.chmod(staging, 0o600)
    for leftover in (database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(staging, database)


# PostgreSQL ---------------------------------------------------------------------------------

@contextmanager
def scratch_database(live: URL) -> Iterator[URL]:
    """An empty database beside the live one, dropped afterwards (the database user needs the
    right to create databases)."""
    name = f"practice_check_{secrets.token_hex(6)}"
    admin = sa.create_engine(live, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.DBAPIError as error:
        admin.dispose()
        raise ToolFailed(f"Could not create a scratch database to check the backup in "
                         f"({str(error.orig).strip()}); give the database user the CREATEDB "
                         "right.") from None
    try:
        yield live.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_postgres_tool(name: str, url: URL, *args: str) -> None:
    """Run pg_dump or pg_restore against a database of the app's server."""
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
        raise ToolFailed(f"{name} failed:\n{result.stderr.strip()}")


def postgres_tool(name: str) -> str:
    """The tool on PATH, else the newest one installed by the Debian/Ubuntu packages."""
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda path: int(path.split("/")[-3])
    )
    if not installed:
        raise ToolFailed(f"{name} was not found; install the PostgreSQL client tools.")
    return installed[-1]
