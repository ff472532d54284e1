"""Whether a start time is free for a practitioner: working hours, time off, minimum
notice, the daily limit and other bookings with their buffers; the day's free starts."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from practice.booking.models import BookingHold
from practice.scheduling.models import (
    RELEASED,
    Appointment,
    PractitionerSchedule,
    Service,
    TimeBlock,
    WorkingHours,
)
from practice.scheduling.services.local_time import hhmm, local_day_bounds
from practice.scheduling.services.settings import WEEKDAYS, schedule_for
from practice.settings.services import practice_zone

SLOT_STEP = timedelta(minutes=15)


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
    # Times held for online bookings waiting for their e-mailed confirmation; one that has
    # expired no longer counts (checked here, at read time, so no job has to free it).
    holds: list[BookingHold] = field(default_factory=list)

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
        for hold in self.holds:
            if hold.live(now) and hold.start_at < held_until and hold.held_until > start:
                return (f"{self._span(hold.start_at, hold.end_at)} is held for an online booking "
                        f"until {hhmm(hold.expires_at, self.zone)}")
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
    holds = session.scalars(_unconfirmed_holds([practitioner_id], start, end))
    return DaySchedule(zone, day, schedule, list(hours), list(blocks), list(appointments), list(holds))


def _unconfirmed_holds(practitioner_ids, start: datetime, end: datetime):
    return select(BookingHold).where(
        BookingHold.practitioner_id.in_(practitioner_ids), BookingHold.confirmed_at.is_(None),
        BookingHold.released_at.is_(None), BookingHold.start_at < end, BookingHold.held_until > start)


def day_schedules(session, practitioner_ids, first_day: date, last_day: date,
                  zone: ZoneInfo) -> dict[tuple[int, date], DaySchedule]:
    """The DaySchedule of each of these practitioners on each day of the range, by
    (practitioner id, day): five queries whatever the range. Read only: a practitioner
    without a schedule row (no hours set yet) gets no entry, as they cannot be booked."""
    ids = list(practitioner_ids)
    if not ids or last_day < first_day:
        return {}
    start, _ = local_day_bounds(first_day, zone)
    _, end = local_day_bounds(last_day, zone)
    schedules = session.scalars(select(PractitionerSchedule).where(PractitionerSchedule.practitioner_id.in_(ids)))
    hours = list(session.scalars(select(WorkingHours).where(WorkingHours.practitioner_id.in_(ids))))
    blocks = list(session.scalars(select(TimeBlock).where(
        TimeBlock.practitioner_id.in_(ids), TimeBlock.start_at < end, TimeBlock.end_at > start)))
    appointments = list(session.scalars(select(Appointment).where(
        Appointment.practitioner_id.in_(ids), Appointment.status.not_in(RELEASED),
        Appointment.start_at < end, Appointment.held_until > start)))
    holds = list(session.scalars(_unconfirmed_holds(ids, start, end)))
    result = {}
    for schedule in schedules:
        pid = schedule.practitioner_id
        day = first_day
        while day <= last_day:
            day_start, day_end = local_day_bounds(day, zone)
            result[pid, day] = DaySchedule(
                zone, day, schedule,
                [h for h in hours if h.practitioner_id == pid and h.weekday == day.weekday()],
                [b for b in blocks if b.practitioner_id == pid and b.start_at < day_end and b.end_at > day_start],
                [a for a in appointments if a.practitioner_id == pid
                 and a.start_at < day_end and a.held_until > day_start],
                [h for h in holds if h.practitioner_id == pid and h.start_at < day_end and h.held_until > day_start])
            day += timedelta(days=1)
    return result


def first_free_starts(session, service: Service, practitioner_ids, *, after: datetime, days: int,
                      now: datetime) -> list[tuple[int, datetime]]:
    """Each practitioner's first free start for `service` from `after` on, within `days`
    days, soonest first: (practitioner id, start). Five queries whatever the range."""
    zone = practice_zone(session)
    first_day = after.astimezone(zone).date()
    schedules = day_schedules(session, practitioner_ids, first_day, first_day + timedelta(days=days - 1), zone)
    found: dict[int, datetime] = {}
    for (practitioner_id, _day), schedule in sorted(schedules.items(), key=lambda item: item[0][1]):
        if practitioner_id in found:
            continue
        start = next((s for s in schedule.free_starts(service, now=now) if s >= after), None)
        if start is not None:
            found[practitioner_id] = start
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def free_slots(session, practitioner_id: int, service_id: int, day: date, *, now: datetime) -> list[datetime]:
    service = session.get(Service, service_id)
    if service is None:
        return []
    return day_schedule(session, practitioner_id, day, practice_zone(session)).free_starts(service, now=now)
