"""The referral network's tables: the modality taxonomy, specialists, referrals out and in,
and inquiries from would-be clients (with the waitlist).

The people these records name (the client referred, the user who referred or checked an
entry, the practitioner an inquiry asks for) are the host's: their ids are kept in
`host_id` columns and everything else about them comes from the host (referrals.host)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.db import only_on
from referrals.database import Base, host_id, metadata

# The taxonomy every practice starts with; a practice adds its own and retires old ones.
DEFAULT_MODALITIES = (
    "Deep tissue", "Sports massage", "Prenatal massage", "Lymphatic drainage", "Myofascial release",
    "Trigger point therapy", "Physiotherapy", "Chiropractic", "Osteopathy", "Counselling",
    "Acupuncture", "Podiatry", "Reflexology", "Pilates", "Nutrition",
)


class Accepting(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"yes": "Accepting new clients", "no": "Not accepting new clients",
                "unknown": "Not known whether accepting"}[self.value]


class Outcome(StrEnum):
    PENDING = "pending"
    BOOKED = "booked"
    GOOD_MATCH = "good_match"
    NOT_A_MATCH = "not_a_match"
    NO_ANSWER = "no_answer"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.value]


OUTCOME_LABELS = {
    "pending": "Waiting to hear", "booked": "Client booked with them", "good_match": "A good match",
    "not_a_match": "Not a match", "no_answer": "No answer",
}


class InquiryStatus(StrEnum):
    OPEN = "open"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"          # a place was offered to someone on the waitlist
    CLIENT = "client"            # became a client of the practice
    DECLINED = "declined"
    REFERRED = "referred"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"open": "Open", "waitlisted": "On the waitlist", "offered": "Place offered",
                "client": "Became a client", "declined": "Declined (practice full)",
                "referred": "Referred to a colleague", "withdrawn": "Withdrawn"}[self.value]


OPEN_INQUIRY_STATUSES = ("open", "waitlisted", "offered")
CLOSING_OUTCOMES = ("declined", "referred", "withdrawn")


class Modality(Base):
    """One entry of the taxonomy of modalities and specialties. Retired, never deleted."""

    __tablename__ = "modality"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(String(80), unique=True)  # lower-cased, for duplicates
    retired: Mapped[bool] = mapped_column(default=False)


# Each has an index by modality that holds the other id too: matching reads who offers a
# modality and which referrals named it from the index alone.
specialist_modality = Table(
    "specialist_modality", metadata,
    Column("specialist_id", ForeignKey("specialist.id"), primary_key=True),
    Column("modality_id", ForeignKey("modality.id"), primary_key=True),
    Index("ix_specialist_modality_by_modality", "modality_id", "specialist_id"),
)
referral_need = Table(
    "referral_need", metadata,
    Column("referral_id", ForeignKey("referral.id"), primary_key=True),
    Column("modality_id", ForeignKey("modality.id"), primary_key=True),
    Index("ix_referral_need_by_modality", "modality_id", "referral_id"),
)
inquiry_need = Table(
    "inquiry_need", metadata,
    Column("inquiry_id", ForeignKey("inquiry.id"), primary_key=True),
    Column("modality_id", ForeignKey("modality.id"), primary_key=True, index=True),
)


class Specialist(Base):
    """A colleague the practice may refer to (or hear from). Retired, never deleted."""

    __tablename__ = "specialist"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    business: Mapped[str] = mapped_column(String(200), default="")
    profession: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[str] = mapped_column(String(120), default="")
    languages: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    accessibility: Mapped[str] = mapped_column(Text, default="")
    fees: Mapped[str] = mapped_column(Text, default="")
    accepting: Mapped[str] = mapped_column(String(10), default="unknown")
    notes: Mapped[str] = mapped_column(Text, default="")
    verified_on: Mapped[date | None]
    verified_by_id: Mapped[int | None] = host_id("user")
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    # Lower-cased copies the directory searches and sorts on (indexed), kept by the services.
    name_key: Mapped[str] = mapped_column(String(120), index=True)
    area_key: Mapped[str] = mapped_column(String(120), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")

    # Each holds what a read of every active entry needs (the area filter's list, the count
    # of entries to check), so those reads stay in the index and skip the wide rows.
    __table_args__ = (
        Index("ix_specialist_area", "area_key", "retired_at", "area"),
        Index("ix_specialist_verified", "verified_on", "retired_at"),
    )

    modalities: Mapped[list[Modality]] = relationship(
        secondary=specialist_modality, order_by=Modality.name
    )

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    @property
    def accepting_label(self) -> str:
        return Accepting(self.accepting).label

    @property
    def language_list(self) -> list[str]:
        return [part.strip() for part in self.languages.split(",") if part.strip()]


# What matching reads of each colleague offering the need (referrals.queries._ranked_candidates),
# held by an index of their ids: PostgreSQL reads the candidates from it instead of every row of
# the table (the ranking 2.8 -> 2.1 ms on the large practice). SQLite reads them by rowid.
only_on("postgresql", Index("ix_specialist_ranking", Specialist.id, postgresql_include=[
    "retired_at", "accepting", "verified_on", "name_key"]))


class Referral(Base):
    """A client referred out to a specialist, or a client who came to us ("in"): from a
    specialist in the directory or from another source."""

    __tablename__ = "referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # out | in
    client_id: Mapped[int] = host_id("client", index=True)
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("specialist.id"), index=True)
    source: Mapped[str] = mapped_column(String(200), default="")  # "in" from outside the directory
    need: Mapped[str] = mapped_column(Text, default="")
    referred_on: Mapped[date]
    created_at: Mapped[datetime]
    by_id: Mapped[int | None] = host_id("user")
    follow_up_on: Mapped[date | None]
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[datetime | None]

    specialist: Mapped[Specialist | None] = relationship()
    needs: Mapped[list[Modality]] = relationship(secondary=referral_need, order_by=Modality.name)

    __table_args__ = (
        Index("ix_referral_follow_up", "direction", "outcome", "follow_up_on"),
        # The reports' referrals of a range of days, by specialist or source and outcome
        # (and, for one practitioner, whose client or who referred), read from the index alone.
        Index("ix_referral_referred_on", "referred_on", "direction", "specialist_id", "source", "outcome",
              "client_id", "by_id"),
    )

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)

    @property
    def source_label(self) -> str:
        return self.specialist.name if self.specialist else self.source


class Inquiry(Base):
    """A would-be client who got in touch; the waitlist is the waitlisted ones, oldest first."""

    __tablename__ = "inquiry"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    need: Mapped[str] = mapped_column(Text, default="")
    preferred_times: Mapped[str] = mapped_column(String(200), default="")
    area: Mapped[str] = mapped_column(String(120), default="")
    practitioner_id: Mapped[int | None] = host_id("practitioner")
    # The host's service asked for (the practice's own services), by id: a plain column with no
    # foreign key, so the network needs nothing of the host's models.
    service_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    received_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = host_id("user")
    waitlisted_at: Mapped[datetime | None] = mapped_column(index=True)
    offered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[int | None] = host_id("client")

    needs: Mapped[list[Modality]] = relationship(secondary=inquiry_need, order_by=Modality.name)

    # The reports' inquiries received in a range, by status (and practitioner).
    __table_args__ = (Index("ix_inquiry_received_at", "received_at", "practitioner_id", "status"),)

    @property
    def status_label(self) -> str:
        return InquiryStatus(self.status).label

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INQUIRY_STATUSES
