"""The versioned policy set: publishing versions, the version in force by the practice's
date, fees that follow it, acknowledgements, and the notices and confirmations on the
front desk's pages."""

import html
from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM, Actor
from practice.db import db
from practice.errors import DomainError
from practice.policies import queries, services
from practice.policies.models import AcknowledgementRequest, Policy, PolicyAcknowledgement
from practice.policies.queries import (
    acknowledgement_status,
    client_policy,
    current_policy,
    policy_history,
    policy_in_force,
)
from practice.scheduling import services as scheduling
from practice.scheduling import signals
from practice.scheduling.models import Appointment
from practice.unit_of_work import unit_of_work
from tests.conftest import NOW
from tests.test_bad_input import alerts_in, assert_kept, error_for, field_values
from tests.test_scheduling import LONDON, MONDAY, acknowledge, at, book

SUNDAY = MONDAY - timedelta(days=1)  # 29 November 2026


def publish(on: date, now=NOW, actor=SYSTEM, **values) -> Policy:
    policy = services.publish_policy(db.session, actor, values, on, now=now)
    db.session.commit()
    return policy


def shown_values(page: str) -> dict:
    """The form's fields as a browser would send them back (less the newline after <textarea>)."""
    return {name: value.removeprefix("\r\n") for name, value in field_values(page).items()}


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LONDON).astimezone(timezone.utc)


# Versions --------------------------------------------------------------------------------

def test_the_migration_gives_every_practice_version_one_with_the_usual_defaults(practice):
    policy = current_policy(db.session, NOW)
    assert policy.version == 1
    assert (policy.late_grace_minutes, policy.session_ends_on_time, policy.cancellation_window_hours,
            policy.late_cancel_fee_percent, policy.no_show_fee_percent) == (10, True, 24, 50, 100)
    assert (policy.escalate_late_arrivals, policy.escalate_late_arrivals_days) == (3, 90)
    assert (policy.escalate_no_shows, policy.escalate_no_shows_days) == (2, 365)
    assert (policy.escalate_late_cancellations, policy.escalate_unpaid, policy.escalate_boundary) == (3, 2, 2)
    assert [(c.topic, c.text.split(".")[0]) for c in policy.clauses] == [
        ("payment", "Payment is due at the end of each session, by card, cash or bank transfer"),
        ("conduct", "This is a professional practice")]


def test_a_change_is_a_new_version_and_the_old_one_is_kept(users):
    admin = Actor(users["admin"])
    second = publish(MONDAY, actor=admin, cancellation_window_hours=48, no_show_fee_percent=80)
    assert (second.version, second.effective_from, second.created_by_id) == (2, MONDAY, users["admin"].id)
    assert (second.cancellation_window_hours, second.no_show_fee_percent) == (48, 80)
    assert second.late_grace_minutes == 10 and "Payment is due" in second.clauses[0].text  # carried over
    first, = [p for p in policy_history(db.session) if p.version == 1]
    assert (first.cancellation_window_hours, first.no_show_fee_percent) == (24, 100)
    assert [p.version for p in policy_history(db.session)] == [2, 1]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "policy.publish"))
    assert event.detail["cancellation_window_hours"] == [24, 48] and event.detail["version"] == 2
    assert "late_grace_minutes" not in event.detail  # only what changed


def test_the_version_in_force_changes_at_local_midnight(practice):
    publish(MONDAY, late_grace_minutes=5)
    # In winter London is on UTC; the boundary is the first minute of Monday there.
    assert policy_in_force(db.session, local_midnight(MONDAY) - timedelta(seconds=1)).version == 1
    assert policy_in_force(db.session, local_midnight(MONDAY)).version == 2
    assert policy_in_force(db.session, NOW).version == 1
    assert current_policy(db.session, NOW + timedelta(days=30)).version == 2


def test_the_boundary_follows_the_practice_time_zone_in_summer(practice):
    publish(date(2027, 7, 1), late_grace_minutes=5)
    midnight = local_midnight(date(2027, 7, 1))
    assert midnight == datetime(2027, 6, 30, 23, 0, tzinfo=timezone.utc)  # BST
    assert policy_in_force(db.session, midnight - timedelta(minutes=1)).version == 1
    assert policy_in_force(db.session, midnight).version == 2


