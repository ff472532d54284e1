"""iCalendar out: the practitioner's private subscription feed and one appointment as a file.

Every feed is read by two independent parsers: `icalendar` and `vobject` (which builds its
time zones from the feed's own VTIMEZONE, so it also checks that component)."""

import re
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from practice.audit.services import SYSTEM
from practice.auth.permissions import can
from practice.clients import services as client_services
from practice.db import db
from practice.scheduling import feeds, services
from practice.scheduling.models import PractitionerSchedule
from practice.settings.services import get_practice
from tests.conftest import NOW

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
MONDAY = date(2026, 11, 30)  # a week after NOW (Monday 23 November 2026, 10:00 UTC)
SERVICE = "Remedial massage, 60 minutes"
CALNAME = "Harbour Street Massage – Priya Practitioner"


def at(day: date, hhmm: str) -> datetime:
    """A local London time as the aware UTC moment it is."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), LONDON).astimezone(UTC)


@pytest.fixture
def clock(app):
    return app.extensions["practice"].clock


@pytest.fixture
def desk(users, make_client):
    """A practitioner working 09:00-13:00 and 14:00-18:00 every day, a 60-minute service with
    a 15-minute buffer, and a client with every kind of personal detail."""
    practitioner = users["practitioner"].practitioner
    hours = [(d, time(9), time(13)) for d in range(7)] + [(d, time(14), time(18)) for d in range(7)]
    services.set_working_hours(db.session, SYSTEM, practitioner.id, hours, now=NOW)
    service = services.create_service(db.session, SYSTEM, name=SERVICE, duration_minutes=60,
                                      price_cents=6000, buffer_after_minutes=15, now=NOW)
    client = make_client("Sam Taylor", legal_name="Samantha Quillfeather", phone="07911 123456",
                         email="sam.private@example.org", address="7 Hidden Lane")
    return practitioner, service, client


def book(desk, start, client=None, now=NOW, notes=""):
    """A booking made (and committed) as the booking page makes it."""
    practitioner, service, default_client = desk
    request = services.BookingRequest((client or default_client).id, practitioner.id, service.id,
                                      start, notes=notes)
    appointment = services.book(db.session, SYSTEM, request, now=now)
    db.session.commit()
    return appointment


def enable(desk) -> str:
    practitioner = desk[0]
    return feeds.enable_feed(db.session, SYSTEM, practitioner.id, now=NOW)


def fetch(client, token) -> bytes:
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    return response.get_data()


def parse(content: bytes):
    """The feed through both parsers: (icalendar Calendar, vobject component)."""
    return icalendar.Calendar.from_ical(content), vobject.readOne(content.decode("utf-8"))


def events(content: bytes) -> list:
    return icalendar.Calendar.from_ical(content).walk("VEVENT")


def vevents(content: bytes) -> list:
    return list(vobject.readOne(content.decode("utf-8")).contents.get("vevent", []))


def unfolded(content: bytes) -> str:
    return content.decode("utf-8").replace("\r\n ", "")


# The calendar ----------------------------------------------------------------------------

def test_the_feed_has_what_google_apple_and_outlook_need(client, desk):
    first = book(desk, at(MONDAY, "10:00"))
    second = book(desk, at(MONDAY, "14:00"))
    content = fetch(client, enable(desk))
    assert content.startswith(b"BEGIN:VCALENDAR\r\n") and content.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in content.split(b"\r\n"))  # folded lines
    text = unfolded(content)
    for line in ("VERSION:2.0", "METHOD:PUBLISH", "CALSCALE:GREGORIAN", f"X-WR-CALNAME:{CALNAME}",
                 "X-WR-TIMEZONE:Europe/London", "REFRESH-INTERVAL;VALUE=DURATION:PT15M",
                 "X-PUBLISHED-TTL:PT15M", "BEGIN:VTIMEZONE", "TZID:Europe/London"):
        assert f"\r\n{line}\r\n" in text, line
    assert re.search(r"\r\nPRODID:-//Practice//.+//EN\r\n", text)

    calendar, vcalendar = parse(content)
    assert calendar["VERSION"] == "2.0" and calendar["METHOD"] == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == CALNAME
    ttl = calendar["X-PUBLISHED-TTL"]
    assert icalendar.vDuration.from_ical(ttl.to_ical().decode()) == timedelta(minutes=15)
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(minutes=15)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert vcalendar.method.value == "PUBLISH" and vcalendar.version.value == "2.0"
    assert vcalendar.contents["x-wr-calname"][0].value == CALNAME

    found = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in found] == [f"{first.uuid}@practice", f"{second.uuid}@practice"]
    for event, appointment in zip(found, (first, second), strict=True):
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert event["DTEND"].params["TZID"] == "Europe/London"
        assert event["DTSTART"].dt == appointment.start_at and event["DTEND"].dt == appointment.end_at
        assert event["DTSTAMP"].dt == NOW  # booked at NOW: its last change
        assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
        assert event["TRANSP"] == "OPAQUE" and event["CLASS"] == "PRIVATE"
        assert str(event["SUMMARY"]) == f"S.T. – {SERVICE}"
    assert "DTSTART;TZID=Europe/London:20261130T100000" in text
    assert "DTEND;TZID=Europe/London:20261130T110000" in text
    assert "DTSTAMP:20261123T100000Z" in text

    vfound = vevents(content)
    assert [e.uid.value for e in vfound] == [f"{first.uuid}@practice", f"{second.uuid}@practice"]
    assert [e.dtstart.value for e in vfound] == [first.start_at, second.start_at]
    assert [e.summary.value for e in vfound] == [f"S.T. – {SERVICE}"] * 2
    assert [e.status.value for e in vfound] == ["CONFIRMED"] * 2
    assert all(e.dtstamp.value == NOW for e in vfound)


def test_the_feed_shows_initials_unless_the_practice_opts_in_to_names(client, desk, make_client):
    book(desk, at(MONDAY, "10:00"))
    book(desk, at(MONDAY, "14:00"), client=make_client("jean-luc  o'Brien picard smith"))
    book(desk, at(MONDAY, "16:00"), client=make_client("Mo"))
    token = enable(desk)
    summaries = [str(e["SUMMARY"]) for e in events(fetch(client, token))]
    assert summaries == [f"S.T. – {SERVICE}", f"J.L.S. – {SERVICE}", f"M. – {SERVICE}"]
    assert b"Sam Taylor" not in fetch(client, token)

    services.set_feed_shows_names(db.session, SYSTEM, True, now=NOW)
    content = fetch(client, token)
    assert [str(e["SUMMARY"]) for e in events(content)] == [
        f"Sam Taylor – {SERVICE}", f"jean-luc  o'Brien picard smith – {SERVICE}", f"Mo – {SERVICE}"]
    assert [e.summary.value for e in vevents(content)][0] == f"Sam Taylor – {SERVICE}"


def test_the_feed_never_carries_contact_details_legal_names_or_notes(client, desk):
    book(desk, at(MONDAY, "10:00"), notes="Bruised shoulder, sensitive history")
    token = enable(desk)
    services.set_feed_shows_names(db.session, SYSTEM, True, now=NOW)
    for content in (fetch(client, token), feeds.calendar_for(db.session, token, now=NOW)):
        text = unfolded(content).lower()
        for secret in ("quillfeather", "samantha", "7911", "123456", "sam.private", "example.org",
                       "hidden lane", "bruised", "sensitive", "description", "attendee",
                       "organizer", "0117"):
            assert secret not in text, secret


# Changes and stability -----------------------------------------------------------------------

def test_two_requests_with_nothing_changed_get_the_same_bytes(client, clock, desk):
    book(desk, at(MONDAY, "10:00"))
    book(desk, at(MONDAY, "14:00"))
    token = enable(desk)
    first = client.get(f"/feeds/{token}.ics")
    clock.advance(minutes=17)  # time passes; nothing changes
    second = client.get(f"/feeds/{token}.ics")
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    # A calendar program that asks "changed?" gets a short answer.
    again = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert "private" in first.headers["Cache-Control"]


def test_an_unchanged_feed_is_answered_without_building_the_calendar(client, desk, monkeypatch):
    book(desk, at(MONDAY, "10:00"))
    token = enable(desk)
    etag = client.get(f"/feeds/{token}.ics").headers["ETag"]

    def not_built(source):
        raise AssertionError("the calendar was built for a 304")

    monkeypatch.setattr(feeds, "render_feed", not_built)
    again = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag


def test_an_unchanged_feed_takes_two_statements_whoever_is_signed_in(client, desk, users, login, count_queries):
    book(desk, at(MONDAY, "10:00"))
    token = enable(desk)
    etag = client.get(f"/feeds/{token}.ics").headers["ETag"]
    for user in (None, users["admin"]):
        if user is not None:
            login(user)  # the browser's sign-in plays no part in a feed
        with count_queries() as statements:
            again = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert len(statements) == 2, statements  # the token's frame, then the ETag's aggregates


def test_a_user_still_to_set_up_two_factor_sign_in_gets_the_feed(client, desk, users, login):
    token = enable(desk)
    get_practice(db.session).require_two_factor = True
    db.session.commit()
    login(users["practitioner"])
    assert client.get("/clients/").headers["Location"] == "/account/two-factor"
    fetch(client, token)  # the token opens it, as it does for a calendar program


@pytest.mark.parametrize("change", ["rename the client", "book another", "cancel", "names shown", "move",
                                    "check in", "undo the check-in", "rename the service"])
def test_any_change_the_feed_shows_changes_its_etag(client, clock, desk, change):
    appointment = book(desk, at(MONDAY, "10:00"))
    token = enable(desk)
    if change == "undo the check-in":
        clock.at = appointment.start_at
        services.check_in(db.session, SYSTEM, appointment, None, now=clock.now())
        db.session.commit()
    before = client.get(f"/feeds/{token}.ics")
    clock.advance(minutes=5)  # changes are made at their own moment
    if change == "rename the client":  # as the client's page saves it
        client_services.update_client(db.session, SYSTEM, desk[2], client_services.ClientDetails(
            "Sam Rivers", legal_name="Samantha Quillfeather", phone="07911 123456",
            email="sam.private@example.org", address="7 Hidden Lane"), phone_region="GB", now=clock.now())
    elif change == "rename the service":  # as the service's page saves it
        service = desk[1]
        services.update_service(db.session, SYSTEM, service, name="Deep tissue massage, 60 minutes",
                                duration_minutes=service.duration_minutes, price_cents=service.price_cents,
                                buffer_after_minutes=service.buffer_after_minutes, now=clock.now())
    elif change == "book another":
        book(desk, at(MONDAY, "14:00"))
    elif change == "cancel":
        services.cancel(db.session, SYSTEM, appointment, "client unwell", now=clock.now())
    elif change == "move":
        services.reschedule(db.session, SYSTEM, appointment, at(MONDAY, "15:00"), now=clock.now())
    elif change == "check in":
        clock.at = appointment.start_at
        services.check_in(db.session, SYSTEM, appointment, None, now=clock.now())
    elif change == "undo the check-in":
        services.undo(db.session, SYSTEM, appointment, "checked in on the wrong row", now=clock.now())
    else:
        services.set_feed_shows_names(db.session, SYSTEM, True, now=clock.now())
    db.session.commit()
    after = client.get(f"/feeds/{token}.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert after.get_data() != before.get_data()


def test_a_cancellation_shows_as_cancelled_for_14_days_then_drops_out(client, clock, desk, make_client):
    early = book(desk, at(MONDAY + timedelta(days=30), "10:00"))
    late = book(desk, NOW + timedelta(hours=5), client=make_client("Ana Bell"))  # today 15:00
    kept = book(desk, at(MONDAY + timedelta(days=30), "14:00"), client=make_client("Bo"))
    token = enable(desk)
    clock.advance(hours=2)
    cancelled_at = clock.now()
    services.cancel(db.session, SYSTEM, early, "client unwell", now=cancelled_at)
    services.cancel(db.session, SYSTEM, late, "client unwell", now=cancelled_at,  # 3 hours before
                    confirm_unacknowledged=True)
    assert late.status == "late_cancelled" and early.status == "cancelled"

    content = fetch(client, token)
    by_uid = {str(e["UID"]): e for e in events(content)}
    assert set(by_uid) == {f"{a.uuid}@practice" for a in (early, late, kept)}
    event = by_uid[f"{early.uuid}@practice"]
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
    assert event["DTSTAMP"].dt == cancelled_at  # the change, not the request
    assert str(event["SUMMARY"]) == f"Cancelled: S.T. – {SERVICE}"
    assert event["TRANSP"] == "TRANSPARENT"
    assert by_uid[f"{late.uuid}@practice"]["STATUS"] == "CANCELLED"
    assert by_uid[f"{kept.uuid}@practice"]["STATUS"] == "CONFIRMED"
    assert {e.uid.value: e.status.value for e in vevents(content)}[f"{early.uuid}@practice"] == "CANCELLED"

    clock.advance(days=13, hours=23)  # not quite 14 days after the early cancellation
    uids = {str(e["UID"]) for e in events(fetch(client, token))}
    assert f"{early.uuid}@practice" in uids
    clock.advance(hours=1)  # 14 days: gone; the one that was not cancelled stays
    uids = {str(e["UID"]) for e in events(fetch(client, token))}
    assert uids == {f"{kept.uuid}@practice"}


def test_a_move_bumps_the_sequence_and_the_stamp(client, clock, desk):
    appointment = book(desk, at(MONDAY, "10:00"))
    token = enable(desk)
    clock.advance(hours=1)
    services.reschedule(db.session, SYSTEM, appointment, at(MONDAY, "14:00"), now=clock.now())
    (event,) = events(fetch(client, token))
    assert event["SEQUENCE"] == 1 and event["DTSTAMP"].dt == clock.now()
    assert event["DTSTART"].dt == at(MONDAY, "14:00")
    clock.advance(hours=1)
    services.reschedule(db.session, SYSTEM, appointment, at(MONDAY, "15:30"), now=clock.now())
    (event,) = events(fetch(client, token))
    assert event["SEQUENCE"] == 2 and event["DTSTAMP"].dt == clock.now()


def test_the_window_is_the_past_30_days_to_the_next_180(client, clock, desk, make_client):
    soon = book(desk, at(MONDAY, "10:00"))
    far = book(desk, at((NOW + timedelta(days=181)).date(), "10:00"), client=make_client("Far Away"))
    token = enable(desk)
    assert [str(e["UID"]) for e in events(fetch(client, token))] == [f"{soon.uuid}@practice"]
    clock.advance(days=2)  # the far one comes within 180 days
    assert [str(e["UID"]) for e in events(fetch(client, token))] == [
        f"{soon.uuid}@practice", f"{far.uuid}@practice"]
    clock.at = soon.end_at + timedelta(days=30, minutes=-1)  # 30 days after: still there
    assert f"{soon.uuid}@practice" in {str(e["UID"]) for e in events(fetch(client, token))}
    clock.advance(minutes=2)
    assert f"{soon.uuid}@practice" not in {str(e["UID"]) for e in events(fetch(client, token))}


@pytest.mark.parametrize("day, utc_hour", [(date(2027, 3, 28), 8), (date(2027, 10, 31), 9)])
def test_daylight_saving_change_days_keep_nine_oclock(client, clock, desk, day, utc_hour):
    """The clocks go forward (28 March 2027) and back (31 October 2027) at 01:00 UTC."""
    clock.at = datetime.combine(day - timedelta(days=20), time(12), UTC)
    appointment = book(desk, at(day, "09:00"), now=clock.now())
    assert appointment.start_at == datetime.combine(day, time(utc_hour), UTC)
    content = fetch(client, enable(desk))
    stamp = day.strftime("%Y%m%d")
    assert f"\r\nDTSTART;TZID=Europe/London:{stamp}T090000\r\n" in unfolded(content)
    assert f"\r\nDTEND;TZID=Europe/London:{stamp}T100000\r\n" in unfolded(content)

    (event,) = events(content)
    start = event["DTSTART"].dt
    assert (start.date(), start.time()) == (day, time(9))
    assert start.astimezone(UTC) == appointment.start_at

    (vevent,) = vevents(content)  # vobject takes the zone from the feed's own VTIMEZONE
    vstart = vevent.dtstart.value
    assert (vstart.date(), vstart.time()) == (day, time(9))
    assert vstart.astimezone(UTC) == appointment.start_at
    assert vevent.dtend.value.astimezone(UTC) == appointment.end_at


# The secret URL ------------------------------------------------------------------------------

def test_revoking_stops_the_url_and_a_new_one_works(app, client, desk):
    book(desk, at(MONDAY, "10:00"))
    practitioner = desk[0]
    first = enable(desk)
    assert len(first) >= 43 and first == feeds.feed_token(db.session, practitioner.id)
    assert client.get(f"/feeds/{first}.ics").status_code == 200

    second = feeds.enable_feed(db.session, SYSTEM, practitioner.id, now=NOW)  # replaces
    assert second != first
    assert client.get(f"/feeds/{first}.ics").status_code == 404
    assert client.get(f"/feeds/{second}.ics").status_code == 200

    assert feeds.revoke_feed(db.session, SYSTEM, practitioner.id, now=NOW) == second
    assert client.get(f"/feeds/{second}.ics").status_code == 404
    assert feeds.revoke_feed(db.session, SYSTEM, practitioner.id, now=NOW) is None
    assert feeds.calendar_for(db.session, second, now=NOW) is None

    third = enable(desk)
    assert client.get(f"/feeds/{third}.ics").status_code == 200
    for bad in ("nope", "a" * 43, "", "../../etc/passwd"):
        assert client.get(f"/feeds/{bad}.ics").status_code == 404


def test_an_inactive_practitioners_feed_stops(client, desk, users):
    token = enable(desk)
    users["practitioner"].active = False
    db.session.commit()
    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_enabling_and_revoking_are_audited_without_the_secret(desk):
    from sqlalchemy import select

    from practice.audit.models import AuditEvent

    token = enable(desk)
    feeds.revoke_feed(db.session, SYSTEM, desk[0].id, now=NOW)
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("feed.%"))
                               .order_by(AuditEvent.id)).all()
    assert [e.action for e in trail] == ["feed.enable", "feed.revoke"]
    assert all(token not in str(e.detail) for e in trail)


def test_the_feed_takes_a_fixed_number_of_queries(client, desk, make_client, count_queries):
    token = enable(desk)
    few = many = None
    fetch(client, token)  # the app's first request checks once whether set-up is done

    def book_many(count, offset):
        for n in range(count):
            day = MONDAY + timedelta(days=offset + n // 6)
            start = ["09:00", "10:15", "11:30", "14:00", "15:15", "16:30"][n % 6]
            book(desk, at(day, start), client=make_client(f"Client {offset + n}"))
        db.session.expire_all()

    def measure():
        with count_queries() as service_statements:
            content = feeds.calendar_for(db.session, token, now=NOW)
        db.session.rollback()
        with count_queries() as request_statements:
            fetch(client, token)
        nonlocal few, many
        few, many = many, request_statements
        return content, len(service_statements), len(request_statements)

    book_many(5, 0)
    content, few_service, few_request = measure()
    assert len(events(content)) == 5
    book_many(45, 10)
    content, many_service, many_request = measure()
    assert len(events(content)) == 50
    assert (many_service, many_request) == (few_service, few_request), (few, many)
    assert few_service == 2


# One appointment as a file for the client ----------------------------------------------------

def test_one_appointment_as_a_file_for_the_client(client, desk, users, login):
    appointment = book(desk, at(MONDAY, "10:00"), notes="private note")
    login(users["front_desk"])
    response = client.get(f"/appointments/{appointment.uuid}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == 'attachment; filename="appointment-2026-11-30.ics"'
    content = response.get_data()
    calendar, vcalendar = parse(content)
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0" and "PRODID" in calendar
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{SERVICE} with Priya Practitioner at Harbour Street Massage"
    assert str(event["LOCATION"]) == "12 Harbour Street, Bristol"
    assert "0117 496 0000" in str(event["DESCRIPTION"])
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTSTART"].dt == appointment.start_at and event["DTEND"].dt == appointment.end_at
    assert event["STATUS"] == "CONFIRMED" and str(event["UID"]).startswith(appointment.uuid)
    (vevent,) = vcalendar.contents["vevent"]
    assert vevent.dtstart.value.astimezone(UTC) == appointment.start_at
    assert vevent.location.value == "12 Harbour Street, Bristol"
    assert "private note" not in content.decode()
    assert client.get(f"/appointments/{uuid.uuid4()}.ics").status_code == 404
    assert client.get("/appointments/not-a-uuid.ics").status_code == 404


def test_the_appointment_file_needs_a_signed_in_user(client, desk):
    appointment = book(desk, at(MONDAY, "10:00"))
    response = client.get(f"/appointments/{appointment.uuid}.ics")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# Managing the feed from a page ---------------------------------------------------------------

def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def test_a_practitioner_turns_on_their_own_feed_and_sees_the_url(client, desk, users, login):
    practitioner = desk[0]
    login(users["practitioner"])
    response = client.post(f"/feeds/enable/{practitioner.id}",
                           headers={"Referer": "http://localhost/settings/"})
    assert response.status_code == 302 and response.headers["Location"] == "http://localhost/settings/"
    db.session.expire_all()
    token = db.session.get(PractitionerSchedule, practitioner.id).feed_token
    assert token and any(f"http://localhost/feeds/{token}.ics" in m for m in flashes(client))
    assert client.get(f"/feeds/{token}.ics").status_code == 200

    response = client.post(f"/feeds/revoke/{practitioner.id}",
                           headers={"Referer": "https://elsewhere.example/phish"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert any("revoked" in m and token in m for m in flashes(client))
    db.session.expire_all()
    assert db.session.get(PractitionerSchedule, practitioner.id).feed_token is None
    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_only_their_own_feed_for_a_practitioner_any_for_an_admin(client, desk, users, login):
    own = desk[0]
    admins = users["admin"].practitioner  # the first admin sees clients too
    login(users["practitioner"])
    for action in ("enable", "revoke"):
        assert client.post(f"/feeds/{action}/{admins.id}").status_code == 403
    assert feeds.feed_token(db.session, admins.id) is None
    assert client.post("/feeds/enable/999999").status_code == 404

    assert can(users["practitioner"], "feeds.manage", own)
    assert not can(users["practitioner"], "feeds.manage", admins)
    assert can(users["admin"], "feeds.manage", own) and can(users["admin"], "feeds.manage", admins)
    assert not can(users["front_desk"], "feeds.manage")
    assert not can(users["front_desk"], "feeds.manage", own)

    client.post("/logout")
    login(users["admin"])
    assert client.post(f"/feeds/enable/{own.id}").status_code == 302
    assert feeds.feed_token(db.session, own.id)
    client.post("/logout")
    login(users["front_desk"])
    assert client.post(f"/feeds/revoke/{own.id}").status_code == 403


# The VTIMEZONE ------------------------------------------------------------------------------

@pytest.mark.parametrize("tzid", ["Europe/London", "America/New_York", "Australia/Sydney",
                                  "Australia/Lord_Howe", "Africa/Casablanca", "Asia/Kolkata"])
def test_every_change_in_the_vtimezone_is_the_zones_real_change(tzid):
    """RFC 5545: an observance starts at its DTSTART read in its TZOFFSETFROM; each must be an
    instant where the zone really changes from that offset to its TZOFFSETTO, every year."""
    zone = ZoneInfo(tzid)
    vtimezone = feeds._vtimezone(tzid, date(2025, 1, 1), date(2029, 1, 1))
    parsed = icalendar.Calendar.from_ical(vtimezone.to_ical()).walk("VTIMEZONE")[0]
    observances = parsed.walk("STANDARD") + parsed.walk("DAYLIGHT")
    changes = set()
    for observance in observances:
        before, after = observance.TZOFFSETFROM, observance.TZOFFSETTO
        if before == after:
            continue  # what is in force at the start of the range, not a change
        onsets = [observance.DTSTART]
        if "RRULE" in observance:
            from dateutil.rrule import rrulestr

            rule = observance["RRULE"].to_ical().decode()
            onsets = list(rrulestr(rule, dtstart=observance.DTSTART).between(
                datetime(2025, 1, 1), datetime(2029, 1, 1), inc=True))
        for onset in onsets:
            instant = (onset - before).replace(tzinfo=UTC)
            assert (instant - timedelta(seconds=1)).astimezone(zone).utcoffset() == before, onset
            assert instant.astimezone(zone).utcoffset() == after, onset
            changes.add(instant)
    # ... and none is missing: every change the zone makes in the range is there.
    moment, offsets = datetime(2025, 1, 2, tzinfo=UTC), 0
    while moment < datetime(2028, 12, 31, tzinfo=UTC):
        if (moment + timedelta(hours=1)).astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
            offsets += 1
        moment += timedelta(hours=1)
    assert len(changes) == offsets
    assert {"Europe/London": 8, "America/New_York": 8, "Australia/Sydney": 8,
            "Australia/Lord_Howe": 8, "Africa/Casablanca": 8, "Asia/Kolkata": 0}[tzid] == offsets


@pytest.mark.parametrize("tzid", ["Europe/London", "America/New_York"])
def test_both_parsers_read_the_vtimezone_as_the_zone_itself(tzid):
    """vobject and icalendar build a zone from the VTIMEZONE alone (not from its name): it
    agrees with the zone every six hours of the years a feed can cover, and every quarter-hour
    around each change."""
    zone = ZoneInfo(tzid)
    calendar = feeds._calendar(tzid, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    content = calendar.to_ical()
    from_vobject = vobject.readOne(content.decode()).vtimezone.gettzinfo()
    from_icalendar = icalendar.Calendar.from_ical(content).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    moments, moment = [], datetime(2026, 1, 1, tzinfo=UTC)
    while moment < datetime(2027, 12, 31, tzinfo=UTC):
        moments.append(moment)
        if (moment + timedelta(hours=6)).astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
            moments += [moment + timedelta(minutes=15 * n) for n in range(1, 24)]
        moment += timedelta(hours=6)
    assert len(moments) == 729 * 4 + 4 * 23  # two years, four changes looked at closely
    for moment in moments:
        expected = moment.astimezone(zone).utcoffset()
        assert moment.astimezone(from_vobject).utcoffset() == expected, moment
        assert moment.astimezone(from_icalendar).utcoffset() == expected, moment
