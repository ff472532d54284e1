"""First run: the admin of a new practice lands on an empty Today with a checklist (a
service, a practitioner's hours, a client), follows each item's link, and reaches the
booking form once the checklist has gone. The hours are time fields per weekday."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ADMIN_NAME, choose_client, screenshot, sign_in

CHECKLIST = "Getting ready for the first booking"


def checklist(page):
    return page.get_by_role("region", name=CHECKLIST)


@pytest.mark.browser
def test_the_first_run_checklist_leads_to_a_first_booking(page, admin):
    sign_in(page, admin)
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(checklist(page).get_by_role("listitem")).to_have_count(3)
    screenshot(page, "first-run-checklist.png")

    checklist(page).get_by_role("link", name=re.compile("^Add a service")).click()
    page.get_by_label("Service", exact=True).fill("Relaxation massage")
    page.get_by_label("Minutes", exact=True).fill("60")
    page.get_by_label("Price", exact=True).fill("55")
    page.get_by_role("button", name="Add service").click()
    expect(page.get_by_role("cell", name="Relaxation massage")).to_be_visible()

    page.goto("/today")
    expect(checklist(page).get_by_role("listitem").first).to_contain_text("done")
    checklist(page).get_by_role("link", name=re.compile("working hours")).click()
    expect(page.get_by_role("heading", name=f"{ADMIN_NAME}'s hours")).to_be_visible()
    # Monday: a morning and, after "Add a range", an afternoon; a wrong Tuesday is flagged.
    page.get_by_label("From (Monday, range 1)").fill("09:00")
    page.get_by_label("to (Monday, range 1)").fill("13:00")
    page.get_by_role("button", name="Add a range on Monday").click()
    expect(page.get_by_role("status")).to_contain_text("Not saved yet")
    expect(page.get_by_label("From (Monday, range 1)")).to_have_value("09:00")
    page.get_by_label("From (Monday, range 2)").fill("14:00")
    page.get_by_label("to (Monday, range 2)").fill("18:00")
    page.get_by_label("From (Tuesday, range 1)").fill("12:00")
    page.get_by_label("to (Tuesday, range 1)").fill("10:00")
    page.get_by_role("button", name="Save hours", exact=True).click()
    expect(page.get_by_text("The end must be after the start.")).to_be_visible()
    expect(page.get_by_label("to (Monday, range 2)")).to_have_value("18:00")  # nothing typed is lost
    screenshot(page, "hours-flagged.png")
    page.get_by_role("button", name="Remove Tuesday's range 1").click()
    page.get_by_role("button", name="Save hours", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(f"{ADMIN_NAME}'s hours are saved.")
    expect(page.get_by_label("From (Monday, range 2)")).to_have_value("14:00")

    page.goto("/today")
    checklist(page).get_by_role("link", name="Add a client").click()
    page.get_by_label("Name", exact=True).fill("Robin Ashe")
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", name="Robin Ashe")).to_be_visible()

    page.goto("/today")
    expect(checklist(page)).to_have_count(0)
    page.get_by_role("link", name="Book", exact=True).click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    choose_client(page, "Robin Ashe", typed="rob")
    page.get_by_label("Practitioner", exact=True).select_option(label=ADMIN_NAME)
    page.get_by_label("Service", exact=True).select_option(label="Relaxation massage (60 min)")
    page.get_by_label("Date", exact=True).fill("2026-11-30")  # the Monday after, in the hours just saved
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("region", name=re.compile("^Free starts")).get_by_role("button", name="09:00").click()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Booked Robin Ashe at 09:00.")).to_be_visible()