def test_the_earliest_version_covers_all_time_before_the_next(practice):
    assert policy_in_force(db.session, datetime(1999, 1, 1, tzinfo=timezone.utc)).version == 1


def test_the_highest_version_that_has_started_wins(practice):
    publish(MONDAY, late_grace_minutes=5)
    publish(MONDAY, late_grace_minutes=7)  # a same-day correction before it took effect
    publish(MONDAY + timedelta(days=7), late_grace_minutes=15)
    assert policy_in_force(db.session, at(MONDAY, "12:00")).late_grace_minutes == 7
    assert policy_in_force(db.session, at(MONDAY + timedelta(days=7), "00:00")).late_grace_minutes == 15


def test_a_unit_of_work_reads_the_versions_once_and_sees_one_it_publishes(practice, count_queries):
    db.session.commit()
    with unit_of_work(db.session):
        with count_queries() as statements:
            for _ in range(4):  # the review of a day asks four times
                assert policy_in_force(db.session, NOW).version == 1
        assert len([s for s in statements if "FROM policy" in s]) == 1
        services.publish_policy(db.session, SYSTEM, {"late_grace_minutes": 5}, MONDAY, now=NOW)
        assert policy_in_force(db.session, local_midnight(MONDAY)).version == 2
    assert queries._VERSIONS not in db.session.info  # never kept past its unit of work


@pytest.mark.parametrize("values, field, message", [
    ({"late_grace_minutes": 121}, "late_grace_minutes", "Use a number from 0 to 120."),
    ({"cancellation_window_hours": -1}, "cancellation_window_hours", "Use a number from 0 to 336."),
    ({"late_cancel_fee_percent": 101}, "late_cancel_fee_percent", "Use a number from 0 to 100."),
    ({"no_show_fee_percent": 10**30}, "no_show_fee_percent", "Use a number from 0 to 100."),
    ({"escalate_no_shows": 0}, "escalate_no_shows", "Use a number from 1 to 50."),
    ({"escalate_boundary_days": 731}, "escalate_boundary_days", "Use a number from 1 to 730."),
])
def test_publishing_checks_each_value_with_its_field(practice, values, field, message):
    with pytest.raises(DomainError) as refused:
        publish(MONDAY, **values)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert [p.version for p in policy_history(db.session)] == [1]


def test_a_version_takes_effect_neither_in_the_past_nor_before_the_latest(practice):
    with pytest.raises(DomainError, match="cannot take effect in the past") as refused:
        publish(NOW.date() - timedelta(days=1))
    assert refused.value.field == "effective_from"
    assert publish(NOW.date()).version == 2  # today is fine
    publish(MONDAY + timedelta(days=7))
    with pytest.raises(DomainError, match="Version 3 takes effect on 7 December 2026"):
        publish(MONDAY)


# Fees follow the version in force at the moment of the event ------------------------------

def test_fees_follow_the_version_in_force_when_it_happens(desk, make_client):
    publish(MONDAY, cancellation_window_hours=48, late_cancel_fee_percent=100, no_show_fee_percent=50)
    ana, bo = make_client("Ana"), make_client("Bo")
    for client in (ana, bo):
        acknowledge(client, on=at(MONDAY, "09:00"))
    acknowledge(desk[2], on=at(MONDAY, "09:00"))
    # Cancelled on Sunday, 30 hours ahead: version 1 (24 hours) says in good time.
    early = book(desk, at(MONDAY + timedelta(days=1), "16:00"), client=ana)
    scheduling.cancel(db.session, SYSTEM, early, "Unwell", now=at(SUNDAY, "10:00"))
    assert (early.status, early.fee_cents) == ("cancelled", 0)
    # The same notice on Monday falls inside version 2's 48 hours, at its 100%.
    late = book(desk, at(MONDAY + timedelta(days=2), "16:00"), client=bo)
    scheduling.cancel(db.session, SYSTEM, late, "Unwell", now=at(MONDAY + timedelta(days=1), "10:00"))
    assert (late.status, late.fee_cents) == ("late_cancelled", 6000)
    # A no-show on Monday is charged at version 2's 50%, even when marked a day later.
    missed = book(desk, at(MONDAY, "10:00"))
    scheduling.mark_no_show(db.session, SYSTEM, missed, now=at(MONDAY + timedelta(days=1), "09:00"))
    assert missed.fee_cents == 3000


