"""HTML to PDF with WeasyPrint, for the evidence report and the letters.

Nothing is fetched from the network or the disk except `data:` URIs and the app's own static
files: a value typed by a user (or a client) can end up in a page, and autoescaping alone
does not stop a fetch (`style="background: url(...)"`). The same fetcher serves the HTML and
every stylesheet. One FontConfiguration serves the whole process.

WeasyPrint is imported on first use, not with this module: it takes about a second to load,
and commands that render nothing (practice verify-log, the worker's other jobs) start
without it."""

import gc
import mimetypes
from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

STATIC_FOLDER = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=1)
def font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def __getattr__(name: str):
    """`StaticOnlyFetcher`, made (with WeasyPrint's import) when first asked for."""
    if name == "StaticOnlyFetcher":
        return _fetcher_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Fetches `data:` URIs and files under the static folder; refuses (and notes) the rest."""

        def __init__(self, static_folder: Path = STATIC_FOLDER):
            super().__init__(allowed_protocols=("data",), allow_redirects=False)
            self.static_folder = static_folder.resolve()
            self.refused: list[str] = []

        @property
        def base_url(self) -> str:
            """Relative URLs in a page ("css/print.css") resolve inside the static folder."""
            return self.static_folder.as_uri() + "/"

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = self._static_file(url)
            if path is None:
                self.refused.append(url)
                raise ValueError(f"not fetched (only data: URIs and the app's static files): {url[:200]}")
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})

        def _static_file(self, url: str) -> Path | None:
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                return None
            path = Path(url2pathname(parts.path)).resolve()
            return path if path.is_relative_to(self.static_folder) and path.is_file() else None

    return StaticOnlyFetcher


def render_pdf(html: str, *, css: str = "", fetcher=None,
               laid_out: Callable[[int], None] | None = None) -> bytes:
    """A tagged PDF (accessible) of `html`; its <title>, <meta name="author"> and <html lang>
    become the document's metadata. `css` is the trusted print stylesheet. `laid_out` hears
    the number of pages between laying them out and writing the file (for progress)."""
    from weasyprint import CSS, HTML

    fetcher = fetcher or _fetcher_class()()
    _keep_page_references()
    with _without_cyclic_collection():
        source = HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher)
        stylesheets = [CSS(string=css, base_url=fetcher.base_url, url_fetcher=fetcher,
                           font_config=font_config())] if css else []
        document = source.render(stylesheets=stylesheets, font_config=font_config(), pdf_tags=True)
        if laid_out is not None:
            laid_out(len(document.pages))
        return document.write_pdf(pdf_tags=True)


_KEPT_REFERENCES = "_practice_page_references"


@lru_cache(maxsize=1)
def _keep_page_references() -> None:
    """pydyf's `PDF.page_references` builds the tuple of every page's reference each time it
    is read, and WeasyPrint's tagging (`pdf_tags`) reads it once per tagged box: for the
    146-page evidence report 25,000 tuples of 146 (add_tags 0.80 -> 0.22 s of CPU). Here each
    PDF keeps its tuple until a page is added (the same references, built once a page)."""
    import pydyf

    built = getattr(pydyf.PDF, "page_references", None)
    if not isinstance(built, property):  # a pydyf that changed it: left as it is
        return
    build = built.fget

    def page_references(pdf) -> tuple:
        count = len(pdf.pages["Kids"])
        kept = pdf.__dict__.get(_KEPT_REFERENCES)
        if kept is None or kept[0] != count:
            kept = pdf.__dict__[_KEPT_REFERENCES] = (count, build(pdf))
        return kept[1]

    pydyf.PDF.page_references = property(page_references)


@contextmanager
def _without_cyclic_collection():
    """The cyclic garbage collector paused for a render. A long document's boxes (a
    147-page evidence report: a few million objects) live until it is written, and each
    collection the layout's allocations set off walked all those made so far, again and
    again (about a tenth of the render's CPU time); the render's own garbage is collected
    once it is over, for about 60 MB more at its peak. Left as it was when paused already."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
