"""Fixtures in the style of Flask's tutorial (app, client, runner) plus factories.

`--db=sqlite` (default) or `--db=postgresql` picks the database the whole run uses."""

import contextvars
import functools
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timezone
from pathlib import Path

import jinja2
import pytest
from flask import has_app_context
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.routing import Rule
from werkzeug.security import check_password_hash, generate_password_hash

from practice import create_app
from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.clients import services as client_services
from practice.clock import FixedClock
from practice.db import db
from practice.policies import services as policy_services
from practice.policies.queries import current_policy
from practice.scheduling import services as scheduling_services
from practice.settings.services import PracticeDetails
from practice.unit_of_work import unit_of_work
from tests.databases import (
    PostgresCluster,
    PostgresDatabases,
    SQLiteDatabases,
    in_ci,
    postgres_bindir,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"


def pytest_addoption(parser):
    parser.addoption("--db", choices=["sqlite", "postgresql"], default="sqlite",
                     help="database the suite runs against")


def pytest_report_header(config):
    return f"practice test database: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory):
    kind = request.config.getoption("--db")
    if kind == "sqlite":
        dbs = SQLiteDatabases(tmp_path_factory.mktemp("sqlite"))
    else:
        bindir = postgres_bindir()
        if bindir is None:
            message = "PostgreSQL binaries not found under /usr/lib/postgresql (run `make test` as root to install them)"
            if in_ci():
                pytest.fail(message)
            pytest.skip(message)
        cluster = PostgresCluster(bindir)
        cluster.start()
        request.addfinalizer(cluster.stop)
        dbs = PostgresDatabases(cluster)
    _migrate(dbs.template_url(), tmp_path_factory.mktemp("migrate"))
    return dbs


def _migrate(url: str, instance: Path) -> None:
    app = create_app({"PRACTICE_DATABASE_URL": url, "PRACTICE_INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture
def database_url(databases, tmp_path):
    url = databases.fresh(tmp_path)
    yield url
    databases.drop(url)


class RequestClient(FlaskClient):
    """A test client whose every request gets its own app context (and so its own `g`
    and database session), as in production, even while a test holds an app context.

    What the test did through the services before a request is its own unit of work: it is
    committed first, as the request or command that did it would have committed it."""

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()

        def run():
            _cv_app.set(None)
            # Buffered: a streamed body (an export) is read here, in the request's own
            # context, as a server reads it before the next request.
            return super(RequestClient, self).open(*args, **{"buffered": True, **kwargs})

        return contextvars.copy_context().run(run)


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per test process and shared by its apps: every test builds
    an app of its own, and each compiled the same templates again."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])  # dropped if the source changed

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


@pytest.fixture(autouse=True, scope="session")
def url_builders_compiled_once():
    """Werkzeug compiles a Python function to build each route's URLs when an app adds the
    route; every test builds an app of its own, and compiling the same 150 routes' builders
    again was a fifth of a web test's time. The builder's code depends only on the route's
    parts, defaults and converters (the rule itself is passed in as `self`), so the same
    route gets the builder compiled the first time."""
    compile_builder = Rule._compile_builder
    builders = {}

    def compiled_once(rule, append_unknown=True):
        key = (append_unknown, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())),
               tuple((name, type(converter)) for name, converter in rule._converters.items()))
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compiled_once)
        yield


def make_app(database_url, instance_path, **config):
    settings = {
        "TESTING": True,
        "PRACTICE_DATABASE_URL": database_url,
        "PRACTICE_INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test secret",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        # Off, so that a test's worker runs only the jobs the test queued; on where tested.
        "PRACTICE_CHAIN_CHECK_DAILY": False,
        "PRACTICE_HOUSEKEEPING_DAILY": False,
    }
    settings.update(config)
    app = create_app(settings)
    app.test_client_class = RequestClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.extensions["practice"].clock = FixedClock(NOW)
    return app


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# Worlds built once: modules that run hundreds of cases against the same rich practice
# build it once per test process and give each case a copy (a file copy on SQLite, a
# database made from it as a template on PostgreSQL), since building it costs more than
# most cases.

CHEAP_PASSWORD_HASH = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")


@dataclass
class Snapshot:
    url: str
    instance: Path
    config: dict  # what building it set in the app's configuration (e-mail, say)
    user_ids: dict[str, int]  # an account of every role, by role
    made: object  # what the build returned: ids, tokens


def build_snapshot(databases, folder: Path, build) -> Snapshot:
    """A database with the practice, an account of every role and what
    `build(app, users, make_user)` made, committed; its connections closed."""
    url = databases.fresh(folder)
    app = make_app(url, folder / "instance")
    before = dict(app.config)
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(auth_services, "generate_password_hash", CHEAP_PASSWORD_HASH)
        make_user = user_maker()
        users = users_of_every_role(set_up_practice(), make_user)
        made = build(app, users, make_user)
        user_ids = {role: user.id for role, user in users.items()}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    config = {key: value for key, value in app.config.items() if before.get(key) != value}
    return Snapshot(url, folder / "instance", config, user_ids, made)


