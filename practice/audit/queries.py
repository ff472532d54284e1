"""Reads for the audit page: a page of the trail without counting the whole of it, and the
actions it holds read from the (action, at) index one seek at a time."""

from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from practice.audit.models import AuditEvent
from practice.db import db
from practice.paging import Window, window

# A loose index scan: each step seeks the next action after the one before on
# ix_audit_event_action_at, so the list costs one seek per distinct action, not a pass
# over the whole trail (the same SQL on SQLite and PostgreSQL).
_ACTIONS = text("""
WITH RECURSIVE actions(action) AS (
    SELECT min(action) FROM audit_event
    UNION ALL
    SELECT (SELECT min(next.action) FROM audit_event AS next WHERE next.action > actions.action)
    FROM actions WHERE actions.action IS NOT NULL
)
SELECT action FROM actions WHERE action IS NOT NULL
""")


def audit_page(page: int, per_page: int, action: str = "") -> Window:
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if action:
        query = query.where(AuditEvent.action == action)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return window(query, page=page, per_page=per_page)


def audit_actions() -> list[str]:
    return list(db.session.scalars(_ACTIONS))
