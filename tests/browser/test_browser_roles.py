"""What each role sees in the navigation."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import screenshot, sign_in

ADMIN_ONLY_SECTIONS = ("Settings", "Users", "Audit trail")


def navigation_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


@pytest.mark.browser
def test_admin_sees_settings_and_users(page, admin):
    sign_in(page, admin)
    for section in ("Clients", *ADMIN_ONLY_SECTIONS):
        expect(navigation_link(page, section)).to_be_visible()


@pytest.mark.browser
def test_front_desk_sees_neither_settings_nor_users(page, front_desk):
    sign_in(page, front_desk)
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Fran Desk · Front desk")
    expect(navigation_link(page, "Clients")).to_be_visible()
    for section in ADMIN_ONLY_SECTIONS:
        expect(navigation_link(page, section)).to_have_count(0)
    screenshot(page, "front-desk.png")

    page.goto("/settings/")
    expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
