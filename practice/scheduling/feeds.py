"""iCalendar out: a practitioner's private subscription feed and one appointment as a file.

The feed lives at a secret, revocable URL (the token is the only secret; no sign-in), so it
carries as little as it can: the client's initials (or, only if the practice opts in, the
display name) and the service. Never a phone number, an e-mail address, a legal name or notes.

Calendar programs poll the feed every few minutes, so its bytes depend only on the data:
two requests with nothing changed in between get the same bytes (DTSTAMP is the
appointment's last change, never "now"; events come sorted by start, then id)."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vDuration
from sqlalchemy import String, bindparam, cast, func, or_, select, true

from practice.audit.models import AuditEvent
from practice.audit.services import Actor, record
from practice.auth.models import Practitioner, User
from practice.clients.models import Client
from practice.clients.services import display_phone
from practice.errors import DomainError
from practice.localtime import happens_twice
from practice.scheduling.models import (
    LONGEST_SESSION,
    RELEASED,
    Appointment,
    PractitionerSchedule,
    SchedulingPolicy,
    Service,
)
from practice.scheduling.services import schedule_for
from practice.settings.models import PracticeProfile
from practice.settings.services import get_practice

PRODID = "-//Practice//Practice management 1.0//EN"
# Part of every feed's ETag: change it when the way a feed is built changes, so calendar
# programs fetch the new form of an unchanged feed.
FEED_VERSION = 1
FEED_PAST = timedelta(days=30)       # how far back the feed reaches
FEED_FUTURE = timedelta(days=180)    # and forward
CANCELLED_KEPT = timedelta(days=14)  # a cancellation shows as cancelled this long, then drops out
REFRESH = timedelta(minutes=15)
# The audit action services.reschedule records: it bumps an event's SEQUENCE and DTSTAMP.
RESCHEDULE_ACTION = "appointment.reschedule"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


# Managing the secret URL -------------------------------------------------------------------

def _practitioner(session, practitioner_id: int) -> Practitioner:
    practitioner = session.get(Practitioner, practitioner_id)
    if practitioner is None:
        raise DomainError("There is no such practitioner.")
    return practitioner


def enable_feed(session, actor: Actor, practitioner_id: int, *, now: datetime) -> str:
    """Give the practitioner a new feed URL and return its token. An earlier URL stops working
    at once (this is also how a leaked address is replaced)."""
    practitioner = _practitioner(session, practitioner_id)
    if not practitioner.active:
        raise DomainError(f"{practitioner.display_name} is inactive; a calendar feed needs an active practitioner.")
    schedule = schedule_for(session, practitioner_id)
    replaced = schedule.feed_token is not None
    schedule.feed_token = secrets.token_urlsafe(32)
    # The token itself stays out of the audit trail: it is the secret.
    record(session, actor, "feed.enable", practitioner, now=now, replaced=replaced)
    session.flush()
    return schedule.feed_token


def revoke_feed(session, actor: Actor, practitioner_id: int, *, now: datetime) -> str | None:
    """Stop the practitioner's feed URL working; return the revoked token (None: there was none)."""
    practitioner = _practitioner(session, practitioner_id)
    schedule = session.get(PractitionerSchedule, practitioner_id)
    old = schedule.feed_token if schedule is not None else None
    if old is None:
        return None
    schedule.feed_token = None
    record(session, actor, "feed.revoke", practitioner, now=now)
    session.flush()
    return old


def feed_token(session, practitioner_id: int) -> str | None:
    """The practitioner's current feed token, for a settings page to show the URL."""
    return session.scalar(
        select(PractitionerSchedule.feed_token).where(PractitionerSchedule.practitioner_id == practitioner_id)
    )


# Reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedEvent:
    """What an event needs, read in one query: no client column but the display name."""

    appointment: Appointment
    client_name: str
    service_name: str
    practitioner_name: str
    reschedules: int
    last_rescheduled_at: datetime | None


