"""Reads for the job pages, each in a fixed number of queries."""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from practice.db import db
from practice.jobs.models import STATUSES, Job


def _with_requester_and_file():
    # The file's bytes stay deferred: pages show its name and size.
    return (joinedload(Job.requested_by), joinedload(Job.file))


def jobs_page(page: int, per_page: int, status: str = ""):
    """The queue for admins, newest first; two queries (the count and the page)."""
    query = select(Job).options(*_with_requester_and_file())
    if status in STATUSES:
        query = query.where(Job.status == status)
    query = query.order_by(Job.created_at.desc(), Job.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def status_counts() -> dict[str, int]:
    """How many jobs are in each state: one query."""
    rows = db.session.execute(select(Job.status, func.count()).group_by(Job.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def job_for_page(job_id: int) -> Job | None:
    return db.session.scalar(select(Job).options(*_with_requester_and_file()).where(Job.id == job_id))

