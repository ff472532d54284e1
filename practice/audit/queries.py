from sqlalchemy import select
from sqlalchemy.orm import joinedload

from practice.audit.models import AuditEvent
from practice.db import db


def audit_page(page: int, per_page: int, action: str = ""):
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if action:
        query = query.where(AuditEvent.action == action)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
