"""What the end-of-day review page shows, in a fixed number of queries whatever the data.

One practitioner and one local day: the day's appointments and their outcomes, sessions
still to settle, the conduct entries recorded that day, clients whose suggested next step
changed during the day, referral follow-ups, inquiries waiting, tomorrow, and days not yet
reviewed."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from practice.auth.models import Practitioner
from practice.clients import care_team
from practice.clients.models import STANDINGS, Client, StandingChange
from practice.conduct import escalation
from practice.conduct.models import Communication, ConductEntry
from practice.db import db
from practice.letters.models import Letter
from practice.policies.queries import acknowledgement_status, policy_in_force
from practice.review.models import ReviewedDay
from practice.scheduling.models import RELEASED, Appointment, Status
from practice.scheduling.queries import AppointmentRow, paid_by_appointment
from practice.scheduling.services import local_day_bounds, practice_zone
from referrals import queries as referral_queries
from referrals.models import Referral

SETTLE_LOOKBACK = timedelta(days=60)  # older unmarked sessions are history, not today's work
UNREVIEWED_LOOKBACK = 14  # days


@dataclass(frozen=True)
class Done:
    """Something done for a client since the reviewed day began (from its next-step card,
    or anywhere): the card keeps it in view."""

    at: datetime
    what: str


@dataclass(frozen=True)
class ChangedSuggestion:
    """A client's next-step card: the suggestion at the day's start and now, and what was
    done about it. `after` is None once nothing more is suggested."""

    client: Client
    before: escalation.Suggestion | None
    after: escalation.Suggestion | None
    done: tuple[Done, ...] = ()


@dataclass
class DayReview:
    practitioner: Practitioner
    day: date
    appointments: list[AppointmentRow]
    unsettled: list[Appointment]
    entries: list[ConductEntry]
    changed: list[ChangedSuggestion]
    follow_ups: list  # (Referral, Client)
    inquiries: list
    tomorrow: list[AppointmentRow]
    unacknowledged: set[int]  # clients of tomorrow without the policy in force acknowledged
    in_care: set[int]  # the day's and tomorrow's clients whose record the practitioner may open
    reviewed: ReviewedDay | None
    unreviewed_days: list[date]
    grace_minutes: int  # arriving later than this is a late arrival (the policy in force)

    def _with(self, *statuses) -> list[AppointmentRow]:
        return [row for row in self.appointments if row.appointment.status in statuses]

    @property
    def late(self) -> list[AppointmentRow]:
        return [row for row in self.appointments if (row.appointment.late_minutes or 0) > self.grace_minutes]

    @property
    def no_shows(self) -> list[AppointmentRow]:
        return self._with(Status.NO_SHOW.value)

    @property
    def late_cancellations(self) -> list[AppointmentRow]:
        return self._with(Status.LATE_CANCELLED.value)

    @property
    def fees(self) -> list[AppointmentRow]:
        return [row for row in self.appointments if row.appointment.fee_cents]

    @property
    def to_finish(self) -> list[AppointmentRow]:
        """The day's sessions still to complete (arrived) or to be paid for: settled in
        place, on the review."""
        return [row for row in self.appointments if row.appointment.status == Status.ARRIVED.value
                or (row.owing_cents > 0 and row.due_cents > 0)]

    @property
    def owing(self) -> list[AppointmentRow]:
        """Sessions of the day not (fully) paid: what was due and what came in."""
        return [row for row in self.appointments if row.owing_cents > 0 and row.due_cents > 0
                and row.appointment.status not in (Status.BOOKED.value,)]


def day_review(practitioner: Practitioner, day: date, now: datetime) -> DayReview:
    session = db.session
    zone = practice_zone(session)
    start, end = local_day_bounds(day, zone)
    appointments = _appointments(practitioner.id, start, end)
    tomorrow = _appointments(practitioner.id, *local_day_bounds(day + timedelta(days=1), zone))
    paid = paid_by_appointment([a.id for a in appointments + tomorrow])
    entries = _entries_recorded(practitioner.id, start, end)
    in_care = care_team.among(practitioner.id, {a.client_id for a in appointments + tomorrow})
    clients = {a.client.id: a.client for a in appointments if a.client_id in in_care} | {
        e.client.id: e.client for e in entries}
    acknowledged = acknowledgement_status(session, {a.client_id for a in tomorrow}, now)
    return DayReview(
        practitioner=practitioner,
        day=day,
        appointments=[AppointmentRow(a, paid.get(a.id, 0)) for a in appointments],
        unsettled=unsettled(practitioner.id, min(now, end)),
        entries=entries,
        changed=_changed_suggestions(list(clients.values()), start, min(now, end),
                                     _done_since(set(clients), start, now)),
        follow_ups=_follow_ups(session, practitioner, day),
        inquiries=referral_queries.open_inquiries(session, practitioner_id=practitioner.id),
        tomorrow=[AppointmentRow(a, paid.get(a.id, 0)) for a in tomorrow if a.status not in RELEASED],
        unacknowledged={client_id for client_id, ack in acknowledged.items() if ack is None},
        in_care=in_care | {e.client_id for e in entries},
        reviewed=session.scalar(select(ReviewedDay).options(joinedload(ReviewedDay.reviewed_by)).where(
            ReviewedDay.practitioner_id == practitioner.id, ReviewedDay.day == day)),
        unreviewed_days=_unreviewed_days(practitioner.id, day, zone),
        grace_minutes=policy_in_force(session, min(now, end)).late_grace_minutes,
    )


def _follow_ups(session, practitioner: Practitioner, day: date) -> list[tuple]:
    """Referrals waiting for their follow-up that the practitioner made, or of their own
    clients, each with its client (two queries)."""
    due = referral_queries.follow_ups_due(session, today=day)
    clients = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_({r.client_id for r in due})))}
    return [(referral, clients[referral.client_id]) for referral in due
            if referral.by_id == practitioner.user_id
            or clients[referral.client_id].primary_practitioner_id == practitioner.id]


def _appointments(practitioner_id: int, start: datetime, end: datetime) -> list[Appointment]:
    return list(db.session.scalars(
        select(Appointment)
        .options(joinedload(Appointment.client), joinedload(Appointment.service))
        .where(Appointment.practitioner_id == practitioner_id,
               Appointment.start_at >= start, Appointment.start_at < end)
        .order_by(Appointment.start_at, Appointment.id)
    ))


def unsettled(practitioner_id: int, until: datetime) -> list[Appointment]:
    """Sessions that have started but are marked neither arrived nor no-show."""
    return list(db.session.scalars(
        select(Appointment)
        .options(joinedload(Appointment.client), joinedload(Appointment.service))
        .where(Appointment.practitioner_id == practitioner_id,
               Appointment.status == Status.BOOKED.value,
               Appointment.start_at < until, Appointment.start_at >= until - SETTLE_LOOKBACK)
        .order_by(Appointment.start_at, Appointment.id)
    ))


def _entries_recorded(practitioner_id: int, start: datetime, end: datetime) -> list[ConductEntry]:
    """Entries recorded during the day about clients in this practitioner's care team."""
    return list(db.session.scalars(
        select(ConductEntry)
        .options(joinedload(ConductEntry.client), joinedload(ConductEntry.category))
        .where(ConductEntry.recorded_at >= start, ConductEntry.recorded_at < end,
               care_team.clause(practitioner_id, ConductEntry.client_id))
        .order_by(ConductEntry.recorded_at, ConductEntry.id)
    ))


