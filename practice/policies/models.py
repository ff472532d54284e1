"""The practice's policy set, versioned, and clients' acknowledgements of a version.

A version is never edited: a change is a new version with the date it takes effect, so that
every fee and every conduct entry can name the rules that were in force when it happened."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import User
from practice.clients.models import Client
from practice.db import db


class Policy(db.Model):
    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    # A local day in the practice's time zone: the version applies from its first minute.
    effective_from: Mapped[date]
    late_grace_minutes: Mapped[int] = mapped_column(default=10)
    session_ends_on_time: Mapped[bool] = mapped_column(default=True)
    cancellation_window_hours: Mapped[int] = mapped_column(default=24)
    late_cancel_fee_percent: Mapped[int] = mapped_column(default=50)
    no_show_fee_percent: Mapped[int] = mapped_column(default=100)
    # Escalation thresholds: this many entries of a kind within this many days suggests a
    # next step. Safety entries always suggest one at once, so they have no threshold.
    escalate_late_arrivals: Mapped[int] = mapped_column(default=3)
    escalate_late_arrivals_days: Mapped[int] = mapped_column(default=90)
    escalate_no_shows: Mapped[int] = mapped_column(default=2)
    escalate_no_shows_days: Mapped[int] = mapped_column(default=365)
    escalate_late_cancellations: Mapped[int] = mapped_column(default=3)
    escalate_late_cancellations_days: Mapped[int] = mapped_column(default=90)
    escalate_unpaid: Mapped[int] = mapped_column(default=2)
    escalate_unpaid_days: Mapped[int] = mapped_column(default=180)
    escalate_boundary: Mapped[int] = mapped_column(default=2)
    escalate_boundary_days: Mapped[int] = mapped_column(default=90)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()
    clauses: Mapped[list["PolicyClause"]] = relationship(order_by="PolicyClause.position")

    __table_args__ = (
        CheckConstraint("version > 0", name="positive_version"),
        CheckConstraint("late_cancel_fee_percent BETWEEN 0 AND 100", name="late_cancel_fee_range"),
        CheckConstraint("no_show_fee_percent BETWEEN 0 AND 100", name="no_show_fee_range"),
    )


# What a clause is about: a letter quotes only the clauses whose topics match what it cites.
TOPICS = {
    "attendance": "Attendance and lateness",
    "cancellation": "Cancellation and missed sessions",
    "payment": "Payment",
    "conduct": "Conduct and boundaries",
    "communication": "Communication",
    "other": "Other",
}


class PolicyClause(db.Model):
    """One paragraph of a version's written policy, with its topic. The text belongs to its
    version (a new wording is a new version); the topic is the practice's filing of it and
    may be chosen later (until then "other")."""

    __tablename__ = "policy_clause"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"), index=True)
    position: Mapped[int]
    topic: Mapped[str] = mapped_column(String(20), default="other")
    text: Mapped[str] = mapped_column(Text)

    @property
    def topic_label(self) -> str:
        return TOPICS.get(self.topic, self.topic)


# How a client acknowledged the policy: stored value -> what the pages say.
ACKNOWLEDGEMENT_METHODS = {
    "signed_at_intake": "Signed at intake",
    "accepted_at_booking": "Accepted at booking",
    "verbally": "Verbally",
    "by_email": "By e-mail",
    "online": "Online, with the link sent by e-mail",
    "online_booking": "Online, when booking",
}
# The ways a person at the practice records; the online ones only by the client's own action.
STAFF_METHODS = {method: label for method, label in ACKNOWLEDGEMENT_METHODS.items()
                 if method not in ("online", "online_booking")}


class PolicyAcknowledgement(db.Model):
    """A client acknowledged one version of the policy, on a day, in a way."""

    __tablename__ = "policy_acknowledgement"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"))
    acknowledged_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Online: the address the client's browser acknowledged from.
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")

    client: Mapped[Client] = relationship()
    policy: Mapped[Policy] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_policy_acknowledgement_client_id_policy_id", "client_id", "policy_id"),
    )

    @property
    def method_label(self) -> str:
        return ACKNOWLEDGEMENT_METHODS.get(self.method, self.method)


class AcknowledgementRequest(db.Model):
    """"Ask to acknowledge": a link sent by e-mail, signed, good once and until it expires.
    The link carries this row's id and a random nonce kept here; when the client uses it,
    `used_at` and the acknowledgement it made are filled in."""

    __tablename__ = "acknowledgement_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"))  # the version in force when asked
    email: Mapped[str] = mapped_column(String(254))
    nonce: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime]
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    acknowledgement_id: Mapped[int | None] = mapped_column(ForeignKey("policy_acknowledgement.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))

    policy: Mapped[Policy] = relationship()
    requested_by: Mapped[User | None] = relationship()
