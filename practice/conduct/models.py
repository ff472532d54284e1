"""The conduct record: incident categories, the append-only hash-chained entries with their
attachments, and the log of what the practice told the client."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import User
from practice.clients.models import Client
from practice.db import db

KINDS = {
    "late_arrival": "Late arrival",
    "no_show": "No-show",
    "late_cancellation": "Late cancellation",
    "non_payment": "Non-payment",
    "short_payment": "Short payment",
    "fee_waived": "Fee waived",
    "boundary": "Boundary incident",
    "safety": "Safety incident",
}
SEVERITIES = {"low": "Low", "medium": "Medium", "high": "High"}
CHANNELS = {
    "in_person": "In person", "phone": "Phone", "text": "Text message", "email": "E-mail",
    "social_media": "Social media", "gift": "Gift", "third_party": "Through a third party",
}
COMMUNICATION_CHANNELS = {
    "in_person": "In person", "phone": "Phone", "text": "Text message", "email": "E-mail",
    "post": "Post", "other": "Other", "online": "Online",
}
COMMUNICATION_KINDS = {
    "policy_reminder": "Policy reminder", "warning": "Warning", "final_notice": "Final notice",
    "conversation": "Conversation", "letter_sent": "Letter sent",
    "policy_acknowledged": "Policy acknowledged",
}
# Recorded by the application itself (the client acknowledged the policy with the link sent
# to them), never chosen in the form.
SYSTEM_COMMUNICATION_KINDS = frozenset({"policy_acknowledged"})
SYSTEM_COMMUNICATION_CHANNELS = frozenset({"online"})


class IncidentCategory(db.Model):
    """A kind of boundary or safety incident. Retired, never deleted: old entries keep it."""

    __tablename__ = "incident_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    safety: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    retired_at: Mapped[datetime | None]

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class EntryLabels:
    """What the pages write of an entry's kind, channel and related entries, for the model
    and for the plain rows the record's page reads (`conduct.queries.ShownEntry`)."""

    __slots__ = ()

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel or "", "")

    @property
    def related(self) -> list[int]:
        return [int(part) for part in self.related_ids.split(",") if part]


class ConductEntry(EntryLabels, db.Model):
    """One fact of the conduct record. Never updated or deleted (the database refuses):
    a correction is a new entry whose `corrects_id` names the one it corrects.

    `seq` is the entry's place in the chain (1, 2, 3...); `prev_hash` is the hash of the
    entry before it and `hash` its own, over practice.conduct.chain.canonical()."""

    __tablename__ = "conduct_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))  # indexed with occurred_from
    kind: Mapped[str] = mapped_column(String(30))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("incident_category.id"))
    severity: Mapped[str | None] = mapped_column(String(10))  # None for automatic entries
    safety: Mapped[bool] = mapped_column(default=False)
    occurred_from: Mapped[datetime] = mapped_column(index=True)  # the reports count a period's
    occurred_to: Mapped[datetime | None]
    recorded_at: Mapped[datetime] = mapped_column(index=True)  # the review lists a day's
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(10))  # automatic | manual
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policy.id"))  # the version in force
    minutes: Mapped[int | None]  # minutes late
    amount_cents: Mapped[int | None]  # the fee, the unpaid or short amount, the waived fee
    location: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")  # what happened, exact words
    response: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(Text, default="")
    witnesses: Mapped[str] = mapped_column(Text, default="")
    police_reference: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")  # a waiver's or a correction's reason
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("conduct_entry.id"))  # indexed with seq
    # A correction saying the entry it corrects was recorded in error.
    withdrawn: Mapped[bool] = mapped_column(default=False)
    related_ids: Mapped[str] = mapped_column(Text, default="")  # "3,7": ids of related entries
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    client: Mapped[Client] = relationship()
    category: Mapped[IncidentCategory | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        order_by="Attachment.id", back_populates="entry"
    )

    __table_args__ = (
        # A client's entries by when they happened: the record's pages and the client page
        # read the latest of a long record without sorting all of it.
        Index("ix_conduct_entry_client_occurred", "client_id", "occurred_from", "seq"),
        # The client page's summary (conduct.queries.SUMMARY_COUNTS) from indexes alone: the
        # columns it counts, and each entry's later corrections by their place in the chain.
        Index("ix_conduct_entry_client_kind", "client_id", "kind", "withdrawn", "safety",
              "occurred_from", "corrects_id", "seq", "id"),
        Index("ix_conduct_entry_corrects_id_seq", "corrects_id", "seq"),
        # An event repeated (a signal sent twice) never records the same breach twice.
        Index("uq_conduct_entry_automatic", "appointment_id", "kind", unique=True,
              sqlite_where=text("source = 'automatic'"),
              postgresql_where=text("source = 'automatic'")),
    )


class Attachment(db.Model):
    """Evidence kept with an entry: a screenshot, photo or saved message, in the database."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("conduct_entry.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)

    entry: Mapped[ConductEntry] = relationship(back_populates="attachments")

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


class PrintCopy(db.Model):
    """An image attachment scaled to the size the evidence report prints it at, made once.
    The attachment and its SHA-256 remain the evidence; the report shows this copy and says
    that it is one. Not part of the hash chain: it can always be made again."""

    __tablename__ = "attachment_print_copy"

    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int]
    height: Mapped[int]
    original_width: Mapped[int]
    original_height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CommunicationLabels:
    """What the pages write of a communication's kind and channel, for the model and for the
    plain rows the record's page reads (`conduct.queries.ShownCommunication`)."""

    __slots__ = ()

    @property
    def kind_label(self) -> str:
        return COMMUNICATION_KINDS.get(self.kind, self.kind)

    @property
    def channel_label(self) -> str:
        return COMMUNICATION_CHANNELS.get(self.channel, self.channel)


class Communication(CommunicationLabels, db.Model):
    """What the practice told the client, and when: the dates letters quote. Never edited."""

    __tablename__ = "communication"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    occurred_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    recorded_by: Mapped[User | None] = relationship()


class ChainCheck(db.Model):
    """One check of the whole chain, by `practice verify-log` or the daily job: how far it
    reached and what it found. Pages check only the entries they show and their links, and
    say when the whole record was last checked (the latest row)."""

    __tablename__ = "chain_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(20))  # command | job
    files_checked: Mapped[bool]  # every attachment's bytes hashed again, not only their SHA-256
    ok: Mapped[bool]
    entries: Mapped[int]  # entries verified (before the first failure, if any)
    through_seq: Mapped[int]  # the last entry verified: the chain up to it was intact
    head_hash: Mapped[str] = mapped_column(String(64))  # that entry's hash
    bad_entry_id: Mapped[int | None]  # the first entry that failed (no foreign key: it is a finding)
    reason: Mapped[str] = mapped_column(Text, default="")
