"""Referring a client: find a deep-tissue colleague who takes new clients, record the
referral, later record how it went."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from practice.audit.services import SYSTEM
from practice.clients import services as client_services
from practice.db import db
from referrals import services
from referrals.models import Modality, Referral
from tests.browser.helpers import AXE, axe_findings, screenshot, sign_in
from tests.conftest import NOW


@pytest.fixture
def network(live_app, admin) -> int:
    """Two deep-tissue colleagues (one full), a physiotherapist, and a client; the client's id."""
    with live_app.app_context():
        ids = {m.name: m.id for m in db.session.scalars(sa.select(Modality))}
        for name, modalities, accepting, area in (
            ("Rafael Costa", ["Deep tissue", "Trigger point therapy"], "yes", "Headingley"),
            ("Oliver Grant", ["Deep tissue"], "no", "Headingley"),
            ("Dr Imran Shah", ["Physiotherapy"], "yes", "Roundhay"),
        ):
            specialist = services.create_specialist(db.session, SYSTEM, services.SpecialistDetails(
                name=name, modality_ids=[ids[m] for m in modalities], accepting=accepting, area=area,
                phone="0113 496 0001"), phone_region="GB", now=NOW)
            specialist.verified_on = NOW.date()
        db.session.commit()
        client = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(
            display_name="Sam Rivers"), phone_region="GB", now=NOW)
        client_id = client.id
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return client_id


@pytest.mark.browser
def test_refer_a_client_to_a_deep_tissue_colleague(page, admin, network):
    page.context.add_init_script(path=str(AXE))
    sign_in(page, admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
    page.get_by_label("Modality", exact=True).select_option("Deep tissue")
    page.get_by_label("Accepting new clients", exact=True).select_option("yes")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Rafael Costa")).to_be_visible()
    expect(page.get_by_role("link", name="Oliver Grant")).to_have_count(0)
    screenshot(page, "referrals-directory.png")

    page.goto("/referrals/match")
    page.get_by_label("Client (to record a referral)").fill("sam")
    page.get_by_label("What the client needs").select_option("Deep tissue")
    page.get_by_label("Area (optional)").fill("Headingley")
    page.get_by_role("button", name="Find colleagues").click()
    page.get_by_role("link", name="Sam Rivers").click()
    expect(page.get_by_role("heading", name="Find a colleague for Sam Rivers")).to_be_visible()
    best = page.get_by_role("listitem", name="Rafael Costa")
    expect(best).to_contain_text("Accepting new clients")
    expect(best).to_contain_text("In Headingley")
    screenshot(page, "referrals-match.png")
    for width in (390, 1366):  # the referral form and each colleague's button
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_findings(page) == []
        assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0

    # One referral form for the page; each colleague's button submits it.
    referral = page.get_by_role("region", name="Record a referral for Sam Rivers")
    referral.get_by_label("What the client needs").fill("Wants firmer pressure than we offer")
    referral.get_by_label("Follow up on").press("Enter")  # the form's default button: disabled
    expect(page.get_by_role("heading", name="Find a colleague for Sam Rivers")).to_be_visible()
    expect(referral.get_by_label("What the client needs")).to_have_value("Wants firmer pressure than we offer")
    best.get_by_role("button", name="Refer Sam Rivers to Rafael Costa").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Sam Rivers is referred to Rafael Costa. Follow up on 7 December 2026.")).to_be_visible()

    page.get_by_label("Outcome").select_option("A good match")
    page.get_by_label("Note").fill("Sam has booked three sessions")
    page.get_by_role("button", name="Save the outcome").click()
    expect(page.locator("#referral-outcome")).to_have_text("A good match: Sam has booked three sessions")
    screenshot(page, "referral.png")


@pytest.mark.browser
def test_enter_in_the_referral_forms_date_refers_no_one_without_javascript(browser, live_server, live_app, admin,
                                                                           network):
    """As in the referral network mounted on its own, which loads no practice.js: Chromium's
    date fields press the form's first enabled button, which asks to stay."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB",
                                  timezone_id="Europe/London")
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, admin)
    with live_app.app_context():
        deep = db.session.scalar(sa.select(Modality.id).where(Modality.name == "Deep tissue"))
    page.goto(f"/referrals/match?client={network}&modality={deep}")
    referral = page.get_by_role("region", name="Record a referral for Sam Rivers")
    referral.get_by_label("What the client needs").fill("Wants firmer pressure than we offer")
    with page.expect_response(lambda response: response.url.endswith("/referrals/refer")) as answer:
        referral.get_by_label("Follow up on").press("Enter")
    assert answer.value.status == 204
    expect(page.get_by_role("heading", name="Find a colleague for Sam Rivers")).to_be_visible()
    expect(referral.get_by_label("What the client needs")).to_have_value("Wants firmer pressure than we offer")
    with live_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
        db.session.remove()
    context.close()
