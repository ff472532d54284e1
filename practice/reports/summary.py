"""Keeping the reports' summary (practice.reports.models) equal to the appointments,
payments, conduct entries and clients it sums, inside the unit of work that changes them.

After each flush, the (practitioner, local day) rows whose appointments or payments the flush
added, changed or deleted are computed again from those days' rows (and the practice's rows
of those days, their sums), and the owing rows of
the appointments it touched; the conduct counts of the days of the entries it added (and of
the versions they correct) or whose practitioners it changed, from those days' entries; the
active clients of the practitioners a client joined or left or whose archiving or standing
changed. Nothing is committed here (the unit of work commits or rolls back the figures with
the change). A change of what many days depend on rebuilds them in the
same way: every day for a new time zone (which decides an appointment's local day), the days
from a new or changed policy version's first day on (its grace period decides what counts as
late). Rows written around the ORM (a bulk INSERT, an edit in a database console) are not
seen: `rebuild()` then, as `practice rebuild-reports` does.

The same code computes a few days and all of them: `rebuild()` is the summary from the raw
rows, which tests/test_report_summary.py compares with what the listener kept."""

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, event, func, insert, inspect, or_, select
from sqlalchemy.orm import Session, aliased

from practice.clients.models import UNBOOKABLE_STANDINGS, Client
from practice.conduct.models import ConductEntry
from practice.policies.models import Policy
from practice.reports.models import (
    ActiveClients,
    ConductDayCount,
    DayFigures,
    OwingAppointment,
    PracticeDayFigures,
)
from practice.scheduling.models import ATTENDED, CHARGEABLE, Appointment, Payment, Status
from practice.scheduling.services.local_time import local_day_bounds
from practice.settings.models import PracticeProfile

# Where each status is counted (ARRIVED and COMPLETED both as attended).
_COUNTED = {Status.ARRIVED.value: "attended", Status.COMPLETED.value: "attended",
            Status.NO_SHOW.value: "no_shows", Status.LATE_CANCELLED.value: "late_cancellations",
            Status.CANCELLED.value: "cancelled", Status.BOOKED.value: "booked"}
FIGURES = ("attended", "late", "no_shows", "late_cancellations", "cancelled", "booked",
           "sessions_cents", "fees_cents", "waived_cents", "collected_cents")
_CHUNK = 200  # days, or appointment ids, per statement

Key = tuple[int | None, date]  # (practitioner id, local day); no practitioner: payments apart


def rebuild(session, since: date | None = None) -> None:
    """The summary again from the raw rows: all of it (after a restore, a bulk load, a new
    time zone), or the appointments' days from `since` on (a policy's grace period, which
    counts from its first day; nothing owed and no conduct count depends on it)."""
    rebuild_figures(session, since)
    sum_practice_days(session, since=since)
    if since is None:
        rebuild_conduct(session)
        rebuild_active_clients(session)


def rebuild_figures(session, since: date | None = None) -> None:
    """The days' figures and the owing rows again from the appointments and payments."""
    tally = _Tally(session)
    appointments, payments = _appointments(), _payments()
    if since is None:
        session.execute(delete(DayFigures))
        session.execute(delete(OwingAppointment))
    else:
        start = local_day_bounds(since, tally.zone)[0]
        session.execute(delete(DayFigures).where(DayFigures.day >= since))
        appointments = appointments.where(Appointment.start_at >= start)
        payments = payments.where(Payment.paid_at >= start)
    for row in session.execute(appointments.execution_options(yield_per=20_000)):
        tally.appointment(*row)
    for row in session.execute(payments.execution_options(yield_per=20_000)):
        tally.payment(*row)
    tally.write(session)
    if since is None:
        session.execute(_owing())


def recompute(session, days: set[Key], appointment_ids: set[int]) -> None:
    """The rows of these (practitioner, local day)s and the owing rows of these appointments,
    computed again."""
    if days:
        tally = _Tally(session)
        keys = sorted(days, key=lambda key: (key[0] or 0, key[1]))
        for start in range(0, len(keys), _CHUNK):
            part = keys[start:start + _CHUNK]
            windows = [(pid, *local_day_bounds(day, tally.zone)) for pid, day in part]
            session.execute(delete(DayFigures).where(or_(*[
                and_(_practitioner_is(DayFigures.practitioner_id, pid), DayFigures.day == day)
                for pid, day in part])))
            if worked := [(pid, since, until) for pid, since, until in windows if pid is not None]:
                for row in session.execute(_appointments().where(or_(*[
                        and_(Appointment.practitioner_id == pid, Appointment.start_at >= since,
                             Appointment.start_at < until) for pid, since, until in worked]))):
                    tally.appointment(*row)
            for row in session.execute(_payments().where(or_(*[
                    and_(_practitioner_is(Appointment.practitioner_id, pid), Payment.paid_at >= since,
                         Payment.paid_at < until) for pid, since, until in windows]))):
                tally.payment(*row)
        tally.write(session)
        ordered = sorted({day for _, day in days})
        for start in range(0, len(ordered), _CHUNK):
            sum_practice_days(session, days=ordered[start:start + _CHUNK])
    ids = sorted(appointment_ids)
    for start in range(0, len(ids), _CHUNK):
        part = ids[start:start + _CHUNK]
        session.execute(delete(OwingAppointment).where(OwingAppointment.appointment_id.in_(part)))
        session.execute(_owing(Appointment.id.in_(part)))