def _changed_suggestions(clients: list[Client], start: datetime, end: datetime,
                         done: dict[int, list[Done]]) -> list[ChangedSuggestion]:
    """Clients of the day whose suggested next step at the end differs from the start, and
    those something was done for since: their card stays, showing what was done."""
    at = escalation.suggestions_at(db.session, clients, [start, end])
    before, after = at[start], at[end]
    return [
        ChangedSuggestion(client, before[client.id], after[client.id], tuple(done.get(client.id, ())))
        for client in sorted(clients, key=lambda c: c.display_name.lower())
        if client.id in done or (after[client.id] is not None and (
            before[client.id] is None or before[client.id].step != after[client.id].step))
    ]


def _done_since(client_ids: set[int], start: datetime, now: datetime) -> dict[int, list[Done]]:
    """What was done for these clients from `start` until now: communications and incidents
    recorded, standing decided, letters issued, referrals made (five queries)."""
    if not client_ids:
        return {}
    found: list[tuple[int, Done]] = []
    for c in db.session.scalars(select(Communication).where(
            Communication.client_id.in_(client_ids), Communication.recorded_at >= start,
            Communication.recorded_at <= now)):
        found.append((c.client_id, Done(c.recorded_at, f"{c.kind_label} recorded ({c.channel_label.lower()})")))
    # Incidents and referrals out are told apart here, not in SQL: SQLite, which keeps no
    # statistics, would otherwise walk the index of corrections (which almost no entry is)
    # or of every referral out, rather than these clients' few rows.
    for e in db.session.scalars(select(ConductEntry).options(joinedload(ConductEntry.category)).where(
            ConductEntry.client_id.in_(client_ids), ConductEntry.recorded_at >= start,
            ConductEntry.recorded_at <= now)):
        if e.source != "manual" or e.corrects_id is not None:
            continue
        found.append((e.client_id, Done(e.recorded_at, f"Incident recorded: {e.category.label if e.category else e.kind_label}")))
    for change in db.session.scalars(select(StandingChange).where(
            StandingChange.client_id.in_(client_ids), StandingChange.changed_at >= start,
            StandingChange.changed_at <= now)):
        found.append((change.client_id, Done(change.changed_at, f"Standing set to {STANDINGS[change.to_standing].lower()}")))
    for letter in db.session.scalars(select(Letter).where(
            Letter.client_id.in_(client_ids), Letter.issued_at >= start, Letter.issued_at <= now)):
        found.append((letter.client_id, Done(letter.issued_at, f"Letter issued: {letter.title}")))
    for referral in db.session.scalars(select(Referral).options(joinedload(Referral.specialist)).where(
            Referral.client_id.in_(client_ids), Referral.created_at >= start, Referral.created_at <= now)):
        if referral.direction != "out":
            continue
        to = referral.specialist.name if referral.specialist else referral.source
        found.append((referral.client_id, Done(referral.created_at, f"Referred to {to}")))
    done: dict[int, list[Done]] = {}
    for client_id, item in sorted(found, key=lambda pair: pair[1].at):
        done.setdefault(client_id, []).append(item)
    return done


def _unreviewed_days(practitioner_id: int, day: date, zone) -> list[date]:
    """Earlier days (up to two weeks back) with sessions but no review."""
    start, _ = local_day_bounds(day - timedelta(days=UNREVIEWED_LOOKBACK), zone)
    end, _ = local_day_bounds(day, zone)
    starts = db.session.scalars(select(Appointment.start_at).where(
        Appointment.practitioner_id == practitioner_id, Appointment.start_at >= start,
        Appointment.start_at < end, Appointment.status.not_in(RELEASED)))
    worked = {moment.astimezone(zone).date() for moment in starts}
    reviewed = set(db.session.scalars(select(ReviewedDay.day).where(
        ReviewedDay.practitioner_id == practitioner_id, ReviewedDay.day.in_(worked))))
    return sorted(worked - reviewed)
