"""iCalendar in: a practitioner's own calendar (.ics) becomes blocked time.

Only *when* the practitioner is busy enters the practice database: every imported block
reads "Busy (personal calendar)". The events' titles, places, descriptions and attendees
are read by the parser and dropped: the practitioner's private life is not the practice's
business.

What blocks time, and how (all times end up as aware UTC datetimes):
- an event that is busy (TRANSP:OPAQUE, the default) and not STATUS:CANCELLED;
  TRANSP:TRANSPARENT (and Outlook's X-MICROSOFT-CDO-BUSYSTATUS:FREE) marks free time;
- times with a TZID: in that zone; UTC times as they are;
- floating times and all-day dates: in the calendar's own zone (X-WR-TIMEZONE) or,
  without one, in the practice's zone; an all-day event blocks its whole day(s)
  midnight to midnight there (23 or 25 hours on a daylight-saving change day);
- recurring events (RRULE, RDATE) are expanded with `recurring-ical-events` over the
  window; EXDATE removes occurrences; a moved occurrence (RECURRENCE-ID) blocks its new
  time only, a cancelled one blocks nothing;
- an event that takes no time (start = end) blocks nothing.

The window runs from the start of today (in the practice's zone) to now + horizon. A
block is identified by the event's UID and the occurrence's original start (its
RECURRENCE-ID, which for a single event is its DTSTART), so importing the same file again
changes nothing, and importing an edited file updates the blocks that moved, adds the new
ones and removes the ones whose events are gone. After an import, the practitioner's
imported blocks from the start of the window on are exactly what the file says for the
window (so blocks an earlier, longer horizon left beyond this one's end are removed too).
Imported blocks that ended before the window (the past) are left as they are; manual
blocks are never touched.
"""

from __future__ import annotations

import codecs
import hashlib
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from itertools import accumulate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.errors import DomainError, NotFound
from practice.scheduling.models import RELEASED, Appointment, PractitionerSchedule, TimeBlock
from practice.settings import services as settings_services
from practice.settings.services import local_date

UTC = timezone.utc
REASON = "Busy (personal calendar)"
MAX_OCCURRENCES = 5000
MAX_BYTES = 2 * 1024 * 1024
# An upper bound on the work the recurrence rules of one file may ask for (roughly: the
# candidate times the rule engine steps through, about 3 microseconds each). Real calendars
# stay far below it; a rule like "every minute since 2010" would run for hours.
MAX_RULE_STEPS = 500_000
MAX_HORIZON_DAYS = 730
NOT_ICALENDAR = "This file is not an iCalendar (.ics) file"
# Properties that decide when an event happens: a broken one means we cannot know when the
# practitioner is busy, so the file is refused rather than imported with holes in it.
TIME_PROPERTIES = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
FREQ_SECONDS = {
    "SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400,
}
UID_MAX = 500  # TimeBlock.external_uid