def sum_practice_days(session, *, days: list[date] | None = None, since: date | None = None) -> None:
    """The practice's rows of these days (or of the days from `since` on, or of every day)
    summed again from every practitioner's rows and the payments apart of the day."""
    def chosen(column) -> list:
        return [column.in_(days)] if days is not None else [column >= since] if since else []

    session.execute(delete(PracticeDayFigures).where(*chosen(PracticeDayFigures.day)))
    session.execute(insert(PracticeDayFigures).from_select(
        ["day", *FIGURES],
        select(DayFigures.day, *[func.sum(getattr(DayFigures, name)) for name in FIGURES])
        .where(*chosen(DayFigures.day)).group_by(DayFigures.day)))


def rebuild_conduct(session) -> None:
    """The conduct counts again from the whole conduct record."""
    session.execute(delete(ConductDayCount))
    tally = _ConductTally(session)
    for row in session.execute(_standing_entries().execution_options(yield_per=20_000)):
        tally.entry(*row)
    tally.write(session)


def rebuild_active_clients(session) -> None:
    """Every practitioner's active clients counted again."""
    session.execute(delete(ActiveClients))
    session.execute(_active_clients())


def recompute_active_clients(session, practitioner_ids: set[int]) -> None:
    """The active clients of these practitioners counted again."""
    session.execute(delete(ActiveClients).where(ActiveClients.practitioner_id.in_(practitioner_ids)))
    session.execute(_active_clients(Client.primary_practitioner_id.in_(practitioner_ids)))


def _active_clients(*where):
    """INSERT each practitioner's count of active clients (none for a practitioner without)."""
    rows = (select(Client.primary_practitioner_id, func.count())
            .where(Client.primary_practitioner_id.is_not(None), Client.archived_at.is_(None),
                   Client.standing.not_in(UNBOOKABLE_STANDINGS), *where)
            .group_by(Client.primary_practitioner_id))
    return insert(ActiveClients).from_select(["practitioner_id", "count"], rows)


def recompute_conduct(session, days: set[date]) -> None:
    """The conduct counts of these local days (every practitioner's and the practice's),
    computed again from their entries."""
    tally = _ConductTally(session)
    ordered = sorted(days)
    for start in range(0, len(ordered), _CHUNK):
        part = ordered[start:start + _CHUNK]
        session.execute(delete(ConductDayCount).where(ConductDayCount.day.in_(part)))
        windows = [local_day_bounds(day, tally.zone) for day in part]
        for row in session.execute(_standing_entries().where(or_(*[
                and_(ConductEntry.occurred_from >= since, ConductEntry.occurred_from < until)
                for since, until in windows]))):
            tally.entry(*row)
    tally.write(session)


def _standing_entries():
    """The conduct record as it now stands (the latest correction of each entry, never both
    it and the original, leaving out those withdrawn), each entry with the practitioners
    whose figures count it: its client's, and its appointment's."""
    later = aliased(ConductEntry)
    superseded = (select(later.id)
                  .where(later.corrects_id == func.coalesce(ConductEntry.corrects_id, ConductEntry.id),
                         later.seq > ConductEntry.seq)
                  .exists())
    return (select(ConductEntry.occurred_from, ConductEntry.kind, ConductEntry.category_id,
                   ConductEntry.severity, ConductEntry.safety, Client.primary_practitioner_id,
                   Appointment.practitioner_id)
            .join(Client, Client.id == ConductEntry.client_id)
            .outerjoin(Appointment, Appointment.id == ConductEntry.appointment_id)
            .where(ConductEntry.withdrawn.is_(False), ~superseded))


def _practitioner_is(column, pid: int | None):
    return column.is_(None) if pid is None else column == pid


def _appointments():
    return select(Appointment.practitioner_id, Appointment.start_at, Appointment.status,
                  Appointment.price_cents, Appointment.fee_cents, Appointment.fee_waived,
                  Appointment.late_minutes)


