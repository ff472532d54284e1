"""Adding a client and finding them again."""

import re

import pytest
from playwright.sync_api import expect

from practice.audit.services import SYSTEM
from practice.clients import services as client_services
from practice.db import db
from tests.browser.helpers import screenshot, sign_in
from tests.conftest import NOW

INVALID_PHONE = "This is not a valid phone number."


@pytest.fixture
def other_client(live_app, admin) -> str:
    """A second client, so that a search has someone to leave out."""
    details = client_services.ClientDetails(
        display_name="Robin Hart", phone="0117 496 0123", email="robin@example.org"
    )
    with live_app.app_context():
        client_services.create_client(db.session, SYSTEM, details, phone_region="GB", now=NOW)
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return details.display_name


def open_new_client_form(page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="Add a client").click()
    expect(page.get_by_role("heading", name="Add a client")).to_be_visible()


def fill_client(page, name, phone="", email="") -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Phone").fill(phone)
    page.get_by_label("E-mail").fill(email)


def add_client(page) -> None:
    page.get_by_role("button", name="Add client").click()


def detail(page, term: str):
    """The value next to `term` on the client page."""
    return page.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def search_clients(page, text: str) -> None:
    page.get_by_role("searchbox", name="Search clients").fill(text)
    page.get_by_role("button", name="Search").click()


def client_rows(page):
    return page.get_by_role("row").filter(has=page.get_by_role("link"))


@pytest.mark.browser
def test_add_a_client_and_see_their_page(page, admin, other_client):
    sign_in(page, admin)
    open_new_client_form(page)
    fill_client(page, "Sam Taylor", phone="07911 123456", email="sam@example.org")
    screenshot(page, "new-client.png")
    add_client(page)

    expect(page).to_have_url(re.compile(r"/clients/\d+$"))
    expect(page.get_by_role("status")).to_have_text("Sam Taylor is added.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam Taylor")
    expect(detail(page, "Phone")).to_have_text("+44 7911 123456")
    expect(detail(page, "Phone").get_by_role("link")).to_have_attribute("href", "tel:+447911123456")
    expect(detail(page, "E-mail")).to_have_text("sam@example.org")
    expect(detail(page, "Client since")).to_have_text("23 November 2026")
    screenshot(page, "client.png")


@pytest.mark.browser
def test_find_a_client_by_part_of_the_name_or_by_phone_digits(page, admin, other_client):
    sign_in(page, admin)
    open_new_client_form(page)
    fill_client(page, "Sam Taylor", phone="07911 123456", email="sam@example.org")
    add_client(page)
    page.get_by_role("link", name="← Clients").click()
    expect(client_rows(page)).to_have_count(2)
    screenshot(page, "clients.png")

    for text in ("tayl", "7911 123", "07911123456"):
        search_clients(page, text)
        expect(client_rows(page)).to_have_count(1)
        expect(client_rows(page)).to_contain_text("+44 7911 123456")
        expect(page.get_by_text(f"1 client matching “{text}”.")).to_be_visible()

    search_clients(page, "nobody")
    expect(page.get_by_text("No client matches this search.")).to_be_visible()


@pytest.mark.browser
def test_a_wrong_phone_number_is_shown_next_to_the_field_and_the_form_keeps_its_values(page, admin):
    sign_in(page, admin)
    open_new_client_form(page)
    fill_client(page, "Sam Taylor", phone="12345", email="sam@example.org")
    add_client(page)

    phone = page.get_by_label("Phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile(re.escape(INVALID_PHONE)))
    expect(phone).to_have_value("12345")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Sam Taylor")
    expect(page.get_by_label("E-mail")).to_have_value("sam@example.org")
    screenshot(page, "new-client-errors.png")
