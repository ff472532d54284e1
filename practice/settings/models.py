from sqlalchemy import LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from practice.db import db


class PracticeProfile(db.Model):
    """The practice itself: one row, created by the first-run setup."""

    __tablename__ = "practice_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    # Region used to read phone numbers written without a country code (ISO 3166, e.g. GB).
    phone_region: Mapped[str] = mapped_column(String(2))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_media_type: Mapped[str | None] = mapped_column(String(20))
    # Admins and practitioners see conduct records: the practice may insist that they sign
    # in with a second factor. Off by default (and in the demo).
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
