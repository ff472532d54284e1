"""The evidence report made in the background: the practitioner asks for it on the conduct
record, follows it on the job's page (polled by JavaScript, or refreshed by the page itself
without it) and opens the PDF when the worker has made it; the admin sees the queue.

The app's clock stands at NOW: Monday 23 November 2026, 10:00 in London."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from practice.audit.services import SYSTEM
from practice.clients import services as client_services
from practice.conduct import queries as conduct_queries
from practice.conduct import services as conduct_services
from practice.db import db
from practice.jobs.worker import Worker
from tests.browser.helpers import screenshot, sign_in
from tests.conftest import NOW

WIDTHS = (1366, 390)


@pytest.fixture
def robin(live_app, admin) -> int:
    """A client of the admin's with two incidents on record."""
    with live_app.app_context():
        client = client_services.create_client(
            db.session, SYSTEM, client_services.ClientDetails(display_name="Robin Hale"), phone_region="GB", now=NOW)
        category = conduct_queries.categories()[0]
        for days, text in ((9, "Texted eleven times overnight."), (2, "Waited by the car after work.")):
            details = conduct_services.IncidentDetails(
                category_id=category.id, severity="medium", occurred_from=NOW - timedelta(days=days),
                channel="text", description=text)
            conduct_services.record_incident(db.session, SYSTEM, client, details, [], max_bytes=1024, now=NOW)
        client_id = client.id
        db.session.commit()  # as the request that made it would
        db.session.remove()
    return client_id


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def ask_for_the_report(page, client_id: int) -> None:
    page.goto(f"/clients/{client_id}/conduct")
    page.get_by_label("From").fill("2026-11-01")
    page.get_by_role("button", name="Make the evidence report").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence report: Robin Hale, from 1 Nov 2026")


@pytest.mark.browser
def test_the_evidence_report_is_followed_on_its_page_and_opened_when_ready(page, live_app, admin, robin):
    sign_in(page, admin)
    expect(page).to_have_url(re.compile(r"/today$"))
    ask_for_the_report(page, robin)
    expect(page.locator("#job-state")).to_have_text("Waiting for the worker to start it.")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    page.wait_for_load_state()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits_the_width(page), width
    screenshot(page, "job-waiting.png")

    assert Worker(live_app, name="browser-test").run(burst=True) == 1
    page.set_viewport_size({"width": 1366, "height": 900})
    ready = page.get_by_role("link", name=re.compile(r"^Open conduct-record-\d+-20261123\.pdf$"))
    expect(ready).to_be_visible(timeout=10_000)  # the page polled, saw it finished and reloaded
    expect(page.locator("#job-state")).to_contain_text("Ready since 23 Nov 2026 10:00")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits_the_width(page), width
        screenshot(page, f"job-done-{width}.png")
    pdf = page.request.get(ready.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    ready.focus()  # reachable and named for the keyboard
    expect(ready).to_be_focused()
    page.goto("/jobs/")
    expect(page.get_by_role("heading", name=re.compile("Evidence report: Robin Hale"))).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits_the_width(page), width
    screenshot(page, "jobs.png")


@pytest.mark.browser
def test_without_javascript_the_job_page_refreshes_itself(browser, live_server, live_app, admin, robin):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB",
                                  timezone_id="Europe/London")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, admin)
        expect(page).to_have_url(re.compile(r"/today$"))
        ask_for_the_report(page, robin)
        expect(page.get_by_role("link", name="Reload")).to_be_visible()
        assert Worker(live_app, name="browser-test").run(burst=True) == 1
        expect(page.get_by_role("link", name=re.compile(r"^Open conduct-record-"))).to_be_visible()
    finally:
        context.close()
