"""Restoring can never destroy the practice: a backup is checked before anything is touched
(the database's own integrity check, a schema version this code knows, the conduct chain,
the letters' SHA-256), the live data is kept before it is replaced, and `backup --verify`
checks a file without restoring it. On SQLite and on PostgreSQL alike.

Tampered backups are made the way someone behind the application's back would: the
append-only guards on the live database are taken off, a row is changed, and the database is
backed up with the tampering in it."""

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from practice.backups import BACKUP_FORMATS
from practice.db import db
from tests.conftest import make_app
from tests.test_access import conduct_world
from tests.test_cli import client_names, written_path
from tests.test_letters import letters_world

PAGE = 4096


def kind() -> str:
    return db.engine.url.get_backend_name()


@pytest.fixture
def recorded(runner, users, make_client):
    """A practice with a client, a conduct entry with an attachment and two issued letters (one
    to the client, a reply to an inquiry)."""
    sam = make_client("Sam in the backup")
    conduct_world(sam)  # an incident with a file attached
    letters_world(sam, users["practitioner"].practitioner)
    db.session.commit()  # as the requests that recorded them would
    return sam


def backup(runner, *args) -> Path:
    result = runner.invoke(args=["backup", *args])
    assert result.exit_code == 0, result.output
    return written_path(result.output)


def restore(runner, path: Path):
    return runner.invoke(args=["restore", str(path), "--yes"])


def pre_restore_copies(app) -> list[Path]:
    return sorted((Path(app.instance_path) / "backups").glob("pre-restore-*"))


def leftovers(app) -> list[Path]:
    return sorted((Path(app.instance_path) / "backups").glob(".checking-*"))


def assert_untouched(app, result, names: list[str]) -> None:
    """A refusal: exit status 1, the data as it was, no copy kept, no scratch left behind."""
    assert result.exit_code == 1, result.output
    db.session.remove()
    assert client_names() == names
    assert pre_restore_copies(app) == [] and leftovers(app) == []
    if kind() == "sqlite":
        with closing(sqlite3.connect(db.engine.url.database)) as live:
            assert live.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def without_guards(table: str) -> None:
    """Take the database's append-only guards off a table, as tampering would."""
    if kind() == "sqlite":
        for (name,) in db.session.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
                {"table": table}):
            db.session.execute(sa.text(f'DROP TRIGGER "{name}"'))
    else:
        db.session.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


# Refused, and nothing touched --------------------------------------------------------------------

def test_a_backup_with_4_kib_zeroed_in_the_middle_is_refused(app, runner, recorded, make_client):
    path = backup(runner)
    size = path.stat().st_size
    assert size > 3 * PAGE
    with path.open("r+b") as damaged:
        damaged.seek(size // 2 // PAGE * PAGE)
        damaged.write(b"\0" * PAGE)
    make_client("After the backup")

    result = restore(runner, path)

    assert "damaged" in result.output or "does not restore cleanly" in result.output, result.output
    assert_untouched(app, result, ["After the backup", "Sam in the backup"])


def test_an_unrelated_sqlite_file_is_refused(app, runner, recorded, tmp_path):
    if kind() != "sqlite":
        pytest.skip("a SQLite file is refused on PostgreSQL by its kind (test_cli.py)")
    unrelated = tmp_path / "holiday-photos.sqlite"
    with closing(sqlite3.connect(unrelated)) as other:
        other.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, name TEXT)")
        other.execute("INSERT INTO photo (name) VALUES ('beach.jpg')")
        other.commit()

    result = restore(runner, unrelated)

    assert "is not a backup of this application: it has no schema version" in result.output
    assert_untouched(app, result, ["Sam in the backup"])


def test_an_unrelated_postgresql_dump_is_refused(app, runner, recorded, databases, tmp_path):
    if kind() != "postgresql":
        pytest.skip("PostgreSQL dumps")
    other = databases.cluster.url("unrelated_" + os.urandom(4).hex())
    name = other.rsplit("/", 1)[1]
    databases.cluster.admin_execute(f"CREATE DATABASE {name}")
    engine = sa.create_engine(other)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE photo (id serial PRIMARY KEY, name text)"))
    engine.dispose()
    dump = tmp_path / "unrelated.dump"
    from practice.backups import run_postgres_tool

    run_postgres_tool("pg_dump", sa.engine.make_url(other), "--format=custom", f"--file={dump}")
    databases.drop(other)

    result = restore(runner, dump)

    assert "is not a backup of this application: it has no schema version" in result.output
    assert_untouched(app, result, ["Sam in the backup"])


def test_a_backup_of_a_schema_this_code_does_not_know_is_refused(app, runner, recorded, make_client):
    (current,) = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    db.session.commit()
    path = backup(runner)
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    db.session.commit()

    result = restore(runner, path)

    assert "a version of the application this one does not know (schema revision f00dcafe)" in result.output
    assert_untouched(app, result, ["Sam in the backup"])


