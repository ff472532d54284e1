"""Browser fixtures: the app served on a real port, one headless Chromium per session, a fresh
browser context (cookies, storage) per test.

The live app keeps the FixedClock that make_app installs: dates on the pages ("Client since
23 November 2026") stay the same from run to run, and so do the screenshots. Nothing a browser does depends on the app clock moving: CSRF tokens
and the session cookie are timed by real time (and never expire here), and the login throttle
only needs one wrong password to stay under its limit."""

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.db import db
from practice.settings.services import PracticeDetails
from tests.browser.helpers import ADMIN_EMAIL, ADMIN_NAME, PRACTICE_NAME, Account
from tests.conftest import NOW, PASSWORD, make_app
from tests.databases import in_ci
from tests.smtp_server import mail_config, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1280, "height": 900}
# The language and time zone of the practice's own staff.
LOCALE, TIMEZONE = "en-GB", "Europe/London"
# Resource types whose failure would leave a page unstyled or without its scripts.
ASSET_TYPES = {"stylesheet", "script", "image", "font"}


# The server -----------------------------------------------------------------------------

@pytest.fixture
def inbox():
    """A real SMTP server in the test process; what it received is in `.messages`."""
    server, controller = start_server()
    yield server
    controller.stop()


@pytest.fixture
def live_app(request, database_url, tmp_path):
    """The app under test, with real CSRF protection as a browser meets it; in a test marked
    `mail`, sending its e-mail to the `inbox`."""
    mail = mail_config(request.getfixturevalue("inbox").port) if request.node.get_closest_marker("mail") else {}
    app = make_app(database_url, tmp_path / "instance", WTF_CSRF_ENABLED=True, **mail)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    """The base URL of live_app served by werkzeug in a daemon thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


# The browser ----------------------------------------------------------------------------

def _chromium_missing() -> None:
    message = (
        f"!!! Chromium not installed at {CHROMIUM}: the browser tests cannot run. "
        "Run `make test` as root to install it. !!!"
    )
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _chromium_missing()
    with sync_playwright() as playwright:
        # On Linux Chromium takes its language from the environment, not --lang: date inputs
        # then show the staff's dd/mm/yyyy (with Debian's chromium-l10n installed).
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            env={**os.environ, "LANGUAGE": "en_GB", "LANG": "en_GB.UTF-8"},
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A new tab in a fresh context, pointed at the live server; fails the test if a
    stylesheet, script, image or font did not load."""
    context = browser.new_context(
        viewport=VIEWPORT, locale=LOCALE, timezone_id=TIMEZONE, base_url=live_server
    )
    context.set_default_timeout(15_000)  # a busy machine runs two test processes
    tab = context.new_page()
    broken = []
    tab.on("requestfailed", lambda request: _note_failed(broken, request))
    tab.on("response", lambda response: _note_bad_status(broken, response))
    yield tab
    context.close()
    assert not broken, f"assets did not load: {broken}"


def _note_broken(broken: list, request, why) -> None:
    if request.resource_type in ASSET_TYPES:
        broken.append(f"{request.url} ({why})")


def _note_failed(broken: list, request) -> None:
    # A click that leaves the page while its assets still load cancels them: not a fault.
    if request.failure != "net::ERR_ABORTED":
        _note_broken(broken, request, request.failure)


def _note_bad_status(broken: list, response) -> None:
    if response.status >= 400:
        _note_broken(broken, response.request, response.status)


# Accounts ------------------------------------------------------------------------------

@pytest.fixture
def admin(live_app) -> Account:
    """A practice set up (as the setup page would) with its admin, who also sees clients."""
    with live_app.app_context():
        auth_services.setup_practice(
            db.session,
            PracticeDetails(name=PRACTICE_NAME, timezone="Europe/London", currency="GBP",
                            phone_region="GB"),
            admin_name=ADMIN_NAME, admin_email=ADMIN_EMAIL, password=PASSWORD,
            sees_clients=True, address="127.0.0.1", now=NOW,
        )
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return Account(ADMIN_NAME, ADMIN_EMAIL)


@pytest.fixture
def front_desk(live_app, admin) -> Account:
    account = Account("Fran Desk", "fran@harbour.example")
    with live_app.app_context():
        auth_services.create_user(
            db.session, SYSTEM, email=account.email, name=account.name, role="front_desk",
            password=account.password, now=NOW,
        )
        db.session.commit()  # as the request or command that made it would
        db.session.remove()
    return account
