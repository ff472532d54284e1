"""The care team and the person behind the record: who may open a client's record and write
into it, what everyone else sees, a blocked client coming back as a "new" one, and the record
of who has looked. Each test walks a path that defeated the protection before."""

import html
import re
from datetime import date, time, timedelta
from unittest.mock import patch

import pytest
import sqlalchemy as sa

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM, Actor
from practice.clients import identity
from practice.clients import queries as client_queries
from practice.clients import services as client_services
from practice.clients.models import CareGrant, Client
from practice.conduct import queries as conduct_queries
from practice.conduct import services as conduct_services
from practice.db import db
from practice.errors import DomainError
from practice.letters import services as letter_services
from practice.letters.compose import Request as LetterRequest
from practice.letters.models import Letter
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment
from practice.settings.services import get_practice
from tests.conftest import NOW, acknowledge
from tests.test_jobs import run_jobs
from tests.test_scheduling import MONDAY, at

YESTERDAY = at(NOW.date() - timedelta(days=1), "10:00")  # booked two days ago
NEUTRAL = "This person cannot be booked here. Please ask a practitioner."
INCIDENT = "Waited beside my car after work and followed me to the main road."


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def text(page: str) -> str:
    """The words of a page, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace(" ,", ",")


def every_day(practitioner):
    scheduling.set_working_hours(db.session, SYSTEM, practitioner.id,
                                 [(day, time(9), time(18)) for day in range(7)], now=NOW)


@pytest.fixture
def team(users, make_user, make_client, desk):
    """Priya (the `desk` practitioner) sees Dan, whose record holds a safety incident; Mei is
    another practitioner with the same hours; Fran is the front desk."""
    priya, service, _ = desk
    mei = make_user("practitioner", name="Mei Other")
    every_day(mei.practitioner)
    dan = make_client("Daniel Cohen", legal_name="Daniel Cohen", phone="07841 209376",
                      email="dan@example.org", date_of_birth=date(1972, 1, 30), primary_practitioner_id=priya.id)
    acknowledge(dan)
    stalking = next(c for c in conduct_queries.categories() if c.code == "stalking")
    conduct_services.record_incident(
        db.session, SYSTEM, dan, conduct_services.IncidentDetails(
            category_id=stalking.id, severity="high", occurred_from=NOW - timedelta(days=1), channel="in_person",
            description=INCIDENT, safety=True), [], max_bytes=1024, now=NOW)
    return {"priya": users["practitioner"], "mei": mei, "desk": users["front_desk"], "admin": users["admin"],
            "dan": dan, "service": service}


def book_with(practitioner, service, client, start, now=NOW):
    request = scheduling.BookingRequest(client.id, practitioner.id, service.id, start)
    return scheduling.book(db.session, SYSTEM, request, now=now)


def moved_on(client, reason="Followed me to my car after work."):
    client_services.set_standing(db.session, SYSTEM, client, "moved_on", reason, now=NOW)


def audited(action) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# Identity follows the person -----------------------------------------------------------------

def test_the_blocked_client_comes_back_under_another_name_with_the_same_phone(client, login, team):
    moved_on(team["dan"])
    login(team["desk"])
    response = client.post("/clients/new", data={"display_name": "Dan Cohen", "phone": "07841 209376"},
                           follow_redirects=True)
    page = body(response)
    assert NEUTRAL in page and "Not bookable" in page
    assert "Daniel" not in page and "duplicate" not in page  # never which record matched
    new = db.session.scalar(sa.select(Client).where(Client.display_name == "Dan Cohen"))
    assert new.identity_hold and not new.bookable
    assert "Dan Cohen" not in body(client.get("/appointments/new"))  # not offered for booking
    refused = client.post("/appointments/new", data={
        "client_id": new.id, "practitioner_id": team["priya"].practitioner.id, "service_id": team["service"].id,
        "day": MONDAY.isoformat(), "start": "10:00"})
    assert refused.status_code == 422 and db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 0
    with pytest.raises(DomainError, match=re.escape(NEUTRAL)):
        book_with(team["priya"].practitioner, team["service"], new, at(MONDAY, "10:00"))
    assert client.post(f"/clients/{new.id}/identity/{team['dan'].id}", data={f"identity{team['dan'].id}-decision": "different",
                                                                            f"identity{team['dan'].id}-reason": "x"}).status_code == 403

    client.post("/logout")
    login(team["priya"])  # Daniel's practitioner sees which record matched, and decides
    page = body(client.get(f"/clients/{new.id}"))
    assert "Is this the same person?" in page and "Same phone number as Daniel Cohen" in text(page)
    response = client.post(f"/clients/{new.id}/identity/{team['dan'].id}", data={f"identity{team['dan'].id}-decision": "same"})
    assert response.status_code == 302
    db.session.expire_all()
    new = db.session.get(Client, new.id)
    assert new.standing == "moved_on" and not new.identity_hold
    assert [e.detail["matched_client_id"] for e in audited("client.identity_same")] == [team["dan"].id]


def test_a_different_person_needs_a_reason_and_is_then_no_longer_a_match(client, login, team):
    moved_on(team["dan"])
    sister = client_services.create_client(
        db.session, SYSTEM, client_services.ClientDetails(display_name="Ruth Cohen", phone="07841 209376"),
        phone_region="GB", now=NOW)
    login(team["admin"])
    field = f"identity{team['dan'].id}-"
    response = client.post(f"/clients/{sister.id}/identity/{team['dan'].id}", data={field + "decision": "different"})
    assert response.status_code == 422
    assert "Say how you know they are different people" in body(response)
    response = client.post(f"/clients/{sister.id}/identity/{team['dan'].id}", data={
        field + "decision": "different", field + "reason": "His sister: they share the family landline."})
    assert response.status_code == 302
    db.session.expire_all()
    sister = db.session.get(Client, sister.id)
    assert sister.bookable and sister.standing == "active"
    assert audited("client.identity_different")[0].detail["reason"] == "His sister: they share the family landline."
    assert book_with(team["priya"].practitioner, team["service"], sister, at(MONDAY, "10:00"))
    client_services.update_client(db.session, SYSTEM, sister, client_services.ClientDetails(
        display_name="Ruth Cohen", phone="07841 209376", email="ruth@example.org"), phone_region="GB", now=NOW)
    assert db.session.get(Client, sister.id).bookable  # decided: the pair stays apart


def test_the_client_page_reads_whom_the_client_may_match_in_the_clients_statement(
        client, login, team, make_client, count_queries):
    """The clients who cannot be booked sharing a phone, an e-mail or a date of birth with
    the client are joined to the client's own statement (on PostgreSQL a statement of their
    own was a round trip). An empty phone or e-mail shares nothing, and a client who cannot
    be booked is compared with no one (not even themselves)."""
    moved_on(team["dan"])
    gone_without_contact = make_client("Also Gone")
    moved_on(gone_without_contact)
    same_phone = make_client("Ruth Cohen", phone="07841 209376")
    no_contact = make_client("Nobody Known")
    login(team["priya"])
    for someone, shown in ((same_phone, True), (no_contact, False), (team["dan"], False)):
        with count_queries() as statements:
            page = text(body(client.get(f"/clients/{someone.id}")))
        assert ("Same phone number as Daniel Cohen" in page) is shown
        compared = [statement for statement in statements if "date_of_birth =" in statement]
        assert len(compared) == 1 and "FROM client LEFT OUTER JOIN email_consent" in compared[0], compared
    with client.application.test_request_context():
        assert [c.id for c in client_queries.client_of_page(same_phone.id).blocked] == [team["dan"].id]
        assert client_queries.client_of_page(no_contact.id).blocked == []
        assert client_queries.client_of_page(team["dan"].id).blocked == []


def test_a_practitioner_outside_the_blocked_clients_care_team_is_told_only_the_neutral_refusal(
        client, login, team):
    moved_on(team["dan"])
    new = client_services.create_client(
        db.session, SYSTEM, client_services.ClientDetails(display_name="D. Cohen", email="DAN@example.org"),
        phone_region="GB", now=NOW)
    login(team["mei"])
    page = body(client.get(f"/clients/{new.id}"))
    assert NEUTRAL in page and "Daniel" not in page
    assert client.post(f"/clients/{new.id}/identity/{team['dan'].id}",
                       data={f"identity{team['dan'].id}-decision": "different"}).status_code == 403


@pytest.mark.parametrize("details", [
    {"display_name": "Danny", "legal_name": "cohen DANIEL", "date_of_birth": date(1972, 1, 30)},
    {"display_name": "Dániel Cóhen", "date_of_birth": date(1972, 1, 30)},
    {"display_name": "Dan", "email": "dan@example.org"},
], ids=["legal name in another order", "accents", "e-mail"])
def test_a_name_with_the_date_of_birth_or_the_e_mail_matches_too(team, details):
    moved_on(team["dan"])
    new = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(**details),
                                        phone_region="GB", now=NOW)
    assert new.identity_hold


def test_the_same_name_without_the_date_of_birth_is_not_a_match(team):
    moved_on(team["dan"])
    other = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(
        display_name="Daniel Cohen", date_of_birth=date(1990, 5, 5)), phone_region="GB", now=NOW)
    assert other.bookable


def test_a_match_found_later_blocks_booking_and_moving(team):
    moved_on(team["dan"])
    dan_again = client_services.create_client(
        db.session, SYSTEM, client_services.ClientDetails(display_name="Dan C"), phone_region="GB", now=NOW)
    booked = book_with(team["priya"].practitioner, team["service"], dan_again, at(MONDAY, "10:00"))
    client_services.update_client(db.session, SYSTEM, dan_again, client_services.ClientDetails(
        display_name="Dan C", phone="+44 7841 209376"), phone_region="GB", now=NOW)
    assert dan_again.identity_hold
    with pytest.raises(DomainError, match=re.escape(NEUTRAL)):
        scheduling.reschedule(db.session, SYSTEM, booked, at(MONDAY, "14:00"), now=NOW)
    with pytest.raises(DomainError, match=re.escape(NEUTRAL)):
        book_with(team["priya"].practitioner, team["service"], dan_again, at(MONDAY, "15:00"))


def test_today_and_the_calendar_show_a_held_client_as_not_bookable(client, login, team, make_client):
    """Their rows ask the hold by the appointment's client (scheduling.queries.CLIENT_COLUMNS),
    in the front desk's neutral words."""
    moved_on(team["dan"])
    dan_again = client_services.create_client(
        db.session, SYSTEM, client_services.ClientDetails(display_name="Dan C"), phone_region="GB", now=NOW)
    held = book_with(team["priya"].practitioner, team["service"], dan_again, at(MONDAY, "10:00"))
    free = book_with(team["priya"].practitioner, team["service"], make_client("Ana"), at(MONDAY, "12:00"))
    client_services.update_client(db.session, SYSTEM, dan_again, client_services.ClientDetails(
        display_name="Dan C", phone="+44 7841 209376"), phone_region="GB", now=NOW)
    login(team["desk"])
    for path, end in ((f"/today?date={MONDAY.isoformat()}", "</li>"), (f"/calendar?date={MONDAY.isoformat()}", "</a>")):
        page = body(client.get(path))
        row = {a.id: page.split(f'data-appointment="{a.id}"')[1].split(end)[0] for a in (held, free)}
        assert "Not bookable" in row[held.id] and "Not bookable" not in row[free.id], path
        assert "Daniel" not in page