def _event_rows(session, *conditions, params: dict | None = None) -> list[FeedEvent]:
    """Appointments joined with their client's display name, service and practitioner, and
    how often (and when last) each was moved: one query, however many rows. The moves are
    looked up per appointment on the audit trail's (object_type, object_id) index: grouping
    every move of the practice first would read all of them for a few appointments."""
    moves = (
        AuditEvent.action == RESCHEDULE_ACTION,
        AuditEvent.object_type == Appointment.__name__,
        AuditEvent.object_id == cast(Appointment.id, String),
    )
    query = (
        select(Appointment, Client.display_name, Service.name, Practitioner.display_name,
               select(func.count()).where(*moves).correlate(Appointment).scalar_subquery(),
               select(func.max(AuditEvent.at)).where(*moves).correlate(Appointment).scalar_subquery())
        .join(Client, Client.id == Appointment.client_id)
        .join(Service, Service.id == Appointment.service_id)
        .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
        .where(*conditions)
        .order_by(Appointment.start_at, Appointment.id)
    )
    return [
        FeedEvent(appointment, client_name, service_name, practitioner_name, moves_count or 0,
                  _utc(last_at) if last_at is not None else None)
        for appointment, client_name, service_name, practitioner_name, moves_count, last_at
        in session.execute(query, params)
    ]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _head_statement():
    profile = select(PracticeProfile.name, PracticeProfile.timezone).limit(1).subquery()
    shows_names = select(SchedulingPolicy.feed_shows_names).limit(1).scalar_subquery()
    return (
        select(Practitioner.id, Practitioner.display_name, Practitioner.active, User.active,
               profile.c.name, profile.c.timezone, shows_names)
        .join(PractitionerSchedule, PractitionerSchedule.practitioner_id == Practitioner.id)
        .outerjoin(User, User.id == Practitioner.user_id)
        .join(profile, true())
        .where(PractitionerSchedule.feed_token == bindparam("token"))
    )


# The token's practitioner (id, name, whether they and their account are active), the
# practice's name and zone and the names opt-in (read: the feed never creates the settings
# row, as services.calendar_settings would), in one statement. This and the ETag's
# statement are built once: calendar programs ask every few minutes, and building a
# statement (and its cache key) on each request cost more than running it.
_HEAD = _head_statement()


# Building the iCalendar ------------------------------------------------------------------

def initials(name: str) -> str:
    """'Sam Taylor' -> 'S.T.', 'Jean-Luc Picard' -> 'J.L.P.'; at most three letters."""
    letters = []
    for part in re.split(r"[\s\-]+", name):
        letter = next((ch for ch in part if ch.isalnum()), "")
        if letter:
            letters.append(letter.upper())
    if len(letters) > 3:
        letters = letters[:2] + letters[-1:]
    return "".join(f"{letter}." for letter in letters) or "Client"


def _last_change(row: FeedEvent) -> datetime:
    appointment = row.appointment
    moments = [appointment.created_at, appointment.arrived_at, appointment.cancelled_at,
               row.last_rescheduled_at]
    return max(m for m in moments if m is not None).astimezone(timezone.utc).replace(microsecond=0)


def _sequence(row: FeedEvent) -> int:
    """Bumped by every move and by a cancellation (RFC 5545 3.8.7.4)."""
    return row.reschedules + (1 if row.appointment.status in RELEASED else 0)