def test_signals_carry_the_policy_version_in_force(desk):
    second = publish(MONDAY, late_grace_minutes=5)
    received = []

    def note(sender, facts):
        received.append(facts)

    with signals.appointment_checked_in.connected_to(note), signals.appointment_no_show.connected_to(note), \
            signals.appointment_cancelled.connected_to(note):
        on_sunday = book(desk, at(SUNDAY, "10:00"), now=NOW)
        scheduling.check_in(db.session, SYSTEM, on_sunday, at(SUNDAY, "10:07"), now=at(SUNDAY, "10:07"))
        on_monday = book(desk, at(MONDAY, "10:00"), now=NOW)
        scheduling.check_in(db.session, SYSTEM, on_monday, at(MONDAY, "10:07"), now=at(MONDAY, "10:07"))
        missed = book(desk, at(MONDAY, "14:00"), now=NOW)
        acknowledge(desk[2], on=at(MONDAY, "09:00"))
        scheduling.mark_no_show(db.session, SYSTEM, missed, now=at(MONDAY, "15:00"))
        cancelled = book(desk, at(MONDAY, "16:00"), now=NOW)
        scheduling.cancel(db.session, SYSTEM, cancelled, "Unwell", now=NOW)
    first_id = policy_in_force(db.session, NOW).id
    assert [f["policy_id"] for f in received] == [first_id, second.id, second.id, first_id]
    assert [f.get("late_beyond_grace") for f in received[:2]] == [False, True]  # grace 10, then 5


# Acknowledgements ----------------------------------------------------------------------

def test_acknowledgement_status_for_many_clients_in_one_query(practice, make_client, count_queries):
    clients = [make_client(f"Client {n}") for n in range(6)]
    acknowledge(clients[0])
    acknowledge(clients[2])
    client_ids = [c.id for c in clients]
    with count_queries() as statements:
        status = acknowledgement_status(db.session, client_ids, NOW)
    assert len(statements) == 3  # the practice's time zone, the version in force, the acknowledgements
    assert {cid for cid, ack in status.items() if ack} == {clients[0].id, clients[2].id}
    assert status[clients[0].id].method == "signed_at_intake"


def test_an_acknowledgement_of_an_old_version_does_not_count_for_the_new_one(practice, make_client):
    sam = make_client("Sam")
    acknowledge(sam)
    publish(MONDAY, no_show_fee_percent=50)
    assert acknowledgement_status(db.session, [sam.id], at(SUNDAY, "12:00"))[sam.id] is not None
    assert acknowledgement_status(db.session, [sam.id], at(MONDAY, "12:00"))[sam.id] is None
    panel = client_policy(db.session, sam.id, at(MONDAY, "12:00"))
    assert (panel.policy.version, panel.acknowledged, panel.latest.policy.version) == (2, False, 1)


def test_the_client_pages_panel_has_the_latest_link_with_or_without_acknowledgements(practice, make_client):
    sam, kit = make_client("Sam"), make_client("Kit")
    policy = current_policy(db.session, NOW)
    for hours in (24, 48):
        db.session.add(AcknowledgementRequest(
            client_id=sam.id, policy_id=policy.id, email="sam@example.com", nonce=f"n{hours}",
            requested_at=NOW - timedelta(hours=hours), expires_at=NOW + timedelta(days=7)))
    db.session.commit()
    asked = client_policy(db.session, sam.id, NOW)
    assert (asked.acknowledged, asked.latest, asked.request.requested_at) == (False, None, NOW - timedelta(hours=24))
    acknowledge(sam, on=NOW)
    acknowledge(sam, on=NOW)
    both = client_policy(db.session, sam.id, NOW)
    assert (both.acknowledgement.method_label, both.latest.policy, both.request.expires_at) == (
        "Signed at intake", policy, NOW + timedelta(days=7))
    neither = client_policy(db.session, kit.id, NOW)
    assert (neither.policy, neither.acknowledgement, neither.latest, neither.request) == (policy, None, None, None)


