"""Sessions end on the server: a copy of the cookie kept from before signing out, a password
change or reset, a role change, deactivation or "sign out everywhere" signs no one in."""

import re

import sqlalchemy as sa

from practice.audit.models import AuditEvent
from practice.auth.models import UserSession
from practice.db import db
from tests.conftest import PASSWORD
from tests.test_plugin import build_host

COOKIE = "practice_session"
NEW_PASSWORD = "a fresh passphrase"


def signed_in_browser(app, user, password=PASSWORD):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def stolen_copy(app, browser, path="/"):
    """Another browser holding a copy of `browser`'s session cookie as it is now."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, browser.get_cookie(COOKIE, path=path).value, path=path)
    return thief


def signed_in(browser, path="/clients/") -> bool:
    response = browser.get(path)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def actions() -> list[str]:
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_a_cookie_replayed_after_signing_out_signs_no_one_in(app, users):
    browser = signed_in_browser(app, users["front_desk"])
    copy = stolen_copy(app, browser)
    assert signed_in(copy)

    assert browser.post("/logout").status_code == 302

    assert not signed_in(browser)
    assert not signed_in(copy)
    ended = db.session.scalar(sa.select(UserSession))
    assert ended.ended_at is not None and ended.ended_because == "signed out"


def test_a_cookie_without_a_server_side_session_signs_no_one_in(app, users):
    browser = app.test_client()
    with browser.session_transaction() as session:  # what a cookie from before looked like
        session["_user_id"] = str(users["admin"].id)
        session["_fresh"] = True
    assert not signed_in(browser)
    with browser.session_transaction() as session:
        session["session_token"] = "made-up"
    assert not signed_in(browser)


def test_changing_ones_password_signs_out_every_other_browser(app, users):
    user = users["practitioner"]
    here, elsewhere = signed_in_browser(app, user), signed_in_browser(app, user)
    copy_of_here_before = stolen_copy(app, here)

    response = here.post("/account/password", data={
        "password-current_password": PASSWORD, "password-password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert signed_in(here)
    assert signed_in(copy_of_here_before)  # the same session: this browser stays in
    assert not signed_in(elsewhere)
    assert "user.password" in actions() and "user.sessions_ended" in actions()
    signed_in_browser(app, user, NEW_PASSWORD)


def test_the_current_password_is_needed_to_change_it(app, users):
    browser = signed_in_browser(app, users["practitioner"])
    response = browser.post("/account/password", data={
        "password-current_password": "not my password", "password-password": NEW_PASSWORD,
        "password-confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)
    signed_in_browser(app, users["practitioner"])


def test_a_password_reset_link_signs_out_the_sessions_from_before(app, users):
    user = users["front_desk"]
    old = signed_in_browser(app, user)
    admin = signed_in_browser(app, users["admin"])
    flashed = admin.post(f"/users/{user.id}/reset-link", follow_redirects=True).get_data(as_text=True)
    link = re.search(r"http://localhost(/invite/[^\s<]+)", flashed).group(1)

    new = app.test_client()
    assert new.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302

    assert signed_in(new)
    assert not signed_in(old)


def test_a_role_change_signs_the_user_out_everywhere(app, users):
    user = users["practitioner"]
    browser = signed_in_browser(app, user)
    admin = signed_in_browser(app, users["admin"])
    admin.post(f"/users/{user.id}", data={"name": user.name, "role": "front_desk"})
    assert not signed_in(browser)
    assert signed_in(admin)


def test_renaming_someone_keeps_them_signed_in(app, users):
    user = users["practitioner"]
    browser = signed_in_browser(app, user)
    admin = signed_in_browser(app, users["admin"])
    admin.post(f"/users/{user.id}", data={"name": "Priya P", "role": "practitioner"})
    assert signed_in(browser)


def test_an_admin_changing_their_own_role_stays_signed_in_here(app, users, make_user):
    second_admin = make_user("admin")
    browser = signed_in_browser(app, second_admin)
    other_browser = signed_in_browser(app, second_admin)
    browser.post(f"/users/{second_admin.id}", data={"name": second_admin.name, "role": "practitioner"})
    assert signed_in(browser) and not signed_in(other_browser)


def test_deactivation_ends_the_sessions_for_good(app, users):
    user = users["front_desk"]
    browser = signed_in_browser(app, user)
    admin = signed_in_browser(app, users["admin"])
    admin.post(f"/users/{user.id}/active", data={"active": "0"})
    assert not signed_in(browser)

    admin.post(f"/users/{user.id}/active", data={"active": "1"})  # reactivated later
    assert not signed_in(browser)
    signed_in_browser(app, user)


def test_sign_out_everywhere(app, users):
    user = users["admin"]
    here, phone = signed_in_browser(app, user), signed_in_browser(app, user)
    someone_else = signed_in_browser(app, users["front_desk"])
    page = here.get("/account/").get_data(as_text=True)
    assert "also signed in on 1 other browser or device" in page

    response = here.post("/account/sign-out-everywhere")

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not signed_in(here) and not signed_in(phone)
    assert signed_in(someone_else)
    assert "user.sign_out_everywhere" in actions()


def test_a_mounted_practice_ends_its_sessions_too(tmp_path, database_url):
    (tmp_path / "host-templates").mkdir()
    host, _ = build_host(tmp_path, database_url)
    browser = host.test_client()
    browser.post("/practice/setup", data={
        "name": "Harbour", "timezone": "Europe/London", "currency": "GBP", "phone_region": "GB",
        "admin_name": "Alex", "admin_email": "alex@harbour.example",
        "password": PASSWORD, "confirm": PASSWORD,
    })
    page = browser.get("/practice/clients/")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "no-store" in page.headers["Cache-Control"]
    copy = stolen_copy(host, browser, path="/practice")

    browser.post("/practice/logout")

    for replayed in (browser, copy):
        response = replayed.get("/practice/clients/")
        assert response.status_code == 302 and "/practice/login" in response.headers["Location"]
