"""iCalendar in: a practitioner's own calendar becomes blocked time.

The real exports in ../shared/fixtures/ics/ (see its README) are used as they are; their
events lie in past years, so each import is run with `now` inside the file's events. The
exact busy times asserted below were read from the files by hand."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import func, select

from practice.audit.models import AuditEvent
from practice.audit.services import Actor
from practice.db import db
from practice.errors import DomainError
from practice.scheduling import calendar_import
from practice.scheduling.calendar_import import REASON, import_busy_time
from practice.scheduling.models import Appointment, Service, TimeBlock
from tests.conftest import NOW, one_action

UTC = timezone.utc
FIXTURES = Path(__file__).resolve().parents[2] / "shared/fixtures/ics"
# A moment inside each file's events (the window runs from the start of that day).
FIXTURE_NOW = {
    "daylight_saving_time.ics": datetime(2019, 3, 1, 9, 0, tzinfo=UTC),
    "issue_20_exdate_ignored.ics": datetime(2019, 10, 1, 9, 0, tzinfo=UTC),
    "issue_223_thunderbird.ics": datetime(2025, 4, 20, 9, 0, tzinfo=UTC),
    "issue_27_t1.ics": datetime(2020, 4, 20, 9, 0, tzinfo=UTC),
    "issue_48_dst.ics": datetime(2020, 10, 1, 9, 0, tzinfo=UTC),
    "issue_62_moved_event.ics": datetime(2021, 11, 20, 9, 0, tzinfo=UTC),
    "recurrence_sequence_number.ics": datetime(2020, 9, 1, 9, 0, tzinfo=UTC),
    "recurring_events_moved.ics": datetime(2019, 3, 1, 9, 0, tzinfo=UTC),
}
NO_FIXTURES = f"the shared calendar exports are not here ({FIXTURES}): only in development and CI"


def fixture_files():
    if not FIXTURES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_FIXTURES), id="no-fixtures")]
    return [pytest.param(path, id=path.name) for path in sorted(FIXTURES.glob("*.ics"))]


def fixture(name: str) -> bytes:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(NO_FIXTURES if not FIXTURES.is_dir() else f"{name} is not in {FIXTURES}")
    return path.read_bytes()


def now_for(path: Path) -> datetime:
    """The chosen moment, or for a file added later: the day of its earliest event."""
    if path.name in FIXTURE_NOW:
        return FIXTURE_NOW[path.name]
    starts = []
    for calendar in icalendar.Calendar.from_ical(path.read_bytes(), multiple=True):
        for event in calendar.walk("VEVENT"):
            value = event["DTSTART"].dt
            if not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            starts.append(value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC))
    return min(starts)


def ics(*events: str, head: str = "") -> bytes:
    """A small calendar; each event is its properties, one per line."""
    body = "".join(
        "BEGIN:VEVENT\r\n" + "\r\n".join(line.strip() for line in event.strip().splitlines())
        + "\r\nEND:VEVENT\r\n"
        for event in events
    )
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//practice tests//EN\r\n" + head + body
            + "END:VCALENDAR\r\n").encode()


@pytest.fixture
def who(users):
    user = users["practitioner"]
    return Actor(user, "192.0.2.1"), user.practitioner.id


def run(who, data, *, now=NOW, **options):
    """An import as the upload page runs it: one unit of work."""
    actor, practitioner_id = who
    with one_action():
        return import_busy_time(db.session, actor, practitioner_id, data, now=now, **options)


def blocks(practitioner_id, uid=None):
    query = select(TimeBlock).where(TimeBlock.practitioner_id == practitioner_id)
    if uid is not None:
        query = query.where(TimeBlock.external_uid == uid)
    return sorted(db.session.scalars(query), key=lambda b: (b.start_at, b.external_uid or ""))


def spans(practitioner_id, uid=None):
    return [(b.start_at, b.end_at) for b in blocks(practitioner_id, uid)]


def snapshot(practitioner_id):
    return [(b.id, b.external_uid, b.occurrence_key, b.start_at, b.end_at, b.reason, b.source)
            for b in blocks(practitioner_id)]


def imports_audited():
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "calendar.import"))


def at(*args, zone="UTC"):
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# The real exports ---------------------------------------------------------------------

@pytest.mark.parametrize("path", fixture_files())
def test_each_real_export_imports_and_reimporting_changes_nothing(who, path):
    now = now_for(path)
    data = path.read_bytes()
    first = run(who, data, now=now)
    imported = snapshot(who[1])
    assert first.added == len(imported)
    assert first.updated == first.removed == first.unchanged == 0
    assert first.added or first.skipped_free, "the window should hold some of the file's events"
    assert all(b[5] == REASON and b[6] == "imported" for b in imported)

    again = run(who, data, now=now)
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == first.added
    assert again.skipped_free == first.skipped_free
    assert snapshot(who[1]) == imported  # same rows, same ids: nothing rewritten
    assert imports_audited() == 2


@pytest.mark.parametrize("path", fixture_files())
def test_nothing_personal_from_the_real_exports_reaches_the_database(who, path):
    data = path.read_bytes()
    run(who, data, now=now_for(path))
    personal = set()
    for calendar in icalendar.Calendar.from_ical(data, multiple=True):
        for event in calendar.walk("VEVENT"):
            for name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
                text = str(event.get(name, "")).strip()
                if len(text) >= 4:
                    personal.add(text)
    stored = [b.reason for b in blocks(who[1])]
    stored += [json.dumps(e.detail, ensure_ascii=False) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "calendar.import"))]
    for text in personal:
        assert not any(text in value for value in stored), text


def test_exdate_removes_occurrences(who):
    """DAVx5: Tuesdays 16:15-17:45 Berlin from 15 Oct 2019 until 4 Feb 2020 (exclusive),
    nine dates excluded by UTC EXDATEs."""
    result = run(who, fixture("issue_20_exdate_ignored.ics"), now=datetime(2019, 10, 1, tzinfo=UTC))
    kept = [(2019, 10, 29), (2019, 11, 12), (2019, 12, 10),
            (2020, 1, 7), (2020, 1, 14), (2020, 1, 21), (2020, 1, 28)]
    assert spans(who[1]) == [
        (at(*day, 16, 15, zone="Europe/Berlin"), at(*day, 17, 45, zone="Europe/Berlin")) for day in kept
    ]
    assert result.added == 7
    excluded = [(2019, 10, 15), (2019, 10, 22), (2019, 11, 5), (2019, 11, 19), (2019, 11, 26),
                (2019, 12, 3), (2019, 12, 17), (2019, 12, 24), (2019, 12, 31), (2020, 2, 4)]
    blocked_days = {b.start_at.astimezone(ZoneInfo("Europe/Berlin")).date() for b in blocks(who[1])}
    assert not blocked_days & {datetime(*day).date() for day in excluded}


def test_a_moved_occurrence_blocks_its_new_time_only(who):
    """Thunderbird: daily 09:00-10:00 London 23-27 Apr 2025; the 24th moved to 11:00, the
    25th edited (new place) but not moved."""
    run(who, fixture("issue_223_thunderbird.ics"), now=datetime(2025, 4, 20, tzinfo=UTC))
    london = "Europe/London"
    assert spans(who[1]) == [
        (at(2025, 4, 23, 9, zone=london), at(2025, 4, 23, 10, zone=london)),
        (at(2025, 4, 24, 11, zone=london), at(2025, 4, 24, 12, zone=london)),
        (at(2025, 4, 25, 9, zone=london), at(2025, 4, 25, 10, zone=london)),
        (at(2025, 4, 26, 9, zone=london), at(2025, 4, 26, 10, zone=london)),
        (at(2025, 4, 27, 9, zone=london), at(2025, 4, 27, 10, zone=london)),
    ]
    moved = [b for b in blocks(who[1]) if b.start_at.date() == datetime(2025, 4, 24).date()]
    # Keyed by its original start (RECURRENCE-ID 09:00 BST = 08:00 UTC), not the new one.
    assert [b.occurrence_key for b in moved] == ["2025-04-24T08:00:00Z"]


def test_moved_occurrences_from_thunderbird(who):
    """Daily 02:00-03:00 Berlin 7-10 Mar 2019; the 8th moved an hour earlier, the 9th an hour
    later (the 8th's copy says DTEND 02:00 and DURATION PT0S at once: DTEND wins). A second
    series 04:00-05:00 on 18-20 Mar with an edited (not moved) 19th."""
    run(who, fixture("recurring_events_moved.ics"), now=datetime(2019, 3, 1, tzinfo=UTC))
    berlin = "Europe/Berlin"
    assert spans(who[1], "a0c78729-30b1-4ba3-a86e-6aedd995d788") == [
        (at(2019, 3, 7, 2, zone=berlin), at(2019, 3, 7, 3, zone=berlin)),
        (at(2019, 3, 8, 1, zone=berlin), at(2019, 3, 8, 2, zone=berlin)),
        (at(2019, 3, 9, 3, zone=berlin), at(2019, 3, 9, 4, zone=berlin)),
        (at(2019, 3, 10, 2, zone=berlin), at(2019, 3, 10, 3, zone=berlin)),
    ]
    assert spans(who[1], "5d4c6843-9300-4f91-8d88-6094d4b0b840") == [
        (at(2019, 3, day, 4, zone=berlin), at(2019, 3, day, 5, zone=berlin)) for day in (18, 19, 20)
    ]


def test_google_moved_event_marked_free_blocks_nothing(who):
    """Google: a monthly event (last Friday, 21:30) with one occurrence moved from 31 Dec to
    17 Dec. Every part of it is TRANSP:TRANSPARENT (and takes no time), so nothing is
    blocked, the moved occurrence included."""
    result = run(who, fixture("issue_62_moved_event.ics"), now=datetime(2021, 11, 20, tzinfo=UTC))
    assert blocks(who[1]) == []
    # 26 Nov, 17 Dec (moved from 31 Dec), 28 Jan, 25 Feb, 25 Mar, 29 Apr.
    assert result.skipped_free == 6
    assert any("free" in note for note in result.notes)


def test_daylight_saving_keeps_the_wall_clock_time(who):
    """Google, Chicago: Fridays 14:15-14:30 from 25 Sep 2020, with 23 Oct, 6 Nov and 27 Nov
    excluded. Clocks went back on 1 Nov 2020 and forward on 14 Mar 2021: 14:15 stays
    14:15 locally, so in UTC it moves from 19:15 to 20:15 and back."""
    run(who, fixture("issue_48_dst.ics"), now=datetime(2020, 10, 1, tzinfo=UTC))
    chicago = ZoneInfo("America/Chicago")
    fridays = blocks(who[1], "m4dpn70@google.com")
    assert {(b.start_at.astimezone(chicago).time().isoformat(), b.end_at.astimezone(chicago).time().isoformat())
            for b in fridays} == {("14:15:00", "14:30:00")}
    by_day = {b.start_at.astimezone(chicago).date().isoformat(): b.start_at for b in fridays}
    assert by_day["2020-10-30"] == datetime(2020, 10, 30, 19, 15, tzinfo=UTC)  # CDT, UTC-5
    assert by_day["2020-11-13"] == datetime(2020, 11, 13, 20, 15, tzinfo=UTC)  # CST, UTC-6
    assert by_day["2021-03-12"] == datetime(2021, 3, 12, 20, 15, tzinfo=UTC)
    assert by_day["2021-03-19"] == datetime(2021, 3, 19, 19, 15, tzinfo=UTC)  # CDT again
    assert not {"2020-10-23", "2020-11-06", "2020-11-27"} & by_day.keys()
    assert "2020-10-16" in by_day and "2020-11-20" in by_day


def test_daylight_saving_in_berlin(who):
    """Google, Berlin: the weekly Wednesday 19:00-21:00 meeting; clocks went forward on
    31 Mar 2019."""
    run(who, fixture("daylight_saving_time.ics"), now=datetime(2019, 3, 1, tzinfo=UTC))
    starts = [b.start_at for b in blocks(who[1], "7uartkcnhf0elbvs8md0itrf6c@google.com")]
    assert datetime(2019, 3, 27, 18, 0, tzinfo=UTC) in starts  # 19:00 CET
    assert datetime(2019, 4, 3, 17, 0, tzinfo=UTC) in starts  # 19:00 CEST
    assert all(s.astimezone(ZoneInfo("Europe/Berlin")).hour == 19 for s in starts)


def test_exchange_time_zone_names_and_utc_exdate(who):
    """Exchange 2010: daily 14:00-14:30 Berlin 26-28 Apr 2020, the 27th excluded in UTC."""
    run(who, fixture("issue_27_t1.ics"), now=datetime(2020, 4, 20, tzinfo=UTC))
    assert spans(who[1]) == [
        (datetime(2020, 4, 26, 12, 0, tzinfo=UTC), datetime(2020, 4, 26, 12, 30, tzinfo=UTC)),
        (datetime(2020, 4, 28, 12, 0, tzinfo=UTC), datetime(2020, 4, 28, 12, 30, tzinfo=UTC)),
    ]


def test_all_day_series_without_a_zone_uses_the_practice_zone(who):
    """Evolution: a weekly all-day event on Tuesdays from 8 Sep 2020 (the 22nd modified with
    a lower SEQUENCE). No time zone anywhere: the days are the practice's (Europe/London)."""
    run(who, fixture("recurrence_sequence_number.ics"), now=datetime(2020, 9, 1, tzinfo=UTC))
    tuesdays = blocks(who[1])
    assert len(tuesdays) == 25  # 8 Sep 2020 to 23 Feb 2021, weekly
    first = tuesdays[0]
    assert (first.start_at, first.end_at, first.occurrence_key) == (
        datetime(2020, 9, 7, 23, 0, tzinfo=UTC), datetime(2020, 9, 8, 23, 0, tzinfo=UTC), "2020-09-08")
    assert [b.occurrence_key for b in tuesdays].count("2020-09-22") == 1
    winter = next(b for b in tuesdays if b.occurrence_key == "2020-11-03")
    assert (winter.start_at, winter.end_at) == (datetime(2020, 11, 3, tzinfo=UTC), datetime(2020, 11, 4, tzinfo=UTC))


# Kinds of event -------------------------------------------------------------------------

def test_busy_event_blocks_its_time_with_no_personal_detail(who):
    result = run(who, ics("""
        UID:dentist-1
        SUMMARY:Dentist - root canal
        DESCRIPTION:Dr Who, bring X-rays
        LOCATION:12 Tooth Lane
        DTSTART:20261125T140000Z
        DTEND:20261125T150000Z
    """))
    assert (result.added, result.skipped_free) == (1, 0)
    [block] = blocks(who[1])
    assert (block.start_at, block.end_at) == (datetime(2026, 11, 25, 14, tzinfo=UTC), datetime(2026, 11, 25, 15, tzinfo=UTC))
    assert (block.reason, block.source, block.external_uid, block.occurrence_key) == (
        "Busy (personal calendar)", "imported", "dentist-1", "2026-11-25T14:00:00Z")
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar.import"))
    assert event.actor_id == who[0].user.id and event.address == "192.0.2.1"
    assert event.object_type == "Practitioner" and event.object_id == str(who[1])
    assert {k: event.detail[k] for k in ("added", "updated", "removed", "unchanged", "skipped_free")} == {
        "added": 1, "updated": 0, "removed": 0, "unchanged": 0, "skipped_free": 0}
    assert "Dentist" not in json.dumps(event.detail) and "Tooth" not in json.dumps(event.detail)


def test_transparent_and_free_events_block_nothing(who):
    result = run(who, ics(
        "UID:t\nDTSTART:20261125T090000Z\nDTEND:20261125T100000Z\nTRANSP:TRANSPARENT",
        "UID:o\nDTSTART:20261126T090000Z\nDTEND:20261126T100000Z\nX-MICROSOFT-CDO-BUSYSTATUS:FREE",
        "UID:b\nDTSTART:20261127T090000Z\nDTEND:20261127T100000Z\nTRANSP:OPAQUE",
    ))
    assert [b.external_uid for b in blocks(who[1])] == ["b"]
    assert (result.added, result.skipped_free) == (1, 2)
    assert "2 events marked as free (not busy): no time blocked for them." in result.notes


def test_cancelled_events_and_occurrences_block_nothing(who):
    result = run(who, ics(
        "UID:gone\nDTSTART:20261125T090000Z\nDTEND:20261125T100000Z\nSTATUS:CANCELLED",
        "UID:weekly\nDTSTART:20261124T120000Z\nDTEND:20261124T130000Z\nRRULE:FREQ=WEEKLY;COUNT=3",
        "UID:weekly\nRECURRENCE-ID:20261201T120000Z\nDTSTART:20261201T120000Z\n"
        "DTEND:20261201T130000Z\nSTATUS:CANCELLED",
    ))
    assert spans(who[1]) == [
        (datetime(2026, 11, 24, 12, tzinfo=UTC), datetime(2026, 11, 24, 13, tzinfo=UTC)),
        (datetime(2026, 12, 8, 12, tzinfo=UTC), datetime(2026, 12, 8, 13, tzinfo=UTC)),
    ]
    assert result.skipped_free == 2
    assert any(note.startswith("2 events cancelled") for note in result.notes)


def test_event_without_length_blocks_nothing(who):
    result = run(who, ics("UID:reminder\nDTSTART:20261125T090000Z"))
    assert blocks(who[1]) == [] and result.skipped_free == 1
    assert any("taking no time" in note for note in result.notes)


def test_all_day_event_blocks_whole_days_in_the_practice_zone(who):
    """Practice zone Europe/London; 28 Mar 2027 is the day clocks go forward (23 hours)."""
    run(who, ics(
        "UID:holiday\nDTSTART;VALUE=DATE:20261201\nDTEND;VALUE=DATE:20261203",
        "UID:dst-day\nDTSTART;VALUE=DATE:20270328",  # no DTEND: one day
        "UID:summer\nDTSTART;VALUE=DATE:20270401\nDTEND;VALUE=DATE:20270402",
    ))
    assert spans(who[1]) == [
        (datetime(2026, 12, 1, 0, tzinfo=UTC), datetime(2026, 12, 3, 0, tzinfo=UTC)),
        (datetime(2027, 3, 28, 0, tzinfo=UTC), datetime(2027, 3, 28, 23, tzinfo=UTC)),
        (datetime(2027, 3, 31, 23, tzinfo=UTC), datetime(2027, 4, 1, 23, tzinfo=UTC)),
    ]
    assert [b.occurrence_key for b in blocks(who[1])] == ["2026-12-01", "2027-03-28", "2027-04-01"]


def test_all_day_and_floating_times_use_the_calendars_own_zone(who):
    run(who, ics(
        "UID:day\nDTSTART;VALUE=DATE:20261201\nDTEND;VALUE=DATE:20261202",
        "UID:float\nDTSTART:20261202T090000\nDTEND:20261202T100000",
        head="X-WR-TIMEZONE:America/New_York\r\n",
    ))
    assert spans(who[1]) == [
        (datetime(2026, 12, 1, 5, tzinfo=UTC), datetime(2026, 12, 2, 5, tzinfo=UTC)),
        (datetime(2026, 12, 2, 14, tzinfo=UTC), datetime(2026, 12, 2, 15, tzinfo=UTC)),
    ]


def test_floating_times_use_the_practice_zone(who):
    """09:00 on the practice's clock, winter (GMT) and summer (BST), also when repeating."""
    run(who, ics(
        "UID:winter\nDTSTART:20261202T090000\nDTEND:20261202T100000",
        "UID:weekly\nDTSTART:20270324T090000\nDTEND:20270324T093000\nRRULE:FREQ=WEEKLY;COUNT=2",
    ))
    assert spans(who[1]) == [
        (datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 10, tzinfo=UTC)),
        (datetime(2027, 3, 24, 9, tzinfo=UTC), datetime(2027, 3, 24, 9, 30, tzinfo=UTC)),
        (datetime(2027, 3, 31, 8, tzinfo=UTC), datetime(2027, 3, 31, 8, 30, tzinfo=UTC)),
    ]
    assert [b.occurrence_key for b in blocks(who[1], "weekly")] == ["2027-03-24T09:00:00Z", "2027-03-31T08:00:00Z"]