@pytest.mark.parametrize("change, field, message", [
    ({"method": "telepathy"}, "method", "Choose how the client acknowledged the policy."),
    ({"on": NOW.date() + timedelta(days=1)}, "on", "The date cannot be in the future."),
    ({"policy_id": 0}, "policy_id", "Choose a version of the policy."),
    ({"client_id": 0}, "client_id", "Choose a client."),
    ({"note": "x" * 2001}, "note", "Keep the note under 2,000 characters."),
])
def test_recording_an_acknowledgement_checks_its_details(practice, make_client, change, field, message):
    details = {"client_id": make_client("Sam").id, "policy_id": current_policy(db.session, NOW).id,
               "method": "verbally", "on": NOW.date(), "note": ""} | change
    with pytest.raises(DomainError) as refused:
        services.record_acknowledgement(db.session, SYSTEM, now=NOW, **details)
    assert (refused.value.field, refused.value.message) == (field, message)


# The confirmation before charging a fee -----------------------------------------------------

def test_a_fee_for_a_client_without_an_acknowledgement_needs_confirming(desk, make_client):
    ana = make_client("Ana")
    appointment = book(desk, at(MONDAY, "10:00"), client=ana)
    with pytest.raises(scheduling.UnacknowledgedPolicy) as asked:
        scheduling.mark_no_show(db.session, SYSTEM, appointment, now=at(MONDAY, "10:30"))
    assert asked.value.message == "Ana has not acknowledged the current policy (version 1); charge the fee anyway?"
    assert asked.value.fee_cents == 6000
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).status == "booked"
    scheduling.mark_no_show(db.session, SYSTEM, appointment, now=at(MONDAY, "10:30"), confirm_unacknowledged=True)
    assert (appointment.status, appointment.fee_cents) == ("no_show", 6000)


def test_no_confirmation_when_there_is_no_fee(desk, make_client):
    ana = make_client("Ana")
    early = book(desk, at(MONDAY, "10:00"), client=ana)
    scheduling.cancel(db.session, SYSTEM, early, "Away", now=NOW)  # in good time: no fee
    assert early.status == "cancelled"
    publish(NOW.date(), no_show_fee_percent=0)
    missed = book(desk, at(MONDAY, "14:00"), client=ana)
    scheduling.mark_no_show(db.session, SYSTEM, missed, now=at(MONDAY, "15:00"))
    assert (missed.status, missed.fee_cents) == ("no_show", 0)


def test_a_late_cancellation_fee_needs_confirming_too(desk, make_client):
    ana = make_client("Ana")
    appointment = book(desk, at(MONDAY, "10:00"), client=ana)
    with pytest.raises(scheduling.UnacknowledgedPolicy):
        scheduling.cancel(db.session, SYSTEM, appointment, "Overslept", now=at(MONDAY, "08:00"))
    db.session.rollback()
    acknowledge(ana, on=at(MONDAY, "07:00"))
    scheduling.cancel(db.session, SYSTEM, appointment, "Overslept", now=at(MONDAY, "08:00"))
    assert (appointment.status, appointment.fee_cents) == ("late_cancelled", 3000)


# Pages --------------------------------------------------------------------------------------

def test_admins_publish_a_new_version_from_a_form_filled_in_from_the_latest(client, users, login):
    login(users["admin"])
    page = client.get("/settings/policy").get_data(as_text=True)
    values = shown_values(page)
    assert values["late_grace_minutes"] == "10" and values["effective_from"] == "2026-11-23"
    assert "Payment is due" in page and 'name="clause_text"' in page
    assert "Publish version 2" in page and "from the start" in page
    response = client.post("/settings/policy", data=values | {
        "effective_from": "2026-11-30", "cancellation_window_hours": "48", "session_ends_on_time": "y"})
    assert response.status_code == 302
    page = client.get("/settings/policy").get_data(as_text=True)
    assert "Version 2 is published; it is in force from 30 November 2026." in page
    assert "In force now: version 1" in page and "coming" in page and "from 30 Nov 2026" in page
    assert current_policy(db.session, at(MONDAY, "00:00")).cancellation_window_hours == 48


