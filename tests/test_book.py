"""The appointment book (/calendar drawn as a time grid), the move check it asks before a drag
or a keyboard move, the client picker's search, and the booking form around it: nothing
chosen by default, no one else chosen for a bad id, a new client added with the booking,
the first free time with anyone and repeat bookings checked before anything is saved.

NOW is Monday 23 November 2026, 10:00 in London."""

import html
import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from practice.audit.services import SYSTEM
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.db import db
from practice.scheduling import rows_html, services
from practice.scheduling.book import BookPage, Column
from practice.scheduling.models import Appointment
from tests.conftest import NOW, one_action, statements_of_page
from tests.test_scheduling import at, book

TODAY = NOW.date()
SATURDAY = date(2026, 11, 28)
NEUTRAL = "This person cannot be booked here. Please ask a practitioner."


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def weekdays_only(make_user):
    """A second practitioner who works 10:00-16:00 on weekdays only."""
    mei = make_user("practitioner", name="Mei Weekday").practitioner
    services.set_working_hours(db.session, SYSTEM, mei.id, [(d, time(10), time(16)) for d in range(5)], now=NOW)
    db.session.commit()
    return mei


def booking(desk, **changes) -> dict:
    practitioner, service, sam = desk
    return {"client_id": str(sam.id), "practitioner_id": str(practitioner.id), "service_id": str(service.id),
            "day": "2026-11-24", "start": "10:00"} | changes


# The book ----------------------------------------------------------------------------------

def test_the_day_has_a_column_per_practitioner_with_blocks_sized_by_their_length(
        client, users, login, desk, weekdays_only):
    book(desk, at(TODAY, "11:00"))
    login(users["front_desk"])
    page = body(client.get("/calendar?date=2026-11-23"))
    assert re.search(r'<section class="book-col" aria-label="Priya Practitioner, Monday 23 November"', page)
    assert re.search(r'<section class="book-col" aria-label="Mei Weekday, Monday 23 November"', page)
    # 11:00-12:00 is twelve five-minute rows; the grid starts at 09:00 (the earliest hours).
    block = re.search(r'class="book-appt status-booked bk-r(\d+) bk-s(\d+)', page)
    assert block.groups() == ("25", "12")
    assert "11:00–12:00" in page and "Sam" in page and ">Booked</span>" in page
    assert "book-now" in page  # today's line


def test_the_week_shades_a_day_off_as_not_working_and_never_says_free(client, users, login, weekdays_only):
    login(users["front_desk"])
    page = body(client.get(f"/calendar?view=week&date=2026-11-25&practitioner={weekdays_only.id}"))
    assert "Mei Weekday: week of 23 November 2026" in page
    assert page.count("book-shade-not_working") == 2  # Saturday and Sunday
    assert "Free" not in page
    # No "+ book" on the days off, one on each working day.
    assert page.count(">+ book</a>") == 5


def test_a_day_leaves_out_who_does_not_work_and_names_them(client, users, login, desk, weekdays_only):
    login(users["front_desk"])
    page = body(client.get(f"/calendar?date={SATURDAY}"))
    assert 'aria-label="Priya Practitioner, Saturday 28 November"' in page
    assert 'aria-label="Mei Weekday, Saturday 28 November"' not in page
    assert re.search(r"Not working this day: [^<]*Mei Weekday", page)
    # Chosen alone, she is shown, not working.
    alone = body(client.get(f"/calendar?date={SATURDAY}&practitioner={weekdays_only.id}"))
    assert 'aria-label="Mei Weekday, Saturday 28 November"' in alone and "book-shade-not_working" in alone


def test_time_off_is_shaded_and_its_reason_is_for_admins_only(client, users, login, desk):
    practitioner = desk[0]
    services.add_time_block(db.session, SYSTEM, practitioner.id, at(TODAY, "14:00"), at(TODAY, "16:00"),
                            "Dentist", now=NOW)
    db.session.commit()
    login(users["front_desk"])
    page = body(client.get("/calendar?date=2026-11-23"))
    assert "book-shade-off" in page and "14:00–16:00 Time off" in page and "Dentist" not in page
    client.post("/logout")
    login(users["admin"])
    assert "Time off: Dentist" in body(client.get("/calendar?date=2026-11-23"))


