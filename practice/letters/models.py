"""Issued letters (frozen: the PDF bytes are what is downloaded forever after), the
practice's versioned texts per kind, and the letter settings (paper size)."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import Practitioner, User
from practice.clients.models import Client
from practice.db import db
from practice.messages.models import Message

KINDS = {
    "referral": "Referral to a colleague",
    "discontinuation": "Ending the professional relationship",
    "safety_discontinuation": "Ending the relationship (safety)",
    "practice_full": "Practice full: reply to an inquiry",
    "custom": "Letter on the letterhead",
}
# Letters that end a relationship (every letter to a client opens only to the client's care
# team: practice.auth.permissions).
DISCONTINUATION_KINDS = frozenset({"discontinuation", "safety_discontinuation"})
CHANNELS = {"post": "Post", "email": "E-mail", "in_person": "In person"}
PAGE_SIZES = {"A4": "A4", "letter": "US Letter"}


class Letter(db.Model):
    __tablename__ = "letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiry.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialist.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))  # the name the letter is addressed to
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # the paragraphs as issued, blank-line separated
    channel: Mapped[str] = mapped_column(String(20))
    page_size: Mapped[str] = mapped_column(String(10))
    template_version: Mapped[int | None]
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only to download
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    client: Mapped[Client | None] = relationship()
    author: Mapped[Practitioner | None] = relationship()
    issued_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    @property
    def filename(self) -> str:
        return f"letter-{self.kind.replace('_', '-')}-{self.issued_at:%Y-%m-%d}-{self.uuid[:8]}.pdf"


class LetterReferral(db.Model):
    """A colleague a letter offered, recorded as a referral when it was issued (a letter
    ending a relationship may offer up to three). Append-only, like the letter."""

    __tablename__ = "letter_referral"

    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), primary_key=True, index=True)


class LetterTemplate(db.Model):
    """The practice's own text for a kind. Never edited: a change is a new version."""

    __tablename__ = "letter_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("kind", "version", name="uq_letter_template_kind_version"),)


class LetterSettings(db.Model):
    """One row at most: how the practice's letters are printed."""

    __tablename__ = "letter_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_size: Mapped[str] = mapped_column(String(10), default="A4", server_default="A4")
    # What a letter ending a relationship says about paying a balance that is owed.
    how_to_pay: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class LetterDelivery(db.Model):
    """A letter sent by e-mail: the message in the outbox that carries its PDF. Issued
    letters never change (the database refuses it), so where the e-mail is (waiting, sent,
    failed) is read from its message, through this row."""

    __tablename__ = "letter_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), unique=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), unique=True)
    queued_at: Mapped[datetime]

    message: Mapped[Message] = relationship()
