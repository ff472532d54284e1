import hashlib
import html
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
from practice.backups import BACKUP_FORMATS
from practice.clients.models import Client, StandingChange
from practice.conduct import escalation
from practice.conduct.models import Communication
from practice.db import db
from practice.demo import DEMO_PASSWORD, SERVICES
from practice.letters.models import Letter
from practice.policies.queries import acknowledgement_status, current_policy
from practice.reports import summary
from practice.review.queries import unsettled
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment, Service, Status, WorkingHours
from referrals.models import Inquiry, Referral
from referrals.queries import accepting_colleagues
from tests.conftest import NOW, make_app
from tests.test_letters import is_tagged, pdf_text
from tests.test_report_summary import summary_rows

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
    assert "46 clients, 6 services and" in result.output
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


def test_the_demo_has_its_reports_summary(demo):
    """Kept by the listener as the demo's appointments and payments were made: what a
    rebuild from scratch computes."""
    kept = summary_rows()
    assert kept[0] and kept[1]  # days, and appointments still owed for
    summary.rebuild(db.session)
    assert summary_rows() == kept
    db.session.rollback()


def test_demo_sets_up_services_weekly_hours_and_the_policy(demo):
    assert count(Service, Service.active) == len(SERVICES) >= 4
    weekdays = {}
    for practitioner_id, weekday in db.session.execute(
            select(WorkingHours.practitioner_id, WorkingHours.weekday)):
        weekdays.setdefault(practitioner_id, set()).add(weekday)
    assert len(weekdays) == 3
    assert len({frozenset(days) for days in weekdays.values()}) == 3  # each their own week
    assert all(6 not in days for days in weekdays.values())  # nobody works on Sundays
    policy = current_policy(db.session, NOW)
    assert (policy.version, policy.effective_from) == (2, NOW.date() - timedelta(days=35))
    assert (policy.late_grace_minutes, policy.cancellation_window_hours) == (10, 24)
    assert (policy.late_cancel_fee_percent, policy.no_show_fee_percent) == (50, 100)
    assert {clause.topic for clause in policy.clauses} == {"payment", "conduct", "communication"}
    assert any("Linden Yard" in clause.text for clause in policy.clauses if clause.topic == "conduct")
    # Every client signed it at intake but two, whom the pages remind to ask.
    clients = db.session.scalars(select(Client.id)).all()
    unacknowledged = [cid for cid, ack in acknowledgement_status(db.session, clients, NOW).items() if ack is None]
    assert {db.session.get(Client, cid).display_name for cid in unacknowledged} == {"Wei Zhang", "Jules"}


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
    # No-shows, each charged in full: Lewis Grant twice, Daniel Cohen once (fees owed),
    # Aisha Rahman once (waived with its reason).
    no_shows = [a for a in past if a.status == Status.NO_SHOW]
    assert Counter(a.client.display_name for a in no_shows) == {
        "Lewis Grant": 2, "Daniel Cohen": 1, "Aisha Rahman": 1}
    assert all(a.fee_cents == a.price_cents for a in no_shows)
    assert [(a.client.display_name, bool(a.fee_waiver_reason)) for a in no_shows if a.fee_waived] == [
        ("Aisha Rahman", True)]
    assert sum(paid(a) for a in no_shows) == 0
    # Cancellations by clients: well ahead without a fee; late with half the price, one of
    # the three paid. Daniel Cohen's session this morning was cancelled by the practice, without
    # a fee, when his safety letter was issued.
    early = [a for a in past if a.status == Status.CANCELLED]
    late = [a for a in past if a.status == Status.LATE_CANCELLED]
    by_practice = [a for a in early if a.cancel_reason.startswith("Cancelled by the practice")]
    by_client = [a for a in early if a not in by_practice]
    assert [(a.client.display_name, local_day(a)) for a in by_practice] == [("Daniel Cohen", NOW.date())]
    assert len(by_client) == 2 and all(a.fee_cents == 0 and a.cancel_reason for a in early)
    assert all(a.start_at - a.cancelled_at > timedelta(hours=24) for a in early)
    assert [a.fee_cents * 2 == a.price_cents for a in late] == [True, True, True]
    assert sorted(paid(a) / a.fee_cents for a in late) == [0, 0, 1]
    # This morning is under way: the first client of the day is in, not yet paid.
    assert Status.ARRIVED in {a.status for a in past if local_day(a) == NOW.date()}
    # One session was left unmarked at the desk, for the end-of-day review to settle.
    unmarked = [a for a in past if a.status == Status.BOOKED]
    assert [(a.client.display_name, a.practitioner.display_name) for a in unmarked] == [
        ("Grace Mwangi", "Amara Okafor")]