def _event(row: FeedEvent, summary: str, zone: ZoneInfo, uid: str) -> Event:
    appointment = row.appointment
    cancelled = appointment.status in RELEASED
    event = Event()
    event.add("UID", uid)
    event.add("DTSTAMP", _last_change(row))
    start, end = _event_times(appointment.start_at, appointment.end_at, zone)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SEQUENCE", _sequence(row))
    event.add("SUMMARY", f"Cancelled: {summary}" if cancelled else summary)
    event.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _event_times(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end in the practice's zone (TZID), or both in UTC when either is a wall time
    that happens twice: a TZID cannot say which of the two is meant (RFC 5545 picks the
    first, and calendar programs do not agree even on that), while UTC is read alike by all."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if happens_twice(local_start) or happens_twice(local_end):
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    return local_start, local_end


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """The VTIMEZONE for the zone from `first` to `last`, in the plainest form calendar
    programs read alike (the zone's name is what most of them go by; this is for the rest).

    Not icalendar's `Timezone.from_tzid` (as of 7.3, the minor version pyproject pins): it
    writes the local time *after* a change where RFC 5545 wants the one before it (02:00,
    not 01:00, for London's clocks going forward: an hour late), lists every change of a
    kind as RDATEs that some parsers read only the first of (vobject / dateutil: every
    later summer an hour out), and steps over changes less than a few weeks apart
    (Morocco's Ramadan). Here: the changes are found from the zone itself; each kind
    becomes a yearly RRULE ("last Sunday of March at 01:00", the form Outlook writes) when
    the changes follow one, else one observance per change."""
    zone = ZoneInfo(tzid)
    start = datetime.combine(first, datetime.min.time(), zone)
    vtimezone = Timezone()
    vtimezone.add("TZID", tzid)
    # What is in force from `first` on: an observance without a change.
    vtimezone.add_component(_observance(start.dst() != timedelta(0), start.tzname(), start.utcoffset(),
                                        start.utcoffset(), start.replace(tzinfo=None), None))
    kinds: dict[tuple, list[datetime]] = {}
    for instant, before, after in _changes(zone, start, datetime.combine(last, datetime.min.time(), zone)):
        local = instant.astimezone(zone)
        key = (local.dst() != timedelta(0), local.tzname(), before, after)
        # The onset in local time read in the offset before the change (RFC 5545 3.6.5).
        kinds.setdefault(key, []).append((instant + before).replace(tzinfo=None))
    for (daylight, name, before, after), onsets in kinds.items():
        rule = _yearly_rule(onsets, last)
        for onset in onsets[:1] if rule else onsets:
            vtimezone.add_component(_observance(daylight, name, before, after, onset, rule))
    return vtimezone


def _observance(daylight: bool, name: str, before: timedelta, after: timedelta, onset: datetime,
                rule: dict | None) -> TimezoneStandard | TimezoneDaylight:
    part = TimezoneDaylight() if daylight else TimezoneStandard()
    part.add("DTSTART", onset)
    if rule:
        part.add("RRULE", rule)
    part.add("TZNAME", name)
    part.add("TZOFFSETFROM", before)
    part.add("TZOFFSETTO", after)
    return part


def _changes(zone: ZoneInfo, start: datetime, end: datetime):
    """(UTC instant, offset before, offset after) for each change of the zone's UTC offset."""
    step = timedelta(hours=1)
    moment = start.astimezone(timezone.utc)
    end = end.astimezone(timezone.utc)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + step
        new_offset = following.astimezone(zone).utcoffset()
        if new_offset != offset:
            low, high = moment, following  # the change is in (low, high]: find it to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            yield high, offset, new_offset
            offset = new_offset
        moment = following


WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _yearly_rule(onsets: list[datetime], last: date) -> dict | None:
    """The RRULE the onsets follow (every year, one weekday of one month, one time, still
    going at the end of the range), or None."""
    if len(onsets) < 2 or onsets[-1].year < last.year - 1:
        return None
    years = [o.year for o in onsets]
    if years != list(range(years[0], years[0] + len(years))):
        return None
    if len({(o.month, o.weekday(), o.time()) for o in onsets}) != 1:
        return None
    month, weekday = onsets[0].month, WEEKDAY_CODES[onsets[0].weekday()]
    if all(_is_last_in_month(o) for o in onsets):
        return {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"-1{weekday}"}
    nths = {(o.day - 1) // 7 + 1 for o in onsets}
    if len(nths) == 1 and (nth := nths.pop()) <= 4:
        return {"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{nth}{weekday}"}
    return None


def _is_last_in_month(moment: datetime) -> bool:
    return (moment + timedelta(days=7)).month != moment.month


def _calendar(tzid: str, first: datetime, last: datetime) -> Calendar:
    """A PUBLISH calendar with the practice zone's VTIMEZONE covering `first`..`last`.

    The VTIMEZONE covers whole years around them, so it only changes once a year."""
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-TIMEZONE", tzid)
    calendar.add_component(_vtimezone(tzid, date(first.year - 1, 1, 1), date(last.year + 2, 1, 1)))
    return calendar


@dataclass(frozen=True)
class FeedHead:
    """Whose feed a token opens and what frames it: one small query."""

    practitioner_id: int
    practice_name: str
    tzid: str
    practitioner_name: str
    shows_names: bool
    since: datetime
    until: datetime
    now: datetime

    def window(self) -> dict:
        """The values of the feed's window (WINDOW) for this feed."""
        return {"practitioner_id": self.practitioner_id, "earliest_start": self.since - LONGEST_SESSION,
                "since": self.since, "until": self.until, "cancelled_since": self.now - CANCELLED_KEPT}


# The feed's appointments: those of the window, less cancellations kept long enough. The
# lower bound on the start lets the (practitioner_id, start_at) index bound the search from
# both sides. Its values are bound per feed (FeedHead.window).
WINDOW = (
    Appointment.practitioner_id == bindparam("practitioner_id"),
    Appointment.start_at > bindparam("earliest_start"),
    Appointment.end_at > bindparam("since"),
    Appointment.start_at < bindparam("until"),
    or_(Appointment.status.not_in(RELEASED), Appointment.cancelled_at > bindparam("cancelled_since")),
)


@dataclass(frozen=True)
class FeedSource:
    """Everything a feed is made of, read in two queries."""

    head: FeedHead
    rows: list[FeedEvent]


def feed_head(session, token: str, *, now: datetime) -> FeedHead | None:
    """The frame of the practitioner's subscription feed, or None when the token is not (or
    no longer) valid: the token's owner, the practice and the names opt-in."""
    if not token or not TOKEN_PATTERN.match(token):
        return None
    row = session.execute(_HEAD, {"token": token}).first()
    if row is None:
        return None
    practitioner_id, name, active, user_active, practice_name, tzid, shows_names = row
    # A practitioner who has left (or whose account is switched off) stops showing clients.
    if not active or user_active is False:
        return None
    return FeedHead(practitioner_id, practice_name, tzid, name, bool(shows_names),
                    now - FEED_PAST, now + FEED_FUTURE, now)


# The audited changes that alter an event without leaving a trace on its appointment's row
# (a move, an undone cancellation or check-in, a client or a service renamed): their latest
# time is part of every feed's ETag. Each is one look-up on the audit trail's (action, at) index.
CHANGES_SHOWN = (RESCHEDULE_ACTION, "appointment.undo", "client.update", "service.update")


def _etag_statement():
    a = Appointment
    latest = [select(func.max(AuditEvent.at)).where(AuditEvent.action == action).scalar_subquery()
              for action in CHANGES_SHOWN]
    return (select(func.count(a.id), func.sum(a.id), func.max(a.created_at), func.max(a.arrived_at),
                   func.max(a.cancelled_at), func.count(a.arrived_at), func.count(a.cancelled_at), *latest)
            .where(*WINDOW))


_ETAG = _etag_statement()


def feed_etag(session, head: FeedHead) -> str:
    """The feed's ETag from one query of aggregates, without reading its events: how many
    appointments are in the window and which (the sum of their ids), their latest booking,
    arrival and cancellation and how many have arrived or been cancelled, and the latest
    audited change of the kinds above. A calendar program asking "changed?" every few
    minutes costs an index range and a few index look-ups."""
    found = session.execute(_ETAG, head.window()).one()
    made_of = (FEED_VERSION, head.practice_name, head.tzid, head.practitioner_name, head.shows_names,
               head.since.year, head.until.year, tuple(found))
    return hashlib.sha256(repr(made_of).encode()).hexdigest()[:40]


def feed_source(session, head: FeedHead) -> FeedSource:
    """What the feed shows: its events with their client and service, one query."""
    return FeedSource(head, _event_rows(session, *WINDOW, params=head.window()))


def render_feed(source: FeedSource) -> bytes:
    head = source.head
    zone = ZoneInfo(head.tzid)
    calendar = _calendar(head.tzid, head.since, head.until)
    calendar.add("X-WR-CALNAME", f"{head.practice_name} – {head.practitioner_name}")
    calendar.add("X-WR-CALDESC", f"Appointments with {head.practitioner_name} at {head.practice_name}. "
                                 "A private address: do not share it.")
    # How often to poll: RFC 7986's property, and the older one Outlook and Apple read.
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    for row in source.rows:
        who = row.client_name if head.shows_names else initials(row.client_name)
        event = _event(row, f"{who} – {row.service_name}", zone, f"{row.appointment.uuid}@practice")
        event.add("CLASS", "PRIVATE")
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_for(session, token: str, *, now: datetime) -> bytes | None:
    """The practitioner's subscription feed, or None when the token is not (or no longer) valid."""
    head = feed_head(session, token, now=now)
    return render_feed(feed_source(session, head)) if head is not None else None


@dataclass(frozen=True)
class AppointmentFile:
    content: bytes
    filename: str


def appointment_file(session, appointment_uuid: str) -> AppointmentFile | None:
    """One appointment as an .ics file to hand to the client (None: no such appointment).

    It names the service, the practitioner and the practice, where and whom to call: nothing
    about the client, who already knows who they are."""
    rows = _event_rows(session, Appointment.uuid == appointment_uuid)
    if not rows:
        return None
    row = rows[0]
    profile = get_practice(session)
    zone = ZoneInfo(profile.timezone)
    start = row.appointment.start_at
    calendar = _calendar(profile.timezone, start, start)
    # Its own UID: importing it beside a practitioner's feed must not collide with that event.
    event = _event(row, f"{row.service_name} with {row.practitioner_name} at {profile.name}", zone,
                   f"{row.appointment.uuid}.client@practice")
    address = ", ".join(line.strip() for line in profile.address.splitlines() if line.strip())
    if address:
        event.add("LOCATION", address)
    phone = display_phone(profile.phone) if profile.phone else ""
    event.add("DESCRIPTION", f"To change or cancel, call {profile.name} on {phone}." if phone
              else f"To change or cancel, contact {profile.name}.")
    calendar.add_component(event)
    day = start.astimezone(zone).strftime("%Y-%m-%d")
    return AppointmentFile(calendar.to_ical(), f"appointment-{day}.ics")
