"""Times around clock changes: a wall time the clocks skip is refused with the reason, one
they show twice is asked about and stored as chosen, on every form that turns a typed time
into an instant; an end is never shown before its start; calendar files say the instants.

London: the clocks go forward from 01:00 to 02:00 on Sunday 28 March 2027 and back from
02:00 to 01:00 on Sunday 31 October 2027. Toronto: forward from 02:00 to 03:00 on Sunday
14 March 2027."""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from sqlalchemy import select

from practice.audit.services import SYSTEM
from practice.conduct import queries as conduct_queries
from practice.conduct.models import Communication, ConductEntry
from practice.db import db
from practice.localtime import TimeDoesNotExist, TimeHappensTwice, instant, span, steady_offset
from practice.scheduling import feeds, services
from practice.scheduling.models import Appointment, TimeBlock
from practice.settings import services as settings_services
from tests.test_bad_input import error_for

UTC = timezone.utc
LONDON, TORONTO = ZoneInfo("Europe/London"), ZoneInfo("America/Toronto")
FORWARD, BACK = date(2027, 3, 28), date(2027, 10, 31)
TORONTO_FORWARD = date(2027, 3, 14)
SKIPPED = "01:30 does not exist on Sunday 28 March 2027: clocks go forward from 01:00 to 02:00."
TWICE = "01:30 happens twice on Sunday 31 October 2027: clocks go back from 02:00 to 01:00."
FIRST, SECOND = "01:30 BST, the first", "01:30 GMT, the second"
FIRST_0130, SECOND_0130 = datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


# The rule -------------------------------------------------------------------------------------

def test_a_time_the_clocks_skip_is_refused_with_the_reason():
    with pytest.raises(TimeDoesNotExist) as refused:
        instant(FORWARD, time(1, 30), LONDON, field="start")
    assert (refused.value.message, refused.value.field) == (SKIPPED, "start")
    with pytest.raises(TimeDoesNotExist) as refused:
        instant(TORONTO_FORWARD, time(2, 30), TORONTO)
    assert refused.value.message == (
        "02:30 does not exist on Sunday 14 March 2027: clocks go forward from 02:00 to 03:00.")


def test_a_time_the_clocks_show_twice_asks_which_one_then_takes_the_answer():
    with pytest.raises(TimeHappensTwice) as asked:
        instant(BACK, time(1, 30), LONDON)
    assert asked.value.message.startswith(TWICE)
    assert asked.value.choices == [("0", FIRST), ("1", SECOND)]
    assert instant(BACK, time(1, 30), LONDON, fold=0) == FIRST_0130
    assert instant(BACK, time(1, 30), LONDON, fold=1) == SECOND_0130


