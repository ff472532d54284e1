"""Reads for the front desk, calendar and client pages: a fixed number of queries each."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from practice.auth.models import Practitioner
from practice.auth.queries import active_practitioners
from practice.db import db
from practice.scheduling.models import RELEASED, Appointment, Payment, Service, TimeBlock
from practice.scheduling.services import amount_due, local_day_bounds


@dataclass
class AppointmentRow:
    appointment: Appointment
    paid_cents: int

    @property
    def due_cents(self) -> int:
        return amount_due(self.appointment)

    @property
    def owing_cents(self) -> int:
        return self.due_cents - self.paid_cents


@dataclass
class PractitionerColumn:
    practitioner: Practitioner
    rows: list[AppointmentRow] = field(default_factory=list)
    blocks: list[TimeBlock] = field(default_factory=list)


def paid_by_appointment(appointment_ids: list[int]) -> dict[int, int]:
    if not appointment_ids:
        return {}
    totals = db.session.execute(
        select(Payment.appointment_id, func.sum(Payment.amount_cents))
        .where(Payment.appointment_id.in_(appointment_ids))
        .group_by(Payment.appointment_id)
    )
    return dict(totals.all())


def _appointments_between(start: datetime, end: datetime, practitioner_id: int | None):
    query = (
        select(Appointment)
        .options(joinedload(Appointment.client), joinedload(Appointment.service))
        .where(Appointment.start_at >= start, Appointment.start_at < end)
        .order_by(Appointment.start_at, Appointment.id)
    )
    if practitioner_id:
        query = query.where(Appointment.practitioner_id == practitioner_id)
    return list(db.session.scalars(query))


def _blocks_between(start: datetime, end: datetime, practitioner_id: int | None):
    query = select(TimeBlock).where(TimeBlock.start_at < end, TimeBlock.end_at > start).order_by(TimeBlock.start_at)
    if practitioner_id:
        query = query.where(TimeBlock.practitioner_id == practitioner_id)
    return list(db.session.scalars(query))


def board(first_day: date, days: int, zone, practitioner_id: int | None = None) -> dict[date, list[PractitionerColumn]]:
    """Appointments and blocked time per day and practitioner: four queries in all."""
    start, _ = local_day_bounds(first_day, zone)
    _, end = local_day_bounds(first_day + timedelta(days=days - 1), zone)
    practitioners = active_practitioners(practitioner_id)
    appointments = _appointments_between(start, end, practitioner_id)
    blocks = _blocks_between(start, end, practitioner_id)
    paid = paid_by_appointment([a.id for a in appointments])
    result = {}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        columns = {p.id: PractitionerColumn(p) for p in practitioners}
        result[day] = columns
    for appointment in appointments:
        day = appointment.start_at.astimezone(zone).date()
        if appointment.practitioner_id in result[day]:
            result[day][appointment.practitioner_id].rows.append(
                AppointmentRow(appointment, paid.get(appointment.id, 0)))
    for block in blocks:
        for day, columns in result.items():
            day_start, day_end = local_day_bounds(day, zone)
            if block.start_at < day_end and block.end_at > day_start and block.practitioner_id in columns:
                columns[block.practitioner_id].blocks.append(block)
    return {day: list(columns.values()) for day, columns in result.items()}


def appointment_for_page(appointment_id: int) -> AppointmentRow | None:
    appointment = db.session.scalar(
        select(Appointment)
        .options(joinedload(Appointment.client), joinedload(Appointment.service),
                 joinedload(Appointment.practitioner))
        .where(Appointment.id == appointment_id)
    )
    if appointment is None:
        return None
    return AppointmentRow(appointment, paid_by_appointment([appointment.id]).get(appointment.id, 0))


@dataclass
class ClientHistory:
    upcoming: list[AppointmentRow]
    past: list[AppointmentRow]
    balance_cents: int


def client_history(client_id: int, now: datetime) -> ClientHistory:
    """A client's appointments, newest first, with what is owed: three queries."""
    appointments = list(db.session.scalars(
        select(Appointment)
        .options(joinedload(Appointment.service), joinedload(Appointment.practitioner))
        .where(Appointment.client_id == client_id)
        .order_by(Appointment.start_at.desc(), Appointment.id.desc())
    ))
    paid = paid_by_appointment([a.id for a in appointments])
    unassigned = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .where(Payment.client_id == client_id, Payment.appointment_id.is_(None))
    )
    rows = [AppointmentRow(a, paid.get(a.id, 0)) for a in appointments]
    upcoming, past = [], []
    for row in rows:
        ahead = row.appointment.start_at >= now and row.appointment.status not in RELEASED
        (upcoming if ahead else past).append(row)
    balance = sum(r.owing_cents for r in rows) - unassigned
    return ClientHistory(list(reversed(upcoming)), past, balance)


def bookable_services() -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.active).order_by(Service.name)))


def upcoming_time_off(practitioner_id: int, now: datetime) -> list[TimeBlock]:
    return list(db.session.scalars(
        select(TimeBlock)
        .where(TimeBlock.practitioner_id == practitioner_id, TimeBlock.end_at > now)
        .order_by(TimeBlock.start_at).limit(200)
    ))