@dataclass
class ImportResult:
    """What an import did, for the page that reports it."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped_free: int = 0  # occurrences in the window that block no time
    notes: list[str] = field(default_factory=list)
    window_start: datetime | None = None
    window_end: datetime | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class _Busy:
    uid: str
    key: str
    start_at: datetime
    end_at: datetime


def import_busy_time(
    session, actor: Actor, practitioner_id: int, data: bytes, *, now: datetime,
    horizon_days: int = 180, max_bytes: int = MAX_BYTES,
) -> ImportResult:
    """Replace the practitioner's imported busy time from today on with what `data` says.

    All or nothing: a refused file (DomainError, field "file") or any failure raises, and
    the caller's unit of work rolls back. Records one "calendar.import" audit event."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise DomainError(f"Import from 1 to {MAX_HORIZON_DAYS} days ahead.", field="horizon_days")
    if session.get(Practitioner, practitioner_id) is None:
        raise NotFound("Choose a practitioner.", field="practitioner_id")
    practice_zone = settings_services.practice_zone(session)
    today = local_date(session, now)
    window_start = datetime.combine(today, time(0), practice_zone).astimezone(UTC)
    window_end = now.astimezone(UTC) + timedelta(days=horizon_days)
    result = ImportResult(window_start=window_start, window_end=window_end)

    calendars = _parse(data, max_bytes)
    busy, free = _busy_times(calendars, practice_zone, window_start, window_end,
                             horizon_days, result.notes)
    result.skipped_free = sum(free.values())

    try:
        _lock(session, practitioner_id)
        _apply(session, practitioner_id, busy, window_start, result)
        _note_free(free, result.notes)
        _note_clashes(session, practitioner_id, busy, practice_zone, result.notes)
        record(
            session, actor, "calendar.import", session.get(Practitioner, practitioner_id),
            now=now, added=result.added, updated=result.updated, removed=result.removed,
            unchanged=result.unchanged, skipped_free=result.skipped_free,
            window_start=window_start.isoformat(), window_end=window_end.isoformat(),
            bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
        )
        session.flush()
    except IntegrityError:
        # Two imports for one practitioner at once (the lock makes this unlikely); the unit
        # of work rolls back.
        raise DomainError("Another import for this practitioner ran at the same moment; "
                          "please try again.", field="file") from None
    return result


# Reading the file ---------------------------------------------------------------------

def _parse(data: bytes, max_bytes: int) -> list[icalendar.Calendar]:
    if not isinstance(data, bytes | bytearray):
        raise TypeError("data must be bytes")
    if not data.strip():
        raise DomainError("The file is empty. Export your calendar as an .ics file and "
                          "choose that file.", field="file")
    if len(data) > max_bytes:
        raise DomainError(
            f"The file is too large ({_size(len(data))}; the limit is {_size(max_bytes)}). "
            "Export a shorter period of your calendar, or only the calendar that holds "
            "your own appointments.", field="file")
    data = bytes(data)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise DomainError(f"{NOT_ICALENDAR}.", field="file") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data or not data.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        raise DomainError(f"{NOT_ICALENDAR}.", field="file")
    try:
        components = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as error:  # the parser raises ValueError and friends on any bad line
        raise DomainError(_damaged(str(error)), field="file") from None
    if not components:
        raise DomainError(_damaged("it ends before the calendar does (END:VCALENDAR)"),
                          field="file")
    if any(component.name != "VCALENDAR" for component in components):
        raise DomainError(f"{NOT_ICALENDAR}.", field="file")
    return components


def _damaged(detail: str) -> str:
    detail = " ".join(detail.split())
    if len(detail) > 160:
        detail = detail[:157] + "..."
    return f"This iCalendar (.ics) file is damaged and could not be read: {detail}"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _check_events(calendar: icalendar.Calendar, practice_zone: ZoneInfo, notes: list[str]) -> ZoneInfo:
    """Refuse events whose timing cannot be read; give UID-less events a stable UID;
    return the zone for the calendar's floating times and dates."""
    zone = practice_zone
    wr_timezone = calendar.get("X-WR-TIMEZONE")
    if wr_timezone is not None:
        try:
            zone = ZoneInfo(str(wr_timezone).strip())
        except (ZoneInfoNotFoundError, ValueError):
            del calendar["X-WR-TIMEZONE"]  # recurring-ical-events would fail on it
            notes.append(f"The calendar's time zone ({str(wr_timezone)[:60]}) is unknown; "
                         f"its floating and all-day times were read in {practice_zone.key}.")
    problems = []
    unknown_zones = set()
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        broken = sorted({name for name, _ in event.errors if name.upper() in TIME_PROPERTIES})
        if broken:
            problems.append(f"event {number} has an unreadable {', '.join(broken)}")
            continue
        start = event.get("DTSTART")
        if start is None:
            problems.append(f"event {number} has no start (DTSTART)")
            continue
        for name in ("DTSTART", "DTEND"):
            prop = event.get(name)
            if prop is not None and "TZID" in prop.params and isinstance(prop.dt, datetime) \
                    and prop.dt.tzinfo is None:
                unknown_zones.add(str(prop.params["TZID"])[:60])
        if not str(event.get("UID", "")).strip():
            # RFC 5545 requires a UID; without one, derive a stable one from the timing.
            timing = b"|".join(event[name].to_ical() for name in ("DTSTART", "DTEND", "DURATION")
                               if name in event)
            event["UID"] = "no-uid-" + hashlib.sha256(timing).hexdigest()[:32]
    if problems:
        shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
        raise DomainError(_damaged(shown), field="file")
    if unknown_zones:
        notes.append(f"Some events use a time zone this program does not know "
                     f"({', '.join(sorted(unknown_zones)[:3])}); their times were read in {zone.key}.")
    return zone


