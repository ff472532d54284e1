"""The day itself: arrivals and lateness, completing a session, cancellations inside or
outside the policy's window, no-shows, waiving a fee, and undoing a check-in, a no-show or
a cancellation."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from practice.audit.services import Actor, record
from practice.clients import identity
from practice.clients.models import Client
from practice.errors import DomainError
from practice.policies.models import Policy
from practice.policies.queries import acknowledgement_status, policy_in_force
from practice.scheduling import signals
from practice.scheduling.models import RELEASED, Appointment, Status
from practice.scheduling.services.booking import _flush_or_refuse, appointment_facts, lock_schedule
from practice.scheduling.services.payments import amount_due, amount_paid, percent_of


def _lock(session, appointment: Appointment) -> None:
    """Hold the appointment (PostgreSQL: its row, FOR UPDATE, until the unit of work
    commits; SQLite: the write lock the unit of work began with) and read it as it is now:
    two desks acting on one appointment at once are served one after the other, and the
    second sees what the first did."""
    session.refresh(appointment, with_for_update=True)


def _require_status(session, appointment: Appointment, *allowed: Status, doing: str) -> None:
    _lock(session, appointment)
    if appointment.status not in allowed:
        raise DomainError(f"This appointment is {appointment.status.replace('_', ' ')}; it cannot be {doing}.")


def check_in(session, actor: Actor, appointment: Appointment, arrived_at: datetime | None, *, now: datetime) -> None:
    """Record the real arrival time; lateness counts whole minutes after the start. By policy
    the session still ends at its scheduled end, so the minutes late are minutes lost."""
    _require_status(session, appointment, Status.BOOKED, doing="checked in")
    arrived_at = arrived_at or now
    if arrived_at > now + timedelta(minutes=1):
        raise DomainError("The arrival time cannot be in the future.", field="arrived_at")
    if arrived_at < appointment.start_at - timedelta(hours=12):
        raise DomainError("That arrival time is long before the appointment.", field="arrived_at")
    policy = policy_in_force(session, arrived_at)
    late = max(0, math.floor((arrived_at - appointment.start_at).total_seconds() / 60))
    appointment.status = Status.ARRIVED.value
    appointment.arrived_at = arrived_at
    appointment.late_minutes = late
    record(session, actor, "appointment.check_in", appointment, now=now,
           arrived_at=arrived_at.isoformat(), late_minutes=late)
    session.flush()
    signals.appointment_checked_in.send(appointment, facts=appointment_facts(appointment, now) | {
        "arrived_at": arrived_at,
        "late_minutes": late,
        "grace_minutes": policy.late_grace_minutes,
        "late_beyond_grace": late > policy.late_grace_minutes,
        "session_ends_on_time": policy.session_ends_on_time,
        "minutes_lost": late if policy.session_ends_on_time else 0,
        "policy_id": policy.id,
    })


def complete(session, actor: Actor, appointment: Appointment, *, now: datetime) -> None:
    _require_status(session, appointment, Status.ARRIVED, doing="completed")
    appointment.status = Status.COMPLETED.value
    record(session, actor, "appointment.complete", appointment, now=now)
    session.flush()
    facts = appointment_facts(appointment, now)
    signals.appointment_completed.send(appointment, facts=facts)
    due = amount_due(appointment) - amount_paid(session, appointment)
    if due > 0:
        signals.appointment_left_unpaid.send(appointment, facts=facts | {"unpaid_cents": due})


@dataclass(frozen=True)
class FeeQuote:
    """What a no-show or a cancellation would charge now, before anyone confirms it."""

    fee_cents: int
    policy: Policy
    late: bool  # a cancellation inside the window (a no-show is always "late")


def _cancel_fee(session, appointment: Appointment, *, now: datetime, by_practice: bool) -> FeeQuote:
    policy = policy_in_force(session, now)
    late = not by_practice and appointment.start_at - now < timedelta(hours=policy.cancellation_window_hours)
    return FeeQuote(percent_of(appointment.price_cents, policy.late_cancel_fee_percent) if late else 0,
                    policy, late)


def _cancel_terms(session, appointment: Appointment, reason: str, *, now: datetime,
                  by_practice: bool) -> FeeQuote:
    _require_status(session, appointment, Status.BOOKED, doing="cancelled")
    if not reason.strip():
        raise DomainError("Say briefly why (e.g. 'client unwell', 'practitioner ill').", field="reason")
    return _cancel_fee(session, appointment, now=now, by_practice=by_practice)


def quote_cancel(session, appointment: Appointment, reason: str, *, now: datetime) -> FeeQuote:
    """The fee cancelling now would charge (refusing as `cancel` would); nothing changes."""
    return _cancel_terms(session, appointment, reason, now=now, by_practice=False)


def cancel_terms(session, appointment: Appointment, *, now: datetime) -> FeeQuote:
    """What cancelling now would charge, for the page that asks for a reason before anyone
    has given one. It reads only (no lock): `cancel` checks everything again."""
    return _cancel_fee(session, appointment, now=now, by_practice=False)


def cancel(
    session, actor: Actor, appointment: Appointment, reason: str, *, now: datetime,
    confirm_unacknowledged: bool = False, by_practice: bool = False,
) -> None:
    """Cancel; inside the policy's window it is a late cancellation and carries the fee.
    A fee for a client who has not acknowledged the policy in force needs confirming.
    `by_practice`: the practice cancels (e.g. it has ended the relationship), so it is
    never a late cancellation and carries no fee, whenever it happens."""
    terms = _cancel_terms(session, appointment, reason, now=now, by_practice=by_practice)
    policy, late, fee = terms.policy, terms.late, terms.fee_cents
    if not confirm_unacknowledged:
        _refuse_unconfirmed_fee(session, appointment, policy, fee, now=now)
    appointment.status = (Status.LATE_CANCELLED if late else Status.CANCELLED).value
    appointment.cancelled_at = now
    appointment.cancel_reason = reason.strip()
    appointment.cancelled_by_practice = by_practice
    appointment.fee_cents = fee
    record(session, actor, "appointment.cancel", appointment, now=now, late=late,
           reason=appointment.cancel_reason, fee_cents=appointment.fee_cents)
    session.flush()
    signals.appointment_cancelled.send(appointment, facts=appointment_facts(appointment, now) | {
        "late": late,
        "cancelled_at": now,
        "reason": appointment.cancel_reason,
        "hours_before_start": (appointment.start_at - now).total_seconds() / 3600,
        "window_hours": policy.cancellation_window_hours,
        "fee_cents": appointment.fee_cents,
        "policy_id": policy.id,
    })


def _no_show_terms(session, appointment: Appointment, *, now: datetime) -> FeeQuote:
    _require_status(session, appointment, Status.BOOKED, doing="marked as a no-show")
    if appointment.start_at > now:
        raise DomainError("The appointment has not started yet.")
    policy = policy_in_force(session, appointment.start_at)
    return FeeQuote(percent_of(appointment.price_cents, policy.no_show_fee_percent), policy, True)


def quote_no_show(session, appointment: Appointment, *, now: datetime) -> FeeQuote:
    """The fee marking a no-show now would charge (refusing as `mark_no_show` would)."""
    return _no_show_terms(session, appointment, now=now)


def mark_no_show(
    session, actor: Actor, appointment: Appointment, *, now: datetime,
    confirm_unacknowledged: bool = False,
) -> None:
    """Marked by a person, never automatically, and only once the start has passed. The fee
    follows the policy in force at the start; for a client who has not acknowledged that
    policy it needs confirming."""
    terms = _no_show_terms(session, appointment, now=now)
    policy, fee = terms.policy, terms.fee_cents
    if not confirm_unacknowledged:
        _refuse_unconfirmed_fee(session, appointment, policy, fee, now=now)
    appointment.status = Status.NO_SHOW.value
    appointment.fee_cents = fee
    record(session, actor, "appointment.no_show", appointment, now=now, fee_cents=appointment.fee_cents)
    session.flush()
    signals.appointment_no_show.send(appointment, facts=appointment_facts(appointment, now) | {
        "fee_cents": appointment.fee_cents, "policy_id": policy.id})


class UnacknowledgedPolicy(DomainError):
    """A fee would be charged to a client who has not acknowledged the policy in force:
    the person at the desk confirms it first (or waives it, or goes back)."""

    def __init__(self, client: Client, policy: Policy, fee_cents: int):
        super().__init__(f"{client.display_name} has not acknowledged the current policy "
                         f"(version {policy.version}); charge the fee anyway?")
        self.policy = policy
        self.fee_cents = fee_cents


def unacknowledged(session, appointment: Appointment, policy: Policy, *, now: datetime) -> bool:
    """Whether the appointment's client has not acknowledged `policy`."""
    return acknowledgement_status(session, [appointment.client_id], now, policy)[appointment.client_id] is None