def test_unknown_time_zone_is_read_in_the_practice_zone_and_noted(who):
    result = run(who, ics("UID:m\nDTSTART;TZID=Mars/Olympus:20261202T090000\nDTEND;TZID=Mars/Olympus:20261202T100000"))
    assert spans(who[1]) == [(datetime(2026, 12, 2, 9, tzinfo=UTC), datetime(2026, 12, 2, 10, tzinfo=UTC))]
    assert any("Mars/Olympus" in note and "Europe/London" in note for note in result.notes)


def test_a_full_calendar_imports_quickly(who):
    """Close to the limit: 27 events a day for 180 days, imported twice."""
    hours = ",".join(str(h) for h in range(6, 24))
    data = ics(f"UID:busy\nDTSTART:20261123T060000Z\nDTEND:20261123T061500Z\n"
               f"RRULE:FREQ=DAILY;BYHOUR={hours};BYMINUTE=0,30;BYDAY=MO,TU,WE,TH,FR")
    started = datetime.now()
    first = run(who, data)
    again = run(who, data)
    assert first.added == again.unchanged > 4000
    assert datetime.now() - started < timedelta(seconds=30)


def test_recurring_events_are_expanded_over_the_horizon_only(who):
    """Daily since 2020 at 08:00-08:30 UTC, imported on 23 Nov 2026 10:00: today's (already
    past, but today) to the last one starting before now + 30 days."""
    result = run(who, ics("UID:run\nDTSTART:20200101T080000Z\nDTEND:20200101T083000Z\nRRULE:FREQ=DAILY"),
                 horizon_days=30)
    starts = [b.start_at for b in blocks(who[1])]
    assert starts[0] == datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert starts[-1] == datetime(2026, 12, 23, 8, tzinfo=UTC)
    assert result.added == len(starts) == 31
    assert (result.window_start, result.window_end) == (datetime(2026, 11, 23, tzinfo=UTC), NOW + timedelta(days=30))


