"""A large client import in the background: the admin uploads a file, follows the check on
its page (polled by JavaScript), reads the report, imports, and follows the import to its
outcome, at every width and with the keyboard; then exports the clients (a streamed file)."""

import re

import pytest
from playwright.sync_api import expect

from practice.jobs.worker import Worker
from tests.browser.helpers import AXE, axe_findings, screenshot, sign_in

WIDTHS = (1366, 390)


def clients_csv(rows: int) -> bytes:
    lines = ["display_name,phone,email,address"]
    lines += [f"Client {n},+4478{n:08d},client{n}@example.net,{n} A Rather Long Road Name In Leeds LS6 {n % 9}AB"
              for n in range(rows)]
    lines.append("Client with a bad phone,12,,")
    return ("\n".join(lines) + "\n").encode()


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def look_at_every_width(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits_the_width(page), width
        screenshot(page, f"{name}-{width}.png")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert axe_findings(page) == []


@pytest.mark.browser
def test_an_upload_is_checked_then_imported_in_the_background(page, live_app, admin):
    page.context.add_init_script(path=str(AXE))
    sign_in(page, admin)
    expect(page).to_have_url(re.compile(r"/today$"))
    page.goto("/clients/import")
    page.get_by_label("CSV file").set_input_files(
        {"name": "clients.csv", "mimeType": "text/csv", "buffer": clients_csv(120)})
    page.get_by_role("button", name="Check the file").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    expect(page.locator("#job-state")).to_have_text("Waiting for the worker to start it.")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    look_at_every_width(page, "import-waiting")

    assert Worker(live_app, name="browser-test").run(burst=True) == 1
    # The page polled, saw the check finished and reloaded with the report: the wrong row first.
    expect(page.get_by_role("alert")).to_contain_text("1 of 121 rows need correcting.", timeout=10_000)
    first = page.locator("tbody tr").first
    expect(first).to_contain_text("Client with a bad phone")
    expect(page.locator("tbody tr")).to_have_count(50)
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    look_at_every_width(page, "import-report")
    page.get_by_role("link", name="3", exact=True).click()
    expect(page.locator("tbody tr")).to_have_count(21)

    # The corrected file imports.
    page.goto("/clients/import")
    page.get_by_label("CSV file").set_input_files(
        {"name": "clients.csv", "mimeType": "text/csv", "buffer": clients_csv(120).rsplit(b"Client with", 1)[0]})
    page.get_by_role("button", name="Check the file").click()
    assert Worker(live_app, name="browser-test").run(burst=True) == 1
    button = page.get_by_role("button", name="Import 120 clients")
    expect(button).to_be_visible(timeout=10_000)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="The import has started.")).to_be_visible()
    expect(page.locator("#job-state")).to_have_text("Waiting for the worker to start it.")
    assert Worker(live_app, name="browser-test").run(burst=True) == 1
    expect(page.get_by_role("status").filter(has_text="Imported 120 clients.")).to_be_visible(timeout=10_000)
    look_at_every_width(page, "import-done")
    page.get_by_role("link", name="See the clients").click()
    expect(page).to_have_url(re.compile(r"/clients/?$"))

    # The export, streamed by the server, holds every row.
    export = page.request.get("/clients/export.csv")
    assert export.status == 200 and export.body().count(b"@example.net") == 120
