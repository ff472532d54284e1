"""The admin's scheduling settings: calendar feeds, services, practitioners' hours (the
attendance policy is versioned on /settings/policy: tests/test_policies.py)."""

from datetime import time

import pytest
import sqlalchemy as sa

from practice.db import db
from practice.scheduling import services as scheduling_services
from practice.scheduling.models import SchedulingPolicy, Service, WorkingHours


def test_calendar_feeds_show_names_only_when_the_practice_opts_in(client, users, login):
    login(users["admin"])
    page = client.get("/settings/scheduling/").get_data(as_text=True)
    assert 'href="/settings/policy"' in page  # the attendance policy moved there
    assert client.post("/settings/scheduling/", data={"calendar-save": "1", "calendar-feed_shows_names": "y"}).status_code == 302
    assert db.session.scalar(sa.select(SchedulingPolicy.feed_shows_names)) is True
    assert client.post("/settings/scheduling/", data={"calendar-save": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(SchedulingPolicy.feed_shows_names)) is False


def test_services_are_added_with_prices_in_cents(client, users, login):
    login(users["admin"])
    client.post("/settings/scheduling/", data={"service-name": "Sports massage", "service-duration_minutes": "45",
                                               "service-price": "52.50", "service-buffer_after_minutes": "10"})
    service = db.session.scalar(sa.select(Service))
    assert (service.name, service.price_cents, service.buffer_after_minutes) == ("Sports massage", 5250, 10)
    bad = client.post("/settings/scheduling/", data={"service-name": "X", "service-duration_minutes": "45",
                                                     "service-price": "lots"})
    assert "Write the amount as a number" in bad.get_data(as_text=True)
    assert 'value="X"' in bad.get_data(as_text=True)


def test_hours_are_time_fields_per_weekday_with_several_ranges(client, users, login):
    login(users["admin"])
    practitioner = users["practitioner"].practitioner
    url = f"/settings/scheduling/practitioners/{practitioner.id}"
    response = client.post(url, data={"day0-start": ["09:00", "14:00"], "day0-end": ["13:00", "18:00"],
                                      "day2-start": ["10:00", ""], "day2-end": ["16:00", ""],
                                      "buffer_minutes": "15", "max_sessions_per_day": "6",
                                      "min_notice_hours": "12"})
    assert response.status_code == 302
    rows = db.session.execute(sa.select(WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends)
                              .order_by(WorkingHours.weekday, WorkingHours.starts)).all()
    assert rows == [(0, time(9), time(13)), (0, time(14), time(18)), (2, time(10), time(16))]
    page = client.get(url).get_data(as_text=True)
    assert 'id="day0-1-start" name="day0-start" value="14:00"' in page
    assert 'id="day1-0-start" name="day1-start" value=""' in page  # a day off: one empty range


def test_every_bad_range_is_flagged_and_nothing_is_saved(client, users, login):
    login(users["admin"])
    url = f"/settings/scheduling/practitioners/{users['practitioner'].practitioner.id}"
    bad = client.post(url, data={"day0-start": ["09:00", "11:00"], "day0-end": ["12:00", "14:00"],
                                 "day1-start": "9 till 5", "day1-end": "17:00",
                                 "day3-start": "18:00", "day3-end": "09:00", "day4-start": "09:00", "day4-end": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "4 ranges need correcting" in html
    assert 'id="day0-1-error">Overlaps 09:00-12:00 on the same day.' in html
    assert 'id="day1-0-error">Give a start and an end' in html and 'value="9 till 5"' in html
    assert 'id="day3-0-error">The end must be after the start.' in html
    assert 'id="day4-0-error">' in html and 'id="day0-0-error"' not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkingHours)) == 0


def test_a_range_is_added_and_removed_without_saving(client, users, login):
    login(users["admin"])
    url = f"/settings/scheduling/practitioners/{users['practitioner'].practitioner.id}"
    typed = {"day0-start": "09:00", "day0-end": "13:00"}
    added = client.post(url, data={**typed, "add": "0"}).get_data(as_text=True)
    assert 'id="day0-1-start" name="day0-start" value=""' in added and "Not saved yet" in added
    removed = client.post(url, data={"day0-start": ["09:00", "14:00"], "day0-end": ["13:00", "18:00"],
                                     "remove": "0-0"}).get_data(as_text=True)
    assert 'id="day0-0-start" name="day0-start" value="14:00"' in removed and 'id="day0-1-start"' not in removed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkingHours)) == 0