def test_a_backup_with_a_tampered_conduct_entry_is_refused(app, runner, recorded, make_client):
    without_guards("conduct_entry")
    db.session.execute(sa.text("UPDATE conduct_entry SET description = 'Nothing happened.'"))
    db.session.commit()
    path = backup(runner)
    make_client("After the backup")

    result = restore(runner, path)

    assert "has an altered conduct record" in result.output and "was changed after it was recorded" in result.output
    assert_untouched(app, result, ["After the backup", "Sam in the backup"])


def test_a_backup_with_tampered_letter_bytes_is_refused(app, runner, recorded, make_client):
    without_guards("letter")
    db.session.execute(sa.text("UPDATE letter SET pdf = :pdf"), {"pdf": b"%PDF-1.7\n% another letter\n"})
    db.session.commit()
    path = backup(runner)
    make_client("After the backup")

    result = restore(runner, path)

    assert "has an altered letter" in result.output and "does not match the SHA-256" in result.output
    assert_untouched(app, result, ["After the backup", "Sam in the backup"])


def test_verify_checks_a_backup_without_restoring_it(app, runner, recorded, make_client):
    path = backup(runner)
    make_client("After the backup")

    result = runner.invoke(args=["backup", "--verify", str(path)])

    assert result.exit_code == 0, result.output
    assert "is a practice backup (the current schema" in result.output
    assert "every issued letter matches its SHA-256 (2 letters)" in result.output
    assert client_names() == ["After the backup", "Sam in the backup"]
    assert pre_restore_copies(app) == [] and leftovers(app) == []


def test_verify_names_what_is_wrong(app, runner, recorded, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database")
    result = runner.invoke(args=["backup", "--verify", str(notes)])
    assert result.exit_code == 1 and "is not a practice backup" in result.output


# Restored, with the live data kept -------------------------------------------------------------

def test_a_good_backup_restores_and_keeps_the_data_it_replaced(app, runner, recorded, make_client):
    path = backup(runner)
    make_client("After the backup")

    result = restore(runner, path)

    assert result.exit_code == 0, result.output
    assert "the conduct record's hash chain verifies (1 entry)" in result.output
    (kept,) = pre_restore_copies(app)
    assert f"The current data is kept in {kept}" in result.output
    assert kept.suffix == BACKUP_FORMATS[kind()].suffix and kept.stat().st_mode & 0o777 == 0o600
    assert leftovers(app) == []
    db.session.remove()
    assert client_names() == ["Sam in the backup"]

    # The copy holds what was replaced: restoring it brings the later client back.
    again = restore(runner, kept)
    assert again.exit_code == 0, again.output
    db.session.remove()
    assert client_names() == ["After the backup", "Sam in the backup"]
    assert len(pre_restore_copies(app)) == 2


def test_a_backup_of_an_earlier_schema_is_upgraded_after_restoring(app, runner, recorded, tmp_path, databases):
    if kind() != "sqlite":
        pytest.skip("the upgrade after restoring is the same code on both databases")
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    old_app = make_app(f"sqlite:///{earlier / 'old.sqlite'}", earlier / "instance")
    with old_app.app_context():
        upgrade(revision="0008")
        db.engine.dispose()

    result = restore(runner, earlier / "old.sqlite")

    assert result.exit_code == 0, result.output
    assert "an earlier schema, upgraded after restoring, revision 0008" in result.output
    db.session.remove()
    (revision,) = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    assert revision != "0008" and client_names() == []


def test_a_damaged_live_database_is_kept_byte_for_byte_before_a_restore(app, runner, recorded):
    if kind() != "sqlite":
        pytest.skip("a SQLite file")
    path = backup(runner)
    db.session.remove()
    db.engine.dispose()
    live = Path(db.engine.url.database)
    with live.open("r+b") as damaged:
        damaged.write(b"\0" * PAGE)  # the header: SQLite cannot copy it page by page any more
    damaged_bytes = live.read_bytes()

    result = restore(runner, path)

    assert result.exit_code == 0, result.output
    (kept,) = pre_restore_copies(app)
    assert kept.read_bytes() == damaged_bytes
    assert client_names() == ["Sam in the backup"]


# /healthz -------------------------------------------------------------------------------------

def test_health_reports_a_damaged_database_file(app, client, recorded):
    if kind() != "sqlite":
        pytest.skip("SQLite's quick check")
    db.session.remove()
    db.engine.dispose()
    live = Path(db.engine.url.database)
    size = live.stat().st_size
    with live.open("r+b") as damaged:
        damaged.seek(size // 2 // PAGE * PAGE)
        damaged.write(b"\xff" * PAGE)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json == {"status": "degraded", "database": "damaged"}


def test_health_checks_the_file_once_a_minute_at_most(app, client, count_queries):
    if kind() != "sqlite":
        pytest.skip("SQLite's quick check")
    with count_queries() as statements:
        for _ in range(3):
            assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    assert sum("quick_check" in statement for statement in statements) == 1
    app.config["PRACTICE_HEALTH_CHECK_SECONDS"] = 0
    with count_queries() as statements:
        client.get("/healthz")
    assert sum("quick_check" in statement for statement in statements) == 1
