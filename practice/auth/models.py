from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.db import db


class Role(StrEnum):
    ADMIN = "admin"
    PRACTITIONER = "practitioner"
    FRONT_DESK = "front_desk"

    @property
    def label(self) -> str:
        return {"admin": "Admin", "practitioner": "Practitioner", "front_desk": "Front desk"}[
            self.value
        ]


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Two-factor sign-in (TOTP). A secret without an enabled date is one being set up: it
    # counts only once the user has proved their app shows the right codes.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    two_factor_enabled_at: Mapped[datetime | None]
    # The last 30-second step whose code was accepted: a code is good once, not twice.
    totp_last_step: Mapped[int | None]

    practitioner: Mapped["Practitioner | None"] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def two_factor_enabled(self) -> bool:
        return self.two_factor_enabled_at is not None

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class Practitioner(db.Model):
    """Someone who sees clients. Usually linked to a login; a solo admin can be one too."""

    __tablename__ = "practitioner"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(200), default="")
    accepting_new_clients: Mapped[bool] = mapped_column(default=True)
    max_active_clients: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User | None] = relationship(back_populates="practitioner")


class LoginAttempt(db.Model):
    """Failed sign-ins, counted per account and per address to slow down guessing.

    Kept in the database so the limit holds across several app processes."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class UserSession(db.Model):
    """One signed-in browser. The session cookie carries a random token whose SHA-256 is
    kept here; each request must find its row still open, so signing out, a password
    change, deactivation or a role change ends a session on the server, whatever copy of
    the cookie survives."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_because: Mapped[str] = mapped_column(String(40), default="")


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app, kept as a SHA-256 only.

    The codes are long random strings (not passwords people choose), so a fast hash is as
    safe as a slow one here and lets a code be found by its hash."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
