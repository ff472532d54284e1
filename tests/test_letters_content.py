"""What the letters say, read back from the issued PDFs: a discontinuation gives its reasons
as facts in sentences, quotes only the clauses on what they are about, says what is owed and
offers colleagues; the safety letter gives neither reasons nor colleagues; a practice-full
reply says who is full and proposes a colleague in the practice who has room. And no record
is too long for a letter."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from practice.audit.services import SYSTEM, Actor
from practice.conduct import services as conduct_services
from practice.conduct.models import IncidentCategory
from practice.db import db
from practice.errors import DomainError
from practice.letters import compose, sentences, services
from practice.letters.compose import Request
from practice.letters.models import LetterReferral
from practice.policies import services as policy_services
from practice.policies.queries import current_policy
from practice.scheduling import services as scheduling_services
from practice.scheduling.models import Appointment
from practice.settings.services import get_practice
from referrals import services as referral_services
from referrals.models import Inquiry, Modality, Referral
from tests.conftest import NOW
from tests.test_letters import pdf_text
from tests.test_scheduling import at, book

TODAY = date(2026, 11, 23)


def session_on(desk, day: date, *, late: int, paid_cents: int | None = None) -> Appointment:
    """A past Thursday session at 14:00: checked in `late` minutes late, paid (or short), completed."""
    start = at(day, "14:00")
    appointment = book(desk, start, now=start - timedelta(days=2))
    scheduling_services.check_in(db.session, SYSTEM, appointment, start + timedelta(minutes=late),
                                 now=start + timedelta(minutes=late))
    if paid_cents:
        scheduling_services.record_payment(db.session, SYSTEM, appointment, amount_cents=paid_cents, method="card",
                                           now=start + timedelta(minutes=60))
    scheduling_services.complete(db.session, SYSTEM, appointment, now=start + timedelta(minutes=60))
    db.session.commit()
    return appointment


@pytest.fixture
def late_payer(desk, users):
    """Three late arrivals (20, 30, 30 minutes), two sessions paid £25 of £60, then a
    reminder in person; a colleague offering deep tissue, which the client came asking for."""
    practitioner, service, client = desk
    session_on(desk, date(2026, 11, 5), late=20, paid_cents=6000)
    session_on(desk, date(2026, 11, 12), late=30, paid_cents=2500)
    session_on(desk, date(2026, 11, 19), late=30, paid_cents=2500)
    conduct_services.record_communication(
        db.session, SYSTEM, client, occurred_at=at(date(2026, 11, 20), "12:00"), channel="in_person",
        kind="policy_reminder", summary="Went through the lateness and payment rules.", now=NOW)
    deep = db.session.scalar(select(Modality).where(Modality.name == "Deep tissue"))
    colleague = referral_services.create_specialist(
        db.session, SYSTEM, referral_services.SpecialistDetails(
            name="Dana Okoro", profession="Deep tissue therapist", phone="0117 496 0123", area="Bristol",
            accepting="yes", modality_ids=[deep.id]), phone_region="GB", now=NOW)
    asked = referral_services.record_inquiry(
        db.session, SYSTEM, referral_services.InquiryDetails(name="Sam", email="sam@example.org",
                                                             modality_ids=[deep.id]), phone_region="GB", now=NOW)
    asked.client_id = client.id
    db.session.commit()
    return {"client": client, "practitioner": practitioner, "colleague": colleague, "admin": users["admin"]}


def drafted(kind, world, **changes) -> Request:
    request = Request(kind=kind, client=world["client"], author=world["practitioner"], channel="post",
                      effective_date=TODAY, **changes)
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    assert not facts.missing, facts.missing
    request.body = compose.draft(services.current_template(db.session, kind)[0], facts)
    return request


def issued(request, world):
    return services.issue(db.session, Actor(world["admin"]), request, profile=get_practice(db.session), now=NOW)


def test_a_discontinuation_for_lateness_and_payment_says_what_happened_and_what_is_owed(late_payer):
    letter = issued(drafted("discontinuation", late_payer), late_payer)
    text = pdf_text(letter.pdf)
    assert ("On 5, 12 and 19 November 2026 you arrived 20, 30 and 30 minutes late; sessions ended at their "
            "booked time.") in text
    assert "On 12 and 19 November 2026 £35.00 of each session's fee was not paid." in text
    assert "I reminded you of the policy in person on 20 November 2026." in text
    assert "£70.00 is still owed for earlier sessions." in text and "To pay, please contact" in text
    assert "Dana Okoro (Deep tissue therapist)" in text
    # Only the clauses on lateness and payment: the conduct clause is not quoted.
    assert "still ends at its booked time" in text and "Payment is due at the end of each session" in text
    assert "non-sexual" not in text and "threatening" not in text and "hours' notice" not in text
    assert "This decision is final" not in text and "discussed further" not in text
    referral = db.session.scalar(select(Referral).join(LetterReferral, LetterReferral.referral_id == Referral.id)
                                 .where(LetterReferral.letter_id == letter.id))
    assert referral.specialist_id == late_payer["colleague"].id and referral.client_id == late_payer["client"].id


def test_the_practitioner_chooses_the_facts_clauses_colleagues_and_money(late_payer):
    request = Request(kind="discontinuation", client=late_payer["client"], author=late_payer["practitioner"],
                      effective_date=TODAY)
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    offered = facts.choices.facts
    assert [c.before for c in offered] == [True] * len(offered)  # all before the reminder: what led to it
    lateness = [c.key for c in offered if c.kind == "late_arrival"]
    request.fact_keys, request.clause_keys, request.colleague_ids = lateness[:1], [], []
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    body = compose.draft(services.current_template(db.session, "discontinuation")[0], facts)
    assert "On 5 November 2026 you arrived 20 minutes late; the session ended at its booked time." in body
    assert "not paid" not in body and "Dana Okoro" not in body
    assert "policy on these points" not in body  # no clause ticked: the lead-in goes with its list
    assert "£70.00 is still owed" in body


def colleague(name, *specialties):
    ids = [db.session.scalar(select(Modality.id).where(Modality.name == n)) for n in specialties]
    return referral_services.create_specialist(db.session, SYSTEM, referral_services.SpecialistDetails(
        name=name, accepting="yes", modality_ids=ids), phone_region="GB", now=NOW)


def covers(service, *specialties):
    ids = [db.session.scalar(select(Modality.id).where(Modality.name == n)) for n in specialties]
    scheduling_services.update_service(
        db.session, SYSTEM, service, name=service.name, duration_minutes=service.duration_minutes,
        price_cents=service.price_cents, buffer_after_minutes=service.buffer_after_minutes,
        specialty_ids=ids, now=NOW)
    db.session.commit()
    return ids


def test_a_client_with_no_recorded_need_is_matched_by_what_the_booked_service_covers(desk, users):
    """A "Remedial massage" client is offered the deep tissue therapist, never the pregnancy
    massage therapist who only shares the word "massage" with the service."""
    practitioner, service, client = desk
    session_on(desk, date(2026, 11, 5), late=0)
    colleague("Dana Deep", "Deep tissue")
    colleague("Paula Bump", "Prenatal massage")
    assert compose.client_needs(db.session, client.id) == []  # nothing chosen: nothing guessed from a word
    deep = covers(service, "Deep tissue")
    assert compose.client_needs(db.session, client.id) == deep
    request = Request(kind="discontinuation", client=client, author=practitioner, effective_date=TODAY)
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    assert [c.specialist.name for c in facts.choices.colleagues] == ["Dana Deep"]


def test_an_inquiry_for_a_service_is_matched_by_what_the_service_covers(full_and_free, desk, client, login):
    _practitioner, service, _client = desk
    colleague("Dana Deep", "Deep tissue")
    colleague("Paula Bump", "Prenatal massage")
    covers(service, "Deep tissue")
    inquiry = full_and_free["inquiry"]
    request = Request(kind="practice_full", inquiry=inquiry, author=full_and_free["asked"], channel="email")
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    assert [c.specialist.name for c in facts.choices.colleagues] == ["Dana Deep"]
    login(full_and_free["admin"])
    page = client.get(f"/referrals/inquiries/{inquiry.id}").get_data(as_text=True)
    assert "Dana Deep" in page and "Paula Bump" not in page


def test_more_than_three_colleagues_are_refused(late_payer):
    request = drafted("discontinuation", late_payer, colleague_ids=[1, 2, 3, 4])
    with pytest.raises(DomainError, match="at most 3 colleagues"):
        issued(request, late_payer)


def test_fees_can_be_waived_in_the_letter(desk, users):
    practitioner, service, client = desk
    start = at(date(2026, 11, 16), "10:00")
    missed = book(desk, start, now=start - timedelta(days=3))
    scheduling_services.mark_no_show(db.session, SYSTEM, missed, now=start + timedelta(hours=1))
    conduct_services.record_communication(db.session, SYSTEM, client, occurred_at=NOW - timedelta(days=1),
                                          channel="phone", kind="warning", summary="Warned.", now=NOW)
    db.session.commit()
    world = {"client": client, "practitioner": practitioner, "admin": users["admin"]}
    letter = issued(drafted("discontinuation", world, money="waive"), world)
    text = pdf_text(letter.pdf)
    assert "You missed your appointment on 16 November 2026 without notice." in text
    assert "The fees of £60.00 for missed or late-cancelled appointments are waived." in text
    assert "You do not owe the practice anything." in text
    db.session.expire_all()
    assert db.session.get(Appointment, missed.id).fee_waived


def test_an_incident_is_cited_by_the_practitioners_sentence_never_its_description(late_payer):
    category = db.session.scalar(select(IncidentCategory).where(IncidentCategory.code == "personal_information"))
    entry = conduct_services.record_incident(
        db.session, SYSTEM, late_payer["client"], conduct_services.IncidentDetails(
            category_id=category.id, severity="medium", occurred_from=at(date(2026, 11, 21), "15:00"), channel="in_person",
            description="Asked where I live and said he had seen my car on Elm Road."), [], max_bytes=10**6, now=NOW)
    request = drafted("discontinuation", late_payer)
    assert "On 21 November 2026 you asked for my personal details." in request.body
    assert "Elm Road" not in request.body
    request = drafted("discontinuation", late_payer, sentences={entry.id: "On 21 November you asked where I live."})
    assert "- On 21 November you asked where I live." in request.body
    assert "non-sexual" in request.body  # a boundary fact brings the conduct clauses


def test_a_safety_letter_gives_no_reasons_and_no_colleague(late_payer):
    letter = issued(drafted("safety_discontinuation", late_payer), late_payer)
    text = pdf_text(letter.pdf)
    assert "no longer provide treatment" in text and "23 November 2026" in text
    for word in ("late", "Dana Okoro", "£", "policy", "reminded"):
        assert word not in text, word
    assert db.session.scalar(select(Referral.id).where(Referral.client_id == late_payer["client"].id)) is None


def test_no_record_is_too_long_for_a_letter(desk, users):
    """A year of lateness, short payments and incidents: each kind is told as a span with
    the latest dates, so the draft stays far below the letter's limit and issues."""
    practitioner, service, client = desk
    category = db.session.scalar(select(IncidentCategory).where(IncidentCategory.code == "will_not_leave"))
    sessions = [Appointment(client_id=client.id, practitioner_id=practitioner.id, service_id=service.id,
                            start_at=NOW - timedelta(days=day), end_at=NOW - timedelta(days=day, minutes=-60),
                            held_until=NOW - timedelta(days=day, minutes=-60), status="completed",
                            price_cents=6000, created_at=NOW - timedelta(days=day + 7)) for day in range(1, 360)]
    db.session.add_all(sessions)
    db.session.flush()
    for day, appointment in enumerate(sessions, start=1):
        conduct_services.record_automatic(db.session, kind="late_arrival", client_id=client.id,
                                          appointment_id=appointment.id, occurred_from=appointment.start_at,
                                          minutes=5 + day % 40, now=NOW)
        if day % 2:
            conduct_services.record_automatic(db.session, kind="short_payment", client_id=client.id,
                                              appointment_id=appointment.id, occurred_from=appointment.end_at,
                                              amount_cents=1000 + day, now=NOW)
        if day % 5 == 0:
            conduct_services.record_incident(
                db.session, SYSTEM, client, conduct_services.IncidentDetails(
                    category_id=category.id, severity="low", occurred_from=appointment.end_at, channel="in_person",
                    description="Stayed on."), [], max_bytes=10**6, now=NOW)
    conduct_services.record_communication(db.session, SYSTEM, client, occurred_at=NOW - timedelta(days=200),
                                          channel="email", kind="warning", summary="Warned.", now=NOW)
    db.session.commit()
    world = {"client": client, "practitioner": practitioner, "admin": users["admin"]}
    request = drafted("discontinuation", world)
    assert len(request.body) < 6000, len(request.body)
    assert "you arrived late 359 times" in request.body
    issued(request, world)


