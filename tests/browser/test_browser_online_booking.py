"""A new person books online on a phone: the services, a free time, the booking form with the
policy, the link e-mailed through a real SMTP server in the test process, the confirmation,
and their own appointments; every page at 390 px, without sideways scrolling, passes axe-core,
and works without JavaScript."""

from datetime import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from practice.audit.services import SYSTEM
from practice.booking import services as booking
from practice.db import db
from practice.scheduling import services as scheduling
from practice.scheduling.models import Appointment
from tests.browser.helpers import AXE, axe_findings, screenshot
from tests.conftest import NOW
from tests.test_jobs import run_jobs
from tests.test_scheduling import MONDAY

PHONE = {"width": 390, "height": 844}
pytestmark = pytest.mark.mail  # the app e-mails the link the test follows


def open_for_booking(live_app) -> None:
    with live_app.app_context():
        from practice.auth import services as auth_services

        user = auth_services.create_user(db.session, SYSTEM, email="amara@harbour.example", name="Amara Osei",
                                         role="practitioner", password="correct horse battery", now=NOW)
        practitioner = user.practitioner
        scheduling.set_working_hours(db.session, SYSTEM, practitioner.id,
                                     [(d, time(9), time(17)) for d in range(7)], now=NOW)
        service = scheduling.create_service(db.session, SYSTEM, name="Remedial massage, 60 minutes",
                                            duration_minutes=60, price_cents=6500, buffer_after_minutes=15, now=NOW)
        booking.update_settings(db.session, SYSTEM, booking.SettingsChange(
            True, 24, 60, 15, {practitioner.id: "all"}, {service.id}), now=NOW)
        db.session.commit()
        db.session.remove()


def delivered_link(live_app, inbox, live_server, path: str) -> str:
    with live_app.app_context():
        run_jobs()
        db.session.remove()
    words = [w for m in inbox.messages for w in m.text.split() if w.startswith(f"{live_server}/book/{path}/")]
    return words[-1]


def check(page) -> None:
    assert axe_findings(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
def test_a_new_person_books_online_on_a_phone(page, live_app, live_server, admin, inbox):
    live_app.config["PRACTICE_BASE_URL"] = live_server
    open_for_booking(live_app)
    page.context.add_init_script(path=str(AXE))
    page.set_viewport_size(PHONE)

    page.goto("/book/")
    expect(page.get_by_text("Harbour Street Massage").first).to_be_visible()
    check(page)
    page.get_by_role("link", name="Remedial massage, 60 minutes").click()
    expect(page.get_by_role("heading", name="The first free times")).to_be_visible()
    check(page)
    page.get_by_label("Day").fill(MONDAY.isoformat())
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("link", name="10:00").click()

    expect(page.get_by_role("heading", name="Book Remedial massage, 60 minutes")).to_be_visible()
    page.get_by_label("Your name").fill("Robin Newcomer")
    page.get_by_label("E-mail", exact=True).fill("robin@example.org")
    check(page)
    page.get_by_label("I have read the practice's policy above").check()
    screenshot(page, "book-online-phone.png")
    page.get_by_label("I have read the practice's policy above").uncheck()
    page.get_by_role("button", name="Hold this time and e-mail me the link").click()
    expect(page.get_by_text("Tick the box to say you have read the policy.")).to_be_visible()
    check(page)
    page.get_by_label("I have read the practice's policy above").check()
    page.get_by_role("button", name="Hold this time and e-mail me the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    check(page)

    page.goto(delivered_link(live_app, inbox, live_server, "confirm"))
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Confirm the booking").click()
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
    check(page)

    page.goto(delivered_link(live_app, inbox, live_server, "mine"))
    expect(page.get_by_role("heading", name="Your appointments")).to_be_visible()
    check(page)
    page.get_by_role("link", name="Move the appointment on 30 November").click()
    expect(page.get_by_role("heading", name="Move this appointment")).to_be_visible()
    check(page)
    page.go_back()
    page.get_by_role("link", name="Cancel the appointment on 30 November").click()
    expect(page.get_by_text("Cancelling now costs nothing.")).to_be_visible()
    check(page)
    page.goto("/book/inquire")
    expect(page.get_by_role("heading", name="Ask to be told when there is room")).to_be_visible()
    check(page)
    with live_app.app_context():
        assert db.session.scalars(sa.select(Appointment)).one().booked_online
        db.session.remove()


@pytest.mark.browser
def test_online_booking_works_without_javascript(browser, live_app, live_server, admin, inbox):
    open_for_booking(live_app)
    context = browser.new_context(java_script_enabled=False, base_url=live_server, viewport=PHONE)
    page = context.new_page()
    page.goto("/book/")
    page.get_by_role("link", name="Remedial massage, 60 minutes").click()
    page.get_by_label("Day").fill(MONDAY.isoformat())
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("link", name="11:00").click()
    page.get_by_label("Your name").fill("Sky Plain")
    page.get_by_label("E-mail", exact=True).fill("sky@example.org")
    page.get_by_label("I have read the practice's policy above").check()
    page.get_by_role("button", name="Hold this time and e-mail me the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    context.close()
