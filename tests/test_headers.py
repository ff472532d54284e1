"""Protective headers on every response: each route of the URL map (the access table's rows,
as each role meets them), the error pages and the static files; and templates that the
Content-Security-Policy would break (inline scripts, event handlers, style attributes)."""

import re
from pathlib import Path

import pytest

from practice.config import templates_folder
from tests.conftest import PASSWORD
from tests.test_access import ROLES, ROUTES, png_bytes, quick_password_hashes, world  # noqa: F401

PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def problems_with(response, *, static=False) -> list[str]:
    found = [f"{name}: {response.headers.get(name)!r}" for name, value in PAGE_HEADERS.items()
             if response.headers.get(name) != value]
    csp = policy(response)
    if csp.get("script-src") != ["'self'"]:
        found.append(f"script-src: {csp.get('script-src')}")
    if "'unsafe-inline'" in csp.get("style-src", ["'unsafe-inline'"]):
        found.append(f"style-src: {csp.get('style-src')}")
    if csp.get("frame-ancestors") != ["'none'"] or csp.get("object-src") != ["'none'"]:
        found.append(f"frame-ancestors/object-src: {csp}")
    if not static and "no-store" not in response.headers.get("Cache-Control", ""):
        found.append(f"Cache-Control: {response.headers.get('Cache-Control')!r}")
    return found


# Routes after which the browser is no longer signed in as before (or, once the practice
# requires two-factor sign-in, is sent to set it up): each is walked last, on its own. The
# password change comes last of all (the sign-ins before it use the old password).
CHANGE_THE_SESSION = [("auth.accept_invitation", "POST"), ("auth.logout", "POST"),
                      ("account.sign_out_everywhere", "POST"), ("settings.two_factor", "POST"),
                      ("account.change_password", "POST")]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_sends_the_protective_headers(app, users, world, role):  # noqa: F811
    def walked_last(route):
        key = (route.endpoint, route.method)
        return CHANGE_THE_SESSION.index(key) + 1 if key in CHANGE_THE_SESSION else 0

    ordered = sorted(ROUTES, key=walked_last)
    failures = {}
    client = None
    for route in ordered:
        if client is None or (route.endpoint, route.method) in CHANGE_THE_SESSION:
            client = app.test_client()
            if role != "anonymous":
                assert client.post("/login", data={"email": users[role].email, "password": PASSWORD}).status_code == 302
        data = route.data(world) if route.data else {}
        response = client.open(route.url(world), method=route.method, data=data)
        if found := problems_with(response):
            failures[f"{route.id} ({response.status_code})"] = found
    assert not failures


def test_error_pages_and_files_send_them_too(client, users, login, world):  # noqa: F811
    login(users["admin"])
    for path in ("/no-such-page", f"/letters/{world.letter_id}.pdf", f"/clients/{world.client_id}/evidence.pdf",
                 "/clients/export.csv", f"/feeds/{world.feed_token}.ics", "/settings/logo"):
        response = client.get(path)
        assert not problems_with(response), (path, response.status_code, problems_with(response))


def test_static_files_may_be_cached_but_are_protected(client, practice):
    for path in ("/static/css/practice.css", "/static/js/practice.js", "/bootstrap/static/css/bootstrap.min.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert not problems_with(response, static=True), path
        assert "no-store" not in response.headers.get("Cache-Control", "")


def test_each_response_has_its_own_style_nonce(client, practice):
    first, second = (policy(client.get("/login"))["style-src"] for _ in range(2))
    assert first != second and all(source.startswith("'nonce-") for source in (first[1], second[1]))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
# Rendered to PDF by WeasyPrint only, never served as a page.
PDF_ONLY = ("letters/", "practice/pdf/")


def test_templates_have_no_inline_script_handlers_or_style_attributes():
    root = Path(templates_folder())
    found = []
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        if name.startswith(PDF_ONLY):
            continue
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE):
            found += [f"{name}: {match.group(0)[:60]}" for match in pattern.finditer(text)]
    assert not found
