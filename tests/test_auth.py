"""First-run setup, sign-in, invitations, users and roles, and the audit trail they leave."""

import re

import sqlalchemy as sa

from practice.audit.models import AuditEvent
from practice.auth import services
from practice.auth.models import Practitioner, User
from practice.auth.permissions import RULES, can
from practice.db import db
from tests.conftest import PASSWORD

SETUP = {
    "name": "Harbour Street Massage", "timezone": "Europe/London", "currency": "gbp",
    "phone_region": "gb", "admin_name": "Alex Admin", "admin_email": "Alex@Harbour.example",
    "password": PASSWORD, "confirm": PASSWORD, "sees_clients": "y",
}


def test_setup_creates_practice_admin_and_practitioner_profile(client):
    assert client.get("/").headers["Location"].endswith("/setup")
    response = client.post("/setup", data=SETUP)
    assert response.status_code == 302
    admin = db.session.scalar(sa.select(User))
    assert admin.email == "alex@harbour.example" and admin.role == "admin"
    assert db.session.scalar(sa.select(Practitioner)).user_id == admin.id
    assert client.get("/clients/").status_code == 200  # signed in straight away
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert actions == ["practice.setup", "user.create"]


def test_setup_is_gone_once_done(client, practice):
    assert client.get("/setup").headers["Location"].endswith("/login")
    client.post("/setup", data=SETUP | {"admin_email": "intruder@example.org"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_sign_in_and_out(client, practice):
    page = client.post("/login", data={"email": "ADMIN@harbour.example", "password": "wrong one!"})
    assert "do not match an active account" in page.get_data(as_text=True)
    assert client.post("/login", data={"email": "ADMIN@harbour.example", "password": PASSWORD}).status_code == 302
    assert client.get("/clients/").status_code == 200
    client.post("/logout")
    assert client.get("/clients/").headers["Location"].startswith("/login")


def test_sign_in_follows_next_only_within_the_site(client, practice):
    form = {"email": practice.email, "password": PASSWORD}
    assert client.post("/login?next=/audit/", data=form).headers["Location"] == "/audit/"
    client.post("/logout")
    assert client.post("/login?next=//evil.example/", data=form).headers["Location"] == "/"


def test_throttling_is_per_account_and_lifts_after_the_window(app, client, practice):
    for _ in range(5):
        client.post("/login", data={"email": practice.email, "password": "wrong password"})
    refused = client.post("/login", data={"email": practice.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert "wait 15 minutes" in refused.get_data(as_text=True)
    app.extensions["practice"].clock.advance(minutes=16)
    assert client.post("/login", data={"email": practice.email, "password": PASSWORD}).status_code == 302


def test_admin_creates_an_invited_practitioner_who_sets_a_password(app, client, practice, login):
    login(practice)
    response = client.post("/users", data={
        "name": "Priya Patel", "email": "priya@harbour.example", "role": "practitioner",
        "credentials": "RMT",
    })
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'value="http://localhost(/invite/[^"]+)"', page).group(1)
    client.post("/logout")
    assert client.post(link, data={"password": "a fresh passphrase", "confirm": "a fresh passphrase"}).status_code == 302
    assert client.get("/clients/").status_code == 200
    priya = db.session.scalar(sa.select(User).where(User.email == "priya@harbour.example"))
    assert priya.practitioner.credentials == "RMT"
    assert client.get(link).status_code == 404  # used once, gone


def test_deactivated_account_cannot_sign_in(client, users, login):
    login(users["admin"])
    client.post(f"/users/{users['front_desk'].id}/active", data={"active": "0"})
    client.post("/logout")
    response = client.post("/login", data={"email": users["front_desk"].email, "password": PASSWORD})
    assert response.status_code == 200


def test_the_last_admin_stays_an_admin(app, practice):
    from practice.audit.services import SYSTEM
    from practice.errors import DomainError

    try:
        services.update_user(db.session, SYSTEM, practice, name="Alex", role="front_desk",
                             credentials="", now=app.extensions["practice"].clock.now())
    except DomainError as error:
        assert error.field == "role"
    else:
        raise AssertionError("the last admin was demoted")


def test_permission_table_by_role(users):
    admin, practitioner, desk = users["admin"], users["practitioner"], users["front_desk"]
    assert all(can(admin, action) for action in RULES)
    assert not can(desk, "users.manage") and not can(desk, "clients.archive")
    assert can(desk, "clients.edit") and can(practitioner, "clients.archive")
    assert not can(practitioner, "practice.settings")


def test_accounts_need_a_working_email_whatever_the_way_in(runner, practice):
    result = runner.invoke(args=["create-user", "not-an-email", "--role", "admin",
                                 "--password", "long enough password"])
    assert result.exit_code != 0 and "not a valid e-mail address" in result.output
