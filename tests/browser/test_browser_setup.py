"""First run: the practice is created from the setup page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ADMIN_EMAIL, ADMIN_NAME, PRACTICE_NAME, screenshot
from tests.conftest import PASSWORD


def fill_practice_details(page) -> None:
    page.get_by_label("Practice name").fill(PRACTICE_NAME)
    page.get_by_label("Address").fill("12 Harbour Street\nBristol")
    page.get_by_label("Phone", exact=True).fill("0117 496 0000")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Currency").fill("GBP")
    page.get_by_label("Phone country").fill("GB")


def fill_admin_account(page, password=PASSWORD, repeated=PASSWORD) -> None:
    page.get_by_label("Your name").fill(ADMIN_NAME)
    page.get_by_label("Your e-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(repeated)


def create_the_practice(page) -> None:
    page.get_by_role("button", name="Create the practice").click()


@pytest.mark.browser
def test_first_visit_sets_up_the_practice_and_signs_the_admin_in(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    expect(page.get_by_role("heading", name="Set up your practice")).to_be_visible()

    fill_practice_details(page)
    fill_admin_account(page)
    screenshot(page, "setup.png")
    create_the_practice(page)

    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.get_by_role("status")).to_have_text("Your practice is set up. Welcome!")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name=PRACTICE_NAME)).to_be_visible()
    expect(navigation).to_contain_text(f"{ADMIN_NAME} · Admin")
    expect(navigation.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("No appointments.")).to_be_visible()
    screenshot(page, "welcome.png")


@pytest.mark.browser
def test_setup_with_mismatched_passwords_keeps_what_was_typed(page):
    page.goto("/setup")
    fill_practice_details(page)
    fill_admin_account(page, repeated="correct horse battery staple")
    create_the_practice(page)

    repeated = page.get_by_label("Repeat the password")
    expect(repeated).to_have_attribute("aria-invalid", "true")
    expect(repeated).to_have_accessible_description("The two passwords differ.")
    expect(page.locator("#confirm-error")).to_be_visible()
    expect(page.get_by_label("Practice name")).to_have_value(PRACTICE_NAME)
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")
    expect(page.get_by_label("Your e-mail")).to_have_value(ADMIN_EMAIL)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "setup-errors.png")
