"""The schedule's settings: the calendar settings row, services, each practitioner's weekly
hours, buffer, daily limit, minimum notice and time off."""

from datetime import datetime, time
from itertools import pairwise

from sqlalchemy import delete, insert, select

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.errors import DomainError
from practice.scheduling.models import (
    LONGEST_SESSION,
    PractitionerSchedule,
    SchedulingPolicy,
    Service,
    TimeBlock,
    WorkingHours,
    service_specialty,
)
from referrals.models import Modality

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


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
    session.flush()


def _check_service(name: str, duration_minutes: int, price_cents: int, buffer_after_minutes: int) -> None:
    if not name.strip():
        raise DomainError("Give the service a name.", field="name")
    if not 5 <= duration_minutes <= LONGEST_SESSION.total_seconds() // 60:
        raise DomainError("A session lasts from 5 minutes to 8 hours.", field="duration_minutes")
    if not 0 <= buffer_after_minutes <= 240:
        raise DomainError("Use a buffer from 0 to 240 minutes.", field="buffer_after_minutes")
    if price_cents < 0:
        raise DomainError("The price cannot be negative.", field="price")


def create_service(
    session, actor: Actor, *, name: str, duration_minutes: int, price_cents: int,
    buffer_after_minutes: int = 0, specialty_ids=(), now: datetime,
) -> Service:
    _check_service(name, duration_minutes, price_cents, buffer_after_minutes)
    service = Service(name=name.strip(), duration_minutes=duration_minutes, price_cents=price_cents,
                      buffer_after_minutes=buffer_after_minutes, active=True)
    session.add(service)
    session.flush()
    specialties = _set_specialties(session, service, specialty_ids)
    record(session, actor, "service.create", service, now=now, name=service.name, specialties=specialties)
    session.flush()
    return service


def update_service(
    session, actor: Actor, service: Service, *, name: str, duration_minutes: int, price_cents: int,
    buffer_after_minutes: int = 0, specialty_ids=(), now: datetime,
) -> None:
    """Change a service; appointments already booked keep their own times and prices."""
    _check_service(name, duration_minutes, price_cents, buffer_after_minutes)
    changes = {}
    for field, value in (("name", name.strip()), ("duration_minutes", duration_minutes),
                         ("price_cents", price_cents), ("buffer_after_minutes", buffer_after_minutes)):
        if getattr(service, field) != value:
            changes[field] = [getattr(service, field), value]
            setattr(service, field, value)
    before = specialties_of(session, [service.id]).get(service.id, [])
    after = _set_specialties(session, service, specialty_ids)
    if before != after:
        changes["specialties"] = [before, after]
    if changes:
        record(session, actor, "service.update", service, now=now, **changes)
    session.flush()


def specialties_of(session, service_ids) -> dict[int, list[int]]:
    """The specialties (the referral network's modality ids) each service covers, in one query."""
    found: dict[int, list[int]] = {}
    for service_id, modality_id in session.execute(
            select(service_specialty.c.service_id, service_specialty.c.modality_id)
            .where(service_specialty.c.service_id.in_(list(service_ids)))
            .order_by(service_specialty.c.service_id, service_specialty.c.modality_id)):
        found.setdefault(service_id, []).append(modality_id)
    return found


def _set_specialties(session, service: Service, specialty_ids) -> list[int]:
    """Replace the specialties the service covers; each must be one of the network's."""
    wanted = sorted({int(i) for i in specialty_ids})
    known = set(session.scalars(select(Modality.id).where(Modality.id.in_(wanted)))) if wanted else set()
    if set(wanted) - known:
        raise DomainError("Choose the specialties from the list.", field="specialty_ids")
    session.execute(delete(service_specialty).where(service_specialty.c.service_id == service.id))
    if wanted:
        session.execute(insert(service_specialty), [{"service_id": service.id, "modality_id": i} for i in wanted])
    return wanted


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
    session.flush()


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
    session.flush()


TypedWeek = dict[int, list[tuple[str, str]]]  # weekday -> its ranges as typed: (start, end)


def read_week_hours(week: TypedWeek) -> tuple[list[tuple[int, time, time]], dict[tuple[int, int], str]]:
    """The hours form's ranges, one pair of time fields each, read into ranges for
    `set_working_hours`, with a message for every range that is wrong (not only the first),
    keyed by (weekday, its place in the day). A range left empty is no range."""
    ranges, problems = [], {}
    for weekday, typed in sorted(week.items()):
        day: list[tuple[int, time, time]] = []
        for place, (start_text, end_text) in enumerate(typed):
            if not start_text.strip() and not end_text.strip():
                continue
            starts, ends = _clock_time(start_text), _clock_time(end_text)
            if starts is None or ends is None:
                problems[weekday, place] = "Give a start and an end, like 09:00 and 13:00."
            elif starts >= ends:
                problems[weekday, place] = "The end must be after the start."
            elif clash := next((f"{s:%H:%M}-{e:%H:%M}" for _, s, e in day if s < ends and starts < e), None):
                problems[weekday, place] = f"Overlaps {clash} on the same day."
            else:
                day.append((place, starts, ends))
        ranges += [(weekday, starts, ends) for _, starts, ends in day]
    return ranges, problems


def _clock_time(text: str) -> time | None:
    """'09:00', '9:00' or '0900' as a time of day; None for anything else."""
    digits = text.strip().replace(".", ":")
    hours, _, minutes = digits.partition(":") if ":" in digits else (digits[:-2], "", digits[-2:])
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        return None
    return time(int(hours), int(minutes)) if int(hours) < 24 and int(minutes) < 60 else None


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
    session.flush()
    return block


def remove_time_block(session, actor: Actor, block: TimeBlock, *, now: datetime) -> None:
    """Give back manually blocked time (imported busy time follows its calendar instead)."""
    if block.source != "manual":
        raise DomainError("Busy time from a personal calendar changes when the calendar is imported again.")
    record(session, actor, "schedule.unblock", block, now=now, start=block.start_at.isoformat(),
           end=block.end_at.isoformat())
    session.delete(block)
    session.flush()
