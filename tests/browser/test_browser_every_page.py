"""Every page each role reaches on the demo practice, in Chromium: no sideways scroll at the
phone, tablet and laptop widths the desk uses, a navigation bar that is one line or folded,
no id used twice, and no serious or critical axe-core finding at a laptop's width or a phone's."""

import pytest
from sqlalchemy import select

from practice.auth.models import Practitioner, User
from practice.clients.models import Client
from practice.conduct.models import ConductEntry
from practice.db import db
from practice.demo import DEMO_PASSWORD, build_demo
from practice.letters.models import Letter
from practice.reports.csv_io import EXPORTS
from practice.scheduling.models import Appointment, Service
from referrals.models import Inquiry, Referral, Specialist
from tests.browser.helpers import AXE, Account, axe_findings, sign_in
from tests.conftest import NOW

WIDTHS = (390, 820, 1024, 1180, 1366)
PHONE = 390  # axe-core runs at this width too
ROLES = {
    "admin": Account("Morgan Ellis", "admin@demo.practice", DEMO_PASSWORD),
    "practitioner": Account("Amara Okafor", "amara@demo.practice", DEMO_PASSWORD),
    "front desk": Account("Jo Whitfield", "frontdesk@demo.practice", DEMO_PASSWORD),
}
# Not pages: sign-out, files, feeds, the setup that the demo has already done.
SKIPPED = ("static", "bootstrap.static", "auth.setup", "auth.logout")
DAY = NOW.date().isoformat()
EXTRA = [f"/today?date={DAY}", "/calendar?view=week", "/review/report",
         "/reports/?start=2026-10-01&end=2026-12-31"]


@pytest.fixture
def demo_pages(live_app) -> list[str]:
    """One URL for every GET route: the demo's richest client, and one of everything else."""
    with live_app.app_context():
        build_demo(db.session, NOW)
        daniel = db.session.scalar(select(Client.id).where(Client.display_name == "Daniel Cohen"))

        def first(model, *where):
            return db.session.scalar(select(model.id).where(*where).order_by(model.id).limit(1))

        pools = {
            "client_id": daniel, "appointment_id": first(Appointment, Appointment.client_id == daniel),
            "letter_id": first(Letter), "referral_id": first(Referral), "inquiry_id": first(Inquiry),
            "specialist_id": first(Specialist), "practitioner_id": first(Practitioner),
            "user_id": first(User, User.email == ROLES["practitioner"].email),
            "entry_id": first(ConductEntry, ConductEntry.client_id == daniel), "name": sorted(EXPORTS)[0],
            "service_id": first(Service),
        }
        urls = []
        for rule in live_app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in SKIPPED or any(a not in pools for a in rule.arguments):
                continue
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", str(pools[arg])).replace(f"<{arg}>", str(pools[arg]))
            urls.append(url)
        # The cancel page shows only for a booked appointment (otherwise it goes back).
        booked = first(Appointment, Appointment.status == "booked", Appointment.start_at > NOW)
        urls.append(f"/appointments/{booked}/cancel?next=/today")
        # A client with a session booked ahead: the client page's table of upcoming appointments.
        ahead = db.session.scalar(select(Appointment.client_id).where(Appointment.id == booked))
        urls.append(f"/clients/{ahead}")
        # A client referred to three colleagues: the client page's table of referrals out.
        lewis = db.session.scalar(select(Client.id).where(Client.display_name == "Lewis Grant"))
        urls.append(f"/clients/{lewis}")
        db.session.commit()  # as the command that made it would
        db.session.remove()
    return sorted(set(urls)) + EXTRA


def html_pages(page, urls: list[str]) -> list[str]:
    """The URLs that answer this user with a page (not a file, a refusal or a redirect)."""
    found = []
    for url in urls:
        response = page.request.get(url, max_redirects=0)
        if response.status == 200 and response.headers.get("content-type", "").startswith("text/html"):
            found.append(url)
    return found


def sideways(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


# The navigation is one line, or folded into its menu: never two lines of links. (Folded, a
# long practice name may take two lines beside the menu button: that is not a wrap.)
NAVIGATION_HEIGHT = """() => {
  const nav = document.querySelector("nav[aria-label=Main]");
  if (!nav) { return 0; }  // a page of its own: the printable daily report
  const folded = getComputedStyle(nav.querySelector(".navbar-toggler")).display !== "none";
  return folded ? 0 : nav.getBoundingClientRect().height;
}"""


# What sticks out on the right (outside any scrolling box of its own), to name in a failure.
STICKING_OUT = """() => Array.from(document.querySelectorAll("main *"))
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest(".table-responsive")
          && !Array.from(el.children).some(child => child.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + Array.from(el.classList).join("."))"""


# Ids used more than once on a page (invalid HTML; labels and ARIA would point at the first).
REPEATED_IDS = """() => {
  const ids = Array.from(document.querySelectorAll("[id]"), element => element.id);
  return [...new Set(ids.filter((id, at) => ids.indexOf(id) !== at))].slice(0, 5);
}"""


@pytest.mark.browser
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_every_width_and_passes_axe(page, demo_pages, role):
    page.context.add_init_script(path=str(AXE))
    sign_in(page, ROLES[role])
    page.wait_for_url("**/today")
    pages = html_pages(page, demo_pages)
    assert "/today" in pages and len(pages) > 15
    overflowing, inaccessible = [], []
    for url in pages:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(url)
        desktop = axe_findings(page)
        inaccessible += [f"{url}: {finding}" for finding in desktop]
        inaccessible += [f"{url}: id {repeated!r} is used more than once" for repeated in page.evaluate(REPEATED_IDS)]
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            if width == PHONE:  # a phone's layout differs: tables scroll in boxes of their own
                inaccessible += [f"{url} at {width}px: {finding}" for finding in axe_findings(page)
                                 if finding not in desktop]
            if (extra := sideways(page)) > 0:
                overflowing.append(f"{url} at {width}px: {extra}px ({', '.join(page.evaluate(STICKING_OUT))})")
            page.wait_for_timeout(30)  # the resize handler folds the navigation when it must
            if (height := page.evaluate(NAVIGATION_HEIGHT)) > 80:
                overflowing.append(f"{url} at {width}px: the navigation wraps onto {height}px")
    assert not overflowing + inaccessible, "\n".join(
        ["pages that scroll sideways:", *overflowing, "axe-core (serious, critical) and repeated ids:", *inaccessible])