def test_dates_and_kinds_read_as_sentences():
    november = [date(2026, 11, d) for d in (19, 5, 12)]
    assert sentences.days_text(november) == "5, 12 and 19 November 2026"
    assert sentences.days_text([date(2026, 10, 28), date(2026, 11, 5)]) == "28 October and 5 November 2026"
    assert sentences.days_text([date(2025, 12, 30), date(2026, 1, 6)]) == "30 December 2025 and 6 January 2026"
    money = "£{:.2f}".format
    assert sentences.breach_sentence("no_show", [sentences.Occurrence(date(2026, 11, 3))],
                                     money=lambda c: money(c / 100)) == \
        "You missed your appointment on 3 November 2026 without notice."


# Practice full ----------------------------------------------------------------------------

@pytest.fixture
def full_and_free(desk, users, make_user):
    """Priya is full; Ravi has room; an inquiry asks for Priya and the practice's service."""
    practitioner, service, _client = desk
    practitioner.accepting_new_clients = False
    users["admin"].practitioner.accepting_new_clients = False
    other = make_user("practitioner", name="Ravi Colleague").practitioner
    inquiry = referral_services.record_inquiry(
        db.session, SYSTEM, referral_services.InquiryDetails(
            name="Robin Walker", email="robin@example.org", practitioner_id=practitioner.id,
            service_id=service.id, area="Roundhay, LS8"), phone_region="GB", now=NOW)
    db.session.commit()
    return {"inquiry": inquiry, "asked": practitioner, "other": other, "admin": users["admin"]}


