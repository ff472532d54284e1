"""The front desk's day, on the demo practice: Jo books a client into a free slot, checks a
client in who arrives late, marks one who does not come, and takes a payment, while the
morning goes on (the test moves the app's clock as the day does).

The day starts at NOW: Monday 23 November 2026, 10:00 in London. Mei's 10:00 is Sophie
Laurent; Tomasz's 10:15 is Paddy."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD, build_demo
from practice.scheduling.models import Appointment
from tests.browser.helpers import Account, choose_client, screenshot, sign_in
from tests.conftest import NOW

FRONT_DESK = Account("Jo Whitfield", "frontdesk@demo.practice", DEMO_PASSWORD)
LATE, ABSENT = "Sophie Laurent", "Paddy"  # today's 10:00 with Mei, 10:15 with Tomasz
WALK_IN = "Harriet Lowe"  # rings to ask for a short session with Amara today


@pytest.fixture
def demo(live_app) -> dict[str, int]:
    """The demo practice, built at NOW; returns today's appointment ids by client."""
    with live_app.app_context():
        build_demo(db.session, NOW)
        today = db.session.execute(
            select(Client.display_name, Appointment.id).join(Appointment.client)
            .where(Appointment.start_at >= NOW.replace(hour=0), Appointment.start_at < NOW.replace(hour=23))
        ).all()
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return dict(today)


def row(page, appointment_id: int):
    return page.locator(f'[data-appointment="{appointment_id}"]')


def status_message(page):
    """The message an action leaves (Today's "the day changed" notice is a status too)."""
    return page.locator('[role="status"]:not(#day-changed)')


def book_a_short_session(page) -> None:
    page.get_by_role("link", name="Book", exact=True).click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    choose_client(page, WALK_IN)
    page.get_by_label("Practitioner", exact=True).select_option(label="Amara Okafor")
    page.get_by_label("Service", exact=True).select_option(label="Back, neck and shoulders (30 min)")
    page.get_by_label("Date", exact=True).fill(NOW.date().isoformat())
    page.get_by_role("button", name="Show free times").click()
    free = page.get_by_role("region", name="Free starts with Amara Okafor on Monday 23 November")
    free.get_by_role("button", name="12:00").click()
    expect(page.get_by_label("Start", exact=True)).to_have_value("12:00")
    screenshot(page, "front-desk-book.png")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(status_message(page)).to_have_text(f"Booked {WALK_IN} at 12:00.")


def check_in_late(page, appointment_id: int, arrived: str) -> None:
    row(page, appointment_id).get_by_role("link", name=re.compile(r"^\d\d:\d\d–")).click()
    page.get_by_label("Arrived at").fill(arrived)
    page.get_by_role("button", name="Check in", exact=True).click()


def later(live_app, page, minutes: int) -> None:
    """The morning moves on; the page is read again at the new time."""
    live_app.extensions["practice"].clock.advance(minutes=minutes)
    page.goto("/today")


@pytest.mark.browser
def test_the_front_desks_day_on_the_demo(page, live_app, demo):
    late, absent = demo[LATE], demo[ABSENT]
    sign_in(page, FRONT_DESK)
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Monday 23 November 2026")
    expect(row(page, demo["Daniel Cohen"])).to_contain_text("Not bookable")

    book_a_short_session(page)

    later(live_app, page, 22)  # 10:22: Sophie Laurent arrives for her 10:00
    check_in_late(page, late, "10:22")
    expect(status_message(page)).to_have_text(f"{LATE} checked in.")
    expect(page.locator("dt", has_text="Arrived").locator("xpath=following-sibling::dd[1]")).to_contain_text(
        "22 min late")

    later(live_app, page, 18)  # 10:40: no sign of Paddy, booked at 10:15
    row(page, absent).get_by_role("button", name="No-show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("This will charge")
    page.get_by_role("button", name=re.compile("^Mark as a no-show and charge")).click()
    expect(status_message(page)).to_have_text(f"{ABSENT} is marked as not having come.")
    expect(row(page, absent)).to_contain_text("Did not come")

    later(live_app, page, 25)  # 11:05: Sophie's session has ended; she pays by card
    expect(row(page, late)).to_contain_text("22 min late")
    row(page, late).get_by_label("Method").select_option(label="Card")
    row(page, late).get_by_role("button", name="Take payment").click()
    expect(status_message(page)).to_have_text("Payment recorded.")
    expect(row(page, late).get_by_role("button", name="Take payment")).to_have_count(0)
    expect(page.locator("[data-appointment]", has_text=WALK_IN)).to_contain_text("12:00")
    screenshot(page, "front-desk-day.png")

    # The same day on the desk's tablet, upright (820 px): each appointment a stacked card.
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/today")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    screenshot(page, "today-tablet.png")
