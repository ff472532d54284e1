"""Today keeps up with the other desks (the day's version, polled by today.js) and shows
admins the first-run checklist until the practice can take its first booking."""

import html
import re
from datetime import time, timedelta

import pytest

from practice.audit.services import SYSTEM
from practice.db import db
from practice.scheduling import queries, services
from tests.conftest import NOW, one_action, statements_of_page
from tests.test_scheduling import at
from tests.test_undo import TODAY, YESTERDAY, booked, missed, reload

VERSION = f"/today/version?date={TODAY.isoformat()}"
CHECKLIST = 'id="checklist-heading"'


def test_the_day_version_changes_when_another_desk_changes_the_day(client, desk, users, login):
    login(users["front_desk"])
    appointment = booked(desk, TODAY, "11:00")
    response = client.get(VERSION)
    before = response.get_json()["version"]
    assert client.get(VERSION, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert f'data-day-version="{before}"' in client.get("/today").get_data(as_text=True)

    with one_action():  # another desk checks the client in
        services.check_in(db.session, SYSTEM, appointment, NOW, now=NOW)
    after = client.get(VERSION).get_json()["version"]
    assert after != before
    assert f'data-day-version="{after}"' in client.get("/today").get_data(as_text=True)


def test_the_page_and_the_polling_make_the_same_fingerprint_after_each_change(client, desk, users, login):
    """Today makes the day's fingerprint from its own rows, the polling from its own two
    queries: they must agree after every kind of change, or every desk would reload forever."""
    login(users["front_desk"])
    practitioner, _, _ = desk
    appointment = booked(desk, TODAY, "11:00")
    seen = set()

    def agreed() -> str:
        version = client.get(VERSION).get_json()["version"]
        assert f'data-day-version="{version}"' in client.get("/today").get_data(as_text=True)
        assert version not in seen  # each change below changes it
        seen.add(version)
        return version

    agreed()
    with one_action():
        services.check_in(db.session, SYSTEM, appointment, NOW, now=NOW)
    agreed()
    with one_action():
        services.record_payment(db.session, SYSTEM, appointment, amount_cents=1000, method="cash", now=NOW)
    agreed()
    with one_action():  # a second one
        services.record_payment(db.session, SYSTEM, appointment, amount_cents=500, method="card", now=NOW)
    agreed()
    with one_action():
        services.add_time_block(db.session, SYSTEM, practitioner.id, at(TODAY, "15:00"), at(TODAY, "16:00"),
                                now=NOW)
    agreed()
    booked(desk, TODAY, "16:30")
    agreed()


def test_an_inactive_practitioners_time_off_changes_neither_the_page_nor_the_polling(client, desk, users, login):
    """Today has no column for a practitioner who no longer sees clients, and both read only
    the active practitioners' blocks: were one of them to read the others' too, the page and
    the polling would disagree and every desk would reload forever."""
    login(users["front_desk"])
    practitioner, _, _ = desk
    booked(desk, TODAY, "11:00")
    version = client.get(VERSION).get_json()["version"]
    with one_action():
        services.add_time_block(db.session, SYSTEM, practitioner.id, at(TODAY, "15:00"), at(TODAY, "16:00"),
                                now=NOW)
        practitioner.active = False
    assert client.get(VERSION).get_json()["version"] == version
    assert f'data-day-version="{version}"' in client.get("/today").get_data(as_text=True)


def test_the_fingerprint_is_made_of_the_values_whatever_objects_hold_them():
    """The page and the polling read the day apart, so their rows hold equal values in
    objects shared otherwise (a status string of each row's own, or one for all): the
    fingerprint must not tell them apart, or every desk would reload forever."""
    start, end = NOW, NOW + timedelta(hours=1)

    def row(appointment_id, status):
        return (appointment_id, 7, 3, status, 0, False, 0, start, end, None)

    shared = [row(1, "booked"), row(2, "booked")]
    own = [row(1, "".join(["boo", "ked"])), row(2, "".join(["boo", "ked"]))]
    assert queries._fingerprint(shared, [(5, start, end)]) == queries._fingerprint(own, [(5, start, end)])
    assert queries._fingerprint(shared, []) != queries._fingerprint([row(1, "booked"), row(2, "arrived")], [])


def test_the_days_blocked_time_is_found_by_practitioner_from_where_it_ends(client, desk, users, login):
    """Today and its polling read the day's blocks by the index of each practitioner's blocks'
    ends: by time alone, SQLite read every block the practice ever had."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    login(users["front_desk"])
    for path in ("/today", VERSION):
        [(statement, parameters)] = [(s, p) for s, p in statements_of_page(client, path)[1] if "FROM time_block" in s]
        plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        assert any("ix_time_block_practitioner_id_end_at" in row[-1] for row in plan), path


@pytest.mark.parametrize(("role", "looked_up"), [("admin", False), ("front_desk", False), ("practitioner", True)])
def test_only_a_practitioners_today_looks_up_their_practitioner(client, desk, users, login, role, looked_up):
    """Only a practitioner's undo asks the care team, by their practitioner's id: the
    others' Today has no use for a statement finding theirs."""
    booked(desk, TODAY, "11:00")
    login(users[role])
    _, statements = statements_of_page(client, "/today")
    assert any("= practitioner.user_id" in statement for statement, _ in statements) == looked_up


def test_todays_rows_look_up_their_payments_once(client, desk, users, login):
    """What was paid towards each row, summed: each payment changes the sum (above zero,
    never edited or removed), so the fingerprint needs no count of them, another lookup for
    each of a busy day's hundreds of rows."""
    booked(desk, TODAY, "11:00")
    login(users["front_desk"])
    statement, _ = _todays_statement(client)
    assert " ".join(statement.split()).count("FROM payment WHERE payment.appointment_id = appointment.id") == 1


def test_admins_see_the_first_run_checklist_until_the_practice_can_book(client, users, login, make_client):
    login(users["front_desk"])
    assert CHECKLIST not in client.get("/today").get_data(as_text=True)
    client.post("/logout")
    login(users["admin"])
    page = client.get("/today").get_data(as_text=True)
    assert CHECKLIST in page
    assert 'href="/settings/scheduling/#service-heading"' in page and 'href="/clients/new"' in page
    assert re.search(r'href="/settings/scheduling/practitioners/\d+">Set a practitioner', page)

    with one_action():
        services.create_service(db.session, SYSTEM, name="Relaxation massage", duration_minutes=60,
                                price_cents=5500, now=NOW)
        services.set_working_hours(db.session, SYSTEM, users["practitioner"].practitioner.id,
                                   [(0, time(9), time(17))], now=NOW)
    assert CHECKLIST in client.get("/today").get_data(as_text=True)  # no client yet
    make_client("Robin")
    assert CHECKLIST not in client.get("/today").get_data(as_text=True)


def test_the_first_run_checklist_is_read_in_one_statement(app, users, count_queries):
    """The admin's Today asks it on every view: three statements were a measurable part of it."""
    with count_queries() as statements:
        checklist = queries.setup_checklist()
    assert len(statements) == 1
    assert [step.done for step in checklist.steps] == [False, False, False]


def test_today_and_the_calendar_escape_what_their_rows_show(client, desk, users, login, make_client):
    """The rows are written in Python (scheduling.rows_html), not by Jinja's autoescape: a
    client's name with markup in it shows as text on both pages, in every place it is written."""
    login(users["admin"])
    named = make_client('Ann <b>"Bold"</b> O\'Neil & Co')
    booked(desk, TODAY, "11:00", client=named)
    practitioner = desk[0]
    escaped = "Ann &lt;b&gt;&#34;Bold&#34;&lt;/b&gt; O&#39;Neil &amp; Co"
    for path in (f"/today?date={TODAY.isoformat()}", f"/calendar?date={TODAY.isoformat()}",
                 f"/calendar?view=week&date={TODAY.isoformat()}&practitioner={practitioner.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<b>" not in page and '"Bold"' not in page
        assert escaped in page, path


def test_today_is_written_in_ascii_and_reads_as_before(client, desk, users, login, make_client):
    """What Today shows outside ASCII (the times' dashes, the currency, names, services,
    blocked time, the links' ellipses and arrows) is written as character references: one
    such character kept the whole page's text at two bytes a character in Python, and its
    encoding took 30 times as long. A browser reads the references as the characters."""
    login(users["admin"])
    practitioner, service, _ = desk
    with one_action():
        practitioner.display_name, service.name = "Siân Ó Dálaigh", "Massage – 60 minutes"
        services.add_time_block(db.session, SYSTEM, practitioner.id, at(TODAY, "15:00"), at(TODAY, "16:00"),
                                now=NOW)
    zoe = make_client("Zoë Łukasz")
    arrived, coming = booked(desk, TODAY, "09:00", client=zoe), booked(desk, TODAY, "16:30", client=zoe)
    with one_action():
        services.check_in(db.session, SYSTEM, reload(arrived), NOW, now=NOW)
    page = client.get(f"/today?date={TODAY.isoformat()}").get_data(as_text=True)
    assert page.isascii()
    text = html.unescape(page)
    assert "Siân Ó Dálaigh</h2>" in text and "Not available 15:00–16:00" in text
    assert "← Previous day" in text and "Next day →" in text and "Today · " in text
    rows = _rows(text)
    assert ">09:00–10:00</a>" in rows[arrived.id] and "owes £60.00" in rows[arrived.id]
    assert "Amount from Zoë Łukasz" in rows[arrived.id] and "Massage – 60 minutes" in rows[arrived.id]
    assert "Undo…" in rows[arrived.id] and "Cancel…" in rows[coming.id]


def _rows(page: str) -> dict[int, str]:
    """Today's rows by appointment id."""
    return {int(found.group(1)): found.group(2)
            for found in re.finditer(r'<li data-appointment="(\d+)">(.*?)</li>', page, re.S)}


def test_today_shows_the_fees_a_client_owes_on_their_rows_still_to_come(client, desk, users, login, make_client):
    """Read with the rows (scheduling.queries.TODAY), as fees_owed counts them: waived fees
    left out, less what was paid towards each, an overpaid one paying nothing else."""
    sam = desk[2]
    first, second = missed(desk, YESTERDAY, "10:00"), missed(desk, YESTERDAY, "15:00")
    waived = missed(desk, TODAY - timedelta(days=2), "10:00")
    with one_action():
        services.record_payment(db.session, SYSTEM, reload(first), amount_cents=2500, method="cash", now=NOW)
        services.record_payment(db.session, SYSTEM, reload(second), amount_cents=7000, method="cash", now=NOW)
        services.waive_fee(db.session, SYSTEM, reload(waived), "Family emergency", now=NOW)
    arrived, coming = booked(desk, TODAY, "09:30"), booked(desk, TODAY, "14:00")
    with one_action():
        services.check_in(db.session, SYSTEM, reload(arrived), NOW, now=NOW)
    ana = booked(desk, TODAY, "16:30", client=make_client("Ana"))
    login(users["front_desk"])
    rows = _rows(client.get("/today").get_data(as_text=True))
    assert "Owes &#163;35.00 in fees" in rows[coming.id]
    assert "in fees" not in rows[arrived.id] and "in fees" not in rows[ana.id]
    assert queries.fees_owed([sam.id]) == {sam.id: 3500}


def _todays_statement(client) -> tuple[str, object]:
    """The statement of Today's rows as the page runs it, with its parameters."""
    [found] = [(s, p) for s, p in statements_of_page(client, "/today")[1] if "AS fees_owed" in s]
    return found


def test_todays_rows_read_the_fees_owed_from_the_charged_appointments_index(client, desk, users, login):
    """SQLite uses the partial index only when the statement repeats its condition word for
    word (as fees_owed's does); not every appointment the day's clients ever had."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    booked(desk, TODAY, "11:00")
    login(users["front_desk"])
    statement, parameters = _todays_statement(client)
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    assert any("ix_appointment_charged_client_id" in row[-1] for row in plan)


def test_on_sqlite_todays_rows_find_their_clients_row_once(client, desk, users, login):
    """The client's name and standing from its row joined, not looked up once for each."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL looks the client up for each column)")
    booked(desk, TODAY, "11:00")
    login(users["front_desk"])
    statement, parameters = _todays_statement(client)
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    assert [row[-1].split(" USING")[0] for row in plan].count("SEARCH client") == 1


def test_todays_rows_look_up_each_clients_acknowledgement_by_its_key(client, desk, users, login):
    """A scalar subquery of one row per client, not EXISTS: for EXISTS, PostgreSQL read every
    acknowledgement of the policy into a hash (13,000 in the benchmark's practice, 2.3 ms) to
    answer a day's few hundred rows. Its plan for a test's few rows does not show it, so the
    statement says it."""
    booked(desk, TODAY, "11:00")
    login(users["front_desk"])
    statement, _ = _todays_statement(client)
    acknowledged = statement.split("AS fees_owed")[1].split("AS acknowledged")[0]
    assert "policy_acknowledgement" in acknowledged
    assert "EXISTS" not in acknowledged.upper() and "LIMIT" in acknowledged.upper()
