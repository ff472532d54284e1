# ruff: noqa: F811  (fixtures imported from other test modules are used as arguments)
"""Letters: texts and placeholders, drafts from the record, issuing with consequences, the
PDF read back (pdftotext), tagged, frozen and byte-identical on re-download."""

import hashlib
import subprocess
from datetime import date, timedelta
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from practice.audit.services import SYSTEM, Actor
from practice.clients.models import Client
from practice.conduct import services as conduct_services
from practice.conduct.models import Communication
from practice.db import db
from practice.errors import DomainError
from practice.letters import compose, services, texts
from practice.letters.compose import Request
from practice.letters.models import Letter, LetterTemplate
from practice.scheduling.models import Appointment
from practice.settings.services import get_practice
from referrals import services as referral_services
from referrals.models import Inquiry, Modality, Referral
from tests.conftest import NOW
from tests.test_scheduling import MONDAY, at, book

TODAY = date(2026, 11, 23)


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


def pdf_info(pdf: bytes) -> str:
    return subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def is_tagged(pdf: bytes) -> bool:
    return "Tagged:          yes" in pdf_info(pdf)


@pytest.fixture
def record(desk, users, make_client):
    """A client with two future appointments, the policy told twice, then breaches; a
    specialist accepting new clients; an open inquiry."""
    practitioner, service, client = desk
    client.legal_name, client.address = "Samantha Example", "1 Long Lane\nBristol BS1 4DJ"
    practitioner.credentials = "BSc, Level 4 Sports Massage"
    db.session.commit()
    future = [book(desk, at(MONDAY, "10:00")), book(desk, at(MONDAY + timedelta(days=7), "10:00"))]
    for days, kind in ((30, "policy_reminder"), (16, "warning")):
        conduct_services.record_communication(
            db.session, SYSTEM, client, occurred_at=NOW - timedelta(days=days), channel="email",
            kind=kind, summary="Explained the lateness policy.", now=NOW)
    conduct_services.record_automatic(
        db.session, kind="late_arrival", client_id=client.id, appointment_id=None,
        occurred_from=NOW - timedelta(days=9), minutes=30, now=NOW)
    conduct_services.record_automatic(
        db.session, kind="no_show", client_id=client.id, appointment_id=None,
        occurred_from=NOW - timedelta(days=2), amount_cents=6000, now=NOW)
    deep = db.session.scalar(select(Modality).where(Modality.name == "Deep tissue"))
    specialist = referral_services.create_specialist(
        db.session, SYSTEM, referral_services.SpecialistDetails(
            name="Dana Okoro", profession="Deep tissue therapist", phone="0117 496 0123",
            email="dana@okoro.example", address="4 Mill Street\nBristol", area="Bristol",
            accepting="yes", modality_ids=[deep.id]),
        phone_region="GB", now=NOW)
    inquiry = referral_services.record_inquiry(
        db.session, SYSTEM, referral_services.InquiryDetails(name="Robin Walker", email="robin@example.org",
                                                             need="Deep tissue", modality_ids=[deep.id]),
        phone_region="GB", now=NOW)
    return {"client": client, "practitioner": practitioner, "future": future, "specialist": specialist,
            "deep": deep, "inquiry": inquiry, "admin": users["admin"]}


def request_for(kind, record, **changes) -> Request:
    base = Request(kind=kind, client=None if kind == "practice_full" else record["client"],
                   inquiry=record["inquiry"] if kind == "practice_full" else None,
                   author=record["practitioner"], channel="post")
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def drafted(kind, record, **changes) -> Request:
    request = request_for(kind, record, **changes)
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    assert not facts.missing, facts.missing
    request.body = compose.draft(services.current_template(db.session, kind)[0], facts)
    return request


def issue(request, record) -> Letter:
    return services.issue(db.session, Actor(record["admin"]), request, profile=get_practice(db.session), now=NOW)


# Texts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(texts.DEFAULTS))
def test_every_default_text_passes_its_own_check(kind):
    assert texts.check_text(kind, texts.DEFAULTS[kind]) == texts.DEFAULTS[kind].strip()


