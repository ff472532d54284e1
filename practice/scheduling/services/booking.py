"""Booking and moving appointments without overlaps: the practitioner's schedule lock, then
the availability check, then the write; and the facts every schedule event carries."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.clients import identity
from practice.clients.models import Client
from practice.errors import DomainError
from practice.scheduling import signals
from practice.scheduling.models import Appointment, PractitionerSchedule, Service, Status
from practice.scheduling.services.availability import DaySchedule, day_schedule, held_buffer
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
        notes=request.notes.strip(), created_at=now,
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
