"""Booking a time the clocks show twice: the page asks which one next to the time, on a
phone's width as on a desk's, and the choice is made with the keyboard."""

import re
from datetime import datetime, time, timezone

import pytest
from playwright.sync_api import expect

from practice.db import db
from tests.browser.helpers import choose_client, screenshot, sign_in
from tests.browser.test_browser_front_desk import PRACTITIONER, SERVICE, WALK_IN, _client
from tests.conftest import PASSWORD

NIGHT = "2027-10-31"  # London's clocks go back from 02:00 to 01:00


@pytest.fixture
def night_shift(live_app, front_desk):
    """A practitioner working 00:00-04:00 on Sundays and a client; the app's clock reads the
    day before the change."""
    from practice.audit.services import SYSTEM
    from practice.auth import services as auth_services
    from practice.scheduling import services

    before = datetime(2027, 10, 30, 12, tzinfo=timezone.utc)
    with live_app.app_context():
        practitioner = auth_services.create_user(
            db.session, SYSTEM, email="rowan@harbour.example", name=PRACTITIONER,
            role="practitioner", password=PASSWORD, now=before).practitioner
        services.set_working_hours(db.session, SYSTEM, practitioner.id, [(6, time(0), time(4))], now=before)
        services.create_service(db.session, SYSTEM, name=SERVICE, duration_minutes=60,
                                price_cents=6000, now=before)
        _client(WALK_IN)
        db.session.commit()  # as the requests that set it up would
        db.session.remove()
    live_app.extensions["practice"].clock.at = before


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_a_time_that_happens_twice_is_asked_about_and_booked_as_chosen(page, front_desk, night_shift, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, front_desk)
    page.goto(f"/appointments/new?day={NIGHT}")
    choose_client(page, WALK_IN)
    page.get_by_label("Practitioner", exact=True).select_option(label=PRACTITIONER)
    page.get_by_label("Service", exact=True).select_option(label=f"{SERVICE} (60 min)")
    page.get_by_label("Start", exact=True).fill("01:30")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.locator("#start-error")).to_have_text(re.compile(
        r"^01:30 happens twice on Sunday 31 October 2027: clocks go back from 02:00 to 01:00\."))
    choices = page.get_by_role("group", name="Which one?")
    expect(choices.get_by_role("radio")).to_have_count(2)
    expect(page.get_by_label("Start", exact=True)).to_have_value("01:30")  # what was typed stays
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"book-twice-{width}.png")

    choices.get_by_role("radio", name="01:30 BST, the first").focus()
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys
    expect(choices.get_by_role("radio", name="01:30 GMT, the second")).to_be_checked()
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("status")).to_have_text(f"Booked {WALK_IN} at 01:30 GMT.")
    expect(page.locator(".book-appt").filter(has_text=WALK_IN)).to_contain_text("01:30 GMT–02:30 GMT")