def test_moving_a_client_on_holds_the_records_that_match_them(team):
    twin = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(
        display_name="Dan", phone="07841 209376"), phone_region="GB", now=NOW)
    assert twin.bookable
    moved_on(team["dan"])
    db.session.expire_all()
    assert not db.session.get(Client, twin.id).bookable
    client_services.set_standing(db.session, SYSTEM, team["dan"], "active", "Spoke with him; a fresh start.",
                                 now=NOW)
    db.session.expire_all()
    assert db.session.get(Client, twin.id).bookable  # the match holds only while the other is blocked


def test_an_imported_row_and_an_inquiry_are_matched_too(client, login, team):
    from referrals import services as referral_services
    from tests.test_imports import checked, imported

    moved_on(team["dan"])
    login(team["admin"])
    text = "display_name,phone\nD Cohen,07841 209376\nNoor,07400 123456\n"
    job_id, preview = checked(client, "/clients/import", text)
    assert "Same phone number as Daniel Cohen, who cannot be booked" in preview
    assert "Imported 2 clients." in imported(client, job_id)
    held = {c.display_name: c.bookable for c in db.session.scalars(sa.select(Client))}
    assert held["D Cohen"] is False and held["Noor"] is True

    inquiry = referral_services.record_inquiry(db.session, SYSTEM, referral_services.InquiryDetails(
        name="Dan", email="dan@example.org"), phone_region="GB", now=NOW)
    response = client.post(f"/referrals/inquiries/{inquiry.id}/client", follow_redirects=True)
    assert NEUTRAL in body(response)
    assert not db.session.scalar(sa.select(Client).where(Client.display_name == "Dan")).bookable