# Re-importing ----------------------------------------------------------------------------

TWO_EVENTS = ("UID:a\nDTSTART:20261125T090000Z\nDTEND:20261125T100000Z",
              "UID:b\nDTSTART:20261126T090000Z\nDTEND:20261126T100000Z")


def test_reimport_after_an_event_was_deleted_frees_its_time(who):
    run(who, ics(*TWO_EVENTS))
    kept = blocks(who[1], "a")[0].id
    result = run(who, ics(TWO_EVENTS[0]))
    assert (result.added, result.updated, result.removed, result.unchanged) == (0, 0, 1, 1)
    assert [(b.id, b.external_uid) for b in blocks(who[1])] == [(kept, "a")]


def test_reimport_after_an_event_moved_updates_its_block(who):
    run(who, ics(*TWO_EVENTS))
    block_id = blocks(who[1], "b")[0].id
    result = run(who, ics(TWO_EVENTS[0], "UID:b\nDTSTART:20261126T090000Z\nDTEND:20261126T113000Z"))
    assert (result.added, result.updated, result.removed, result.unchanged) == (0, 1, 0, 1)
    [block] = blocks(who[1], "b")
    assert (block.id, block.end_at) == (block_id, datetime(2026, 11, 26, 11, 30, tzinfo=UTC))


