"""Reads for an import's page: its report (the job's file) and the import of a checked file."""

from sqlalchemy import select

from practice.import_report import Preview
from practice.jobs.models import Job, JobFile


def report_of(session, job: Job) -> Preview | None:
    """The row-by-row report a finished check or import wrote (its file), or None: one query."""
    return report_of_job(session, job.id)


def report_of_job(session, job_id: int) -> Preview | None:
    data = session.scalar(select(JobFile.data).where(JobFile.job_id == job_id))
    return Preview.from_json(data) if data is not None else None


def job_with_key(session, key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.key == key))