@pytest.mark.parametrize("change, field, message", [
    ({"no_show_fee_percent": "150"}, "no_show_fee_percent", "Use a number from 0 to 100."),
    ({"late_grace_minutes": "99999999999999999999999"}, "late_grace_minutes", "Use a number from 0 to 120."),
    ({"late_grace_minutes": "ten"}, "late_grace_minutes", "Not a valid integer value."),
    ({"escalate_unpaid_days": ""}, "escalate_unpaid_days", "Enter a whole number."),
    ({"effective_from": "2026-11-01"}, "effective_from", "A new version cannot take effect in the past; "
                                                         "choose today or a later day."),
    ({"effective_from": "someday"}, "effective_from", "Not a valid date value."),
])
def test_a_bad_version_is_refused_next_to_the_field_keeping_what_was_typed(client, users, login, change, field, message):
    login(users["admin"])
    typed = shown_values(client.get("/settings/policy").get_data(as_text=True)) | {
        "clause_topic": "conduct", "clause_text": "Please be on time.\nThank you."} | change
    response = client.post("/settings/policy", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_for(page, field) == message
    assert_kept(page, typed, skip={"session_ends_on_time", "csrf_token", "clause_topic", "clause_text"})
    assert "Please be on time.\nThank you.</textarea>" in page
    assert [p.version for p in policy_history(db.session)] == [1]


def test_the_policy_page_says_the_rules_in_plain_words(client, users, login):
    publish(MONDAY, cancellation_window_hours=48, late_cancel_fee_percent=100)
    login(users["front_desk"])
    page = html.unescape(client.get("/policy").get_data(as_text=True))
    assert "Version 1, in force from the start." in page
    assert "we wait for you for up to 10 minutes" in page
    assert "at least 24 hours' notice" in page and "charged at 50% of the session price" in page
    assert "Version 2 takes effect on 30 November 2026." in page
    assert "Payment is due at the end of each session" in page
    assert "/settings/policy" not in page  # only admins manage versions


def test_recording_an_acknowledgement_from_the_client_panel(client, users, login, make_client):
    sam = make_client("Sam")
    login(users["front_desk"])
    policy = current_policy(db.session, NOW)
    response = client.post(f"/clients/{sam.id}/acknowledgements", data={
        "policy_id": policy.id, "method": "accepted_at_booking", "on": "2026-11-22", "note": "Ticked the box online"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/clients/{sam.id}")
    ack = acknowledgement_status(db.session, [sam.id], NOW)[sam.id]
    assert (ack.method, ack.acknowledged_on, ack.note, ack.recorded_by_id) == (
        "accepted_at_booking", date(2026, 11, 22), "Ticked the box online", users["front_desk"].id)


def test_the_form_is_on_the_client_page_until_the_policy_is_acknowledged(client, users, login, make_client):
    """Then the page links to the form's own page: a second acknowledgement is seldom recorded."""
    sam = make_client("Sam")
    login(users["front_desk"])
    assert 'name="method"' in client.get(f"/clients/{sam.id}").get_data(as_text=True)
    acknowledge(sam)
    page = client.get(f"/clients/{sam.id}").get_data(as_text=True)
    version = current_policy(db.session, NOW).version
    assert 'name="method"' not in page
    assert (f'<a href="/clients/{sam.id}/acknowledgements">Record an acknowledgement of version {version}</a>'
            in page)
    form = client.get(f"/clients/{sam.id}/acknowledgements").get_data(as_text=True)
    assert field_values(form)["policy_id"] == str(current_policy(db.session, NOW).id)
    assert field_values(form)["on"] == "2026-11-23" and "Sam: policy acknowledgement" in form


@pytest.mark.parametrize("change, field, message", [
    ({"method": "carrier pigeon"}, "method", "Not a valid choice."),
    ({"on": "2026-11-24"}, "on", "The date cannot be in the future."),
    ({"on": ""}, "on", "Write the date, e.g. 2026-11-23."),
])
def test_a_bad_acknowledgement_is_refused_next_to_the_field(client, users, login, make_client, change, field, message):
    sam = make_client("Sam")
    login(users["front_desk"])
    typed = {"policy_id": str(current_policy(db.session, NOW).id), "method": "verbally", "on": "2026-11-23",
             "note": "Talked it through at the desk"} | change
    response = client.post(f"/clients/{sam.id}/acknowledgements", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and error_for(page, field) == message
    assert_kept(page, typed, skip={"method"} if field == "method" else set())
    assert "Sam has not acknowledged the current policy (" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyAcknowledgement)) == 0


def test_an_acknowledgement_of_no_real_version_is_refused_and_the_page_offers_the_current(client, users, login, make_client):
    sam = make_client("Sam")
    login(users["admin"])
    for junk in ("0", "99999999999999999999", "x", "١٢"):
        response = client.post(f"/clients/{sam.id}/acknowledgements",
                               data={"policy_id": junk, "method": "verbally", "on": "2026-11-23"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "Choose a version of the policy." in alerts_in(page)
        assert field_values(page)["policy_id"] == str(current_policy(db.session, NOW).id)
    assert client.post("/clients/99999/acknowledgements", data={}).status_code == 404


# The notices and the confirmation on the front desk's pages --------------------------------

@pytest.fixture
def day(desk, make_client, users, login):
    """Today at the desk (10:00 now): Ana (acknowledged) at 11:15 and Bo (not) at 09:00."""
    ana, bo = make_client("Ana"), make_client("Bo")
    acknowledge(ana)
    practitioner, service, _ = desk
    booked = [scheduling.book(db.session, SYSTEM, scheduling.BookingRequest(
        c.id, practitioner.id, service.id, at(NOW.date(), hhmm)), now=NOW - timedelta(hours=3))
        for c, hhmm in ((ana, "11:15"), (bo, "09:00"))]
    login(users["front_desk"])
    return booked


def test_today_and_the_appointment_page_note_a_client_without_an_acknowledgement(client, day):
    ana, bo = day
    today = client.get("/today").get_data(as_text=True)
    rows = {a.id: today.split(f'data-appointment="{a.id}"')[1].split("</tr>")[0] for a in day}
    assert "Policy not acknowledged" not in rows[ana.id]
    assert "Policy not acknowledged" in rows[bo.id]
    page = client.get(f"/appointments/{bo.id}").get_data(as_text=True)
    assert "Bo has not acknowledged the current policy (" in page and "version 1" in page
    assert "has not acknowledged" not in client.get(f"/appointments/{ana.id}").get_data(as_text=True)


def test_the_booking_form_notes_the_chosen_client_and_the_booking_reminds(client, day, desk):
    practitioner, service, _ = desk
    bo_id = day[1].client_id
    page = client.get(f"/appointments/new?client_id={bo_id}").get_data(as_text=True)
    assert "This client has not acknowledged the current policy" in page
    ana_id = day[0].client_id
    assert "has not acknowledged" not in client.get(f"/appointments/new?client_id={ana_id}").get_data(as_text=True)
    response = client.post("/appointments/new", data={
        "client_id": bo_id, "practitioner_id": practitioner.id, "service_id": service.id,
        "day": "2026-11-30", "start": "14:00"}, follow_redirects=True)
    assert "Bo has not acknowledged the current policy (version 1); please ask them to." in response.get_data(as_text=True)
    for junk in ("99999999999999999999", "x", "-1"):
        assert client.get(f"/appointments/new?client_id={junk}").status_code == 200


def test_a_no_show_fee_for_a_client_without_an_acknowledgement_asks_first(client, day):
    bo = day[1]
    response = client.post(f"/appointments/{bo.id}/no-show", data={"next": "/today"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bo has not acknowledged the current policy (version 1)." in page
    assert "<h1 class=\"h3\">This will charge £60.00</h1>" in page
    assert "charges Bo a fee of <strong>£60.00</strong>" in page
    assert "Mark as a no-show and charge £60.00" in page
    assert "Record it without the fee" not in page  # the front desk
    assert 'href="/today"' in page  # go back
    db.session.expire_all()
    assert db.session.get(Appointment, bo.id).status == "booked"
    response = client.post(f"/appointments/{bo.id}/no-show",
                           data={"next": "/today", "fee": "charge", "fee_cents": "6000"})
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    db.session.expire_all()
    missed = db.session.get(Appointment, bo.id)
    assert (missed.status, missed.fee_cents, missed.fee_waived) == ("no_show", 6000, False)


def test_the_front_desk_cannot_waive_from_the_question(client, day):
    answer = {"fee": "waive", "fee_cents": "6000"}
    assert client.post(f"/appointments/{day[1].id}/no-show", data=answer).status_code == 403
    db.session.expire_all()
    assert db.session.get(Appointment, day[1].id).status == "booked"


def test_a_practitioner_can_record_a_late_cancellation_without_the_fee(client, day, users, login, desk):
    bo = day[1]
    client.post("/logout")
    login(users["practitioner"])
    with_time = {"reason": "Stuck in traffic"}
    page = client.post(f"/appointments/{bo.id}/cancel", data=with_time).get_data(as_text=True)
    assert "Cancelling this appointment now, inside the cancellation window," in page
    assert "charges Bo a fee of <strong>£30.00</strong>" in page and "Record it without the fee" in page
    assert 'name="reason" value="Stuck in traffic"' in page
    client.post(f"/appointments/{bo.id}/cancel", data=with_time | {"fee": "waive", "fee_cents": "3000"})
    db.session.expire_all()
    cancelled = db.session.get(Appointment, bo.id)
    assert (cancelled.status, cancelled.fee_cents, cancelled.fee_waived) == ("late_cancelled", 3000, True)
    assert "not acknowledged" in cancelled.fee_waiver_reason and cancelled.cancel_reason == "Stuck in traffic"


def test_a_fee_is_shown_and_confirmed_for_an_acknowledged_client_too(client, day, users, login):
    client.post("/logout")
    login(users["practitioner"])
    cancelling = {"reason": "Car broke down", "next": "/today"}
    page = client.post(f"/appointments/{day[0].id}/cancel", data=cancelling).get_data(as_text=True)
    assert "This will charge £30.00" in page and "Cancel and charge £30.00" in page
    assert "not acknowledged" not in page and "Record it without the fee" not in page
    db.session.expire_all()
    assert db.session.get(Appointment, day[0].id).status == "booked"
    # An answer to a different amount than the one now due is asked again.
    stale = client.post(f"/appointments/{day[0].id}/cancel", data=cancelling | {"fee": "charge", "fee_cents": "2500"})
    assert stale.status_code == 200 and "This will charge £30.00" in stale.get_data(as_text=True)
    # Waiving from the question is for clients who had not acknowledged the policy.
    client.post(f"/appointments/{day[0].id}/cancel", data=cancelling | {"fee": "waive", "fee_cents": "3000"})
    db.session.expire_all()
    assert db.session.get(Appointment, day[0].id).status == "booked"
    response = client.post(f"/appointments/{day[0].id}/cancel", data=cancelling | {"fee": "charge", "fee_cents": "3000"})
    assert response.status_code == 302 and response.headers["Location"] == "/today"
    db.session.expire_all()
    assert db.session.get(Appointment, day[0].id).fee_cents == 3000


# Queries per page ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/settings/policy", "/policy", "/today"])
def test_policy_pages_issue_a_fixed_number_of_queries(client, desk, users, login, make_client, count_queries, url):
    login(users["admin"])
    practitioner, service, _ = desk
    starts = iter(["09:00", "10:15", "11:30", "14:00", "15:15", "16:30"])

    def add(n):
        for i in range(n):
            who = make_client(f"Client {n}-{i}")
            if i % 2:
                acknowledge(who)
            scheduling.book(db.session, SYSTEM, scheduling.BookingRequest(
                who.id, practitioner.id, service.id, at(NOW.date(), next(starts))), now=NOW - timedelta(hours=3))
            publish(MONDAY + timedelta(days=n + i), late_grace_minutes=5 + i)

    add(1)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    add(4)
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# The migration -----------------------------------------------------------------------------

def _before_policies() -> str:
    """The revision 0005 follows (the migrations above it are undone too)."""
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()) \
        .get_revision("0005").down_revision


def test_the_migration_round_trips_the_policy_in_force(app, practice):
    """Down: the version in force becomes the one attendance policy again; up: it is version 1."""
    publish(NOW.date(), cancellation_window_hours=48, no_show_fee_percent=80, session_ends_on_time=False)
    db.session.remove()
    downgrade(revision=_before_policies())
    with db.engine.connect() as connection:
        old = connection.execute(sa.text(
            "SELECT late_grace_minutes, session_ends_on_time, cancellation_window_hours, "
            "late_cancel_fee_percent, no_show_fee_percent FROM scheduling_policy")).all()
    assert [tuple(row) for row in old] == [(10, False, 48, 50, 80)]
    upgrade(revision="heads")
    first, = policy_history(db.session)
    assert (first.version, first.effective_from, first.session_ends_on_time) == (1, date(2000, 1, 1), False)
    assert (first.cancellation_window_hours, first.no_show_fee_percent) == (48, 80)
    assert "Payment is due" in first.clauses[0].text
