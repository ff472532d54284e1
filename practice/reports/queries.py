"""The figures of the reports page, one function per report, each one or two queries
(aggregates in SQL, but for the referrals' lines) whatever the data size. Attendance and money are read from the
summary of each practitioner's days, or of the practice's (practice.reports.summary), not
from the appointments.

A range is whole local days in the practice's time zone: an appointment at 00:30 on the 1st
in London belongs to the 1st even though it is 23:30 UTC on the 31st in summer. Weeks run
Monday to Sunday; the first and last are cut to the range.

Every statement here selects columns, never mapped objects, and runs on the session's
connection: the ORM's handling of such results (building its loading context, then each
row) cost the year's page about half a millisecond and gave nothing. The report's pages
read and never write, so there is nothing for the session to flush first."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, distinct, func, or_, select

from practice.auth.models import Practitioner
from practice.clients.models import STANDINGS, Client, StandingChange
from practice.conduct.models import KINDS, SEVERITIES, IncidentCategory
from practice.reports.models import (
    ActiveClients,
    ConductDayCount,
    DayFigures,
    OwingAppointment,
    PracticeDayFigures,
)
from practice.reports.summary import FIGURES
from practice.scheduling.models import Appointment, Status
from practice.scheduling.services import local_day_bounds
from referrals.models import OUTCOME_LABELS, Inquiry, InquiryStatus, Referral, Specialist


@dataclass(frozen=True)
class Scope:
    """Whose figures, over which local days (both included). No practitioner: the practice."""

    first: date
    last: date
    practitioner: Practitioner | None
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_day_bounds(self.first, self.zone)[0]

    @property
    def end(self) -> datetime:
        return local_day_bounds(self.last, self.zone)[1]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def weeks(self) -> list["Week"]:
        weeks, day = [], self.first
        while day <= self.last:
            sunday = day + timedelta(days=6 - day.weekday())
            weeks.append(Week(day, min(sunday, self.last)))
            day = sunday + timedelta(days=1)
        return weeks


@dataclass(frozen=True)
class Week:
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{self.first:%-d %b}"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# Attendance and fees -----------------------------------------------------------------

@dataclass
class Attendance:
    """What became of the appointments that started in a stretch of time."""

    attended: int = 0
    late: int = 0  # arrived later than the grace period of the policy then in force
    no_shows: int = 0
    late_cancellations: int = 0
    cancelled: int = 0  # in good time: no fee, not a breach
    unmarked: int = 0  # started, but neither arrived nor no-show recorded yet
    upcoming: int = 0
    sessions_cents: int = 0  # the price of the sessions attended
    fees_cents: int = 0  # late-cancellation and no-show fees charged
    waived_cents: int = 0  # of those fees, waived

    @property
    def due(self) -> int:
        """Appointments with a settled outcome the client was expected at: the denominator
        of the no-show and late-cancellation rates."""
        return self.attended + self.no_shows + self.late_cancellations

    @property
    def total(self) -> int:
        return self.due + self.cancelled + self.unmarked + self.upcoming

    @property
    def late_rate(self) -> float | None:
        return _rate(self.late, self.attended)

    @property
    def no_show_rate(self) -> float | None:
        return _rate(self.no_shows, self.due)

    @property
    def late_cancellation_rate(self) -> float | None:
        return _rate(self.late_cancellations, self.due)

    def add(self, other: "Attendance") -> None:
        for name in vars(other):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class AttendanceReport:
    total: Attendance
    weeks: list[tuple[Week, Attendance]]


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def attendance(session, scope: Scope, now: datetime) -> AttendanceReport:
    return _attendance_and_collected(session, scope, now)[0]


def _attendance_and_collected(session, scope: Scope, now: datetime) -> tuple[AttendanceReport, int]:
    """The weeks' attendance and fees, and what was collected over the range, summed from
    the summary's days (practice.reports.summary keeps them): the practitioner's row of
    each day, or the practice's, put in its week here. What is still booked counts as
    unmarked on the days before today and upcoming after it; today's is split at `now` from
    its own appointments."""
    today = now.astimezone(scope.zone).date()
    days = DayFigures if scope.practitioner else PracticeDayFigures
    query = select(days.day, *[getattr(days, name) for name in FIGURES]).where(
        days.day >= scope.first, days.day <= scope.last, *_practitioner_is(DayFigures.practitioner_id, scope))
    weeks = scope.weeks()
    by_week = [Attendance() for _ in weeks]
    collected = 0
    for day, attended, late, no_shows, late_cancellations, cancelled, booked, sessions, fees, waived, paid \
            in session.connection().execute(query):
        figures = by_week[_week_index(scope, day)]
        figures.attended += attended
        figures.late += late
        figures.no_shows += no_shows
        figures.late_cancellations += late_cancellations
        figures.cancelled += cancelled
        figures.unmarked += booked if day < today else 0
        figures.upcoming += booked if day > today else 0
        figures.sessions_cents += sessions
        figures.fees_cents += fees
        figures.waived_cents += waived
        collected += paid
    unmarked, upcoming = _booked_today(session, scope, today, now)  # asked always: a fixed count
    if scope.first <= today <= scope.last:
        figures = by_week[_week_index(scope, today)]
        figures.unmarked, figures.upcoming = figures.unmarked + unmarked, figures.upcoming + upcoming
    total = Attendance()
    for figures in by_week:
        total.add(figures)
    return AttendanceReport(total, list(zip(weeks, by_week, strict=True))), collected


def _week_index(scope: Scope, day: date) -> int:
    """Weeks run Monday to Sunday; the first is cut to the range."""
    return (day - (scope.first - timedelta(days=scope.first.weekday()))).days // 7


def _booked_today(session, scope: Scope, today: date, now: datetime) -> tuple[int, int]:
    """(started, still to start) of today's appointments neither arrived nor no-show yet:
    one day's rows, read from the start index."""
    since, until = local_day_bounds(today, scope.zone)
    started, to_come = session.connection().execute(
        select(_count_if(Appointment.start_at <= now), _count_if(Appointment.start_at > now))
        .where(Appointment.start_at >= since, Appointment.start_at < until,
               Appointment.status == Status.BOOKED.value,
               *_practitioner_is(Appointment.practitioner_id, scope))).one()
    return int(started), int(to_come)


