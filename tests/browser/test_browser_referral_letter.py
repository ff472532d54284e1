"""From a client's need to a referral letter, on the demo practice: Tomasz's client Tom
Brennan needs a physiotherapist; the network ranks the colleagues who offer it; Tomasz writes
the referral letter to the best match from there, issues it, and the referral is recorded
with its follow-up, which comes due two weeks later.

The app's clock stands at NOW: Monday 23 November 2026, 10:00 in London."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD, build_demo
from tests.browser.helpers import Account, screenshot, sign_in
from tests.conftest import NOW

TOMASZ = Account("Tomasz Nowak", "tomasz@demo.practice", DEMO_PASSWORD)
CLIENT = "Tom Brennan"  # a runner in his fifties whose knee needs more than massage
COLLEAGUE = "Daniel Okoye"  # City Physio Partners: physiotherapy, accepting new clients


@pytest.fixture
def demo(live_app) -> int:
    """The demo practice, built at NOW; returns the client's id."""
    with live_app.app_context():
        build_demo(db.session, NOW)
        client_id = db.session.scalar(select(Client.id).where(Client.display_name == CLIENT))
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return client_id


def start_the_day(page, account: Account) -> None:
    """Sign in and wait for the first page to finish loading (leaving it earlier would cut
    off its stylesheets and scripts)."""
    sign_in(page, account)
    expect(page).to_have_url(re.compile(r"/today$"))
    page.wait_for_load_state()


def find_a_physiotherapist(page, client_id: int):
    page.goto(f"/clients/{client_id}")
    page.get_by_role("link", name="Refer this client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Find a colleague for {CLIENT}")
    page.get_by_label("What the client needs").select_option("Physiotherapy")
    page.get_by_role("button", name="Find colleagues").click()
    best = page.get_by_role("listitem", name=COLLEAGUE)
    expect(page.locator("main ol > li").first).to_have_attribute("aria-label", COLLEAGUE)
    expect(best).to_contain_text("Accepting new clients")
    screenshot(page, "referral-match.png")
    return best


def write_the_letter(page) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Referral to a colleague: {CLIENT}")
    expect(page.get_by_label("Colleague to introduce")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("In a few words").fill("a physiotherapy assessment of your right knee")
    page.get_by_role("button", name="Fill in the draft from the record").click()
    letter = page.get_by_role("textbox", name="The letter")
    expect(letter).to_have_value(re.compile(f"introduce you to {COLLEAGUE}"))
    expect(letter).to_have_value(re.compile("a physiotherapy assessment of your right knee"))
    expect(page.get_by_role("region", name="Issuing this letter will")).to_contain_text(
        f"A referral to {COLLEAGUE} is recorded, with a follow-up on 7 December 2026.")
    page.get_by_label("I have read what issuing will do").check()
    page.get_by_role("button", name="Issue the letter").click()


@pytest.mark.browser
def test_a_clients_need_becomes_a_referral_letter(page, live_app, demo):
    start_the_day(page, TOMASZ)
    best = find_a_physiotherapist(page, demo)
    best.get_by_role("link", name=f"Write a referral letter to {COLLEAGUE}").click()
    write_the_letter(page)

    expect(page.get_by_role("status").first).to_contain_text("The letter is issued")
    expect(page.locator("main")).to_contain_text("City Physio Partners")
    expect(page.locator("main")).to_contain_text(f"Ask {CLIENT} on 7 December 2026 whether {COLLEAGUE}")
    screenshot(page, "referral-letter.png")
    page.wait_for_load_state()

    page.goto(f"/clients/{demo}")
    referrals = page.get_by_role("region", name="Referrals")
    expect(referrals.locator("tr", has_text=COLLEAGUE)).to_contain_text("7 Dec 2026")

    live_app.extensions["practice"].clock.advance(days=14)
    page.goto("/referrals/follow-ups")
    expect(page.locator("main")).to_contain_text(CLIENT)
    expect(page.locator("main")).to_contain_text(COLLEAGUE)