def _payments():
    """Payments with the practitioner of their appointment (none for a payment apart)."""
    return (select(Appointment.practitioner_id, Payment.paid_at, Payment.amount_cents)
            .select_from(Payment).outerjoin(Appointment, Appointment.id == Payment.appointment_id))


def _owing(*where):
    """INSERT the owing rows of the appointments `where` selects, counting what is due as
    practice.scheduling.services.amount_due does: an attended session's price, a fee not
    waived, less what was paid for the appointment."""
    due = case(
        (Appointment.status.in_(ATTENDED), Appointment.price_cents),
        (and_(Appointment.status.in_(CHARGEABLE), Appointment.fee_waived.is_(False)), Appointment.fee_cents),
        else_=0,
    )
    paid = (select(func.coalesce(func.sum(Payment.amount_cents), 0))
            .where(Payment.appointment_id == Appointment.id).scalar_subquery())
    owed = due - paid
    rows = select(Appointment.id, Appointment.practitioner_id, Appointment.client_id, Appointment.start_at,
                  owed).where(Appointment.status.in_(ATTENDED + CHARGEABLE), owed > 0, *where)
    return insert(OwingAppointment).from_select(
        ["appointment_id", "practitioner_id", "client_id", "start_at", "owed_cents"], rows)


class _Tally:
    """Figures summed per (practitioner, local day) as rows are read."""

    def __init__(self, session):
        self.zone = _zone(session)
        self.grace = _grace(session, self.zone)
        self.rows: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def appointment(self, pid, start_at, status, price_cents, fee_cents, fee_waived, late_minutes) -> None:
        row = self.rows[(pid, self.day(start_at))]
        row[_COUNTED[status]] += 1
        if status in ATTENDED:
            row["sessions_cents"] += price_cents
            row["late"] += (late_minutes or 0) > self.grace(start_at)
        elif status in CHARGEABLE:
            row["fees_cents"] += fee_cents
            row["waived_cents"] += fee_cents if fee_waived else 0

    def payment(self, pid, paid_at, amount_cents) -> None:
        self.rows[(pid, self.day(paid_at))]["collected_cents"] += amount_cents

    def write(self, session) -> None:
        rows = [{"practitioner_id": pid, "day": day, **figures}
                for (pid, day), figures in self.rows.items() if any(figures.values())]
        for start in range(0, len(rows), 5_000):
            session.execute(insert(DayFigures), rows[start:start + 5_000])


class _ConductTally:
    """Standing entries counted per (practitioner or None for the practice, local day, kind,
    category, severity, safety) as they are read."""

    def __init__(self, session):
        self.zone = _zone(session)
        self.counts: dict[tuple, int] = defaultdict(int)

    def entry(self, occurred_from, kind, category_id, severity, safety, client_practitioner_id,
              appointment_practitioner_id) -> None:
        day = occurred_from.astimezone(self.zone).date()
        for pid in {None, client_practitioner_id, appointment_practitioner_id}:
            self.counts[(pid, day, kind, category_id, severity, bool(safety))] += 1

    def write(self, session) -> None:
        rows = [{"practitioner_id": pid, "day": day, "kind": kind, "category_id": category_id,
                 "severity": severity, "safety": safety, "count": count}
                for (pid, day, kind, category_id, severity, safety), count in self.counts.items()]
        for start in range(0, len(rows), 5_000):
            session.execute(insert(ConductDayCount), rows[start:start + 5_000])


def _grace(session, zone: ZoneInfo):
    """A function of an appointment's start giving the late-arrival grace of the policy then
    in force: the highest version whose day had come, else the earliest (as
    practice.policies.queries.policy_in_force finds it for one moment)."""
    policies = session.execute(select(Policy.effective_from, Policy.late_grace_minutes)
                               .order_by(Policy.version.desc())).all()
    if not policies:
        return lambda start_at: 0
    earliest = policies[-1].late_grace_minutes
    since = [(local_day_bounds(policy.effective_from, zone)[0], policy.late_grace_minutes) for policy in policies]

    def grace(start_at: datetime) -> int:
        return next((minutes for moment, minutes in since if start_at >= moment), earliest)

    return grace


