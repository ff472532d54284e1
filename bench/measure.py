"""Timing the pages and the long jobs of a built practice, each against its baseline measured
in the same run: the floor page for pages, icalendar for the feed, hashlib for verify-log,
WeasyPrint alone for letters and the evidence report, the csv module for imports and
exports. Pages go through the Flask test client (the whole stack but the network), signed
in as the practice's admin; verify-log runs as the command a person types."""

import csv
import gc
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from icalendar import Calendar, Event
from weasyprint import CSS, HTML

from bench import floor
from bench.cache import make_app
from bench.generate import NOW, SIZES, Landmarks
from bench.pages import FLOOR, PAGES
from practice.audit.services import Actor
from practice.auth.models import Practitioner, User
from practice.clients.models import Client
from practice.conduct import chain
from practice.conduct.models import Attachment, ConductEntry
from practice.db import db
from practice.jobs.worker import Worker
from practice.letters import compose
from practice.letters import services as letter_services
from practice.letters.render import letter_css, letter_html
from practice.pdf import StaticOnlyFetcher, font_config
from practice.scheduling.models import Appointment, Service
from practice.serve import frozen
from practice.settings.services import get_practice
from referrals.models import Modality, Specialist, specialist_modality

KB = 1024
PAGE_LIMIT = 200 * KB
# The feed's window, as the feed itself reads it (30 days back, 180 ahead, cancellations
# kept 14 days): the baseline builds the same events.
FEED_PAST, FEED_FUTURE, CANCELLED_KEPT = timedelta(days=30), timedelta(days=180), timedelta(days=14)


@dataclass
class Sample:
    seconds: float
    status: int
    size: int
    queries: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@dataclass
class Row:
    """One line of the table: a measurement, its baseline, its target and whether it is met."""

    name: str
    group: str
    samples: list[float]
    baseline: str = ""
    baseline_samples: list[float] = field(default_factory=list)
    target: str = ""
    limits: tuple[float, float | None] = (0, None)  # ratio allowed at p50, and at p95 (None: not checked)
    queries: dict = field(default_factory=dict)  # size name -> statement count
    size: int | None = None
    note: str = ""
    status: int = 200
    per: int = 1  # the samples are for this many units (pages of a report): ratios are per unit

    def as_dict(self) -> dict:
        result = {
            "name": self.name, "group": self.group, "runs": len(self.samples),
            "p50_ms": round(p50(self.samples) / self.per * 1000, 2),
            "p95_ms": round(p95(self.samples) / self.per * 1000, 2),
            "baseline": self.baseline, "target": self.target, "queries": self.queries,
            "bytes": self.size, "note": self.note, "status": self.status,
        }
        if self.baseline_samples:
            result |= {
                "baseline_p50_ms": round(p50(self.baseline_samples) * 1000, 2),
                "baseline_p95_ms": round(p95(self.baseline_samples) * 1000, 2),
                "ratio_p50": round(p50(self.samples) / self.per / p50(self.baseline_samples), 2),
                "ratio_p95": round(p95(self.samples) / self.per / p95(self.baseline_samples), 2),
            }
        result["misses"] = self.misses(result)
        result["met"] = None if not self.target else not result["misses"]
        return result

    def misses(self, result: dict) -> list[str]:
        if not self.target:
            return []
        found = []
        if self.status >= 400:
            found.append(f"HTTP {self.status}")
        at_p50, at_p95 = self.limits
        if at_p50 and not self.baseline_samples:
            found.append("no baseline measured")
        if "ratio_p50" in result and result["ratio_p50"] > at_p50:
            found.append(f"p50 {result['ratio_p50']:g}x")
        if at_p95 is not None and "ratio_p95" in result and result["ratio_p95"] > at_p95:
            found.append(f"p95 {result['ratio_p95']:g}x")
        counts = list(self.queries.values())
        if len(counts) == 2 and counts[0] != counts[1]:
            found.append(f"queries {counts[0]} -> {counts[1]}")
        if self.size is not None and self.group == "pages" and self.size > PAGE_LIMIT:
            found.append(f"{self.size / KB:,.0f} KB")
        return found


