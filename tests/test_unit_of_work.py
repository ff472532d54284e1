# ruff: noqa: F811  (fixtures imported from other test modules are used as arguments)
"""One unit of work per action: an action and everything it causes (its audit event, the
conduct entry a listener records, a letter's consequences) are saved together or not at
all. Each consequence is made to fail in turn, through the real request path, and the
whole database must then be exactly as it was before the action."""

import threading
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from practice.audit.models import AuditEvent
from practice.audit.services import SYSTEM
from practice.auth.models import User
from practice.clients import signals as client_signals
from practice.clients.models import Client, StandingChange
from practice.conduct.models import Communication, ConductEntry
from practice.db import db
from practice.errors import DomainError
from practice.letters import signals as letter_signals
from practice.letters.models import Letter
from practice.scheduling import services, signals
from practice.scheduling.models import Appointment
from practice.unit_of_work import unit_of_work
from referrals import signals as referral_signals
from referrals.models import Inquiry, Referral
from tests.conftest import NOW
from tests.test_letters import record  # noqa: F401  (a fixture)
from tests.test_scheduling import at

TODAY = NOW.date()  # Monday 23 November 2026; NOW is 10:00 in London


class Boom(Exception):
    """The failure injected into one consequence of an action."""


# Making one thing fail --------------------------------------------------------------------

def inserting(model, **match):
    return ("before_insert", model, match)


def updating(model, **match):
    return ("before_update", model, match)


def listener(signal):
    return ("signal", signal, {})


@contextmanager
def failing(point):
    """While the block runs, `point` raises Boom: a row being inserted or updated (whose
    attributes equal `match`), or one more receiver of a domain event, as a host's SMS or
    accounting listener might fail."""
    kind, target, match = point
    if kind == "signal":
        def receiver(sender, **facts):
            raise Boom(f"a listener of {target.name} failed")

        target.connect(receiver)
        try:
            yield
        finally:
            target.disconnect(receiver)
        return

    def fail(_mapper, _connection, row):
        if all(getattr(row, name) == value for name, value in match.items()):
            raise Boom(f"writing {type(row).__name__} {match} failed")

    event.listen(target, kind, fail)
    try:
        yield
    finally:
        event.remove(target, kind, fail)


def database() -> dict[str, list]:
    """Every row of every table: what "nothing remains" is checked against."""
    db.session.commit()
    return {table.name: sorted((tuple(row) for row in db.session.execute(sa.select(table))), key=repr)
            for table in db.metadata.sorted_tables}


