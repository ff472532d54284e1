"""Online booking's rules and writes: the settings; a hold on a free time, made for whoever
asks (with the policy acknowledged) and e-mailed as a signed link; the confirmation that
books it for the person behind the e-mail address; cancelling from "my appointments"; an
inquiry when nobody has room. Services flush and never commit.

Nothing here tells anyone anything about a person. A hold is made, and the same page and
e-mail follow, whoever the address belongs to: no client is looked up until the owner of
the address has opened the link. Only then is the person matched (the same e-mail address
is a known client; a blocked client's e-mail or phone, or a new person where a practitioner
takes existing clients only, is refused), and every refusal is the same CONTACT answer, at
that step, by one path."""

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.booking.models import (
    BookingHold,
    OnlineBooking,
    OnlinePractitioner,
    OnlineService,
    PublicRequest,
)
from practice.clients import identity
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.db import advisory_lock
from practice.errors import DomainError
from practice.messages import links
from practice.messages import services as messages
from practice.messages.registry import MessageKind, register
from practice.phones import normalise_phone
from practice.policies.models import PolicyAcknowledgement
from practice.policies.queries import local_date, policy_in_force
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment, Service, Status
from practice.settings.services import get_practice, practice_zone
from practice.validation import checked_email

CONTACT = "Please contact the practice to book."
CLOSED = "Online booking is not open at the moment. Please contact the practice to book."
NOT_FREE = "This time is not free any more. Please choose another."
TOO_MANY = ("There have been too many requests from here or for this e-mail address in the last hour. "
            "Please try again later, or contact the practice.")
INVALID = "This link does not work. Please book again, or contact the practice."
EXPIRED = "This link has expired and the time is free again for others. Please choose a time again."
USED = "This booking is confirmed already. The e-mail we sent has a link to your appointments."

HOLD_SALT = "practice.booking.hold"
MINE_SALT = "practice.booking.mine"
HOLD_MESSAGE = "booking.confirm"
BOOKED_MESSAGE = "booking.booked"
INQUIRY_MESSAGE = "booking.inquiry"
LIMITS_LOCK_KEY = 4_240_027  # PostgreSQL advisory lock serialising the count and insert of requests
WINDOW = timedelta(hours=1)
CANCEL_REASON = "Cancelled online by the client."


@dataclass(frozen=True)
class Limits:
    """How many holds and inquiries the public pages take within an hour, per internet
    address and per e-mail address, and how many holds one address may have waiting."""

    holds_per_address: int = 10
    holds_per_email: int = 3
    waiting_holds_per_address: int = 2
    inquiries_per_address: int = 5
    inquiries_per_email: int = 2


# The settings ------------------------------------------------------------------------------

def online_settings(session) -> OnlineBooking:
    """The practice's row, or the defaults (off; not saved) until an admin saves them."""
    row = session.scalar(select(OnlineBooking).limit(1))
    return row or OnlineBooking(enabled=False, min_notice_hours=24, days_ahead=60, hold_minutes=15)


PRACTITIONER_CHOICES = {"off": "Not online", "all": "Anyone", "existing": "Existing clients only"}


@dataclass
class SettingsChange:
    enabled: bool
    min_notice_hours: int | None
    days_ahead: int | None
    hold_minutes: int | None
    practitioners: dict[int, str] = field(default_factory=dict)  # id -> off | all | existing
    service_ids: set[int] = field(default_factory=set)


def _in_range(value: int | None, low: int, high: int, field_name: str, what: str) -> int:
    if value is None or not low <= value <= high:
        raise DomainError(f"{what} must be from {low} to {high}.", field=field_name)
    return value