def test_demo_history_went_through_the_services_in_order(demo):
    everything = appointments()
    events = Counter(db.session.scalars(select(AuditEvent.action)))

    assert all(a.created_at < a.start_at for a in everything)  # booked ahead, never in the past
    assert events["appointment.book"] == len(everything)
    assert events["appointment.check_in"] == sum(a.arrived_at is not None for a in everything)
    assert events["appointment.no_show"] == 4 and events["appointment.waive_fee"] == 1
    assert events["appointment.cancel"] == 7  # five by clients, two by discontinuation letters
    assert events["letter.issue"] == 5
    assert db.session.scalar(select(func.max(AuditEvent.at))) <= NOW
    assert db.session.scalar(select(func.min(Client.created_at))) < everything[0].created_at


def test_demo_books_the_coming_week(demo):
    coming = appointments(Appointment.start_at >= NOW)

    # Every coming appointment is booked but Lewis Grant's, cancelled by the practice when
    # his discontinuation letter was issued.
    released = [a for a in coming if a.status != Status.BOOKED]
    assert [(a.client.display_name, a.status, a.fee_cents) for a in released] == [
        ("Lewis Grant", Status.CANCELLED, 0)]
    assert released[0].cancel_reason.startswith("Cancelled by the practice")
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


def client_named(name: str) -> Client:
    return db.session.scalar(select(Client).where(Client.display_name == name))


def letter_to(name: str) -> Letter:
    return db.session.scalar(select(Letter).where(Letter.recipient == name))


def test_demo_issues_a_letter_of_every_kind_from_the_record(demo):
    letters = db.session.scalars(select(Letter).order_by(Letter.issued_at)).all()

    assert [(letter.kind, letter.recipient) for letter in letters] == [
        ("discontinuation", "Lewis Grant"), ("safety_discontinuation", "Daniel Cohen"),
        ("referral", "Leila Haddad"), ("practice_full", "Hamza Iqbal"), ("custom", "Ruth Abernathy")]
    assert all(letter.issued_at <= NOW and letter.author for letter in letters)
    for letter in letters:  # each a tagged PDF, signed, with its first lines read back
        assert is_tagged(letter.pdf)
        text = pdf_text(letter.pdf)
        assert "Linden Yard Massage & Wellness" in text and "Yours sincerely" in text
        assert letter.author.display_name in text
        assert " ".join(letter.body.split("\n\n")[1].split()[:8]) in text


def test_demo_letters_download_as_issued(demo):
    client = demo.test_client()
    client.post("/login", data={"email": "admin@demo.practice", "password": DEMO_PASSWORD})

    for letter in db.session.scalars(select(Letter)):
        response = client.get(f"/letters/{letter.id}.pdf")
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == letter.sha256


def test_demo_discontinuation_quotes_the_communications_and_the_breaches_that_followed(demo):
    lewis = client_named("Lewis Grant")
    told = db.session.scalars(select(Communication).where(Communication.client_id == lewis.id)
                              .order_by(Communication.occurred_at)).all()
    body = letter_to("Lewis Grant").body

    # Reminded the day after his first no-show, warned the day after his late cancellation.
    assert [(c.kind, c.channel, c.occurred_at.date()) for c in told] == [
        ("policy_reminder", "phone", NOW.date() - timedelta(days=20)),
        ("warning", "email", NOW.date() - timedelta(days=13)),
        ("letter_sent", "email", NOW.date() - timedelta(days=6))]
    assert "I reminded you of the policy by phone on 3 November 2026 and warned you by e-mail on 10 November 2026." in body
    # What led to the reminder (the first no-show) is quoted with what followed, grouped by kind.
    assert ("- You missed your appointments on 2 and 16 November 2026 without notice.\n"
            "- On 9 November 2026 you cancelled an appointment with less than 24 hours' notice.") in body
    assert "From 17 November 2026" in body
    # Only the clauses about what happened, what he owes and how to pay, a colleague.
    assert "24 hours' notice to cancel" in body and "professional practice" not in body
    assert "still owed for earlier sessions. You can pay by bank transfer" in body
    assert "these practitioners are taking new clients" in body


