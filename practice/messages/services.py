"""Every write about messages: the outbox (queueing a message in the caller's transaction,
cancelling, sending again), the practice's message settings, and each client's consent.
Services flush and never commit; the worker sends (practice.messages.sending).

`queue_message` is the outbox's one way in, for every domain: a message to an address, with a
subject, a plain-text and an HTML body from a template, attachments, a kind, optionally the
client (and appointment) it is about, and a key that makes it once."""

import hashlib
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import select, update

from practice.audit.services import SYSTEM, Actor, record
from practice.clients.models import Client
from practice.errors import DomainError
from practice.jobs.services import enqueue
from practice.messages import links
from practice.messages.mail import MailSettings, Part, mail_settings, new_message_id
from practice.messages.models import EmailConsent, Message, MessageAttachment, MessageSettings
from practice.messages.registry import kind_named
from practice.settings.services import get_practice, practice_zone
from practice.validation import checked_email

SEND_JOB = "messages.send"
UNSUBSCRIBE = "practice.unsubscribe"  # the salt of the links that stop reminders
DEFAULT_REMINDER_HOURS = (48, 2)
DEFAULT_QUIET = (time(21, 0), time(8, 0))
MAX_REMINDERS = 4
LONGEST_REMINDER_HOURS = 14 * 24


def mail(session) -> MailSettings:
    """The SMTP settings as configured (the sender falls back to the practice's e-mail)."""
    return mail_settings(current_app.config, get_practice(session))


# The practice's settings ---------------------------------------------------------------------

def message_settings(session) -> MessageSettings:
    """The practice's row, or the defaults (not saved) until an admin saves them."""
    row = session.scalar(select(MessageSettings).limit(1))
    if row is None:
        row = MessageSettings(confirmations=True, reminder_hours=",".join(map(str, DEFAULT_REMINDER_HOURS)),
                              quiet_from=DEFAULT_QUIET[0], quiet_until=DEFAULT_QUIET[1])
    return row


def reminder_hours(settings: MessageSettings) -> list[int]:
    return sorted({int(part) for part in settings.reminder_hours.split(",") if part.strip()}, reverse=True)


def parse_reminder_hours(text: str) -> list[int]:
    """'48, 2' -> [48, 2]; refused with a message next to the field."""
    parts = [part.strip().removesuffix("h").strip() for part in (text or "").replace(";", ",").split(",")]
    parts = [part for part in parts if part]
    if not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):
        raise DomainError("Write whole hours separated by commas, for example 48, 2.", field="reminder_hours")
    hours = sorted({int(part) for part in parts}, reverse=True)
    if any(not 1 <= h <= LONGEST_REMINDER_HOURS for h in hours):
        raise DomainError(f"Use hours from 1 to {LONGEST_REMINDER_HOURS} (two weeks).", field="reminder_hours")
    if len(hours) > MAX_REMINDERS:
        raise DomainError(f"At most {MAX_REMINDERS} reminders before an appointment.", field="reminder_hours")
    return hours


def update_settings(session, actor: Actor, *, confirmations: bool, reminder_hours_text: str,
                    quiet_from: time | None, quiet_until: time | None, now: datetime) -> MessageSettings:
    hours = parse_reminder_hours(reminder_hours_text)
    if (quiet_from is None) != (quiet_until is None):
        raise DomainError("Give both ends of the quiet hours, or neither.",
                          field="quiet_until" if quiet_until is None else "quiet_from")
    if quiet_from is not None and quiet_from == quiet_until:
        raise DomainError("The quiet hours start and end at the same time.", field="quiet_until")
    row = session.scalar(select(MessageSettings).limit(1))
    if row is None:
        row = MessageSettings(updated_at=now)
        session.add(row)
    values = {"confirmations": bool(confirmations), "reminder_hours": ",".join(map(str, hours)),
              "quiet_from": quiet_from, "quiet_until": quiet_until}
    changes = {name: [str(getattr(row, name)), str(value)] for name, value in values.items()
               if getattr(row, name) != value}
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at, row.updated_by_id = now, actor.user.id if actor.user else None
    session.flush()
    if changes:
        record(session, actor, "messages.settings", row, now=now, **changes)
        session.flush()
    return row


def in_quiet_hours(settings: MessageSettings, local: time) -> bool:
    start, end = settings.quiet_from, settings.quiet_until
    if start is None or end is None:
        return False
    return start <= local < end if start < end else local >= start or local < end


def quiet_hours_end(session, settings: MessageSettings, now: datetime) -> datetime | None:
    """When the quiet hours around `now` end (None: `now` is not in them)."""
    zone = practice_zone(session)
    local = now.astimezone(zone)
    if not in_quiet_hours(settings, local.time().replace(tzinfo=None)):
        return None
    day = local.date() if local.time().replace(tzinfo=None) < settings.quiet_until else local.date() + timedelta(days=1)
    return datetime.combine(day, settings.quiet_until, zone).astimezone(now.tzinfo)


