"""The reports' summary (practice.reports.summary) against the raw rows: after every kind of
change an appointment, a payment, a conduct entry or a client goes through, and after a
change of time zone or of a policy's grace period, every figure of the attendance, money,
conduct and caseload reports read from the summary equals the same figure counted here from
the appointments, payments, conduct entries and clients themselves, and the rows the listener
kept equal a rebuild from scratch.

November 2026 in London is on UTC; the time-zone step moves the practice to New York
(UTC-5), which puts the appointments and payments of the small hours on the day before."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from practice.audit.services import SYSTEM
from practice.auth.models import Practitioner
from practice.clients import csv_io
from practice.clients.models import UNBOOKABLE_STANDINGS, Client
from practice.conduct import services as conduct_services
from practice.conduct.models import ConductEntry, IncidentCategory
from practice.db import db
from practice.policies import services as policy_services
from practice.policies.queries import policy_in_force
from practice.reports import queries, summary
from practice.reports.models import (
    ActiveClients,
    ConductDayCount,
    DayFigures,
    OwingAppointment,
    PracticeDayFigures,
)
from practice.scheduling import services
from practice.scheduling.models import Appointment, Payment, Status
from practice.settings.services import get_practice, practice_zone
from tests.conftest import acknowledge, one_action

LONDON = ZoneInfo("Europe/London")
REPORT_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # "today" is 25 November
RANGES = [(date(2026, 11, 9), date(2026, 12, 6)), (date(2026, 11, 21), date(2026, 11, 22)),
          (date(2026, 11, 25), date(2026, 11, 25))]


def at(day: int, hhmm: str) -> datetime:
    """A London time in November 2026 as the aware UTC moment it is."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(date(2026, 11, day), time(hour, minute), LONDON).astimezone(timezone.utc)


@dataclass
class World:
    priya: int
    alex: int
    service_id: int
    clients: dict[str, int]


@pytest.fixture
def world(users, make_client):
    priya, alex = users["practitioner"].practitioner.id, users["admin"].practitioner.id
    every_day = [(weekday, time(8), time(20)) for weekday in range(7)]
    for practitioner in (priya, alex):
        services.set_working_hours(db.session, SYSTEM, practitioner, every_day, now=at(1, "08:00"))
    service = services.create_service(db.session, SYSTEM, name="Massage", duration_minutes=60,
                                      price_cents=6000, now=at(1, "08:00"))
    clients = {}
    for name, primary in (("Sam", priya), ("Kim", alex), ("Lee", None)):
        client = make_client(name)
        client.primary_practitioner_id = primary
        acknowledge(client, on=at(1, "08:00"))
        clients[name] = client.id
    db.session.commit()
    return World(priya, alex, service.id, clients)


# The raw figures --------------------------------------------------------------------------