def test_reimport_after_an_occurrence_was_moved_updates_it(who):
    weekly = "UID:w\nDTSTART:20261124T120000Z\nDTEND:20261124T130000Z\nRRULE:FREQ=WEEKLY;COUNT=3"
    run(who, ics(weekly))
    moved = "UID:w\nRECURRENCE-ID:20261201T120000Z\nDTSTART:20261202T160000Z\nDTEND:20261202T170000Z"
    result = run(who, ics(weekly, moved))
    assert (result.added, result.updated, result.removed, result.unchanged) == (0, 1, 0, 2)
    assert spans(who[1]) == [
        (datetime(2026, 11, 24, 12, tzinfo=UTC), datetime(2026, 11, 24, 13, tzinfo=UTC)),
        (datetime(2026, 12, 2, 16, tzinfo=UTC), datetime(2026, 12, 2, 17, tzinfo=UTC)),
        (datetime(2026, 12, 8, 12, tzinfo=UTC), datetime(2026, 12, 8, 13, tzinfo=UTC)),
    ]


def test_reimport_keeps_the_past_manual_blocks_and_other_practitioners(who, make_user):
    actor, practitioner_id = who
    other = make_user("practitioner").practitioner.id
    run(who, ics(*TWO_EVENTS))
    import_busy_time(db.session, actor, other, ics(*TWO_EVENTS), now=NOW)
    db.session.add(TimeBlock(practitioner_id=practitioner_id, start_at=datetime(2026, 11, 27, 9, tzinfo=UTC),
                             end_at=datetime(2026, 11, 27, 12, tzinfo=UTC), reason="Training", source="manual"))
    db.session.commit()
    # A week later, with an empty calendar: the past stays, the future imported time goes.
    later = NOW + timedelta(days=7)
    result = run(who, ics(), now=later)
    assert result.removed == 0  # both imported blocks now lie in the past
    assert len(blocks(who[1])) == 3
    run(who, ics(), now=NOW)  # seen from before they happened, they are gone
    assert [(b.source, b.reason) for b in blocks(who[1])] == [("manual", "Training")]
    assert len(blocks(other)) == 2


