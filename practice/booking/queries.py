"""What the public pages read: the services and practitioners offered online, their free
times within the practice's online rules, a client's upcoming appointments. A fixed number of
queries each, and nothing about any client but the one a signed link names."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from practice.auth.models import Practitioner
from practice.booking.models import OnlineBooking, OnlinePractitioner, OnlineService
from practice.booking.services import online_settings, window
from practice.messages import services as messages
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment, PractitionerSchedule, Service, Status
from practice.settings.services import practice_zone


@dataclass(frozen=True)
class Offer:
    rules: OnlineBooking
    services: list[Service]
    practitioners: list[Practitioner]  # who take online bookings (with working hours set)


def offer(session) -> Offer:
    rules = online_settings(session)
    services = list(session.scalars(select(Service).join(OnlineService, OnlineService.service_id == Service.id)
                                    .where(Service.active).order_by(Service.name)))
    practitioners = list(session.scalars(
        select(Practitioner).join(OnlinePractitioner, OnlinePractitioner.practitioner_id == Practitioner.id)
        .join(PractitionerSchedule, PractitionerSchedule.practitioner_id == Practitioner.id)
        .where(Practitioner.active).order_by(Practitioner.display_name)))
    return Offer(rules, services, practitioners)


def first_name(practitioner: Practitioner) -> str:
    """Public pages name a practitioner by their first name, as the messages do."""
    return messages.first_name(practitioner.display_name)


@dataclass(frozen=True)
class Times:
    day: date | None  # None: each practitioner's first free times
    by_practitioner: list[tuple[Practitioner, list[datetime]]]

    @property
    def any(self) -> bool:
        return any(starts for _, starts in self.by_practitioner)


FIRST_TIMES = 4  # how many of a practitioner's first free times the page offers


def free_times(session, rules: OnlineBooking, service: Service, practitioners: list[Practitioner],
               day: date | None, *, now: datetime) -> Times:
    """Free starts for `service` on `day` (or, without a day, the first few of each
    practitioner within the booking window), inside the online notice and how far ahead."""
    zone = practice_zone(session)
    first, last = window(rules, now)
    if day is None:
        first_day, last_day = first.astimezone(zone).date(), last.astimezone(zone).date()
    else:
        first_day = last_day = day
    schedules = scheduling.day_schedules(session, [p.id for p in practitioners], first_day, last_day, zone)
    result = []
    for practitioner in practitioners:
        starts = []
        current = first_day
        while current <= last_day and len(starts) < (FIRST_TIMES if day is None else 10_000):
            schedule = schedules.get((practitioner.id, current))
            if schedule is not None:
                starts += [s for s in schedule.free_starts(service, now=now) if first <= s <= last]
            current += timedelta(days=1)
        result.append((practitioner, starts[:FIRST_TIMES] if day is None else starts))
    return Times(day, result)


def upcoming(session, client_id: int, *, now: datetime) -> list[Appointment]:
    """The client's booked appointments still to come (one query)."""
    return list(session.scalars(
        select(Appointment).options(joinedload(Appointment.service), joinedload(Appointment.practitioner))
        .where(Appointment.client_id == client_id, Appointment.status == Status.BOOKED.value,
               Appointment.start_at > now)
        .order_by(Appointment.start_at).limit(50)))


@dataclass(frozen=True)
class SettingsPage:
    practitioners: list[Practitioner]
    services: list[Service]
    chosen: dict[int, str]  # practitioner id -> all | existing (absent: not online)
    offered: set[int]       # service ids


def settings_page(session) -> SettingsPage:
    practitioners = list(session.scalars(select(Practitioner).where(Practitioner.active)
                                         .order_by(Practitioner.display_name)))
    services = list(session.scalars(select(Service).where(Service.active).order_by(Service.name)))
    chosen = {row.practitioner_id: ("existing" if row.existing_clients_only else "all")
              for row in session.scalars(select(OnlinePractitioner))}
    offered = set(session.scalars(select(OnlineService.service_id)))
    return SettingsPage(practitioners, services, chosen, offered)
