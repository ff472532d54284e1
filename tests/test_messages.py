"""The outbox, with a real SMTP server in the test process: confirmations with a valid .ics,
reminders once when due (the clock moved), never for a cancelled appointment or to a client who
cannot be booked, letters by e-mail with their PDF, a server that refuses then accepts, a worker
killed after sending, the acknowledgement link, consent and unsubscribing, and waiting while
e-mail is not configured."""

import hashlib
import re
from datetime import time, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from flask import current_app

from practice.audit.services import SYSTEM, Actor
from practice.clients import services as client_services
from practice.conduct.models import Communication
from practice.db import db
from practice.errors import DomainError
from practice.jobs.models import Job
from practice.letters.models import Letter, LetterDelivery
from practice.messages import links, sending
from practice.messages import services as messages
from practice.messages.models import EmailConsent, Message
from practice.policies import online
from practice.scheduling import services as scheduling_services
from tests.conftest import NOW, make_app
from tests.smtp_server import mail_config, start_server
from tests.test_jobs import make_worker, run_jobs
from tests.test_scheduling import MONDAY, at, book

SENDER = "hello@harbour.example"


@pytest.fixture
def inbox():
    server, controller = start_server()
    yield server
    controller.stop()


@pytest.fixture
def app(database_url, tmp_path, inbox):
    """The practice, sending its e-mail to the test's SMTP server."""
    app = make_app(database_url, tmp_path / "instance", **mail_config(inbox.port))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def clock():
    return current_app.extensions["practice"].clock


def consent(client, confirmations=True, reminders=True):
    messages.record_consent(db.session, SYSTEM, client, confirmations=confirmations, reminders=reminders, now=NOW)
    db.session.commit()


@pytest.fixture
def sam(desk):
    """The desk's client, with an e-mail address and consent to both kinds of message."""
    practitioner, service, client = desk
    client.email, client.display_name, client.legal_name = "sam@example.org", "Sam Example", "Samantha Private"
    practitioner.display_name = "Priya Practitioner"
    db.session.commit()
    consent(client)
    return client


def messages_world(app, client) -> dict:
    """For tests/test_access.py and test_bad_input.py: e-mail configured (to a port nothing
    listens on: no job runs there), `client` with an address and consent, a message waiting
    and one failed in the outbox, a link to acknowledge the policy and one to stop reminders."""
    app.config.update(mail_config(port=1))
    client.email = client.email or "sam@example.org"
    db.session.commit()
    consent(client)
    waiting, failed = (messages.queue_message(db.session, kind="test", to=client.email, subject="Test",
                                              template="test", context={"settings": messages.mail(db.session)},
                                              now=NOW) for _ in range(2))
    failed.status, failed.outcome, failed.server_reply = "failed", "The server refused it.", "550 5.1.1 No such mailbox"
    request = online.ask_to_acknowledge(db.session, SYSTEM, client, valid_for=timedelta(days=14), now=NOW)
    db.session.commit()
    return {"waiting_message_id": waiting.id, "failed_message_id": failed.id,
            "acknowledge_token": links.sign(online.SALT, [request.id, request.nonce]),
            "unsubscribe_token": messages.unsubscribe_token(client)}


def outbox(*conditions) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Message).where(*conditions).order_by(Message.id)))


# Confirmations ---------------------------------------------------------------------------------

