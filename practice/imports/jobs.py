"""The two jobs of an import: the check, which writes the row-by-row report and saves
nothing, and the import, which checks the file again where the practice may have changed
since (all of it, unless the importer reuses what its check kept) and saves every row or
none. Both keep their report as their file (JSON), which the import's page reads a page at a
time."""

from flask import url_for

from practice.audit.services import Actor
from practice.auth.models import User
from practice.import_report import Preview
from practice.imports.queries import report_of_job
from practice.imports.registry import importer_named
from practice.imports.services import CHECK, RUN, forget_upload, upload_text
from practice.jobs.registry import JobContext, JobFailed, JobKind, register

REPORT = "import-report.json"


def _importer(ctx: JobContext):
    importer = importer_named(ctx.payload["importer"])
    if importer is None:
        raise JobFailed(f"This version of the application cannot import “{ctx.payload['importer']}”.")
    return importer


def _check(ctx: JobContext, importer, *, again: bool = False):
    def progress(done: int, total: int) -> None:
        ctx.progress(done, total, f"Checking{' again' if again else ''}: row {done:,} of {total:,}")

    ctx.progress(0, 0, f"Checking the file{' again' if again else ''}")
    text = upload_text(ctx.session, ctx.job)
    if again and importer.recheck is not None:
        checked = report_of_job(ctx.session, ctx.payload["check_job_id"])
        if checked is not None:
            return importer.recheck(ctx.session, text, checked, now=ctx.now, progress=progress)
    return importer.check(ctx.session, text, now=ctx.now, progress=progress)


def check_upload(ctx: JobContext) -> None:
    preview = _check(ctx, _importer(ctx))
    ctx.keep_file(REPORT, "application/json", preview.to_json())


def import_upload(ctx: JobContext) -> None:
    importer = _importer(ctx)
    preview = _check(ctx, importer, again=True)
    if preview.ok:
        # The last note before writing: once this job has written, SQLite keeps further notes out.
        ctx.progress(len(preview.rows), len(preview.rows), f"Saving {len(preview.rows):,} {importer.noun}")
        actor = Actor(ctx.session.get(User, ctx.job.requested_by_id) if ctx.job.requested_by_id else None,
                      ctx.payload.get("address", ""))
        preview.imported = importer.save(ctx.session, actor, preview, now=ctx.now)
    forget_upload(ctx.session, ctx.job)  # imported or refused, it is not needed any more
    # Once saved, the outcome is how many: the rows are in the check's report, shown there
    # (an import refused shows its own rows, checked again).
    outcome = preview if preview.imported is None else Preview(kind=preview.kind, imported=preview.imported)
    ctx.keep_file(REPORT, "application/json", outcome.to_json())


def _access(payload: dict):
    importer = importer_named(payload["importer"])
    return (importer.permission if importer else "jobs.manage", None)


def _back(payload: dict):
    importer = importer_named(payload["importer"])
    return (f"Import {importer.noun}", url_for(importer.upload_endpoint)) if importer else None


CHECK_IMPORT = register(JobKind(CHECK, "Check of a file to import", check_upload, max_attempts=3,
                                access=_access, back=_back))
RUN_IMPORT = register(JobKind(RUN, "Import", import_upload, max_attempts=3, access=_access, back=_back))
