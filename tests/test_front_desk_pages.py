"""The front desk's pages: /today, /calendar, booking, one-click actions, the client's history."""

from datetime import time, timedelta

import pytest

from practice.audit.services import SYSTEM
from practice.db import db
from practice.scheduling import services
from practice.scheduling.models import Appointment
from tests.conftest import NOW
from tests.test_scheduling import acknowledge, at, book

TODAY = NOW.date()  # Monday 23 November 2026; NOW is 10:00 in London


def book_today(desk, hhmm, client):
    practitioner, service, _ = desk
    return services.book(db.session, SYSTEM, services.BookingRequest(
        client.id, practitioner.id, service.id, at(TODAY, hhmm)), now=NOW - timedelta(hours=2))


@pytest.fixture
def morning(desk, make_client, users, login):
    """Three appointments today; the front desk signed in."""
    login(users["front_desk"])
    names = ["Ana", "Bo", "Cy"]
    clients = [make_client(name) for name in names]
    for each in clients:
        acknowledge(each)
    return [book_today(desk, hhmm, each) for hhmm, each in zip(["09:00", "11:15", "14:00"], clients, strict=True)]


def test_today_lists_every_appointment_with_actions(client, morning):
    page = client.get("/today").get_data(as_text=True)
    assert "Monday 23 November 2026" in page
    for name in ("Ana", "Bo", "Cy"):
        assert name in page
    assert page.count(">Check in<span") == 3
    assert page.count(">No-show<span") == 1  # only the 09:00 has started by 10:00


def test_one_click_check_in_no_show_cancel_and_payment(client, morning):
    ana, bo, cy = morning
    client.post(f"/appointments/{ana.id}/check-in", data={"arrived": "09:25", "next": "/today"})
    client.post(f"/appointments/{bo.id}/no-show", data={"next": "/today"})  # refused: not started yet
    page = client.get("/today").get_data(as_text=True)
    assert "25 min late" in page
    client.post(f"/appointments/{ana.id}/payment", data={"amount": "45.00", "method": "card"})
    asked = client.post(f"/appointments/{cy.id}/cancel", data={"reason": "Unwell"})
    assert "This will charge £30.00" in asked.get_data(as_text=True)
    response = client.post(f"/appointments/{cy.id}/cancel", data={
        "reason": "Unwell", "fee": "charge", "fee_cents": "3000"}, follow_redirects=True)
    assert "Late cancellation" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, bo.id).status == "booked"
    ana_page = client.get(f"/appointments/{ana.id}").get_data(as_text=True)
    assert "short by £15.00" in ana_page


def test_today_links_each_booked_row_to_its_cancel_page_with_the_way_back(client, morning):
    ana, bo, cy = morning
    page = client.get("/today?date=2026-11-23").get_data(as_text=True)
    assert f'href="/appointments/{cy.id}/cancel?next=%2Ftoday%3Fdate%3D2026-11-23"' in page
    assert 'name="reason"' not in page  # no reason to type in any row: that is on the cancel page
    assert page.count("<form") == 2  # the page's search form and the rows' one shared form
    assert page.count(f'form="desk" formaction="/appointments/{ana.id}/') == 2  # check in, no-show


def test_the_cancel_page_says_what_the_policy_charges(client, desk, morning, make_client):
    ana, bo, cy = morning
    late = client.get(f"/appointments/{cy.id}/cancel?next=/today").get_data(as_text=True)
    assert "Cancel Cy&#39;s appointment" in late or "Cancel Cy's appointment" in late
    assert "late-cancellation fee of <strong>£30.00</strong>" in late and "(50% of £60.00)" in late
    assert 'name="fee" value="charge">Cancel and charge £30.00' in late
    assert 'name="next" value="/today"' in late
    for reason in ("Client unwell", "Practitioner unavailable", "Something else"):
        assert reason in late
    dee = make_client("Dee")  # has not acknowledged the policy
    later = book(desk, at(TODAY + timedelta(days=3), "09:00"), client=dee)
    early = client.get(f"/appointments/{later.id}/cancel").get_data(as_text=True)
    assert "No fee: the start is more than 24 hours away" in early
    assert 'name="fee"' not in early and ">Cancel the appointment</button>" in early
    assert "has not acknowledged" not in early  # it matters only when there is a fee


