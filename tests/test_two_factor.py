"""Two-factor sign-in: setting it up from the account page, signing in with an app's code or
a recovery code (once), turning it off with the password, and the practice requiring it."""

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from practice.audit.models import AuditEvent
from practice.auth.models import LoginAttempt, RecoveryCode, User
from practice.db import db
from tests.conftest import NOW, PASSWORD

STEP = timedelta(seconds=30)


def actions() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def code_at(user: User, moment) -> str:
    db.session.refresh(user)
    return pyotp.TOTP(user.totp_secret).at(moment)


def enrol(client, user) -> list[str]:
    """Set up two-factor sign-in from the account page; returns the recovery codes shown."""
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.post("/account/two-factor/confirm", data={"code": code_at(user, NOW)})
    assert page.status_code == 200, page.get_data(as_text=True)
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page.get_data(as_text=True))


def password_step(client, user, password=PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


def signed_in(client) -> bool:
    return client.get("/clients/").status_code == 200


@pytest.fixture
def enrolled(client, users, login):
    """The practitioner with two-factor sign-in on, signed out; their recovery codes."""
    user = users["practitioner"]
    login(user)
    codes = enrol(client, user)
    client.post("/logout")
    return user, codes


def test_setting_up_shows_a_qr_code_and_the_key_and_needs_a_right_code(client, users, login):
    user = login(users["practitioner"])
    client.post("/account/two-factor/start")
    page = client.get("/account/two-factor").get_data(as_text=True)
    db.session.refresh(user)
    assert '<svg' in page and 'class="qr-code"' in page
    shown = re.search(r'<code class="two-factor-secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert shown.replace(" ", "") == user.totp_secret  # in groups of four, easier to type
    assert not user.two_factor_enabled

    wrong = client.post("/account/two-factor/confirm", data={"code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.two_factor_enabled

    codes = enrol_with_started_secret(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    db.session.refresh(user)
    assert user.two_factor_enabled
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    assert actions()[-2:] == ["two_factor.setup_started", "two_factor.enable"]


def enrol_with_started_secret(client, user):
    page = client.post("/account/two-factor/confirm", data={"code": code_at(user, NOW)})
    assert page.status_code == 200
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page.get_data(as_text=True))


def test_sign_in_asks_for_the_code_after_the_password(app, client, enrolled):
    user, _ = enrolled
    response = password_step(client, user)
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert not signed_in(client)  # not with the password alone

    # The code used to set it up is spent; the app's next code works.
    assert client.post("/login/code", data={"code": code_at(user, NOW)}).status_code == 422
    assert client.post("/login/code", data={"code": code_at(user, NOW + STEP)}).status_code == 302
    assert signed_in(client)
    assert actions()[-1] == "user.login"


def test_an_app_code_works_once(app, client, enrolled):
    user, _ = enrolled
    code = code_at(user, NOW + STEP)
    password_step(client, user)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    client.post("/logout")
    password_step(client, user)
    refused = client.post("/login/code", data={"code": code})
    assert refused.status_code == 422 and "not right" in refused.get_data(as_text=True)
    assert not signed_in(client)


def test_a_recovery_code_works_once(client, enrolled):
    user, codes = enrolled
    password_step(client, user)
    assert client.post("/login/code", data={"code": codes[0].upper()}).status_code == 302
    assert signed_in(client)
    assert "two_factor.recovery_code_used" in actions()
    client.post("/logout")

    password_step(client, user)
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 422
    assert not signed_in(client)
    assert client.post("/login/code", data={"code": codes[1]}).status_code == 302


def test_the_code_step_waits_only_a_few_minutes(app, client, enrolled):
    user, _ = enrolled
    password_step(client, user)
    app.extensions["practice"].clock.advance(minutes=6)
    response = client.post("/login/code", data={"code": code_at(user, NOW + timedelta(minutes=6))})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not signed_in(client)


def test_code_attempts_are_throttled_like_passwords(app, client, enrolled):
    user, _ = enrolled
    limit = app.extensions["practice"].login_limits.per_account
    password_step(client, user)  # takes one of the account's attempts until the code is right
    statuses = [client.post("/login/code", data={"code": "000000"}).status_code for _ in range(limit + 2)]
    assert statuses == [422] * (limit - 1) + [429] * 3
    refused = client.post("/login/code", data={"code": code_at(user, NOW + STEP)})
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert not signed_in(client)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == limit


def test_turning_it_off_needs_the_password(client, enrolled):
    user, _ = enrolled
    password_step(client, user)
    client.post("/login/code", data={"code": code_at(user, NOW + STEP)})

    wrong = client.post("/account/two-factor/disable", data={"disable-password": "not my password"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert user.two_factor_enabled

    assert client.post("/account/two-factor/disable", data={"disable-password": PASSWORD}).status_code == 302
    db.session.refresh(user)
    assert not user.two_factor_enabled and user.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert actions()[-1] == "two_factor.disable"
    client.post("/logout")
    assert password_step(client, user).headers["Location"] == "/"


def test_an_admin_resets_it_for_someone_who_lost_their_phone(client, users, login, enrolled):
    user, _ = enrolled
    login(users["admin"])
    assert client.post(f"/users/{user.id}/two-factor/reset").status_code == 302
    db.session.refresh(user)
    assert not user.two_factor_enabled
    assert actions()[-1] == "two_factor.reset"


def require_two_factor(client, users, login):
    login(users["admin"])
    assert client.post("/settings/sign-in", data={"signin-require_two_factor": "y"}).status_code == 302
    assert actions()[-1] == "practice.require_two_factor"
    client.post("/logout")


def test_when_the_practice_requires_it_practitioners_set_it_up_first(client, users, login):
    require_two_factor(client, users, login)
    practitioner = users["practitioner"]

    login(practitioner)
    for path in ("/", "/clients/", "/review/", "/clients/export.csv"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor", path
    assert "asks admins and practitioners" in client.get("/account/two-factor").get_data(as_text=True)

    enrol(client, practitioner)
    assert signed_in(client)


def test_the_requirement_leaves_the_front_desk_alone(client, users, login):
    require_two_factor(client, users, login)
    login(users["front_desk"])
    assert signed_in(client)


def test_the_requirement_applies_to_sessions_already_open(app, users, login, client):
    practitioner_browser = app.test_client()
    assert practitioner_browser.post("/login", data={"email": users["practitioner"].email,
                                                      "password": PASSWORD}).status_code == 302
    require_two_factor(client, users, login)
    assert practitioner_browser.get("/clients/").headers["Location"] == "/account/two-factor"
