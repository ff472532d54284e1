"""Availability, booking refusals, no double-booking, lateness, fees, payments, DST days."""

import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from practice.audit.services import SYSTEM
from practice.db import db
from practice.errors import DomainError
from practice.scheduling import services, signals
from practice.scheduling.models import Appointment
from practice.unit_of_work import unit_of_work
from tests.conftest import NOW, acknowledge  # noqa: F401 (other test modules import it from here)

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 11, 30)  # a week after NOW (Monday 23 November 2026, 10:00 UTC)


def at(day: date, hhmm: str) -> datetime:
    """A local London time as the aware UTC moment it is."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(timezone.utc)


def book(desk, start, client=None, now=NOW):
    """A booking made (and committed) as the booking page makes it."""
    practitioner, service, default_client = desk
    request = services.BookingRequest((client or default_client).id, practitioner.id, service.id, start)
    appointment = services.book(db.session, SYSTEM, request, now=now)
    db.session.commit()
    return appointment


def refusal(desk, start, **kwargs) -> str:
    with pytest.raises(DomainError) as refused:
        book(desk, start, **kwargs)
    return refused.value.message


def test_a_free_slot_books(desk):
    appointment = book(desk, at(MONDAY, "10:00"))
    assert (appointment.end_at, appointment.held_until) == (at(MONDAY, "11:00"), at(MONDAY, "11:15"))
    assert appointment.status == "booked" and appointment.price_cents == 6000


def test_overlaps_name_the_other_booking_and_count_buffers(desk, make_client):
    book(desk, at(MONDAY, "10:00"))
    other = make_client("Ana")
    assert refusal(desk, at(MONDAY, "10:30"), client=other) == (
        "Cannot book: overlaps 10:00-11:00 with another booking.")
    # 11:00 is inside the 15-minute buffer after the first session; 11:15 is free.
    assert "overlaps 10:00-11:00" in refusal(desk, at(MONDAY, "11:00"), client=other)
    assert "overlaps" in refusal(desk, at(MONDAY, "09:15"), client=other)  # its buffer reaches 10:15
    assert book(desk, at(MONDAY, "11:15"), client=other).start_at == at(MONDAY, "11:15")


def test_outside_working_hours(desk):
    assert refusal(desk, at(MONDAY, "12:30")) == (
        "Cannot book: outside working hours (Monday 09:00-13:00, 14:00-18:00).")
    assert "outside working hours" in refusal(desk, at(MONDAY, "08:30"))
    assert "outside working hours" in refusal(desk, at(MONDAY, "17:30"))


def test_time_off_and_blocked_time(desk):
    practitioner, _, _ = desk
    services.add_time_block(db.session, SYSTEM, practitioner.id, at(MONDAY, "15:00"),
                            at(MONDAY, "16:00"), "Dentist", now=NOW)
    message = refusal(desk, at(MONDAY, "14:30"))
    assert message == "Cannot book: the practitioner is not available 15:00-16:00."
    assert "Dentist" not in message  # the front desk sees "not available", never why


def test_daily_limit(desk, make_client):
    practitioner, _, _ = desk
    services.update_schedule(db.session, SYSTEM, practitioner.id, buffer_minutes=0,
                             max_sessions_per_day=2, min_notice_hours=0, now=NOW)
    book(desk, at(MONDAY, "09:00"))
    book(desk, at(MONDAY, "10:15"), client=make_client("Ana"))
    assert refusal(desk, at(MONDAY, "14:00"), client=make_client("Bo")) == (
        "Cannot book: the practitioner has reached 2 sessions that day.")
    assert book(desk, at(MONDAY + timedelta(days=1), "09:00"), client=make_client("Cy"))


def test_minimum_notice_and_the_past(desk):
    practitioner, _, _ = desk
    services.update_schedule(db.session, SYSTEM, practitioner.id, buffer_minutes=0,
                             max_sessions_per_day=None, min_notice_hours=24, now=NOW)
    tomorrow = NOW.date() + timedelta(days=1)
    assert refusal(desk, at(tomorrow, "09:00")) == "Cannot book: bookings need at least 24 hours' notice."
    assert refusal(desk, at(NOW.date(), "09:00")) == "Cannot book: that time has already passed."


def test_clients_who_cannot_be_booked(desk):
    _, _, client = desk
    client.standing = "moved_on"
    db.session.commit()
    assert refusal(desk, at(MONDAY, "10:00")) == "This person cannot be booked here. Please ask a practitioner."


def test_practitioner_buffer_counts_when_longer_than_the_service_one(desk, make_client):
    practitioner, _, _ = desk
    services.update_schedule(db.session, SYSTEM, practitioner.id, buffer_minutes=30,
                             max_sessions_per_day=None, min_notice_hours=0, now=NOW)
    book(desk, at(MONDAY, "10:00"))
    assert "overlaps" in refusal(desk, at(MONDAY, "11:15"), client=make_client("Ana"))
    assert book(desk, at(MONDAY, "11:30"), client=make_client("Bo"))


def test_free_slots_leave_out_what_is_taken(desk):
    practitioner, service, _ = desk
    book(desk, at(MONDAY, "10:00"))
    slots = services.free_slots(db.session, practitioner.id, service.id, MONDAY, now=NOW)
    local = [s.astimezone(LONDON).strftime("%H:%M") for s in slots]
    # 09:00 would run into 10:00 with its buffer; 11:15 is the first start after 10:00's buffer.
    assert local[:2] == ["11:15", "11:30"] and "09:00" not in local and "12:00" in local
    assert "12:15" not in local and local[-1] == "17:00"


def test_reschedule_checks_the_new_time_and_frees_the_old(desk, make_client):
    first = book(desk, at(MONDAY, "10:00"))
    services.reschedule(db.session, SYSTEM, first, at(MONDAY, "14:00"), now=NOW)
    assert book(desk, at(MONDAY, "10:00"), client=make_client("Ana"))
    with pytest.raises(DomainError, match="overlaps 10:00-11:00"):
        services.reschedule(db.session, SYSTEM, first, at(MONDAY, "10:30"), now=NOW)
    assert db.session.get(Appointment, first.id).start_at == at(MONDAY, "14:00")


def test_concurrent_bookings_for_one_slot_have_exactly_one_winner(app, desk, make_client):
    practitioner, service, _ = desk
    clients = [make_client(f"Racer {n}").id for n in range(6)]
    start = at(MONDAY, "10:00")
    barrier = threading.Barrier(len(clients))
    outcomes = []

    def attempt(client_id):
        with app.app_context():
            barrier.wait()
            try:
                with unit_of_work(db.session):  # as each booking request is
                    services.book(db.session, SYSTEM, services.BookingRequest(
                        client_id, practitioner.id, service.id, start), now=NOW)
                outcomes.append("booked")
            except DomainError as refused:
                outcomes.append(refused.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("booked") == 1, outcomes
    assert all("overlaps" in o or "a moment ago" in o for o in outcomes if o != "booked")


def test_check_in_records_real_arrival_and_minutes_late(app, desk):
    appointment = book(desk, at(MONDAY, "10:00"))
    heard = []
    signals.appointment_checked_in.connect(lambda sender, facts: heard.append(facts), weak=False)
    later = at(MONDAY, "11:00")
    services.check_in(db.session, SYSTEM, appointment, at(MONDAY, "10:25") + timedelta(seconds=59), now=later)
    assert (appointment.status, appointment.late_minutes) == ("arrived", 25)
    assert appointment.end_at == at(MONDAY, "11:00")  # the session still ends on time
    facts = heard[-1]
    assert facts["late_minutes"] == 25 and facts["late_beyond_grace"] and facts["minutes_lost"] == 25
    assert facts["client_id"] == appointment.client_id and facts["grace_minutes"] == 10


def test_check_in_on_time_and_within_grace(desk, make_client):
    early = book(desk, at(MONDAY, "10:00"))
    services.check_in(db.session, SYSTEM, early, at(MONDAY, "09:50"), now=at(MONDAY, "10:00"))
    assert early.late_minutes == 0
    with pytest.raises(DomainError, match="cannot be checked in"):
        services.check_in(db.session, SYSTEM, early, None, now=at(MONDAY, "10:00"))
    future = book(desk, at(MONDAY, "14:00"), client=make_client("Ana"))
    with pytest.raises(DomainError, match="future"):
        services.check_in(db.session, SYSTEM, future, at(MONDAY, "14:05"), now=at(MONDAY, "13:00"))


@pytest.mark.parametrize("hours_before, status, fee", [
    (48, "cancelled", 0), (24, "cancelled", 0), (23.5, "late_cancelled", 3000), (1, "late_cancelled", 3000),
])
def test_cancellation_window_and_fee(desk, hours_before, status, fee):
    appointment = book(desk, at(MONDAY, "10:00"))
    services.cancel(db.session, SYSTEM, appointment, "Client unwell",
                    now=at(MONDAY, "10:00") - timedelta(hours=hours_before))
    assert (appointment.status, appointment.fee_cents) == (status, fee)
    assert appointment.cancel_reason == "Client unwell"
    assert services.amount_due(appointment) == fee


def test_cancelling_needs_a_reason_and_frees_the_time(desk, make_client):
    appointment = book(desk, at(MONDAY, "10:00"))
    with pytest.raises(DomainError) as refused:
        services.cancel(db.session, SYSTEM, appointment, "  ", now=NOW)
    assert refused.value.field == "reason"
    services.cancel(db.session, SYSTEM, appointment, "Practitioner ill", now=NOW)
    assert book(desk, at(MONDAY, "10:00"), client=make_client("Ana"))


def test_no_show_fee_waiver_and_its_reason(desk):
    appointment = book(desk, at(MONDAY, "10:00"))
    with pytest.raises(DomainError, match="not started"):
        services.mark_no_show(db.session, SYSTEM, appointment, now=at(MONDAY, "09:00"))
    services.mark_no_show(db.session, SYSTEM, appointment, now=at(MONDAY, "10:30"))
    assert (appointment.status, appointment.fee_cents) == ("no_show", 6000)
    with pytest.raises(DomainError, match="needs a reason"):
        services.waive_fee(db.session, SYSTEM, appointment, "", now=at(MONDAY, "11:00"))
    services.waive_fee(db.session, SYSTEM, appointment, "Family emergency", now=at(MONDAY, "11:00"))
    assert appointment.fee_cents == 6000 and appointment.fee_waived  # kept, not erased
    assert services.amount_due(appointment) == 0


@pytest.mark.parametrize("price, percent, fee", [(6000, 50, 3000), (4550, 50, 2275), (4999, 50, 2500), (999, 33, 330)])
def test_fee_arithmetic_rounds_half_up_to_the_cent(price, percent, fee):
    assert services.percent_of(price, percent) == fee


def test_payments_balance_and_short_payment(desk, make_client):
    _, _, client = desk
    appointment = book(desk, at(MONDAY, "10:00"))
    services.check_in(db.session, SYSTEM, appointment, None, now=at(MONDAY, "10:00"))
    heard = []
    signals.payment_recorded.connect(lambda sender, facts: heard.append(facts), weak=False)
    services.record_payment(db.session, SYSTEM, appointment, amount_cents=4500, method="card",
                            now=at(MONDAY, "11:00"))
    assert heard[-1]["short_cents"] == 1500
    assert services.client_balance(db.session, client.id) == 1500
    unpaid = []
    signals.appointment_left_unpaid.connect(lambda sender, facts: unpaid.append(facts), weak=False)
    services.complete(db.session, SYSTEM, appointment, now=at(MONDAY, "11:00"))
    assert unpaid[-1]["unpaid_cents"] == 1500
    services.record_payment(db.session, SYSTEM, appointment, amount_cents=1500, method="cash",
                            now=at(MONDAY, "11:05"))
    assert services.client_balance(db.session, client.id) == 0


@pytest.mark.parametrize("text, cents", [("45", 4500), ("45.5", 4550), ("1,234.56", 123456), ("0.01", 1)])
def test_money_parsing(text, cents):
    assert services.parse_money(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "-5", "4.555", "NaN", "1e400"])
def test_money_parsing_refuses(text):
    with pytest.raises(DomainError):
        services.parse_money(text)


@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)])  # clocks change at 01:00/02:00
def test_nine_oclock_stays_nine_oclock_on_daylight_saving_days(desk, day):
    appointment = book(desk, at(day, "09:00"))
    appointment_id = appointment.id
    db.session.expire_all()
    stored = db.session.get(Appointment, appointment_id)
    assert stored.start_at.astimezone(LONDON).strftime("%H:%M") == "09:00"
    assert stored.start_at.hour == (8 if day.month == 3 else 9)  # UTC
    start, end = services.local_day_bounds(day, LONDON)
    assert end - start == timedelta(hours=23 if day.month == 3 else 25)
    slots = services.free_slots(db.session, desk[0].id, desk[1].id, day, now=NOW)
    assert slots[0].astimezone(LONDON).strftime("%H:%M") == "10:15"


def test_postgresql_itself_refuses_overlapping_appointments(desk):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on the service")
    import sqlalchemy as sa

    first = book(desk, at(MONDAY, "10:00"))
    clash = Appointment(client_id=first.client_id, practitioner_id=first.practitioner_id,
                        service_id=first.service_id, start_at=at(MONDAY, "11:00"),
                        end_at=at(MONDAY, "12:00"), held_until=at(MONDAY, "12:15"),
                        status="booked", price_cents=6000, created_at=NOW)
    db.session.add(clash)
    with pytest.raises(sa.exc.IntegrityError, match="appointment_no_overlap"):
        db.session.commit()
    db.session.rollback()
