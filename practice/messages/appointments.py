"""Messages about appointments: a confirmation when one is booked, moved or cancelled (with
the same .ics file the appointment page offers), and reminders at the hours the practice
chooses, written by the job that runs every minute.

What they say: the client's first name, the time, the practitioner's first name and the
service, the practice's cancellation window and lateness rule in two plain sentences, a link
to the policy and one that stops reminders. Never a reason (why the practice cancelled, a
standing, anything from the conduct record or a letter). Only to clients who agreed to them
and may be booked, checked again when each is sent."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload, object_session

from practice.clients.models import UNBOOKABLE_STANDINGS, Client
from practice.localtime import clock, long_day
from practice.messages import links, services
from practice.messages.mail import Part
from practice.messages.models import EmailConsent, Message
from practice.messages.registry import MessageKind, register
from practice.policies.queries import policy_in_force
from practice.scheduling import feeds, signals
from practice.scheduling.models import Appointment, Status
from practice.settings.services import practice_zone

BOOKED, MOVED, CANCELLED, REMINDER = ("appointment.booked", "appointment.moved", "appointment.cancelled",
                                      "appointment.reminder")


def policy_sentences(policy) -> list[str]:
    """The cancellation window and the lateness rule, in one sentence each."""
    hours, fee = policy.cancellation_window_hours, policy.late_cancel_fee_percent
    if not hours:
        window = "You can cancel or move your appointment at any time."
    elif fee:
        window = (f"To cancel or move your appointment, please tell us at least {hours} hours "
                  f"before it starts; with less notice, {fee}% of the price is charged.")
    else:
        window = f"To cancel or move your appointment, please tell us at least {hours} hours before it starts."
    lateness = ("If you arrive late, your session still ends at its booked time." if policy.session_ends_on_time
                else "If you arrive late, we give you the full session when the diary allows.")
    return [window, lateness]


def when(appointment: Appointment, zone: ZoneInfo) -> str:
    """'Monday 30 November 2026 at 10:00' ('01:30 GMT' when that time happens twice)."""
    return f"{long_day(appointment.start_at.astimezone(zone).date())} at {clock(appointment.start_at, zone)}"


def _context(session, appointment: Appointment, now: datetime) -> dict:
    return {
        "when": when(appointment, practice_zone(session)),
        "practitioner": services.first_name(appointment.practitioner.display_name),
        "service": appointment.service.name,
        "policy_sentences": policy_sentences(policy_in_force(session, now)),
        "policy_url": links.external("messages_public.policy"),
    }


def _ics(session, appointment: Appointment) -> list[Part]:
    file = feeds.appointment_file(session, appointment.uuid)
    return [Part(file.filename, "text/calendar", file.content)] if file else []


def _queue(session, kind: str, appointment: Appointment, subject: str, now: datetime, *,
           key: str | None = None, ics: bool = True) -> Message | None:
    client = appointment.client
    if services.automatic_refusal(session, kind, client) is not None:
        return None  # nothing to write (and no .ics to make)
    return services.queue_for_client(
        session, kind=kind, client=client, subject=subject, template=kind.replace(".", "_"),
        context=_context(session, appointment, now), appointment=appointment,
        about_at=appointment.start_at, key=key, attachments=_ics(session, appointment) if ics else (),
        now=now)


def on_booked(appointment: Appointment, facts: dict) -> None:
    if appointment.booked_online:
        return  # the online booking confirms it with its own message, which links to "my appointments"
    _queue(object_session(appointment), BOOKED, appointment, "Your appointment is booked", facts["recorded_at"])


def on_rescheduled(appointment: Appointment, facts: dict) -> None:
    _queue(object_session(appointment), MOVED, appointment, "Your appointment has moved", facts["recorded_at"])


def on_cancelled(appointment: Appointment, facts: dict) -> None:
    _queue(object_session(appointment), CANCELLED, appointment, "Your appointment is cancelled",
           facts["recorded_at"])


# When sent: still true? ------------------------------------------------------------------------

def _still_booked(session, message: Message, now: datetime) -> str | None:
    appointment = session.get(Appointment, message.appointment_id)
    if appointment is None or appointment.status != Status.BOOKED:
        return "The appointment is no longer booked."
    if appointment.start_at <= now:
        return "The appointment has started already."
    if appointment.start_at != message.about_at:
        return "The appointment has moved since it was written."
    return None


def _still_cancelled(session, message: Message, now: datetime) -> str | None:
    appointment = session.get(Appointment, message.appointment_id)
    if appointment is None or appointment.status not in (Status.CANCELLED, Status.LATE_CANCELLED):
        return "The cancellation was undone."
    if appointment.start_at <= now:
        return "The appointment's time has passed."
    return None


register(MessageKind(BOOKED, "Booking confirmation", consent="confirmations", still_wanted=_still_booked))
register(MessageKind(MOVED, "Confirmation of a move", consent="confirmations", still_wanted=_still_booked))
register(MessageKind(CANCELLED, "Cancellation confirmation", consent="confirmations",
                     still_wanted=_still_cancelled))
register(MessageKind(REMINDER, "Reminder", consent="reminders", still_wanted=_still_booked, quiet=True))


# Reminders -------------------------------------------------------------------------------------

def reminder_key(appointment: Appointment, hours: int) -> str:
    """Once per appointment, start time and offset: a moved appointment is reminded again."""
    return f"reminder:{appointment.id}:{appointment.start_at:%Y%m%dT%H%MZ}:{hours}h"


def _due_offset(appointment: Appointment, offsets: list[int], now: datetime) -> int | None:
    """The latest reminder due: the smallest offset whose moment has come (after a pause in
    sending, one reminder goes, not all that were missed). None when none is due, or when
    the appointment was booked after that moment (its confirmation has just said it all)."""
    due = [hours for hours in offsets if appointment.start_at - timedelta(hours=hours) <= now]
    if not due:
        return None
    hours = min(due)
    return None if appointment.start_at - timedelta(hours=hours) < appointment.created_at else hours


def queue_due_reminders(session, *, now: datetime) -> int:
    """Write the reminders that are due (three queries, whatever the number): never in the
    practice's quiet hours (they are written when those end, if still due), never for a
    cancelled appointment, never to a client who cannot be booked or did not agree."""
    settings = services.message_settings(session)
    offsets = services.reminder_hours(settings)
    if not offsets or services.quiet_hours_end(session, settings, now) is not None:
        return 0
    candidates = session.scalars(
        select(Appointment).join(Client, Client.id == Appointment.client_id)
        .join(EmailConsent, EmailConsent.client_id == Client.id)
        .options(joinedload(Appointment.client), joinedload(Appointment.practitioner),
                 joinedload(Appointment.service))
        .where(Appointment.status == Status.BOOKED.value, Appointment.start_at > now,
               Appointment.start_at <= now + timedelta(hours=max(offsets)),
               EmailConsent.reminders.is_(True), Client.email != "", Client.archived_at.is_(None),
               Client.standing.not_in(UNBOOKABLE_STANDINGS))
        .order_by(Appointment.start_at, Appointment.id)
    ).unique().all()
    due = {reminder_key(a, hours): a for a in candidates if (hours := _due_offset(a, offsets, now))}
    written = set(session.scalars(select(Message.key).where(Message.key.in_(list(due))))) if due else set()
    zone, queued = practice_zone(session), 0
    for key, appointment in due.items():
        day = long_day(appointment.start_at.astimezone(zone).date())
        if key not in written and _queue(session, REMINDER, appointment, f"Reminder: your appointment on {day}",
                                         now, key=key, ics=False):
            queued += 1
    return queued


def connect() -> None:
    signals.appointment_booked.connect(on_booked)
    signals.appointment_rescheduled.connect(on_rescheduled)
    signals.appointment_cancelled.connect(on_cancelled)