class Site:
    """The practice's app on a database, with the floor page, signed in as its admin, and
    a count of the SQL statements each request runs."""

    def __init__(self, url: str, landmarks: Landmarks, instance: Path):
        self.url, self.landmarks, self.instance = url, landmarks, instance
        # The daily full check of the conduct chain is verify-log's work (timed on its own):
        # off, so that the worker asked for an evidence report runs only that report.
        self.app = make_app(url, instance, PRACTICE_CHAIN_CHECK_DAILY=False, PRACTICE_HOUSEKEEPING_DAILY=False)
        self.app.register_blueprint(floor.bp)
        frozen(self.app)  # as a server's process serves it (practice.wsgi), once built
        with self.app.app_context():
            self.engine = db.engine
        self.statements = 0
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        self.client = self.app.test_client()
        response = self.client.post("/login", data={"email": landmarks.admin_email, "password": landmarks.password})
        if response.status_code != 302:
            raise RuntimeError(f"could not sign in to the benchmark practice: HTTP {response.status_code}")

    def _count(self, *args) -> None:
        self.statements += 1

    def request(self, method: str, path: str, **kwargs) -> Sample:
        self.statements = 0
        started = time.perf_counter()
        response = self.client.open(path, method=method, **kwargs)
        body = response.get_data()
        seconds = time.perf_counter() - started
        return Sample(seconds, response.status_code, len(body), self.statements, dict(response.headers), body)

    def get(self, path: str, **kwargs) -> Sample:
        return self.request("GET", path, **kwargs)

    def evidence_report(self) -> Sample:
        """The featured client's whole record as the evidence report, made as users get it:
        asked for (a POST that queues the job), made by a worker in this process, then
        downloaded. Seconds and statements are the worker's and the download's; the body is
        the PDF, the status the download's (or the request's, if it was refused)."""
        asked = self.client.post(f"/clients/{self.landmarks.featured_client_id}/evidence", data={})
        if asked.status_code != 302:
            return Sample(0.0, asked.status_code, 0, 0)
        job = urlsplit(asked.headers["Location"]).path  # /jobs/<id>
        self.statements = 0
        started = time.perf_counter()
        Worker(self.app).run(burst=True)
        seconds, statements = time.perf_counter() - started, self.statements
        file = self.get(f"{job}/file")
        return Sample(seconds + file.seconds, file.status, file.size, statements + file.queries,
                      file.headers, file.body)

    def worked(self, asked: Sample) -> Sample:
        """What a request queued (it answered with a redirect to the job's page), made by a
        worker in this process: the request's and the worker's seconds and statements, then
        the job's page (its body and size, its status if the request was refused)."""
        if asked.status != 302:
            return asked
        self.statements = 0
        started = time.perf_counter()
        Worker(self.app).run(burst=True)
        seconds, statements = time.perf_counter() - started, self.statements
        page = self.get(urlsplit(asked.headers["Location"]).path)
        return Sample(asked.seconds + seconds + page.seconds, page.status, page.size,
                      asked.queries + statements + page.queries, page.headers, page.body)

    def settled(self, path: str, **kwargs) -> Sample:
        """A request after a first one (caches warm, sign-in settled): what the counts use."""
        self.get(path, **kwargs)
        return self.get(path, **kwargs)

    def close(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._count)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


# Query counts (both sizes) ---------------------------------------------------------------

def http_items(m: Landmarks) -> dict[str, str]:
    """Every URL whose query count is compared across sizes."""
    items = {page.name: page.url(m) for page in PAGES}
    items[FLOOR.name] = FLOOR.url(m)
    items["feed, full"] = f"/feeds/{m.feed_token}.ics"
    items["client CSV export"] = "/clients/export.csv"
    items["directory CSV export"] = "/referrals/export.csv"
    items["directory vCard export"] = "/referrals/export.vcf"
    return items


def query_counts(site: Site) -> dict[str, dict]:
    """Statements, status and size of each item, once the site is warm."""
    found = {}
    site.settled(FLOOR.url(site.landmarks))
    for name, path in http_items(site.landmarks).items():
        sample = site.get(path)
        found[name] = {"queries": sample.queries, "status": sample.status, "bytes": sample.size,
                       "seconds": sample.seconds}
    report = site.evidence_report()  # a background job: asked for, made by a worker, downloaded
    found[EVIDENCE] = {"queries": report.queries, "status": report.status, "bytes": report.size,
                       "seconds": report.seconds}
    return found