@pytest.mark.parametrize("text, message", [
    ("Dear {client_nme}, {effective_date}", "Unknown placeholder: {client_nme}"),
    ("Dear {client_name, from {effective_date}", "A brace is not closed"),
    ("Dear client_name}, {effective_date}", "A brace is not closed"),
    ("Dear {client_name.__class__} {effective_date}", "is not a placeholder"),
    ("Dear {client_name!r} {effective_date}", "is not a placeholder"),
    ("Dear {0} {effective_date}", "is not a placeholder"),
    ("Dear {client_name}, goodbye.", "must include {effective_date}"),
    ("   ", "Write the letter's text."),
])
def test_a_bad_text_is_refused_with_a_clear_message(text, message):
    with pytest.raises(DomainError) as refused:
        texts.check_text("safety_discontinuation", text)
    assert message in refused.value.message and refused.value.field == "text"


def test_literal_braces_are_allowed_and_kept():
    text = texts.check_text("custom", "Dear {client_name},\n\nOur code is {{calm}}.")
    assert texts.fill(text, {"client_name": "Sam"}) == "Dear Sam,\n\nOur code is {calm}."


def test_a_changed_text_is_a_new_version(users):
    first = services.save_template(db.session, SYSTEM, "custom", "Hello {client_name}.", now=NOW)
    second = services.save_template(db.session, SYSTEM, "custom", "Hi {client_name}!", now=NOW)
    assert (first.version, second.version) == (1, 2)
    assert services.current_template(db.session, "custom") == ("Hi {client_name}!", 2)
    assert services.current_template(db.session, "referral") == (texts.REFERRAL, None)


@pytest.mark.parametrize("kind", ["discontinuation", "safety_discontinuation"])
def test_discontinuation_texts_leave_no_opening(kind):
    text = texts.DEFAULTS[kind].lower()
    for phrase in ("sorry", "apolog", "unfortunately", "lucky", "miss you", "perhaps", "in the future",
                   "one day", "if things change", "feel free", "door", "wish", "love", "fond", "special"):
        assert phrase not in text, phrase
    # The decision is said once, plainly: no repeated finality, no refusal to discuss.
    for phrase in ("final", "discussed further", "will not be discussed", "unacceptable", "inappropriate"):
        assert phrase not in text, phrase


# Drafts -------------------------------------------------------------------------------------

def test_a_discontinuation_draft_quotes_the_record(record):
    request = drafted("discontinuation", record, effective_date=TODAY)
    body = request.body
    assert "Dear Sam," in body
    assert "I reminded you of the policy by e-mail on 24 October 2026 and warned you by e-mail on 7 November 2026." in body
    assert "- On 14 November 2026 you arrived 30 minutes late; the session ended at its booked time." in body
    assert "- You missed your appointment on 21 November 2026 without notice." in body
    assert "From 23 November 2026" in body and "24 hours' notice" in body


def test_facts_the_record_lacks_are_asked_for_not_invented(users, make_client):
    quiet = make_client("Quiet Client")
    request = Request(kind="discontinuation", client=quiet, author=users["practitioner"].practitioner)
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    assert set(facts.missing) == {"effective_date", "policy_dates", "breaches"}
    request.policy_dates, request.breaches, request.effective_date = (
        "2 November 2026, in person", "- 9 November 2026: arrived 40 minutes late", TODAY)
    facts = compose.gather(db.session, request, profile=get_practice(db.session), now=NOW)
    assert not facts.missing
    assert facts.values["policy_dates"] == "- 2 November 2026, in person"


# Issuing, per kind ------------------------------------------------------------------------------

