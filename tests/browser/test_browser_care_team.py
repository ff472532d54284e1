"""The person behind the record, on the demo practice: the front desk adds "Dan Cohen" with
Daniel Cohen's phone number (Daniel was moved on for safety) and is told only that this
person cannot be booked; Tomasz, Daniel's practitioner, sees the match on the new record and
decides it is the same person; on Daniel's own page he sees his care team and who has looked
at the record. On a phone-sized screen nothing scrolls sideways.

The app's clock stands at NOW: Monday 23 November 2026, 10:00 in London."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from practice.clients.identity import NOT_BOOKABLE
from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD, build_demo
from tests.browser.conftest import VIEWPORT
from tests.browser.helpers import Account, screenshot, sign_in
from tests.conftest import NOW

TOMASZ = Account("Tomasz Nowak", "tomasz@demo.practice", DEMO_PASSWORD)
FRONT_DESK = Account("Jo Whitfield", "frontdesk@demo.practice", DEMO_PASSWORD)
PHONE = "+44 7841 209376"  # Daniel Cohen's


@pytest.fixture
def daniel(live_app) -> int:
    with live_app.app_context():
        build_demo(db.session, NOW)
        found = db.session.scalar(select(Client.id).where(Client.display_name == "Daniel Cohen"))
        db.session.commit()  # as the command that made it would
        db.session.remove()
    return found


def signed_in(page, account: Account) -> None:
    sign_in(page, account)
    expect(page).to_have_url(re.compile(r"/today$"))
    page.wait_for_load_state()


def on_a_phone(page, name: str) -> None:
    """The page at 390 px wide: nothing scrolls sideways; a screenshot to look at."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, name)
    page.set_viewport_size(VIEWPORT)


@pytest.mark.browser
def test_a_moved_on_client_added_again_is_held_and_decided_by_his_practitioner(page, daniel):
    signed_in(page, FRONT_DESK)
    page.goto("/clients/new")
    page.get_by_label("Name", exact=True).fill("Dan Cohen")
    page.get_by_label("Phone").fill(PHONE)
    page.get_by_role("button", name=re.compile("^(Add|Save)")).click()
    main = page.locator("main")
    expect(main).to_contain_text(NOT_BOOKABLE)
    expect(main).to_contain_text("Not bookable")
    expect(main).not_to_contain_text("Daniel")
    expect(page.get_by_role("link", name="Book", exact=True)).to_have_count(0)
    on_a_phone(page, "front-desk-held-record.png")
    new_record = page.url

    page.get_by_role("button", name="Sign out").click()
    signed_in(page, TOMASZ)
    page.goto(new_record)
    match = page.get_by_role("region", name="Is this the same person?")
    expect(match).to_contain_text("Same phone number as Daniel Cohen")
    on_a_phone(page, "identity-match.png")
    match.get_by_label("Decision").select_option(label="The same person")
    match.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("status").first).to_contain_text("Decided: the same person as Daniel Cohen")
    expect(page.locator(".standing-badge")).to_have_text("Moved on")

    page.goto(f"/clients/{daniel}/conduct")
    page.goto(f"/clients/{daniel}")
    team = page.get_by_role("region", name="Care team")
    expect(team).to_contain_text("Tomasz Nowak: the client's practitioner")
    expect(team.get_by_role("table")).to_contain_text("conduct record")
    on_a_phone(page, "care-team.png")
    team.get_by_role("link", name="Give a colleague access").click()
    expect(page.get_by_label("Why they need access")).to_be_visible()
    on_a_phone(page, "care-team-access.png")