# Consent ---------------------------------------------------------------------------------------

def consent_of(session, client_id: int) -> EmailConsent | None:
    return session.get(EmailConsent, client_id)


def record_consent(session, actor: Actor, client: Client, *, confirmations: bool, reminders: bool,
                   now: datetime) -> EmailConsent:
    """What the client agreed to, recorded by a person at the practice (with when and who)."""
    if (confirmations or reminders) and not client.email:
        raise DomainError(f"{client.display_name} has no e-mail address yet: add one first.",
                          field="confirmations")
    return _set_consent(session, actor, client, confirmations=confirmations, reminders=reminders,
                        method="staff", now=now)


def _set_consent(session, actor: Actor, client: Client, *, confirmations: bool, reminders: bool,
                 method: str, now: datetime) -> EmailConsent:
    consent = session.get(EmailConsent, client.id)
    if consent is None:
        consent = EmailConsent(client_id=client.id)
        session.add(consent)
    before = (consent.confirmations, consent.reminders) if consent.recorded_at else (False, False)
    consent.confirmations, consent.reminders = bool(confirmations), bool(reminders)
    consent.recorded_at, consent.method = now, method
    consent.recorded_by_id = actor.user.id if actor.user else None
    consent.address = actor.address[:64]
    session.flush()
    record(session, actor, "client.email_consent", client, now=now, method=method,
           confirmations=[before[0], consent.confirmations], reminders=[before[1], consent.reminders])
    session.flush()
    return consent


def agree_when_booking(session, client: Client, *, address: str, now: datetime) -> None:
    """The client asked for reminders on the online booking form (practice.booking): they
    agree to confirmations and reminders, recorded as their own choice with the address."""
    consent = session.get(EmailConsent, client.id)
    if consent is not None and consent.confirmations and consent.reminders:
        return
    _set_consent(session, Actor(None, address), client, confirmations=True, reminders=True, method="online",
                 now=now)


def unsubscribe_token(client: Client) -> str:
    return links.sign(UNSUBSCRIBE, [client.id])


def client_for_unsubscribe(session, token: str) -> Client | None:
    payload = links.unsign(UNSUBSCRIBE, token)
    if not (isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], int)):
        return None
    return session.get(Client, payload[0])


def stop_reminders(session, client: Client, *, address: str, now: datetime) -> None:
    """The client followed the link in a message: no more reminders (confirmations stay as
    they were). Recorded as the client's own choice, with where the link was used from."""
    consent = session.get(EmailConsent, client.id)
    if consent is not None and not consent.reminders:
        return
    _set_consent(session, Actor(None, address), client,
                 confirmations=consent.confirmations if consent else False, reminders=False,
                 method="link", now=now)


def automatic_refusal(session, kind_name: str, client: Client | None) -> str | None:
    """Why an automatic message may not go to this client (None: it may). The same rule
    when the message is written and when it is sent."""
    kind = kind_named(kind_name)
    if not kind.automatic:
        return None
    if client is None or not client.email:
        return "The client has no e-mail address."
    if client.archived:
        return "The client's record is archived."
    if not client.bookable:
        return "Nothing is sent by itself to a client who cannot be booked."
    consent = session.get(EmailConsent, client.id)
    if consent is None or not getattr(consent, kind.consent):
        return f"The client has not agreed to {kind.consent} by e-mail."
    if kind.consent == "confirmations" and not message_settings(session).confirmations:
        return "The practice has turned confirmations off."
    return None


# The outbox ------------------------------------------------------------------------------------

def _render(template: str, extension: str, context: dict) -> str:
    name = f"practice/messages/email/{template}.{extension}"
    try:
        return render_template(name, **context)
    except TemplateNotFound:
        if extension == "txt":
            raise
        return ""


def queue_message(session, *, kind: str, to: str, subject: str, template: str, context: dict,
                  now: datetime, to_name: str = "", attachments: Sequence[Part] = (),
                  client: Client | None = None, appointment=None, about_at: datetime | None = None,
                  key: str | None = None, headers: dict | None = None,
                  actor: Actor = SYSTEM) -> Message | None:
    """Write a message to the outbox in the caller's transaction; with e-mail configured, the
    job that sends it is queued with it (otherwise it waits, and the outbox says why).

    The bodies are rendered now from templates/practice/messages/email/<template>.txt and
    .html (the HTML is optional), with the practice's profile as `practice`. `about_at` is the
    moment it speaks of (an appointment's start), which its kind may check again when it is
    sent. With a `key`, a message already written under it is returned instead. An automatic
    kind that may not go to `client` writes nothing and returns None."""
    if key is not None:
        existing = session.scalar(select(Message).where(Message.key == key))
        if existing is not None:
            return existing
    if automatic_refusal(session, kind, client) is not None:
        return None
    address = checked_email(to, "to")
    if not address:
        raise DomainError("There is no e-mail address to send it to.", field="to")
    settings = mail(session)
    context = {"practice": get_practice(session), **context}
    message = Message(
        kind=kind, to_address=address, to_name=to_name[:200], subject=" ".join(subject.split())[:300],
        text_body=_render(template, "txt", context), html_body=_render(template, "html", context),
        client_id=client.id if client else None, appointment_id=appointment.id if appointment else None,
        about_at=about_at, key=key, message_id=new_message_id(settings.domain), status="waiting", created_at=now,
        created_by_id=actor.user.id if actor.user else None,
    )
    headers = dict(headers or {})
    if kind_named(kind).automatic:  # RFC 3834: no auto-replies to it
        headers.setdefault("Auto-Submitted", "auto-generated")
    message.headers = headers
    session.add(message)
    for part in attachments:
        session.add(MessageAttachment(message=message, filename=part.filename[:200], media_type=part.media_type,
                                      size=len(part.data), sha256=hashlib.sha256(part.data).hexdigest(),
                                      data=part.data))
    session.flush()
    record(session, actor, "message.queue", message, now=now, kind=kind, client_id=message.client_id,
           to=address)
    if settings.ready:
        queue_send_job(session, message, now=now)
    session.flush()
    return message