def test_cancelling_from_the_cancel_page_returns_to_today_with_the_message(client, morning):
    ana, bo, cy = morning
    response = client.post(f"/appointments/{cy.id}/cancel", data={
        "reason": "Client unwell", "fee": "charge", "fee_cents": "3000", "next": "/today?date=2026-11-23"})
    assert response.status_code == 302 and response.headers["Location"] == "/today?date=2026-11-23"
    page = client.get("/today?date=2026-11-23").get_data(as_text=True)
    assert "Cy&#39;s appointment at 14:00 is cancelled." in page
    db.session.expire_all()
    cancelled = db.session.get(Appointment, cy.id)
    assert (cancelled.status, cancelled.cancel_reason, cancelled.fee_cents) == ("late_cancelled", "Client unwell", 3000)


def test_another_reason_is_written_in_the_desks_own_words(client, morning):
    bo = morning[1]
    client.post(f"/appointments/{bo.id}/cancel", data={
        "reason": "other", "other": "Car broke down", "fee": "charge", "fee_cents": "3000"})
    db.session.expire_all()
    assert db.session.get(Appointment, bo.id).cancel_reason == "Car broke down"


def test_a_cancellation_without_a_reason_is_asked_again_next_to_the_field(client, morning):
    bo = morning[1]
    none = client.post(f"/appointments/{bo.id}/cancel", data={"next": "/today"})
    assert none.status_code == 422
    assert 'id="reason-error"' in none.get_data(as_text=True) and "Choose a reason, or write one." in none.get_data(as_text=True)
    unwritten = client.post(f"/appointments/{bo.id}/cancel", data={"reason": "other", "other": "  ", "next": "/today"})
    page = unwritten.get_data(as_text=True)
    assert unwritten.status_code == 422 and 'id="other-error"' in page and "Write the reason." in page
    assert 'name="next" value="/today"' in page and 'value="other" checked' in page  # nothing chosen is lost
    db.session.expire_all()
    assert db.session.get(Appointment, bo.id).status == "booked"


def test_a_fee_the_cancel_page_did_not_show_is_asked_about_first(client, desk, morning):
    """The page showed no fee (or another one), and the window was crossed before the click:
    the fee is shown and asked about, nothing is done yet."""
    bo = morning[1]
    asked = client.post(f"/appointments/{bo.id}/cancel", data={"reason": "Client unwell", "fee_cents": "0"})
    assert "This will charge £30.00" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, bo.id).status == "booked"


def test_the_cancel_page_of_an_appointment_no_longer_booked_goes_back(client, morning):
    ana = morning[0]
    client.post(f"/appointments/{ana.id}/check-in", data={"arrived": "09:05"})
    response = client.get(f"/appointments/{ana.id}/cancel?next=/today")
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    assert "it cannot be cancelled" in client.get("/today").get_data(as_text=True)


def test_the_cancel_page_says_when_the_policy_was_not_acknowledged(client, desk, morning, make_client):
    dee = make_client("Dee")  # has not acknowledged the policy
    soon = book(desk, at(TODAY, "16:00"), client=dee, now=NOW - timedelta(days=2))
    page = client.get(f"/appointments/{soon.id}/cancel").get_data(as_text=True)
    assert "Dee has not acknowledged the current policy" in page
    assert "Cancel without the fee" not in page  # the desk cannot waive


def test_a_practitioner_may_cancel_without_the_unacknowledged_fee(client, desk, make_client, users, login):
    login(users["practitioner"])
    dee = make_client("Dee")  # has not acknowledged the policy
    soon = book(desk, at(TODAY, "16:00"), client=dee, now=NOW - timedelta(days=2))
    page = client.get(f"/appointments/{soon.id}/cancel").get_data(as_text=True)
    assert 'name="fee" value="waive">Cancel without the fee' in page
    client.post(f"/appointments/{soon.id}/cancel", data={"reason": "Client unwell", "fee": "waive", "fee_cents": "3000"})
    db.session.expire_all()
    waived = db.session.get(Appointment, soon.id)
    assert waived.status == "late_cancelled" and waived.fee_waived