def _refuse_unconfirmed_fee(session, appointment: Appointment, policy: Policy, fee: int, *, now) -> None:
    if fee and unacknowledged(session, appointment, policy, now=now):
        raise UnacknowledgedPolicy(appointment.client, policy, fee)


def waive_fee(session, actor: Actor, appointment: Appointment, reason: str, *, now: datetime) -> None:
    """Waive a late-cancellation or no-show fee; the fee and the reason are both kept."""
    _lock(session, appointment)
    if appointment.fee_cents == 0 or appointment.fee_waived:
        raise DomainError("There is no fee to waive.")
    if not reason.strip():
        raise DomainError("A waiver needs a reason.", field="reason")
    appointment.fee_waived = True
    appointment.fee_waiver_reason = reason.strip()
    record(session, actor, "appointment.waive_fee", appointment, now=now,
           fee_cents=appointment.fee_cents, reason=appointment.fee_waiver_reason)
    session.flush()
    signals.fee_waived.send(appointment, facts=appointment_facts(appointment, now) | {
        "fee_cents": appointment.fee_cents, "reason": appointment.fee_waiver_reason})


# Undoing ---------------------------------------------------------------------------------

UNDOABLE = {
    Status.ARRIVED: "check-in",
    Status.NO_SHOW: "no-show",
    Status.CANCELLED: "cancellation",
    Status.LATE_CANCELLED: "cancellation",
}
MAX_REASON = 500


