"""A client follows the link e-mailed to them to acknowledge the policy: the message comes
through a real SMTP server in the test process, the link opens in the browser without signing
in, on a phone's width, passes axe-core, and works once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from practice.audit.services import SYSTEM
from practice.clients import services as client_services
from practice.db import db
from practice.policies import online
from practice.policies.models import PolicyAcknowledgement
from tests.browser.helpers import AXE, axe_findings, screenshot
from tests.conftest import NOW
from tests.test_jobs import run_jobs

PHONE = {"width": 390, "height": 844}
pytestmark = pytest.mark.mail  # the app e-mails the link the test follows


@pytest.mark.browser
def test_a_client_acknowledges_the_policy_with_the_link_in_the_email(page, live_app, live_server, admin, inbox):
    live_app.config["PRACTICE_BASE_URL"] = live_server  # links in messages lead to this server
    with live_app.app_context():
        noor = client_services.create_client(db.session, SYSTEM, client_services.ClientDetails(
            display_name="Noor Haddad", email="noor@example.org"), phone_region="GB", now=NOW)
        online.ask_to_acknowledge(db.session, SYSTEM, noor, valid_for=timedelta(days=14), now=NOW)
        db.session.commit()
        noor_id = noor.id
        run_jobs()
        db.session.remove()
    [received] = inbox.messages
    [link] = [word for word in received.text.split() if word.startswith(f"{live_server}/acknowledge/")]

    page.context.add_init_script(path=str(AXE))
    page.set_viewport_size(PHONE)
    page.goto(link)
    expect(page.get_by_role("heading", name="Please read our policy")).to_be_visible()
    assert axe_findings(page) == []
    expect(page.get_by_text("version 1", exact=False).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "acknowledge-policy.png")
    page.get_by_role("button", name="Acknowledge the policy").click()  # the box not ticked yet
    expect(page.get_by_text("Tick the box to say you have read the policy.")).to_be_visible()
    page.get_by_label("I have read the practice's policy").check()
    page.get_by_role("button", name="Acknowledge the policy").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your acknowledgement of the policy (version 1) is recorded")
    assert axe_findings(page) == []

    page.goto(link)  # once only
    expect(page.get_by_text("This link has been used already")).to_be_visible()
    with live_app.app_context():
        [ack] = db.session.scalars(sa.select(PolicyAcknowledgement).where(PolicyAcknowledgement.client_id == noor_id))
        assert (ack.method, ack.address) == ("online", "127.0.0.1")
        db.session.remove()