def _practitioner_is(column, scope: Scope) -> list:
    return [column == scope.practitioner.id] if scope.practitioner else []


@dataclass
class Money:
    """Money over the range: what was charged, waived and collected, and what is still owed
    for the range's sessions today."""

    sessions_cents: int
    fees_cents: int
    waived_cents: int
    collected_cents: int  # payments received during the range, whatever they were for
    outstanding_cents: int
    owing_sessions: int
    owing_clients: int

    @property
    def charged_cents(self) -> int:
        return self.sessions_cents + self.fees_cents


def money(session, scope: Scope, figures: Attendance, collected_cents: int) -> Money:
    outstanding, sessions, clients = _outstanding(session, scope)
    return Money(figures.sessions_cents, figures.fees_cents, figures.waived_cents,
                 collected_cents, outstanding, sessions, clients)


def _outstanding(session, scope: Scope) -> tuple[int, int, int]:
    """(cents owed, sessions owing, clients owing) for the appointments of the range, as
    practice.scheduling.services.amount_due counts what is due: read from the appointments
    still owed for, which practice.reports.summary keeps (clients owing over a range is no
    sum of days)."""
    cents, sessions, clients = session.connection().execute(
        select(func.coalesce(func.sum(OwingAppointment.owed_cents), 0), func.count(),
               func.count(distinct(OwingAppointment.client_id)))
        .where(OwingAppointment.start_at >= scope.start, OwingAppointment.start_at < scope.end,
               *_practitioner_is(OwingAppointment.practitioner_id, scope))).one()
    return int(cents), int(sessions), int(clients)


# Conduct and standing ------------------------------------------------------------------

@dataclass(frozen=True)
class ConductCount:
    kind: str
    category: str  # the incident category's label; "" for the automatic kinds
    severity: str  # "" when not given (automatic entries)
    safety: bool
    count: int

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, self.severity) or "Not set"