def update_settings(session, actor: Actor, change: SettingsChange, *, now: datetime) -> OnlineBooking:
    notice = _in_range(change.min_notice_hours, 0, 24 * 30, "min_notice_hours", "The notice, in hours,")
    ahead = _in_range(change.days_ahead, 1, 365, "days_ahead", "How far ahead, in days,")
    hold_minutes = _in_range(change.hold_minutes, 5, 60, "hold_minutes", "The minutes to confirm")
    row = session.scalar(select(OnlineBooking).limit(1))
    if row is None:
        row = OnlineBooking()
        session.add(row)
    row.enabled, row.min_notice_hours, row.days_ahead, row.hold_minutes = (
        bool(change.enabled), notice, ahead, hold_minutes)
    row.updated_at, row.updated_by_id = now, actor.user.id if actor.user else None
    practitioners = {p.practitioner_id: p for p in session.scalars(select(OnlinePractitioner))}
    for practitioner_id, choice in change.practitioners.items():
        current = practitioners.get(practitioner_id)
        if choice == "off":
            if current is not None:
                session.delete(current)
        elif current is None:
            session.add(OnlinePractitioner(practitioner_id=practitioner_id,
                                           existing_clients_only=choice == "existing"))
        else:
            current.existing_clients_only = choice == "existing"
    services = {s.service_id: s for s in session.scalars(select(OnlineService))}
    for service_id, row_ in services.items():
        if service_id not in change.service_ids:
            session.delete(row_)
    for service_id in change.service_ids - set(services):
        session.add(OnlineService(service_id=service_id))
    session.flush()
    record(session, actor, "booking.settings", row, now=now, enabled=row.enabled, min_notice_hours=notice,
           days_ahead=ahead, hold_minutes=hold_minutes,
           practitioners={str(k): v for k, v in sorted(change.practitioners.items())},
           services=sorted(change.service_ids))
    session.flush()
    return row


# What may be booked online -------------------------------------------------------------------

def online_practitioner(session, practitioner_id: int) -> OnlinePractitioner | None:
    row = session.get(OnlinePractitioner, practitioner_id)
    practitioner = session.get(Practitioner, practitioner_id) if row else None
    return row if practitioner is not None and practitioner.active else None


def online_service(session, service_id: int) -> Service | None:
    service = session.get(Service, service_id) if session.get(OnlineService, service_id) else None
    return service if service is not None and service.active else None


def window(rules: OnlineBooking, now: datetime) -> tuple[datetime, datetime]:
    """The first and last moments a client may book online now."""
    return now + timedelta(hours=rules.min_notice_hours), now + timedelta(days=rules.days_ahead)


# Limits ----------------------------------------------------------------------------------------

def _take_place(session, kind: str, email: str, address: str, per_address: int, per_email: int, *,
                now: datetime) -> None:
    """Count this request against the hour's limits and record it, or refuse. The same
    answer for either limit, so it says nothing about whose address it is. The count and
    the insert are serialised (SQLite: the request's write lock; PostgreSQL: an advisory
    lock), so processes running side by side share the limits."""
    advisory_lock(session.connection(), LIMITS_LOCK_KEY)
    since = now - WINDOW
    for column, value, limit in ((PublicRequest.address, address, per_address),
                                 (PublicRequest.email, email, per_email)):
        count = session.scalar(select(func.count()).select_from(PublicRequest).where(
            PublicRequest.kind == kind, column == value, PublicRequest.at >= since))
        if count >= limit:
            raise DomainError(TOO_MANY)
    session.add(PublicRequest(kind=kind, email=email, address=address[:64], at=now))
    session.flush()


# Holds -----------------------------------------------------------------------------------------

@dataclass
class HoldRequest:
    practitioner_id: int
    service_id: int
    start_at: datetime
    name: str
    email: str
    phone: str = ""
    note: str = ""
    policy_version: int | None = None  # the version the form showed
    acknowledged: bool = False
    address: str = ""
    reminders: bool = False  # the client asks for reminders by e-mail


def _clean_person(session, request: HoldRequest) -> tuple[str, str, str, str]:
    name = " ".join((request.name or "").split())
    if not name:
        raise DomainError("Give your name.", field="name")
    if len(name) > 120:
        raise DomainError("Keep your name under 120 characters.", field="name")
    email = checked_email(request.email, "email")
    if not email:
        raise DomainError("Give your e-mail address: the link to confirm goes there.", field="email")
    phone = normalise_phone((request.phone or "").strip(), get_practice(session).phone_region)
    note = (request.note or "").strip()
    if len(note) > 1000:
        raise DomainError("Keep the note under 1000 characters.", field="note")
    return name, email, phone, note