def test_only_admins_change_scheduling_settings(client, users, login):
    login(users["front_desk"])
    assert client.get("/settings/scheduling/").status_code == 403


def test_hours_page_creates_and_revokes_the_calendar_subscription(client, users, login):
    login(users["admin"])
    practitioner = users["practitioner"].practitioner
    url = f"/settings/scheduling/practitioners/{practitioner.id}"
    assert "Create a subscription address" in client.get(url).get_data(as_text=True)
    client.post(f"/feeds/enable/{practitioner.id}", headers={"Referer": f"http://localhost{url}"})
    page = client.get(url).get_data(as_text=True)
    feed = page.split('aria-label="Calendar subscription address"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert client.get(feed.removeprefix("http://localhost")).status_code == 200
    client.post(f"/feeds/revoke/{practitioner.id}")
    assert client.get(feed.removeprefix("http://localhost")).status_code == 404


def test_a_personal_calendar_upload_blocks_its_busy_times(client, users, login):
    import io

    from practice.scheduling.models import TimeBlock

    login(users["admin"])
    practitioner = users["practitioner"].practitioner
    ics = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:dentist-1\r\n"
           b"DTSTAMP:20261101T000000Z\r\nDTSTART:20261201T150000Z\r\nDTEND:20261201T160000Z\r\n"
           b"SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    url = f"/settings/scheduling/practitioners/{practitioner.id}/calendar"
    response = client.post(url, data={"ics-file": (io.BytesIO(ics), "me.ics")}, follow_redirects=True)
    assert "1 busy times added" in response.get_data(as_text=True)
    block = db.session.scalar(sa.select(TimeBlock))
    assert block.reason == "Busy (personal calendar)" and "Dentist" not in block.reason
    bad = client.post(url, data={"ics-file": (io.BytesIO(b"name,phone\n"), "x.ics")})
    assert 'id="ics-file-error"' in bad.get_data(as_text=True)
    assert "not an iCalendar" in bad.get_data(as_text=True)


def test_time_off_is_blocked_listed_and_given_back(client, users, login):
    from practice.scheduling.models import TimeBlock

    login(users["admin"])
    practitioner = users["practitioner"].practitioner
    url = f"/settings/scheduling/practitioners/{practitioner.id}"
    bad = client.post(f"{url}/time-off", data={"off-start_day": "2026-12-01", "off-start_time": "15:00",
                                               "off-end_day": "2026-12-01", "off-end_time": "14:00"})
    assert bad.status_code == 422 and 'id="off-end_day-error"' in bad.get_data(as_text=True)
    client.post(f"{url}/time-off", data={"off-start_day": "2026-12-01", "off-start_time": "14:00",
                                         "off-end_day": "2026-12-01", "off-end_time": "16:00",
                                         "off-reason": "Course"})
    assert "1 Dec 2026 14:00" in client.get(url).get_data(as_text=True)
    block = db.session.scalar(sa.select(TimeBlock))
    client.post(f"/settings/scheduling/time-off/{block.id}/remove")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TimeBlock)) == 0


