import re
from pathlib import Path

from sqlalchemy import func, select

from practice.auth import services as auth_services
from practice.auth.models import Practitioner, Role, User
from practice.cli import BACKUP_FORMATS
from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD
from tests.conftest import NOW

LOGIN_ROW = re.compile(r"^(?P<role>.+?)\s{2,}.+?\s{2,}(?P<email>\S+@\S+)\s{2,}(?P<password>\S+)$")


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def client_names() -> list[str]:
    return list(db.session.scalars(select(Client.display_name).order_by(Client.display_name)))


def printed_logins(output: str) -> list[dict]:
    return [match.groupdict() for line in output.splitlines() if (match := LOGIN_ROW.match(line))]


# demo ---------------------------------------------------------------------------------

def test_demo_fills_an_empty_database(runner):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
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


def test_demo_admin_can_sign_in_on_the_web(runner, client):
    runner.invoke(args=["demo"])

    response = client.post(
        "/login", data={"email": "admin@demo.practice", "password": DEMO_PASSWORD}
    )

    assert response.status_code == 302


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