def test_the_columns_escape_what_the_practice_typed(client, users, login, desk, make_user):
    """The columns are written in Python (scheduling.rows_html.book_columns), not by Jinja's
    autoescape: a practitioner's name and a reason for time off with markup in them show as
    text, on the day and on the week."""
    named = make_user("practitioner", name='Jo <i>"Ink"</i> & Co').practitioner
    services.set_working_hours(db.session, SYSTEM, named.id, [(d, time(9), time(17)) for d in range(7)], now=NOW)
    services.add_time_block(db.session, SYSTEM, named.id, at(TODAY, "14:00"), at(TODAY, "15:00"),
                            "<b>'Dentist'</b>", now=NOW)
    db.session.commit()
    login(users["admin"])
    for path in ("/calendar?date=2026-11-23", f"/calendar?view=week&date=2026-11-23&practitioner={named.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<i>" not in page and "<b>" not in page, path
        assert "Time off: &lt;b&gt;&#39;Dentist&#39;&lt;/b&gt;" in page, path
    day = client.get("/calendar?date=2026-11-23").get_data(as_text=True)
    assert 'aria-label="Jo &lt;i&gt;&#34;Ink&#34;&lt;/i&gt; &amp; Co, Monday 23 November"' in day
    # The headings too (scheduling.rows_html.book_heads).
    assert "<strong>Jo &lt;i&gt;&#34;Ink&#34;&lt;/i&gt; &amp; Co</strong>" in day
    assert 'aria-label="Book with Jo &lt;i&gt;&#34;Ink&#34;&lt;/i&gt; &amp; Co on Monday 23 November">+ book</a>' in day


def test_the_blocks_escape_clients_and_services_names(client, users, login, desk, make_client):
    """The blocks are written in Python (scheduling.rows_html.book_blocks, the names escaped
    as plain strings by _text): a client's and a service's name with markup, quotes and an
    ampersand show as text, in the block and in what book.js reads to move it."""
    _, service, _ = desk
    with one_action():
        service.name = "Hot <b>stones</b> & 'oil'"
    book(desk, at(TODAY, "11:00"), client=make_client('Jo <i>"Ink"</i> & O\'Neil'))
    login(users["admin"])
    day = client.get(f"/calendar?date={TODAY}").get_data(as_text=True)
    assert "<i>" not in day and "<b>" not in day
    name = "Jo &lt;i&gt;&#34;Ink&#34;&lt;/i&gt; &amp; O&#39;Neil"
    assert f'<span class="book-appt-client">{name}</span>' in day and f'data-client="{name}"' in day
    assert '<span class="book-appt-service">Hot &lt;b&gt;stones&lt;/b&gt; &amp; &#39;oil&#39;</span>' in day


def test_the_day_and_the_week_are_written_in_ascii_and_read_as_before(client, users, login, desk, weekdays_only,
                                                                       make_client):
    """What the calendar shows outside ASCII (the blocks' and time off's dashes, names,
    services, reasons for time off, the arrows and "Checking…") is written as character
    references (scheduling.rows_html, calendar.html): one such character kept the whole page's
    text at two bytes a character in Python, and made its encoding many times slower. A
    browser reads the references as the characters."""
    practitioner, service, _ = desk
    with one_action():
        practitioner.display_name, service.name = "Siân Ó Dálaigh", "Massage – 60 minutes"
        weekdays_only.display_name = "Mei Wōkə"
        services.add_time_block(db.session, SYSTEM, practitioner.id, at(TODAY, "14:00"), at(TODAY, "15:00"),
                                "Dentist – Dr Ōno", now=NOW)
    book(desk, at(TODAY, "11:00"), client=make_client("Zoë Łukasz"))
    login(users["admin"])
    pages = {path: client.get(path).get_data(as_text=True) for path in (
        f"/calendar?date={TODAY}", f"/calendar?date={SATURDAY}",
        f"/calendar?view=week&date={TODAY}&practitioner={practitioner.id}")}
    assert all(page.isascii() for page in pages.values())
    day, saturday, week = (html.unescape(page) for page in pages.values())
    assert f'<option value="{practitioner.id}" selected>Siân Ó Dálaigh</option>' in week
    assert "Siân Ó Dálaigh: week of 23 November 2026" in week
    assert "← Previous day" in day and "Next day →" in day and "← Previous week" in week and "Next week →" in week
    for text in (day, week):
        assert '<span class="book-appt-time">11:00–12:00</span>' in text and 'data-client="Zoë Łukasz"' in text
        assert '<span class="book-appt-service">Massage – 60 minutes</span>' in text
        assert "14:00–15:00 Time off: Dentist – Dr Ōno</div>" in text
        assert ">Checking…</p>" in text
    assert "<strong>Siân Ó Dálaigh</strong>" in day and 'aria-label="Siân Ó Dálaigh, Monday 23 November"' in day
    assert 'aria-label="Book with Mei Wōkə on Monday 23 November">+ book</a>' in day
    assert re.search(r"Not working this day: [^<]*Mei Wōkə", saturday)


def test_the_headings_mark_today_and_link_a_weeks_days(client, users, login, desk):
    """The week's headings (book_heads) are links to each day, today's marked; the day's
    heading is its practitioner's name, with the link to book with them."""
    practitioner = desk[0]
    login(users["front_desk"])
    week = client.get(f"/calendar?view=week&date=2026-11-25&practitioner={practitioner.id}").get_data(as_text=True)
    assert ('<div id="book-col-1" class="book-today">\n      <a href="/calendar?date=2026-11-23">Mon 23'
            '<span class="d-none d-md-inline"> Nov</span></a>') in week
    assert ('<div id="book-col-2" class="">\n      <a href="/calendar?date=2026-11-24">Tue 24'
            '<span class="d-none d-md-inline"> Nov</span></a>') in week
    assert (f'href="/appointments/new?day=2026-11-24&amp;practitioner_id={practitioner.id}" '
            f'aria-label="Book with {practitioner.display_name} on Tuesday 24 November">+ book</a>') in week
    day = client.get(f"/calendar?date=2026-11-24&practitioner={practitioner.id}").get_data(as_text=True)
    assert f'<div id="book-col-1" class="">\n      <strong>{practitioner.display_name}</strong>' in day


def test_the_headings_offer_no_booking_to_who_may_not_book(desk):
    """book_heads writes "+ book" only when given where to book (the user may book) and only
    in a working column."""
    practitioner = desk[0]
    page = BookPage([TODAY], 540, 12, [], [Column(practitioner, TODAY, True), Column(practitioner, TODAY, False)], 0)
    offered = rows_html.book_heads(page, TODAY, week=False, book_url="/book", calendar_url="/calendar")
    assert offered.count("+ book") == 1
    assert "+ book" not in rows_html.book_heads(page, TODAY, week=False, book_url=None, calendar_url="/calendar")


def test_the_navigation_keeps_the_view_practitioner_and_cancelled(client, users, login, desk):
    """The calendar's links (written by views._calendar_links): the days or weeks around and
    today keep the view and the practitioner; Day and Week keep the date; the cancelled
    link turns them on or off."""
    appointment = book(desk, at(TODAY, "11:00"))
    services.cancel(db.session, SYSTEM, appointment, "Unwell", now=NOW)
    db.session.commit()
    login(users["front_desk"])

    def links(path):
        page = client.get(path).get_data(as_text=True)
        return re.findall(r'<a class="btn btn-(?:outline-\w+|sm btn-link)[^"]*"[^>]*href="([^"]*)">', page)

    assert links("/calendar?date=2026-11-23") == [
        "/calendar?date=2026-11-22&amp;view=day", "/calendar?view=day", "/calendar?date=2026-11-24&amp;view=day",
        "/calendar?date=2026-11-23", "/calendar?date=2026-11-23&amp;view=week",
        "/calendar?date=2026-11-23&amp;view=day&amp;cancelled=1"]
    week = f"/calendar?view=week&date=2026-11-23&practitioner={desk[0].id}&cancelled=1"
    who = f"&amp;practitioner={desk[0].id}"
    assert links(week) == [
        f"/calendar?date=2026-11-16&amp;view=week{who}", f"/calendar?view=week{who}",
        f"/calendar?date=2026-11-30&amp;view=week{who}", "/calendar?date=2026-11-23",
        f"/calendar?date=2026-11-23&amp;view=week{who}", f"/calendar?date=2026-11-23&amp;view=week{who}"]


def test_the_book_shows_the_active_practitioners_by_name(client, users, login, desk, weekdays_only, make_user):
    """The calendar reads the practitioners as (id, name) rows (active_practitioner_names):
    those who left are not offered, and the rest come in their names' order."""
    retired = make_user("practitioner", name="Aaron Retired").practitioner
    retired.active = False
    db.session.commit()
    login(users["front_desk"])
    page = client.get("/calendar?date=2026-11-23").get_data(as_text=True)
    assert "Aaron Retired" not in page
    options = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', page)
    assert options == sorted(options) and "Mei Weekday" in options
    # The practitioner chosen is the one selected, alone.
    chosen = client.get(f"/calendar?date=2026-11-23&practitioner={weekdays_only.id}").get_data(as_text=True)
    assert re.findall(r'<option value="(\d+)" selected>', chosen) == [str(weekdays_only.id)]


def calendar_days_statement(client, table: str) -> tuple[str, object, str]:
    """The statement the calendar's day (23 November) reads `table` with, its parameters as
    sent to the driver (for EXPLAIN), and the page unescaped."""
    page, statements = statements_of_page(client, "/calendar?date=2026-11-23")
    [(statement, parameters)] = [(s, p) for s, p in statements if f"FROM {table}" in s]
    return statement, parameters, html.unescape(page)

def test_the_days_blocked_time_is_found_from_where_it_ends(client, users, login, desk):
    """By the index of the blocks' ends (migration 0050): by their starts, the read walked
    every block of the years before the day."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    login(users["front_desk"])
    statement, parameters, _ = calendar_days_statement(client, "time_block")
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    assert any("ix_time_block_practitioner_id_end_at" in row[-1] for row in plan)


def test_on_sqlite_the_days_appointments_find_their_clients_row_once(client, users, login, desk):
    """The client's name and standing from its row joined, not looked up once for each."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL looks the client's row up by its key)")
    book(desk, at(TODAY, "11:00"))
    login(users["front_desk"])
    statement, parameters, page = calendar_days_statement(client, "appointment")
    assert '<span class="book-appt-client">Sam</span>' in page
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    assert [row[-1].split(" USING")[0] for row in plan].count("SEARCH client") == 1