@dataclass
class ConductReport:
    rows: list[ConductCount]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def safety(self) -> int:
        return sum(row.count for row in self.rows if row.safety)

    def _summed(self, key) -> list[tuple[str, int]]:
        totals: dict[str, int] = {}
        for row in self.rows:
            totals[key(row)] = totals.get(key(row), 0) + row.count
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))

    @property
    def by_kind(self) -> list[tuple[str, int]]:
        return self._summed(lambda row: row.kind_label)

    @property
    def by_category(self) -> list[tuple[str, int]]:
        """Boundary and safety incidents by category (the automatic kinds have none)."""
        return [item for item in self._summed(lambda row: row.category) if item[0]]

    @property
    def by_severity(self) -> list[tuple[str, int]]:
        order = [*SEVERITIES.values(), "Not set"]
        totals = dict(self._summed(lambda row: row.severity_label))
        return [(label, totals[label]) for label in order if label in totals]


def conduct(session, scope: Scope) -> ConductReport:
    """Entries that happened in the range as the record now stands (the latest correction of
    each entry, never both it and the original, leaving out those withdrawn), read from the
    conduct counts of the range's days that practice.reports.summary keeps. A practitioner's
    are their clients' entries and entries about their appointments with anyone's client."""
    query = (
        select(ConductDayCount.kind, IncidentCategory.label, ConductDayCount.severity, ConductDayCount.safety,
               func.sum(ConductDayCount.count))
        .outerjoin(IncidentCategory, IncidentCategory.id == ConductDayCount.category_id)
        .where(ConductDayCount.day >= scope.first, ConductDayCount.day <= scope.last,
               ConductDayCount.practitioner_id == scope.practitioner.id if scope.practitioner
               else ConductDayCount.practitioner_id.is_(None))
        .group_by(ConductDayCount.kind, IncidentCategory.label, ConductDayCount.severity, ConductDayCount.safety)
    )
    return ConductReport([ConductCount(kind, label or "", severity or "", bool(safety), int(count))
                          for kind, label, severity, safety, count in session.connection().execute(query)])


@dataclass(frozen=True)
class StandingCount:
    from_standing: str
    to_standing: str
    count: int

    @property
    def label(self) -> str:
        return f"{STANDINGS.get(self.from_standing, self.from_standing)} → {STANDINGS.get(self.to_standing, self.to_standing)}"


def standing_changes(session, scope: Scope) -> list[StandingCount]:
    query = (
        select(StandingChange.from_standing, StandingChange.to_standing, func.count())
        .where(StandingChange.changed_at >= scope.start, StandingChange.changed_at < scope.end)
        .group_by(StandingChange.from_standing, StandingChange.to_standing)
    )
    if scope.practitioner:
        query = query.join(Client, Client.id == StandingChange.client_id).where(
            Client.primary_practitioner_id == scope.practitioner.id)
    ladder = list(STANDINGS)
    rank = {name: index for index, name in enumerate(ladder)}
    rows = [StandingCount(before, after, int(count)) for before, after, count in session.connection().execute(query)]
    return sorted(rows, key=lambda row: (rank.get(row.to_standing, 99), rank.get(row.from_standing, 99)))


# Referrals, caseload, inquiries --------------------------------------------------------

@dataclass
class ReferralLine:
    """Referrals out to (or in from) one specialist or source, by outcome."""

    direction: str  # out | in
    name: str
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


OUTCOMES = list(OUTCOME_LABELS)


def referrals(session, scope: Scope) -> list[ReferralLine]:
    """Referrals made (out) and received (in) on the range's days, per specialist (or, for
    referrals in from outside the directory, per source as written). The referrals are
    counted here, not grouped by the database: a year's thousand rows read as plain rows
    cost SQLite less than sorting them into groups (0.8 against 1.7 ms)."""
    query = (
        select(Referral.direction, Specialist.name, Referral.source, Referral.outcome)
        .outerjoin(Specialist, Specialist.id == Referral.specialist_id)
        .where(Referral.referred_on >= scope.first, Referral.referred_on <= scope.last)
    )
    if scope.practitioner:
        theirs = Client.primary_practitioner_id == scope.practitioner.id
        if scope.practitioner.user_id is not None:
            theirs = or_(theirs, Referral.by_id == scope.practitioner.user_id)
        query = query.join(Client, Client.id == Referral.client_id).where(theirs)
    lines: dict[tuple[str, str], dict[str, int]] = {}
    rows = session.connection().execute(query).all()  # fetched at once: row by row costs more
    for (direction, specialist, source, outcome), count in Counter(map(tuple, rows)).items():
        outcomes = lines.setdefault((direction, specialist or source or "Not recorded"), {})
        outcomes[outcome] = outcomes.get(outcome, 0) + count
    return sorted((ReferralLine(direction, name, outcomes) for (direction, name), outcomes in lines.items()),
                  key=lambda line: (line.direction != "out", -line.total, line.name.lower()))