def test_a_booking_sends_a_confirmation_with_a_valid_calendar_file(desk, sam, inbox):
    appointment = book(desk, at(MONDAY, "10:00"))
    assert [m.kind for m in outbox()] == ["appointment.booked"]
    assert run_jobs() >= 1
    [received] = inbox.messages
    assert received.rcpt_tos == ["sam@example.org"] and received.mail_from == SENDER
    email = received.email
    assert email["Subject"] == "Your appointment is booked"
    assert email["Message-ID"] == outbox()[0].message_id
    assert email["Auto-Submitted"] == "auto-generated"
    text = received.text
    assert "Hello Sam," in text and "Monday 30 November 2026 at 10:00" in text
    assert "Remedial massage, 60 minutes with Priya" in text
    assert "please tell us at least 24 hours before it starts; with less notice, 50% of the price" in text
    assert "If you arrive late, your session still ends at its booked time." in text
    assert "https://harbour.example/practice-policy" in text
    assert "Samantha" not in text and "Example" not in text and "Practitioner" not in text  # first names only
    unsubscribe = email["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("https://harbour.example/unsubscribe/") and unsubscribe in text
    assert "<a href=\"https://harbour.example/practice-policy\">" in received.html
    [(media_type, ics)] = received.attachments().values()
    assert media_type == "text/calendar"
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == at(MONDAY, "10:00")
    assert str(event["STATUS"]) == "CONFIRMED" and str(event["UID"]) == f"{appointment.uuid}.client@practice"
    message = outbox()[0]
    assert (message.status, message.sent_at, message.server_reply) == ("sent", NOW, "250 2.0.0 Ok: queued as TEST1")


def test_moving_and_cancelling_send_their_own_confirmations(desk, sam, inbox):
    appointment = book(desk, at(MONDAY, "10:00"))
    scheduling_services.reschedule(db.session, SYSTEM, appointment, at(MONDAY, "14:00"), now=NOW)
    db.session.commit()
    scheduling_services.cancel(db.session, SYSTEM, appointment, "Client phoned: unwell", now=NOW)
    db.session.commit()
    run_jobs()
    subjects = [m.email["Subject"] for m in inbox.messages]
    # The booking and the move no longer speak for the appointment when they are sent.
    assert subjects == ["Your appointment is cancelled"]
    assert [(m.kind, m.status) for m in outbox()] == [
        ("appointment.booked", "cancelled"), ("appointment.moved", "cancelled"), ("appointment.cancelled", "sent")]
    cancelled = inbox.messages[0]
    assert "Monday 30 November 2026 at 14:00" in cancelled.text and "unwell" not in cancelled.text
    event = icalendar.Calendar.from_ical(list(cancelled.attachments().values())[0][1]).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"


def test_each_confirmation_goes_when_it_is_sent_before_the_next_change(desk, sam, inbox):
    appointment = book(desk, at(MONDAY, "10:00"))
    run_jobs()
    scheduling_services.reschedule(db.session, SYSTEM, appointment, at(MONDAY, "14:00"), now=NOW)
    db.session.commit()
    run_jobs()
    assert [m.email["Subject"] for m in inbox.messages] == ["Your appointment is booked", "Your appointment has moved"]
    assert "at 14:00" in inbox.messages[1].text


def test_no_consent_or_no_address_no_confirmation(desk, make_client, inbox):
    _, _, client = desk
    client.email = "sam@example.org"
    db.session.commit()
    book(desk, at(MONDAY, "10:00"))  # no consent recorded
    consent(client, confirmations=False, reminders=True)
    book(desk, at(MONDAY, "12:00"))  # reminders only
    no_address = make_client("Noor")
    consent_refused = pytest.raises(DomainError, match="no e-mail address")
    with consent_refused:
        messages.record_consent(db.session, SYSTEM, no_address, confirmations=True, reminders=True, now=NOW)
    assert outbox() == []


def test_nothing_automatic_to_a_client_who_cannot_be_booked(desk, sam, inbox):
    appointment = book(desk, at(MONDAY, "10:00"))  # confirmation written while Sam could be booked
    client_services.set_standing(db.session, SYSTEM, sam, "moved_on", "Ended for safety.", now=NOW)
    db.session.commit()
    run_jobs()
    assert inbox.messages == []
    [message] = outbox()
    assert message.status == "cancelled" and "cannot be booked" in message.outcome
    scheduling_services.cancel(db.session, SYSTEM, appointment, "Ended for safety.", now=NOW, by_practice=True)
    db.session.commit()
    assert len(outbox()) == 1  # no cancellation confirmation is even written


# Reminders -------------------------------------------------------------------------------------

def reminders() -> list[Message]:
    return outbox(Message.kind == "appointment.reminder")


def test_a_reminder_is_sent_once_when_due_and_again_at_the_next_offset(desk, sam, inbox):
    appointment = book(desk, at(MONDAY, "14:00"))  # 48 and 2 hours before: Saturday 14:00, Monday 12:00
    run_jobs()
    inbox.messages.clear()
    clock().at = at(MONDAY - timedelta(days=2), "13:59")
    run_jobs()
    assert reminders() == []
    clock().at = at(MONDAY - timedelta(days=2), "14:00")
    run_jobs()
    clock().advance(minutes=5)
    run_jobs()
    [reminder] = inbox.messages
    assert reminder.email["Subject"] == "Reminder: your appointment on Monday 30 November 2026"
    assert "Monday 30 November 2026 at 14:00" in reminder.text and "https://harbour.example/practice-policy" in reminder.text
    assert reminder.email["List-Unsubscribe"]
    clock().at = at(MONDAY, "12:01")
    run_jobs()
    clock().advance(minutes=3)
    run_jobs()
    assert len(inbox.messages) == 2 and len(reminders()) == 2
    assert {m.key for m in reminders()} == {f"reminder:{appointment.id}:20261130T1400Z:48h",
                                            f"reminder:{appointment.id}:20261130T1400Z:2h"}


def test_after_a_pause_only_the_latest_reminder_due_goes(desk, sam, inbox):
    book(desk, at(MONDAY, "14:00"))
    clock().at = at(MONDAY, "12:30")  # both the 48-hour and the 2-hour reminders are due
    run_jobs()
    assert [m.key.rsplit(":", 1)[1] for m in reminders()] == ["2h"]


def test_no_reminder_for_a_cancelled_appointment_or_a_blocked_client(desk, sam, make_client, inbox):
    cancelled = book(desk, at(MONDAY, "10:00"))
    scheduling_services.cancel(db.session, SYSTEM, cancelled, "Client phoned", now=NOW)
    dee = make_client("Dee", email="dee@example.org")
    consent(dee)
    book(desk, at(MONDAY, "14:00"), client=dee)
    client_services.set_standing(db.session, SYSTEM, dee, "moved_on", "Not coming back.", now=NOW)
    db.session.commit()
    clock().at = at(MONDAY, "09:00")
    run_jobs()
    assert reminders() == []


def test_a_reminder_written_before_a_cancellation_is_not_sent(desk, sam, inbox):
    appointment = book(desk, at(MONDAY, "14:00"))
    run_jobs()  # the booking's confirmation
    clock().at = at(MONDAY, "12:00")
    with patch_send_jobs_away():
        run_jobs()  # the reminder is written, its job not yet run
    scheduling_services.cancel(db.session, SYSTEM, appointment, "Client phoned", now=clock().at)
    db.session.commit()
    run_jobs()
    [reminder] = reminders()
    assert reminder.status == "cancelled" and reminder.outcome == "The appointment is no longer booked."
    assert [m.email["Subject"] for m in inbox.messages] == ["Your appointment is booked", "Your appointment is cancelled"]


class patch_send_jobs_away:
    """Run the jobs of one burst but the sending ones (they stay queued)."""

    def __enter__(self):
        self.original = sending.SEND.run
        from practice.jobs import registry

        self.registry = registry
        registry.KINDS[sending.SEND.name] = registry.JobKind(sending.SEND.name, "E-mail", self._later)
        return self

    @staticmethod
    def _later(ctx):
        raise sending.TryAgain("not now")

    def __exit__(self, *exc):
        self.registry.KINDS[sending.SEND.name] = sending.SEND
        db.session.execute(sa.update(Job).where(Job.kind == sending.SEND.name)
                           .values(status="queued", attempts=0, run_after=NOW - timedelta(days=1)))
        db.session.execute(sa.update(Message).values(server_reply="", last_attempt_at=None))
        db.session.commit()


def test_no_reminder_is_written_in_quiet_hours(desk, sam, inbox):
    messages.update_settings(db.session, SYSTEM, confirmations=True, reminder_hours_text="2",
                             quiet_from=time(21, 0), quiet_until=time(8, 0), now=NOW)
    book(desk, at(MONDAY, "09:00"))  # its 2-hour reminder falls due at 07:00, in the quiet hours
    db.session.commit()
    clock().at = at(MONDAY, "07:00")
    run_jobs()
    assert reminders() == []
    clock().at = at(MONDAY, "08:00")
    run_jobs()
    clock().advance(minutes=1)
    run_jobs()
    [reminder] = reminders()
    assert reminder.status == "sent" and reminder.sent_at >= at(MONDAY, "08:00")


@pytest.mark.parametrize("text, message", [
    ("48, two", "Write whole hours"), ("0", "from 1 to 336"), ("1,2,3,4,5", "At most 4"),
])
def test_reminder_hours_are_checked(practice, text, message):
    with pytest.raises(DomainError, match=message):
        messages.update_settings(db.session, SYSTEM, confirmations=True, reminder_hours_text=text,
                                 quiet_from=None, quiet_until=None, now=NOW)


# Delivery: refused, retried, never twice -----------------------------------------------------------

def test_a_server_that_refuses_then_accepts_delivers_exactly_one_copy(desk, sam, inbox):
    inbox.refuse_data.extend(["451 4.3.0 Try again later", "421 4.7.0 Too busy"])
    book(desk, at(MONDAY, "10:00"))
    run_jobs()
    [message] = outbox()
    assert message.status == "waiting" and message.server_reply == "DATA: 451 4.3.0 Try again later"
    job = db.session.get(Job, message.job_id)
    assert (job.status, job.attempts) == ("queued", 1) and job.run_after > NOW
    for _ in range(2):
        clock().at = db.session.get(Job, message.job_id).run_after
        run_jobs()
        db.session.expire_all()
    assert len(inbox.messages) == 1
    [message] = outbox()
    assert message.status == "sent" and db.session.get(Job, message.job_id).attempts == 3


def test_a_permanent_refusal_fails_at_once_with_the_servers_answer(desk, sam, inbox):
    inbox.refuse_rcpt.append("550 5.1.1 No such mailbox")
    book(desk, at(MONDAY, "10:00"))
    run_jobs()
    [message] = outbox()
    assert message.status == "failed" and message.server_reply == "RCPT TO: 550 5.1.1 No such mailbox"
    assert message.handed_over_at is None and inbox.messages == []
    clock().advance(hours=5)
    assert run_jobs() == 0 or outbox()[0].status == "failed"


def test_a_server_that_cannot_be_reached_is_tried_again_then_sends(app, desk, sam, inbox, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_MAIL_PORT", 1)  # nothing listens there
    book(desk, at(MONDAY, "10:00"))
    run_jobs()
    [message] = outbox()
    assert message.status == "waiting" and message.server_reply.startswith("Could not reach 127.0.0.1:1")
    monkeypatch.setitem(app.config, "PRACTICE_MAIL_PORT", inbox.port)
    clock().at = db.session.get(Job, message.job_id).run_after
    run_jobs()
    assert len(inbox.messages) == 1 and outbox()[0].status == "sent"


class WorkerKilled(BaseException):
    """Stands for the worker process dying (a power cut, SIGKILL): nothing after it runs."""


def test_a_worker_killed_after_sending_but_before_recording_does_not_send_twice(desk, sam, inbox, monkeypatch):
    book(desk, at(MONDAY, "10:00"))
    real_deliver = sending.deliver

    def deliver_then_die(*args, **kwargs):
        real_deliver(*args, **kwargs)  # the server has the message
        raise WorkerKilled()

    monkeypatch.setattr(sending, "deliver", deliver_then_die)
    with pytest.raises(WorkerKilled):
        make_worker("worker-a").run(burst=True)
    db.session.rollback()
    assert len(inbox.messages) == 1
    [message] = outbox()
    assert message.status == "waiting" and message.handed_over_at is not None  # recorded before the content went
    monkeypatch.setattr(sending, "deliver", real_deliver)
    clock().advance(seconds=601)  # the dead worker's lease runs out; another takes the job
    make_worker("worker-b").run(burst=True)
    assert len(inbox.messages) == 1
    [message] = outbox()
    assert message.status == "failed" and message.message_id in message.outcome
    assert "may have been delivered" in message.outcome


def test_a_worker_killed_before_the_content_went_sends_it_on_the_next_try(desk, sam, inbox, monkeypatch):
    book(desk, at(MONDAY, "10:00"))

    def die(*args, **kwargs):
        raise WorkerKilled()

    monkeypatch.setattr(sending, "deliver", die)
    with pytest.raises(WorkerKilled):
        make_worker("worker-a").run(burst=True)
    db.session.rollback()
    monkeypatch.undo()
    clock().advance(seconds=601)
    make_worker("worker-b").run(burst=True)
    assert len(inbox.messages) == 1 and outbox()[0].status == "sent"


def test_a_message_cancelled_while_its_envelope_is_accepted_is_not_sent(desk, sam, inbox, monkeypatch):
    book(desk, at(MONDAY, "10:00"))
    real_hand_over = sending._hand_over

    def cancelled_meanwhile(ctx, message_id):
        with ctx.separately() as session:
            session.execute(sa.update(Message).where(Message.id == message_id).values(status="cancelled"))
        return real_hand_over(ctx, message_id)

    monkeypatch.setattr(sending, "_hand_over", cancelled_meanwhile)
    run_jobs()
    assert inbox.messages == [] and outbox()[0].status == "cancelled"


# Waiting for e-mail to be configured -------------------------------------------------------------

def test_without_a_server_messages_wait_and_the_admin_sees_why(app, client, desk, sam, users, login, inbox,
                                                                monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_MAIL_SERVER", None)
    book(desk, at(MONDAY, "10:00"))
    assert run_jobs() == 0  # no job: nothing can be sent, and the scheduler does not run either
    [message] = outbox()
    assert message.status == "waiting" and message.job_id is None
    login(users["admin"])
    page = client.get("/messages/").get_data(as_text=True)
    assert "No mail server is configured: set PRACTICE_MAIL_SERVER." in page
    assert "Waiting: e-mail is not configured yet." in page
    monkeypatch.setitem(app.config, "PRACTICE_MAIL_SERVER", "127.0.0.1")
    run_jobs()  # the job that runs every minute queues it; then it is sent
    assert len(inbox.messages) == 1 and outbox()[0].status == "sent"


# Letters by e-mail ---------------------------------------------------------------------------------

def issue_letter(record_, channel="email", kind="custom"):
    from practice.letters import services as letter_services
    from practice.letters.compose import Request
    from practice.settings.services import get_practice

    letter = letter_services.issue(
        db.session, Actor(record_["admin"]),
        Request(kind=kind, client=record_["client"], author=record_["practitioner"], channel=channel,
                body="Dear Sam,\n\nYour receipt for November is enclosed.\n\nWith best wishes"),
        profile=get_practice(db.session), now=NOW)
    db.session.commit()
    return letter


@pytest.fixture
def letter_record(sam, desk, users):
    practitioner, _, client = desk
    return {"client": client, "practitioner": practitioner, "admin": users["admin"]}


def test_a_letter_by_email_arrives_with_its_frozen_pdf_and_is_recorded_when_sent(client, letter_record, inbox,
                                                                                  users, login):
    letter = issue_letter(letter_record)
    communications = lambda: list(db.session.scalars(  # noqa: E731
        sa.select(Communication).where(Communication.kind == "letter_sent")))
    assert communications() == []  # not at issue: when it is sent
    clock().advance(minutes=3)
    run_jobs()
    [received] = inbox.messages
    assert received.email["Subject"] == "A letter from Harbour Street Massage"
    [(filename, (media_type, pdf))] = received.attachments().items()
    assert (filename, media_type) == (f"letter-2026-11-23-{letter.uuid[:8]}.pdf", "application/pdf")
    assert "custom" not in filename  # the kind of letter is not in its name in the e-mail
    assert hashlib.sha256(pdf).hexdigest() == db.session.get(Letter, letter.id).sha256
    assert "receipt" not in received.text  # a neutral note: nothing of the letter in the body
    [sent] = communications()
    message = outbox()[0]
    assert sent.occurred_at == NOW + timedelta(minutes=3) and message.message_id in sent.summary
    assert sent.channel == "email" and sent.recorded_by_id == users["admin"].id
    login(users["admin"])
    page = client.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "Sent by e-mail to sam@example.org" in page


def test_a_letter_by_email_needs_an_address_and_goes_without_consent(letter_record, inbox, make_client):
    letter_record["client"].email = ""
    db.session.commit()
    with pytest.raises(DomainError, match="no e-mail address"):
        issue_letter(letter_record)
    db.session.rollback()
    letter_record["client"].email = "sam@example.org"
    db.session.commit()
    messages.record_consent(db.session, SYSTEM, letter_record["client"], confirmations=False, reminders=False,
                            now=NOW)
    issue_letter(letter_record)
    run_jobs()
    assert len(inbox.messages) == 1  # a letter is the practitioner's own decision, not automatic


def test_a_failed_letter_shows_on_its_page(client, letter_record, inbox, users, login):
    inbox.refuse_rcpt.append("550 5.1.1 No such mailbox")
    letter = issue_letter(letter_record)
    run_jobs()
    login(users["admin"])
    page = client.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "Not sent" in page and "550 5.1.1 No such mailbox" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterDelivery)) == 1


# Consent and unsubscribing --------------------------------------------------------------------------

def test_consent_is_recorded_with_when_and_who_and_shown(client, sam, users, login):
    login(users["front_desk"])
    response = client.post(f"/clients/{sam.id}/email-consent", data={"consent-confirmations": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(EmailConsent, sam.id)
    assert (row.confirmations, row.reminders, row.method, row.recorded_by_id) == (
        True, False, "staff", users["front_desk"].id)
    page = client.get(f"/clients/{sam.id}").get_data(as_text=True)
    assert "Agreed to confirmations by e-mail; recorded 23 November 2026 by Fran Desk." in page
    # The form is on its own page, linked from the client page, with the choices as recorded.
    assert f'href="/clients/{sam.id}/email-consent"' in page
    form = client.get(f"/clients/{sam.id}/email-consent").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="consent-confirmations"', form)
    assert not re.search(r'<input checked[^>]*name="consent-reminders"', form)


def test_the_client_page_reads_the_email_choices_with_the_client(client, sam, make_client, users, login,
                                                                  count_queries):
    """In the client's statement, not one of their own (on PostgreSQL a round trip for one
    row); a client never asked is still found, with nothing recorded."""
    login(users["front_desk"])
    client.post(f"/clients/{sam.id}/email-consent", data={"consent-reminders": "y"})
    never_asked = make_client("Never Asked")
    for someone, shown in ((sam, "Agreed to reminders by e-mail; recorded 23 November 2026 by Fran Desk."),
                           (never_asked, "Not asked yet: nothing is sent by itself")):
        with count_queries() as statements:
            page = client.get(f"/clients/{someone.id}").get_data(as_text=True)
        assert shown in page
        reads = [statement for statement in statements if "email_consent" in statement]
        assert len(reads) == 1 and "FROM client LEFT OUTER JOIN email_consent" in reads[0], reads


def test_consent_refused_shows_its_page_again(client, make_client, users, login):
    """Without an e-mail address there is nothing to agree to: the form says so, where it is."""
    login(users["front_desk"])
    nobody = make_client("No Mail")
    response = client.post(f"/clients/{nobody.id}/email-consent", data={"consent-reminders": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "has no e-mail address yet" in page
    assert re.search(r'<input checked[^>]*name="consent-reminders"', page)
    assert db.session.get(EmailConsent, nobody.id) is None


def test_the_unsubscribe_link_stops_reminders_only(app, client, desk, sam, inbox):
    book(desk, at(MONDAY, "10:00"))
    run_jobs()
    link = inbox.messages[0].email["List-Unsubscribe"].strip().strip("<>").removeprefix("https://harbour.example")
    assert "Stop appointment reminders" in client.get(link).get_data(as_text=True)
    response = client.post(link)
    assert response.status_code == 200 and "no more appointment reminders" in response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(EmailConsent, sam.id)
    assert (row.confirmations, row.reminders, row.method, row.recorded_by_id) == (True, False, "link", None)
    assert client.get(link[:-3] + "abc").status_code == 404


def test_one_click_unsubscribe_needs_no_form_token(database_url, tmp_path, inbox):
    """RFC 8058: the mail program posts List-Unsubscribe=One-Click, with no CSRF token."""
    from tests.conftest import set_up_practice

    app = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True, **mail_config(inbox.port))
    with app.app_context():
        set_up_practice()
        person = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(
            display_name="Ola", email="ola@example.org"), phone_region="GB", now=NOW)
        consent(person)
        token = messages.unsubscribe_token(person)
        response = app.test_client().post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(EmailConsent, person.id).reminders is False
        db.session.remove()
        db.engine.dispose()


# The policy acknowledged online -----------------------------------------------------------------

def link_in(received, prefix: str) -> str:
    """The path of the first link to `prefix` in a received message's text."""
    [url] = [word for word in received.text.split() if word.startswith(f"https://harbour.example{prefix}")][:1]
    return url.removeprefix("https://harbour.example")


def test_the_acknowledgement_link_works_once_expires_and_is_recorded(client, sam, users, login, inbox):
    from practice.policies.models import PolicyAcknowledgement
    from practice.policies.queries import current_policy

    login(users["front_desk"])
    assert client.post(f"/clients/{sam.id}/acknowledgements/ask").status_code == 302
    run_jobs()
    [received] = inbox.messages
    assert received.email["Subject"] == "Please read our policy and acknowledge it"
    version = current_policy(db.session, NOW).version
    link = link_in(received, "/acknowledge/")
    [sent] = db.session.scalars(sa.select(Communication).where(Communication.kind == "policy_reminder"))
    assert outbox()[0].message_id in sent.summary  # the policy sent, dated when it went

    visitor = current_app.test_client()  # the client, not signed in
    page = visitor.get(link)
    assert page.status_code == 200 and f"version {version}" in page.get_data(as_text=True)
    refused = visitor.post(link, data={"version": str(version)})  # the box not ticked
    assert refused.status_code == 422 and "Tick the box" in refused.get_data(as_text=True)
    stale = visitor.post(link, data={"version": str(version + 1), "agree": "y"})  # not the version in force
    assert stale.status_code == 422 and f"changed to version {version}" in stale.get_data(as_text=True)
    done = visitor.post(link, data={"version": str(version), "agree": "y"},
                        environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert done.status_code == 200 and "is recorded" in done.get_data(as_text=True)
    online_acks = sa.select(PolicyAcknowledgement).where(PolicyAcknowledgement.method == "online")
    [ack] = db.session.scalars(online_acks)
    assert (ack.method, ack.policy.version, ack.recorded_at, ack.address, ack.recorded_by_id) == (
        "online", version, NOW, "203.0.113.7", None)
    [acknowledged] = db.session.scalars(sa.select(Communication).where(Communication.kind == "policy_acknowledged"))
    assert "203.0.113.7" in acknowledged.summary and f"version {version}" in acknowledged.summary

    for method in ("get", "post"):  # once only
        again = getattr(visitor, method)(link, data={"version": str(version), "agree": "y"})
        assert again.status_code == 404 and "used already" in again.get_data(as_text=True)
    assert len(db.session.scalars(online_acks).all()) == 1
    assert visitor.get(link[:-4] + "AAAA").status_code == 404  # a changed token

    client.post(f"/clients/{sam.id}/acknowledgements/ask")
    run_jobs()
    second = link_in(inbox.messages[1], "/acknowledge/")
    clock().advance(days=current_app.config["PRACTICE_ACKNOWLEDGE_LINK_DAYS"])
    expired = visitor.post(second, data={"version": str(version), "agree": "y"})
    assert expired.status_code == 404 and "expired" in expired.get_data(as_text=True)
    assert len(db.session.scalars(online_acks).all()) == 1


def test_no_link_to_acknowledge_for_a_client_who_cannot_be_booked(sam, inbox):
    client_services.set_standing(db.session, SYSTEM, sam, "moved_on", "Ended for safety.", now=NOW)
    db.session.commit()
    with pytest.raises(DomainError, match="cannot be booked"):
        online.ask_to_acknowledge(db.session, SYSTEM, sam, valid_for=timedelta(days=14), now=NOW)


# Invitations and password resets ----------------------------------------------------------------

def test_invitations_and_reset_links_go_by_email_when_it_is_configured(app, client, users, login, inbox,
                                                                      monkeypatch):
    login(users["admin"])
    invited = client.post("/users", data={"name": "Noor New", "email": "noor@harbour.example",
                                          "role": "front_desk"}, follow_redirects=True)
    assert "invitation is on its way to noor@harbour.example" in invited.get_data(as_text=True)
    reset = client.post(f"/users/{users['practitioner'].id}/reset-link", follow_redirects=True)
    assert f"on its way to {users['practitioner'].email}" in reset.get_data(as_text=True)
    run_jobs()
    assert [m.rcpt_tos for m in inbox.messages] == [["noor@harbour.example"], [users["practitioner"].email]]
    assert [m.email["Subject"] for m in inbox.messages] == ["Your account at Harbour Street Massage",
                                                             "Set a new password for Harbour Street Massage"]
    visitor = current_app.test_client()
    assert visitor.get(link_in(inbox.messages[0], "/invite/")).status_code == 200

    monkeypatch.setitem(app.config, "PRACTICE_MAIL_SERVER", None)  # not configured: the link is shown
    shown = client.post(f"/users/{users['front_desk'].id}/reset-link", follow_redirects=True)
    assert "/invite/" in shown.get_data(as_text=True) and len(outbox()) == 2


# The settings page, the test message and the outbox page ----------------------------------------

def test_the_settings_show_the_server_without_its_password_and_send_a_test(app, client, users, login, inbox,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_MAIL_USERNAME", "practice-mailer")
    monkeypatch.setitem(app.config, "PRACTICE_MAIL_PASSWORD", "correct horse battery")
    login(users["admin"])
    page = client.get("/settings/messages").get_data(as_text=True)
    assert "127.0.0.1" in page and "practice-mailer" in page and "set (not shown)" in page
    assert "correct horse" not in page
    bad = client.post("/settings/messages/test", data={"to": "not an address"})
    assert bad.status_code == 422 and outbox() == []
    monkeypatch.setitem(app.config, "PRACTICE_MAIL_USERNAME", None)  # the test server has no AUTH
    sent = client.post("/settings/messages/test", data={"to": "owner@harbour.example"})
    assert sent.status_code == 302
    run_jobs()
    [received] = inbox.messages
    assert received.rcpt_tos == ["owner@harbour.example"] and "correct horse" not in received.raw.decode()
    show = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "250 2.0.0 Ok: queued as TEST1" in show


def test_an_admin_cancels_a_waiting_message_and_sends_a_failed_one_again(client, desk, sam, users, login, inbox):
    inbox.refuse_rcpt.append("550 5.1.1 No such mailbox")
    book(desk, at(MONDAY, "10:00"))
    run_jobs()
    book(desk, at(MONDAY, "14:00"))
    failed, waiting = outbox()
    login(users["admin"])
    listed = client.get("/messages/?status=failed").get_data(as_text=True)
    assert "550 5.1.1 No such mailbox" in listed
    assert client.post(f"/messages/{waiting.id}/cancel").status_code == 302
    assert client.post(f"/messages/{failed.id}/send-again").status_code == 302
    run_jobs()
    assert [(m.status, m.message_id) for m in outbox()] == [("sent", failed.message_id),
                                                            ("cancelled", waiting.message_id)]
    assert len(inbox.messages) == 1
    refused = client.post(f"/messages/{failed.id}/cancel", follow_redirects=True)
    assert "It is sent already." in refused.get_data(as_text=True)
    again = client.post(f"/messages/{failed.id}/send-again", follow_redirects=True)
    assert "Only a failed message can be sent again." in again.get_data(as_text=True)
    run_jobs()
    assert len(inbox.messages) == 1


def test_the_outbox_page_takes_a_fixed_number_of_queries(app, client, users, login, practice, count_queries):
    app.config["PRACTICE_PAGE_SIZE"] = 10
    login(users["admin"])

    def add(number):
        for n in range(number):
            messages.queue_message(db.session, kind="test", to=f"person{n}@example.org", subject=f"Test {n}",
                                   template="test", context={"settings": messages.mail(db.session)},
                                   actor=Actor(users["admin"]), now=NOW)
        db.session.commit()

    add(2)
    with count_queries() as few:
        client.get("/messages/")
    add(12)
    with count_queries() as many:
        page = client.get("/messages/").get_data(as_text=True)
    assert len(many) == len(few) and page.count('class="card mb-2"') == 10
