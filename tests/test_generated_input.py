"""Generated values in every form field and query parameter of every route: never a 500.

Nobody lists the fields by hand. Each route of tests/test_access.py's ROUTES is first
requested with its valid data while the request notes every query parameter, form field
and file it reads; Hypothesis then sends generated values under those names (and under the
names tests/test_bad_input.py's POST_FORMS knows), mixed with the valid ones, on a populated
practice: the access tests' world, built once and copied for each route.

Each name also gets a few edge values alone, the rest of the request valid (EDGE_EXAMPLES:
they reach past the form's checks to the queries behind it). Run time stays bounded: a few
generated examples per route besides (PRACTICE_GENERATED_EXAMPLES, default 12), derandomised
so that a failure is the same on the next run, and PDFs drawn as a stand-in (the pages and
templates around them still run)."""

import io
import os
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from unittest.mock import patch
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import got_request_exception, request
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from practice.auth import sessions
from practice.auth.views import SESSION_TOKEN
from practice.db import db
from tests.conftest import (
    NOW,
    make_app,
    make_client_record,
    set_up_practice,
    user_maker,
    users_of_every_role,
)
from tests.test_access import ROUTES, World, build_world
from tests.test_bad_input import POST_FORMS

EXAMPLES = int(os.environ.get("PRACTICE_GENERATED_EXAMPLES", "12"))
# Pages that only do their work for a visitor who is not signed in.
VISITOR_ENDPOINTS = {"auth.login", "auth.accept_invitation", "auth.setup", "feeds.feed", "main.healthz"}
STAND_IN_PDF = b"%PDF-1.7\n% stand-in\n"


# Which names a request reads ----------------------------------------------------------------

class ReadNames(ImmutableMultiDict):
    """Form data and query strings that note each name a view asks for."""

    def _note(self, key):
        _seen.setdefault(id(self), set()).add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None, type=None):
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)


_seen: dict[int, set[str]] = {}


@dataclass
class Names:
    args: set[str] = field(default_factory=set)
    form: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


def names_read(app, send) -> Names:
    """The names the view reads from the query string, the form and the files while `send()`
    makes its request."""
    found = Names()

    def sort_out(_exception=None):
        # After the view: which of the noted dictionaries were the query string, the form, the files.
        for source in ("args", "form", "files"):
            if source in request.__dict__:  # only what the view touched
                getattr(found, source).update(_seen.get(id(request.__dict__[source]), ()))

    usual = app.request_class
    app.request_class = type("RecordingRequest", (usual,), {"parameter_storage_class": ReadNames})
    app.teardown_request_funcs.setdefault(None, []).append(sort_out)
    try:
        _seen.clear()
        send()
    finally:
        app.teardown_request_funcs[None].remove(sort_out)
        app.request_class = usual
    return found


# Values ----------------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# Values that have found faults before: the edges of dates, ids and numbers, and clock changes.
EDGES = st.sampled_from([
    "", " ", "0", "-1", "2147483648", "9223372036854775808", "-99999999999999999999", "1e309", "nan",
    "-0", "0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01", "2026-02-30", "24:00", "01:30",
    "2027-03-28", "2027-10-31", "2027-03-28T01:30", "2027-10-31T01:30", "0001-01-01T00:00",
    "9999-12-31T23:59", "None", "on", "y", "\x00", "<b>", "=1+1",
])
GENERATED = st.one_of(
    TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(date.isoformat),
    st.times().map(lambda value: value.strftime("%H:%M")),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda value: value.strftime("%Y-%m-%dT%H:%M")),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(string.digits + "-.:T ", max_size=20),
)
JUNK = st.one_of(EDGES, GENERATED)
ABSENT = object()


def value_for(valid):
    """What one name gets: nothing, its valid value, junk, or junk twice."""
    choices = [st.just(ABSENT), EDGES, GENERATED, st.lists(JUNK, min_size=2, max_size=3)]
    if valid is not None:
        choices.insert(0, st.just(valid))
    return st.one_of(*choices)


def a_file():
    """Nothing, or a file of generated bytes under a generated name (a file can be read only
    once, so the valid ones of ROUTES are not reused)."""
    content = st.one_of(st.binary(max_size=2000), st.just(b"\x89PNG\r\n\x1a\n" + b"\0" * 40),
                        TEXT.map(str.encode))
    files = st.tuples(content, st.one_of(TEXT, st.just("a.png"), st.just("a.csv"), st.just("a.ics")))
    return st.one_of(st.just(ABSENT), files.map(lambda f: (io.BytesIO(f[0]), f[1] or "upload")))


def present(values: dict) -> dict:
    return {name: value for name, value in values.items() if value is not ABSENT}


# The world, built once ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def populated(databases, tmp_path_factory):
    """The access tests' world in a database of its own: (its url, the World)."""
    folder = tmp_path_factory.mktemp("world")
    url = databases.fresh(folder)
    app = make_app(url, folder / "instance")
    with app.app_context():
        make_user = user_maker()
        admin = set_up_practice()
        world = build_world(app, users_of_every_role(admin, make_user), make_client_record, make_user)
        token = sessions.start(db.session, admin, address="127.0.0.1", now=NOW)
        db.session.commit()  # as the requests that made the world would
        db.session.remove()
        db.engine.dispose()
    yield url, world, token
    databases.drop(url)