def _check_rule_work(calendar: icalendar.Calendar, window_end: datetime) -> int:
    """Estimate how many candidate times the file's recurrence rules make the rule engine
    step through up to the window's end (it always starts at the event's DTSTART)."""
    steps = 0
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        if rules is None:
            continue
        start = _rough_utc(event["DTSTART"].dt)
        for rule in rules if isinstance(rules, list) else [rules]:
            freq = str(_first(rule, "FREQ", "")).upper()
            period = FREQ_SECONDS.get(freq)
            if period is None:
                continue  # recurring-ical-events refuses it and we report that
            try:
                interval = max(1, int(_first(rule, "INTERVAL", 1)))
            except (TypeError, ValueError):
                interval = 1
            end = window_end + timedelta(days=2)
            until = _first(rule, "UNTIL", None)
            if isinstance(until, date):
                end = min(end, _rough_utc(until))
            periods = max(0.0, (end - start).total_seconds()) / (period * interval) + 1
            by_parts = {name for name in rule if name.startswith("BY")}
            count = _first(rule, "COUNT", None)
            if count is not None and not by_parts:
                periods = min(periods, int(count))
            steps += periods * _expansion(rule, freq, period)
    return int(steps)


def _expansion(rule, freq: str, period: int) -> int:
    """How many candidate times one period of the rule can expand to."""
    factor = 1
    for name, unit in (("BYHOUR", 3600), ("BYMINUTE", 60), ("BYSECOND", 1)):
        if unit < period and rule.get(name):
            factor *= len(rule[name])
    day_parts = [name for name in ("BYYEARDAY", "BYWEEKNO", "BYMONTHDAY", "BYDAY") if rule.get(name)]
    if freq == "WEEKLY" and rule.get("BYDAY"):
        factor *= len(rule["BYDAY"])
    elif freq == "MONTHLY" and day_parts:
        factor *= 31
    elif freq == "YEARLY" and day_parts:
        factor *= 366
    elif freq == "YEARLY" and rule.get("BYMONTH"):
        factor *= len(rule["BYMONTH"])
    return factor


def _first(rule, name, default):
    values = rule.get(name)
    return values[0] if values else default


