"""The conduct record's background jobs. The evidence report: a long record takes long to lay
out (a client with hundreds of entries makes a report of a hundred pages and more), so the
worker makes it, shows how far it has got, and keeps the PDF for the user to open from the
job's page. The daily full check of the chain, which pages rely on (they check only their
client's entries and their links)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from practice.clients.models import Client
from practice.clients.services import record_view
from practice.conduct import queries
from practice.conduct.chain import verify_chain
from practice.conduct.evidence import period_bounds, render_evidence
from practice.conduct.pictures import make_print_copies, print_copies
from practice.db import db
from practice.jobs.registry import JobContext, JobFailed, JobKind, register
from practice.settings.services import get_practice

STEPS = 3  # read and check the record; lay out the pages; write the file


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def evidence_filename(client_id: int, moment) -> str:
    return f"conduct-record-{client_id}-{moment:%Y%m%d}.pdf"


def make_evidence_report(ctx: JobContext) -> None:
    client = ctx.session.get(Client, ctx.payload["client_id"])
    if client is None:
        raise JobFailed("The client's record is not there any more.")
    profile = get_practice(ctx.session)
    start, end = period_bounds(_day(ctx.payload.get("start")), _day(ctx.payload.get("end")),
                               ZoneInfo(profile.timezone))
    ctx.progress(0, STEPS, "Reading the record and checking its chain")
    with ctx.separately() as session:  # derived copies, kept for every later report
        make_print_copies(session, client.id)
    report = queries.evidence(client.id, start, end)
    ctx.progress(1, STEPS, f"Laying out {len(report.entries)} entries and "
                           f"{len(report.communications)} communications")
    requester = ctx.job.requested_by
    pdf = render_evidence(
        report, profile=profile, generated_at=ctx.now,
        author=requester.name if requester else profile.name,
        pictures=print_copies(ctx.session, report.attachments),
        laid_out=lambda pages: ctx.progress(2, STEPS, f"Writing {pages} pages"),
    )
    ctx.keep_file(evidence_filename(client.id, ctx.now), "application/pdf", pdf)


EVIDENCE_REPORT = register(JobKind(
    "conduct.evidence_report", "Evidence report", make_evidence_report, max_attempts=3,
    # The report opens to the client's care team, whoever asked for it.
    access=lambda payload: ("conduct.view", db.session.get(Client, payload["client_id"])),
    back=lambda payload: ("Conduct record",
                          url_for("conduct.client_conduct", client_id=payload["client_id"])),
    downloaded=lambda session, actor, job, now: record_view(
        session, actor, session.get(Client, job.payload["client_id"]), "evidence report", now=now,
        job_id=job.id, start=job.payload.get("start"), end=job.payload.get("end")),
))


def check_chain(ctx: JobContext) -> None:
    """Check the whole chain, every file included, and keep what was found."""
    from practice.conduct.services import record_chain_check  # the services queue the report above

    ctx.progress(0, 1, "Checking every entry and attachment of the conduct record")
    result = verify_chain(ctx.session, check_files=True)
    record_chain_check(ctx.session, result, source="job", files_checked=True, now=ctx.now)


def _daily_check_on(session) -> bool:
    return current_app.config["PRACTICE_CHAIN_CHECK_DAILY"]


CHAIN_CHECK = register(JobKind(
    "conduct.check_chain", "Full check of the conduct record", check_chain, max_attempts=3,
    every=timedelta(days=1), wanted=_daily_check_on,
))
