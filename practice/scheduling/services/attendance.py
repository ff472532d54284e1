"""The day itself: arrivals and lateness, completing a session, cancellations inside or
outside the policy's window, no-shows, and waiving a fee."""

import math
from datetime import datetime, timedelta

from practice.audit.services import Actor, record
from practice.clients.models import Client
from practice.errors import DomainError
from practice.policies.models import Policy
from practice.policies.queries import acknowledgement_status, policy_in_force
from practice.scheduling import signals
from practice.scheduling.models import Appointment, Status
from practice.scheduling.services.booking import appointment_facts
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


def cancel(
    session, actor: Actor, appointment: Appointment, reason: str, *, now: datetime,
    confirm_unacknowledged: bool = False, by_practice: bool = False,
) -> None:
    """Cancel; inside the policy's window it is a late cancellation and carries the fee.
    A fee for a client who has not acknowledged the policy in force needs confirming.
    `by_practice`: the practice cancels (e.g. it has ended the relationship), so it is
    never a late cancellation and carries no fee, whenever it happens."""
    _require_status(session, appointment, Status.BOOKED, doing="cancelled")
    if not reason.strip():
        raise DomainError("Say briefly why (e.g. 'client unwell', 'practitioner ill').", field="reason")
    policy = policy_in_force(session, now)
    late = not by_practice and appointment.start_at - now < timedelta(hours=policy.cancellation_window_hours)
    fee = percent_of(appointment.price_cents, policy.late_cancel_fee_percent) if late else 0
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


def mark_no_show(
    session, actor: Actor, appointment: Appointment, *, now: datetime,
    confirm_unacknowledged: bool = False,
) -> None:
    """Marked by a person, never automatically, and only once the start has passed. The fee
    follows the policy in force at the start; for a client who has not acknowledged that
    policy it needs confirming."""
    _require_status(session, appointment, Status.BOOKED, doing="marked as a no-show")
    if appointment.start_at > now:
        raise DomainError("The appointment has not started yet.")
    policy = policy_in_force(session, appointment.start_at)
    fee = percent_of(appointment.price_cents, policy.no_show_fee_percent)
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


def _refuse_unconfirmed_fee(session, appointment: Appointment, policy: Policy, fee: int, *, now) -> None:
    if fee and acknowledgement_status(session, [appointment.client_id], now, policy)[appointment.client_id] is None:
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
