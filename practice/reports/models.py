"""What the reports keep summed, so that a year's figures are read from 365 rows a
practitioner instead of every appointment of the year (README "Speed", "Reports").

Every table here is derived: practice.reports.summary recomputes the rows a flush touches, in the
same transaction, and rebuilds them whole when what they depend on changes (the practice's
time zone, a policy's grace period or start) and on `practice rebuild-reports`. The conduct
counts spare the year's page a look at each of its entries and at whether a later one
corrects it."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from practice.db import db


class _Figures:
    """What became of the appointments that started on a local day and what was paid on it."""

    attended: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)  # attended, later than the grace then in force
    no_shows: Mapped[int] = mapped_column(default=0)
    late_cancellations: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    booked: Mapped[int] = mapped_column(default=0)  # neither arrived nor no-show yet
    sessions_cents: Mapped[int] = mapped_column(default=0)
    fees_cents: Mapped[int] = mapped_column(default=0)
    waived_cents: Mapped[int] = mapped_column(default=0)
    collected_cents: Mapped[int] = mapped_column(default=0)


class DayFigures(_Figures, db.Model):
    """One practitioner's local day: what became of the appointments that started on it and
    what was paid on it for their appointments. The rows without a practitioner hold the
    payments made on the day that are tied to no appointment (the practice's, not anyone's)."""

    __tablename__ = "day_figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    day: Mapped[date]  # local, in the practice's time zone

    __table_args__ = (
        Index("ix_day_figures_day_practitioner_id", "day", "practitioner_id", unique=True),
    )


class PracticeDayFigures(_Figures, db.Model):
    """The whole practice's local day: the sum of that day's DayFigures rows (every
    practitioner's and the payments apart), so that a year of the practice's figures is read
    from 365 rows rather than 365 for each practitioner."""

    __tablename__ = "practice_day_figures"

    day: Mapped[date] = mapped_column(primary_key=True)  # local, in the practice's time zone


class ConductDayCount(db.Model):
    """How many entries of the conduct record, as it now stands (the latest correction of
    each entry, none withdrawn), happened on a local day, by kind, category, severity and
    safety. The rows without a practitioner count every entry (the practice's figures); a
    practitioner's count the entries of their clients and of their appointments with anyone's
    client, as the reports' conduct figures for one practitioner do."""

    __tablename__ = "conduct_day_count"

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    day: Mapped[date]  # local, in the practice's time zone
    kind: Mapped[str] = mapped_column(String(30))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("incident_category.id"))
    severity: Mapped[str | None] = mapped_column(String(10))
    safety: Mapped[bool]
    count: Mapped[int]

    __table_args__ = (
        # Covers the page's read (one practitioner's, or the practice's, days of a range);
        # the days alone are what the listener deletes and writes again.
        Index("ix_conduct_day_count_practitioner_id_day", "practitioner_id", "day", "kind", "category_id",
              "severity", "safety", "count"),
        Index("ix_conduct_day_count_day", "day"),
    )


class ActiveClients(db.Model):
    """How many active clients a practitioner has now (theirs as primary practitioner, not
    archived, not moved on or declined): the caseload report's count, which would otherwise
    walk every client of the practice."""

    __tablename__ = "active_clients"

    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), primary_key=True)
    count: Mapped[int]


class OwingAppointment(db.Model):
    """An appointment whose client still owes for it (a session attended or a fee not
    waived, less what was paid for it): kept one by one, since "clients owing" over a range
    counts clients, which no sum of days can give."""

    __tablename__ = "owing_appointment"

    # Goes with its appointment (the listener would delete it in the same flush, but only
    # after the appointment's own DELETE, which the key would refuse).
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    start_at: Mapped[datetime]
    owed_cents: Mapped[int]

    __table_args__ = (
        Index("ix_owing_appointment_start_at", "start_at", "practitioner_id", "client_id", "owed_cents"),
    )