@contextmanager
def app_on_a_copy(databases, snapshot: Snapshot, folder: Path):
    """An app (its context pushed) on a copy of the snapshot's database and instance folder."""
    url = databases.copy(snapshot.url, folder)
    instance = folder / "instance"
    if snapshot.instance.exists():
        shutil.copytree(snapshot.instance, instance)
    app = make_app(url, instance, **snapshot.config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Factories ----------------------------------------------------------------------------

# Factories commit what they make, as the request or command that made it would: the
# services only flush (see practice.unit_of_work).

def set_up_practice():
    """The practice every test uses, with its first admin (who also sees clients)."""
    with passwords_hashed_once():
        return committed(auth_services.setup_practice(
            db.session,
            PracticeDetails(name="Harbour Street Massage", timezone="Europe/London",
                            currency="GBP", phone_region="GB", address="12 Harbour Street\nBristol",
                            phone="0117 496 0000", email="hello@harbour.example"),
            admin_name="Alex Admin", admin_email="admin@harbour.example", password=PASSWORD,
            sees_clients=True, address="127.0.0.1", now=NOW,
        ))


@functools.cache
def _real_password_hash(password: str) -> str:
    return generate_password_hash(password)


@pytest.fixture(autouse=True, scope="session")
def password_checks_remembered():
    """Checking a password against the factories' shared hash (scrypt) gives the same answer
    each time and cost a tenth of a web test's time: each hash and password pair is checked
    once per test process, by werkzeug as the app does, and its answer reused."""
    from practice.auth import two_factor

    checked_once = functools.cache(check_password_hash)
    with pytest.MonkeyPatch.context() as patch:
        for module in (auth_services, two_factor):
            patch.setattr(module, "check_password_hash", checked_once)
        yield


@contextmanager
def passwords_hashed_once():
    """The factories' accounts get the hash the app makes (scrypt), made once per password
    in a test process: it is slow by design, and most tests make several accounts."""
    with pytest.MonkeyPatch.context() as patch:
        if auth_services.generate_password_hash is generate_password_hash:  # not made cheap by the test
            patch.setattr(auth_services, "generate_password_hash", _real_password_hash)
        yield


def committed(made):
    db.session.commit()
    return made


@contextmanager
def one_action():
    """What a request or a job does: the test's earlier work committed first, then the block
    as one unit of work (committed at its end, rolled back if it raises)."""
    db.session.commit()
    with unit_of_work(db.session):
        yield


def user_maker():
    counter = iter(range(1, 10_000))

    def make(role="practitioner", name=None, email=None, password=PASSWORD, **extra):
        number = next(counter)
        with passwords_hashed_once():
            return committed(auth_services.create_user(
                db.session, SYSTEM, email=email or f"{role}{number}@harbour.example",
                name=name or f"{role.replace('_', ' ').title()} {number}", role=role,
                password=password, now=NOW, **extra,
            ))

    return make


def make_client_record(display_name="Sam", **details):
    return committed(client_services.create_client(
        db.session, SYSTEM, client_services.ClientDetails(display_name=display_name, **details),
        phone_region="GB", now=NOW,
    ))


def users_of_every_role(admin, make_user) -> dict:
    """One account per role, the admin being the practice's first account."""
    return {
        "admin": admin,
        "practitioner": make_user("practitioner", name="Priya Practitioner"),
        "front_desk": make_user("front_desk", name="Fran Desk"),
    }


@pytest.fixture
def practice(app):
    return set_up_practice()


@pytest.fixture
def make_user(practice):
    return user_maker()


@pytest.fixture
def make_client(practice):
    return make_client_record


@pytest.fixture
def login(client):
    def sign_in(user, password=PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in


@pytest.fixture
def users(practice, make_user):
    return users_of_every_role(practice, make_user)


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run while a block executes: `with count_queries() as n: ...`."""
    from sqlalchemy import event

    @contextmanager
    def counting():
        statements = []

        def note(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", note)

    return counting


@pytest.fixture
def desk(users, make_client):
    """A practitioner working 09:00-13:00 and 14:00-18:00 every day, a 60-minute service
    at 60.00 with a 15-minute buffer, and a client."""
    practitioner = users["practitioner"].practitioner
    hours = [(d, time(9), time(13)) for d in range(7)] + [(d, time(14), time(18)) for d in range(7)]
    scheduling_services.set_working_hours(db.session, SYSTEM, practitioner.id, hours, now=NOW)
    service = scheduling_services.create_service(db.session, SYSTEM, name="Remedial massage, 60 minutes",
                                      duration_minutes=60, price_cents=6000,
                                      buffer_after_minutes=15, now=NOW)
    client = make_client("Sam")
    acknowledge(client)
    return practitioner, service, client


def acknowledge(client, on=NOW):
    """The client signed the policy in force at intake (so fees need no confirmation)."""
    policy = current_policy(db.session, on)
    policy_services.record_acknowledgement(db.session, SYSTEM, client.id, policy.id, "signed_at_intake",
                                           on.date(), now=on)
    db.session.commit()


def statements_of_page(client, path: str) -> tuple[str, list[tuple[str, object]]]:
    """The page at `path` (asserted to open) and the statements it ran, each with its
    parameters as sent to the driver (for EXPLAIN)."""
    from sqlalchemy import event

    statements = []

    def caught(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", caught)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", caught)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements
