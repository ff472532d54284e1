import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from practice.audit.models import AuditEvent
from practice.auth import services as auth_services
from practice.auth.models import Practitioner, Role, User
from practice.cli import BACKUP_FORMATS
from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD, SERVICES
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment, Service, Status, WorkingHours
from tests.conftest import NOW, make_app

LONDON = ZoneInfo("Europe/London")

LOGIN_ROW = re.compile(r"^(?P<role>.+?)\s{2,}.+?\s{2,}(?P<email>\S+@\S+)\s{2,}(?P<password>\S+)$")


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def client_names() -> list[str]:
    return list(db.session.scalars(select(Client.display_name).order_by(Client.display_name)))


def printed_logins(output: str) -> list[dict]:
    return [match.groupdict() for line in output.splitlines() if (match := LOGIN_ROW.match(line))]


def appointments(*conditions) -> list[Appointment]:
    return list(db.session.scalars(select(Appointment).where(*conditions).order_by(Appointment.start_at)))


def paid(appointment: Appointment) -> int:
    return scheduling.amount_paid(db.session, appointment)


def local_day(appointment: Appointment):
    return appointment.start_at.astimezone(LONDON).date()


@pytest.fixture(scope="module")
def demo_app(databases, tmp_path_factory):
    """One demo practice, made by `practice demo` at NOW, for the tests that only look at it
    (making it takes seconds: every appointment goes through the services)."""
    folder = tmp_path_factory.mktemp("demo")
    url = databases.fresh(folder)
    app = make_app(url, folder / "instance")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture
def demo(demo_app):
    """The shared demo's app context for one test."""
    with demo_app.app_context():
        yield demo_app
        db.session.remove()


# demo ---------------------------------------------------------------------------------

def test_demo_fills_an_empty_database(runner):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert "45 clients, 6 services and" in result.output
    assert count(Client) >= 40
    assert count(Client, Client.archived_at.is_not(None)) >= 1
    assert count(Practitioner) == 3
    assert count(User, User.role == Role.FRONT_DESK) == 1
    practitioners_with_clients = db.session.scalars(
        select(Client.primary_practitioner_id).distinct().where(
            Client.primary_practitioner_id.is_not(None)
        )
    ).all()
    assert len(practitioners_with_clients) == 3


def test_demo_sets_up_services_weekly_hours_and_the_policy(demo):
    assert count(Service, Service.active) == len(SERVICES) >= 4
    weekdays = {}
    for practitioner_id, weekday in db.session.execute(
            select(WorkingHours.practitioner_id, WorkingHours.weekday)):
        weekdays.setdefault(practitioner_id, set()).add(weekday)
    assert len(weekdays) == 3
    assert len({frozenset(days) for days in weekdays.values()}) == 3  # each their own week
    assert all(6 not in days for days in weekdays.values())  # nobody works on Sundays
    policy = scheduling.get_policy(db.session)
    assert (policy.late_grace_minutes, policy.cancellation_window_hours) == (10, 24)
    assert (policy.late_cancel_fee_percent, policy.no_show_fee_percent) == (50, 100)


def test_demo_has_three_weeks_of_history_with_every_kind_of_outcome(demo):
    past = appointments(Appointment.start_at < NOW)
    status = Counter(a.status for a in past)

    assert local_day(past[0]) == NOW.date() - timedelta(weeks=3)
    assert status[Status.COMPLETED] >= 0.8 * len(past)  # most came and paid in full
    paid_in_full = [paid(a) == a.price_cents for a in past if a.status == Status.COMPLETED]
    assert sum(paid_in_full) >= 0.9 * len(paid_in_full)
    # Late arrivals, inside the grace period and well beyond it, with their minutes.
    assert any(0 < (a.late_minutes or 0) <= 10 for a in past)
    assert sum((a.late_minutes or 0) > 10 for a in past) >= 5
    # The repeat late-comer: three late arrivals, then paying only for the time he had.
    tariq = [a for a in past if a.client.display_name == "Tariq Mahmood"]
    assert [a.late_minutes for a in tariq] == [20, 30, 30]
    assert [paid(a) for a in tariq] == [7000, 3500, 3500]
    assert scheduling.client_balance(db.session, tariq[0].client_id) == 7000
    # No-shows: one fee owed, one waived with its reason.
    no_shows = [a for a in past if a.status == Status.NO_SHOW]
    assert [a.fee_cents == a.price_cents for a in no_shows] == [True, True]
    assert [(a.fee_waived, bool(a.fee_waiver_reason)) for a in no_shows] == [(False, False), (True, True)]
    assert paid(no_shows[0]) == 0
    # Cancellations: well ahead without a fee; late with half the price, one paid, one not.
    early = [a for a in past if a.status == Status.CANCELLED]
    late = [a for a in past if a.status == Status.LATE_CANCELLED]
    assert len(early) == 2 and all(a.fee_cents == 0 and a.cancel_reason for a in early)
    assert all(a.start_at - a.cancelled_at > timedelta(hours=24) for a in early)
    assert [a.fee_cents * 2 == a.price_cents for a in late] == [True, True]
    assert sorted(paid(a) / a.fee_cents for a in late) == [0, 1]
    # This morning is under way: the first client of the day is in, not yet paid.
    assert Status.ARRIVED in {a.status for a in past if local_day(a) == NOW.date()}


def test_demo_history_went_through_the_services_in_order(demo):
    everything = appointments()
    events = Counter(db.session.scalars(select(AuditEvent.action)))

    assert all(a.created_at < a.start_at for a in everything)  # booked ahead, never in the past
    assert events["appointment.book"] == len(everything)
    assert events["appointment.check_in"] == sum(a.arrived_at is not None for a in everything)
    assert events["appointment.no_show"] == 2 and events["appointment.waive_fee"] == 1
    assert events["appointment.cancel"] == 4
    assert db.session.scalar(select(func.max(AuditEvent.at))) <= NOW
    assert db.session.scalar(select(func.min(Client.created_at))) < everything[0].created_at


def test_demo_books_the_coming_week(demo):
    coming = appointments(Appointment.start_at >= NOW)

    assert coming and all(a.status == Status.BOOKED for a in coming)
    assert local_day(coming[-1]) <= NOW.date() + timedelta(days=6)
    assert len(coming) >= 30
    assert local_day(coming[0]) == NOW.date()  # the rest of today
    assert len({local_day(a) for a in coming}) == 6  # every day but Sunday
    assert len({a.practitioner_id for a in coming}) == 3
    # Fairly full, not full: each practitioner still has free starts this week.
    for practitioner_id in {a.practitioner_id for a in coming}:
        free = [scheduling.free_slots(db.session, practitioner_id, coming[0].service_id,
                                      NOW.date() + timedelta(days=offset), now=NOW) for offset in range(7)]
        assert any(free)


def test_demo_prints_logins_that_work(runner, app):
    output = runner.invoke(args=["demo"]).output

    logins = printed_logins(output)
    assert {login["role"] for login in logins} == {"Admin", "Practitioner", "Front desk"}
    assert len(logins) == 5
    for login in logins:
        assert login["password"] == DEMO_PASSWORD
        user = auth_services.authenticate(
            db.session, login["email"], login["password"], address="127.0.0.1", now=NOW,
            limits=app.extensions["practice"].login_limits,
        )
        assert user.active


def test_demo_admin_can_sign_in_on_the_web(demo):
    response = demo.test_client().post(
        "/login", data={"email": "admin@demo.practice", "password": DEMO_PASSWORD}
    )

    assert response.status_code == 302


def test_demo_today_page_for_the_front_desk(demo):
    client = demo.test_client()
    client.post("/login", data={"email": "frontdesk@demo.practice", "password": DEMO_PASSWORD})

    response = client.get("/today")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Monday 23 November 2026" in page
    for name in ("Amara Okafor", "Tomasz Nowak", "Mei Lin"):
        assert name in page
    hannah = next(a for a in appointments() if local_day(a) == NOW.date()
                  and a.client.display_name == "Hannah Price")
    row = re.search(rf'<tr data-appointment="{hannah.id}">.*?</tr>', page, re.S).group(0)
    assert "Arrived" in row and "£70.00" in row and "Take payment" in row
    assert page.count(">Check in</button>") == sum(
        a.status == Status.BOOKED for a in appointments() if local_day(a) == NOW.date())
    assert "Completed" in page and "paid" in page


def test_demo_refuses_a_database_that_has_accounts(runner, practice):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 1
    assert "already has accounts" in result.output
    assert "Traceback" not in result.output
    assert count(Client) == 0


# create-user --------------------------------------------------------------------------

def test_create_user_gives_a_practitioner_a_profile(runner):
    result = runner.invoke(args=[
        "create-user", "sam@harbour.example", "--role", "practitioner", "--name", "Sam Reyes",
        "--credentials", "Dip. Sports Massage", "--password", "long enough password",
    ])

    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "sam@harbour.example"))
    assert user.practitioner.display_name == "Sam Reyes"
    assert user.practitioner.credentials == "Dip. Sports Massage"


def test_create_user_prompts_for_the_password(runner, app):
    result = runner.invoke(
        args=["create-user", "desk@harbour.example", "--role", "front_desk"],
        input="long enough password\nlong enough password\n",
    )

    assert result.exit_code == 0, result.output
    user = auth_services.authenticate(
        db.session, "desk@harbour.example", "long enough password", address="127.0.0.1",
        now=NOW, limits=app.extensions["practice"].login_limits,
    )
    assert user.role == Role.FRONT_DESK and user.practitioner is None


def test_create_user_refuses_a_duplicate_email(runner, practice):
    result = runner.invoke(args=[
        "create-user", "ADMIN@harbour.example", "--role", "admin",
        "--password", "long enough password",
    ])

    assert result.exit_code == 1
    assert "already exists" in result.output
    assert count(User) == 1


def test_create_user_refuses_a_short_password(runner):
    result = runner.invoke(args=[
        "create-user", "sam@harbour.example", "--role", "admin", "--password", "short",
    ])

    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert count(User) == 0


# backup and restore -------------------------------------------------------------------

def backup_kind():
    return BACKUP_FORMATS[db.engine.url.get_backend_name()]


def written_path(output: str) -> Path:
    return Path(output.strip().rsplit(" ", 1)[1])


def test_backup_then_restore_brings_back_the_data(runner, app, make_client):
    make_client("Before the backup")

    backed_up = runner.invoke(args=["backup"])
    assert backed_up.exit_code == 0, backed_up.output
    backup = written_path(backed_up.output)
    assert backup.parent == Path(app.instance_path) / "backups"
    assert backup.suffix == backup_kind().suffix
    assert backup.read_bytes().startswith(backup_kind().header)

    make_client("After the backup")
    restored = runner.invoke(args=["restore", str(backup), "--yes"])

    assert restored.exit_code == 0, restored.output
    assert client_names() == ["Before the backup"]


def test_backup_writes_to_the_chosen_file_and_never_overwrites(runner, practice, tmp_path):
    target = tmp_path / "nightly.backup"

    first = runner.invoke(args=["backup", "--output", str(target)])
    second = runner.invoke(args=["backup", "--output", str(target)])

    assert first.exit_code == 0, first.output
    assert target.read_bytes().startswith(backup_kind().header)
    assert second.exit_code == 1
    assert "already exists" in second.output


def test_restore_asks_before_replacing_the_data(runner, make_client, tmp_path):
    backup = tmp_path / "empty.backup"
    runner.invoke(args=["backup", "--output", str(backup)])
    make_client("Kept")

    result = runner.invoke(args=["restore", str(backup)], input="n\n")

    assert result.exit_code == 1
    assert "replaces all current data" in result.output
    assert client_names() == ["Kept"]


def test_restore_refuses_a_file_that_is_not_a_backup(runner, make_client, tmp_path):
    make_client("Kept")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database")

    result = runner.invoke(args=["restore", str(notes), "--yes"])

    assert result.exit_code == 1
    assert "not a practice backup" in result.output
    assert client_names() == ["Kept"]


def test_restore_refuses_a_backup_of_the_other_database_kind(runner, practice, tmp_path):
    other = next(kind for kind in BACKUP_FORMATS.values() if kind is not backup_kind())
    backup = tmp_path / f"other{other.suffix}"
    backup.write_bytes(other.header + b"\0" * 100)

    result = runner.invoke(args=["restore", str(backup), "--yes"])

    assert result.exit_code == 1
    assert f"is a {other.label} backup" in result.output


def test_restore_refuses_a_missing_file(runner, practice, tmp_path):
    result = runner.invoke(args=["restore", str(tmp_path / "missing.sqlite"), "--yes"])

    assert result.exit_code == 1
    assert "does not exist" in result.output
