"""Services, availability, appointments and payments. Money is integer minor units (cents)."""

import uuid as uuid_module
from datetime import datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import Practitioner, User
from practice.clients.models import Client
from practice.db import db, only_on


class Status(StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    LATE_CANCELLED = "late_cancelled"
    NO_SHOW = "no_show"


# The outcomes the client owes for: the session's price once they came, the fee (unless
# waived) for a no-show or a late cancellation. services.amount_due, the reports' summary
# and CHARGED below read these.
ATTENDED = (Status.ARRIVED.value, Status.COMPLETED.value)
CHARGEABLE = (Status.NO_SHOW.value, Status.LATE_CANCELLED.value)

# The appointments that carry a fee the client may still owe (a no-show or a late
# cancellation whose fee was not waived), as SQL: the condition of the partial index that
# queries.fees_owed and Today's rows read, written out once because SQLite uses a partial
# index only for a query that repeats its condition word for word, literals and all (not
# bound parameters).
_CHARGEABLE_SQL = ", ".join(f"'{status}'" for status in CHARGEABLE)
CHARGED = f"fee_cents > 0 AND NOT fee_waived AND status IN ({_CHARGEABLE_SQL})"

# Sessions still marked booked: those to come, and those that started and nobody marked
# (the review's sessions to settle), a few in a hundred.
BOOKED = "status = 'booked'"

# Appointments in these states no longer hold their time.
RELEASED = (Status.CANCELLED.value, Status.LATE_CANCELLED.value)
# The longest a session lasts (services.create_service refuses longer ones). An appointment
# that ends after a moment started at most this long before it: the bound that lets a search
# for what overlaps a period use the (..., start_at) indexes from both sides.
LONGEST_SESSION = timedelta(hours=8)


class Service(db.Model):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    duration_minutes: Mapped[int]
    price_cents: Mapped[int]
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="positive_duration"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("buffer_after_minutes >= 0", name="buffer_not_negative"),
    )


# The referral network's specialties (its `modality` table) each service covers: a client who
# booked the service is offered colleagues for these, not for any specialty sharing a word
# with the service's name.
service_specialty = Table(
    "service_specialty", db.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("modality_id", ForeignKey("modality.id"), primary_key=True, index=True),
)


class SchedulingPolicy(db.Model):
    """The practice's calendar settings (one row). The attendance rules (grace, cancellation
    window, fees) are in the versioned policy set: practice.policies."""

    __tablename__ = "scheduling_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Calendar feeds carry initials unless the practice opts in to clients' names.
    feed_shows_names: Mapped[bool] = mapped_column(default=False, server_default=false())


class PractitionerSchedule(db.Model):
    """How a practitioner protects their time."""

    __tablename__ = "practitioner_schedule"

    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), primary_key=True)
    buffer_minutes: Mapped[int] = mapped_column(default=0)  # after every session
    max_sessions_per_day: Mapped[int | None]
    min_notice_hours: Mapped[int] = mapped_column(default=0)
    # Bumped by every booking change: taking this row's write lock first serialises bookings
    # for one practitioner (on SQLite it takes the database's write lock).
    booking_version: Mapped[int] = mapped_column(default=0)
    # The secret in the practitioner's calendar subscription URL; None: no feed (revoked).
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    practitioner: Mapped[Practitioner] = relationship()


class WorkingHours(db.Model):
    """One range of working time on a weekday (0 = Monday), in the practice's time zone."""

    __tablename__ = "working_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    weekday: Mapped[int]
    starts: Mapped[time]
    ends: Mapped[time]

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )


class TimeBlock(db.Model):
    """Time off or blocked time; imported blocks come from a practitioner's own calendar."""

    __tablename__ = "time_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual | imported
    # For imported blocks: the event's UID and, for one occurrence of a recurring event,
    # its start, so that re-importing a file updates instead of duplicating.
    external_uid: Mapped[str | None] = mapped_column(String(500))
    occurrence_key: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        Index("ix_time_block_practitioner_id_start_at", "practitioner_id", "start_at"),
        # A day's blocks are those ending after it starts (and starting before it ends): by
        # start alone, that read walked every block of the years before (migration 0050).
        Index("ix_time_block_practitioner_id_end_at", "practitioner_id", "end_at"),
        UniqueConstraint("practitioner_id", "external_uid", "occurrence_key", name="uq_time_block_import"),
        CheckConstraint("start_at < end_at", name="starts_before_ends"),
    )


