"""Reads for an import's page: its report (the job's file) and the import of a checked file."""

from sqlalchemy import select

from practice.import_report import KeptReport, Preview
from practice.jobs.models import Job, JobFile


def report_of(session, job: Job) -> KeptReport | None:
    """The row-by-row report a finished check or import wrote (its file) as its pages read
    it (the summary, then a page's rows on demand), or None: one query."""
    data = _report_data(session, job.id)
    return KeptReport.read(data) if data is not None else None


def report_of_job(session, job_id: int) -> Preview | None:
    """The whole report a check wrote, every row decoded (the import reuses it), or None."""
    data = _report_data(session, job_id)
    return Preview.from_json(data) if data is not None else None


def _report_data(session, job_id: int) -> bytes | None:
    return session.scalar(select(JobFile.data).where(JobFile.job_id == job_id))


def job_with_key(session, key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.key == key))