def test_a_discontinuation_is_issued_frozen_with_its_consequences(record):
    client = record["client"]
    letter = issue(drafted("discontinuation", record, effective_date=TODAY), record)
    text = pdf_text(letter.pdf)
    for fact in ("Harbour Street Massage", "Samantha Example", "1 Long Lane", "23 November 2026",
                 "arrived 30 minutes late", "24 October 2026", "decided to end our professional relationship",
                 "Priya Practitioner", "BSc, Level 4 Sports Massage", "Yours sincerely"):
        assert fact in text, fact
    info = pdf_info(letter.pdf)
    assert "Ending the professional relationship: Sam" in info and "Priya Practitioner" in info
    assert is_tagged(letter.pdf) and letter.sha256 == hashlib.sha256(letter.pdf).hexdigest()
    db.session.expire_all()
    assert db.session.get(Client, client.id).standing == "moved_on"
    statuses = {db.session.get(Appointment, a.id).status for a in record["future"]}
    assert statuses == {"cancelled"}
    assert {db.session.get(Appointment, a.id).fee_cents for a in record["future"]} == {0}
    sent = db.session.scalars(select(Communication).where(Communication.kind == "letter_sent")).one()
    assert sent.channel == "post" and sent.client_id == client.id


def test_a_safety_discontinuation_is_short_and_gives_no_details(record):
    letter = issue(drafted("safety_discontinuation", record, effective_date=TODAY), record)
    text = pdf_text(letter.pdf)
    assert "no longer provide treatment" in text and "23 November 2026" in text
    assert "minutes late" not in text and "policy" not in text.lower()
    assert "Page" not in text  # one page: no page numbers


def test_a_referral_introduces_the_colleague_and_records_the_referral(record):
    request = drafted("referral", record, specialist=record["specialist"], modalities=[record["deep"]])
    letter = issue(request, record)
    text = pdf_text(letter.pdf)
    for fact in ("Dana Okoro", "Deep tissue therapist", "+44 117 496 0123", "dana@okoro.example",
                 "4 Mill Street", "deep tissue", "good match"):
        assert fact in text, fact
    referral = db.session.get(Referral, letter.referral_id)
    assert referral.specialist_id == record["specialist"].id and referral.client_id == record["client"].id
    assert referral.follow_up_on == TODAY + timedelta(days=14)
    assert letter.specialist_id == record["specialist"].id


def test_a_practice_full_reply_lists_colleagues_and_closes_the_inquiry(record):
    for user in record["practitioner"], record["admin"].practitioner:  # nobody has room
        user.accepting_new_clients = False
    letter = issue(drafted("practice_full", record), record)
    text = pdf_text(letter.pdf)
    assert "Robin Walker" in text and "Dana Okoro" in text and "not taking on new clients" in text
    db.session.expire_all()
    assert db.session.get(Inquiry, record["inquiry"].id).status == "referred"
    assert letter.inquiry_id == record["inquiry"].id and letter.client_id is None


def test_a_custom_letter_on_the_letterhead(record):
    request = request_for("custom", record, channel="post",
                          body="Dear Sam,\n\nYour receipt for November is enclosed.\n\n- 2 November: £60.00")
    letter = issue(request, record)
    text = pdf_text(letter.pdf)
    assert "receipt for November" in text and "2 November: £60.00" in text
    db.session.expire_all()
    assert db.session.get(Client, record["client"].id).standing == "active"


def test_a_long_letter_numbers_its_pages(record):
    body = "\n\n".join(f"Paragraph {n}: " + "words " * 60 for n in range(40))
    letter = issue(request_for("custom", record, body=body), record)
    text = pdf_text(letter.pdf)
    assert "Page 2 of" in text and "Page 1 of" not in text


def test_us_letter_paper(record):
    services.set_page_size(db.session, SYSTEM, "letter", now=NOW)
    letter = issue(request_for("custom", record, body="Dear Sam,\n\nHello."), record)
    assert "612 x 792 pts (letter)" in pdf_info(letter.pdf)
    assert letter.page_size == "letter"


def test_the_database_refuses_changes_to_an_issued_letter(record):
    request = drafted("referral", record, specialist=record["specialist"], modalities=[record["deep"]])
    with patch("practice.letters.services.render_letter", return_value=b"%PDF-1.7\n% stand-in\n"):
        letter = issue(request, record)
    db.session.commit()
    for statement in ("UPDATE letter SET pdf = :pdf WHERE id = :id",
                      "UPDATE letter SET referral_id = NULL WHERE id = :id",
                      "UPDATE letter SET recipient = 'Someone else' WHERE id = :id",
                      "DELETE FROM letter WHERE id = :id"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement), {"id": letter.id, "pdf": b"%PDF forged"})
        db.session.rollback()
    stored = db.session.get(Letter, letter.id)
    assert stored.pdf == b"%PDF-1.7\n% stand-in\n" and stored.referral_id is not None


