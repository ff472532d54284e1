"""The policy in the browser: the admin publishes version 2; at the desk a client who has not
acknowledged it carries a notice, and marking their no-show asks before charging the fee.

The app's clock stands at NOW: Monday 23 November 2026, 10:00 in London."""

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.clients import services as client_services
from practice.db import db
from practice.scheduling import services
from tests.browser.helpers import screenshot, sign_in
from tests.conftest import NOW, PASSWORD

TODAY = NOW.date()


@pytest.fixture
def missed(live_app, front_desk) -> int:
    """Noor Haddad, who has not acknowledged the policy, booked at 09:00 today and not come."""
    with live_app.app_context():
        practitioner = auth_services.create_user(
            db.session, SYSTEM, email="rowan@harbour.example", name="Rowan Hale",
            role="practitioner", password=PASSWORD, now=NOW,
        ).practitioner
        services.set_working_hours(db.session, SYSTEM, practitioner.id,
                                   [(d, time(9), time(18)) for d in range(7)], now=NOW)
        service = services.create_service(db.session, SYSTEM, name="Remedial massage", duration_minutes=60,
                                          price_cents=6000, now=NOW)
        noor = client_services.create_client(
            db.session, SYSTEM, client_services.ClientDetails(display_name="Noor Haddad"),
            phone_region="GB", now=NOW)
        start = services.local_moment(TODAY, time(9), services.practice_zone(db.session))
        appointment_id = services.book(db.session, SYSTEM, services.BookingRequest(
            noor.id, practitioner.id, service.id, start), now=NOW - timedelta(days=1)).id
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return appointment_id


@pytest.mark.browser
def test_a_new_version_and_a_fee_for_a_client_who_has_not_acknowledged_it(page, admin, front_desk, missed):
    sign_in(page, admin)
    page.goto("/settings/policy")
    expect(page.get_by_role("heading", name="In force now: version 1")).to_be_visible()
    page.get_by_label("In force from").fill(TODAY.isoformat())
    page.get_by_label("Cancellation window (hours)").fill("48")
    page.get_by_role("button", name="Publish version 2").click()
    page.wait_for_load_state()
    expect(page.get_by_role("status").first).to_have_text(
        "Version 2 is published; it is in force from 23 November 2026.")
    expect(page.get_by_role("heading", name="In force now: version 2")).to_be_visible()
    screenshot(page, "policy-settings.png")
    page.goto("/policy")
    expect(page.get_by_text("at least 48 hours' notice")).to_be_visible()
    screenshot(page, "policy.png")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()

    sign_in(page, front_desk)
    expect(page).to_have_url(re.compile(r"/today$"))
    row = page.locator(f'[data-appointment="{missed}"]')
    expect(row.get_by_text("Policy not acknowledged")).to_be_visible()
    row.get_by_role("button", name="No-show").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="This will charge £60.00")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Noor Haddad has not acknowledged the current policy (version 2).")
    expect(page.get_by_role("button", name="Record it without the fee")).to_have_count(0)
    screenshot(page, "confirm-fee.png")
    page.get_by_role("link", name="Go back").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/today\??$"))
    expect(row).to_contain_text("Booked")

    row.get_by_role("button", name="No-show").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Mark as a no-show and charge £60.00").click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/today\??$"))
    expect(page.get_by_role("status")).to_have_text("Noor Haddad is marked as not having come.")
    expect(row).to_contain_text("Did not come")
    expect(row).to_contain_text("£60.00")
    screenshot(page, "today-policy-notice.png")
