from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import Practitioner, User
from practice.db import db

UNBOOKABLE_STANDINGS = ("moved_on", "declined")
# The ladder, in order; the practitioner decides which rung a client is on.
STANDINGS = {
    "active": "Active",
    "watch": "Watch",
    "warned": "Warned",
    "final_notice": "Final notice",
    "moved_on": "Moved on",
    "declined": "Declined",
}


class Client(db.Model):
    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The name the practice knows the client by; a working alias is enough.
    display_name: Mapped[str] = mapped_column(String(120), index=True)
    legal_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)  # E.164 when valid
    email: Mapped[str] = mapped_column(String(254), default="", index=True)  # normalised
    address: Mapped[str] = mapped_column(Text, default="")
    date_of_birth: Mapped[date | None]
    primary_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    referral_source: Mapped[str] = mapped_column(String(200), default="")
    # active | watch | warned | final_notice | moved_on | declined (the conduct record keeps
    # the history of changes); moved_on and declined cannot be booked.
    standing: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    primary_practitioner: Mapped[Practitioner | None] = relationship()

    @property
    def bookable(self) -> bool:
        return self.standing not in UNBOOKABLE_STANDINGS

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class StandingChange(db.Model):
    """A decision about a client's standing, with its reason. Kept forever (append-only)."""

    __tablename__ = "standing_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    from_standing: Mapped[str] = mapped_column(String(20))
    to_standing: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    changed_by: Mapped[User | None] = relationship()


class PrivateNote(db.Model):
    """A note only its author ever sees: a thought about the client, or a consultation
    (talking the case through with a trusted colleague)."""

    __tablename__ = "private_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # note | consultation
    colleague: Mapped[str] = mapped_column(String(200), default="")  # consulted, if any
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]
