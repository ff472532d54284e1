"""Signing out and back in."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import screenshot, sign_in

NO_MATCH = "That e-mail address and password do not match an active account."


def sign_out(page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()


@pytest.mark.browser
def test_sign_out_then_in_again_after_a_wrong_password(page, admin):
    sign_in(page, admin)
    expect(page).to_have_url(re.compile(r"/today$"))

    sign_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/clients/")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    sign_in(page, admin, password="not the password")
    expect(page.get_by_role("alert")).to_have_text(NO_MATCH)
    expect(page.get_by_label("E-mail")).to_have_value(admin.email)
    expect(page.get_by_label("Password")).to_have_value("")
    screenshot(page, "login.png")

    sign_in(page, admin)
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(f"{admin.name} · Admin")
