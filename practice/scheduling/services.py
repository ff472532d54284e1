"""Every scheduling rule: availability, booking without overlaps, arrivals and lateness,
cancellations, no-shows, fees and payments.

Times are aware UTC datetimes; "a day" and "09:00" are in the practice's time zone."""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.clients.models import Client
from practice.errors import DomainError
from practice.localtime import instant
from practice.policies.models import Policy
from practice.policies.queries import acknowledgement_status, policy_in_force
from practice.scheduling import signals
from practice.scheduling.models import (
    RELEASED,
    Appointment,
    Payment,
    PractitionerSchedule,
    SchedulingPolicy,
    Service,
    Status,
    TimeBlock,
    WorkingHours,
)
from practice.settings.services import get_practice

PAYMENT_METHODS = {"card": "Card", "cash": "Cash", "transfer": "Bank transfer", "other": "Other"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SLOT_STEP = timedelta(minutes=15)
MAX_AMOUNT = Decimal(1_000_000)


# Time and money ----------------------------------------------------------------------

def practice_zone(session) -> ZoneInfo:
    return ZoneInfo(get_practice(session).timezone)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC moments a local day starts and ends (23 or 25 hours on change days)."""
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def hhmm(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def parse_money(text: str, field: str = "amount") -> int:
    """'45', '45.5' or '45.50' -> 4550 cents."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise DomainError("Write the amount as a number, e.g. 45.00.", field=field) from None
    if not value.is_finite() or value < 0:
        raise DomainError("Write the amount as a number, e.g. 45.00.", field=field)
    if value >= MAX_AMOUNT:
        raise DomainError("That amount is too large.", field=field)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError("Write the amount with at most two decimals.", field=field)
    return int(value * 100)


def percent_of(cents: int, percent: int) -> int:
    """A fee as a percentage of a price, rounded half up to the cent."""
    return int((Decimal(cents) * percent / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# Settings ----------------------------------------------------------------------------

def calendar_settings(session) -> SchedulingPolicy:
    """The practice's calendar settings row (the attendance rules are in practice.policies)."""
    settings = session.scalar(select(SchedulingPolicy).limit(1))
    if settings is None:
        settings = SchedulingPolicy(feed_shows_names=False)
        session.add(settings)
        session.flush()
    return settings


def set_feed_shows_names(session, actor: Actor, shows_names: bool, *, now: datetime) -> None:
    """Calendar feeds carry clients' names, or only their initials."""
    settings = calendar_settings(session)
    if settings.feed_shows_names != shows_names:
        record(session, actor, "calendar_settings.update", settings, now=now,
               feed_shows_names=[settings.feed_shows_names, shows_names])
        settings.feed_shows_names = shows_names
    session.commit()


def create_service(
    session, actor: Actor, *, name: str, duration_minutes: int, price_cents: int,
    buffer_after_minutes: int = 0, now: datetime,
) -> Service:
    if not name.strip():
        raise DomainError("Give the service a name.", field="name")
    if not 5 <= duration_minutes <= 8 * 60:
        raise DomainError("A session lasts from 5 minutes to 8 hours.", field="duration_minutes")
    if not 0 <= buffer_after_minutes <= 240:
        raise DomainError("Use a buffer from 0 to 240 minutes.", field="buffer_after_minutes")
    if price_cents < 0:
        raise DomainError("The price cannot be negative.", field="price")
    service = Service(name=name.strip(), duration_minutes=duration_minutes, price_cents=price_cents,
                      buffer_after_minutes=buffer_after_minutes, active=True)
    session.add(service)
    session.flush()
    record(session, actor, "service.create", service, now=now, name=service.name)
    session.commit()
    return service


def schedule_for(session, practitioner_id: int) -> PractitionerSchedule:
    schedule = session.get(PractitionerSchedule, practitioner_id)
    if schedule is None:
        schedule = PractitionerSchedule(practitioner_id=practitioner_id, buffer_minutes=0,
                                        min_notice_hours=0, booking_version=0)
        session.add(schedule)
        session.flush()
    return schedule


def update_schedule(
    session, actor: Actor, practitioner_id: int, *, buffer_minutes: int,
    max_sessions_per_day: int | None, min_notice_hours: int, now: datetime,
) -> None:
    if not 0 <= buffer_minutes <= 240:
        raise DomainError("Use a buffer from 0 to 240 minutes.", field="buffer_minutes")
    if max_sessions_per_day is not None and not 1 <= max_sessions_per_day <= 30:
        raise DomainError("Use a number from 1 to 30, or leave it empty.", field="max_sessions_per_day")
    if not 0 <= min_notice_hours <= 24 * 14:
        raise DomainError("Use a number of hours from 0 to 336.", field="min_notice_hours")
    schedule = schedule_for(session, practitioner_id)
    schedule.buffer_minutes = buffer_minutes
    schedule.max_sessions_per_day = max_sessions_per_day
    schedule.min_notice_hours = min_notice_hours
    record(session, actor, "schedule.update", schedule.practitioner, now=now,
           buffer_minutes=buffer_minutes, max_sessions_per_day=max_sessions_per_day,
           min_notice_hours=min_notice_hours)
    session.commit()


def set_working_hours(
    session, actor: Actor, practitioner_id: int, ranges: list[tuple[int, time, time]], *, now: datetime
) -> None:
    """Replace a practitioner's weekly hours; several ranges a day, none overlapping."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, starts, ends in ranges:
        if not 0 <= weekday <= 6:
            raise DomainError("Choose a day of the week.", field="weekday")
        if starts >= ends:
            raise DomainError(f"{WEEKDAYS[weekday]}: the end must be after the start.", field="ranges")
        by_day.setdefault(weekday, []).append((starts, ends))
    for weekday, day_ranges in by_day.items():
        day_ranges.sort()
        for (_, first_end), (second_start, _) in pairwise(day_ranges):
            if second_start < first_end:
                raise DomainError(f"{WEEKDAYS[weekday]}: two ranges overlap.", field=f"day{weekday}")
    schedule_for(session, practitioner_id)
    for old in session.scalars(select(WorkingHours).where(WorkingHours.practitioner_id == practitioner_id)):
        session.delete(old)
    for weekday, starts, ends in ranges:
        session.add(WorkingHours(practitioner_id=practitioner_id, weekday=weekday, starts=starts, ends=ends))
    record(session, actor, "schedule.hours", session.get(Practitioner, practitioner_id), now=now,
           ranges=[f"{WEEKDAYS[d]} {s:%H:%M}-{e:%H:%M}" for d, s, e in sorted(ranges)])
    session.commit()


def add_time_block(
    session, actor: Actor, practitioner_id: int, start_at: datetime, end_at: datetime,
    reason: str = "", *, now: datetime,
) -> TimeBlock:
    if start_at >= end_at:
        raise DomainError("The end must be after the start.", field="end_at")
    block = TimeBlock(practitioner_id=practitioner_id, start_at=start_at, end_at=end_at,
                      reason=reason.strip()[:200], source="manual")
    session.add(block)
    session.flush()
    record(session, actor, "schedule.block", block, now=now, start=start_at.isoformat(),
           end=end_at.isoformat())
    session.commit()
    return block


def remove_time_block(session, actor: Actor, block: TimeBlock, *, now: datetime) -> None:
    """Give back manually blocked time (imported busy time follows its calendar instead)."""
    if block.source != "manual":
        raise DomainError("Busy time from a personal calendar changes when the calendar is imported again.")
    record(session, actor, "schedule.unblock", block, now=now, start=block.start_at.isoformat(),
           end=block.end_at.isoformat())
    session.delete(block)
    session.commit()


# Availability ------------------------------------------------------------------------

@dataclass
class DaySchedule:
    """Everything that decides whether a start time is free, for one practitioner and one
    local day: loaded in a fixed number of queries, then checked in memory."""

    zone: ZoneInfo
    day: date
    schedule: PractitionerSchedule
    hours: list[WorkingHours]
    blocks: list[TimeBlock]
    appointments: list[Appointment]

    def refusal(self, start: datetime, service: Service, *, now: datetime, ignore_id=None) -> str | None:
        end = start + timedelta(minutes=service.duration_minutes)
        held_until = end + held_buffer(service, self.schedule)
        notice = timedelta(hours=self.schedule.min_notice_hours)
        if start < now:
            return "that time has already passed"
        if start < now + notice:
            return f"bookings need at least {self.schedule.min_notice_hours} hours' notice"
        if not self._within_hours(start, end):
            return "outside working hours" + self._hours_text()
        for block in self.blocks:
            if block.start_at < end and block.end_at > start:
                return f"the practitioner is not available {self._span(block.start_at, block.end_at)}"
        others = [a for a in self.appointments if a.id != ignore_id]
        limit = self.schedule.max_sessions_per_day
        starting_today = [a for a in others if a.start_at.astimezone(self.zone).date() == self.day]
        if limit is not None and len(starting_today) >= limit:
            return f"the practitioner has reached {limit} sessions that day"
        for other in others:
            if other.start_at < held_until and other.held_until > start:
                return f"overlaps {self._span(other.start_at, other.end_at)} with another booking"
        return None

    def _within_hours(self, start: datetime, end: datetime) -> bool:
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        if local_start.date() != self.day or local_end.date() != self.day:
            return False
        return any(h.starts <= local_start.time() and local_end.time() <= h.ends for h in self.hours)

    def _hours_text(self) -> str:
        if not self.hours:
            return f" (no working hours on {WEEKDAYS[self.day.weekday()]})"
        spans = ", ".join(f"{h.starts:%H:%M}-{h.ends:%H:%M}" for h in sorted(self.hours, key=lambda h: h.starts))
        return f" ({WEEKDAYS[self.day.weekday()]} {spans})"

    def _span(self, start: datetime, end: datetime) -> str:
        return f"{hhmm(start, self.zone)}-{hhmm(end, self.zone)}"

    def free_starts(self, service: Service, *, now: datetime) -> list[datetime]:
        starts = []
        for hours in sorted(self.hours, key=lambda h: h.starts):
            moment = datetime.combine(self.day, hours.starts, self.zone).astimezone(ZoneInfo("UTC"))
            last = datetime.combine(self.day, hours.ends, self.zone).astimezone(ZoneInfo("UTC"))
            while moment + timedelta(minutes=service.duration_minutes) <= last:
                if self.refusal(moment, service, now=now) is None:
                    starts.append(moment)
                moment += SLOT_STEP
        return starts


def held_buffer(service: Service, schedule: PractitionerSchedule) -> timedelta:
    """The turnover time after a session: the longer of the service's and the practitioner's
    buffer (one room reset, not two)."""
    return timedelta(minutes=max(service.buffer_after_minutes, schedule.buffer_minutes))


def day_schedule(session, practitioner_id: int, day: date, zone: ZoneInfo) -> DaySchedule:
    start, end = local_day_bounds(day, zone)
    schedule = schedule_for(session, practitioner_id)
    hours = session.scalars(select(WorkingHours).where(
        WorkingHours.practitioner_id == practitioner_id, WorkingHours.weekday == day.weekday()))
    blocks = session.scalars(select(TimeBlock).where(
        TimeBlock.practitioner_id == practitioner_id, TimeBlock.start_at < end, TimeBlock.end_at > start))
    appointments = session.scalars(select(Appointment).where(
        Appointment.practitioner_id == practitioner_id,
        Appointment.status.not_in(RELEASED),
        Appointment.start_at < end, Appointment.held_until > start,
    ))
    return DaySchedule(zone, day, schedule, list(hours), list(blocks), list(appointments))


def free_slots(session, practitioner_id: int, service_id: int, day: date, *, now: datetime) -> list[datetime]:
    service = session.get(Service, service_id)
    if service is None:
        return []
    return day_schedule(session, practitioner_id, day, practice_zone(session)).free_starts(service, now=now)


# Booking -----------------------------------------------------------------------------

def lock_schedule(session, practitioner_id: int) -> None:
    """Serialise booking changes for one practitioner, before anything is read.

    PostgreSQL: the UPDATE takes the schedule row's lock until commit (and an exclusion
    constraint backs the check up). SQLite: BEGIN IMMEDIATE takes the database's write lock
    first, so the overlap check below reads what every earlier booking committed."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    locked = session.execute(
        update(PractitionerSchedule)
        .where(PractitionerSchedule.practitioner_id == practitioner_id)
        .values(booking_version=PractitionerSchedule.booking_version + 1)
    ).rowcount
    if not locked:
        raise DomainError("This practitioner has no working hours set yet.", field="practitioner_id")


@dataclass
class BookingRequest:
    client_id: int
    practitioner_id: int
    service_id: int
    start_at: datetime
    notes: str = ""
    # Booking a moved-on or declined client: a practitioner's or admin's decision (the view
    # checks who may), with its reason, kept in the audit trail.
    override_reason: str = ""


NOT_BOOKABLE = "This client cannot be booked - see the practitioner."


def _load_for_booking(session, request: BookingRequest) -> tuple[Client, Practitioner, Service]:
    client = session.get(Client, request.client_id)
    practitioner = session.get(Practitioner, request.practitioner_id)
    service = session.get(Service, request.service_id)
    if client is None:
        raise DomainError("Choose a client.", field="client_id")
    if practitioner is None or not practitioner.active:
        raise DomainError("Choose a practitioner.", field="practitioner_id")
    if service is None or not service.active:
        raise DomainError("Choose a service.", field="service_id")
    if not client.bookable and not request.override_reason.strip():
        raise DomainError(NOT_BOOKABLE, field="client_id")
    if client.archived:
        raise DomainError("This client is archived; restore them to the client list first.", field="client_id")
    return client, practitioner, service


def _refuse_if_taken(session, practitioner_id, service, start_at, *, now, ignore_id=None) -> DaySchedule:
    zone = practice_zone(session)
    day = start_at.astimezone(zone).date()
    schedule = day_schedule(session, practitioner_id, day, zone)
    reason = schedule.refusal(start_at, service, now=now, ignore_id=ignore_id)
    if reason:
        raise DomainError(f"Cannot book: {reason}.", field="start")
    return schedule


def book(session, actor: Actor, request: BookingRequest, *, now: datetime) -> Appointment:
    """Book an appointment, or refuse with the reason; never two at once in one slot."""
    session.commit()  # start from a fresh transaction, so the lock comes first
    try:
        lock_schedule(session, request.practitioner_id)
        client, practitioner, service = _load_for_booking(session, request)
        schedule = _refuse_if_taken(session, practitioner.id, service, request.start_at, now=now)
        end_at = request.start_at + timedelta(minutes=service.duration_minutes)
        appointment = Appointment(
            client=client, practitioner=practitioner, service=service,
            start_at=request.start_at, end_at=end_at,
            held_until=end_at + held_buffer(service, schedule.schedule),
            status=Status.BOOKED.value, price_cents=service.price_cents, fee_cents=0,
            notes=request.notes.strip(), created_at=now,
            created_by_id=actor.user.id if actor.user else None,
        )
        session.add(appointment)
        session.flush()
        record(session, actor, "appointment.book", appointment, now=now,
               start=appointment.start_at.isoformat(), client_id=client.id,
               practitioner_id=practitioner.id, service=service.name)
        if not client.bookable:
            record(session, actor, "appointment.override", appointment, now=now,
                   standing=client.standing, reason=request.override_reason.strip())
        session.commit()
    except IntegrityError:
        # Only PostgreSQL's exclusion constraint gets here: another booking won the race.
        session.rollback()
        raise DomainError("Cannot book: another booking took this time a moment ago.", field="start") from None
    except DomainError:
        session.rollback()
        raise
    signals.appointment_booked.send(appointment, facts=appointment_facts(appointment, now))
    return appointment


def reschedule(session, actor: Actor, appointment: Appointment, start_at: datetime, *, now: datetime) -> None:
    if appointment.status != Status.BOOKED:
        raise DomainError("Only a booked appointment can be moved.", field="start")
    if not appointment.client.bookable:
        raise DomainError(NOT_BOOKABLE, field="start")
    old_start = appointment.start_at
    session.commit()
    try:
        lock_schedule(session, appointment.practitioner_id)
        session.refresh(appointment)
        schedule = _refuse_if_taken(session, appointment.practitioner_id, appointment.service, start_at,
                                    now=now, ignore_id=appointment.id)
        appointment.start_at = start_at
        appointment.end_at = start_at + timedelta(minutes=appointment.service.duration_minutes)
        appointment.held_until = appointment.end_at + held_buffer(appointment.service, schedule.schedule)
        record(session, actor, "appointment.reschedule", appointment, now=now,
               start=[old_start.isoformat(), start_at.isoformat()])
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DomainError("Cannot move: another booking took this time a moment ago.", field="start") from None
    except DomainError:
        session.rollback()
        raise
    signals.appointment_rescheduled.send(
        appointment, facts=appointment_facts(appointment, now) | {"previous_start": old_start})


def appointment_facts(appointment: Appointment, now: datetime) -> dict:
    """What every schedule event tells its listeners; `recorded_at` is the moment the change
    was made (the service's `now`), which listeners keep as their own record's time."""
    return {
        "recorded_at": now,
        "appointment_id": appointment.id,
        "client_id": appointment.client_id,
        "practitioner_id": appointment.practitioner_id,
        "service": appointment.service.name,
        "start_at": appointment.start_at,
        "end_at": appointment.end_at,
        "price_cents": appointment.price_cents,
        "status": appointment.status,
    }


# The day itself ----------------------------------------------------------------------

def _require_status(appointment: Appointment, *allowed: Status, doing: str) -> None:
    if appointment.status not in allowed:
        raise DomainError(f"This appointment is {appointment.status.replace('_', ' ')}; it cannot be {doing}.")


def check_in(session, actor: Actor, appointment: Appointment, arrived_at: datetime | None, *, now: datetime) -> None:
    """Record the real arrival time; lateness counts whole minutes after the start. By policy
    the session still ends at its scheduled end, so the minutes late are minutes lost."""
    _require_status(appointment, Status.BOOKED, doing="checked in")
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
    session.commit()
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
    _require_status(appointment, Status.ARRIVED, doing="completed")
    appointment.status = Status.COMPLETED.value
    record(session, actor, "appointment.complete", appointment, now=now)
    session.commit()
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
    _require_status(appointment, Status.BOOKED, doing="cancelled")
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
    appointment.fee_cents = fee
    record(session, actor, "appointment.cancel", appointment, now=now, late=late,
           reason=appointment.cancel_reason, fee_cents=appointment.fee_cents)
    session.commit()
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
    _require_status(appointment, Status.BOOKED, doing="marked as a no-show")
    if appointment.start_at > now:
        raise DomainError("The appointment has not started yet.")
    policy = policy_in_force(session, appointment.start_at)
    fee = percent_of(appointment.price_cents, policy.no_show_fee_percent)
    if not confirm_unacknowledged:
        _refuse_unconfirmed_fee(session, appointment, policy, fee, now=now)
    appointment.status = Status.NO_SHOW.value
    appointment.fee_cents = fee
    record(session, actor, "appointment.no_show", appointment, now=now, fee_cents=appointment.fee_cents)
    session.commit()
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
    if appointment.fee_cents == 0 or appointment.fee_waived:
        raise DomainError("There is no fee to waive.")
    if not reason.strip():
        raise DomainError("A waiver needs a reason.", field="reason")
    appointment.fee_waived = True
    appointment.fee_waiver_reason = reason.strip()
    record(session, actor, "appointment.waive_fee", appointment, now=now,
           fee_cents=appointment.fee_cents, reason=appointment.fee_waiver_reason)
    session.commit()
    signals.fee_waived.send(appointment, facts=appointment_facts(appointment, now) | {
        "fee_cents": appointment.fee_cents, "reason": appointment.fee_waiver_reason})


# Money -------------------------------------------------------------------------------

def amount_due(appointment: Appointment) -> int:
    """What the client owes for this appointment: the price once they came, the fee for a
    late cancellation or no-show (unless waived), nothing otherwise."""
    if appointment.status in (Status.ARRIVED, Status.COMPLETED):
        return appointment.price_cents
    if appointment.status in (Status.LATE_CANCELLED, Status.NO_SHOW) and not appointment.fee_waived:
        return appointment.fee_cents
    return 0


def amount_paid(session, appointment: Appointment) -> int:
    return session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.appointment_id == appointment.id)
    )