def test_matching_takes_the_same_number_of_queries_for_one_client_or_many(team, count_queries):
    moved_on(team["dan"])
    few = [Client(display_name="A", phone="+447841209376")]
    many = few + [Client(display_name=f"B{n}", phone=f"+4474001234{n:02d}", date_of_birth=date(1980, 1, 1))
                  for n in range(30)]
    with count_queries() as one:
        assert len(identity.find(db.session, few)) == 1
    with count_queries() as thirty_one:
        assert len(identity.find(db.session, many)) == 1
    assert len(one) == len(thirty_one)


# The care team -------------------------------------------------------------------------------

RECORD_PAGES = ("/clients/{id}/conduct", "/clients/{id}/conduct/incidents/new", "/clients/{id}/communications/new")


def record_status(client, dan) -> set[int]:
    """The record's pages, and asking for its evidence report (which leads to the report's
    job page when allowed), as 200 or 403."""
    statuses = {client.get(url.format(id=dan.id)).status_code for url in RECORD_PAGES}
    evidence = client.post(f"/clients/{dan.id}/evidence").status_code
    return statuses | {200 if evidence == 302 else evidence}


def test_booking_cancelling_or_a_no_show_grants_nothing(client, login, team):
    mei, dan, service = team["mei"], team["dan"], team["service"]
    login(mei)
    assert record_status(client, dan) == {403}
    # Mei books Dan with herself and cancels; the desk books him with her; he does not come.
    response = client.post("/appointments/new", data={
        "client_id": dan.id, "practitioner_id": mei.practitioner.id, "service_id": service.id,
        "day": MONDAY.isoformat(), "start": "10:00"})
    assert response.status_code == 302
    booked = db.session.scalar(sa.select(Appointment).where(Appointment.client_id == dan.id))
    assert client.post(f"/appointments/{booked.id}/cancel", data={"reason": "Mistake"}).status_code == 302
    missed = book_with(mei.practitioner, service, dan, YESTERDAY,
                       now=NOW - timedelta(days=2))
    scheduling.mark_no_show(db.session, SYSTEM, missed, now=NOW)
    assert record_status(client, dan) == {403}
    assert INCIDENT not in body(client.get(f"/clients/{dan.id}?show=conduct&show=standing&show=note"))
    assert client.get(f"/letters/new?kind=custom&client_id={dan.id}").status_code == 403