def test_the_service_form_chooses_the_specialties_it_covers(client, users, login, desk):
    from referrals.models import Modality

    _practitioner, service, _client = desk
    by_name = {m.name: m.id for m in db.session.scalars(sa.select(Modality))}
    login(users["admin"])
    url = f"/settings/scheduling/services/{service.id}"
    assert "Specialties it covers" in client.get(url).get_data(as_text=True)
    typed = {"service-name": "Remedial massage", "service-duration_minutes": "60", "service-price": "72.50",
             "service-buffer_after_minutes": "10",
             "service-specialty_ids": [str(by_name["Deep tissue"]), str(by_name["Trigger point therapy"])]}
    assert client.post(url, data=typed).status_code == 302
    assert scheduling_services.specialties_of(db.session, [service.id]) == {
        service.id: sorted([by_name["Deep tissue"], by_name["Trigger point therapy"]])}
    db.session.expire_all()
    assert (service.name, service.price_cents, service.buffer_after_minutes) == ("Remedial massage", 7250, 10)
    page = client.get("/settings/scheduling/").get_data(as_text=True)
    assert "Deep tissue, Trigger point therapy" in page
    # A specialty not in the list is refused next to the field; what was typed stays.
    response = client.post(url, data={**typed, "service-name": "Kept name", "service-specialty_ids": ["99999"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "is not a valid choice for this field" in page
    assert 'value="Kept name"' in page
    added = {"service-name": "Pregnancy massage", "service-duration_minutes": "60", "service-price": "75",
             "service-specialty_ids": [str(by_name["Prenatal massage"])]}
    assert client.post("/settings/scheduling/", data=added).status_code == 302
    made = db.session.scalar(sa.select(Service).where(Service.name == "Pregnancy massage"))
    assert scheduling_services.specialties_of(db.session, [made.id]) == {made.id: [by_name["Prenatal massage"]]}


def test_saving_a_service_keeps_a_specialty_retired_since(client, users, login, desk):
    from practice.audit.services import SYSTEM
    from referrals import services as referral_services
    from referrals.models import Modality
    from tests.conftest import NOW

    _practitioner, service, _client = desk
    lymphatic = db.session.scalar(sa.select(Modality).where(Modality.name == "Lymphatic drainage"))
    scheduling_services.update_service(db.session, SYSTEM, service, name=service.name, duration_minutes=60,
                                       price_cents=6000, specialty_ids=[lymphatic.id], now=NOW)
    referral_services.set_modality_retired(db.session, SYSTEM, lymphatic, True, now=NOW)
    db.session.commit()
    login(users["admin"])
    url = f"/settings/scheduling/services/{service.id}"
    assert "Lymphatic drainage" in client.get(url).get_data(as_text=True)
    renamed = {"service-name": "Remedial massage", "service-duration_minutes": "60", "service-price": "60",
               "service-specialty_ids": [str(lymphatic.id)]}
    assert client.post(url, data=renamed).status_code == 302
    assert scheduling_services.specialties_of(db.session, [service.id]) == {service.id: [lymphatic.id]}


def test_a_service_covers_only_specialties_the_network_has(users, desk):
    from practice.audit.services import SYSTEM
    from practice.errors import DomainError
    from tests.conftest import NOW

    _practitioner, service, _client = desk
    with pytest.raises(DomainError, match="Choose the specialties from the list"):
        scheduling_services.update_service(db.session, SYSTEM, service, name=service.name, duration_minutes=60,
                                           price_cents=6000, specialty_ids=[99999], now=NOW)


def test_the_migration_gives_a_service_the_specialty_named_like_it(users):
    """Services that existed before specialties could be chosen: one named exactly like a
    specialty covers it; the others cover nothing until the practice chooses."""
    from alembic.script import ScriptDirectory
    from flask import current_app
    from flask_migrate import downgrade, upgrade

    from practice.audit.services import SYSTEM
    from referrals.models import Modality
    from tests.conftest import NOW

    sports = scheduling_services.create_service(db.session, SYSTEM, name="Sports Massage ", duration_minutes=45,
                                                price_cents=5500, now=NOW)
    holistic = scheduling_services.create_service(db.session, SYSTEM, name="Holistic massage", duration_minutes=60,
                                                  price_cents=6500, now=NOW)
    db.session.commit()
    ids = [sports.id, holistic.id]
    db.session.remove()
    before = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()) \
        .get_revision("0028").down_revision
    downgrade(revision=before)
    upgrade(revision="heads")
    sports_massage = db.session.scalar(sa.select(Modality.id).where(Modality.name == "Sports massage"))
    assert scheduling_services.specialties_of(db.session, ids) == {ids[0]: [sports_massage]}