def record_payment(
    session, actor: Actor, appointment: Appointment, *, amount_cents: int, method: str,
    paid_at: datetime | None = None, now: datetime,
) -> Payment:
    if amount_cents <= 0:
        raise DomainError("Enter an amount above zero.", field="amount")
    if method not in PAYMENT_METHODS:
        raise DomainError("Choose how the client paid.", field="method")
    paid_at = paid_at or now
    if paid_at > now + timedelta(minutes=1):
        raise DomainError("The payment date cannot be in the future.", field="paid_at")
    payment = Payment(appointment_id=appointment.id, client_id=appointment.client_id,
                      amount_cents=amount_cents, method=method, paid_at=paid_at, recorded_at=now,
                      recorded_by_id=actor.user.id if actor.user else None)
    session.add(payment)
    session.flush()
    record(session, actor, "payment.record", payment, now=now, appointment_id=appointment.id,
           amount_cents=amount_cents, method=method)
    session.commit()
    due, paid = amount_due(appointment), amount_paid(session, appointment)
    signals.payment_recorded.send(payment, facts=appointment_facts(appointment, now) | {
        "payment_id": payment.id, "amount_cents": amount_cents, "method": method, "paid_at": paid_at,
        "due_cents": due, "paid_cents": paid, "short_cents": max(0, due - paid)})
    return payment