def undo(session, actor: Actor, appointment: Appointment, reason: str, *, now: datetime) -> str:
    """Put a checked-in, no-show or cancelled appointment back to booked, with the reason:
    a client marked as not coming walks in after all, a check-in was made on the wrong row.
    The fee goes (payments already taken stay, and count towards the session); the
    conduct record withdraws its automatic entry by a correction (the `appointment_undone`
    event); the audit trail keeps what the appointment was. Who may undo, and when, is the
    permission `appointments.undo`. Returns what was undone ("no-show", ...)."""
    _lock(session, appointment)
    previous = Status(appointment.status)
    undone = UNDOABLE.get(previous)
    if undone is None:
        raise DomainError(f"This appointment is {previous.replace('_', ' ')}; there is nothing to undo.")
    reason = reason.strip()
    if not reason:
        raise DomainError("Say briefly why (e.g. 'the client arrived after all').", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(f"Please keep the reason under {MAX_REASON} characters.", field="reason")
    if previous.value in RELEASED:
        _refuse_unless_time_still_free(session, actor, appointment, now=now)
    was = {"status": previous.value, "arrived_at": _iso(appointment.arrived_at),
           "late_minutes": appointment.late_minutes, "cancelled_at": _iso(appointment.cancelled_at),
           "cancel_reason": appointment.cancel_reason, "fee_cents": appointment.fee_cents,
           "fee_waived": appointment.fee_waived}
    appointment.status = Status.BOOKED.value
    appointment.arrived_at = appointment.late_minutes = appointment.cancelled_at = None
    appointment.cancel_reason = appointment.fee_waiver_reason = ""
    appointment.cancelled_by_practice = appointment.fee_waived = False
    appointment.fee_cents = 0
    _flush_or_refuse(session, "Cannot undo the cancellation")
    record(session, actor, "appointment.undo", appointment, now=now, undone=undone, reason=reason, was=was)
    session.flush()
    signals.appointment_undone.send(appointment, facts=appointment_facts(appointment, now) | {
        "undone": previous.value, "reason": reason, "undone_by": actor, "fee_cents": was["fee_cents"]})
    return undone


def _refuse_unless_time_still_free(session, actor: Actor, appointment: Appointment, *, now) -> None:
    """A cancellation gave the time back: it may have been booked since. Only the other
    bookings matter here (the hours and limits held when it was booked); and a client who
    can no longer be booked is not booked again this way."""
    identity.refuse_unless_bookable(session, actor, appointment.client, override=False, now=now,
                                    field="reason")
    lock_schedule(session, appointment.practitioner_id)
    others = session.scalars(select(Appointment).where(
        Appointment.practitioner_id == appointment.practitioner_id, Appointment.id != appointment.id,
        Appointment.status.not_in(RELEASED), Appointment.start_at < appointment.held_until,
        Appointment.held_until > appointment.start_at).limit(1)).first()
    if others is not None:
        raise DomainError("Cannot undo the cancellation: the time has been booked for someone else since.",
                          field="reason")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
