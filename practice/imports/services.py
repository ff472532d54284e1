"""The writes of an import in the background: keeping the upload and queueing its check, then
queueing the import itself once the user has read the report. Services flush, never commit."""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from practice.audit.services import Actor
from practice.errors import DomainError
from practice.imports.queries import report_of
from practice.imports.registry import importer_named
from practice.jobs.models import Job, JobFile, JobUpload
from practice.jobs.registry import JobFailed
from practice.jobs.services import enqueue

CHECK, RUN = "imports.check", "imports.run"
# An upload nobody imported is deleted after this long, with its report (the daily housekeeping).
ABANDONED_AFTER = timedelta(days=7)


def start_check(session, actor: Actor, importer_name: str, filename: str, text: str, *,
                now: datetime) -> Job:
    """Keep the uploaded file and queue the job that checks it (nothing is imported yet)."""
    importer = importer_named(importer_name)
    filename = (filename or "the uploaded file")[:120]
    job = enqueue(session, CHECK, {"importer": importer.name, "filename": filename, "address": actor.address},
                  now=now, requested_by=actor.user, title=f"Check of {filename} ({importer.noun})")
    data = text.encode()
    session.add(JobUpload(job_id=job.id, filename=filename, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), data=data, created_at=now))
    session.flush()
    return job


def confirm(session, actor: Actor, check: Job, *, now: datetime) -> Job:
    """Queue the import of a checked file whose every row can be imported. Confirming again
    (a second click) gives back the import already queued: a file is imported once."""
    if check.kind != CHECK:
        raise DomainError("Only a checked file can be imported.")
    if check.status != "done":
        raise DomainError("Wait until the check has finished, then read the report first.")
    report = report_of(session, check)
    if report is None:
        raise DomainError(f"This file is no longer kept (files not imported within {ABANDONED_AFTER.days} days "
                          "are deleted). Upload it again.")
    if not report.ok:
        raise DomainError("Nothing can be imported while a row is wrong. Correct the file and upload it again.")
    importer = importer_named(check.payload["importer"])
    return enqueue(session, RUN, check.payload | {"address": actor.address, "check_job_id": check.id}, now=now,
                   requested_by=actor.user, key=import_key(check),
                   title=f"Import of {check.payload['filename']} ({importer.noun})")


def import_key(check: Job) -> str:
    """The key of the one import a checked file may have."""
    return f"import:{check.id}"


def forget_upload(session, job: Job) -> None:
    """Delete the uploaded file once its import has run (the reports stay)."""
    session.execute(delete(JobUpload).where(JobUpload.job_id == _upload_job_id(job)))


def _upload_job_id(job: Job) -> int:
    return job.payload.get("check_job_id", job.id)  # the import reads its check's upload


def upload_text(session, job: Job) -> str:
    """The uploaded file a check or an import job works on."""
    data = session.scalar(select(JobUpload.data).where(JobUpload.job_id == _upload_job_id(job)))
    if data is None:
        raise JobFailed("The uploaded file is not there any more. Upload it again.")
    return data.decode()


def forget_abandoned(session, *, before: datetime) -> int:
    """Delete uploads kept since before `before` whose import never ran, with their check's
    report: a file of clients' details is not kept for an import nobody confirmed."""
    checks = select(JobUpload.job_id).where(JobUpload.created_at < before)
    session.execute(delete(JobFile).where(JobFile.job_id.in_(checks)))
    return session.execute(delete(JobUpload).where(JobUpload.created_at < before)).rowcount