@pytest.fixture
def web(app, client, users, login):
    """An admin signed in; errors answer the 500 page as in production instead of reaching
    the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(users["admin"])
    return client


def refused_whole(response, before) -> None:
    assert response.status_code == 500
    assert "Nothing you entered was saved half-way" in response.get_data(as_text=True)
    assert database() == before


# The schedule: each action, prepared and then requested ------------------------------------

def booked(desk, hhmm: str) -> Appointment:
    practitioner, service, client = desk
    return services.book(db.session, SYSTEM, services.BookingRequest(
        client.id, practitioner.id, service.id, at(TODAY, hhmm)), now=NOW - timedelta(days=1))


def arrived(desk) -> Appointment:
    appointment = booked(desk, "09:00")
    services.check_in(db.session, SYSTEM, appointment, at(TODAY, "09:00"), now=NOW)
    return appointment


def not_come(desk) -> Appointment:
    appointment = booked(desk, "09:00")
    services.mark_no_show(db.session, SYSTEM, appointment, now=NOW)
    return appointment


# name: (prepare, path, form, status after, conduct entry, event, audit action)
SCHEDULE_ACTIONS = {
    "check-in beyond grace": (lambda desk: booked(desk, "09:00"), "check-in", {"arrived": "09:25"},
                              "arrived", "late_arrival", signals.appointment_checked_in,
                              "appointment.check_in"),
    "no-show": (lambda desk: booked(desk, "09:00"), "no-show", {}, "no_show", "no_show",
                signals.appointment_no_show, "appointment.no_show"),
    # 14:00 is four hours away: inside the 24-hour window.
    "late cancellation": (lambda desk: booked(desk, "14:00"), "cancel", {"reason": "Client unwell"},
                          "late_cancelled", "late_cancellation", signals.appointment_cancelled,
                          "appointment.cancel"),
    "unpaid completion": (arrived, "complete", {}, "completed", "non_payment",
                          signals.appointment_left_unpaid, "appointment.complete"),
    "fee waiver": (not_come, "waive", {"reason": "Family emergency"}, "no_show", "fee_waived",
                   signals.fee_waived, "appointment.waive_fee"),
}


def schedule_failures(name: str) -> dict:
    *_, entry_kind, signal, action = SCHEDULE_ACTIONS[name]
    return {
        "listener": listener(signal),
        "audit": inserting(AuditEvent, action=action),
        "conduct entry": inserting(ConductEntry, kind=entry_kind),
        "conduct entry's audit": inserting(AuditEvent, action="conduct.automatic"),
    }


def request_action(web, desk, name: str):
    prepare, path, form, *_ = SCHEDULE_ACTIONS[name]
    appointment = prepare(desk)
    db.session.commit()
    answered = fee_answered(appointment, path, form)
    before = database()
    return appointment, before, lambda: web.post(f"/appointments/{appointment.id}/{path}", data=answered)


def fee_answered(appointment, path: str, form: dict) -> dict:
    """The form with the page's fee question answered: charge the amount it showed."""
    if path == "no-show":
        quote = services.quote_no_show(db.session, appointment, now=NOW)
    elif path == "cancel":
        quote = services.quote_cancel(db.session, appointment, form["reason"], now=NOW)
    else:
        return form
    return form | {"fee": "charge", "fee_cents": str(quote.fee_cents)}


@pytest.mark.parametrize("name, failure", [(n, f) for n in SCHEDULE_ACTIONS for f in schedule_failures(n)])
def test_a_schedule_action_leaves_nothing_when_a_consequence_fails(web, desk, name, failure):
    _, before, send = request_action(web, desk, name)
    with failing(schedule_failures(name)[failure]):
        response = send()
    refused_whole(response, before)


@pytest.mark.parametrize("name", SCHEDULE_ACTIONS)
def test_a_schedule_action_is_saved_with_its_audit_and_conduct_entry(web, desk, name):
    *_, status, entry_kind, _, action = SCHEDULE_ACTIONS[name]
    appointment, _, send = request_action(web, desk, name)
    assert send().status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == status
    entry = db.session.scalars(sa.select(ConductEntry).where(ConductEntry.kind == entry_kind)).one()
    assert entry.appointment_id == appointment.id
    assert db.session.scalar(sa.select(AuditEvent.id).where(
        AuditEvent.action == action, AuditEvent.object_id == str(appointment.id)))


# Letters ----------------------------------------------------------------------------------

STAND_IN = b"%PDF-1.7\n% stand-in\n"  # these tests are about what is saved, not the PDF


def letter_form(kind: str, record) -> tuple[str, dict]:
    subject = (f"inquiry_id={record['inquiry'].id}" if kind == "practice_full"
               else f"client_id={record['client'].id}")
    form = {"author_id": record["practitioner"].id, "channel": "post", "action": "issue", "confirm": "y",
            "body": "Dear Sam,\n\nA letter.", "effective_date": TODAY.isoformat()}
    if kind == "referral":
        form |= {"specialist_id": record["specialist"].id, "modality_ids": [record["deep"].id]}
    return f"/letters/new?kind={kind}&{subject}", form


LETTER_FAILURES = {
    "discontinuation": {
        "the letter's audit": inserting(AuditEvent, action="letter.issue"),
        "a cancellation": updating(Appointment, status="cancelled"),
        "the standing change": inserting(StandingChange),
        "a listener of the standing change": listener(client_signals.standing_changed),
        "the communication": inserting(Communication),
        "a listener of the letter": listener(letter_signals.letter_issued),
    },
    "referral": {
        "the referral": inserting(Referral),
        "a listener of the referral": listener(referral_signals.referral_made),
        "the communication": inserting(Communication),
    },
    "practice_full": {
        "answering the inquiry (a place offered)": updating(Inquiry, status="offered"),
        "a listener of the inquiry": listener(referral_signals.inquiry_changed),
        "a listener of the letter": listener(letter_signals.letter_issued),
    },
}


