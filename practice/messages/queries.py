"""Reads for the outbox pages and the client page, each in a fixed number of queries."""

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from practice.db import db
from practice.jobs.models import Job
from practice.messages.models import STATUSES, EmailConsent, Message


def outbox_page(page: int, per_page: int, status: str = ""):
    """The outbox, newest first; two queries (the count and the page)."""
    query = select(Message).options(joinedload(Message.created_by))
    if status in STATUSES:
        query = query.where(Message.status == status)
    query = query.order_by(Message.created_at.desc(), Message.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def status_counts() -> dict[str, int]:
    rows = db.session.execute(select(Message.status, func.count()).group_by(Message.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def message_for_page(message_id: int) -> tuple[Message, Job | None] | None:
    """The message with its attachments (their bytes stay in the database) and its job."""
    message = db.session.scalar(
        select(Message).options(joinedload(Message.created_by), joinedload(Message.cancelled_by),
                                joinedload(Message.client), selectinload(Message.attachments))
        .where(Message.id == message_id))
    if message is None:
        return None
    return message, db.session.get(Job, message.job_id) if message.job_id else None


# Built once, not on each view of the client page.
_CONSENT = (select(EmailConsent).options(joinedload(EmailConsent.recorded_by))
            .where(EmailConsent.client_id == bindparam("client_id")))


def consent_for(client_id: int) -> EmailConsent | None:
    return db.session.scalar(_CONSENT, {"client_id": client_id})
