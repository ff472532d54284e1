"""The front desk's morning: book a client, check one in late, mark a no-show (after seeing
the fee), take a payment, undo the no-show when the client walks in after all, and cancel a
later appointment inside the window (after seeing the fee).

The app's clock stands at NOW: Monday 23 November 2026, 10:00 in London."""

import re
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.clients import services as client_services
from practice.db import db
from practice.policies import services as policy_services
from practice.policies.queries import current_policy
from practice.scheduling import services
from tests.browser.helpers import choose_client, screenshot, sign_in
from tests.conftest import NOW, PASSWORD

PRACTITIONER = "Rowan Hale"
SERVICE = "Remedial massage"
TODAY = NOW.date()
# Who is booked today, and when: two before NOW, two after.
BOOKED = {"Ana Byrne": "08:00", "Bo Lund": "09:15", "Cy Marsh": "11:00", "Dee Okoro": "14:00"}
WALK_IN = "Eli Park"  # booked in the browser


@dataclass(frozen=True)
class Morning:
    appointments: dict[str, int]  # client name -> appointment id


@pytest.fixture
def morning(live_app, front_desk) -> Morning:
    """A practitioner working 08:00-13:00 and 14:00-18:00 every day, a 60-minute service at
    £60.00 with a 15-minute buffer, today's bookings (made yesterday) and one more client."""
    with live_app.app_context():
        practitioner = auth_services.create_user(
            db.session, SYSTEM, email="rowan@harbour.example", name=PRACTITIONER,
            role="practitioner", password=PASSWORD, now=NOW,
        ).practitioner
        hours = [(d, time(8), time(13)) for d in range(7)] + [(d, time(14), time(18)) for d in range(7)]
        services.set_working_hours(db.session, SYSTEM, practitioner.id, hours, now=NOW)
        service = services.create_service(db.session, SYSTEM, name=SERVICE, duration_minutes=60,
                                          price_cents=6000, buffer_after_minutes=15, now=NOW)
        zone = services.practice_zone(db.session)
        booked = {name: _book(practitioner.id, service.id, name, hhmm, zone) for name, hhmm in BOOKED.items()}
        _client(WALK_IN)
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return Morning(booked)


def _client(name: str):
    """A client who signed the practice's policy at intake."""
    client = client_services.create_client(
        db.session, SYSTEM, client_services.ClientDetails(display_name=name), phone_region="GB", now=NOW
    )
    policy_services.record_acknowledgement(db.session, SYSTEM, client.id, current_policy(db.session, NOW).id,
                                           "signed_at_intake", NOW.date(), now=NOW)
    return client


def _book(practitioner_id: int, service_id: int, name: str, hhmm: str, zone) -> int:
    start = services.local_moment(TODAY, time.fromisoformat(hhmm), zone)
    request = services.BookingRequest(_client(name).id, practitioner_id, service_id, start)
    return services.book(db.session, SYSTEM, request, now=NOW - timedelta(days=1)).id


def row(page, appointment_id: int):
    return page.locator(f'[data-appointment="{appointment_id}"]')


def status_message(page):
    """The message an action leaves (Today's "the day changed" notice is a status too)."""
    return page.locator('[role="status"]:not(#day-changed)')


def book_walk_in(page) -> None:
    """From /today: the Book button, the free starts, then the booking itself."""
    page.get_by_role("link", name="Book", exact=True).click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    choose_client(page, WALK_IN, typed="eli")
    page.get_by_label("Practitioner", exact=True).select_option(label=PRACTITIONER)
    page.get_by_label("Service", exact=True).select_option(label=f"{SERVICE} (60 min)")
    page.get_by_label("Date", exact=True).fill(TODAY.isoformat())
    page.get_by_role("button", name="Show free times").click()
    # Nothing this morning (past, or taken with its buffer); the afternoon after Dee's 14:00.
    free = page.get_by_role("region", name=f"Free starts with {PRACTITIONER} on Monday 23 November")
    expect(free.get_by_role("button", name=re.compile(r"^\d\d:\d\d$"))).to_have_text(
        ["15:15", "15:30", "15:45", "16:00", "16:15", "16:30", "16:45", "17:00"])
    free.get_by_role("button", name="15:30").click()
    expect(page.get_by_label("Start", exact=True)).to_have_value("15:30")
    screenshot(page, "book.png")
    page.get_by_role("button", name="Book", exact=True).click()


def check_in_late(page, appointment_id: int, arrived: str) -> None:
    """From the appointment's own page, with the time the client really arrived."""
    row(page, appointment_id).get_by_role("link", name=re.compile(r"^\d\d:\d\d–")).click()
    page.get_by_label("Arrived at").fill(arrived)
    page.get_by_role("button", name="Check in", exact=True).click()


