"""Standing decisions, suggestions on the client page, private notes and the timeline."""

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM, Actor
from practice.clients import services as client_services
from practice.clients import signals, timeline
from practice.clients.models import PrivateNote, StandingChange
from practice.conduct import escalation
from practice.conduct import services as conduct_services
from practice.db import db
from practice.errors import DomainError
from practice.policies.queries import policy_in_force
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment
from tests.conftest import NOW
from tests.test_scheduling import at, book

PAST_DAYS = [date(2026, 10, 5), date(2026, 10, 19), date(2026, 11, 2)]  # Mondays


def late_three_times(desk, days=PAST_DAYS):
    """Sessions the client came to 20, 25 and 30 minutes late."""
    for day, minutes in zip(days, (20, 25, 30), strict=False):
        booked_at = at(day, "08:00") - timedelta(days=1)
        appointment = book(desk, at(day, "10:00"), now=booked_at)
        arrived = at(day, "10:00") + timedelta(minutes=minutes)
        scheduling.check_in(db.session, SYSTEM, appointment, arrived, now=arrived)


def page(client, client_id, query=""):
    response = client.get(f"/clients/{client_id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_client_page_suggests_a_step_with_dated_reasons(client, users, login, desk):
    late_three_times(desk)
    login(users["practitioner"])
    html = page(client, desk[2].id)
    assert "Suggested next step: Tell the client the policy, and record that you did." in html
    assert "3 late arrivals in 90 days: 5 Oct (20 min), 19 Oct (25 min), 2 Nov (30 min)" in html
    assert "policy not yet communicated" in html


def test_a_recorded_reminder_then_another_late_arrival_suggests_a_warning(client, users, login, desk):
    late_three_times(desk)
    sam = desk[2]
    conduct_services.record_communication(
        db.session, Actor(users["practitioner"]), sam, occurred_at=at(date(2026, 11, 3), "12:00"),
        channel="phone", kind="policy_reminder", summary="Explained the late-arrival policy.", now=NOW)
    assert "Suggested next step: Give a warning" not in page_as(client, login, users["practitioner"], sam.id)
    day = date(2026, 11, 16)
    appointment = book(desk, at(day, "10:00"), now=at(day, "08:00"))
    scheduling.check_in(db.session, SYSTEM, appointment, at(day, "10:40"), now=at(day, "10:40"))
    html = page(client, sam.id)
    assert "Suggested next step: Give a warning." in html
    assert "policy last communicated 3 Nov" in html


def test_the_ladder_reads_the_entries_and_what_the_client_was_told_in_one_statement(app, users, desk, count_queries):
    late_three_times(desk)
    sam = desk[2]
    conduct_services.record_communication(
        db.session, Actor(users["practitioner"]), sam, occurred_at=at(date(2026, 11, 3), "12:00"),
        channel="phone", kind="policy_reminder", summary="Explained the late-arrival policy.", now=NOW)
    with count_queries() as statements:
        suggestion = escalation.suggestions(db.session, [sam], NOW)[sam.id]
    assert len([s for s in statements if "FROM conduct_entry" in s or "FROM communication" in s]) == 1
    assert suggestion is None  # told after the three late arrivals, nothing new since
    day = date(2026, 11, 16)
    appointment = book(desk, at(day, "10:00"), now=at(day, "08:00"))
    scheduling.check_in(db.session, SYSTEM, appointment, at(day, "10:40"), now=at(day, "10:40"))
    suggestion = escalation.suggestions(db.session, [sam], NOW)[sam.id]
    assert suggestion.step == "warn" and suggestion.reasons[-1] == "policy last communicated 3 Nov"


def test_the_client_page_reads_the_ladders_rows_with_its_history(client, users, login, desk, count_queries):
    late_three_times(desk)
    login(users["practitioner"])
    with count_queries() as statements:
        html = page(client, desk[2].id)
    assert "Suggested next step: Tell the client the policy, and record that you did." in html
    # The history with the ladder's rows, and the conduct summary: no statement of the ladder's own.
    assert len([s for s in statements if "FROM conduct_entry" in s]) == 2


def test_the_ladder_reads_every_row_it_needs_whatever_the_historys_limit(app, users, desk):
    late_three_times(desk)
    sam = desk[2]
    conduct_services.record_communication(
        db.session, Actor(users["practitioner"]), sam, occurred_at=at(date(2026, 11, 3), "12:00"),
        channel="phone", kind="policy_reminder", summary="Explained the late-arrival policy.", now=NOW)
    conduct_services.record_communication(
        db.session, Actor(users["practitioner"]), sam, occurred_at=at(date(2026, 11, 4), "12:00"),
        channel="phone", kind="conversation", summary="Moved a booking.", now=NOW)
    day = date(2026, 11, 16)
    appointment = book(desk, at(day, "10:00"), now=at(day, "08:00"))
    scheduling.check_in(db.session, SYSTEM, appointment, at(day, "10:40"), now=at(day, "10:40"))
    policy = policy_in_force(db.session, NOW)
    events = timeline.events(sam.id, kinds={"conduct", "communication"}, viewer_id=None, limit=1,
                             ladder_from=escalation.reach_back(policy, [NOW]))
    assert (len(events["conduct"]), len(events["communication"])) == (2, 2)  # the history's limit, and one more
    assert [row.minutes for row in events["ladder"]] == [40, 30, 25, 20]  # newest first, all of them
    assert [row.type for row in events["told"]] == ["policy_reminder"]
    suggestion = timeline.suggestion(sam, events, policy, NOW)
    assert suggestion == escalation.suggestions(db.session, [sam], NOW)[sam.id]
    assert suggestion.step == "warn" and suggestion.reasons[-1] == "policy last communicated 3 Nov"



# The history of items of one minute, in a fresh interpreter with the hash seed given.
SAME_MINUTE_SCRIPT = """
from datetime import datetime, timezone
from types import SimpleNamespace
from practice.clients import timeline
timeline.practice_zone = lambda session: timezone.utc
at = datetime(2026, 11, 3, 12, 0, tzinfo=timezone.utc)
events = {kind: [SimpleNamespace(at=at, kind=kind)] for kind in ("note", "letter", "standing", "communication", "conduct")}
print(" ".join(item.kind for item in timeline.timeline(kinds=set(events), events=events, past_appointments=[]).items))
"""


def test_items_of_one_minute_keep_one_order_whatever_the_processs_hash_seed():
    """Two server processes show a history the same way: items at the same minute come in
    the order of timeline.KINDS, not in the order of a set, which changes with the seed."""
    orders = {subprocess.run([sys.executable, "-c", SAME_MINUTE_SCRIPT], env={**os.environ, "PYTHONHASHSEED": seed},
                             capture_output=True, text=True, check=True).stdout.strip() for seed in "0123"}
    assert orders == {"conduct communication standing letter note"}

def page_as(client, login, user, client_id):
    login(user)
    return page(client, client_id)


def test_setting_the_standing_keeps_the_decision_and_its_reason(client, users, login, make_client):
    sam = make_client("Sam", primary_practitioner_id=users["practitioner"].practitioner.id)
    login(users["practitioner"])
    heard = []
    signals.standing_changed.connect(lambda sender, facts: heard.append(facts), weak=False)
    response = client.post(f"/clients/{sam.id}/standing",
                           data={"standing": "moved_on", "reason": "Followed me to my car twice."})
    assert response.status_code == 302
    db.session.refresh(sam)
    assert sam.standing == "moved_on" and not sam.bookable
    change = db.session.scalar(sa.select(StandingChange))
    assert (change.from_standing, change.to_standing, change.reason) == ("active", "moved_on", "Followed me to my car twice.")
    assert change.changed_by_id == users["practitioner"].id
    assert heard[-1]["to_standing"] == "moved_on"
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.standing"))
    html = page(client, sam.id)
    assert "Active → <strong>Moved on</strong>" in html and "Followed me to my car twice." in html


def test_the_standing_is_decided_on_its_own_page_with_the_suggestion_chosen(client, users, login, desk):
    late_three_times(desk)
    sam = desk[2]
    html = page_as(client, login, users["practitioner"], sam.id)
    assert f'href="/clients/{sam.id}/standing"' in html and 'name="reason"' not in html
    response = client.get(f"/clients/{sam.id}/standing")
    assert response.status_code == 200
    form = response.get_data(as_text=True)
    assert "Suggested next step: Tell the client the policy" in form
    assert '<option selected value="watch">' in form and 'name="reason"' in form


def test_a_standing_without_a_reason_is_refused_next_to_the_field(client, users, login, make_client):
    sam = make_client("Sam")
    login(users["admin"])
    response = client.post(f"/clients/{sam.id}/standing", data={"standing": "warned", "reason": "  "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="reason-error"' in html and '<option selected value="warned">' in html
    assert "Change Sam's standing" in html and 'id="timeline"' not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StandingChange)) == 0


def test_the_same_standing_again_and_an_unknown_one_are_refused(app, users, make_client):
    sam = make_client("Sam")
    with pytest.raises(DomainError, match="already active"):
        client_services.set_standing(db.session, SYSTEM, sam, "active", "because", now=NOW)
    with pytest.raises(DomainError) as refused:
        client_services.set_standing(db.session, SYSTEM, sam, "banished", "because", now=NOW)
    assert refused.value.field == "standing"


def test_a_moved_on_client_cannot_be_booked_and_the_refusal_is_neutral(app, users, desk):
    client_services.set_standing(db.session, SYSTEM, desk[2], "moved_on", "Safety.", now=NOW)
    with pytest.raises(DomainError) as refused:
        book(desk, at(date(2026, 11, 30), "10:00"))
    assert "Safety" not in refused.value.message
    assert "cannot be booked" in refused.value.message


def test_standing_changes_cannot_be_altered_in_the_database(app, users, make_client):
    sam = make_client("Sam")
    client_services.set_standing(db.session, SYSTEM, sam, "watch", "Late twice.", now=NOW)
    db.session.commit()
    for statement in ("UPDATE standing_change SET reason = 'nothing'", "DELETE FROM standing_change"):
        with pytest.raises(sa.exc.DBAPIError):
            db.session.execute(sa.text(statement))
        db.session.rollback()


def test_the_front_desk_sees_a_neutral_badge_and_nothing_of_the_record(client, users, login, desk):
    late_three_times(desk)
    client_services.set_standing(db.session, SYSTEM, desk[2], "moved_on", "Repeated lateness, unpaid fees.", now=NOW)
    html = page_as(client, login, users["front_desk"], desk[2].id)
    assert "Not bookable" in html
    for private in ("Repeated lateness", "Suggested next step", "Moved on", "late arrivals in 90 days",
                    'value="conduct"', "Write a private note"):
        assert private not in html
    assert client.get(f"/clients/{desk[2].id}?show=conduct&show=standing").status_code == 200
    assert client.post(f"/clients/{desk[2].id}/standing", data={"standing": "active", "reason": "x"}).status_code == 403


def test_a_practitioner_who_does_not_see_the_client_cannot_read_or_set_their_standing(
    client, users, login, make_user, make_client,
):
    sam = make_client("Sam", primary_practitioner_id=users["practitioner"].practitioner.id)
    other = make_user("practitioner", name="Olu Other")
    client_services.set_standing(db.session, SYSTEM, sam, "warned", "Cancelled late three times.", now=NOW)
    html = page_as(client, login, other, sam.id)
    assert "Cancelled late three times." not in html and "On notice" in html
    assert client.post(f"/clients/{sam.id}/standing", data={"standing": "active", "reason": "x"}).status_code == 403


def test_private_notes_are_their_authors_alone(client, users, login, make_user, make_client):
    sam = make_client("Sam")
    login(users["practitioner"])
    response = client.post(f"/clients/{sam.id}/notes", data={
        "kind": "consultation", "colleague": "Dana (peer supervisor)",
        "body": "Talked through the gifts; agreed to name the boundary next visit."})
    assert response.status_code == 302
    assert f'href="/clients/{sam.id}/notes"' in page(client, sam.id)
    assert 'name="body"' in client.get(f"/clients/{sam.id}/notes").get_data(as_text=True)
    assert "agreed to name the boundary" in page(client, sam.id)
    assert "Consultation with Dana (peer supervisor)" in page(client, sam.id)
    for reader in (users["admin"], make_user("practitioner", name="Olu Other"), users["front_desk"]):
        client.post("/logout")
        assert "agreed to name the boundary" not in page_as(client, login, reader, sam.id)
    assert client.post(f"/clients/{sam.id}/notes", data={"kind": "note", "body": "x"}).status_code == 403
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.private_note"))
    assert "boundary" not in str(audit.detail)


def test_an_empty_note_is_refused_and_what_was_typed_stays(client, users, login, make_client):
    sam = make_client("Sam")
    login(users["practitioner"])
    response = client.post(f"/clients/{sam.id}/notes", data={"kind": "consultation", "colleague": "Dana", "body": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="body-error"' in html and 'value="Dana"' in html
    assert "A private note on Sam" in html and 'id="timeline"' not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrivateNote)) == 0


def test_the_timeline_is_chronological_and_filters_by_kind(client, users, login, desk):
    late_three_times(desk)
    sam = desk[2]
    conduct_services.record_communication(
        db.session, Actor(users["practitioner"]), sam, occurred_at=at(date(2026, 11, 3), "12:00"),
        channel="email", kind="warning", summary="Wrote about the lateness.", now=NOW)
    client_services.set_standing(db.session, Actor(users["practitioner"]), sam, "warned", "Three late arrivals.", now=NOW)
    html = page_as(client, login, users["practitioner"], sam.id)
    timeline = html[html.index('id="timeline-heading"'):]
    order = [timeline.index(text) for text in (
        "Three late arrivals.", "Wrote about the lateness.", "Mon 2 Nov 2026", "Mon 19 Oct 2026", "Mon 5 Oct 2026")]
    assert order == sorted(order)
    assert timeline.count("timeline-conduct") == 3 and timeline.count("timeline-appointment") == 3
    only = page(client, sam.id, "?show=communication")
    only = only[only.index('id="timeline-heading"'):]
    assert "Wrote about the lateness." in only and "timeline-appointment" not in only and "timeline-conduct" not in only


def test_the_history_and_the_upcoming_appointments_escape_what_they_show(client, users, login, desk):
    """Both lists are written in Python (clients.rows_html), not by Jinja's autoescape: what
    the practice typed shows as text wherever it is written."""
    marked = 'Ann <b>"Bold"</b> & Co'
    escaped = "Ann &lt;b&gt;&#34;Bold&#34;&lt;/b&gt; &amp; Co"
    practitioner, service, sam = desk
    service.name, practitioner.display_name = f"Service {marked}", f"Therapist {marked}"
    db.session.commit()
    late_three_times(desk, PAST_DAYS[:1])
    book(desk, at(date(2026, 12, 7), "10:00"))
    actor = Actor(users["practitioner"])
    conduct_services.record_communication(db.session, actor, sam, occurred_at=NOW, channel="phone",
                                          kind="conversation", summary=f"Summary {marked}", now=NOW)
    client_services.write_private_note(db.session, actor, sam, kind="consultation", colleague=f"Colleague {marked}",
                                       body=f"Body {marked}", now=NOW)
    client_services.set_standing(db.session, actor, sam, "watch", f"Reason {marked}", now=NOW)
    html = page_as(client, login, users["practitioner"], sam.id)
    upcoming = html[html.index('id="appointments-heading"'):html.index('id="timeline-heading"')]
    history = html[html.index('id="timeline-heading"'):]
    assert "<b>" not in upcoming + history and '"Bold"' not in upcoming + history
    assert upcoming.count(escaped) == 2  # the service, the practitioner
    for what in ("Service", "Therapist", "Summary", "Consultation with Colleague", "Body", "Reason"):
        assert f"{what} {escaped}" in history, what


def test_the_client_page_runs_the_same_queries_whatever_the_record_holds(
    client, users, login, desk, count_queries,
):
    sam = desk[2]
    login(users["practitioner"])
    late_three_times(desk, PAST_DAYS[:1])
    write_one_of_each(users, sam, 0)
    with count_queries() as small:
        page(client, sam.id)
    late_three_times(desk, PAST_DAYS[1:])
    for n in range(1, 6):
        write_one_of_each(users, sam, n)
    with count_queries() as large:
        page(client, sam.id)
    assert len(large) == len(small)


def test_the_history_reads_every_kind_but_appointments_in_one_statement(client, users, login, desk, count_queries):
    """Conduct entries, communications, standing decisions, letters and the viewer's notes
    are one union of plain rows (timeline.events), not a read of each kind."""
    sam = desk[2]
    login(users["practitioner"])
    late_three_times(desk, PAST_DAYS[:1])
    write_one_of_each(users, sam, 0)
    with count_queries() as statements:
        html = page(client, sam.id)
    assert len([s for s in statements if any(f"FROM {t}" in s for t in ("standing_change", "private_note", "letter"))]) == 1
    for kind in ("conduct", "communication", "standing", "note"):
        assert f"timeline-item timeline-{kind}" in html, kind
    assert "Active → <strong>Watch</strong>" in html and "r0" in html and "n0" in html and "s0" in html


def write_one_of_each(users, sam, n):
    client_services.write_private_note(db.session, Actor(users["practitioner"]), sam, kind="note", body=f"n{n}", now=NOW)
    client_services.set_standing(db.session, SYSTEM, sam, ("watch", "warned")[n % 2], f"r{n}", now=NOW)
    conduct_services.record_communication(db.session, SYSTEM, sam, occurred_at=NOW, channel="phone",
                                          kind="conversation", summary=f"s{n}", now=NOW)


def _override_form(desk, reason):
    practitioner, service, sam = desk
    return {"client_id": sam.id, "practitioner_id": practitioner.id, "service_id": service.id,
            "day": "2026-11-30", "start": "10:00", "override": sam.id, "override_reason": reason}


def test_a_practitioner_may_book_a_moved_on_client_anyway_with_a_reason(client, users, login, desk):
    sam = desk[2]
    client_services.set_standing(db.session, SYSTEM, sam, "moved_on", "Unpaid fees.", now=NOW)
    login(users["practitioner"])
    html = client.get(f"/clients/{sam.id}").get_data(as_text=True)
    assert "Book anyway" in html
    form = client.get(f"/appointments/new?client_id={sam.id}&override={sam.id}").get_data(as_text=True)
    assert 'data-chosen-name="Sam"' in form and "Why book this client anyway" in form
    refused = client.post("/appointments/new", data=_override_form(desk, ""))
    assert refused.status_code == 422 and 'id="override_reason-error"' in refused.get_data(as_text=True)
    assert client.post("/appointments/new", data=_override_form(desk, "Paid in full; agreed one last session.")).status_code == 302
    booked = db.session.scalar(sa.select(Appointment).where(Appointment.client_id == sam.id))
    assert booked.start_at == at(date(2026, 11, 30), "10:00")
    override = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "appointment.override"))
    assert override.detail["reason"] == "Paid in full; agreed one last session."
    assert override.actor_id == users["practitioner"].id


def test_the_front_desk_cannot_override_and_a_booking_without_it_is_refused_neutrally(
    client, users, login, desk,
):
    sam = desk[2]
    client_services.set_standing(db.session, SYSTEM, sam, "declined", "Not a good fit.", now=NOW)
    login(users["front_desk"])
    assert "Book anyway" not in client.get(f"/clients/{sam.id}").get_data(as_text=True)
    assert client.get(f"/appointments/new?override={sam.id}").status_code == 403
    form = _override_form(desk, "Because") | {"override": ""}
    response = client.post("/appointments/new", data=form)
    assert response.status_code == 422
    assert "Not a good fit" not in response.get_data(as_text=True)


def test_moving_a_moved_on_clients_appointment_is_refused_neutrally(app, users, desk):
    appointment = book(desk, at(date(2026, 11, 30), "10:00"))
    client_services.set_standing(db.session, SYSTEM, desk[2], "moved_on", "Followed me home.", now=NOW)
    with pytest.raises(DomainError) as refused:
        scheduling.reschedule(db.session, SYSTEM, appointment, at(date(2026, 12, 1), "10:00"), now=NOW)
    assert refused.value.message == "This person cannot be booked here. Please ask a practitioner."