def test_a_session_attended_brings_the_practitioner_into_the_care_team(client, login, team):
    mei, dan = team["mei"], team["dan"]
    seen = book_with(mei.practitioner, team["service"], dan, YESTERDAY,
                     now=NOW - timedelta(days=2))
    scheduling.check_in(db.session, SYSTEM, seen, None, now=seen.start_at)
    login(mei)
    assert record_status(client, dan) == {200}


def test_the_client_page_names_who_has_seen_the_client_not_who_only_booked_or_was_missed(
        client, login, team, make_user):
    mei, dan = team["mei"], team["dan"]
    omar = make_user("practitioner", name="Omar Booked")
    every_day(omar.practitioner)
    seen = book_with(mei.practitioner, team["service"], dan, YESTERDAY, now=NOW - timedelta(days=2))
    scheduling.check_in(db.session, SYSTEM, seen, None, now=seen.start_at)
    missed = book_with(omar.practitioner, team["service"], dan, YESTERDAY + timedelta(hours=2),
                       now=NOW - timedelta(days=2))
    scheduling.mark_no_show(db.session, SYSTEM, missed, now=NOW)
    book_with(omar.practitioner, team["service"], dan, at(MONDAY, "10:00"))
    login(team["priya"])
    page = text(body(client.get(f"/clients/{dan.id}")))
    assert "Mei Other: has seen the client" in page and "Omar Booked: has seen" not in page