def test_today_stays_within_a_size_budget_per_appointment(app, client, users, login, make_client):
    """A busy day's page grows by a few hundred bytes per appointment, with CSRF tokens as in
    production: the one-click actions share one form, cancelling and undoing have their own
    pages, the look comes from the list's CSS. Only a row that owes has a form of its own
    (the payment's amount and method)."""
    practitioner = users["practitioner"].practitioner
    services.set_working_hours(db.session, SYSTEM, practitioner.id,
                               [(d, time(8), time(20)) for d in range(7)], now=NOW)
    short = services.create_service(db.session, SYSTEM, name="Remedial massage, 15 minutes",
                                    duration_minutes=15, price_cents=2000, now=NOW)
    rows = 40
    for number in range(rows):
        who = make_client(f"Client Number {number:02d}")
        if number % 2:
            acknowledge(who)
        start = at(TODAY, f"{8 + number // 4:02d}:{number % 4 * 15:02d}")
        booked = services.book(db.session, SYSTEM, services.BookingRequest(who.id, practitioner.id, short.id, start),
                               now=NOW - timedelta(days=1))
        if start < NOW and number % 3:
            services.check_in(db.session, SYSTEM, booked, start, now=NOW)  # arrived, owing: pay or undo
    db.session.commit()
    login(users["front_desk"])
    app.config["WTF_CSRF_ENABLED"] = True
    empty = len(client.get("/today?date=2026-11-24").get_data())
    full = client.get("/today?date=2026-11-23").get_data()
    assert full.count(b"<li data-appointment=") == rows
    assert (len(full) - empty) / rows < 750  # 704 here; a form per row, with its token, is 200 more


def test_no_show_for_an_appointment_that_has_started(client, morning):
    ana = morning[0]
    asked = client.post(f"/appointments/{ana.id}/no-show")
    assert "This will charge £60.00" in asked.get_data(as_text=True)
    response = client.post(f"/appointments/{ana.id}/no-show", data={"fee": "charge", "fee_cents": "6000"},
                           follow_redirects=True)
    assert "Did not come" in response.get_data(as_text=True)
    assert "£60.00" in response.get_data(as_text=True)  # the fee, 100% by default


