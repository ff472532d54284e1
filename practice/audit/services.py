from dataclasses import dataclass
from datetime import datetime

from practice.audit.models import AuditEvent
from practice.auth.models import User


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where: what the audit trail records for every write."""

    user: User | None
    address: str = ""

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def label(self) -> str:
        return self.user.email if self.user else "system"


SYSTEM = Actor(None, "")


def record(session, actor: Actor, action: str, target=None, *, now: datetime, **detail) -> None:
    """Add an audit event to the session; it is committed with the write it describes, in
    the same unit of work, or not at all."""
    session.add(
        AuditEvent(
            at=now,
            actor_id=actor.user.id if actor.user else None,
            actor_label=actor.label,
            address=actor.address or "",
            action=action,
            object_type=type(target).__name__ if target is not None else "",
            object_id=str(target.id) if target is not None else "",
            detail=detail,
        )
    )