def test_access_given_with_a_reason_and_taken_back(client, login, team):
    mei, dan = team["mei"], team["dan"]
    login(mei)
    assert client.post(f"/clients/{dan.id}/access", data={"access-practitioner_id": mei.practitioner.id,
                                                         "access-reason": "I want to"}).status_code == 403
    client.post("/logout")
    login(team["priya"])
    # The client page links to the form on its own page; refused, the form is shown again there.
    assert f'href="/clients/{dan.id}/access"' in body(client.get(f"/clients/{dan.id}"))
    assert 'name="access-reason"' in body(client.get(f"/clients/{dan.id}/access"))
    response = client.post(f"/clients/{dan.id}/access", data={"access-practitioner_id": mei.practitioner.id,
                                                             "access-reason": ""})
    refused = body(response)
    assert response.status_code == 422 and 'id="access-reason-error"' in refused
    assert "Give a colleague access to Dan" in refused and 'id="care-team-heading"' not in refused
    response = client.post(f"/clients/{dan.id}/access", data={"access-practitioner_id": mei.practitioner.id,
                                                             "access-reason": "Covering my clients next week."})
    assert response.status_code == 302
    page = body(client.get(f"/clients/{dan.id}"))
    assert "Mei Other: access given by Priya Practitioner" in text(page) and "Covering my clients next week." in page
    client.post("/logout")
    login(mei)
    assert record_status(client, dan) == {200}
    client.post("/logout")
    login(team["priya"])
    grant = db.session.scalar(sa.select(CareGrant))
    assert client.post(f"/clients/{dan.id}/access/{grant.id}/revoke").status_code == 302
    client.post("/logout")
    login(mei)
    assert record_status(client, dan) == {403}
    assert [e.action for e in audited("client.access_grant") + audited("client.access_revoke")] == [
        "client.access_grant", "client.access_revoke"]


def test_outside_the_care_team_a_practitioner_sees_what_the_desk_sees(client, login, team):
    dan, mei = team["dan"], team["mei"]
    client_services.set_standing(db.session, SYSTEM, dan, "warned", "Flowers and a card after being asked not to.",
                                 now=NOW)
    client_services.write_private_note(db.session, Actor(team["priya"]), dan, kind="note",
                                       body="Keep the door open during sessions.", now=NOW)
    book_with(team["priya"].practitioner, team["service"], dan, at(MONDAY, "10:00"))
    for reader in (mei, team["desk"]):
        login(reader)
        page = body(client.get(f"/clients/{dan.id}?show=conduct&show=communication&show=standing&show=letter&show=note"))
        assert "Daniel Cohen" in page and "+44 7841 209376" in page and "dan@example.org" in page
        assert "On notice" in page and "Mon 30 Nov 2026 10:00" in page  # neutral badge, upcoming appointment
        for private in (INCIDENT, "Flowers and a card", "Keep the door open", "Warned", "Care team",
                        "Who has looked", "Write a letter", "Write a private note"):
            assert private not in page, (reader.name, private)
        assert client.post(f"/clients/{dan.id}/notes", data={"kind": "note", "body": "x"}).status_code == 403
        client.post("/logout")