def hold(session, request: HoldRequest, *, limits: Limits, now: datetime) -> BookingHold:
    """Hold a free time for whoever asked, and e-mail them the link that confirms it."""
    rules = online_settings(session)
    if not rules.enabled:
        raise DomainError(CLOSED)
    name, email, phone, note = _clean_person(session, request)
    policy = policy_in_force(session, now)
    if not request.acknowledged:
        raise DomainError("Tick the box to say you have read the policy.", field="agree")
    if request.policy_version != policy.version:
        raise DomainError(f"The policy has changed to version {policy.version} since the page was opened. "
                          "Please read it, then tick the box again.", field="agree")
    _take_place(session, "hold", email, request.address, limits.holds_per_address, limits.holds_per_email,
                now=now)
    waiting = session.scalar(select(func.count()).select_from(BookingHold).where(
        BookingHold.address == request.address[:64], BookingHold.confirmed_at.is_(None),
        BookingHold.released_at.is_(None), BookingHold.expires_at > now))
    if waiting >= limits.waiting_holds_per_address:
        raise DomainError("Times you asked for are still waiting for you to confirm them from your e-mail. "
                          "Please confirm them, or wait a few minutes for them to lapse.")
    service = online_service(session, request.service_id)
    if service is None or online_practitioner(session, request.practitioner_id) is None:
        raise DomainError(NOT_FREE)
    first, last = window(rules, now)
    if not first <= request.start_at <= last:
        raise DomainError(NOT_FREE)
    scheduling.lock_schedule(session, request.practitioner_id)
    zone = practice_zone(session)
    schedule = scheduling.day_schedule(session, request.practitioner_id, request.start_at.astimezone(zone).date(),
                                       zone)
    if schedule.refusal(request.start_at, service, now=now):
        raise DomainError(NOT_FREE)
    end_at = request.start_at + timedelta(minutes=service.duration_minutes)
    held = BookingHold(
        nonce=secrets.token_urlsafe(24), practitioner_id=request.practitioner_id, service_id=service.id,
        start_at=request.start_at, end_at=end_at,
        held_until=end_at + scheduling.held_buffer(service, schedule.schedule),
        expires_at=now + timedelta(minutes=rules.hold_minutes), name=name, email=email, phone=phone,
        note=note, address=request.address[:64], policy_id=policy.id, acknowledged_at=now,
        wants_reminders=bool(request.reminders), created_at=now)
    session.add(held)
    session.flush()
    link = links.external("booking.confirm", token=links.sign(HOLD_SALT, [held.id, held.nonce]))
    messages.queue_message(
        session, kind=HOLD_MESSAGE, to=email, to_name=messages.first_name(name),
        subject="Please confirm your booking", template="booking_confirm",
        context={"first_name": messages.first_name(name), "link": link, "hold": held, "service": service,
                 "practitioner_name": messages.first_name(held.practitioner.display_name)},
        actor=Actor(None, request.address), key=f"booking-hold-{held.id}", now=now)
    record(session, Actor(None, request.address), "booking.hold", held, now=now,
           start=held.start_at.isoformat(), practitioner_id=held.practitioner_id, service=service.name)
    session.flush()
    return held


def hold_for(session, token: str, *, now: datetime) -> BookingHold:
    """The hold a link stands for, while it may still be confirmed; else a plain refusal."""
    payload = links.unsign(HOLD_SALT, token)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise DomainError(INVALID)
    held = session.get(BookingHold, payload[0])
    if held is None or not hmac.compare_digest(held.nonce, payload[1]):
        raise DomainError(INVALID)
    if held.confirmed_at is not None:
        raise DomainError(USED)
    if held.released_at is not None:
        raise DomainError(CONTACT)
    if held.expires_at <= now:
        raise DomainError(EXPIRED)
    return held


@dataclass(frozen=True)
class Confirmation:
    appointment: Appointment | None  # None: refused, with CONTACT
    client: Client | None = None


def _person(session, held: BookingHold, *, actor: Actor, now: datetime) -> Client | None:
    """The client this confirmed address books as (a new one when nobody has it), or None
    when online booking must refuse them. The same queries whoever they are."""
    person = Client(display_name=held.name, email=held.email, phone=held.phone, standing="active")
    matches_blocked = identity.find(session, [person])
    known = session.scalars(select(Client).where(Client.email == held.email, Client.archived_at.is_(None))
                            .order_by(Client.id).limit(1)).first()
    setting = session.get(OnlinePractitioner, held.practitioner_id)
    if matches_blocked or (known is not None and not known.bookable):
        return None
    if known is None and (setting is None or setting.existing_clients_only):
        return None
    if known is not None:
        return known
    return client_services.create_client(
        session, actor, client_services.ClientDetails(display_name=held.name, email=held.email, phone=held.phone,
                                                      referral_source="Booked online"),
        phone_region=get_practice(session).phone_region, now=now)