def _rough_utc(value) -> datetime:
    """Good to a day: for estimates only."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time(0), UTC)


# Expanding ----------------------------------------------------------------------------

def _busy_times(
    calendars, practice_zone: ZoneInfo, window_start: datetime, window_end: datetime,
    horizon_days: int, notes: list[str],
) -> tuple[list[_Busy], Counter]:
    """Every busy occurrence overlapping the window, and a count of the free ones by kind."""
    too_many = DomainError(
        f"This calendar has more than {MAX_OCCURRENCES} events in the next {horizon_days} days. "
        "Import only the calendar that holds your own appointments, or a shorter period.",
        field="file")
    # A day either side: floating times and dates are compared loosely by the library.
    span_start, span_end = window_start - timedelta(days=1), window_end + timedelta(days=1)
    busy: list[_Busy] = []
    free: Counter = Counter()
    seen = 0
    steps = 0
    events = 0
    for calendar in calendars:
        zone = _check_events(calendar, practice_zone, notes)
        events += len(calendar.walk("VEVENT"))
        steps += _check_rule_work(calendar, window_end)
        if steps > MAX_RULE_STEPS:
            raise DomainError(
                "This calendar has an event that repeats too often (every few seconds, minutes "
                "or hours, or for a very long time) to be imported.", field="file")
        try:
            query = recurring_ical_events.of(calendar)
            for series in query.series:
                for occurrence in series.between(span_start, span_end):
                    seen += 1
                    if seen > MAX_OCCURRENCES:
                        raise too_many
                    component = occurrence.as_component(False)
                    kind, item = _classify(component, zone)
                    if kind is not None:
                        if _overlaps(component, zone, window_start, window_end):
                            free[kind] += 1
                    elif item.start_at < window_end and item.end_at > window_start:
                        busy.append(item)
        except DomainError:
            raise
        except Exception as error:  # the library's InvalidCalendar, BadRuleStringFormat, ...
            raise DomainError(_damaged(str(error) or type(error).__name__), field="file") from None
    if events == 0:
        notes.append("The file holds no events.")
    return _unique_keys(busy), free


def _classify(component, zone: ZoneInfo) -> tuple[str | None, _Busy | None]:
    """(why it blocks nothing, None) or (None, the busy time)."""
    start, end = _span(component, zone)
    if str(component.get("STATUS", "")).strip().upper() == "CANCELLED":
        return "cancelled", None
    if str(component.get("TRANSP", "OPAQUE")).strip().upper() == "TRANSPARENT" or \
            str(component.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).strip().upper() == "FREE":
        return "free", None
    if end <= start:
        return "no length", None
    uid = str(component.get("UID")).strip()
    if len(uid) > UID_MAX:
        uid = "sha256:" + hashlib.sha256(uid.encode()).hexdigest()
    return None, _Busy(uid, _occurrence_key(component, zone), start, end)


def _overlaps(component, zone, window_start, window_end) -> bool:
    start, end = _span(component, zone)
    end = max(end, start + timedelta(seconds=1))  # a moment in the window counts as in it
    return start < window_end and end > window_start


def _span(component, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = component["DTSTART"].dt
    end = component["DTEND"].dt if "DTEND" in component else start
    return _to_utc(start, zone), _to_utc(end, zone)


def _to_utc(value, zone: ZoneInfo) -> datetime:
    """A DATE is the midnight that starts it, a floating time the wall clock, both in `zone`."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)
    return datetime.combine(value, time(0), zone).astimezone(UTC)


def _occurrence_key(component, zone: ZoneInfo) -> str:
    """The occurrence's original start: its RECURRENCE-ID (the library sets it to DTSTART on
    single events and unmoved occurrences). A date stays a date (all-day events), anything
    else becomes UTC. Occurrences shifted by a RANGE=THISANDFUTURE change all carry that
    change's RECURRENCE-ID, so they are told apart by their own start."""
    recurrence_id = component.get("RECURRENCE-ID")
    if recurrence_id is None or recurrence_id.params.get("RANGE", "").upper() == "THISANDFUTURE":
        value = component["DTSTART"].dt
    else:
        value = recurrence_id.dt
    if not isinstance(value, datetime):
        return value.isoformat()
    return _to_utc(value, zone).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unique_keys(busy: list[_Busy]) -> list[_Busy]:
    """Malformed files can repeat a UID and start (e.g. two copies of one event): keep every
    busy time, numbering the repeats in a stable order so re-imports still match."""
    busy.sort(key=lambda b: (b.uid, b.key, b.start_at, b.end_at))
    seen: Counter = Counter()
    result = []
    for item in busy:
        seen[(item.uid, item.key)] += 1
        number = seen[(item.uid, item.key)]
        if number > 1:
            if (result[-1].start_at, result[-1].end_at) == (item.start_at, item.end_at):
                continue  # an exact copy blocks nothing more
            item = _Busy(item.uid, f"{item.key}#{number}", item.start_at, item.end_at)
        result.append(item)
    return result


# Writing ------------------------------------------------------------------------------