def test_a_client_nobody_has_taken_on_is_open_to_every_practitioner_until_someone_does(client, login, team):
    walk_in = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(display_name="Walk In"),
                                            phone_region="GB", now=NOW)
    mei = team["mei"]
    login(mei)
    assert record_status(client, walk_in) == {200}
    seen = book_with(team["priya"].practitioner, team["service"], walk_in, YESTERDAY,
                     now=NOW - timedelta(days=2))
    scheduling.check_in(db.session, SYSTEM, seen, None, now=seen.start_at)
    assert record_status(client, walk_in) == {403}


def test_the_desk_cannot_hand_a_client_to_another_practitioner(client, login, team):
    dan, mei = team["dan"], team["mei"]
    login(team["desk"])
    form = body(client.get(f"/clients/{dan.id}/edit"))
    assert re.search(r'<select[^>]*disabled[^>]*name="primary_practitioner_id"|<select[^>]*name="primary_practitioner_id"[^>]*disabled', form)
    response = client.post(f"/clients/{dan.id}/edit", data={
        "display_name": "Daniel Cohen", "phone": "07841 209376", "primary_practitioner_id": mei.practitioner.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, dan.id).primary_practitioner_id == team["priya"].practitioner.id
    new = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(display_name="New One"),
                                        phone_region="GB", now=NOW)
    client.post(f"/clients/{new.id}/edit", data={"display_name": "New One", "primary_practitioner_id": mei.practitioner.id})
    db.session.expire_all()
    assert db.session.get(Client, new.id).primary_practitioner_id == mei.practitioner.id  # nobody's yet: fine


# Letters -------------------------------------------------------------------------------------

def issue(kind, *, client=None, inquiry=None, author) -> Letter:
    with patch("practice.letters.services.render_letter", return_value=b"%PDF-1.7\n% stand-in\n"):
        return letter_services.issue(db.session, SYSTEM, LetterRequest(
            kind=kind, client=client, inquiry=inquiry, author=author, channel="post",
            body="Dear Daniel,\n\nThe practice will no longer see you."), profile=get_practice(db.session), now=NOW)


def test_a_letter_opens_by_id_only_to_its_clients_care_team(client, login, team):
    from referrals import services as referral_services

    letter = issue("custom", client=team["dan"], author=team["priya"].practitioner)
    inquiry = referral_services.record_inquiry(db.session, SYSTEM, referral_services.InquiryDetails(
        name="Hamza", email="hamza@example.org"), phone_region="GB", now=NOW)
    reply = issue("practice_full", inquiry=inquiry, author=team["priya"].practitioner)
    login(team["mei"])
    for url in (f"/letters/{letter.id}", f"/letters/{letter.id}.pdf"):
        assert client.get(url).status_code == 403
    assert "The practice will no longer see you" not in body(client.get("/letters"))
    assert client.get(f"/letters/{reply.id}").status_code == 200  # inquiry replies: any practitioner
    client.post("/logout")
    login(team["desk"])
    assert client.get(f"/letters/{reply.id}").status_code == 403
    client.post("/logout")
    login(team["priya"])
    assert client.get(f"/letters/{letter.id}").status_code == 200
    assert client.get(f"/letters/{letter.id}.pdf").data.startswith(b"%PDF")


def test_the_letter_registers_pages_count_only_the_letters_one_may_read(app, client, login, team, monkeypatch):
    from referrals import services as referral_services

    for _ in range(2):
        issue("custom", client=team["dan"], author=team["priya"].practitioner)
    inquiry = referral_services.record_inquiry(db.session, SYSTEM, referral_services.InquiryDetails(
        name="Hamza", email="hamza@example.org"), phone_region="GB", now=NOW)
    issue("practice_full", inquiry=inquiry, author=team["priya"].practitioner)
    monkeypatch.setitem(app.config, "PRACTICE_PAGE_SIZE", 1)
    login(team["mei"])
    assert 'aria-label="Pages"' not in body(client.get("/letters"))  # the reply alone: one page
    client.post("/logout")
    login(team["priya"])
    page = body(client.get("/letters"))
    assert 'href="/letters?page=3"' in page and 'href="/letters?page=4"' not in page