@pytest.fixture
def world_app(databases, populated, tmp_path):
    """A copy of the world for one route, its app, and Flask's errors noted as they happen."""
    url, world, token = populated
    copy = databases.copy(url, tmp_path)
    app = make_app(copy, tmp_path / "instance")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    errors: list[str] = []

    def note(sender, exception, **extra):
        errors.append(f"{type(exception).__name__}: {str(exception).splitlines()[0][:200]}")

    got_request_exception.connect(note, app)
    app.extensions["practice_test_token"] = token
    with app.app_context(), patch("weasyprint.HTML.write_pdf", return_value=STAND_IN_PDF):
        yield app, world, errors
        db.session.remove()
        db.engine.dispose()
    got_request_exception.disconnect(note, app)
    databases.drop(copy)


def signed_in_client(app, endpoint):
    client = app.test_client()
    if endpoint not in VISITOR_ENDPOINTS:
        with client.session_transaction() as session:  # the practice's first admin, signed in
            session["_user_id"] = "1"
            session["_fresh"] = True
            session[SESSION_TOKEN] = app.extensions["practice_test_token"]
    return client


def _valid_form(route, world: World) -> dict:
    return dict(route.data(world)) if route.data else {}


# The property --------------------------------------------------------------------------------

# Each name also gets each of these alone, the rest of the request valid: the edges that
# reach deepest (a valid request goes past the form's checks to the queries behind it).
EDGE_EXAMPLES = ["-1", "2147483648", "9223372036854775808", "0001-01-01", "9999-12-31", "9999-12-31T23:59",
                 "\x00"]
POST_DATA = {route.endpoint: route.data for route in ROUTES if route.method == "POST" and route.data}


@dataclass
class Shape:
    """The names a route reads, where, and their valid values."""

    path: str
    args: dict[str, object]   # name -> valid value (None: no valid value known)
    form: dict[str, object]
    files: list[str]

    def strategy(self):
        return st.fixed_dictionaries({
            "args": st.fixed_dictionaries({n: value_for(v) for n, v in sorted(self.args.items())}),
            "form": st.fixed_dictionaries({n: value_for(v) for n, v in sorted(self.form.items())}),
            "files": st.fixed_dictionaries({n: a_file() for n in sorted(self.files)}),
        })

    def edge_examples(self) -> list[dict]:
        valid = {"args": _valid(self.args), "form": _valid(self.form), "files": dict.fromkeys(self.files, ABSENT)}
        return [valid | {where: valid[where] | {name: edge}}
                for where in ("args", "form") for name in sorted(getattr(self, where))
                for edge in EDGE_EXAMPLES]


def _valid(values: dict) -> dict:
    return {name: ABSENT if value is None else value for name, value in values.items()}


def shape_of(app, route, world: World) -> Shape:
    """What the route reads (watched while it serves its valid request) and what is valid."""
    parts = urlsplit(route.url(world))
    valid_args = dict(parse_qsl(parts.query, keep_blank_values=True))
    # A GET form (booking's "show free times", filters) takes the POST twin's valid data.
    data = route.data or (POST_DATA.get(route.endpoint) if route.method == "GET" else None)
    valid_form = dict(data(world)) if data else {}
    names = names_read(app, lambda: signed_in_client(app, route.endpoint).open(
        route.url(world), method=route.method, data=_valid_form(route, world)))
    known = POST_FORMS.get(route.endpoint, (None, [], []))
    known_fields = known[1](vars(world)) if callable(known[1]) else known[1]
    files = names.files | set(known[2]) | {n for n, v in valid_form.items() if isinstance(v, tuple)}
    form_names = (names.form | set(known_fields) | set(valid_form)) - files
    arg_names = names.args | set(valid_args)
    if route.method == "GET":  # a GET form reads its fields from the query string
        return Shape(parts.path, {n: valid_args.get(n, valid_form.get(n)) for n in arg_names | form_names}, {}, [])
    return Shape(parts.path, {n: valid_args.get(n) for n in arg_names},
                 {n: valid_form.get(n) for n in form_names}, sorted(files))


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.id)
def test_generated_values_never_cause_a_server_error(world_app, route):
    app, world, errors = world_app
    shape = shape_of(app, route, world)

    def never_a_server_error(generated):
        errors.clear()
        args = MultiDict(present(generated["args"]))
        form = MultiDict(present(generated["form"]) | present(generated["files"]))
        response = signed_in_client(app, route.endpoint).open(
            shape.path, method=route.method, query_string=args, data=form if route.method == "POST" else None)
        assert response.status_code < 500, (route.id, dict(args), dict(form), errors)

    test = given(shape.strategy())(never_a_server_error)
    for edge in shape.edge_examples():
        test = example(edge)(test)
    settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])(test)()


def test_the_recorder_sees_the_names_a_view_reads(world_app):
    """The recording is what the property relies on to find every field: it must see the
    booking form's fields and the calendar's query parameters."""
    app, world, _ = world_app
    booking = names_read(app, lambda: signed_in_client(app, "scheduling.book").post(
        "/appointments/new", data={"client_id": "1"}))
    assert {"client_id", "practitioner_id", "service_id", "day", "start", "start_fold", "notes"} <= booking.form
    calendar = names_read(app, lambda: signed_in_client(app, "scheduling.calendar").get("/calendar"))
    assert {"date", "view", "practitioner"} <= calendar.args