def _lock(session, practitioner_id: int) -> None:
    """Serialise imports for one practitioner, and imports with bookings.

    SQLite: the database's write lock, before anything is read (a unit of work that writes
    began IMMEDIATE and holds it already). PostgreSQL: the practitioner row's lock serialises imports; the schedule row's (taken
    by bookings too) keeps a booking from checking against half-imported blocks."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    locked = session.scalar(
        select(Practitioner.id).where(Practitioner.id == practitioner_id).with_for_update())
    if locked is None:
        raise NotFound("Choose a practitioner.", field="practitioner_id")
    session.execute(
        update(PractitionerSchedule)
        .where(PractitionerSchedule.practitioner_id == practitioner_id)
        .values(booking_version=PractitionerSchedule.booking_version + 1)
    )


def _apply(session, practitioner_id: int, busy: list[_Busy], window_start: datetime,
           result: ImportResult) -> None:
    uids = sorted({item.uid for item in busy})
    existing = {
        (block.external_uid, block.occurrence_key): block
        for block in session.scalars(select(TimeBlock).where(
            TimeBlock.practitioner_id == practitioner_id,
            TimeBlock.source == "imported",
            # From the window on, plus any older block an occurrence may have moved from.
            or_(TimeBlock.end_at > window_start, TimeBlock.external_uid.in_(uids)),
        ))
    }
    wanted = set()
    for item in busy:
        wanted.add((item.uid, item.key))
        block = existing.get((item.uid, item.key))
        if block is None:
            session.add(TimeBlock(
                practitioner_id=practitioner_id, start_at=item.start_at, end_at=item.end_at,
                reason=REASON, source="imported", external_uid=item.uid, occurrence_key=item.key,
            ))
            result.added += 1
        elif (block.start_at, block.end_at, block.reason) != (item.start_at, item.end_at, REASON):
            block.start_at, block.end_at, block.reason = item.start_at, item.end_at, REASON
            result.updated += 1
        else:
            result.unchanged += 1
    for identity, block in existing.items():
        if identity not in wanted and block.end_at > window_start:
            session.delete(block)
            result.removed += 1
    session.flush()


def _note_clashes(session, practitioner_id: int, busy: list[_Busy], zone: ZoneInfo,
                  notes: list[str]) -> None:
    """Bookings already made in time the calendar now says is busy: the import cannot move
    them, so it says so."""
    if not busy:
        return
    first = min(item.start_at for item in busy)
    last = max(item.end_at for item in busy)
    appointments = session.scalars(select(Appointment).where(
        Appointment.practitioner_id == practitioner_id,
        Appointment.status.not_in(RELEASED),
        Appointment.start_at < last, Appointment.end_at > first,
    ).order_by(Appointment.start_at))
    ordered = sorted(busy, key=lambda b: b.start_at)
    starts = [b.start_at for b in ordered]
    latest_end = list(accumulate((b.end_at for b in ordered), max))
    clashes = []
    for appointment in appointments:
        # The busy times starting before the appointment ends; one of them reaches into it?
        before_end = bisect_left(starts, appointment.end_at)
        if before_end and latest_end[before_end - 1] > appointment.start_at:
            clashes.append(appointment)
    if clashes:
        when = ", ".join(f"{a.start_at.astimezone(zone):%a %d %b %Y %H:%M}" for a in clashes[:5])
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        notes.append(f"{len(clashes)} booked appointment{'s' if len(clashes) != 1 else ''} "
                     f"fall{'s' if len(clashes) == 1 else ''} in busy time from the calendar: "
                     f"{when}{more}.")


def _note_free(free: Counter, notes: list[str]) -> None:
    texts = {
        "free": "marked as free (not busy)",
        "cancelled": "cancelled",
        "no length": "taking no time (they end when they start)",
    }
    for kind, text in texts.items():
        if free[kind]:
            notes.append(f"{free[kind]} event{'s' if free[kind] != 1 else ''} {text}: "
                         "no time blocked for them.")