def test_nothing_happens_when_the_letter_cannot_be_issued(record):
    client = record["client"]
    with pytest.raises(DomainError) as refused:
        issue(request_for("discontinuation", record, body="Dear Sam,"), record)  # no effective date
    assert refused.value.field == "effective_date"
    db.session.expire_all()
    assert db.session.get(Client, client.id).standing == "active"
    assert db.session.scalar(select(Letter.id)) is None
    assert {db.session.get(Appointment, a.id).status for a in record["future"]} == {"booked"}


def test_the_consequences_are_listed_before_issuing(record):
    request = request_for("discontinuation", record, effective_date=TODAY)
    plan = compose.plan(db.session, request, profile=get_practice(db.session), now=NOW)
    assert [a.id for a in plan.cancel] == [a.id for a in record["future"]]
    assert plan.move_on and "2 future appointments are cancelled by the practice, without fees." in plan.sentences


def test_a_template_version_is_used_for_the_draft(record):
    services.save_template(db.session, SYSTEM, "safety_discontinuation",
                           "Dear {client_name},\n\nFrom {effective_date} we will not see you.", now=NOW)
    request = drafted("safety_discontinuation", record, effective_date=TODAY)
    assert request.body == "Dear Sam,\n\nFrom 23 November 2026 we will not see you."
    assert db.session.scalar(select(LetterTemplate.version)) == 1


def letters_world(client, practitioner) -> dict:
    """For tests/test_access.py and test_bad_input.py: an issued letter about `client`, and an
    open inquiry with a colleague accepting new clients for its need."""
    from practice.letters.compose import Request as LetterRequest

    deep = db.session.scalar(select(Modality).where(Modality.name == "Deep tissue"))
    referral_services.create_specialist(
        db.session, SYSTEM, referral_services.SpecialistDetails(
            name="Dana Okoro", profession="Deep tissue therapist", email="dana@okoro.example",
            accepting="yes", modality_ids=[deep.id]), phone_region="GB", now=NOW)
    inquiry = referral_services.record_inquiry(
        db.session, SYSTEM, referral_services.InquiryDetails(name="Robin Walker", email="robin@example.org",
                                                             modality_ids=[deep.id]), phone_region="GB", now=NOW)
    # These tables check who may open what, not the PDF: a stand-in keeps hundreds of them quick.
    with patch("practice.letters.services.render_letter", return_value=b"%PDF-1.7\n% stand-in\n"):
        letter = services.issue(db.session, SYSTEM, LetterRequest(
            kind="custom", client=client, author=practitioner, channel="post", body="Dear Sam,\n\nHello."),
            profile=get_practice(db.session), now=NOW)
        other = referral_services.record_inquiry(
            db.session, SYSTEM, referral_services.InquiryDetails(name="Ola Asked", email="ola@example.org",
                                                                 modality_ids=[deep.id]), phone_region="GB", now=NOW)
        reply = services.issue(db.session, SYSTEM, LetterRequest(
            kind="practice_full", inquiry=other, author=practitioner, channel="email", body="Dear Ola,\n\nFull."),
            profile=get_practice(db.session), now=NOW)
    return {"letter_id": letter.id, "letter_inquiry_id": inquiry.id, "reply_letter_id": reply.id}


# The demo's letters of every kind are tested on the demo itself, in tests/test_cli.py.


def test_a_cancellation_by_the_practice_is_never_late_and_carries_no_fee(desk):
    from practice.conduct.models import ConductEntry
    from practice.scheduling import services as scheduling_services

    soon = book(desk, at(TODAY, "14:00"))  # four hours away: inside the 24-hour window
    scheduling_services.cancel(db.session, SYSTEM, soon, "The practice ended the relationship.", now=NOW,
                               by_practice=True)
    assert (soon.status, soon.fee_cents) == ("cancelled", 0)
    assert db.session.scalar(select(ConductEntry.id).where(ConductEntry.kind == "late_cancellation")) is None