def test_a_shorter_horizon_drops_imported_blocks_beyond_it(who):
    """After an import, imported time from today on is what this file says for this window:
    a block a longer horizon brought in earlier does not linger past the new one's end."""
    data = ics(TWO_EVENTS[0], "UID:far\nDTSTART:20270112T090000Z\nDTEND:20270112T100000Z")
    assert run(who, data, horizon_days=60).added == 2
    result = run(who, data, horizon_days=30)
    assert (result.removed, result.unchanged) == (1, 1)
    assert [b.external_uid for b in blocks(who[1])] == ["a"]


def test_importing_an_empty_calendar_notes_it(who):
    result = run(who, ics())
    assert result.added == 0 and "The file holds no events." in result.notes


def test_booked_appointments_in_busy_time_are_noted(who, make_client):
    client = make_client("Sam")
    service = Service(name="Massage", duration_minutes=60, price_cents=5000, buffer_after_minutes=0)
    db.session.add(service)
    db.session.flush()
    start = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)  # into the busy 09:00-10:00
    db.session.add(Appointment(client_id=client.id, practitioner_id=who[1], service_id=service.id,
                               start_at=start, end_at=start + timedelta(hours=1),
                               held_until=start + timedelta(hours=1), status="booked",
                               price_cents=5000, created_at=NOW))
    after = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # starts as the busy time ends
    db.session.add(Appointment(client_id=client.id, practitioner_id=who[1], service_id=service.id,
                               start_at=after, end_at=after + timedelta(hours=1),
                               held_until=after + timedelta(hours=1), status="booked",
                               price_cents=5000, created_at=NOW))
    db.session.commit()
    result = run(who, ics(*TWO_EVENTS))
    assert "1 booked appointment falls in busy time from the calendar: Wed 25 Nov 2026 08:30." in result.notes


