from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import User
from practice.db import db


class AuditEvent(db.Model):
    """Who did what, when and from where. Append-only: the database refuses changes."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Kept as text too, so the trail still reads right if the account is renamed.
    actor_label: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        # "Who has looked at this record" reads a client's events by their object.
        Index("ix_audit_event_object", "object_type", "object_id", "at"),
        # The audit page filtered by action, newest first; the list of actions.
        Index("ix_audit_event_action_at", "action", "at"),
    )