def test_a_practice_full_reply_says_who_is_full_and_proposes_a_colleague_with_room(full_and_free):
    inquiry = full_and_free["inquiry"]
    request = Request(kind="practice_full", inquiry=inquiry, author=full_and_free["asked"], channel="email")
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    assert not facts.missing, facts.missing
    request.body = compose.draft(services.current_template(db.session, "practice_full")[0], facts)
    text = pdf_text(issued(request, full_and_free).pdf)
    assert "Priya Practitioner is not taking on new clients at the moment." in text
    assert "Ravi Colleague, who also works at" in text and "offer you an appointment with Ravi Colleague" in text
    assert "The practice is not taking on new clients" not in text
    db.session.expire_all()
    assert db.session.get(Inquiry, inquiry.id).status == "offered"


def test_colleagues_nearest_to_the_inquirer_come_first(full_and_free):
    from referrals.queries import accepting_colleagues

    for name, area, address in (("Far Away", "City Centre", "1 Park Row\nLeeds LS1 5AB"),
                                ("Next Door", "Roundhay", "2 Street Lane\nLeeds LS8 2AB"),
                                ("Farther", "Horsforth", "3 Town Street\nHorsforth LS18 4AB"),
                                ("Other City", "Bristol", "")):
        referral_services.create_specialist(db.session, SYSTEM, referral_services.SpecialistDetails(
            name=name, area=area, address=address, accepting="yes"), phone_region="GB", now=NOW)
    found = [s.name for s in accepting_colleagues(db.session, (), "Roundhay, LS8")]
    assert found == ["Next Door", "Far Away", "Farther", "Other City"]  # 0, 4 and 9 km, then unknown
    found = [s.name for s in accepting_colleagues(db.session, (), "Bristol")]
    assert found[0] == "Other City"


# The policy in clauses -------------------------------------------------------------------

def test_a_new_version_keeps_its_clauses_with_their_topics(users):
    policy = policy_services.publish_policy(
        db.session, SYSTEM, {}, TODAY, now=NOW,
        clauses=[("payment", "Pay at the end of each session."), ("other", "  "), ("conduct", "Be kind.")])
    assert [(c.position, c.topic, c.text) for c in policy.clauses] == [
        (1, "payment", "Pay at the end of each session."), (2, "conduct", "Be kind.")]
    with pytest.raises(DomainError, match="choose what it is about"):
        policy_services.publish_policy(db.session, SYSTEM, {}, TODAY, now=NOW, clauses=[("gossip", "Hm.")])


def test_the_migration_split_the_first_version_into_clauses_with_known_topics(app):
    first = current_policy(db.session, datetime(2026, 1, 1, tzinfo=NOW.tzinfo))
    assert [c.topic for c in first.clauses] == ["payment", "conduct"]