# Refusals: nothing is written ------------------------------------------------------------

def huge():
    return ics(*[f"UID:e{i}\nDTSTART:20261125T090000Z\nDTEND:20261125T100000Z" for i in range(30_000)])


REFUSED = [
    pytest.param(b"", "The file is empty", id="empty"),
    pytest.param(b"  \r\n\r\n ", "The file is empty", id="blank"),
    pytest.param(huge, "The file is too large", id="huge"),
    pytest.param(b"Name,Start,End\nDentist,2026-11-25 09:00,10:00\n", "This file is not an iCalendar (.ics) file",
                 id="csv"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
                 "This file is not an iCalendar (.ics) file", id="binary"),
    pytest.param(b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261125T090000Z\r\nEND:VEVENT\r\n",
                 "This file is not an iCalendar (.ics) file", id="event-without-calendar"),
    pytest.param(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026",
                 "damaged", id="truncated"),
    pytest.param(b"BEGIN:VCALENDAR\r\nthis is :: not ; a line\r\n\x01\x02 garbage\r\nEND:VCALENDAR\r\n",
                 "damaged", id="garbage-inside"),
    pytest.param(ics("UID:x\nDTSTART:2026-11-25 09:00\nDTEND:20261125T100000Z"),
                 "event 1 has an unreadable DTSTART", id="bad-start"),
    pytest.param(ics("UID:x\nDTEND:20261125T100000Z"), "event 1 has no start", id="no-start"),
    pytest.param(ics("UID:x\nDTSTART:20261125T090000Z\nDTEND:20261125T100000Z\nRRULE:FREQ=SOMETIMES"),
                 "damaged", id="bad-rule"),
    pytest.param(ics("UID:x\nDTSTART:20261124T000000Z\nDTEND:20261124T001000Z\nRRULE:FREQ=HOURLY"),
                 "more than 5000 events in the next 365 days", id="too-many"),
    pytest.param(ics("UID:x\nDTSTART:20100101T000000Z\nDTEND:20100101T000001Z\nRRULE:FREQ=SECONDLY"),
                 "repeats too often", id="every-second"),
]