def paid_at(paid_on: date | None, zone: ZoneInfo, now: datetime) -> datetime:
    """The moment of a payment entered by its day: now for today, else noon that day."""
    if paid_on is None or paid_on == now.astimezone(zone).date():
        return now
    return local_moment(paid_on, time(12), zone)


def client_balance(session, client_id: int) -> int:
    """What the client owes across all appointments (negative: paid in advance)."""
    appointments = session.scalars(select(Appointment).where(Appointment.client_id == client_id))
    due = sum(amount_due(a) for a in appointments)
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.client_id == client_id))
    return due - paid


def parse_day_ranges(weekday: int, text: str) -> list[tuple[int, time, time]]:
    """'09:00-13:00, 14:00-18:00' -> the ranges of one weekday; '' is a day off."""
    ranges = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        try:
            starts, ends = (time.fromisoformat(t.strip()) for t in part.split("-"))
        except ValueError:
            raise DomainError(f"Write ranges like 09:00-13:00, 14:00-18:00 (not {part!r}).",
                              field=f"day{weekday}") from None
        if starts >= ends:
            raise DomainError(f"{part}: the end must be after the start.", field=f"day{weekday}")
        ranges.append((weekday, starts, ends))
    return ranges


def local_moment(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a local day as an aware UTC moment."""
    return instant(day, clock_time, zone, fold=0)