def test_demo_safety_letter_is_short_and_gives_no_details(demo):
    body = letter_to("Daniel Cohen").body

    assert "from 19 November 2026" in body
    for detail in ("car", "flowers", "text", "police", "Tomasz"):
        assert detail not in body


def test_demo_referral_practice_full_and_custom_letters(demo):
    leila = client_named("Leila Haddad")
    referral = db.session.scalar(select(Referral).where(Referral.client_id == leila.id))
    hamza = db.session.scalar(select(Inquiry).where(Inquiry.name == "Hamza Iqbal"))

    assert "Sarah Lowe (Pilates teacher, Pilates on the Green)" in letter_to("Leila Haddad").body
    assert referral.specialist.name == "Sarah Lowe" and referral.follow_up_on > NOW.date()
    assert letter_to("Leila Haddad").referral_id == referral.id
    # Amara was asked for and is full; Tomasz gives sports massage and has room: offered first.
    reply = letter_to("Hamza Iqbal").body
    assert "Amara Okafor is not taking on new clients" in reply and "appointment with Tomasz Nowak" in reply
    assert hamza.status == "offered" and "welcoming new clients" in reply
    accepting = accepting_colleagues(db.session, hamza.needs, hamza.area)  # for sports massage, nearest first
    assert len(accepting) > 3 and [f"- {s.name} (" in reply for s in accepting] == [True] * 3 + [False] * (len(accepting) - 3)
    assert "closed over the holidays, from Thursday 24 December 2026" in letter_to("Ruth Abernathy").body


def test_demo_standings_are_decided_with_reasons(demo):
    changes = db.session.scalars(select(StandingChange).order_by(StandingChange.changed_at)).all()

    assert [(db.session.get(Client, c.client_id).display_name, c.from_standing, c.to_standing)
            for c in changes] == [
        ("Daniel Cohen", "active", "warned"), ("Lewis Grant", "active", "warned"),
        ("Lewis Grant", "warned", "moved_on"), ("Daniel Cohen", "warned", "moved_on")]
    assert all(c.reason for c in changes)


def test_demo_leaves_tariq_undecided_for_the_review(demo):
    """The end-to-end review test's client: active, nothing told, a suggestion waiting."""
    tariq = client_named("Tariq Mahmood")
    amara = db.session.scalar(select(Practitioner).join(User).where(User.name == "Amara Okafor"))

    assert tariq.standing == "active"
    assert count(Communication, Communication.client_id == tariq.id) == 0
    assert count(Letter, Letter.client_id == tariq.id) == 0
    suggestion = escalation.suggestions(db.session, [tariq], NOW)[tariq.id]
    assert suggestion.step == "communicate"
    assert any("3 late arrivals" in reason for reason in suggestion.reasons)
    assert [a.client.display_name for a in unsettled(amara.id, NOW)] == ["Grace Mwangi"]
    assert [a.status for a in appointments(Appointment.client_id == tariq.id, Appointment.start_at > NOW)] == [
        Status.BOOKED]


def test_demo_conduct_log_verifies(demo):
    result = demo.test_cli_runner().invoke(args=["verify-log"])

    assert result.exit_code == 0, result.output
    assert "the record is unaltered" in result.output


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
        assert user.active and not user.two_factor_enabled  # the password alone signs in
        db.session.commit()  # as the sign-in request does


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
    row = html.unescape(today_row(page, hannah.id))  # Today writes its text in ASCII
    assert "Arrived" in row and "£70.00" in row and "Take payment" in row
    assert page.count('>Check in<span class="visually-hidden">') == sum(
        a.status == Status.BOOKED for a in appointments() if local_day(a) == NOW.date())
    # Daniel Cohen's 08:00 was cancelled by his safety letter; he cannot be booked.
    daniel = next(a for a in appointments() if local_day(a) == NOW.date()
                  and a.client.display_name == "Daniel Cohen")
    row = today_row(page, daniel.id)
    assert "Cancelled" in row and "Not bookable" in row


def today_row(page: str, appointment_id: int) -> str:
    """One appointment's row on Today (a list item, up to the next row or the list's end)."""
    return re.search(rf'<li data-appointment="{appointment_id}">.*?(?=<li data-appointment=|</ol>)',
                     page, re.S).group(0)


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
