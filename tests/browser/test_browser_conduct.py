"""The conduct record, on the demo practice: Tomasz records a threat a client sent him, with
the screenshot of the message; the client page's suggestion changes; he decides to move the
client on; the front desk then sees only "Not bookable", and moving the client's coming
session is refused with the neutral message.

The app's clock stands at NOW: Monday 23 November 2026, 10:00 in London."""

import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from practice.clients.identity import NOT_BOOKABLE
from practice.clients.models import Client
from practice.db import db
from practice.demo import DEMO_PASSWORD, build_demo
from practice.scheduling.models import Appointment
from tests.browser.helpers import Account, screenshot, sign_in
from tests.conftest import NOW

TOMASZ = Account("Tomasz Nowak", "tomasz@demo.practice", DEMO_PASSWORD)
FRONT_DESK = Account("Jo Whitfield", "frontdesk@demo.practice", DEMO_PASSWORD)
CLIENT = "Lukas Becker"  # Tomasz's client, booked on Wednesday at 09:00, nothing on record
THREAT = "You'll be sorry. I know where you park."


@pytest.fixture
def demo(live_app) -> dict[str, int]:
    """The demo practice, built at NOW; returns the client's id and his coming session's."""
    with live_app.app_context():
        build_demo(db.session, NOW)
        client_id = db.session.scalar(select(Client.id).where(Client.display_name == CLIENT))
        coming = db.session.scalar(select(Appointment.id).where(
            Appointment.client_id == client_id, Appointment.start_at > NOW))
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return {"client": client_id, "coming": coming}


@pytest.fixture
def message_screenshot(tmp_path):
    """A PNG of the text message, as a phone's screenshot would keep it."""
    image = Image.new("RGB", (360, 240), (236, 236, 236))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((20, 60, 340, 140), radius=18, fill=(255, 255, 255))
    draw.text((36, 90), THREAT, fill=(20, 20, 20))
    draw.text((36, 160), "Sun 22 Nov, 21:47", fill=(110, 110, 110))
    path = tmp_path / "message.png"
    image.save(path, "PNG")
    return path


def start_the_day(page, account: Account) -> None:
    """Sign in and wait for the first page to finish loading (leaving it earlier would cut
    off its stylesheets and scripts)."""
    sign_in(page, account)
    expect(page).to_have_url(re.compile(r"/today$"))
    page.wait_for_load_state()


def record_the_threat(page, attachment) -> None:
    page.get_by_label("What kind of incident").select_option(label="Threats, aggression or violence")
    page.get_by_label("How serious").select_option(label="High")
    page.get_by_label("When it happened").fill("2026-11-22T21:47")
    page.get_by_label("How", exact=True).select_option(label="Text message")
    page.get_by_label("Where").fill("By text message, to the practice phone")
    page.get_by_label("What happened").fill(
        f'After I said I could not see him outside working hours, he texted: "{THREAT}"')
    page.get_by_label("What you said or did").fill("Did not reply. Saved the message.")
    page.get_by_label("The effect on you").fill("Checked the car park before leaving.")
    page.get_by_label(re.compile("^Evidence")).set_input_files(attachment)
    screenshot(page, "incident.png")
    page.get_by_role("button", name=re.compile("^Record")).click()


def move_the_client_on(page) -> None:
    page.get_by_role("link", name="Change the standing").click()
    page.get_by_label("New standing").select_option(label="Moved on")
    page.get_by_label("Reason", exact=True).fill("Threatening message after being told no; not safe to see again.")
    page.get_by_role("button", name="Save the decision").click()


@pytest.mark.browser
def test_an_incident_leads_to_moving_a_client_on(page, demo, message_screenshot):
    start_the_day(page, TOMASZ)
    page.goto(f"/clients/{demo['client']}")
    standing = page.get_by_role("region", name=re.compile("^Standing"))
    expect(standing).to_contain_text("Nothing in the record suggests a next step.")

    page.goto(f"/clients/{demo['client']}/conduct/incidents/new")
    record_the_threat(page, message_screenshot)
    expect(page.get_by_role("status").first).to_contain_text("The incident is recorded.")
    expect(page.locator("main")).to_contain_text(THREAT)
    expect(page.locator("main")).to_contain_text("message.png")
    page.wait_for_load_state()
    screenshot(page, "conduct-record.png")

    page.goto(f"/clients/{demo['client']}")
    standing = page.get_by_role("region", name=re.compile("^Standing"))
    expect(standing.locator(".suggestion")).to_contain_text("Consider moving the client on")
    move_the_client_on(page)
    expect(page.get_by_role("region", name=re.compile("^Standing"))).to_contain_text("Standing: Moved on")
    page.wait_for_load_state()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    start_the_day(page, FRONT_DESK)
    page.goto(f"/clients/{demo['client']}")
    expect(page.get_by_text("Not bookable").first).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Threatening")  # the reason is not theirs to see
    page.goto(f"/appointments/{demo['coming']}")
    page.get_by_label("New date").fill("2026-11-27")
    page.get_by_label("New start").fill("12:00")
    page.get_by_role("button", name="Move appointment").click()
    expect(page.locator("main")).to_contain_text(NOT_BOOKABLE)
    expect(page.get_by_label("New date")).to_have_value("2026-11-27")  # what was typed stays
    expect(page.get_by_label("New start")).to_have_value("12:00")
    screenshot(page, "front-desk-not-bookable.png")
