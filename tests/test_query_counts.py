"""A page runs the same number of SQL queries whatever the size of the practice.

Each main page (bench/pages.py, the list `make bench` times) is opened on a small practice
and on the same practice with three times everything (clients, appointments, conduct
entries, colleagues...), built by the benchmark's generator; the counts must be equal. So
must the statements of the evidence report of the client with the long record (a job, made
by the worker).

SQLAlchemy's selectinload asks for 500 rows' relations a query, so a list loaded that way
grows a statement every 500 rows: far past these practices. The test asks for 100 a query
instead, so such growth shows at these sizes (a page lists fewer rows, so it stays the
same at both sizes)."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import event
from sqlalchemy.orm.strategies import _SelectInLoader as SelectInLoader  # its batch size: see above

from bench.generate import NOW, PASSWORD, Size, build
from bench.pages import PAGES
from practice.clock import FixedClock
from practice.db import db
from practice.jobs.worker import Worker
from tests.conftest import make_app

SELECTIN_BATCH = 100  # more than the longest list a page shows
EVIDENCE = "evidence report"

# A year of a two-practitioner practice, busy enough that every list on every page has rows.
SMALL = Size("small", practitioners=2, clients=40, appointments=2_000, entries=200, specialists=10,
             letters=6, referrals=20, inquiries=30, audit_events=200, featured_appointments=40,
             featured_entries=40, import_rows=0, years=1, weeks_ahead=2)
LARGER = SMALL.times(3, name="larger")

def _open_pages(database_url, folder, size: Size) -> dict[str, tuple[int, int]]:
    """(status, statements) of a settled request to each page of a practice of `size`."""
    app = make_app(database_url, folder / "instance")
    app.extensions["practice"].clock = FixedClock(NOW)
    with app.app_context():
        landmarks = build(db.session, size)
        db.session.remove()
        engine = db.engine
    client = app.test_client()
    assert client.post("/login", data={"email": landmarks.admin_email, "password": PASSWORD}).status_code == 302
    statements = []

    def note(*args):
        statements.append(args[2])

    counted = {}
    paths = {page.name: page.url(landmarks) for page in PAGES} | {"feed": f"/feeds/{landmarks.feed_token}.ics"}
    event.listen(engine, "before_cursor_execute", note)
    try:
        for name, path in paths.items():
            client.get(path)  # the first request of a kind may warm caches
            statements.clear()
            status = client.get(path).status_code
            counted[name] = (status, len(statements))
        for _ in range(2):  # the first one also makes the print copies of the pictures
            asked = client.post(f"/clients/{landmarks.featured_client_id}/evidence", data={})
            statements.clear()
            Worker(app).run(burst=True)
            made = client.get(f"{urlsplit(asked.headers['Location']).path}/file")
            counted[EVIDENCE] = (made.status_code, len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", note)
        engine.dispose()
    return counted


@pytest.fixture(scope="module")
def counts(databases, tmp_path_factory):
    SelectInLoader._chunksize, batch = SELECTIN_BATCH, SelectInLoader._chunksize
    found = {}
    try:
        for size in (SMALL, LARGER):
            folder = tmp_path_factory.mktemp(size.name)
            url = databases.fresh(folder)
            try:
                found[size.name] = _open_pages(url, folder, size)
            finally:
                databases.drop(url)
    finally:
        SelectInLoader._chunksize = batch
    return found


NAMES = [page.name for page in PAGES] + ["feed", EVIDENCE]


@pytest.mark.parametrize("name", NAMES, ids=[name.replace(" ", "-").replace(",", "") for name in NAMES])
def test_a_page_runs_the_same_queries_whatever_the_size_of_the_practice(counts, name):
    (status, small), (larger_status, larger) = counts["small"][name], counts["larger"][name]
    assert (status, larger_status) == (200, 200)
    assert larger == small, f"{name}: {small} queries on the small practice, {larger} with three times the rows"
