"""The migrations build exactly the models' schema, and the database guards its rules."""

import warnings
from datetime import timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from practice.audit.models import AuditEvent
from practice.db import db, in_this_database
from tests.conftest import NOW


def test_migrations_match_the_models(app):
    # The app's database was built by running every migration (see tests/conftest.py).
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect an index on an expression (the client list's lower(name)),
        # so Alembic leaves those out of the comparison there; PostgreSQL compares them.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": in_this_database})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def _partial_indexes():
    return [(table, index) for table in db.metadata.sorted_tables for index in table.indexes
            if index.dialect_options[db.engine.dialect.name]["where"] is not None]


def _condition(connection, table: str, name: str) -> str:
    """A partial index's condition as the database keeps it (PostgreSQL rewrites it)."""
    if connection.dialect.name == "sqlite":
        reflected = {index["name"]: index for index in sa.inspect(connection).get_indexes(table)}
        return str(reflected[name]["dialect_options"]["sqlite_where"])
    return connection.scalar(sa.text(
        "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = :name"), {"name": name})


def test_partial_indexes_have_the_models_conditions(app):
    """Alembic leaves a partial index's condition out of its comparison: the migrations' must
    be the model's, which the queries that read the index repeat (SQLite matches them as text)."""
    indexes = _partial_indexes()
    assert {index.name for _, index in indexes} >= {"ix_appointment_charged_client_id"}
    with db.engine.connect() as connection:
        for table, index in indexes:
            built = _condition(connection, table.name, index.name)
            model = str(index.dialect_options[connection.dialect.name]["where"])
            if connection.dialect.name == "postgresql":
                # As PostgreSQL keeps it: the same index made again, rolled back (its DDL is
                # transactional).
                connection.exec_driver_sql(
                    f"CREATE INDEX ix_probe ON {table.name} ({', '.join(c.name for c in index.columns)}) "
                    f"WHERE {model}")
                model = _condition(connection, table.name, "ix_probe")
            connection.rollback()
            assert built == model, index.name


def test_audit_trail_refuses_update_and_delete(app, practice):
    event_id = db.session.scalar(sa.select(AuditEvent.id).limit(1))
    for statement in (
        sa.text("UPDATE audit_event SET action = 'changed' WHERE id = :id"),
        sa.text("DELETE FROM audit_event WHERE id = :id"),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(statement, {"id": event_id})
        db.session.rollback()
    assert db.session.get(AuditEvent, event_id).action == "practice.setup"


def test_datetimes_come_back_aware_in_utc(app, practice):
    event = db.session.scalar(sa.select(AuditEvent).limit(1))
    db.session.expire_all()
    assert event.at == NOW and event.at.tzinfo == timezone.utc


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_postgresql_sessions_are_in_utc(app):
    """Whatever the server's zone: psycopg then gives timestamps with Python's own UTC."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's session zone")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW TIME ZONE").scalar() == "UTC"
        read = connection.exec_driver_sql("SELECT TIMESTAMPTZ '2026-11-23 07:00+01'").scalar()
    assert read == NOW.replace(hour=6) and read.tzinfo is timezone.utc


def test_health_reports_an_unreachable_database(tmp_path):
    from tests.conftest import make_app

    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "degraded", "database": "unreachable"}


# The suite's own PostgreSQL databases (tests/databases.py): a copy a test is done with is
# emptied and handed to the next test, so it must come back as the template was.

def _rows(url: str, statement: str):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(sa.text(statement))
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def test_a_test_database_is_handed_on_as_the_template_was(databases, tmp_path):
    if databases.kind != "postgresql":
        pytest.skip("the SQLite pass copies the template's file for each test")
    url = databases.fresh(tmp_path)
    seeded = _rows(url, "SELECT id, name FROM modality ORDER BY id")
    _rows(url, "INSERT INTO modality (name, name_key, retired) VALUES ('Reiki', 'reiki', false)")
    _rows(url, "INSERT INTO audit_event (at, actor_label, address, action, object_type, object_id, detail) "
               "VALUES (now(), 'system', '', 'test', '', '', '{}')")  # append-only
    databases.drop(url)

    again = databases.fresh(tmp_path)
    assert again == url  # the same database, emptied
    assert _rows(again, "SELECT id, name FROM modality ORDER BY id") == seeded
    assert _rows(again, "SELECT count(*) FROM audit_event") == [(0,)]
    # Ids start where the template's do, as in a database made from it.
    assert _rows(again, "INSERT INTO modality (name, name_key, retired) VALUES ('Reiki', 'reiki', false) "
                        "RETURNING id") == [(seeded[-1].id + 1,)]
    databases.drop(again)


def test_a_test_database_whose_schema_a_test_changed_is_not_handed_on(databases, tmp_path):
    if databases.kind != "postgresql":
        pytest.skip("the SQLite pass copies the template's file for each test")
    url = databases.fresh(tmp_path)
    _rows(url, "ALTER TABLE audit_event DISABLE TRIGGER USER")  # as the tamper tests do
    databases.drop(url)

    again = databases.fresh(tmp_path)
    assert again != url
    assert _rows(again, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                        "AND NOT tgisinternal AND tgenabled = 'D'") == [(0,)]
    databases.drop(again)
