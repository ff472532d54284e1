"""Online booking: the practice's settings, who and what may be booked online, holds waiting
for the client to confirm by e-mail, and the requests counted against the limits."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.db import db


class OnlineBooking(db.Model):
    """The practice's online booking settings (one row; off until an admin turns it on)."""

    __tablename__ = "online_booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    min_notice_hours: Mapped[int] = mapped_column(default=24)
    days_ahead: Mapped[int] = mapped_column(default=60)
    hold_minutes: Mapped[int] = mapped_column(default=15)  # how long a time waits for the e-mail link
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class OnlinePractitioner(db.Model):
    """A practitioner who takes online bookings; perhaps only from existing clients."""

    __tablename__ = "online_practitioner"

    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), primary_key=True)
    existing_clients_only: Mapped[bool] = mapped_column(default=False, server_default=false())


class OnlineService(db.Model):
    """A service clients may book online."""

    __tablename__ = "online_service"

    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), primary_key=True)


class BookingHold(db.Model):
    """A time held for someone who asked for it online, until they confirm with the link
    e-mailed to them or it expires. While it is live (not confirmed, released or expired) it
    blocks the time for every other booking, the front desk's too (DaySchedule)."""

    __tablename__ = "booking_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    held_until: Mapped[datetime]  # the end plus the buffer after it, as an appointment's
    expires_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    # The policy version shown and acknowledged on the booking form, and when.
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy.id"))
    acknowledged_at: Mapped[datetime]
    # Asked on the form for reminders (and confirmations) by e-mail: their consent, once booked.
    wants_reminders: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]  # refused at confirmation: the time is free again
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))

    service = relationship("Service")
    practitioner = relationship("Practitioner")

    __table_args__ = (
        Index("ix_booking_hold_practitioner_id_start_at", "practitioner_id", "start_at"),
        Index("ix_booking_hold_address_created_at", "address", "created_at"),
    )

    def live(self, now: datetime) -> bool:
        return self.confirmed_at is None and self.released_at is None and self.expires_at > now


class PublicRequest(db.Model):
    """A hold or an inquiry made from the public pages, by address and e-mail: what the
    limits count (in the database, so every server process counts the same)."""

    __tablename__ = "public_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # hold | inquiry
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (
        Index("ix_public_request_address_at", "address", "at"),
        Index("ix_public_request_email_at", "email", "at"),
    )