def test_on_postgresql_the_days_appointments_look_their_client_up_once(client, users, login, desk):
    """The client's name and standing by one lookup of its row by key for each appointment,
    not one for each column, and still a lookup when PostgreSQL expects many appointments
    (nested loops off, as when it would rather hash every client)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan (SQLite joins the client's row)")
    book(desk, at(TODAY, "11:00"))
    login(users["front_desk"])
    statement, parameters, page = calendar_days_statement(client, "appointment")
    assert '<span class="book-appt-client">Sam</span>' in page
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_nestloop = off")
    plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
    assert sum(bool(re.search(r"(Cond|Filter): \(id = appointment\.client_id\)", line)) for line in plan) == 1, plan


def test_cancelled_appointments_leave_the_grid_unless_asked_for(client, users, login, desk):
    appointment = book(desk, at(TODAY + timedelta(days=3), "11:00"))
    services.cancel(db.session, SYSTEM, appointment, "Unwell", now=NOW)
    db.session.commit()
    login(users["front_desk"])
    page = body(client.get("/calendar?date=2026-11-26"))
    assert "status-cancelled" not in page and "Show cancelled (1)" in page
    assert "status-cancelled" in body(client.get("/calendar?date=2026-11-26&cancelled=1"))


def test_overlapping_appointments_share_the_column_in_lanes_and_the_others_keep_it_whole(
        client, users, login, desk, make_client):
    """A cancelled appointment shown beside the one booked in its place takes a lane each;
    appointments one after the other (back to back included) keep the whole width."""
    day = TODAY + timedelta(days=3)
    earlier = book(desk, at(day, "10:00"))
    services.cancel(db.session, SYSTEM, earlier, "Unwell", now=NOW)
    cancelled = book(desk, at(day, "11:00"))
    services.cancel(db.session, SYSTEM, cancelled, "Unwell", now=NOW)
    db.session.commit()
    rebooked, later = book(desk, at(day, "11:00"), client=make_client("Robin")), book(desk, at(day, "14:00"))
    login(users["front_desk"])

    def lanes(path) -> dict[int, str]:
        page = body(client.get(path))
        return {int(found.group(2)): found.group(1) for found in re.finditer(
            r'class="book-appt status-\w+ bk-r\d+ bk-s\d+( lane-\d-of-\d)?"\s+href="[^"]*" data-appointment="(\d+)"',
            page)}

    assert lanes("/calendar?date=2026-11-26&cancelled=1") == {
        earlier.id: None, cancelled.id: " lane-0-of-2", rebooked.id: " lane-1-of-2", later.id: None}
    assert lanes("/calendar?date=2026-11-26") == {rebooked.id: None, later.id: None}


def test_only_a_future_booked_appointment_can_be_dragged(client, users, login, desk):
    past = book(desk, at(TODAY, "09:00"), now=NOW - timedelta(days=1))
    future = book(desk, at(TODAY, "15:00"))
    login(users["front_desk"])
    page = body(client.get("/calendar?date=2026-11-23"))
    assert re.search(rf'data-appointment="{future.id}"\s+data-movable', page)
    assert not re.search(rf'data-appointment="{past.id}"\s+data-movable', page)


def test_the_move_form_posts_a_token_the_reschedule_accepts(app, client, users, login, desk):
    appointment = book(desk, at(TODAY + timedelta(days=1), "10:00"))
    login(users["front_desk"])
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/calendar?date=2026-11-24").get_data(as_text=True)
    form = re.search(r'<form method="post" id="book-move-form".*?</form>', page, re.S).group()
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    moved = client.post(f"/appointments/{appointment.id}/reschedule",
                        data=fields | {"day": "2026-11-24", "start": "15:00", "next": "/calendar"})
    assert moved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).start_at == at(TODAY + timedelta(days=1), "15:00")


# The move check ----------------------------------------------------------------------------

def test_the_move_check_says_what_the_move_is_or_why_it_is_refused(client, users, login, desk):
    appointment = book(desk, at(TODAY + timedelta(days=1), "10:00"))
    login(users["front_desk"])
    url = f"/appointments/{appointment.id}/move-check"
    ok = client.get(url, query_string={"day": "2026-11-24", "start": "15:00"}).get_json()
    assert ok == {"ok": True, "message": "Move Sam (Remedial massage, 60 minutes) to Tuesday 24 November 2026, 15:00–16:00?"}
    refused = client.get(url, query_string={"day": "2026-11-24", "start": "13:30"}).get_json()
    assert refused["ok"] is False and "outside working hours" in refused["message"]
    assert client.get(url, query_string={"day": "soon", "start": "15:00"}).status_code == 400
    assert client.get(url, query_string={"day": "2026-11-24", "start": "3pm"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).start_at == at(TODAY + timedelta(days=1), "10:00")


def test_the_move_check_refuses_an_appointment_that_is_not_booked(client, users, login, desk):
    appointment = book(desk, at(TODAY, "09:00"), now=NOW - timedelta(days=1))
    services.check_in(db.session, SYSTEM, appointment, arrived_at=at(TODAY, "09:00"), now=NOW)
    db.session.commit()
    login(users["front_desk"])
    answer = client.get(f"/appointments/{appointment.id}/move-check?day=2026-11-24&start=15:00").get_json()
    assert answer == {"ok": False, "message": "Only a booked appointment can be moved."}


# The client picker's search ----------------------------------------------------------------

def test_the_picker_finds_by_name_phone_digits_and_e_mail(client, users, login, make_client):
    make_client("Noor Haddad", phone="07841 209111", email="noor@example.org")
    make_client("Nora Quist")
    login(users["front_desk"])

    def names(q):
        return [r["name"] for r in client.get("/clients/search.json", query_string={"q": q}).get_json()["results"]]

    assert names("noo") == ["Noor Haddad"]
    assert names("no") == ["Noor Haddad", "Nora Quist"]
    assert names("07841 2091") == ["Noor Haddad"]
    assert names("noor@example") == ["Noor Haddad"]
    assert names("") == [] and names("   ") == []
    found = client.get("/clients/search.json?q=noor").get_json()["results"][0]
    assert found["detail"] == "+44 7841 209111 · noor@example.org" and found["bookable"] is True


def test_the_picker_pages_its_results_and_leaves_out_archived_clients(client, users, login, make_client):
    for n in range(12):
        make_client(f"Kim {n:02d}")
    archived = make_client("Kim Archived")
    client_services.archive_client(db.session, SYSTEM, archived, now=NOW)
    db.session.commit()
    login(users["front_desk"])
    first = client.get("/clients/search.json?q=kim").get_json()
    assert len(first["results"]) == 10 and first["has_more"] is True and first["page"] == 1
    second = client.get("/clients/search.json?q=kim&page=2").get_json()
    assert [r["name"] for r in second["results"]] == ["Kim 10", "Kim 11"] and second["has_more"] is False
    assert client.get("/clients/search.json?q=archived").get_json()["results"] == []


def test_the_picker_runs_the_same_queries_for_few_or_many_matches(client, users, login, make_client,
                                                                   count_queries):
    make_client("Lee One")
    login(users["front_desk"])
    client.get("/clients/search.json?q=lee")
    with count_queries() as few:
        client.get("/clients/search.json?q=lee")
    for n in range(15):
        make_client(f"Lee {n}", phone=f"07841 2092{n:02d}")
    with count_queries() as many:
        client.get("/clients/search.json?q=lee")
    assert len(few) == len(many)


# The booking form --------------------------------------------------------------------------

def test_nobody_is_chosen_until_someone_chooses(client, users, login, desk):
    login(users["front_desk"])
    page = body(client.get("/appointments/new"))
    assert re.search(r'<input type="hidden" name="client_id" value=""', page)
    response = client.post("/appointments/new", data=booking(desk, client_id=""))
    assert response.status_code == 422 and "Choose a client, or add a new one." in body(response)
    assert count(Appointment) == 0


@pytest.mark.parametrize("client_id", ["99999", "abc", "archived", "moved_on"])
def test_a_bad_client_id_in_the_link_chooses_no_one_and_says_so(client, users, login, desk, make_client, client_id):
    if client_id == "archived":
        gone = make_client("Gone Away")
        client_services.archive_client(db.session, SYSTEM, gone, now=NOW)
        client_id = str(gone.id)
    elif client_id == "moved_on":
        blocked = make_client("Bex Blocked")
        client_services.set_standing(db.session, SYSTEM, blocked, "moved_on", "Followed me home.", now=NOW)
        client_id = str(blocked.id)
    db.session.commit()
    login(users["front_desk"])
    page = body(client.get(f"/appointments/new?client_id={client_id}"))
    assert 'id="client_id-error"' in page
    assert re.search(r'<input type="hidden" name="client_id" value=""', page)
    assert "Chosen:" not in page and "Sam" not in page and "Followed me home" not in page


def test_a_client_chosen_in_the_link_is_chosen(client, users, login, desk):
    login(users["front_desk"])
    page = body(client.get(f"/appointments/new?client_id={desk[2].id}"))
    assert f'name="client_id" value="{desk[2].id}"' in page and "Chosen: Sam." in page


def test_without_javascript_find_lists_the_matches_to_choose_from(client, users, login, desk, make_client):
    make_client("Samira Old")
    login(users["front_desk"])
    response = client.post("/appointments/new", data=booking(desk, client_id="", client_q="sam", find_client="1"))
    page = body(response)
    assert response.status_code == 200 and "Choose the client" in page
    assert page.count('type="radio" name="client_id"') == 2 and count(Appointment) == 0


def test_a_name_typed_over_the_chosen_client_books_no_one(client, users, login, desk, make_client):
    make_client("Ana Byrne")
    login(users["front_desk"])
    # Without JavaScript Sam's id stays in the page while the field is typed over.
    response = client.post("/appointments/new", data=booking(desk, client_q="Ana"))
    page = body(response)
    assert response.status_code == 422 and "“Ana” is not the client chosen before" in page
    assert 'type="radio" name="client_id"' in page and "Ana Byrne" in page  # the matches to choose from
    assert count(Appointment) == 0
    assert client.post("/appointments/new", data=booking(desk, client_q="Sam")).status_code == 302


def test_a_new_client_is_added_with_the_booking(client, users, login, desk):
    login(users["front_desk"])
    response = client.post("/appointments/new", data=booking(
        desk, client_id="", new_client_name="Noor Haddad", new_client_phone="07841 209111"))
    assert response.status_code == 302
    noor = db.session.scalar(sa.select(Client).where(Client.display_name == "Noor Haddad"))
    assert noor.phone == "+447841209111"
    assert db.session.scalar(sa.select(Appointment.client_id)) == noor.id


def test_a_new_client_with_a_known_phone_asks_about_a_duplicate_first(client, users, login, desk, make_client):
    make_client("Noor Haddad", phone="07841 209111")
    login(users["front_desk"])
    typed = booking(desk, client_id="", new_client_name="Noor H.", new_client_phone="07841 209111")
    response = client.post("/appointments/new", data=typed)
    page = body(response)
    assert response.status_code == 422 and "Check for a duplicate: Noor Haddad" in page
    assert count(Client) == 2 and count(Appointment) == 0  # Sam and Noor: nothing new
    assert client.post("/appointments/new", data=typed | {"new_client_different": "y"}).status_code == 302
    assert count(Client) == 3 and count(Appointment) == 1


def test_a_new_client_who_is_a_blocked_person_gets_the_neutral_refusal(client, users, login, desk, make_client):
    dan = make_client("Daniel Cohen", phone="07841 209376")
    client_services.set_standing(db.session, SYSTEM, dan, "moved_on", "Followed me to my car.", now=NOW)
    db.session.commit()
    login(users["front_desk"])
    response = client.post("/appointments/new", data=booking(
        desk, client_id="", new_client_name="Dan C", new_client_phone="07841 209376"))
    page = body(response)
    assert response.status_code == 422 and NEUTRAL in page
    assert "Daniel" not in page and "my car" not in page and "duplicate" not in page
    assert count(Appointment) == 0 and count(Client) == 2  # the new record is not kept either


def test_the_first_free_time_with_anyone(client, users, login, desk, weekdays_only):
    practitioner = desk[0]
    book(desk, at(TODAY, "10:00"), now=NOW - timedelta(days=1))  # Priya is busy until 11:15 with the buffer
    login(users["front_desk"])
    response = client.post("/appointments/new", data=booking(desk, client_id="", day="2026-11-23", first_free="1"))
    page = body(response)
    assert response.status_code == 200
    buttons = re.findall(r'name="pick_first" formnovalidate\s+value="(\d+) ([\d-]+) ([\d:]+)"', page)
    assert buttons == [(str(weekdays_only.id), "2026-11-23", "10:00"), (str(practitioner.id), "2026-11-23", "11:15")]
    assert count(Appointment) == 1


def test_a_first_free_time_button_fills_the_form_without_javascript(client, users, login, desk, weekdays_only):
    login(users["front_desk"])
    response = client.post("/appointments/new", data=booking(
        desk, client_id="", pick_first=f"{weekdays_only.id} 2026-11-25 11:00"))
    page = body(response)
    assert f'<option selected value="{weekdays_only.id}">' in page
    assert 'value="2026-11-25"' in page and 'value="11:00"' in page and count(Appointment) == 0


def test_a_repeat_booking_lists_the_refused_times_before_anything_is_saved(client, users, login, desk):
    practitioner = desk[0]
    # The third Tuesday is taken by time off.
    services.add_time_block(db.session, SYSTEM, practitioner.id, at(date(2026, 12, 8), "09:00"),
                            at(date(2026, 12, 8), "18:00"), "Course", now=NOW)
    db.session.commit()
    login(users["front_desk"])
    typed = booking(desk, repeat="1", times="4", notes="weekly, left shoulder")
    response = client.post("/appointments/new", data=typed)
    page = body(response)
    assert response.status_code == 200
    assert "1 of these 4 times cannot be booked. Nothing is booked yet." in page
    assert re.search(r"Tue 8 Dec 2026, 10:00</span>\s*<span[^>]*>Cannot book: ", page)
    assert "weekly, left shoulder" in page and "Book the 3 free times" in page
    assert count(Appointment) == 0
    confirmed = client.post("/appointments/new", data=typed | {"confirm_series": "1", "skip": "2026-12-08"})
    assert confirmed.status_code == 302
    db.session.expire_all()
    starts = sorted(db.session.scalars(sa.select(Appointment.start_at)))
    assert starts == [at(date(2026, 11, 24), "10:00"), at(date(2026, 12, 1), "10:00"), at(date(2026, 12, 15), "10:00")]


def test_a_repeat_booking_with_every_time_free_books_them_all_at_once(client, users, login, desk):
    login(users["front_desk"])
    response = client.post("/appointments/new", data=booking(desk, repeat="2", times="3"), follow_redirects=True)
    assert "Booked Sam 3 times, from Tuesday 24 November 2026 at 10:00." in body(response)
    assert count(Appointment) == 3
