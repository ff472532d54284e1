"""Sending the outbox: one background job per message, and a job that runs every minute.

A message is sent at most once. The try that sends it:
1. reads the message; one already sent, cancelled or given to another job is left alone;
2. finds `handed_over_at` set when an earlier try was interrupted after the server had
   accepted the envelope and the content was about to go. SMTP gives no way to ask a server
   whether it took a message (there is no command to look a Message-ID up), so that try may
   or may not have delivered it: the message is failed as "outcome unknown", with its
   Message-ID to look for in the server's log, and is sent again only if an admin decides to;
3. checks the message is still wanted (the client may still be written to, the appointment
   still stands) and that e-mail is configured (otherwise it waits, without a job);
4. connects, has the envelope accepted (MAIL FROM, RCPT TO), then records `handed_over_at`
   in its own committed transaction, and only then hands the content over (DATA);
5. records the server's answer: sent (with what the kind records, in the job's own unit of
   work, committed with the job's "done"), refused for good (5xx: failed), or refused for now
   (4xx, or no connection: the answer is noted and the job tries again with backoff; failed
   after its last try). Until the content goes, nothing has been delivered, so a refusal or a
   crash before step 4 is simply tried again.

Handlers write nothing in their own transaction before the server answers: on SQLite the
moment recorded in step 4 is written on a second connection, which must not wait for the
first."""

from datetime import datetime, timedelta

from sqlalchemy import update

from practice import clock
from practice.jobs.registry import JobContext, JobFailed, JobKind, register
from practice.messages import links, services
from practice.messages.mail import OutcomeUnknown, Part, SendFailed, build, deliver
from practice.messages.models import Message
from practice.messages.registry import kind_named

UNKNOWN = ("An earlier try was interrupted while the mail server was taking the message, so it "
           "may have been delivered. SMTP cannot be asked whether it was: look for Message-ID "
           "{message_id} in the mail server's log. It is not sent again unless you send it again.")


class TryAgain(Exception):
    """The server refused for now, or could not be reached: the job is tried again later."""


def send_message(ctx: JobContext) -> None:
    session = ctx.session
    message = session.get(Message, ctx.payload["message_id"])
    if message is None:
        raise JobFailed("The message is not in the outbox any more.")
    if message.status != "waiting" or message.job_id != ctx.job.id:
        return  # sent, cancelled or given to another job meanwhile
    if message.handed_over_at is not None:
        return _finish(message, "failed", UNKNOWN.format(message_id=message.message_id), ctx.now)
    kind = kind_named(message.kind)
    reason = _reason_not_to_send(session, message, kind, ctx.now)
    if reason:
        return _finish(message, "cancelled", reason, ctx.now)
    settings = services.mail(session)
    if not settings.ready:
        message.job_id = None  # waits; queued again once e-mail is configured
        message.outcome = " ".join(settings.problems)
        session.flush()
        return None
    if kind.quiet:
        until = services.quiet_hours_end(session, services.message_settings(session), ctx.now)
        if until is not None:
            services.queue_send_job(session, message, now=ctx.now, run_after=until)
            return None
    base = settings.base_url
    email = build(sender=settings.sender, to_address=message.to_address, to_name=message.to_name,
                  subject=message.subject, text=links.resolve(message.text_body, base),
                  html=links.resolve(message.html_body, base), message_id=message.message_id, date=clock.now(),
                  headers={name: links.resolve(value, base) for name, value in (message.headers or {}).items()},
                  attachments=[Part(a.filename, a.media_type, a.data) for a in message.attachments])
    try:
        reply = deliver(settings, email, before_content=lambda: _hand_over(ctx, message.id))
    except SendFailed as failure:
        if failure.permanent or ctx.attempt >= ctx.job.max_attempts:
            session.refresh(message)  # as the hand-over left it: a definite refusal clears it
            message.server_reply, message.handed_over_at = failure.reply, None
            return _finish(message, "failed", "The server refused it." if failure.permanent else
                           f"Not sent after {ctx.attempt} tries.", clock.now())
        _note_try(ctx, message.id, failure.reply)
        raise TryAgain(failure.reply) from None
    except OutcomeUnknown as unknown:
        message.server_reply = str(unknown)
        return _finish(message, "failed", UNKNOWN.format(message_id=message.message_id), clock.now())
    if reply is None:  # cancelled at the last moment: nothing went
        return None
    return record_sent(session, message, reply, clock.now())


def record_sent(session, message: Message, reply: str, sent_at: datetime) -> None:
    """The mail server accepted the message: it is sent, and its kind records what follows
    (a letter's "letter sent" in the client's communications)."""
    message.status, message.sent_at, message.finished_at = "sent", sent_at, sent_at
    message.server_reply, message.outcome, message.last_attempt_at = reply, "", sent_at
    session.flush()
    kind = kind_named(message.kind)
    if kind.sent is not None:
        kind.sent(session, message, sent_at)


def _reason_not_to_send(session, message: Message, kind, now: datetime) -> str | None:
    client = message.client
    if client is not None and client.email != message.to_address:
        return "The client's e-mail address has changed since it was written."
    refusal = services.automatic_refusal(session, message.kind, client) if kind.automatic else None
    if refusal:
        return refusal
    return kind.still_wanted(session, message, now) if kind.still_wanted else None


def _finish(message: Message, status: str, outcome: str, now: datetime) -> None:
    message.status, message.outcome, message.finished_at = status, outcome, now
    message.last_attempt_at = message.last_attempt_at or now


def _hand_over(ctx: JobContext, message_id: int) -> bool:
    """Record, committed at once, that the content is about to go; False when the message
    was cancelled (or taken by another job) meanwhile."""
    with ctx.separately() as session:
        return session.execute(
            update(Message).where(Message.id == message_id, Message.status == "waiting",
                                  Message.handed_over_at.is_(None), Message.job_id == ctx.job.id)
            .values(handed_over_at=clock.now(), last_attempt_at=clock.now())
        ).rowcount == 1


def _note_try(ctx: JobContext, message_id: int, reply: str) -> None:
    """The server's answer to a try that will be repeated (the job's own work rolls back).
    A refusal is definite, even of the content: nothing was delivered, so the next try is
    free to hand it over again."""
    with ctx.separately() as session:
        session.execute(update(Message).where(Message.id == message_id)
                        .values(server_reply=reply, last_attempt_at=clock.now(), handed_over_at=None))


def every_minute(ctx: JobContext) -> None:
    """Queue the messages that waited for e-mail to be configured, and the reminders due."""
    from practice.messages import appointments

    services.queue_waiting(ctx.session, now=ctx.now)
    appointments.queue_due_reminders(ctx.session, now=ctx.now)


def _mail_ready(session) -> bool:
    return services.mail(session).ready


SEND = register(JobKind(services.SEND_JOB, "E-mail", send_message))
SCHEDULE = register(JobKind("messages.schedule", "Reminders and waiting e-mail", every_minute,
                            max_attempts=1, every=timedelta(minutes=1),
                            wanted=_mail_ready))
