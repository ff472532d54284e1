"""The practitioner's end of the day, on the demo practice: Amara settles a session left
unmarked, sees that Tariq Mahmood's third late arrival calls for a decision, records that she
had told him the policy, and ends the relationship with a discontinuation letter from the
review's one-click action; his standing becomes "Moved on" and his coming session is gone.

The app's clock stands at NOW: Monday 23 November 2026, 10:00 in London. Tariq's third late
arrival was last Thursday, 19 November."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD, build_demo
from practice.scheduling.models import Appointment
from tests.browser.helpers import Account, screenshot, sign_in
from tests.conftest import NOW

AMARA = Account("Amara Okafor", "amara@demo.practice", DEMO_PASSWORD)
LAST_LATE = "2026-11-19"  # the day of Tariq's third late arrival


@pytest.fixture
def demo(live_app) -> dict[str, int]:
    """The demo practice, built at NOW; returns the ids the test looks for."""
    with live_app.app_context():
        build_demo(db.session, NOW)
        ids = {name: db.session.scalar(select(Client.id).where(Client.display_name == name))
               for name in ("Tariq Mahmood", "Grace Mwangi")}
        ids["coming"] = db.session.scalar(select(Appointment.id).where(
            Appointment.client_id == ids["Tariq Mahmood"], Appointment.start_at > NOW))
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return ids


def start_the_day(page, account: Account) -> None:
    """Sign in and wait for the first page to finish loading (leaving it earlier would cut
    off its stylesheets and scripts)."""
    sign_in(page, account)
    expect(page).to_have_url(re.compile(r"/today$"))
    page.wait_for_load_state()


def settle_the_unmarked_session(page, client_id: int) -> None:
    """Grace Mwangi's session last Friday was never marked: she came, five minutes late."""
    unsettled = page.get_by_role("region", name="Settle these first")
    expect(unsettled).to_contain_text("Grace Mwangi")
    expect(unsettled).to_contain_text("Fri 20 Nov 14:00")
    screenshot(page, "review-settle.png")
    unsettled.get_by_label("Arrived at").fill("14:05")
    unsettled.get_by_role("button", name="Arrived").click()
    # No session is left unmarked (today's sessions to complete and be paid for stay listed).
    expect(page.locator("[data-unsettled]")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark this day reviewed")).not_to_have_attribute(
        "aria-describedby", "settle-first")


def record_the_policy_reminder(page) -> None:
    """She told him the policy the day after his first late arrival (Thursday 5 November)."""
    page.get_by_label("When").fill("2026-11-06T09:30")
    page.get_by_label("What it was").select_option(label="Policy reminder")
    page.get_by_label("How").select_option(label="Phone")
    page.get_by_label("What was said or sent").fill(
        "Rang after he arrived 20 minutes late: sessions end on time and are charged in full.")
    page.get_by_role("button", name=re.compile("^Record")).click()
    expect(page.get_by_role("status").first).to_be_visible()
    page.wait_for_load_state()


def compose_the_discontinuation(page) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ending the professional relationship: Tariq Mahmood")
    facts = page.get_by_role("region", name="From the record")
    expect(facts).to_contain_text("I reminded you of the policy by phone on 6 November 2026.")
    expect(facts).to_contain_text("What led to the policy reminder")  # the first late arrival, ticked too
    expect(page.get_by_label("5 November 2026: arrived 20 minutes late")).to_be_checked()
    expect(page.get_by_label("19 November 2026: arrived 30 minutes late")).to_be_checked()
    page.get_by_label("Effective from").fill("2026-11-23")
    page.get_by_role("button", name="Fill in the draft from the record").click()
    expect(page.get_by_role("textbox", name="The letter")).to_have_value(re.compile("From 23 November 2026"))
    consequences = page.get_by_role("region", name="Issuing this letter will")
    expect(consequences).to_contain_text("standing becomes moved on")
    expect(consequences).to_contain_text("Thu 26 Nov 2026 17:00")
    page.get_by_label("I have read what issuing will do").check()
    screenshot(page, "letter-compose.png")
    page.get_by_role("button", name="Issue the letter").click()


@pytest.mark.browser
def test_the_practitioners_end_of_day_review(page, demo):
    tariq = demo["Tariq Mahmood"]
    start_the_day(page, AMARA)
    page.goto("/review")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amara Okafor, Monday 23 November 2026")
    settle_the_unmarked_session(page, demo["Grace Mwangi"])

    page.get_by_label("Day", exact=True).fill(LAST_LATE)
    page.get_by_role("button", name="Show").click()
    suggestion = page.locator(f'.suggestion-change[data-client="{tariq}"]')
    expect(suggestion).to_contain_text("Tell the client the policy")
    expect(suggestion).to_contain_text("3 late arrivals in 90 days")
    screenshot(page, "review.png")

    suggestion.get_by_role("link", name="Record a communication").click()
    record_the_policy_reminder(page)
    page.goto(f"/review?day={LAST_LATE}")
    suggestion = page.locator(f'.suggestion-change[data-client="{tariq}"]')
    suggestion.get_by_role("link", name="Write a letter ending the relationship").click()
    compose_the_discontinuation(page)

    expect(page.get_by_role("status").first).to_contain_text("The letter is issued")
    screenshot(page, "letter.png")
    page.wait_for_load_state()

    page.goto(f"/clients/{tariq}")
    expect(page.get_by_text("Moved on").first).to_be_visible()
    upcoming = page.get_by_role("region", name=re.compile("^Upcoming appointments"))
    expect(upcoming).to_contain_text("None.")
    cancelled = page.locator(".timeline-appointment").filter(has_text="Thu 26 Nov 2026 17:00")
    expect(cancelled).to_contain_text("Cancelled")
    screenshot(page, "client-moved-on.png")