@pytest.mark.browser
def test_the_front_desks_morning(page, front_desk, morning):
    ana, bo = morning.appointments["Ana Byrne"], morning.appointments["Bo Lund"]
    sign_in(page, front_desk)
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Monday 23 November 2026")
    expect(page.locator("[data-appointment]")).to_have_count(len(BOOKED))

    book_walk_in(page)
    expect(page).to_have_url(re.compile(r"/calendar\?date=2026-11-23$"))
    expect(status_message(page)).to_have_text(f"Booked {WALK_IN} at 15:30.")
    expect(page.locator(".book-appt").filter(has_text=WALK_IN)).to_contain_text("15:30–16:30")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    expect(row(page, bo)).to_contain_text("Booked")
    check_in_late(page, bo, "09:40")
    expect(status_message(page)).to_have_text("Bo Lund checked in.")
    expect(page.locator("dt", has_text="Arrived").locator("xpath=following-sibling::dd[1]")).to_have_text(
        "09:40 (25 min late; the session still ends at 10:15)")
    screenshot(page, "appointment.png")

    page.goto("/today")
    expect(row(page, bo)).to_contain_text("Arrived")
    expect(row(page, bo)).to_contain_text("25 min late")
    expect(row(page, bo)).to_contain_text("£60.00")

    row(page, ana).get_by_role("button", name="No-show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This will charge £60.00")
    page.get_by_role("button", name="Mark as a no-show and charge £60.00").click()
    expect(status_message(page)).to_have_text("Ana Byrne is marked as not having come.")
    expect(row(page, ana)).to_contain_text("Did not come")
    expect(row(page, ana)).to_contain_text("£60.00")  # the no-show fee, 100% by default
    expect(row(page, ana).get_by_role("button", name="Check in")).to_have_count(0)

    expect(row(page, bo).get_by_label("Amount")).to_have_value("60.00")
    row(page, bo).get_by_label("Method").select_option(label="Card")
    row(page, bo).get_by_role("button", name="Take payment").click()
    expect(status_message(page)).to_have_text("Payment recorded.")
    expect(row(page, bo).locator(":scope > div:nth-child(4)")).to_contain_text("paid")  # the state
    expect(row(page, bo).get_by_role("button", name="Take payment")).to_have_count(0)
    expect(page.locator("[data-appointment]")).to_have_count(len(BOOKED) + 1)
    screenshot(page, "today.png")

    # Ana walks in after all: the no-show is undone, the fee goes, and she is checked in.
    row(page, ana).get_by_role("link", name="Undo…").click()
    page.get_by_label("Why undo it").fill("Arrived after all: the bus was late")
    page.get_by_role("button", name="Undo the no-show").click()
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(status_message(page)).to_have_text(
        "The no-show is undone: Ana Byrne is booked again. The fee of £60.00 is removed.")
    expect(row(page, ana)).to_contain_text("Booked")
    expect(row(page, ana)).not_to_contain_text("£60.00")
    row(page, ana).get_by_role("button", name="Check in").click()
    expect(status_message(page)).to_have_text("Ana Byrne checked in.")
    expect(row(page, ana)).to_contain_text("Arrived")


@pytest.mark.browser
def test_a_late_cancellation_says_what_it_will_charge_first(page, front_desk, morning):
    cy = morning.appointments["Cy Marsh"]  # 11:00 today: inside the 24-hour window
    sign_in(page, front_desk)
    page.goto(f"/today?date={TODAY.isoformat()}")
    row(page, cy).get_by_role("link", name="Cancel…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel Cy Marsh's appointment")
    expect(page.locator("#cancel-fee")).to_contain_text("late-cancellation fee of £30.00")
    screenshot(page, "cancel-late.png")

    page.get_by_role("link", name="Go back: change nothing").click()
    expect(page).to_have_url(re.compile(rf"/today\?date={TODAY.isoformat()}$"))
    expect(row(page, cy)).to_contain_text("Booked")  # nothing was done

    row(page, cy).get_by_role("link", name="Cancel…").click()
    page.get_by_role("button", name="Cancel and charge £30.00").click()  # no reason chosen yet
    expect(page.get_by_text("Choose a reason, or write one.")).to_be_visible()
    page.get_by_label("Something else (write it below)").check()
    page.get_by_label("In your own words").fill("Phoned: stuck at work")
    page.get_by_role("button", name="Cancel and charge £30.00").click()
    expect(page).to_have_url(re.compile(rf"/today\?date={TODAY.isoformat()}$"))  # the same day, as left
    expect(status_message(page)).to_have_text("Cy Marsh's appointment at 11:00 is cancelled.")
    expect(row(page, cy)).to_contain_text("Late cancellation")
    expect(row(page, cy)).to_contain_text("£30.00")


def tab_to(page, target, most: int = 80) -> None:
    """Press Tab until `target` has the focus, as someone without a mouse would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


@pytest.mark.browser
def test_checking_in_and_undoing_with_the_keyboard_alone(page, front_desk, morning):
    cy = morning.appointments["Cy Marsh"]
    sign_in(page, front_desk)
    expect(page).to_have_url(re.compile(r"/today$"))
    tab_to(page, row(page, cy).get_by_role("button", name="Check in"))
    page.keyboard.press("Enter")
    expect(status_message(page)).to_have_text("Cy Marsh checked in.")

    undo = row(page, cy).get_by_role("link", name="Undo…")
    tab_to(page, undo)
    page.keyboard.press("Enter")  # the appointment's page, at its undo form
    tab_to(page, page.get_by_label("Why undo it"))
    page.keyboard.type("Checked in the wrong client")
    page.keyboard.press("Enter")
    expect(status_message(page)).to_have_text("The check-in is undone: Cy Marsh is booked again.")
    expect(row(page, cy)).to_contain_text("Booked")

    tab_to(page, row(page, cy).get_by_role("link", name="Cancel…"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_label("Client unwell"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Cancel and charge £30.00"))
    page.keyboard.press("Enter")
    expect(status_message(page)).to_have_text("Cy Marsh's appointment at 11:00 is cancelled.")
    expect(row(page, cy)).to_contain_text("Late cancellation")
