"""Reads for the front desk, calendar and client pages: a fixed number of queries each."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.orm import joinedload

from practice.auth.models import Practitioner
from practice.auth.queries import active_practitioners
from practice.db import db
from practice.scheduling.models import RELEASED, Appointment, Payment, Service, Status, TimeBlock
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


HISTORY_SHOWN = 50  # past appointments the client page shows, unless asked for the whole history


@dataclass
class ClientHistory:
    upcoming: list[AppointmentRow]
    past: list[AppointmentRow]  # newest first; the latest HISTORY_SHOWN unless all were asked for
    balance_cents: int  # over the whole history
    more_past: bool = False  # older past appointments were left out


def _due_in_sql():
    """What services.amount_due counts for an appointment, as SQL."""
    return case(
        (Appointment.status.in_((Status.ARRIVED.value, Status.COMPLETED.value)), Appointment.price_cents),
        (and_(Appointment.status.in_((Status.LATE_CANCELLED.value, Status.NO_SHOW.value)),
              Appointment.fee_waived.is_(False)), Appointment.fee_cents),
        else_=0,
    )


def _balance(client_id: int) -> int:
    """What the client owes over their whole history (negative: in credit), summed in the
    database: due for their appointments, less every payment they made (one query)."""
    theirs = select(Appointment.id).where(Appointment.client_id == client_id)
    due = select(func.coalesce(func.sum(_due_in_sql()), 0)).where(Appointment.client_id == client_id)
    paid = select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(or_(
        Payment.appointment_id.in_(theirs),
        and_(Payment.client_id == client_id, Payment.appointment_id.is_(None))))
    return int(db.session.scalar(select(due.scalar_subquery() - paid.scalar_subquery())))


def client_history(client_id: int, now: datetime, *, past_shown: int | None = HISTORY_SHOWN) -> ClientHistory:
    """A client's upcoming appointments, their latest `past_shown` past ones (all when None),
    newest first, and what they owe over their whole history: four queries, however long
    the history."""
    ahead = and_(Appointment.start_at >= now, Appointment.status.not_in(RELEASED))
    theirs = (select(Appointment).options(joinedload(Appointment.service), joinedload(Appointment.practitioner))
              .where(Appointment.client_id == client_id))
    upcoming = list(db.session.scalars(theirs.where(ahead).order_by(Appointment.start_at, Appointment.id)))
    past_query = theirs.where(not_(ahead)).order_by(Appointment.start_at.desc(), Appointment.id.desc())
    if past_shown is not None:
        past_query = past_query.limit(past_shown + 1)
    past = list(db.session.scalars(past_query))
    more_past = past_shown is not None and len(past) > past_shown
    past = past[:past_shown] if more_past else past
    paid = paid_by_appointment([a.id for a in upcoming + past])
    return ClientHistory([AppointmentRow(a, paid.get(a.id, 0)) for a in upcoming],
                         [AppointmentRow(a, paid.get(a.id, 0)) for a in past], _balance(client_id), more_past)


def bookable_services() -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.active).order_by(Service.name)))


def upcoming_time_off(practitioner_id: int, now: datetime) -> list[TimeBlock]:
    return list(db.session.scalars(
        select(TimeBlock)
        .where(TimeBlock.practitioner_id == practitioner_id, TimeBlock.end_at > now)
        .order_by(TimeBlock.start_at).limit(200)
    ))