def raw_figures(scope: queries.Scope, now: datetime) -> tuple[list[queries.Attendance], queries.Money]:
    """The weeks' attendance and the money of a scope, counted from every appointment and
    payment one by one, with the services' own rules (amount_due, policy_in_force)."""
    weeks = scope.weeks()
    by_week = [queries.Attendance() for _ in weeks]
    owed_cents, owing, owing_clients = 0, 0, set()

    def local_day(moment: datetime) -> date:
        return moment.astimezone(scope.zone).date()

    def ours(practitioner_id: int | None) -> bool:
        return scope.practitioner is None or practitioner_id == scope.practitioner.id

    for appointment in db.session.scalars(select(Appointment)):
        day = local_day(appointment.start_at)
        if not (scope.first <= day <= scope.last and ours(appointment.practitioner_id)):
            continue
        figures = by_week[next(i for i, week in enumerate(weeks) if week.first <= day <= week.last)]
        status = appointment.status
        if status in (Status.ARRIVED, Status.COMPLETED):
            figures.attended += 1
            figures.sessions_cents += appointment.price_cents
            grace = policy_in_force(db.session, appointment.start_at).late_grace_minutes
            figures.late += (appointment.late_minutes or 0) > grace
        elif status == Status.NO_SHOW:
            figures.no_shows += 1
        elif status == Status.LATE_CANCELLED:
            figures.late_cancellations += 1
        elif status == Status.CANCELLED:
            figures.cancelled += 1
        elif appointment.start_at <= now:
            figures.unmarked += 1
        else:
            figures.upcoming += 1
        if status in (Status.NO_SHOW, Status.LATE_CANCELLED):
            figures.fees_cents += appointment.fee_cents
            figures.waived_cents += appointment.fee_cents if appointment.fee_waived else 0
        owed = services.amount_due(appointment) - services.amount_paid(db.session, appointment)
        if owed > 0:
            owed_cents, owing = owed_cents + owed, owing + 1
            owing_clients.add(appointment.client_id)
    collected = 0
    for payment in db.session.scalars(select(Payment)):
        appointment = db.session.get(Appointment, payment.appointment_id) if payment.appointment_id else None
        if (scope.first <= local_day(payment.paid_at) <= scope.last
                and ours(appointment.practitioner_id if appointment else None)):
            collected += payment.amount_cents
    total = queries.Attendance()
    for figures in by_week:
        total.add(figures)
    return by_week, queries.Money(total.sessions_cents, total.fees_cents, total.waived_cents, collected,
                                  owed_cents, owing, len(owing_clients))


def raw_conduct(scope: queries.Scope) -> list[queries.ConductCount]:
    """The conduct counts of a scope from every entry: the latest version of each (by its
    place in the chain), none withdrawn, that happened on the range's local days, of the
    practitioner's clients or appointments."""
    latest = {}
    for entry in db.session.scalars(select(ConductEntry).order_by(ConductEntry.seq)):
        latest[entry.corrects_id or entry.id] = entry
    counts = Counter()
    for entry in latest.values():
        appointment = db.session.get(Appointment, entry.appointment_id) if entry.appointment_id else None
        theirs = {entry.client.primary_practitioner_id, appointment.practitioner_id if appointment else None}
        if (not entry.withdrawn and scope.first <= entry.occurred_from.astimezone(scope.zone).date() <= scope.last
                and (scope.practitioner is None or scope.practitioner.id in theirs)):
            counts[(entry.kind, entry.category.label if entry.category else "", entry.severity or "",
                    entry.safety)] += 1
    return [queries.ConductCount(*key, count) for key, count in counts.items()]


def raw_caseload(scope: queries.Scope) -> list[queries.Caseload]:
    """Each active practitioner's active clients now and the clients who came in the range,
    counted from every client."""
    clients = db.session.scalars(select(Client)).all()
    lines = []
    for practitioner in db.session.scalars(select(Practitioner).where(Practitioner.active)
                                           .order_by(Practitioner.display_name)):
        if scope.practitioner is None or practitioner.id == scope.practitioner.id:
            theirs = [client for client in clients if client.primary_practitioner_id == practitioner.id]
            lines.append(queries.Caseload(
                practitioner.display_name, practitioner.accepting_new_clients, practitioner.max_active_clients,
                sum(client.archived_at is None and client.standing not in UNBOOKABLE_STANDINGS for client in theirs),
                sum(scope.start <= client.created_at < scope.end for client in theirs)))
    return lines


def by_key(rows: list[queries.ConductCount]) -> list[queries.ConductCount]:
    return sorted(rows, key=lambda row: (row.kind, row.category, row.severity, row.safety))