@pytest.mark.parametrize("data, message", REFUSED)
def test_bad_files_are_refused_and_nothing_changes(who, data, message):
    run(who, ics(*TWO_EVENTS))  # what a refused file must leave alone
    before, audited = snapshot(who[1]), imports_audited()
    with pytest.raises(DomainError) as refused:
        run(who, data() if callable(data) else data, horizon_days=365)
    assert refused.value.field == "file"
    assert message in refused.value.message
    assert snapshot(who[1]) == before
    assert imports_audited() == audited


def test_size_limit_is_the_callers(who):
    data = ics(*TWO_EVENTS)
    with pytest.raises(DomainError, match=r"too large .* the limit is 100 bytes"):
        run(who, data, max_bytes=100)
    assert run(who, data, max_bytes=len(data)).added == 2


def test_byte_order_marks_are_accepted(who):
    data = ics(*TWO_EVENTS)
    assert run(who, b"\xef\xbb\xbf" + data).added == 2
    assert run(who, data.decode().encode("utf-16")).unchanged == 2


def test_a_failure_while_writing_leaves_the_database_unchanged(who, monkeypatch):
    run(who, ics(*TWO_EVENTS))
    before, audited = snapshot(who[1]), imports_audited()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(calendar_import, "record", fail)
    with pytest.raises(RuntimeError):
        run(who, ics("UID:c\nDTSTART:20261128T090000Z\nDTEND:20261128T100000Z"))
    assert snapshot(who[1]) == before
    assert imports_audited() == audited


def test_unknown_practitioner_and_bad_horizon_are_refused(who):
    actor, _ = who
    with pytest.raises(DomainError) as refused:
        import_busy_time(db.session, actor, 999_999, ics(*TWO_EVENTS), now=NOW)
    assert refused.value.field == "practitioner_id"
    with pytest.raises(DomainError) as refused:
        run(who, ics(*TWO_EVENTS), horizon_days=0)
    assert refused.value.field == "horizon_days"
