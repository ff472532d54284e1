"""The outbox (messages and their attachments), the practice's message settings and each
client's consent to e-mail."""

from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import User
from practice.clients.models import Client
from practice.db import db

STATUSES = {"waiting": "Waiting", "sent": "Sent", "failed": "Failed", "cancelled": "Cancelled"}


class Message(db.Model):
    """One e-mail to one address, complete when it is queued (subject, bodies, attachments,
    Message-ID), so that what is sent is what was written in the action's transaction.

    Sending (practice.messages.sending) records `handed_over_at` in its own committed
    transaction just before the server is given the message's content; a try that finds it
    set without an outcome knows an earlier try was interrupted at that point, and does not
    send again (see the README, "E-mail")."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_status_created_at", "status", "created_at"),
        CheckConstraint("status IN ('waiting', 'sent', 'failed', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # practice.messages.registry
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    headers: Mapped[dict] = mapped_column(JSON, default=dict)  # List-Unsubscribe, Auto-Submitted
    # Whom and what it is about: a client (consent and standing are checked again when it is
    # sent) and, for confirmations and reminders, an appointment.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    about_at: Mapped[datetime | None]  # the moment it speaks of (the appointment's start then)
    # Queueing twice under one key gives back the first message (a reminder is written once).
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)  # the Message-ID header
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The job that sends it now (None: it waits for e-mail to be configured).
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"), index=True)
    handed_over_at: Mapped[datetime | None]  # the content was about to go to the server
    last_attempt_at: Mapped[datetime | None]
    server_reply: Mapped[str] = mapped_column(Text, default="")  # the server's last answer
    outcome: Mapped[str] = mapped_column(Text, default="")  # why it failed or was cancelled
    sent_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])
    client: Mapped[Client | None] = relationship()
    attachments: Mapped[list["MessageAttachment"]] = relationship(
        back_populates="message", order_by="MessageAttachment.id")

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class MessageAttachment(db.Model):
    __tablename__ = "message_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only to send

    message: Mapped[Message] = relationship(back_populates="attachments")


class MessageSettings(db.Model):
    """One row at most: which messages the practice sends by itself, and when."""

    __tablename__ = "message_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    confirmations: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Hours before the start, largest first, e.g. "48,2"; empty: no reminders.
    reminder_hours: Mapped[str] = mapped_column(String(60), default="48,2", server_default="48,2")
    # Reminders wait while the practice's clock is between these (None: no quiet hours).
    quiet_from: Mapped[time | None]
    quiet_until: Mapped[time | None]
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class EmailConsent(db.Model):
    """A client's consent to confirmations and reminders by e-mail: what they agreed to, when,
    and who recorded it (a person, or the client through the link in a message). Without a
    row, nothing automatic is sent."""

    __tablename__ = "email_consent"

    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), primary_key=True)
    confirmations: Mapped[bool] = mapped_column(default=False)
    reminders: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # "staff" | "link" (the client unsubscribed) | "online" (asked for when booking online)
    method: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(64), default="")  # where the link was used from

    recorded_by: Mapped[User | None] = relationship()

    @property
    def recorded_how(self) -> str:
        if self.method == "link":
            return "by the client, with the link in a message"
        if self.method == "online":
            return "by the client, when booking online"
        return f"by {self.recorded_by.name}" if self.recorded_by else "by the practice"