@dataclass(frozen=True)
class Caseload:
    practitioner: str
    accepting_new_clients: bool
    max_active_clients: int | None
    active_clients: int  # primary practitioner, not archived, not moved on or declined
    new_clients: int  # created during the range

    @property
    def free_places(self) -> int | None:
        return None if self.max_active_clients is None else self.max_active_clients - self.active_clients

    @property
    def used(self) -> float | None:
        return _rate(self.active_clients, self.max_active_clients or 0)


def caseload(session, scope: Scope) -> list[Caseload]:
    """Each practitioner's active clients against their capacity, today, as
    practice.reports.summary keeps them counted, and the clients who came during the range
    (read from the clients by when they came)."""
    newcomers = (
        select(Client.primary_practitioner_id.label("practitioner_id"), func.count().label("new"))
        .where(Client.created_at >= scope.start, Client.created_at < scope.end,
               *([Client.primary_practitioner_id == scope.practitioner.id] if scope.practitioner
                 else [Client.primary_practitioner_id.is_not(None)]))
        .group_by(Client.primary_practitioner_id)
        .subquery()
    )
    query = (select(Practitioner.display_name, Practitioner.accepting_new_clients,
                    Practitioner.max_active_clients, func.coalesce(ActiveClients.count, 0),
                    func.coalesce(newcomers.c.new, 0))
             .outerjoin(ActiveClients, ActiveClients.practitioner_id == Practitioner.id)
             .outerjoin(newcomers, newcomers.c.practitioner_id == Practitioner.id)
             .where(Practitioner.active).order_by(Practitioner.display_name))
    if scope.practitioner:
        query = query.where(Practitioner.id == scope.practitioner.id)
    return [Caseload(name, bool(accepting), limit, int(count), int(added))
            for name, accepting, limit, count, added in session.connection().execute(query)]


def inquiries(session, scope: Scope) -> list[tuple[str, int]]:
    """Inquiries received during the range by where they stand now: (label, count) in the
    order an inquiry moves (open, waitlisted, offered, then how it ended)."""
    query = (select(Inquiry.status, func.count())
             .where(Inquiry.received_at >= scope.start, Inquiry.received_at < scope.end)
             .group_by(Inquiry.status))
    if scope.practitioner:
        query = query.where(Inquiry.practitioner_id == scope.practitioner.id)
    counts = dict(session.connection().execute(query).all())
    return [(status.label, int(counts[status.value])) for status in InquiryStatus if status.value in counts]


# All of them ---------------------------------------------------------------------------

@dataclass
class Reports:
    scope: Scope
    attendance: AttendanceReport
    money: Money
    conduct: ConductReport
    standing: list[StandingCount]
    referrals: list[ReferralLine]
    caseload: list[Caseload]
    inquiries: list[tuple[str, int]]

    @property
    def referrals_out(self) -> list[ReferralLine]:
        return [line for line in self.referrals if line.direction == "out"]

    @property
    def referrals_in(self) -> list[ReferralLine]:
        return [line for line in self.referrals if line.direction == "in"]


def reports(session, scope: Scope, now: datetime) -> Reports:
    """Every report for the scope (eight queries, whatever the data size)."""
    figures, collected_cents = _attendance_and_collected(session, scope, now)
    return Reports(
        scope=scope,
        attendance=figures,
        money=money(session, scope, figures.total, collected_cents),
        conduct=conduct(session, scope),
        standing=standing_changes(session, scope),
        referrals=referrals(session, scope),
        caseload=caseload(session, scope),
        inquiries=inquiries(session, scope),
    )