def test_no_letter_to_a_client_outside_ones_care(client, login, team):
    login(team["mei"])
    for kind in ("custom", "referral", "discontinuation", "safety_discontinuation"):
        assert client.get(f"/letters/new?kind={kind}&client_id={team['dan'].id}").status_code == 403
    response = client.post(f"/letters/new?kind=custom&client_id={team['dan'].id}", data={
        "author_id": team["mei"].practitioner.id, "channel": "post", "action": "issue", "confirm": "y",
        "body": "Dear Daniel,\n\nHello."})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 0


def test_after_a_safety_letter_the_desk_reads_only_neutral_words(client, login, team):
    dan = team["dan"]
    coming = book_with(team["priya"].practitioner, team["service"], dan, at(MONDAY, "10:00"))
    waived = book_with(team["priya"].practitioner, team["service"], dan, YESTERDAY,
                       now=NOW - timedelta(days=2))
    scheduling.mark_no_show(db.session, SYSTEM, waived, now=NOW)
    scheduling.waive_fee(db.session, SYSTEM, waived, "His mother was in hospital that week.", now=NOW)
    with patch("practice.letters.services.render_letter", return_value=b"%PDF-1.7\n"):
        letter_services.issue(db.session, SYSTEM, LetterRequest(
            kind="safety_discontinuation", client=dan, author=team["priya"].practitioner, channel="post",
            body="Dear Daniel,\n\nThe practice will no longer see you.", effective_date=NOW.date()),
            profile=get_practice(db.session), now=NOW)
    assert db.session.get(Appointment, coming.id).cancel_reason == \
        "Cancelled by the practice: ending the relationship (safety)."
    for reader in (team["desk"], team["mei"]):
        login(reader)
        pages = [body(client.get(url)) for url in (
            f"/appointments/{coming.id}", f"/appointments/{waived.id}", f"/clients/{dan.id}",
            "/calendar?view=week&date=2026-11-30", "/today", "/today?date=2026-11-30")]
        assert "Cancelled by the practice" in pages[0] and "Not bookable" in pages[2]
        for page in pages:
            for private in ("ending the relationship", "safety", "Moved on", "mother was in hospital",
                            "The practice will no longer see you", INCIDENT):
                assert private not in page, (reader.name, private)
        client.post("/logout")
    login(team["priya"])
    assert "Cancelled by the practice: ending the relationship (safety)." in body(client.get(f"/appointments/{coming.id}"))


# Referral records ----------------------------------------------------------------------------

def test_a_referral_record_opens_only_to_the_clients_care_team(client, login, team):
    from referrals import services as referral_services

    bea = referral_services.create_specialist(db.session, SYSTEM, referral_services.SpecialistDetails(
        name="Bea Counsellor", profession="Counsellor"), phone_region="GB", now=NOW)
    referral = referral_services.record_referral(
        db.session, SYSTEM, client=team["dan"], specialist=bea, need="Anxiety since the accident",
        today=NOW.date() - timedelta(days=30), now=NOW, follow_up_on=NOW.date())
    referral_services.record_outcome(db.session, SYSTEM, referral, "pending", "Sleeping badly; call again",
                                     now=NOW)
    pages = (f"/referrals/referrals/{referral.id}", f"/clients/{team['dan'].id}",
             f"/referrals/specialists/{bea.id}", "/referrals/follow-ups", "/referrals/")
    for reader in (team["desk"], team["mei"]):
        login(reader)
        assert client.get(pages[0]).status_code == 403
        assert client.post(f"/referrals/referrals/{referral.id}/outcome",
                           data={"outcome": "good_match"}).status_code == 403
        for url in pages[1:]:
            page = body(client.get(url))
            assert "Anxiety" not in page and "Sleeping badly" not in page, url
        assert "Bea Counsellor" not in body(client.get(pages[1]))  # not even that a referral exists
        client.post("/logout")
    login(team["priya"])
    assert "Anxiety since the accident" in body(client.get(pages[0]))
    assert "Anxiety since the accident" in body(client.get(pages[2]))