@pytest.mark.parametrize("day, wall, utc", [
    (FORWARD, time(0, 59), datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
    (FORWARD, time(2, 0), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
    (BACK, time(0, 59), datetime(2027, 10, 30, 23, 59, tzinfo=UTC)),
    (BACK, time(2, 0), datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
    (date(2027, 1, 10), time(1, 30), datetime(2027, 1, 10, 1, 30, tzinfo=UTC)),
])
def test_the_times_around_a_change_are_ordinary(day, wall, utc):
    assert instant(day, wall, LONDON) == utc


def test_an_end_is_never_shown_before_its_start():
    hour = timedelta(hours=1)
    assert span(FIRST_0130, FIRST_0130 + hour, LONDON) == "01:30 BST–01:30 GMT"
    assert span(SECOND_0130, SECOND_0130 + hour, LONDON) == "01:30 GMT–02:30 GMT"
    assert span(FIRST_0130 - hour, FIRST_0130, LONDON) == "00:30 BST–01:30 BST"
    spring = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert span(spring, spring + hour, LONDON) == "00:30 GMT–02:30 BST"
    ordinary = datetime(2027, 1, 10, 10, 0, tzinfo=UTC)
    assert span(ordinary, ordinary + hour, LONDON) == "10:00–11:00"


# Every form that turns a typed time into an instant -------------------------------------------

@pytest.fixture
def night(app, desk, users, login):
    """The practitioner also works 00:00-04:00 on Sundays; the desk's client has a session at
    10:00 on each change day; the admin is signed in."""
    practitioner, service, client = desk
    hours = [(d, time(9), time(13)) for d in range(7)] + [(d, time(14), time(18)) for d in range(7)]
    services.set_working_hours(db.session, SYSTEM, practitioner.id, [*hours, (6, time(0), time(4))],
                               now=app.extensions["practice"].clock.now())
    appointments = {}
    for day in (FORWARD, BACK):
        request = services.BookingRequest(client.id, practitioner.id, service.id,
                                          instant(day, time(10), LONDON))
        appointments[day] = services.book(db.session, SYSTEM, request, now=datetime(2027, 1, 1, tzinfo=UTC))
    login(users["admin"])
    return practitioner, service, client, appointments


def _booking(night, day: date, hhmm: str) -> dict:
    practitioner, service, client, _ = night
    return {"client_id": client.id, "practitioner_id": practitioner.id, "service_id": service.id,
            "day": day.isoformat(), "start": hhmm}


@dataclass(frozen=True)
class TypedTime:
    """A form with a typed time: where it posts, its data for a day and time, the time
    field's id, what it stores, and when it is used (bookings before the day, records after)."""

    url: Callable
    data: Callable
    field: str
    stored: Callable
    used_at: datetime


BEFORE, AFTER = datetime(2027, 10, 30, 12, tzinfo=UTC), datetime(2027, 11, 1, 12, tzinfo=UTC)
FORMS = {
    "booking": TypedTime(
        lambda n: "/appointments/new", _booking, "start",
        lambda n: db.session.scalars(select(Appointment.start_at).where(
            Appointment.start_at < datetime(2027, 10, 31, 9, tzinfo=UTC),
            Appointment.start_at > datetime(2027, 10, 30, 12, tzinfo=UTC))).all(), BEFORE),
    "moving": TypedTime(
        lambda n: f"/appointments/{n[3][BACK].id}/reschedule",
        lambda n, day, hhmm: {"day": day.isoformat(), "start": hhmm}, "start",
        lambda n: [db.session.get(Appointment, n[3][BACK].id).start_at], BEFORE),
    "time off": TypedTime(
        lambda n: f"/settings/scheduling/practitioners/{n[0].id}/time-off",
        lambda n, day, hhmm: {"off-start_day": day.isoformat(), "off-start_time": hhmm,
                              "off-end_day": day.isoformat(), "off-end_time": "03:00"},
        "off-start_time", lambda n: db.session.scalars(select(TimeBlock.start_at)).all(), BEFORE),
    "incident": TypedTime(
        lambda n: f"/clients/{n[2].id}/conduct/incidents/new",
        lambda n, day, hhmm: {"category_id": conduct_queries.categories()[0].id, "severity": "low",
                              "channel": "text", "description": "Texted at night.",
                              "occurred_from": f"{day.isoformat()}T{hhmm}"},
        "occurred_from",
        lambda n: db.session.scalars(select(ConductEntry.occurred_from).where(
            ConductEntry.source == "manual")).all(), AFTER),
    "communication": TypedTime(
        lambda n: f"/clients/{n[2].id}/communications/new",
        lambda n, day, hhmm: {"kind": "warning", "channel": "phone", "summary": "Said so.",
                              "occurred_at": f"{day.isoformat()}T{hhmm}"},
        "occurred_at", lambda n: db.session.scalars(select(Communication.occurred_at)).all(), AFTER),
}


def _post(app, client, night, form, day, hhmm, **extra):
    typed = FORMS[form]
    app.extensions["practice"].clock.at = typed.used_at
    return client.post(typed.url(night), data=typed.data(night, day, hhmm) | extra)


def _stored(night, form):
    db.session.expire_all()
    return FORMS[form].stored(night)


@pytest.mark.parametrize("form", FORMS)
def test_a_time_the_clocks_skip_is_refused_next_to_the_field(app, client, night, form):
    before = _stored(night, form)
    response = _post(app, client, night, form, FORWARD, "01:30")
    assert response.status_code == 422
    assert error_for(response.get_data(as_text=True), FORMS[form].field) == SKIPPED
    assert _stored(night, form) == before


@pytest.mark.parametrize("form", FORMS)
def test_a_time_the_clocks_show_twice_asks_which_one_and_keeps_the_answer(app, client, night, form):
    field = FORMS[form].field
    before = _stored(night, form)
    asked = _post(app, client, night, form, BACK, "01:30")
    assert asked.status_code == 422
    page = asked.get_data(as_text=True)
    assert error_for(page, field).startswith(TWICE)
    for value, label in (("0", FIRST), ("1", SECOND)):
        assert re.search(rf'<input [^>]*name="{field}_fold" id="{field}-fold-{value}" value="{value}"', page)
        assert f'<label class="form-check-label" for="{field}-fold-{value}">{label}</label>' in page
    assert _stored(night, form) == before

    chosen = _post(app, client, night, form, BACK, "01:30", **{f"{field}_fold": "1"})
    assert chosen.status_code == 302, error_for(chosen.get_data(as_text=True), field)
    assert SECOND_0130 in _stored(night, form)


def test_the_question_is_not_asked_for_an_ordinary_time(app, client, night):
    page = client.get("/appointments/new").get_data(as_text=True)
    assert "_fold" not in page
    response = _post(app, client, night, "booking", BACK, "02:30")
    assert response.status_code == 302
    assert _stored(night, "booking") == [datetime(2027, 10, 31, 2, 30, tzinfo=UTC)]


def test_a_check_in_time_the_clocks_show_twice_asks_which_one(app, client, night):
    practitioner, service, client_record, _ = night
    request = services.BookingRequest(client_record.id, practitioner.id, service.id, FIRST_0130)
    appointment = services.book(db.session, SYSTEM, request, now=datetime(2027, 1, 1, tzinfo=UTC))
    url = f"/appointments/{appointment.id}/check-in"
    app.extensions["practice"].clock.at = AFTER

    asked = client.post(url, data={"arrived": "01:30"})
    assert asked.status_code == 422
    page = asked.get_data(as_text=True)
    assert error_for(page, "arrived").startswith(TWICE) and SECOND in page
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == "booked"

    assert client.post(url, data={"arrived": "01:30", "arrived_fold": "1"}).status_code == 302
    db.session.expire_all()
    checked_in = db.session.get(Appointment, appointment.id)
    assert (checked_in.arrived_at, checked_in.late_minutes) == (SECOND_0130, 60)


def test_a_check_in_time_the_clocks_skip_is_refused(app, client, night):
    app.extensions["practice"].clock.at = AFTER
    appointment = night[3][FORWARD]  # 10:00 that day: an arrival "01:30" names no instant
    response = client.post(f"/appointments/{appointment.id}/check-in", data={"arrived": "01:30"})
    assert response.status_code == 422
    assert error_for(response.get_data(as_text=True), "arrived") == SKIPPED


def test_toronto_refuses_half_past_two_on_its_spring_change(app, client, night):
    profile = settings_services.get_practice(db.session)
    details = settings_services.PracticeDetails(
        name=profile.name, timezone="America/Toronto", currency="CAD", phone_region="CA")
    settings_services.update_details(db.session, SYSTEM, details, now=datetime(2027, 1, 1, tzinfo=UTC))
    app.extensions["practice"].clock.at = datetime(2027, 1, 1, tzinfo=UTC)
    response = _post(app, client, night, "booking", TORONTO_FORWARD, "02:30")
    assert response.status_code == 422
    assert error_for(response.get_data(as_text=True), "start") == (
        "02:30 does not exist on Sunday 14 March 2027: clocks go forward from 02:00 to 03:00.")


def test_the_calendar_shows_the_zone_where_a_time_happens_twice(client, night):
    practitioner, service, client_record, _ = night
    for start in (FIRST_0130, SECOND_0130 + timedelta(minutes=75)):
        services.book(db.session, SYSTEM, services.BookingRequest(
            client_record.id, practitioner.id, service.id, start), now=datetime(2027, 1, 1, tzinfo=UTC))
    for page in (html.unescape(client.get(f"/calendar?date={BACK.isoformat()}").get_data(as_text=True)),
                 html.unescape(client.get(f"/today?date={BACK.isoformat()}").get_data(as_text=True))):
        assert "01:30 BST–01:30 GMT" in page
        assert "02:45 GMT–03:45 GMT" not in page and "02:45–03:45" in page


def test_a_day_without_a_change_is_written_with_one_fixed_offset():
    """Today and the book write hundreds of times with the zone's offset of the day, when
    the clocks do not change that day (nor just before or after it)."""
    day = datetime(2027, 1, 10, tzinfo=UTC)
    assert steady_offset(LONDON, day, day + timedelta(days=1, hours=8)) == timezone.utc
    summer = datetime(2027, 7, 10, tzinfo=UTC)
    assert steady_offset(LONDON, summer, summer + timedelta(hours=32)) == timezone(timedelta(hours=1))
    assert steady_offset(LONDON, FIRST_0130 - timedelta(hours=6), FIRST_0130 + timedelta(hours=20)) is None
    just_before = FIRST_0130 + timedelta(hours=2)  # the change is an hour and a half before it
    assert steady_offset(LONDON, just_before, just_before + timedelta(hours=20)) is None


# Calendar files ----------------------------------------------------------------------------

def _times_read_back(content: bytes) -> list[tuple[datetime, datetime]]:
    """(start, end) of each event in UTC, as icalendar and as vobject read them."""
    by_icalendar = sorted((e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC))
                          for e in icalendar.Calendar.from_ical(content).walk("VEVENT"))
    by_vobject = sorted((e.dtstart.value.astimezone(UTC), e.dtend.value.astimezone(UTC))
                        for e in vobject.readOne(content.decode()).contents["vevent"])
    assert by_icalendar == by_vobject
    return by_icalendar


def test_feeds_and_files_say_the_stored_instants_around_the_change(app, client, night):
    app.extensions["practice"].clock.at = AFTER
    practitioner, service, client_record, appointments = night
    starts = [FIRST_0130, SECOND_0130 + timedelta(minutes=75)]
    for start in starts:
        services.book(db.session, SYSTEM, services.BookingRequest(
            client_record.id, practitioner.id, service.id, start), now=datetime(2027, 1, 1, tzinfo=UTC))
    token = feeds.enable_feed(db.session, SYSTEM, practitioner.id, now=datetime(2027, 11, 1, tzinfo=UTC))
    stored = sorted((a.start_at, a.end_at) for a in db.session.scalars(select(Appointment))
                    if a.start_at.month == 10)  # the feed's window: a month back, half a year on

    content = client.get(f"/feeds/{token}.ics").get_data()
    assert _times_read_back(content) == stored
    text = content.decode().replace("\r\n ", "")
    assert "DTSTART:20271031T003000Z" in text and "DTEND:20271031T013000Z" in text  # 01:30 BST–01:30 GMT
    assert "DTSTART;TZID=Europe/London:20271031T024500" in text  # 02:45–03:45 GMT happen once
    assert "DTSTART;TZID=Europe/London:20271031T100000" in text

    for appointment in db.session.scalars(select(Appointment)):
        file = client.get(f"/appointments/{appointment.uuid}.ics").get_data()
        assert _times_read_back(file) == [(appointment.start_at, appointment.end_at)]