def summary_rows() -> tuple[list, list, list, list, list]:
    days = sorted((row.practitioner_id or 0, row.day, *[getattr(row, name) for name in summary.FIGURES])
                  for row in db.session.scalars(select(DayFigures)))
    practice_days = sorted((row.day, *[getattr(row, name) for name in summary.FIGURES])
                           for row in db.session.scalars(select(PracticeDayFigures)))
    owing = sorted((row.appointment_id, row.practitioner_id, row.client_id, row.start_at, row.owed_cents)
                   for row in db.session.scalars(select(OwingAppointment)))
    conduct = sorted((row.practitioner_id or 0, row.day, row.kind, row.category_id or 0, row.severity or "",
                      row.safety, row.count) for row in db.session.scalars(select(ConductDayCount)))
    active = sorted((row.practitioner_id, row.count) for row in db.session.scalars(select(ActiveClients)))
    return days, practice_days, owing, conduct, active


def check(world: World) -> None:
    """Every figure of every scope and range, from the summary and from the raw rows; and the
    summary the listener kept, against a rebuild from scratch."""
    db.session.commit()
    zone = practice_zone(db.session)
    for practitioner_id in (None, world.priya, world.alex):
        practitioner = db.session.get(Practitioner, practitioner_id) if practitioner_id else None
        for first, last in RANGES:
            scope = queries.Scope(first, last, practitioner, zone)
            report = queries.reports(db.session, scope, REPORT_NOW)
            weeks, money = raw_figures(scope, REPORT_NOW)
            assert [figures for _, figures in report.attendance.weeks] == weeks, (practitioner_id, first, last)
            assert report.money == money, (practitioner_id, first, last)
            assert by_key(report.conduct.rows) == by_key(raw_conduct(scope)), (practitioner_id, first, last)
            assert report.caseload == raw_caseload(scope), (practitioner_id, first, last)
    kept = summary_rows()
    summary.rebuild(db.session)
    assert summary_rows() == kept
    db.session.rollback()


# Every kind of change ---------------------------------------------------------------------

def book(world: World, client: str, practitioner: int, start: datetime) -> int:
    with one_action():
        request = services.BookingRequest(client_id=world.clients[client], practitioner_id=practitioner,
                                          service_id=world.service_id, start_at=start)
        return services.book(db.session, SYSTEM, request, now=at(2, "08:00")).id


def appointment(appointment_id: int) -> Appointment:
    return db.session.get(Appointment, appointment_id)


def direct(world: World, client: str, practitioner: int, start: datetime, status: str, **values) -> int:
    """An appointment written as a row (an import, a correction): the listener still sees it."""
    with one_action():
        row = Appointment(client_id=world.clients[client], practitioner_id=practitioner,
                          service_id=world.service_id, start_at=start, end_at=start + timedelta(hours=1),
                          held_until=start + timedelta(hours=1), status=status, price_cents=6000,
                          created_at=start - timedelta(days=7), **values)
        db.session.add(row)
        db.session.flush()
        return row.id


def pay(appointment_id: int, cents: int, moment: datetime) -> None:
    with one_action():
        services.record_payment(db.session, SYSTEM, appointment(appointment_id), amount_cents=cents,
                                method="card", now=moment)


def incident(world: World, client: str, when: datetime, code: str) -> int:
    with one_action():
        return conduct_services.record_incident(
            db.session, SYSTEM, db.session.get(Client, world.clients[client]), details(when, code), [],
            max_bytes=1_000_000, now=at(25, "12:00")).id


def details(when: datetime, code: str, severity: str = "medium") -> conduct_services.IncidentDetails:
    category = db.session.scalar(select(IncidentCategory).where(IncidentCategory.code == code))
    return conduct_services.IncidentDetails(
        category_id=category.id, severity=severity, occurred_from=when, channel="in_person",
        location="Treatment room", description="Came in without a booking and would not leave.",
        response="Asked them to go.", effect="Uneasy for the afternoon.")


def correct(entry_id: int, corrected: conduct_services.IncidentDetails | None = None, *,
            withdrawn: bool = False) -> None:
    with one_action():
        conduct_services.record_correction(
            db.session, SYSTEM, db.session.get(ConductEntry, entry_id), reason="Recorded wrongly",
            withdrawn=withdrawn, details=corrected, max_bytes=1_000_000, now=at(25, "12:30"))