# Pages, interleaved with the floor page ------------------------------------------------------

def time_pages(site: Site, rounds: int, counts: dict[str, dict]) -> tuple[list[Row], list[float]]:
    m = site.landmarks
    floor_samples: list[float] = []
    samples: dict[str, list[float]] = {page.name: [] for page in PAGES}
    for number in range(rounds):
        for page in PAGES:
            floor_samples.append(site.get(FLOOR.url(m)).seconds)
            samples[page.name].append(site.get(page.url(m)).seconds)
        print(f"  pages: round {number + 1} of {rounds}", flush=True)
    rows = []
    for page in PAGES:
        report = page.kind == "report"
        rows.append(Row(
            page.name, "pages", samples[page.name], "floor page", floor_samples,
            target=("p50 and p95 ≤ 10x floor" if report else "p50 ≤ 3x, p95 ≤ 5x floor")
            + "; same queries at both sizes; ≤ 200 KB",
            limits=(10, 10) if report else (3, 5),
            queries=_queries(counts, page.name), size=counts[site.landmarks.size][page.name]["bytes"],
            status=counts[site.landmarks.size][page.name]["status"],
        ))
    return rows, floor_samples


def _queries(counts: dict[str, dict], name: str) -> dict:
    return {size: found[name]["queries"] for size, found in counts.items() if name in found}


# The calendar feed -----------------------------------------------------------------------

def feed_with_icalendar(engine, practitioner_id: int, now: datetime) -> bytes:
    """The feed's events built directly: one plain query, then icalendar."""
    a, c, s = Appointment.__table__, Client.__table__, Service.__table__
    zone = ZoneInfo("Europe/London")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(a.c.uuid, a.c.start_at, a.c.end_at, a.c.status, a.c.created_at, c.c.display_name, s.c.name)
            .join(c, c.c.id == a.c.client_id).join(s, s.c.id == a.c.service_id)
            .where(a.c.practitioner_id == practitioner_id, a.c.end_at > now - FEED_PAST,
                   a.c.start_at < now + FEED_FUTURE,
                   sa.or_(a.c.status.not_in(("cancelled", "late_cancelled")), a.c.cancelled_at > now - CANCELLED_KEPT))
            .order_by(a.c.start_at, a.c.id)).all()
    calendar = Calendar()
    calendar.add("PRODID", "-//bench//feed baseline//EN")
    calendar.add("VERSION", "2.0")
    for row in rows:
        cancelled = row.status in ("cancelled", "late_cancelled")
        initials = "".join(f"{part[0]}." for part in row.display_name.split()[:3])
        event = Event()
        event.add("UID", f"{row.uuid}@practice")
        event.add("DTSTAMP", row.created_at.replace(microsecond=0))
        event.add("DTSTART", row.start_at.astimezone(zone))
        event.add("DTEND", row.end_at.astimezone(zone))
        event.add("SEQUENCE", 1 if cancelled else 0)
        event.add("SUMMARY", f"{'Cancelled: ' if cancelled else ''}{initials} – {row.name}")
        event.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE")
        event.add("CLASS", "PRIVATE")
        calendar.add_component(event)
    return calendar.to_ical()


