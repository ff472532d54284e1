"""practice.pdf: only data: URIs and the app's own static files are ever fetched."""

import gc
import socket

import pytest

from practice.pdf import StaticOnlyFetcher, render_pdf

HOSTILE = """<html lang="en"><head><title>Hostile</title>
<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">
<link rel="stylesheet" href="file:///etc/passwd">
<style>@import url("https://evil.example/x.css"); body { background: url(http://127.0.0.1:9/bg.png) }</style>
</head><body>
<img src="http://127.0.0.1:9/pixel.png" alt="">
<img src="file:///etc/hostname" alt="">
<img src="../../../../etc/passwd" alt="">
<p style="background-image: url('ftp://evil.example/p')">Hello</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="a data URI is fine">
<img src="css/practice.css" alt="a static file is fine">
</body></html>"""


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("network use in a PDF render")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_hostile_urls_are_refused_and_nothing_is_fetched(no_network):
    fetcher = StaticOnlyFetcher()
    pdf = render_pdf(HOSTILE, css="html { background: url(http://127.0.0.1:9/css-bg) }", fetcher=fetcher)
    assert pdf.startswith(b"%PDF")
    assert no_network == []
    refused = " ".join(fetcher.refused)
    for url in ("127.0.0.1:9/evil.css", "/etc/passwd", "evil.example/x.css", "127.0.0.1:9/bg.png",
                "127.0.0.1:9/pixel.png", "/etc/hostname", "ftp://evil.example/p", "css-bg"):
        assert url in refused, url
    assert not any(url.startswith("data:") or url.endswith("practice.css") for url in fetcher.refused)


def test_static_files_are_served_from_the_static_folder_only(tmp_path):
    fetcher = StaticOnlyFetcher()
    assert fetcher.fetch(fetcher.base_url + "css/practice.css").read().strip()
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for url in (outside.as_uri(), fetcher.base_url + "../pdf.py", "file://evil.example/etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_metadata_comes_from_the_page():
    pdf = render_pdf('<html lang="en-GB"><head><title>A letter</title><meta name="author" '
                     'content="Harbour Street Massage"></head><body><p>Dear Sam</p></body></html>')
    assert pdf.startswith(b"%PDF")


def test_progress_between_layout_and_writing_changes_nothing_in_the_file():
    from weasyprint import CSS, HTML

    from practice.pdf import font_config

    html = "<html lang='en'><title>Two pages</title><p>One</p><p style='break-before: page'>Two</p></html>"
    css = "@page { size: A5 }"
    heard = []
    pdf = render_pdf(html, css=css, laid_out=heard.append)
    fetcher = StaticOnlyFetcher()
    in_one_go = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=css, base_url=fetcher.base_url, url_fetcher=fetcher, font_config=font_config())],
        font_config=font_config(), pdf_tags=True)
    assert heard == [2]
    assert pdf == in_one_go


def test_the_cyclic_collector_is_paused_for_a_render_and_resumed_after():
    seen = []
    render_pdf("<p>Hello</p>", laid_out=lambda pages: seen.append(gc.isenabled()))
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ZeroDivisionError):  # resumed after a render that fails too
        render_pdf("<p>Hello</p>", laid_out=lambda pages: 1 / 0)
    assert gc.isenabled()
    gc.disable()  # paused already (practice verify-log): left paused
    try:
        render_pdf("<p>Hello</p>")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pdfs_page_references_are_built_once_until_a_page_is_added():
    import pydyf

    render_pdf("<p>Hello</p>")  # the first render keeps them from then on
    pdf = pydyf.PDF()
    for _ in range(2):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert pdf.page_references is first  # WeasyPrint's tags read it once per tagged box
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert pdf.page_references == tuple(f"{number} 0 R".encode() for number in pdf.pages["Kids"][::3])
    assert len(pdf.page_references) == 3


def test_a_pydyf_whose_page_references_changed_is_left_as_it_is(monkeypatch):
    """Only pydyf's property is replaced: a later pydyf that builds page references another
    way renders as it does, instead of every PDF failing."""
    import pydyf

    from practice import pdf

    monkeypatch.setattr(pydyf.PDF, "page_references", "built some other way")
    pdf._keep_page_references.__wrapped__()
    assert pydyf.PDF.page_references == "built some other way"