def confirm(session, token: str, *, address: str, now: datetime) -> Confirmation:
    """Book the held time for the person behind the address, or refuse with CONTACT (the
    hold is then released). Once only: the hold is marked in the statement that checks it."""
    held = hold_for(session, token, now=now)
    actor = Actor(None, address)
    scheduling.lock_schedule(session, held.practitioner_id)
    marked = session.execute(
        update(BookingHold).where(BookingHold.id == held.id, BookingHold.confirmed_at.is_(None),
                                  BookingHold.released_at.is_(None))
        .values(confirmed_at=now).execution_options(synchronize_session=False)).rowcount
    if not marked:
        raise DomainError(USED)
    session.refresh(held)
    client = _person(session, held, actor=actor, now=now)
    if client is None:
        held.confirmed_at, held.released_at = None, now
        record(session, actor, "booking.refused_online", held, now=now)
        session.flush()
        return Confirmation(None)
    try:  # the hold kept the time; what could still refuse it (time off added since) is the practice's
        appointment = scheduling.book(session, actor, scheduling.BookingRequest(
            client.id, held.practitioner_id, held.service_id, held.start_at, notes=held.note,
            booked_online=True), now=now)
    except DomainError:
        raise DomainError(CONTACT) from None
    held.appointment_id = appointment.id
    _acknowledge(session, actor, client, held, now=now)
    if held.wants_reminders:
        messages.agree_when_booking(session, client, address=address, now=now)
    session.flush()
    messages.queue_message(
        session, kind=BOOKED_MESSAGE, to=held.email, to_name=messages.first_name(held.name),
        subject="Your booking is confirmed", template="booking_booked",
        context={"first_name": messages.first_name(held.name), "appointment": appointment,
                 "practitioner_name": messages.first_name(appointment.practitioner.display_name),
                 "mine": links.external("booking.mine", token=mine_token(client))},
        client=client, appointment=appointment, about_at=appointment.start_at, actor=actor,
        key=f"booking-booked-{held.id}", now=now)
    return Confirmation(appointment, client)


def _acknowledge(session, actor: Actor, client: Client, held: BookingHold, *, now: datetime) -> None:
    """The policy version the booking form showed, acknowledged when the form was sent."""
    session.add(PolicyAcknowledgement(
        client_id=client.id, policy_id=held.policy_id, acknowledged_on=local_date(session, held.acknowledged_at),
        method="online_booking", note="Ticked on the online booking form, confirmed from the e-mailed link.",
        recorded_at=held.acknowledged_at, recorded_by_id=None, address=held.address))
    session.flush()
    record(session, actor, "policy.acknowledge", client, now=now, client_id=client.id,
           policy_id=held.policy_id, method="online_booking", address=held.address)


def forget_unbooked_holds(session, *, before: datetime) -> int:
    """Delete holds that never became a booking (expired unconfirmed, or refused) before
    `before`: the name, e-mail, phone and note of someone who did not book are not kept."""
    never_booked = ((BookingHold.confirmed_at.is_(None) & (BookingHold.expires_at < before))
                    | (BookingHold.released_at < before))  # a refused hold's confirmed_at is undone
    return session.execute(delete(BookingHold).where(never_booked)).rowcount


def forget_requests(session, *, before: datetime) -> int:
    """Delete the limits' record of requests made before `before`, past every window."""
    return session.execute(delete(PublicRequest).where(PublicRequest.at < before)).rowcount


# My appointments -------------------------------------------------------------------------------

def mine_token(client: Client) -> str:
    return links.sign(MINE_SALT, [client.id])


def client_for_mine(session, token: str) -> Client | None:
    payload = links.unsign(MINE_SALT, token)
    if not (isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], int)):
        return None
    client = session.get(Client, payload[0])
    return client if client is not None and not client.archived else None