def time_feed(site: Site, rounds: int, counts: dict, floor_samples: list[float]) -> list[Row]:
    m = site.landmarks
    path = f"/feeds/{m.feed_token}.ics"
    full = site.get(path)
    etag = full.headers.get("ETag")
    conditional_headers = {"If-None-Match": etag} if etag else {}
    conditional = site.get(path, headers=conditional_headers)
    full_samples, conditional_samples, baseline, floor_more = [], [], [], []
    for _ in range(rounds):
        full_samples.append(site.get(path).seconds)
        baseline.append(timed(lambda: feed_with_icalendar(site.engine, m.practitioner_id, NOW)))
        floor_more.append(site.get(FLOOR.url(m)).seconds)
        conditional_samples.append(site.get(path, headers=conditional_headers).seconds)
    events = full.body.count(b"BEGIN:VEVENT")
    baseline_events = feed_with_icalendar(site.engine, m.practitioner_id, NOW).count(b"BEGIN:VEVENT")
    return [
        Row("feed, full", "feed", full_samples, "the same events built with icalendar", baseline,
            target="p50 ≤ 1.3x icalendar alone; same queries at both sizes", limits=(1.3, None),
            queries=_queries(counts, "feed, full"), size=full.size, status=full.status,
            note=f"{events:,} events (the baseline: {baseline_events:,})"),
        Row("feed, conditional (If-None-Match)", "feed", conditional_samples, "floor page", floor_samples + floor_more,
            target="p50 ≤ 2x floor", limits=(2, None), size=conditional.size, status=conditional.status,
            queries={m.size: conditional.queries},
            note=f"HTTP {conditional.status}" + ("" if etag else "; the feed sends no ETag, so this is a full request")),
    ]


# verify-log ----------------------------------------------------------------------------

HASH_SCRIPT = ("import hashlib, sys\n"
               "for line in open(sys.argv[1], 'rb').read().split(b'\\n'):\n"
               "    hashlib.sha256(line).hexdigest()\n")


def canonical_lines(engine) -> bytes:
    """The bytes verify-log hashes, one entry a line (canonical JSON has no raw newline)."""
    entries, files = ConductEntry.__table__, Attachment.__table__
    with engine.connect() as connection:
        attachments: dict[int, list] = {}
        for row in connection.execute(sa.select(*(c for c in files.c if c.name != "data")).order_by(files.c.id)):
            attachments.setdefault(row.entry_id, []).append(row)
        return b"\n".join(chain.canonical(row, attachments.get(row.id, []))
                          for row in connection.execute(sa.select(entries).order_by(entries.c.seq)))


def time_verify_log(site: Site, rounds: int, workdir: Path) -> list[Row]:
    env = dict(os.environ, PRACTICE_DATABASE_URL=site.url, PRACTICE_INSTANCE_PATH=str(site.instance),
               PRACTICE_SECRET_KEY="bench")
    command = [str(Path(sys.executable).with_name("practice")), "verify-log"]
    lines = workdir / "canonical.bin"
    lines.write_bytes(canonical_lines(site.engine))
    hashing = [sys.executable, "-c", HASH_SCRIPT, str(lines)]
    runs, baseline, outcome = [], [], None
    for _ in range(rounds):
        started = time.perf_counter()
        outcome = subprocess.run(command, env=env, capture_output=True, text=True)
        runs.append(time.perf_counter() - started)
        baseline.append(timed(lambda: subprocess.run(hashing, check=True)))
    summary = (outcome.stdout or outcome.stderr).strip().splitlines()[0] if outcome else ""
    return [Row("practice verify-log", "jobs", runs, "a Python process hashing the same bytes with hashlib", baseline,
                target="p50 ≤ 3x hashing", limits=(3, None), status=200 if outcome.returncode == 0 else 500,
                note=summary)]


# Letters and the evidence report --------------------------------------------------------------

EVIDENCE = "evidence report, per page"