# The listener ----------------------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _recompute_what_the_flush_changed(session, _flush_context) -> None:
    if counted := {pid for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Client)
                   for (pid,) in _before_and_after(obj, "primary_practitioner_id") if pid is not None
                   if obj not in session.dirty or _changed(obj, *_ACTIVE)}:
        recompute_active_clients(session, counted)
    changed = [obj for obj in (*session.new, *session.dirty, *session.deleted)
               if isinstance(obj, (Appointment, Payment, Policy, PracticeProfile, ConductEntry))
               or (isinstance(obj, Client) and obj in session.dirty and _changed(obj, "primary_practitioner_id"))]
    if not changed:
        return
    if any(isinstance(obj, PracticeProfile) and (obj in session.new or _changed(obj, "timezone"))
           for obj in changed):
        rebuild(session)  # every appointment's local day may have moved
        return
    if policies := [obj for obj in changed if isinstance(obj, Policy) and (
            obj in session.new or obj in session.deleted or _changed(obj, "effective_from", "late_grace_minutes"))]:
        rebuild(session, since=_first_day_of(session, policies))
    zone = _zone(session)
    days: set[Key] = set()
    appointment_ids: set[int] = set()
    practitioners: dict[int, set[int]] = {}  # of a changed appointment, before and after
    paid: set[tuple[int | None, datetime]] = set()  # (appointment id, paid at) before and after
    for obj in changed:
        if isinstance(obj, Appointment):
            appointment_ids.add(obj.id)
            versions = _before_and_after(obj, "practitioner_id", "start_at")
            days.update((pid, start_at.astimezone(zone).date()) for pid, start_at in versions)
            practitioners[obj.id] = {pid for pid, _ in versions}
        elif isinstance(obj, Payment):
            versions = _before_and_after(obj, "appointment_id", "paid_at")
            appointment_ids.update(appointment_id for appointment_id, _ in versions if appointment_id)
            paid.update(versions)
    if moved := [appointment_id for appointment_id, pids in practitioners.items() if len(pids) > 1]:
        # The payments of an appointment given to another practitioner move with it.
        paid.update(session.execute(select(Payment.appointment_id, Payment.paid_at)
                                    .where(Payment.appointment_id.in_(moved))).all())
    if paid:
        unknown = {appointment_id for appointment_id, _ in paid if appointment_id} - practitioners.keys()
        practitioners.update((appointment_id, {pid}) for appointment_id, pid in session.execute(
            select(Appointment.id, Appointment.practitioner_id).where(Appointment.id.in_(unknown))))
        days.update((pid, paid_at.astimezone(zone).date()) for appointment_id, paid_at in paid
                    for pid in (practitioners[appointment_id] if appointment_id else {None}))
    recompute(session, days, appointment_ids)
    _recompute_conduct_counts(session, changed, zone, moved)


def _recompute_conduct_counts(session, changed: list, zone: ZoneInfo, moved: list[int]) -> None:
    """The conduct counts of the days whose standing entries, or whose entries' practitioners,
    the flush changed: a new entry, or a correction or withdrawal (which may move the entry
    it corrects to another day, or out of the counts: every day of its versions), a client
    given another practitioner (their entries' days), an appointment given to another
    practitioner (its entries' days)."""
    versions_of = {obj.corrects_id or obj.id for obj in changed
                   if isinstance(obj, ConductEntry) and obj in session.new}
    clients = {obj.id for obj in changed if isinstance(obj, Client)}
    if not (versions_of or clients or moved):
        return
    moments = session.scalars(select(ConductEntry.occurred_from).where(or_(
        ConductEntry.id.in_(versions_of), ConductEntry.corrects_id.in_(versions_of),
        ConductEntry.client_id.in_(clients), ConductEntry.appointment_id.in_(moved))))
    recompute_conduct(session, {moment.astimezone(zone).date() for moment in moments})


_ACTIVE = ("primary_practitioner_id", "archived_at", "standing")  # what decides a client's active


def _zone(session) -> ZoneInfo:
    """The practice's time zone as flushed (UTC before set-up)."""
    return ZoneInfo(session.scalar(select(PracticeProfile.timezone).limit(1)) or "UTC")


def _first_day_of(session, policies: list[Policy]) -> date | None:
    """The first local day whose grace period these new or changed policy versions may
    change: a version governs the days from its own first day on, except the earliest,
    which also governs every day before the others (None: all days)."""
    earliest = session.scalar(select(func.min(Policy.version)))
    if any(policy in session.deleted or policy.version == earliest for policy in policies):
        return None
    return min(day for policy in policies for (day,) in _before_and_after(policy, "effective_from"))


def _changed(obj, *names: str) -> bool:
    attributes = inspect(obj).attrs
    return any(attributes[name].history.has_changes() for name in names)


def _before_and_after(obj, *names: str) -> set[tuple]:
    """The values of these attributes before the flush and now (one tuple when unchanged)."""
    attributes = inspect(obj).attrs
    now = tuple(getattr(obj, name) for name in names)
    before = tuple(attributes[name].history.deleted[0] if attributes[name].history.deleted else value
                   for name, value in zip(names, now, strict=True))
    return {before, now}
