"""What the browser tests share besides fixtures: the people in them and the moves they make."""

import os
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import PASSWORD

# Test runs write to tests/artifacts/ (ignored by git); `make screenshots` points this at
# docs/screenshots/ to refresh the README tour.
SCREENSHOTS = Path(
    os.environ.get("PRACTICE_SCREENSHOTS")
    or Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
)

ADMIN_NAME = "Alex Admin"
ADMIN_EMAIL = "admin@harbour.example"
PRACTICE_NAME = "Harbour Street Massage"


@dataclass(frozen=True)
class Account:
    name: str
    email: str
    password: str = PASSWORD


def sign_in(page, account: Account, password: str | None = None) -> None:
    """Fill the sign-in form and submit it (from wherever the browser is)."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(account.email)
    page.get_by_label("Password").fill(password or account.password)
    page.get_by_role("button", name="Sign in").click()


def screenshot(page, name: str) -> Path:
    """A full-page screenshot, kept for a person to look at (and for the README tour)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def choose_client(page, name: str, typed: str | None = None) -> None:
    """Find a client in the client picker by typing part of the name, then choose them with
    the arrow keys and Enter, as the desk does."""
    page.wait_for_load_state()  # the picker's script listens for typing once the page has loaded
    field = page.get_by_role("combobox", name="Client")
    field.fill(typed or name)
    option = page.get_by_role("option", name=name)
    option.wait_for()
    field.press("ArrowDown")
    while option.get_attribute("aria-selected") != "true":
        field.press("ArrowDown")
    field.press("Enter")
    expect(page.get_by_text(f"Chosen: {name}")).to_be_visible()


# axe-core (MPL-2.0), vendored and pinned for the tests only: vendor/axe.min.js is axe-core
# 4.14.1 as the npm package ships it. Injected as an init script (add_init_script(path=AXE)),
# which the pages' Content-Security-Policy does not apply to.
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


def axe_findings(page) -> list[str]:
    """The page's serious and critical axe-core findings, each with up to three elements."""
    return page.evaluate(_AXE_RUN)