# Who has looked at the record ----------------------------------------------------------------

def test_each_view_of_the_record_is_recorded_and_shown_to_the_care_team(client, login, team):
    dan = team["dan"]
    letter = issue("custom", client=dan, author=team["priya"].practitioner)
    login(team["admin"])
    assert client.get(f"/clients/{dan.id}/conduct").status_code == 200
    report = client.post(f"/clients/{dan.id}/evidence")
    run_jobs()
    assert client.get(report.headers["Location"] + "/file").status_code == 200
    for url in (f"/letters/{letter.id}", f"/letters/{letter.id}.pdf"):
        assert client.get(url).status_code == 200
    views = audited(client_services.RECORD_VIEW)
    assert [(v.actor_id, v.object_id, v.detail["what"]) for v in views] == [
        (team["admin"].id, str(dan.id), what) for what in ("conduct record", "evidence report", "letter", "letter PDF")]
    client.post("/logout")
    login(team["priya"])
    page = body(client.get(f"/clients/{dan.id}"))
    section = page[page.index("Who has looked at this record"):]
    assert section.count("Alex Admin") == 4 and "evidence report" in section
    client.post("/logout")
    login(team["desk"])
    assert "Alex Admin" not in body(client.get(f"/clients/{dan.id}"))


def test_a_view_without_an_account_is_shown_by_its_label(client, login, team):
    """A download by a link or a command has no account: the page names it as recorded."""
    dan = team["dan"]
    db.session.add(AuditEvent(at=NOW, actor_id=None, actor_label="Restore check", action=client_services.RECORD_VIEW,
                              object_type="Client", object_id=str(dan.id), detail={"what": "evidence report"}))
    db.session.commit()
    login(team["priya"])
    section = body(client.get(f"/clients/{dan.id}"))
    section = section[section.index("Who has looked at this record"):]
    assert "<td>Restore check</td><td>evidence report</td>" in section


def test_who_has_looked_is_read_with_the_care_team_newest_first(client, login, team, count_queries):
    """In the care team's statement (on PostgreSQL a round trip fewer), in its own order:
    newest first, and of two at the same moment the later recorded first."""
    dan = team["dan"]
    for minutes, label in ((120, "First"), (0, "Third"), (60, "Second"), (0, "Fourth")):
        db.session.add(AuditEvent(at=NOW - timedelta(minutes=minutes), actor_id=None, actor_label=label,
                                  action=client_services.RECORD_VIEW, object_type="Client", object_id=str(dan.id),
                                  detail={"what": "letter"}))
    db.session.commit()
    login(team["priya"])
    with count_queries() as statements:
        page = body(client.get(f"/clients/{dan.id}"))
    section = page[page.index("Who has looked at this record"):]
    assert re.findall(r"<td>(\w+)</td><td>letter</td>", section) == ["Fourth", "Third", "Second", "First"]
    reads = [statement for statement in statements if "audit_event" in statement and statement.startswith("SELECT")]
    assert len(reads) == 1 and "FROM care_grant" in reads[0], reads


def test_the_list_of_who_has_looked_is_bounded(client, login, team, count_queries):
    dan = team["dan"]
    login(team["priya"])
    client.get(f"/clients/{dan.id}/conduct")
    client.get(f"/clients/{dan.id}")
    with count_queries() as few:
        client.get(f"/clients/{dan.id}")
    for _ in range(25):
        client.get(f"/clients/{dan.id}/conduct")
    with count_queries() as many:
        page = body(client.get(f"/clients/{dan.id}"))
    assert len(few) == len(many)
    assert page[page.index("Who has looked at this record"):].count("conduct record") == 20