def first_name(name: str) -> str:
    words = (name or "").split()
    return words[0] if words else ""


def queue_for_client(session, *, kind: str, client: Client, subject: str, template: str, context: dict,
                     now: datetime, **options) -> Message | None:
    """A message to a client at their address, greeting them by first name, with the link
    that stops reminders (also as List-Unsubscribe, which mail programs offer as a button)."""
    unsubscribe = links.external("messages_public.unsubscribe", token=unsubscribe_token(client))
    headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return queue_message(
        session, kind=kind, to=client.email, to_name=first_name(client.display_name), subject=subject,
        template=template, context={"first_name": first_name(client.display_name),
                                    "unsubscribe_url": unsubscribe, **context},
        client=client, headers=headers, now=now, **options)


def queue_send_job(session, message: Message, *, now: datetime, run_after: datetime | None = None):
    job = enqueue(session, SEND_JOB, {"message_id": message.id}, run_after, now=now,
                  title=f"E-mail {message.id}: {kind_named(message.kind).label}",
                  max_attempts=int(current_app.config["PRACTICE_MAIL_MAX_TRIES"]))
    message.job_id = job.id
    session.flush()
    return job


def queue_waiting(session, *, now: datetime, limit: int = 500) -> int:
    """Queue a sending job for each waiting message without one (they were written while
    e-mail was not configured). Row locks (PostgreSQL) keep two workers off one message."""
    waiting = session.scalars(
        select(Message).where(Message.status == "waiting", Message.job_id.is_(None))
        .order_by(Message.id).limit(limit).with_for_update(skip_locked=True)).all()
    for message in waiting:
        queue_send_job(session, message, now=now)
    return len(waiting)


def cancel_message(session, actor: Actor, message: Message, *, now: datetime) -> None:
    """Cancel a message that waits (not one the worker is handing to the server)."""
    from practice.jobs.models import Job

    cancelled = session.execute(
        update(Message).where(Message.id == message.id, Message.status == "waiting",
                              Message.handed_over_at.is_(None))
        .values(status="cancelled", finished_at=now, cancelled_by_id=actor.user.id if actor.user else None,
                outcome="Cancelled before it was sent.")
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(message)
    if not cancelled:
        raise DomainError("It is being sent right now." if message.status == "waiting"
                          else f"It is {message.status_label.lower()} already.")
    if message.job_id is not None:
        session.execute(update(Job).where(Job.id == message.job_id, Job.status == "queued")
                        .values(status="cancelled", finished_at=now))
    record(session, actor, "message.cancel", message, now=now, kind=message.kind)
    session.flush()


def send_again(session, actor: Actor, message: Message, *, now: datetime) -> None:
    """Queue a failed message again (with the same Message-ID). One whose earlier try was
    interrupted while the server took it may already have arrived: this is the admin's
    decision, recorded in the audit trail."""
    if message.status != "failed":
        raise DomainError("Only a failed message can be sent again.")
    was_handed_over = message.handed_over_at is not None
    message.status, message.finished_at, message.handed_over_at = "waiting", None, None
    message.outcome = ""
    session.flush()
    if mail(session).ready:
        queue_send_job(session, message, now=now)
    else:
        message.job_id = None
    record(session, actor, "message.send_again", message, now=now, kind=message.kind,
           after_unknown_outcome=was_handed_over)
    session.flush()


def send_test(session, actor: Actor, to: str, *, now: datetime) -> Message:
    """A test message through the whole path: the outbox, the worker and the server."""
    settings = mail(session)
    if not settings.ready:
        raise DomainError(" ".join(settings.problems), field="to")
    return queue_message(session, kind="test", to=to, subject="A test message from the practice",
                         template="test", context={"settings": settings, "asked_by": actor.user},
                         actor=actor, now=now)
