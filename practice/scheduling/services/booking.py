"""Booking and moving appointments without overlaps: the practitioner's schedule lock, then
the availability check, then the write; and the facts every schedule event carries."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.clients import identity
from practice.clients.models import Client
from practice.errors import DomainError
from practice.localtime import instant
from practice.scheduling import signals
from practice.scheduling.models import Appointment, PractitionerSchedule, Service, Status
from practice.scheduling.services.availability import (
    DaySchedule,
    day_schedule,
    day_schedules,
    held_buffer,
)
from practice.settings.services import practice_zone


def lock_schedule(session, practitioner_id: int) -> None:
    """Serialise booking changes for one practitioner, before the day is read.

    PostgreSQL: the UPDATE takes the schedule row's lock until the unit of work commits, and
    each later statement sees every booking committed before it (an exclusion constraint
    backs the check up). SQLite: a unit of work that writes began IMMEDIATE and holds the
    database's write lock already; any other session takes it here, before reading."""
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
    booked_online: bool = False  # by the client, on the public pages (practice/booking)


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
    lock_schedule(session, request.practitioner_id)
    client, practitioner, service = _load_for_booking(session, request)
    identity.refuse_unless_bookable(session, actor, client, override=bool(request.override_reason.strip()),
                                    now=now)
    schedule = _refuse_if_taken(session, practitioner.id, service, request.start_at, now=now)
    end_at = request.start_at + timedelta(minutes=service.duration_minutes)
    appointment = Appointment(
        client=client, practitioner=practitioner, service=service,
        start_at=request.start_at, end_at=end_at,
        held_until=end_at + held_buffer(service, schedule.schedule),
        status=Status.BOOKED.value, price_cents=service.price_cents, fee_cents=0,
        notes=request.notes.strip(), created_at=now, booked_online=request.booked_online,
        created_by_id=actor.user.id if actor.user else None,
    )
    session.add(appointment)
    _flush_or_refuse(session, "Cannot book")
    record(session, actor, "appointment.book", appointment, now=now,
           start=appointment.start_at.isoformat(), client_id=client.id,
           practitioner_id=practitioner.id, service=service.name)
    if client.blocked:
        record(session, actor, "appointment.override", appointment, now=now,
               standing=client.standing, reason=request.override_reason.strip())
    session.flush()
    signals.appointment_booked.send(appointment, facts=appointment_facts(appointment, now))
    return appointment


def _flush_or_refuse(session, doing: str) -> None:
    """Flush the new times. Only PostgreSQL's exclusion constraint refuses here: a booking
    made outside the app's lock took the time. The unit of work then rolls back."""
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(f"{doing}: another booking took this time a moment ago.", field="start") from None


def reschedule(session, actor: Actor, appointment: Appointment, start_at: datetime, *, now: datetime) -> None:
    if appointment.status != Status.BOOKED:
        raise DomainError("Only a booked appointment can be moved.", field="start")
    identity.refuse_unless_bookable(session, actor, appointment.client, override=False, now=now, field="start")
    old_start = appointment.start_at
    lock_schedule(session, appointment.practitioner_id)
    session.refresh(appointment)  # as it is now that the schedule is ours
    schedule = _refuse_if_taken(session, appointment.practitioner_id, appointment.service, start_at,
                                now=now, ignore_id=appointment.id)
    appointment.start_at = start_at
    appointment.end_at = start_at + timedelta(minutes=appointment.service.duration_minutes)
    appointment.held_until = appointment.end_at + held_buffer(appointment.service, schedule.schedule)
    _flush_or_refuse(session, "Cannot move")
    record(session, actor, "appointment.reschedule", appointment, now=now,
           start=[old_start.isoformat(), start_at.isoformat()])
    session.flush()
    signals.appointment_rescheduled.send(
        appointment, facts=appointment_facts(appointment, now) | {"previous_start": old_start})


def move_refusal(session, appointment: Appointment, start_at: datetime, *, now: datetime) -> str | None:
    """Why moving `appointment` to `start_at` would be refused (None: it would not), read
    without taking the schedule's lock or writing anything: the book asks before it moves.
    `reschedule` checks again, under the lock, when the move is made."""
    if appointment.status != Status.BOOKED:
        return "Only a booked appointment can be moved."
    if not appointment.client.bookable:
        return identity.NOT_BOOKABLE
    zone = practice_zone(session)
    day = start_at.astimezone(zone).date()
    schedule = day_schedules(session, [appointment.practitioner_id], day, day, zone).get(
        (appointment.practitioner_id, day))
    if schedule is None:
        return "This practitioner has no working hours set yet."
    reason = schedule.refusal(start_at, appointment.service, now=now, ignore_id=appointment.id)
    return f"Cannot move: {reason}." if reason else None


# Repeat bookings -----------------------------------------------------------------------------

MAX_REPEATS = 26


@dataclass
class Occurrence:
    """One of a repeat booking's times: its local day, its start (None when the clocks skip
    that wall time on that day) and why it cannot be booked (empty: it can)."""

    day: date
    start_at: datetime | None
    refusal: str = ""


def series_days(first_day: date, every_weeks: int, times: int) -> list[date]:
    if not 1 <= every_weeks <= 8:
        raise DomainError("Repeat every 1 to 8 weeks.", field="repeat")
    if not 2 <= times <= MAX_REPEATS:
        raise DomainError(f"Book it from 2 to {MAX_REPEATS} times.", field="times")
    return [first_day + timedelta(weeks=every_weeks * n) for n in range(times)]


def check_series(session, request: BookingRequest, days: list[date], wall_time: time, *,
                 now: datetime) -> list[Occurrence]:
    """Each occurrence of a repeat booking at the same wall-clock time, with the reason it
    would be refused: read only (five queries for the whole series), nothing is saved."""
    service = session.get(Service, request.service_id)
    if service is None or not service.active:
        raise DomainError("Choose a service.", field="service_id")
    zone = practice_zone(session)
    schedules = day_schedules(session, [request.practitioner_id], days[0], days[-1], zone)
    occurrences = []
    for day in days:
        try:
            start = instant(day, wall_time, zone, fold=0)
        except DomainError as error:
            occurrences.append(Occurrence(day, None, error.message))
            continue
        schedule = schedules.get((request.practitioner_id, day))
        reason = schedule.refusal(start, service, now=now) if schedule else "no working hours set yet"
        occurrences.append(Occurrence(day, start, f"Cannot book: {reason}." if reason else ""))
    return occurrences


def book_series(session, actor: Actor, request: BookingRequest, starts: list[datetime], *,
                now: datetime) -> list[Appointment]:
    """Book the same client, practitioner and service at each of `starts`, all or none: a
    refusal names the occurrence and the caller's unit of work keeps nothing."""
    zone = practice_zone(session)
    booked = []
    for start in starts:
        try:
            booked.append(book(session, actor, BookingRequest(
                request.client_id, request.practitioner_id, request.service_id, start,
                request.notes, request.override_reason), now=now))
        except DomainError as error:
            when = start.astimezone(zone)
            raise DomainError(f"{when:%A} {when.day} {when:%B}: {error.message}", field=error.field) from None
    return booked


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
