"""Money on the schedule: amounts typed, fees as a percentage, what is due and paid,
payments, a client's balance. Integer minor units (cents), never floats."""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func, select

from practice.audit.services import Actor, record
from practice.errors import DomainError
from practice.scheduling import signals
from practice.scheduling.models import ATTENDED, CHARGEABLE, Appointment, Payment
from practice.scheduling.services.booking import appointment_facts
from practice.scheduling.services.local_time import local_moment
from practice.settings.services import local_date, practice_zone

PAYMENT_METHODS = {"card": "Card", "cash": "Cash", "transfer": "Bank transfer", "other": "Other"}


MAX_AMOUNT = Decimal(1_000_000)


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


def amount_due(appointment: Appointment) -> int:
    """What the client owes for this appointment: the price once they came, the fee for a
    late cancellation or no-show (unless waived), nothing otherwise."""
    if appointment.status in ATTENDED:
        return appointment.price_cents
    if appointment.status in CHARGEABLE and not appointment.fee_waived:
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
    session.flush()
    due, paid = amount_due(appointment), amount_paid(session, appointment)
    signals.payment_recorded.send(payment, facts=appointment_facts(appointment, now) | {
        "payment_id": payment.id, "amount_cents": amount_cents, "method": method, "paid_at": paid_at,
        "due_cents": due, "paid_cents": paid, "short_cents": max(0, due - paid)})
    return payment


def paid_at(session, paid_on: date | None, now: datetime) -> datetime:
    """The moment of a payment entered by its day: now for today, else noon that day."""
    if paid_on is None or paid_on == local_date(session, now):
        return now
    return local_moment(paid_on, time(12), practice_zone(session))


def client_balance(session, client_id: int) -> int:
    """What the client owes across all appointments (negative: paid in advance)."""
    appointments = session.scalars(select(Appointment).where(Appointment.client_id == client_id))
    due = sum(amount_due(a) for a in appointments)
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.client_id == client_id))
    return due - paid