@pytest.mark.parametrize("kind, failure", [(k, f) for k in LETTER_FAILURES for f in LETTER_FAILURES[k]])
def test_issuing_a_letter_leaves_nothing_when_a_consequence_fails(web, record, kind, failure):
    url, form = letter_form(kind, record)
    before = database()
    with patch("practice.letters.services.render_letter", return_value=STAND_IN), \
            failing(LETTER_FAILURES[kind][failure]):
        response = web.post(url, data=form)
    refused_whole(response, before)


def test_a_discontinuation_is_saved_with_all_its_consequences(web, record):
    url, form = letter_form("discontinuation", record)
    with patch("practice.letters.services.render_letter", return_value=STAND_IN):
        assert web.post(url, data=form).status_code == 302
    db.session.expire_all()
    letter = db.session.scalars(sa.select(Letter)).one()
    assert db.session.get(Client, record["client"].id).standing == "moved_on"
    assert {db.session.get(Appointment, a.id).status for a in record["future"]} == {"cancelled"}
    assert db.session.scalar(sa.select(Communication.id).where(Communication.kind == "letter_sent"))
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "letter.issue",
                                                          AuditEvent.object_id == str(letter.id)))


# Refusals, failing commits, commands, jobs -------------------------------------------------

def test_a_refused_one_click_action_keeps_nothing_it_did_before_refusing(web, desk, monkeypatch):
    appointment = booked(desk, "09:00")
    before = database()

    def half_then_refuse(session, actor, found, arrived_at, *, now):
        found.status = "arrived"
        session.flush()
        raise DomainError("Refused after a change.")

    monkeypatch.setattr(services, "check_in", half_then_refuse)
    response = web.post(f"/appointments/{appointment.id}/check-in", data={})
    assert response.status_code == 302  # back to the page, with the reason
    assert "Refused after a change." in web.get(response.headers["Location"]).get_data(as_text=True)
    assert database() == before


def test_a_commit_that_fails_answers_500_and_keeps_nothing(web, desk, monkeypatch):
    appointment = booked(desk, "09:00")
    before = database()
    own = db.session()
    session_class = type(own)

    def refuse_commit(session):
        if session is not own:  # the request's session, not the test's
            raise Boom("the disk is full")

    event.listen(session_class, "before_commit", refuse_commit)
    try:
        response = web.post(f"/appointments/{appointment.id}/check-in", data={"arrived": "09:25"})
    finally:
        event.remove(session_class, "before_commit", refuse_commit)
    refused_whole(response, before)


def test_a_command_is_one_unit_of_work(app, runner, practice):
    with failing(inserting(AuditEvent, action="user.create")):
        result = runner.invoke(args=["create-user", "kim@harbour.example", "--role", "practitioner",
                                     "--password", "long enough password"])
    assert result.exit_code != 0
    db.session.rollback()
    assert db.session.scalar(sa.select(User.id).where(User.email == "kim@harbour.example")) is None


def test_unit_of_work_commits_at_its_end_or_rolls_everything_back(app, desk):
    practitioner, service, client = desk
    request = services.BookingRequest(client.id, practitioner.id, service.id, at(TODAY, "15:00"))
    db.session.commit()
    with pytest.raises(Boom), unit_of_work(db.session):
        services.book(db.session, SYSTEM, request, now=NOW)
        raise Boom("the job failed after booking")
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 0
    db.session.rollback()
    with unit_of_work(db.session):
        services.book(db.session, SYSTEM, request, now=NOW)
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 1


def test_unit_of_work_begins_its_own_transaction(app, practice):
    db.session.scalar(sa.select(User.id).limit(1))  # a transaction is open now
    with pytest.raises(RuntimeError, match="begins the session's transaction"), unit_of_work(db.session):
        pass


