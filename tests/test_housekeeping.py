"""The daily housekeeping job deletes what was kept only for a while, and nothing else."""

from datetime import timedelta

import sqlalchemy as sa

from practice.auth.models import LoginAttempt, UserSession
from practice.booking.models import BookingHold, PublicRequest
from practice.db import db
from practice.housekeeping import HOUSEKEEPING, tidy_up
from practice.jobs.models import Job, JobFile, JobUpload
from practice.jobs.worker import Worker
from tests.conftest import NOW, one_action
from tests.test_imports import checked, clients_csv, imported
from tests.test_online_booking import hold_directly, open_online_booking
from tests.test_scheduling import MONDAY, at, book

DAY = timedelta(days=1)


def rows(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_sign_in_attempts_requests_and_ended_sessions_go_once_past_their_use(practice):
    admin = practice
    db.session.add_all([
        LoginAttempt(email="a@example.org", address="203.0.113.1", at=NOW - 2 * DAY),
        LoginAttempt(email="a@example.org", address="203.0.113.1", at=NOW - timedelta(minutes=5)),
        PublicRequest(kind="hold", email="b@example.org", address="203.0.113.2", at=NOW - 2 * DAY),
        PublicRequest(kind="hold", email="b@example.org", address="203.0.113.2", at=NOW - timedelta(minutes=5)),
        UserSession(user_id=admin.id, token_hash="1" * 64, started_at=NOW - 200 * DAY, ended_at=NOW - 100 * DAY),
        UserSession(user_id=admin.id, token_hash="2" * 64, started_at=NOW - 200 * DAY, ended_at=NOW - DAY),
        UserSession(user_id=admin.id, token_hash="3" * 64, started_at=NOW - 200 * DAY),  # still open
    ])
    db.session.commit()
    with one_action():
        deleted = tidy_up(db.session, now=NOW)
    assert deleted["sign-in attempts"] == deleted["online booking requests"] == deleted["ended sessions"] == 1
    assert rows(LoginAttempt) == rows(PublicRequest) == 1
    assert {s.token_hash[0] for s in db.session.scalars(sa.select(UserSession))} == {"2", "3"}


def test_holds_that_never_became_a_booking_go_a_week_after_and_booked_ones_stay(app, desk):
    practitioner, service, client = desk
    open_online_booking(practitioner, service)
    expired_long_ago = hold_directly(desk, "old@example.org", address="203.0.113.10", start=at(MONDAY, "10:00"), now=NOW - 10 * DAY)
    expired_lately = hold_directly(desk, "new@example.org", address="203.0.113.11", start=at(MONDAY, "12:00"), now=NOW - 2 * DAY)
    refused = hold_directly(desk, "no@example.org", address="203.0.113.12", start=at(MONDAY, "14:00"), now=NOW - 10 * DAY)
    booked = hold_directly(desk, "yes@example.org", address="203.0.113.13", start=at(MONDAY, "16:00"), now=NOW - 10 * DAY)
    appointment = book(desk, at(MONDAY + DAY, "10:00"))
    db.session.execute(sa.update(BookingHold).where(BookingHold.id == refused).values(released_at=NOW - 9 * DAY))
    db.session.execute(sa.update(BookingHold).where(BookingHold.id == booked).values(
        confirmed_at=NOW - 9 * DAY, appointment_id=appointment.id))
    db.session.commit()
    with one_action():
        assert tidy_up(db.session, now=NOW)["holds never booked"] == 2
    kept = set(db.session.scalars(sa.select(BookingHold.id)))
    assert kept == {expired_lately, booked}, (expired_long_ago, refused)


def test_an_upload_nobody_imported_goes_after_a_week_with_its_report(client, users, login):
    login(users["admin"])
    abandoned, _ = checked(client, "/clients/import", clients_csv(3))
    done, _ = checked(client, "/clients/import", clients_csv(4))
    imported(client, done)
    recent, _ = checked(client, "/clients/import", clients_csv(5))
    db.session.execute(sa.update(JobUpload).where(JobUpload.job_id.in_([abandoned, done])).values(
        created_at=NOW - 8 * DAY))
    db.session.commit()
    with one_action():
        assert tidy_up(db.session, now=NOW)["uploads never imported"] == 1
    assert set(db.session.scalars(sa.select(JobUpload.job_id))) == {recent}
    assert rows(JobFile, JobFile.job_id == abandoned) == 0
    assert rows(JobFile, JobFile.job_id == done) == 1  # the report of what was imported stays
    page = client.get(f"/imports/{abandoned}").get_data(as_text=True)
    assert "no longer kept" in page and "Import 3 clients" not in page
    response = client.post(f"/imports/{abandoned}/import", follow_redirects=True)
    assert "no longer kept" in response.get_data(as_text=True)
    assert rows(Job, Job.kind == "imports.run") == 1


def test_the_worker_runs_it_once_a_day_when_it_is_on(app):
    def runs() -> int:
        return rows(Job, Job.kind == HOUSEKEEPING.name)

    assert Worker(app).run(burst=True) == 0 and runs() == 0  # off in the tests' apps
    app.config["PRACTICE_HOUSEKEEPING_DAILY"] = True
    assert Worker(app).run(burst=True) == 1
    assert Worker(app).run(burst=True) == 0  # the same day
    app.extensions["practice"].clock.advance(days=1)
    assert Worker(app).run(burst=True) == 1 and runs() == 1
