"""The main pages of the demo practice under the Content-Security-Policy: Chromium reports no
violation (no inline script, handler or style is refused), and the behaviours that moved
from inline scripts into practice/static/js still work."""

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from practice.auth.models import User
from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD, build_demo
from practice.letters.models import Letter
from tests.browser.helpers import Account, screenshot, sign_in
from tests.conftest import NOW

ADMIN = Account("Morgan Ellis", "admin@demo.practice", DEMO_PASSWORD)
AMARA = Account("Amara Okafor", "amara@demo.practice", DEMO_PASSWORD)


@pytest.fixture
def demo(live_app) -> dict[str, int]:
    with live_app.app_context():
        build_demo(db.session, NOW)
        ids = {name: db.session.scalar(select(Client.id).where(Client.display_name == name))
               for name in ("Tariq Mahmood", "Daniel Cohen")}
        ids["letter"] = db.session.scalar(select(Letter.id).limit(1))
        ids["amara"] = db.session.scalar(select(User.id).where(User.email == AMARA.email))
        ids["amara_practitioner"] = db.session.scalar(select(User).where(User.email == AMARA.email)).practitioner.id
        db.session.commit()  # as the command that made it would
        db.session.remove()
    return ids


@pytest.fixture
def violations(page):
    """Content-Security-Policy violations Chromium reports on the page's console."""
    found = []
    page.on("console", lambda message: found.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: found.append(f"script error: {error}"))
    return found


def visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.ok, f"{path}: {response.status}"
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    page.wait_for_load_state("load")


@pytest.mark.browser
def test_the_main_pages_load_without_a_policy_violation(page, demo, violations):
    sign_in(page, ADMIN)
    tariq, daniel = demo["Tariq Mahmood"], demo["Daniel Cohen"]
    for path in ("/today", "/calendar", "/calendar?view=week", "/clients/", f"/clients/{tariq}",
                 f"/clients/{daniel}/conduct", "/review/", "/reports/", "/referrals/",
                 "/referrals/inquiries", "/letters", f"/letters/{demo['letter']}", "/settings/",
                 "/settings/scheduling/", "/users", f"/users/{demo['amara']}", "/audit/", "/account/",
                 f"/review/report?practitioner={demo['amara_practitioner']}&day=2026-11-19"):
        visit(page, path)
    assert not violations

    # The letter preview: a frame of its own, styled by the response's nonce.
    visit(page, f"/letters/new?kind=custom&client_id={tariq}")
    page.get_by_role("textbox", name="The letter").fill("Dear Tariq,\n\nYour receipt is enclosed.")
    page.get_by_role("button", name="Preview").click()
    preview = page.frame_locator("iframe.letter-preview")
    expect(preview.locator("body")).to_contain_text("Your receipt is enclosed.")
    width = preview.locator("body").evaluate("body => getComputedStyle(body).boxSizing")
    assert width == "border-box"  # the inline style applied
    assert not violations


@pytest.mark.browser
def test_behaviours_moved_out_of_inline_scripts_still_work(page, demo, violations):
    sign_in(page, ADMIN)
    visit(page, f"/clients/{demo['Tariq Mahmood']}/conduct/incidents/new")
    safety = page.get_by_label("This is a safety matter")
    expect(safety).not_to_be_checked()
    category = page.get_by_label("What kind of incident")
    stalking = category.locator("option", has_text="Stalking").first.get_attribute("value")
    category.select_option(stalking)
    expect(safety).to_be_checked()
    assert not violations


@pytest.mark.browser
def test_setting_up_two_factor_in_the_browser(page, live_app, demo, violations):
    sign_in(page, AMARA)
    visit(page, "/account/")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    page.get_by_role("button", name="Start").click()
    expect(page.locator("svg.qr-code")).to_be_visible()
    secret = page.locator("code.two-factor-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).at(NOW))
    screenshot(page, "two-factor-setup.png")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in is on")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, AMARA)
    expect(page.get_by_role("heading", name="Your code")).to_be_visible()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(NOW.timestamp() + 30))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()
    assert not violations


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 800, 1366])
def test_the_account_pages_fit_the_screen(page, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, ADMIN)
    for path in ("/account/", "/account/two-factor"):
        visit(page, path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} at {width}px scrolls sideways by {overflow}px"
    page.get_by_role("button", name="Start").click()
    # The QR code is on the next page: measure it once there, not while the page changes.
    expect(page.locator("svg.qr-code")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the QR code at {width}px scrolls sideways by {overflow}px"
    screenshot(page, f"two-factor-{width}.png")