class Appointment(db.Model):
    __tablename__ = "appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid_module.uuid4()))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    # active_history: the value before a change is known even when the change comes before
    # any read (practice.reports.summary recomputes the day it left).
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), active_history=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    start_at: Mapped[datetime] = mapped_column(active_history=True)
    end_at: Mapped[datetime]
    # The end of the session plus the buffers after it: the time no other booking may use.
    held_until: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=Status.BOOKED.value)
    arrived_at: Mapped[datetime | None]
    late_minutes: Mapped[int | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The practice cancelled (e.g. a letter ended the relationship): everyone outside the
    # client's care team reads only "Cancelled by the practice", never the reason.
    cancelled_by_practice: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Booked by the client on the public pages (Today flags it for the desk).
    booked_online: Mapped[bool] = mapped_column(default=False, server_default=false())
    price_cents: Mapped[int]
    fee_cents: Mapped[int] = mapped_column(default=0)
    fee_waived: Mapped[bool] = mapped_column(default=False)
    fee_waiver_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    client: Mapped[Client] = relationship()
    practitioner: Mapped[Practitioner] = relationship()
    service: Mapped[Service] = relationship()
    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_appointment_practitioner_id_start_at", "practitioner_id", "start_at"),
        # The whole practice's day, week or report period (today, the calendar, reports).
        Index("ix_appointment_start_at", "start_at"),
        # A client's history, newest first, a page at a time.
        Index("ix_appointment_client_id_start_at", "client_id", "start_at"),
        # Who has seen a client (the care team's rule, practice.clients.care_team: a session
        # marked arrived or completed, with whom), from the index alone: the rule is asked
        # of every client a list or the review shows. With what each appointment makes due,
        # so that a client's balance over a long history (the client page) is summed from
        # the index alone too, not from a thousand rows of the table.
        Index("ix_appointment_client_id_seen_due", "client_id", "status", "practitioner_id",
              "fee_waived", "price_cents", "fee_cents"),
        # The reports' figures over a period: every column they count, so that a year's
        # appointments are read from the index alone, in the order of their start.
        Index("ix_appointment_start_at_figures", "start_at", "id", "status", "practitioner_id", "client_id",
              "price_cents", "fee_cents", "fee_waived", "late_minutes"),
        # The fees clients still owe (Today, the booking pages): the charged appointments
        # only, a few in a hundred, by client.
        Index("ix_appointment_charged_client_id", "client_id", "fee_cents",
              sqlite_where=text(CHARGED), postgresql_where=text(CHARGED)),
        # A practitioner's sessions still booked (the review's sessions to settle, weeks back):
        # PostgreSQL walked every practitioner's appointments of those weeks for them. SQLite
        # reads the practitioner's own weeks by practitioner_id and start instead, quickly.
        only_on("postgresql", Index("ix_appointment_booked_practitioner_id_start_at", "practitioner_id", "start_at",
                                    postgresql_where=text(BOOKED))),
        CheckConstraint("start_at < end_at", name="starts_before_ends"),
        CheckConstraint("end_at <= held_until", name="held_covers_session"),
    )


class Payment(db.Model):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    # active_history: as the appointment's start (practice.reports.summary).
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), active_history=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    amount_cents: Mapped[int]
    method: Mapped[str] = mapped_column(String(20))  # cash | card | transfer | other
    paid_at: Mapped[datetime] = mapped_column(active_history=True)
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="positive_amount"),
        # With the amount, so that what was paid for each appointment of a period, and what
        # was collected over it, are summed from the index alone (the reports).
        Index("ix_payment_appointment_id_amount_cents", "appointment_id", "amount_cents"),
        Index("ix_payment_paid_at_amount_cents", "paid_at", "amount_cents"),
        # A client's payments; with the appointment and the amount, so that what they paid
        # apart from any appointment (the client page's balance) is found and summed from the
        # index alone, not by reading each of their payments.
        Index("ix_payment_client_id_appointment_id", "client_id", "appointment_id", "amount_cents"),
    )
