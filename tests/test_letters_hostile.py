# ruff: noqa: F811  (fixtures imported from other test modules are used as arguments)
"""Hostile values in every user-controlled field of a letter fetch nothing and attach
nothing; issuing many letters does not grow memory."""

import gc
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from weasyprint import HTML

from practice.audit.services import SYSTEM
from practice.db import db
from practice.letters import services
from practice.pdf import StaticOnlyFetcher, font_config
from practice.settings.services import get_practice
from tests.conftest import NOW
from tests.test_letters import drafted, issue, pdf_text, record, request_for  # noqa: F401  (a fixture)


@pytest.fixture
def local_server():
    """A local HTTP server that counts every request reaching it."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def hostile_values(base: str) -> list[str]:
    return [
        "<img src=file:///etc/passwd>",
        f"<img src='{base}/img'>",
        f"x\" style=\"background: url({base}/style)\"",
        f"<div style=\"background-image: url('{base}/inline')\">x</div>",
        f"<style>@import url({base}/import); body {{ background: url({base}/css) }}</style>",
        f"<link rel=attachment href=\"{base}/attach\"><link rel=stylesheet href=\"{base}/sheet\">",
        "<link rel=attachment href=\"file:///etc/passwd\">",
        f"}} body {{ background: url({base}/brace) }}",
    ]


def test_hostile_values_in_every_field_fetch_nothing_and_attach_nothing(record, local_server):
    base, hits = local_server
    values = hostile_values(base)
    joined = " ".join(values)
    profile = get_practice(db.session)
    profile.name, profile.address, profile.website = "Harbour " + values[0], "\n".join(values), values[2]
    client, practitioner, specialist = record["client"], record["practitioner"], record["specialist"]
    client.display_name, client.legal_name, client.address = values[3][:120], values[4][:200], "\n".join(values)
    practitioner.display_name, practitioner.credentials = values[5][:120], values[7][:200]
    specialist.name, specialist.profession, specialist.business, specialist.address = (
        values[2][:120], values[4][:120], values[5][:200], joined)
    db.session.commit()
    escaped = joined.replace("{", "{{").replace("}", "}}")  # literal braces in a practice's text
    services.save_template(db.session, SYSTEM, "referral",
                           f"Dear {{client_name}}, {escaped}\n\n{{specialist_name}}\n\n{{specialist_contact}}", now=NOW)
    request = drafted("referral", record, specialist=specialist, modalities=[record["deep"]],
                      need=values[6], channel="post")
    request.body += "\n\n" + joined
    letter = issue(request, record)
    text = pdf_text(letter.pdf)
    assert hits == [], hits
    assert "/etc/passwd" in text and "@import" in text  # shown as the text it is
    for marker in (b"/EmbeddedFile", b"/FileAttachment", b"/Filespec", b"/URI"):
        assert marker not in letter.pdf, marker


def test_the_fetcher_refuses_what_a_page_asks_for(local_server):
    base, hits = local_server
    html = (f"<html><head><link rel=stylesheet href='{base}/a.css'><link rel=attachment href='{base}/x'>"
            f"<style>@import url({base}/b.css);</style></head><body><img src='{base}/c.png'>"
            f"<img src='file:///etc/passwd'><p style='background: url({base}/d)'>x</p></body></html>")
    fetcher = StaticOnlyFetcher()
    pdf = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).write_pdf(font_config=font_config())
    assert hits == [] and b"/EmbeddedFile" not in pdf
    assert len(fetcher.refused) >= 5


def test_issuing_many_letters_keeps_memory_flat(record, capsys):
    """Speed is `make bench`'s business (a busy CI machine fails timing asserts for nothing);
    what a test can hold without a clock is that issuing leaks nothing."""
    request = drafted("discontinuation", record, effective_date=record["future"][0].start_at.date())

    def issue_custom():
        issue(request_for("custom", record, body=request.body), record)

    issue_custom()  # warm fonts and templates
    gc.collect()
    tracemalloc.start()
    for _ in range(5):
        issue_custom()
    gc.collect()
    first = tracemalloc.get_traced_memory()[0]
    for _ in range(20):
        issue_custom()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    with capsys.disabled():
        print(f"letters: traced memory after 5 letters {first / 1e6:.1f} MB, after 25 {after / 1e6:.1f} MB")
    assert after - first < 5_000_000