def test_booking_does_not_commit_what_its_caller_had_pending(app, desk):
    practitioner, service, client = desk
    db.session.add(Client(display_name="Pending Pat", created_at=NOW))
    services.book(db.session, SYSTEM, services.BookingRequest(
        client.id, practitioner.id, service.id, at(TODAY, "15:00")), now=NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(Client.id).where(Client.display_name == "Pending Pat")) is None
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id))) == 0


def test_sqlite_write_units_take_the_write_lock_before_their_first_read(app, practice, database_url):
    """So what a write request reads stays true until it commits, and it never has to turn a
    read into a write (which SQLite refuses once someone else has written meanwhile)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL takes row and advisory locks where a rule needs them")
    other = sa.create_engine(database_url, connect_args={"timeout": 0})
    db.session.commit()
    try:
        with unit_of_work(db.session, writes=False):
            db.session.scalar(sa.select(User.id).limit(1))
            with other.begin() as connection:  # a reader leaves the door open to writers
                connection.exec_driver_sql("UPDATE practice_profile SET name = name")
        with unit_of_work(db.session):
            db.session.scalar(sa.select(User.id).limit(1))
            with pytest.raises(sa.exc.OperationalError, match="locked"), other.begin() as connection:
                connection.exec_driver_sql("UPDATE practice_profile SET name = name")
    finally:
        other.dispose()


def test_two_desks_checking_in_one_appointment_at_once_make_one_check_in(app, desk):
    """The second waits for the first (the appointment's row lock on PostgreSQL, the write
    lock on SQLite), then sees it arrived and is refused: one check-in, one conduct entry."""
    appointment_id = booked(desk, "09:00").id
    db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def check_in(minutes_late):
        with app.app_context():
            barrier.wait()
            try:
                with unit_of_work(db.session):
                    appointment = db.session.get(Appointment, appointment_id)
                    services.check_in(db.session, SYSTEM, appointment,
                                      at(TODAY, "09:00") + timedelta(minutes=minutes_late), now=NOW)
                outcomes.append("checked in")
            except DomainError as refused:
                outcomes.append(refused.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=check_in, args=(late,)) for late in (20, 30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["This appointment is arrived; it cannot be checked in.", "checked in"]
    assert db.session.scalar(sa.select(sa.func.count(ConductEntry.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "appointment.check_in")) == 1


@pytest.mark.parametrize("status, kept", [(200, True), (204, True), (302, True), (400, False), (403, False),
                                          (404, False), (422, False), (500, False)])
def test_a_request_commits_only_what_answered_below_400(app, practice, status, kept):
    """The hook itself, on a view made for the test: whatever the view wrote is committed
    with a page, an empty answer or a redirect, and rolled back with any error status."""
    def write_then_answer():
        db.session.add(AuditEvent(at=NOW, actor_label="test", action="test.write", detail={}))
        db.session.flush()
        return "", status

    app.add_url_rule("/test-write", "test_write", write_then_answer, methods=["POST"])
    assert app.test_client().post("/test-write").status_code == status
    written = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "test.write"))
    assert written == (1 if kept else 0)


def test_on_sqlite_only_a_pages_request_commits_without_waiting_for_the_disk(app, practice):
    """A GET writes only records of the reading (who opened a record): its commit need not
    wait for the disk. A form's request and a command commit durably, on the same pooled
    connection after a page's request too."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("on PostgreSQL the server's own setting decides (synchronous_commit)")

    def write_and_tell():
        db.session.add(AuditEvent(at=NOW, actor_label="test", action="test.write", detail={}))
        db.session.flush()
        return str(db.session.connection().exec_driver_sql("PRAGMA synchronous").scalar())

    app.add_url_rule("/test-sync", "test_sync", write_and_tell, methods=["GET", "POST"])
    web = app.test_client()
    normal, full = "1", "2"
    assert [web.get("/test-sync").text, web.post("/test-sync").text, web.get("/test-sync").text] == [normal, full, normal]
    db.session.commit()
    with unit_of_work(db.session):
        assert write_and_tell() == full
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "test.write")) == 4