def test_the_summary_equals_the_raw_rows_after_every_kind_of_change(world):
    w = world
    check(w)  # empty

    first = book(w, "Sam", w.priya, at(17, "10:00"))
    no_show = book(w, "Kim", w.priya, at(18, "10:00"))
    moved_over = book(w, "Lee", w.alex, at(18, "11:00"))
    moved = book(w, "Sam", w.priya, at(19, "10:00"))
    early = book(w, "Sam", w.alex, at(24, "10:00"))
    late = book(w, "Kim", w.priya, at(25, "15:00"))
    book(w, "Lee", w.priya, at(25, "09:00"))  # today, started, not marked
    book(w, "Sam", w.alex, at(25, "16:00"))   # today, to come
    book(w, "Lee", w.priya, at(26, "10:00"))  # upcoming
    check(w)

    with one_action():  # checked in 12 minutes late: beyond the 10 minutes' grace
        services.check_in(db.session, SYSTEM, appointment(first), at(17, "10:12"), now=at(17, "10:12"))
    check(w)
    with one_action():
        services.complete(db.session, SYSTEM, appointment(first), now=at(17, "11:00"))
    check(w)
    with one_action():
        services.mark_no_show(db.session, SYSTEM, appointment(no_show), now=at(18, "10:30"))
    check(w)
    with one_action():
        services.cancel(db.session, SYSTEM, appointment(early), "Away that week", now=at(10, "09:00"))
    check(w)
    with one_action():
        services.cancel(db.session, SYSTEM, appointment(late), "Unwell", now=at(25, "11:00"))
    assert appointment(late).status == Status.LATE_CANCELLED and appointment(late).fee_cents
    check(w)
    with one_action():
        services.waive_fee(db.session, SYSTEM, appointment(late), "First time", now=at(25, "11:30"))
    check(w)

    pay(first, 6000, at(17, "11:05"))  # in full
    check(w)
    pay(no_show, 1000, at(20, "09:00"))  # short: 50.00 still owed
    check(w)
    with one_action():  # a payment tied to no appointment: the practice's
        db.session.add(Payment(appointment_id=None, client_id=w.clients["Kim"], amount_cents=2500,
                               method="cash", paid_at=at(21, "12:00"), recorded_at=at(21, "12:00")))
    check(w)

    with one_action():  # to another day
        services.reschedule(db.session, SYSTEM, appointment(moved), at(21, "10:00"), now=at(12, "09:00"))
    check(w)
    with one_action():
        services.check_in(db.session, SYSTEM, appointment(moved_over), at(18, "11:00"), now=at(18, "11:00"))
    pay(moved_over, 3000, at(19, "09:00"))  # the next day
    check(w)
    with one_action():  # to another practitioner, with its payment (a correction as a row)
        appointment(moved_over).practitioner_id = w.priya
    check(w)
    with one_action():  # the no-show walks in after all: the fee goes, the payment stays
        services.undo(db.session, SYSTEM, appointment(no_show), "Was in the waiting room", now=at(18, "10:40"))
    check(w)

    gone = direct(w, "Kim", w.alex, at(22, "14:00"), Status.BOOKED.value)
    owed_gone = direct(w, "Kim", w.alex, at(23, "14:00"), Status.COMPLETED.value, late_minutes=0)
    check(w)
    with one_action():
        db.session.delete(appointment(gone))
        db.session.delete(appointment(owed_gone))  # unpaid: its owing row goes with it
    check(w)

    # Across midnight: 23:30 on the 21st in London, on the 22nd from 00:00 to 00:30; and a
    # session at 00:30 on the 22nd (UTC), which New York puts on the 21st.
    night = direct(w, "Lee", w.alex, at(21, "23:30"), Status.COMPLETED.value, late_minutes=0)
    small_hours = direct(w, "Sam", w.alex, at(22, "00:30"), Status.COMPLETED.value, late_minutes=20)
    pay(night, 6000, at(22, "00:10"))
    pay(small_hours, 4000, at(22, "01:00"))
    check(w)

    # The conduct record: incidents, corrected to another day and kind, withdrawn; the
    # practitioners whose figures count an entry change with its client's practitioner and
    # its appointment's (the late arrival of the first session, the no-show's withdrawn entry).
    assert {entry.kind for entry in db.session.scalars(select(ConductEntry))} >= {"late_arrival", "no_show"}
    dropped_in = incident(w, "Sam", at(20, "15:00"), "drops_in")
    stayed = incident(w, "Lee", at(21, "00:30"), "will_not_leave")  # New York puts it on the 20th
    incident(w, "Kim", at(23, "02:00"), "gifts")  # New York: on the 22nd
    check(w)
    correct(dropped_in, details(at(22, "23:30"), "threats", "high"))  # another day, a safety incident
    check(w)
    correct(dropped_in, details(at(23, "10:00"), "threats", "low"))  # the correction corrected, a day on
    check(w)
    correct(stayed, withdrawn=True)
    check(w)
    with one_action():  # Lee is Alex's client now, Sam nobody's
        db.session.get(Client, w.clients["Lee"]).primary_practitioner_id = w.alex
        db.session.get(Client, w.clients["Sam"]).primary_practitioner_id = None
    check(w)
    with one_action():  # with its late arrival
        appointment(first).practitioner_id = w.alex
    check(w)

    # The caseload: a client who came during the range, archived and back, moved on, given
    # to another practitioner, deleted.
    with one_action():
        newcomer = Client(display_name="Ash", primary_practitioner_id=w.alex, created_at=at(21, "09:00"))
        db.session.add(newcomer)
    check(w)
    for change in ({"archived_at": at(22, "09:00")}, {"archived_at": None}, {"standing": "moved_on"},
                   {"standing": "active", "primary_practitioner_id": w.priya}):
        with one_action():
            for name, value in change.items():
                setattr(db.session.get(Client, newcomer.id), name, value)
        check(w)
    with one_action():
        db.session.delete(db.session.get(Client, newcomer.id))
    check(w)
    with one_action():  # a file of clients, inserted in batches past the listener
        practitioner = db.session.get(Practitioner, w.alex).display_name
        csv_io.import_clients(db.session, SYSTEM, f"display_name,practitioner\nRowan,{practitioner}\nTeo,\n",
                              phone_region="GB", now=at(24, "09:00"))
    check(w)

    with one_action():  # every day moves: rebuilt in the same unit of work
        get_practice(db.session).timezone = "America/New_York"
    check(w)

    with one_action():  # from the 17th the grace is 15 minutes: the first session is no longer late
        policy_services.publish_policy(db.session, SYSTEM, {"late_grace_minutes": 15}, date(2026, 11, 17),
                                       now=at(9, "09:00"))
    check(w)

    book(w, "Kim", w.alex, at(27, "15:00"))  # (10:00 in New York) and the listener keeps going after a rebuild
    check(w)


def test_a_refused_action_leaves_the_summary_as_it_was(world):
    booked = book(world, "Sam", world.priya, at(17, "10:00"))
    before = summary_rows()
    with pytest.raises(RuntimeError), one_action():
        services.check_in(db.session, SYSTEM, appointment(booked), at(17, "10:00"), now=at(17, "10:00"))
        assert summary_rows() != before  # recomputed in the flush...
        raise RuntimeError("refused")
    assert summary_rows() == before  # ...and rolled back with the action
    check(world)


def test_rebuild_command_fills_the_summary_again(world, runner):
    booked = book(world, "Sam", world.priya, at(17, "10:00"))
    kept = summary_rows()
    db.session.execute(DayFigures.__table__.delete())
    db.session.execute(PracticeDayFigures.__table__.delete())
    db.session.execute(OwingAppointment.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["rebuild-reports"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert summary_rows() == kept and kept[0] and booked
