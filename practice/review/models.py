from datetime import date, datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import User
from practice.db import db


class ReviewedDay(db.Model):
    """A practitioner's day marked reviewed: who looked at it, and when."""

    __tablename__ = "reviewed_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    day: Mapped[date]
    reviewed_at: Mapped[datetime]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    reviewed_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("practitioner_id", "day", name="uq_reviewed_day"),)
