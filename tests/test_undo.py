"""Undoing a check-in, a no-show or a cancellation: who may, when, and what it takes back
(the fee, the automatic conduct entry by a correction), all in one unit of work and in the
audit trail. Also the fees a client still owes, shown where they are booked and greeted."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM
from practice.auth.permissions import can, can_each
from practice.clients import identity
from practice.clients import services as client_services
from practice.conduct.chain import verify_chain
from practice.conduct.models import ConductEntry
from practice.db import db
from practice.errors import DomainError
from practice.scheduling import queries, services, signals
from practice.scheduling.models import Appointment
from tests.conftest import NOW, one_action
from tests.test_scheduling import at

TODAY = NOW.date()  # Monday 23 November 2026, 10:00 in London
YESTERDAY = TODAY - timedelta(days=1)


def booked(desk, day, hhmm, client=None):
    practitioner, service, default_client = desk
    with one_action():
        return services.book(db.session, SYSTEM, services.BookingRequest(
            (client or default_client).id, practitioner.id, service.id, at(day, hhmm)),
            now=at(day, hhmm) - timedelta(days=3))


def missed(desk, day=TODAY, hhmm="09:00", client=None):
    """A session marked as a no-show (with its 100% fee) once it had started."""
    appointment = booked(desk, day, hhmm, client)
    with one_action():
        services.mark_no_show(db.session, SYSTEM, appointment, now=at(day, hhmm) + timedelta(minutes=30),
                              confirm_unacknowledged=True)
    return appointment


def entries(appointment) -> list[ConductEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(ConductEntry).where(ConductEntry.appointment_id == appointment.id)
                                   .order_by(ConductEntry.seq)))


def reload(appointment) -> Appointment:
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def undo(client, appointment, reason="The client arrived after all", follow_redirects=False, **extra):
    return client.post(f"/appointments/{appointment.id}/undo", data={"reason": reason, **extra},
                       follow_redirects=follow_redirects)


# The desk, the same day ----------------------------------------------------------------------

def test_the_desk_undoes_a_no_show_and_then_checks_the_client_in(client, desk, users, login):
    appointment = missed(desk)
    login(users["front_desk"])
    response = undo(client, appointment, next="/today")
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    assert "The no-show is undone: Sam is booked again. The fee of £60.00 is removed." in \
        client.get("/today").get_data(as_text=True)
    undone = reload(appointment)
    assert (undone.status, undone.fee_cents, undone.fee_waived) == ("booked", 0, False)

    no_show, withdrawal = entries(appointment)
    assert (no_show.kind, no_show.source, no_show.withdrawn) == ("no_show", "automatic", False)
    assert (withdrawal.corrects_id, withdrawal.withdrawn, withdrawal.kind) == (no_show.id, True, "no_show")
    assert withdrawal.recorded_by_id == users["front_desk"].id
    assert "The no-show was undone. Reason given: The client arrived after all" in withdrawal.note
    assert verify_chain(db.session).ok

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.undo"))
    assert (event.actor_id, event.object_id) == (users["front_desk"].id, str(appointment.id))
    assert event.detail["was"]["status"] == "no_show" and event.detail["was"]["fee_cents"] == 6000
    assert event.detail["reason"] == "The client arrived after all"

    # The client walked in 20 minutes late: the check-in and its late arrival are recorded.
    client.post(f"/appointments/{appointment.id}/check-in", data={"arrived": "09:20"})
    assert reload(appointment).status == "arrived"
    assert [e.kind for e in entries(appointment)] == ["no_show", "no_show", "late_arrival"]


def test_the_desk_cannot_undo_what_was_done_on_an_earlier_day(client, desk, users, login):
    appointment = missed(desk, YESTERDAY, "15:00")
    login(users["front_desk"])
    assert undo(client, appointment).status_code == 403
    assert reload(appointment).status == "no_show"
    assert "Undo the no-show" not in client.get(f"/appointments/{appointment.id}").get_data(as_text=True)


def test_a_cancellation_made_today_can_be_undone_by_the_desk_whatever_day_it_was_for(client, desk, users, login):
    appointment = booked(desk, TODAY + timedelta(days=7), "10:00")
    with one_action():
        services.cancel(db.session, SYSTEM, appointment, "Away that week", now=NOW - timedelta(hours=1))
    login(users["front_desk"])
    assert undo(client, appointment, reason="She found a sitter").status_code == 302
    undone = reload(appointment)
    assert (undone.status, undone.cancelled_at, undone.cancel_reason) == ("booked", None, "")
    assert entries(appointment) == []  # cancelled in good time: nothing in the conduct record


# Practitioners and admins, later --------------------------------------------------------------

def test_a_practitioner_undoes_an_earlier_no_show_of_their_own_session(client, desk, users, login):
    appointment = missed(desk, YESTERDAY, "15:00")
    login(users["practitioner"])
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert "Undo the no-show" in page and "the fee of £60.00 is removed" in page
    assert undo(client, appointment, reason="Marked on the wrong row").status_code == 302
    assert reload(appointment).status == "booked"


def test_an_admin_undoes_any_day(client, desk, users, login):
    appointment = missed(desk, TODAY - timedelta(days=20), "15:00")
    login(users["admin"])
    assert undo(client, appointment).status_code == 302
    assert reload(appointment).status == "booked"


def test_another_practitioner_outside_the_care_team_may_not(client, desk, users, login, make_user, make_client):
    practitioner = users["practitioner"].practitioner
    ana = make_client("Ana", primary_practitioner_id=practitioner.id)
    appointment = missed(desk, YESTERDAY, "15:00", client=ana)
    colleague = make_user("practitioner", name="Pat Other")
    login(colleague)
    assert undo(client, appointment).status_code == 403
    assert reload(appointment).status == "no_show"


def test_today_asks_who_may_undo_each_row_as_can_does(desk, users, make_user):
    """Today settles what the user alone decides once (permissions.can_each) and asks the
    rest of each row: the same answers as can() for every role, and none once inactive."""
    rows = [missed(desk, TODAY, "09:00"), missed(desk, YESTERDAY, "15:00")]
    colleague = make_user("practitioner", name="Pat Other")
    retired = make_user("admin", name="Retired Admin")
    retired.active = False
    answers = []
    for user in [*users.values(), colleague, retired]:
        may_undo = can_each(user, "appointments.undo")
        answers += [(may_undo(row), can(user, "appointments.undo", row)) for row in rows]
    assert all(each == can_say for each, can_say in answers)
    assert {each for each, _ in answers} == {True, False}


def test_an_undo_needs_a_reason_shown_next_to_the_field(client, desk, users, login):
    appointment = missed(desk)
    login(users["front_desk"])
    response = undo(client, appointment, reason="   ", next="/today")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="undo-reason-error"' in page and "Say briefly why" in page
    assert 'name="next" value="/today"' in page  # a second try still returns to Today
    assert reload(appointment).status == "no_show"
    long = undo(client, appointment, reason="x" * 501)
    assert long.status_code == 422 and reload(appointment).status == "no_show"


def test_there_is_nothing_to_undo_on_a_booked_or_completed_session(client, desk, users, login):
    appointment = booked(desk, TODAY, "09:00")
    login(users["admin"])
    response = undo(client, appointment, follow_redirects=True)
    assert "This appointment is booked; there is nothing to undo." in response.get_data(as_text=True)
    assert reload(appointment).status == "booked"


# What an undo takes back ---------------------------------------------------------------------

def test_undoing_a_check_in_withdraws_the_late_arrival_and_a_new_check_in_records_it_again(desk, users):
    appointment = booked(desk, TODAY, "09:00")
    with one_action():
        services.check_in(db.session, SYSTEM, appointment, at(TODAY, "09:40"), now=NOW)
    with one_action():
        assert services.undo(db.session, SYSTEM, appointment, "Checked in the wrong client", now=NOW) == "check-in"
    assert (reload(appointment).arrived_at, reload(appointment).late_minutes) == (None, None)
    late, withdrawal = entries(appointment)
    assert (late.kind, late.minutes, withdrawal.withdrawn) == ("late_arrival", 40, True)
    with one_action():
        services.check_in(db.session, SYSTEM, reload(appointment), at(TODAY, "09:15"), now=NOW)
    late, withdrawal, again = entries(appointment)
    assert (again.corrects_id, again.withdrawn, again.minutes, again.source) == (late.id, False, 15, "manual")
    assert again.recorded_by_id is None and again.note.startswith("Recorded again")
    assert verify_chain(db.session).ok


def test_undoing_a_late_cancellation_removes_its_fee_and_withdraws_the_entry_and_the_waiver(desk):
    appointment = booked(desk, TODAY, "14:00")
    with one_action():
        services.cancel(db.session, SYSTEM, appointment, "Overslept", now=NOW)
    with one_action():
        services.waive_fee(db.session, SYSTEM, reload(appointment), "First time", now=NOW)
    with one_action():
        services.undo(db.session, SYSTEM, reload(appointment), "Rang back: she is coming", now=NOW)
    undone = reload(appointment)
    assert (undone.status, undone.fee_cents, undone.fee_waived, undone.fee_waiver_reason) == ("booked", 0, False, "")
    kinds = [(e.kind, e.source, e.withdrawn) for e in entries(appointment)]
    assert kinds == [("late_cancellation", "automatic", False), ("fee_waived", "automatic", False),
                     ("late_cancellation", "manual", True), ("fee_waived", "manual", True)]


def test_a_cancellation_is_not_undone_once_the_time_was_booked_again(desk, make_client):
    appointment = booked(desk, TODAY + timedelta(days=7), "10:00")
    with one_action():
        services.cancel(db.session, SYSTEM, appointment, "Away", now=NOW)
    booked(desk, TODAY + timedelta(days=7), "10:30", client=make_client("Ana"))
    with pytest.raises(DomainError) as refused, one_action():
        services.undo(db.session, SYSTEM, reload(appointment), "Back after all", now=NOW)
    assert refused.value.message == ("Cannot undo the cancellation: the time has been booked for someone "
                                     "else since.")
    assert reload(appointment).status == "cancelled"


def test_a_client_who_can_no_longer_be_booked_is_not_booked_again_by_an_undo(desk):
    appointment = booked(desk, TODAY + timedelta(days=7), "10:00")
    with one_action():
        services.cancel(db.session, SYSTEM, appointment, "Away", now=NOW)
        client_services.set_standing(db.session, SYSTEM, desk[2], "moved_on", "Ended by letter", now=NOW)
    with pytest.raises(DomainError) as refused, one_action():
        services.undo(db.session, SYSTEM, reload(appointment), "Back after all", now=NOW)
    assert refused.value.message == identity.NOT_BOOKABLE
    assert reload(appointment).status == "cancelled"


def test_a_payment_already_taken_stays_and_counts_towards_the_session(desk):
    appointment = missed(desk)
    with one_action():
        services.record_payment(db.session, SYSTEM, reload(appointment), amount_cents=2000, method="card", now=NOW)
    with one_action():
        services.undo(db.session, SYSTEM, reload(appointment), "Arrived after all", now=NOW)
    with one_action():
        services.check_in(db.session, SYSTEM, reload(appointment), at(TODAY, "09:05"), now=NOW)
    row = queries.appointment_for_page(appointment.id)
    assert (row.due_cents, row.paid_cents, row.owing_cents) == (6000, 2000, 4000)


def test_an_undo_and_all_it_causes_are_saved_together_or_not_at_all(desk):
    appointment = missed(desk)

    def fails(sender, facts):
        raise RuntimeError("a listener of the host failed")

    signals.appointment_undone.connect(fails)
    try:
        with pytest.raises(RuntimeError), one_action():
            services.undo(db.session, SYSTEM, reload(appointment), "Arrived after all", now=NOW)
    finally:
        signals.appointment_undone.disconnect(fails)
    assert reload(appointment).status == "no_show"
    assert len(entries(appointment)) == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.undo")) is None


# Fees still owed ------------------------------------------------------------------------------

def test_fees_owed_leave_out_waived_fees_and_count_what_was_paid(desk, make_client):
    sam = desk[2]
    first = missed(desk, YESTERDAY, "10:00")
    second = missed(desk, YESTERDAY, "15:00")
    waived = missed(desk, TODAY - timedelta(days=2), "10:00")
    with one_action():
        services.record_payment(db.session, SYSTEM, reload(first), amount_cents=2500, method="cash", now=NOW)
        services.record_payment(db.session, SYSTEM, reload(second), amount_cents=7000, method="cash", now=NOW)
        services.waive_fee(db.session, SYSTEM, reload(waived), "Family emergency", now=NOW)
    ana = make_client("Ana")
    # 60.00 - 25.00 owed on the first; the second is overpaid, which pays nothing else.
    assert queries.fees_owed([sam.id, ana.id]) == {sam.id: 3500}


def test_fees_owed_read_the_charged_appointments_from_their_own_index(desk):
    """Not every appointment the clients ever had: SQLite uses the partial index only when the
    statement repeats its condition word for word (PostgreSQL's plan, which depends on the
    table's size, was checked on the benchmark's large practice)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    statements = []

    def caught(connection, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", caught)
    try:
        queries.fees_owed([desk[2].id])
    finally:
        event.remove(db.engine, "before_cursor_execute", caught)
    [(statement, parameters)] = [(s, p) for s, p in statements if "fee_cents" in s]
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
    assert any("ix_appointment_charged_client_id" in row[-1] for row in plan)


def test_today_and_the_appointment_page_flag_a_client_who_owes_fees(client, desk, users, login):
    missed(desk, YESTERDAY, "15:00")
    coming = booked(desk, TODAY, "14:00")
    login(users["front_desk"])
    today = client.get("/today").get_data(as_text=True)
    assert "Owes &#163;60.00 in fees" in today  # in ASCII (scheduling.rows_html)
    page = client.get(f"/appointments/{coming.id}").get_data(as_text=True)
    assert "Sam owes <strong>£60.00</strong> in fees for missed or late-cancelled sessions" in page


@pytest.mark.parametrize("role", ["front_desk", "practitioner"])
def test_today_issues_a_fixed_number_of_queries_with_undo_controls(client, desk, users, login, make_client,
                                                                   count_queries, role):
    login(users[role])
    missed(desk, TODAY, "09:00", client=make_client("First"))
    with count_queries() as few:
        client.get("/today")
    for hhmm in ("10:15", "11:30", "14:00"):
        missed(desk, TODAY, hhmm, client=make_client(f"Client {hhmm}"))
    with count_queries() as many:
        page = client.get("/today").get_data(as_text=True)
    assert page.count("no-show</span></a>") == 4  # the rows' "Undo…" links
    assert len(many) == len(few)


def test_booking_a_client_who_owes_fees_says_how_much(client, desk, users, login):
    missed(desk, YESTERDAY, "15:00")
    sam = desk[2]
    login(users["front_desk"])
    form = client.get(f"/appointments/new?client_id={sam.id}").get_data(as_text=True)
    assert "Sam owes <strong>£60.00</strong> in fees" in form
    response = client.post("/appointments/new", data={
        "client_id": str(sam.id), "practitioner_id": str(desk[0].id), "service_id": str(desk[1].id),
        "day": "2026-11-24", "start": "10:00"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Booked Sam" in page and "Sam still owes £60.00 in fees" in page