def test_booking_refusal_is_shown_next_to_the_start_and_keeps_the_form(client, desk, morning, make_client):
    practitioner, service, _ = desk
    dee = make_client("Dee")
    response = client.post("/appointments/new", data={
        "client_id": dee.id, "practitioner_id": practitioner.id, "service_id": service.id,
        "day": "2026-11-23", "start": "14:30", "notes": "prefers the quiet room",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="start-error"' in page and "overlaps 14:00-15:00 with another booking" in page
    assert "prefers the quiet room" in page
    ok = client.post("/appointments/new", data={
        "client_id": dee.id, "practitioner_id": practitioner.id, "service_id": service.id,
        "day": "2026-11-23", "start": "15:15"})
    assert ok.status_code == 302


def test_show_free_times_keeps_the_form_and_posts_nothing_to_the_url(client, desk, morning, make_client):
    practitioner, service, _ = desk
    response = client.post("/appointments/new", data={
        "client_id": make_client("Dee").id, "practitioner_id": practitioner.id,
        "service_id": service.id, "day": "2026-11-24", "notes": "left shoulder", "show_slots": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-fill-start="09:00"' in page and "left shoulder" in page
    assert db.session.query(Appointment).count() == 3  # nothing booked


def test_booking_page_offers_free_starts(client, desk, morning):
    practitioner, service, _ = desk
    page = client.get("/appointments/new", query_string={
        "practitioner_id": practitioner.id, "service_id": service.id, "day": "2026-11-24"}).get_data(as_text=True)
    assert 'data-fill-start="09:00"' in page and 'data-fill-start="17:00"' in page


def test_calendar_day_and_week(client, morning):
    day = client.get("/calendar?date=2026-11-23").get_data(as_text=True)
    assert "Ana" in day and "09:00&#8211;10:00" in day  # in ASCII (scheduling.rows_html)
    practitioner_id = morning[0].practitioner_id
    week = client.get(f"/calendar?date=2026-11-25&view=week&practitioner={practitioner_id}").get_data(as_text=True)
    assert "Priya Practitioner: week of 23 November 2026" in week and "Sun 29" in week and "Ana" in week


def test_client_page_shows_history_and_balance(client, morning, users, login):
    ana = morning[0]
    client.post(f"/appointments/{ana.id}/check-in", data={"arrived": "09:12"})
    page = client.get(f"/clients/{ana.client_id}").get_data(as_text=True)
    assert "12 min late" in page and "owes £60.00" in page


def test_a_client_with_no_appointments_owes_nothing(client, make_client, users, login):
    """The balance is a row of the appointments' statement: a client with none still has it."""
    dee = make_client("Dee")
    login(users["front_desk"])
    response = client.get(f"/clients/{dee.id}")
    assert response.status_code == 200 and "nothing owing" in response.get_data(as_text=True)


def test_a_long_history_shows_its_latest_events_and_the_balance_of_all(
        client, desk, make_client, users, login, count_queries, monkeypatch):
    from practice.clients import views

    monkeypatch.setattr(views, "HISTORY_SHOWN", 2)
    sam = make_client("Sam")
    acknowledge(sam)

    def came(days_ago: int, paid: bool = False) -> Appointment:
        start = at(TODAY - timedelta(days=days_ago), "10:00")
        appointment = book(desk, start, client=sam, now=start - timedelta(days=7))
        services.check_in(db.session, SYSTEM, appointment, start, now=start)
        services.complete(db.session, SYSTEM, appointment, now=start + timedelta(hours=1))
        if paid:
            services.record_payment(db.session, SYSTEM, appointment, amount_cents=appointment.price_cents,
                                    method="cash", now=start + timedelta(hours=1))
        db.session.commit()
        return appointment

    oldest = came(9, paid=True)
    came(8)
    came(7)
    login(users["front_desk"])
    url = f"/clients/{sam.id}"
    client.get(url)  # warm up
    with count_queries() as few:
        page = client.get(url).get_data(as_text=True)
    assert "owes £120.00" in page and "Show the whole history" in page
    assert f'href="/appointments/{oldest.id}"' not in page  # older than the latest two
    everything = client.get(f"{url}?history=all").get_data(as_text=True)
    assert f'href="/appointments/{oldest.id}"' in everything and "Show the whole history" not in everything
    came(6)
    came(5, paid=True)
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)


@pytest.mark.parametrize("url", ["/today", "/calendar?date=2026-11-23", "/calendar?date=2026-11-23&view=week"])
def test_pages_issue_a_fixed_number_of_queries(client, desk, make_client, users, login, count_queries, url):
    login(users["front_desk"])
    book_today(desk, "09:00", make_client("First"))
    with count_queries() as few:
        client.get(url)
    for hhmm in ("10:15", "11:30", "14:00", "15:15", "16:30"):
        appointment = book_today(desk, hhmm, make_client(f"Client {hhmm}"))
        services.record_payment(db.session, SYSTEM, appointment, amount_cents=1000, method="cash",
                                now=NOW)
    with count_queries() as many:
        client.get(url)
    assert len(few) == len(many)


def test_a_payment_can_be_dated_and_a_future_date_is_refused(client, morning):
    from practice.scheduling.models import Payment

    ana = morning[0]
    client.post(f"/appointments/{ana.id}/check-in", data={"arrived": "09:00"})
    client.post(f"/appointments/{ana.id}/payment", data={"amount": "20", "method": "transfer",
                                                        "paid_on": "2026-11-20"})
    refused = client.post(f"/appointments/{ana.id}/payment", data={"amount": "20", "method": "card",
                                                                  "paid_on": "2026-12-20"}, follow_redirects=True)
    assert "cannot be in the future" in refused.get_data(as_text=True)
    payment = db.session.query(Payment).one()
    assert payment.paid_at == at(TODAY - timedelta(days=3), "12:00")


@pytest.mark.parametrize("day", ["2027-03-28", "2027-10-31"])
def test_nine_oclock_on_a_clock_change_day_is_nine_oclock_on_the_page(client, desk, users, login, day):
    from datetime import date

    login(users["front_desk"])
    practitioner, service, patient = desk
    services.book(db.session, SYSTEM, services.BookingRequest(
        patient.id, practitioner.id, service.id, at(date.fromisoformat(day), "09:00")), now=NOW)
    page = client.get(f"/calendar?date={day}").get_data(as_text=True)
    assert "09:00&#8211;10:00" in page  # in ASCII (scheduling.rows_html)


def test_a_refused_move_says_why_next_to_the_time_and_keeps_what_was_typed(client, users, login, desk):
    appointment = book(desk, at(TODAY + timedelta(days=7), "10:00"))
    login(users["front_desk"])
    response = client.post(f"/appointments/{appointment.id}/reschedule", data={"day": "2026-11-30", "start": "13:30"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="start-error"' in page and "outside working hours" in page
    assert 'value="2026-11-30"' in page and 'value="13:30"' in page