def pdf_pages(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(["pdfinfo", handle.name], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def time_letters(site: Site, rounds: int) -> tuple[list[Row], list[float]]:
    """Issuing a letter (the service, as the issue button calls it) against WeasyPrint's bare
    render of the same HTML and CSS; and a one-page letter's bare render, the evidence
    report's baseline."""
    m = site.landmarks
    entries = ConductEntry.__table__
    with site.app.app_context():
        session = db.session
        profile = get_practice(session)
        # A client with a short record, whose letter is as long as most letters are.
        client_id = session.scalar(
            sa.select(entries.c.client_id).group_by(entries.c.client_id)
            .having(sa.func.count().between(2, 4)).order_by(entries.c.client_id).limit(1))
        client = session.get(Client, client_id or m.featured_client_id)
        author = client.primary_practitioner or session.get(Practitioner, m.practitioner_id)
        admin = session.scalar(sa.select(User).where(User.email == m.admin_email))
        now = NOW
        draft = compose.Request(kind="discontinuation", client=client, author=author, channel="post",
                                effective_date=date.fromisoformat(m.today) + timedelta(days=14))
        facts = compose.gather(session, draft, profile=profile, now=now)
        body = compose.draft(letter_services.current_template(session, draft.kind)[0], facts)

        def page_of(request: compose.Request, text: str) -> tuple[str, str]:
            page = letter_services.letter_page(session, request, text, profile=profile, now=now)
            return letter_html(page, profile), letter_css(page.page_size)

        issued = page_of(draft, body)
        short = page_of(compose.Request(kind="custom", client=client, author=author),
                        "Thank you for your message.\n\nYour next appointment is confirmed.")

        def bare(html_and_css: tuple[str, str]) -> bytes:
            html, css = html_and_css
            fetcher = StaticOnlyFetcher()
            return HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).write_pdf(
                stylesheets=[CSS(string=css, font_config=font_config())], font_config=font_config(), pdf_tags=True)

        def issue() -> None:
            request = compose.Request(kind="custom", client=client, author=author, channel="post", body=body)
            letter_services.issue(session, Actor(admin, "127.0.0.1"), request, profile=profile, now=now)
            session.commit()

        pages, short_pages = pdf_pages(bare(issued)), pdf_pages(bare(short))
        issue()  # warm both (fonts, templates)
        issuing, alone, one_page = [], [], []
        for _ in range(rounds):
            alone.append(timed(lambda: bare(issued)))
            issuing.append(timed(issue))
            one_page.append(timed(lambda: bare(short)))
        session.remove()
    row = Row("issuing a letter", "jobs", issuing, "WeasyPrint's bare render of the same HTML", alone,
              target="p50 ≤ 1.25x bare render", limits=(1.25, None),
              note=f"a {pages}-page letter; the one-page letter below has {short_pages}")
    return [row], one_page


def time_evidence(site: Site, rounds: int, counts: dict, one_page: list[float]) -> list[Row]:
    """The featured client's whole record as the evidence report (a background job), per
    page; the report made for the query count is one of the samples (a large report takes
    minutes)."""
    counted = counts[site.landmarks.size][EVIDENCE]
    samples, last = [counted["seconds"]], None
    for _ in range(max(1, rounds - 1)):
        last = site.evidence_report()
        samples.append(last.seconds)
    pages = pdf_pages(last.body) if last.status == 200 else 1
    return [Row(EVIDENCE, "jobs", samples, "a one-page letter's bare render", one_page,
                target="per page p50 ≤ 1.5x a one-page letter; same queries at both sizes", limits=(1.5, None),
                queries=_queries(counts, EVIDENCE), size=last.size, status=last.status, per=max(pages, 1),
                note=f"{pages} pages, {p50(samples):.1f} s for the report, made by the worker")]


# Imports and exports ----------------------------------------------------------------------

def import_csv(rows: int, first: int = 0) -> str:
    """New clients, none of them already in the practice, numbered from `first`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["display_name", "legal_name", "phone", "email", "date_of_birth", "referral_source"])
    for number in range(first, first + rows):
        writer.writerow([f"Imported Client {number}", f"Imported Client {number}", f"+4478{number:08d}",
                         f"imported{number}@example.net", f"{1960 + number % 40}-0{1 + number % 9}-1{number % 9}",
                         "Moved from a paper diary"])
    return out.getvalue()


def import_baseline(engine, text: str) -> None:
    """Read the rows with the csv module and insert them in one statement (rolled back)."""
    client = Client.__table__
    rows = [{"display_name": r["display_name"], "legal_name": r["legal_name"], "pronouns": "", "phone": r["phone"],
             "email": r["email"], "address": "", "date_of_birth": date.fromisoformat(r["date_of_birth"]),
             "primary_practitioner_id": None, "referral_source": r["referral_source"], "standing": "active",
             "created_at": NOW, "archived_at": None}
            for r in csv.DictReader(io.StringIO(text))]
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(client.insert(), rows)
        transaction.rollback()


def time_client_import(site: Site, rounds: int) -> list[Row]:
    rows = SIZES[site.landmarks.size].import_rows
    client = Client.__table__
    runs, baseline = [], []
    for number in range(rounds):
        # Other people each round: a file checked before would find its numbers and addresses
        # among those the app has lately checked (kept in memory), as a new file would not.
        text = import_csv(rows, first=number * rows)
        with site.engine.connect() as connection:
            last_id = connection.scalar(sa.select(sa.func.max(client.c.id)))
        # Upload and check (a job), read the report's first page; import (a job), read the outcome.
        preview = site.worked(site.request("POST", "/clients/import", data={
            "file": (io.BytesIO(text.encode()), "clients.csv")}, content_type="multipart/form-data"))
        check = re.search(rb'action="(/imports/\d+/import)"', preview.body or b"")
        if check is None:  # the report offers no import: a row was refused, or the check failed
            raise RuntimeError(f"the check of the import offered no import (HTTP {preview.status})")
        confirm = site.worked(site.request("POST", check.group(1).decode(), data={}))
        runs.append(preview.seconds + confirm.seconds)
        saved = forget_imported(site.engine, last_id)  # the next round starts from the same practice
        if saved != rows:
            raise RuntimeError(f"the import saved {saved:,} clients of {rows:,} (HTTP {confirm.status})")
        baseline.append(timed(partial(import_baseline, site.engine, text)))
    return [Row(f"client CSV import, {rows:,} rows", "jobs", runs,
                "the csv module and one INSERT of the same rows", baseline,
                target="p50 ≤ 3x the csv module", limits=(3, None), status=confirm.status,
                queries={site.landmarks.size: preview.queries + confirm.queries},
                note=f"upload and check, then import, each by the worker; the report's page is "
                     f"{preview.size / KB:,.0f} KB")]


def forget_imported(engine, last_id: int) -> int:
    """Delete the clients an import round saved (ids above `last_id`); returns how many.
    The import writes clients and one audit event, so nothing refers to them: checked here,
    one pass over each referring table. The foreign keys' own checks are then switched off
    for the delete: they look up each deleted client in every referring table, and two of
    those have no index on client_id (inquiry, owing_appointment; the app never deletes a
    client), 5,000 scans of each: 8 s on SQLite, 16 s on PostgreSQL a round."""
    client = Client.__table__
    referring = [(fk.parent.table, fk.parent) for table in db.metadata.tables.values()
                 for fk in table.foreign_keys if fk.column is client.c.id]
    with engine.connect() as connection:
        for table, column in referring:
            if connection.scalar(sa.select(sa.literal(1)).select_from(table).where(column > last_id).limit(1)):
                raise RuntimeError(f"{table.name}.{column.name} refers to an imported client")
    delete = client.delete().where(client.c.id > last_id)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no triggers, no FK checks
            deleted = connection.execute(delete).rowcount
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) client")  # not 5,000 dead rows a round for what follows
        return deleted
    raw = engine.raw_connection()  # SQLite turns foreign keys off only outside a transaction
    try:
        sqlite = raw.driver_connection
        sqlite.isolation_level = None
        sqlite.execute("PRAGMA foreign_keys=OFF")
        try:
            deleted = sqlite.execute(str(delete.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))).rowcount
        finally:
            sqlite.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()
    return deleted


def clients_baseline(engine) -> str:
    c, p = Client.__table__, Practitioner.__table__
    out = io.StringIO()
    writer = csv.writer(out)
    with engine.connect() as connection:
        for row in connection.execute(
                sa.select(c.c.id, c.c.display_name, c.c.legal_name, c.c.pronouns, c.c.phone, c.c.email, c.c.address,
                          c.c.date_of_birth, p.c.display_name, c.c.referral_source, c.c.created_at, c.c.archived_at)
                .outerjoin(p, p.c.id == c.c.primary_practitioner_id).order_by(c.c.id)):
            writer.writerow(row)
    return out.getvalue()


def _directory(engine) -> list:
    s, sm, mo = Specialist.__table__, specialist_modality, Modality.__table__
    with engine.connect() as connection:
        names: dict[int, list[str]] = {}
        for specialist_id, name in connection.execute(
                sa.select(sm.c.specialist_id, mo.c.name).join(mo, mo.c.id == sm.c.modality_id).order_by(mo.c.name)):
            names.setdefault(specialist_id, []).append(name)
        rows = connection.execute(sa.select(s).order_by(s.c.name_key, s.c.id)).all()
    return [(row, names.get(row.id, [])) for row in rows]


def directory_csv_baseline(engine) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row, modalities in _directory(engine):
        writer.writerow([row.id, row.name, row.business, row.profession, "; ".join(modalities), row.phone, row.email,
                         row.website, row.address, row.area, row.languages, row.accessibility, row.fees,
                         row.accepting, row.notes, row.verified_on or "", "yes" if row.retired_at else ""])
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcards_baseline(engine) -> bytes:
    cards = []
    for row, modalities in _directory(engine):
        lines = ["BEGIN:VCARD", "VERSION:4.0", f"UID:urn:uuid:specialist-{row.id}", f"FN:{_escape(row.name)}",
                 f"N:{_escape(row.name)};;;;", f"ORG:{_escape(row.business)}", f"TITLE:{_escape(row.profession)}",
                 f"TEL;VALUE=uri:tel:{row.phone}", f"EMAIL:{row.email}", f"ADR:;;{_escape(row.address)};;;;",
                 f"CATEGORIES:{','.join(_escape(m) for m in modalities)}", f"NOTE:{_escape(row.notes)}", "END:VCARD"]
        cards.append("\r\n".join(lines))
    return ("\r\n".join(cards) + "\r\n").encode()


def time_exports(site: Site, rounds: int, counts: dict) -> list[Row]:
    items = (
        ("client CSV export", "/clients/export.csv", clients_baseline, "the csv module on one query"),
        ("directory CSV export", "/referrals/export.csv", directory_csv_baseline, "the csv module on two queries"),
        ("directory vCard export", "/referrals/export.vcf", vcards_baseline, "writing the same cards directly"),
    )
    rows = []
    for name, path, baseline_of, baseline_name in items:
        samples, baseline, last = [], [], None
        for _ in range(rounds):
            last = site.get(path)
            samples.append(last.seconds)
            baseline.append(timed(partial(baseline_of, site.engine)))
        rows.append(Row(name, "jobs", samples, baseline_name, baseline, target="p50 ≤ 3x the standard library",
                        limits=(3, None), queries=_queries(counts, name), size=last.size, status=last.status))
    return rows


# One database, one size -------------------------------------------------------------------------

def run(site: Site, rounds: int, counts: dict, workdir: Path) -> list[dict]:
    """Everything, in an order that keeps the writes (letters, imports) after the reads. A
    part that fails is a row saying so; the rest is still measured."""
    gc.collect()
    heavy = max(1, min(rounds, 3))
    page_rows, floor_samples = time_pages(site, rounds, counts)
    rows = [Row(FLOOR.name, "pages", floor_samples, queries=_queries(counts, FLOOR.name),
                size=counts[site.landmarks.size][FLOOR.name]["bytes"], note="the reference for pages")]
    rows += page_rows
    one_page: list[float] = []

    def letters() -> list[Row]:
        letter_rows, alone = time_letters(site, max(heavy, 5))
        one_page.extend(alone)
        return letter_rows

    parts = (
        ("the feed", lambda: time_feed(site, rounds, counts, floor_samples)),
        ("verify-log", lambda: time_verify_log(site, heavy, workdir)),
        ("exports", lambda: time_exports(site, heavy, counts)),
        ("issuing a letter", letters),
        ("the evidence report", lambda: time_evidence(site, min(heavy, 2), counts, one_page)),
        # Three rounds, so the median is not the mean of a cold first round and a warm second.
        ("the client import", lambda: time_client_import(site, heavy)),
    )
    for name, part in parts:
        print(f"  {name}...", flush=True)
        try:
            rows += part()
        except Exception as error:  # noqa: BLE001 (reported in the table, not lost)
            traceback.print_exc()
            rows.append(Row(name, "jobs", [0.0], target="measured", status=500,
                            note=f"failed: {type(error).__name__}: {error}"))
    return [row.as_dict() for row in rows]