def own_appointment(session, client: Client, appointment_uuid: str, *, now: datetime) -> Appointment | None:
    """One of the client's own upcoming appointments (None: not theirs, or past)."""
    appointment = session.scalar(select(Appointment).where(Appointment.uuid == appointment_uuid))
    if appointment is None or appointment.client_id != client.id or appointment.start_at <= now:
        return None
    return appointment


def quote_cancel(session, appointment: Appointment, *, now: datetime) -> scheduling.FeeQuote:
    return scheduling.quote_cancel(session, appointment, CANCEL_REASON, now=now)


def cancel(session, appointment: Appointment, *, quoted_cents: int, address: str, now: datetime) -> None:
    """The client cancels from their own page, having seen the fee it carries; should the
    fee have changed since (the window passed while the page was open), they see it again."""
    if appointment.status != Status.BOOKED:
        raise DomainError("This appointment is not booked any more.")
    quote = quote_cancel(session, appointment, now=now)
    if quote.fee_cents != quoted_cents:
        raise DomainError("The fee for cancelling has changed since the page was opened. Please look again.")
    scheduling.cancel(session, Actor(None, address), appointment, CANCEL_REASON, now=now,
                      confirm_unacknowledged=True)


def move(session, client: Client, appointment: Appointment, start_at: datetime, *, address: str,
         now: datetime) -> None:
    """The client moves their appointment to another free time with the same practitioner,
    within the online rules, and not once the cancellation window has begun (a move then is
    the practice's to agree). Refusals say what to do, never what another booking is."""
    rules = online_settings(session)
    if not rules.enabled or online_service(session, appointment.service_id) is None or \
            online_practitioner(session, appointment.practitioner_id) is None or not client.bookable:
        raise DomainError("Please contact the practice to move this appointment.")
    if appointment.status != Status.BOOKED:
        raise DomainError("This appointment is not booked any more.")
    policy = policy_in_force(session, now)
    if appointment.start_at - now < timedelta(hours=policy.cancellation_window_hours):
        raise DomainError(f"It is less than {policy.cancellation_window_hours} hours before the appointment: "
                          "please contact the practice to move it.")
    first, last = window(rules, now)
    if not first <= start_at <= last:
        raise DomainError(NOT_FREE)
    try:
        scheduling.reschedule(session, Actor(None, address), appointment, start_at, now=now)
    except DomainError:
        raise DomainError(NOT_FREE) from None


# Inquiries when full -----------------------------------------------------------------------------

@dataclass
class InquiryRequest:
    name: str
    email: str
    phone: str = ""
    need: str = ""
    preferred_times: str = ""
    area: str = ""
    service_id: int | None = None
    address: str = ""


def inquire(session, request: InquiryRequest, *, limits: Limits, now: datetime):
    """An inquiry for when nobody has room: it joins the waitlist, and the person is told
    by e-mail that it arrived."""
    from referrals import services as network
    from referrals.services import InquiryDetails

    if not online_settings(session).enabled:
        raise DomainError(CLOSED)
    email = checked_email(request.email, "email")
    if not email:
        raise DomainError("Give your e-mail address, so that the practice can reply.", field="email")
    service = online_service(session, request.service_id) if request.service_id else None
    _take_place(session, "inquiry", email, request.address, limits.inquiries_per_address,
                limits.inquiries_per_email, now=now)
    actor = Actor(None, request.address)
    inquiry = network.record_inquiry(session, actor, InquiryDetails(
        name=request.name, email=email, phone=request.phone, need=request.need,
        preferred_times=request.preferred_times, area=request.area,
        service_id=service.id if service else None), phone_region=get_practice(session).phone_region, now=now)
    network.waitlist_inquiry(session, actor, inquiry, now=now)
    messages.queue_message(
        session, kind=INQUIRY_MESSAGE, to=email, to_name=messages.first_name(inquiry.name),
        subject="We have your inquiry", template="booking_inquiry",
        context={"first_name": messages.first_name(inquiry.name), "service": service},
        actor=actor, key=f"booking-inquiry-{inquiry.id}", now=now)
    return inquiry


register(MessageKind(HOLD_MESSAGE, "Online booking: link to confirm"))
register(MessageKind(BOOKED_MESSAGE, "Online booking: confirmed"))
register(MessageKind(INQUIRY_MESSAGE, "Online inquiry: received"))
