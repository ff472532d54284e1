"""What the end-of-day review page shows, in a fixed number of queries whatever the data.

One practitioner and one local day: the day's appointments and their outcomes, sessions
still to settle, the conduct entries recorded that day, clients whose suggested next step
changed during the day, referral follow-ups, inquiries waiting, tomorrow, and days not yet
reviewed."""

from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import (
    Boolean,
    Integer,
    Row,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import joinedload

from practice.auth.models import Practitioner, User
from practice.auth.queries import PractitionerAccount
from practice.bulk import ids_value, in_ids
from practice.clients import care_team
from practice.clients.models import STANDINGS, Client, StandingChange
from practice.conduct import escalation
from practice.conduct.models import (
    COMMUNICATION_CHANNELS,
    COMMUNICATION_KINDS,
    KINDS,
    Communication,
    ConductEntry,
    IncidentCategory,
)
from practice.db import db, one_of
from practice.letters.models import Letter
from practice.localtime import steady_offset
from practice.policies.models import PolicyAcknowledgement
from practice.policies.queries import policy_in_force
from practice.review.models import ReviewedDay
from practice.scheduling.models import (
    BOOKED,
    LONGEST_SESSION,
    RELEASED,
    Appointment,
    Service,
    Status,
)
from practice.scheduling.queries import (  # Today's rows, written the same way
    DESK_COLUMNS,
    DeskRow,
    desk_row,
)
from practice.scheduling.services import local_day_bounds, practice_zone
from referrals.models import Inquiry, InquiryStatus, Outcome, Referral, Specialist

SETTLE_LOOKBACK = timedelta(days=60)  # older unmarked sessions are history, not today's work
UNREVIEWED_LOOKBACK = 14  # days

# The page's reads are plain rows of the columns it shows (objects take several times as
# long to load), from statements built once with their values as parameters: building a
# statement takes longer than the database takes to run most of these.


def _read(statement, values=None):
    """A statement's rows, run on the session's connection: its reads are plain rows, and the
    ORM's way of running a statement took as long again as SQLite's running most of these."""
    return db.session.connection().execute(statement, values)


@dataclass(frozen=True)
class Done:
    """Something done for a client since the reviewed day began (from its next-step card,
    or anywhere): the card keeps it in view."""

    at: datetime
    what: str


@dataclass(frozen=True)
class ClientName:
    """A client as the review names them: enough for the next-step cards (the ladder reads
    `id` and `standing`) and the permission checks, which go by the client's id."""

    id: int
    display_name: str
    standing: str


@dataclass(frozen=True)
class ChangedSuggestion:
    """A client's next-step card: the suggestion at the day's start and now, and what was
    done about it. `after` is None once nothing more is suggested."""

    client: ClientName
    before: escalation.Suggestion | None
    after: escalation.Suggestion | None
    done: tuple[Done, ...] = ()


@dataclass(frozen=True)
class RecordedEntry:
    """A conduct entry recorded during the day, as the review lists it."""

    id: int
    client_id: int
    client_name: str
    standing: str
    what: str  # its category, or its kind when it has none
    minutes: int | None
    safety: bool
    source: str
    recorded_at: datetime


@dataclass(frozen=True)
class Reviewed:
    """When a day was marked reviewed, and by whom (None: by the system)."""

    reviewed_at: datetime
    by_name: str | None


@dataclass
class DayReview:
    practitioner: Practitioner | PractitionerAccount  # its id, account and name are read
    day: date
    appointments: list[DeskRow]  # the day's, with what was paid towards each
    unsettled: list[DeskRow]
    entries: list[RecordedEntry]
    changed: list[ChangedSuggestion]
    follow_ups: list["FollowUp"]  # referrals out waiting for their follow-up, with the client's and colleague's names
    inquiries: list["WaitingInquiry"]
    tomorrow: list[DeskRow]
    unacknowledged: set[int]  # clients of tomorrow without the policy in force acknowledged
    in_care: set[int]  # the day's and tomorrow's clients whose record the practitioner may open
    reviewed: Reviewed | None
    unreviewed_days: list[date]
    grace_minutes: int  # arriving later than this is a late arrival (the policy in force)

    def _with(self, *statuses) -> list[DeskRow]:
        return [row for row in self.appointments if row.status in statuses]

    @property
    def incident_clients(self) -> dict[int, str]:
        """The day's clients in the practitioner's care, by id, with their names: whom the
        quick incident form offers."""
        return {row.client_id: row.who for row in self.appointments if row.client_id in self.in_care}

    @property
    def late(self) -> list[DeskRow]:
        return [row for row in self.appointments if (row.appointment.late_minutes or 0) > self.grace_minutes]

    @property
    def no_shows(self) -> list[DeskRow]:
        return self._with(Status.NO_SHOW.value)

    @property
    def late_cancellations(self) -> list[DeskRow]:
        return self._with(Status.LATE_CANCELLED.value)

    @property
    def fees(self) -> list[DeskRow]:
        return [row for row in self.appointments if row.appointment.fee_cents]

    @property
    def fees_charged_cents(self) -> int:
        return sum(row.appointment.fee_cents for row in self.fees if not row.appointment.fee_waived)

    @property
    def fees_waived_cents(self) -> int:
        return sum(row.appointment.fee_cents for row in self.fees if row.appointment.fee_waived)

    @property
    def to_finish(self) -> list[DeskRow]:
        """The day's sessions still to complete (arrived) or to be paid for: settled in
        place, on the review."""
        return [row for row in self.appointments if row.status == Status.ARRIVED.value
                or (row.owing_cents > 0 and row.due_cents > 0)]

    @property
    def owing(self) -> list[DeskRow]:
        """Sessions of the day not (fully) paid: what was due and what came in."""
        return [row for row in self.appointments if row.owing_cents > 0 and row.due_cents > 0
                and row.status not in (Status.BOOKED.value,)]

    @property
    def owing_cents(self) -> int:
        return sum(row.owing_cents for row in self.owing)


def day_review(practitioner: Practitioner | PractitionerAccount, day: date, now: datetime) -> DayReview:
    session = db.session
    zone = practice_zone(session)
    start, end = local_day_bounds(day, zone)
    _, tomorrow_end = local_day_bounds(day + timedelta(days=1), zone)
    until = min(now, end)
    appointments, tomorrow, unsettled_rows, in_care, unacknowledged_ids = _appointment_rows(
        practitioner.id, start, end, tomorrow_end, until, zone, policy_in_force(session, now).id)
    follow_ups, inquiries, entries = _waiting_and_recorded(practitioner, day, start, end)
    clients = {row.client_id: ClientName(row.client_id, row.who, row.appointment.standing)
               for row in appointments if row.client_id in in_care} | {
        e.client_id: ClientName(e.client_id, e.client_name, e.standing) for e in entries}
    reviewed, unreviewed = _reviews(practitioner.id, day, zone)
    return DayReview(
        practitioner=practitioner,
        day=day,
        appointments=appointments,
        unsettled=unsettled_rows,
        entries=entries,
        changed=_changed_suggestions(list(clients.values()), start, until, now),
        follow_ups=follow_ups,
        inquiries=inquiries,
        tomorrow=[row for row in tomorrow if row.status not in RELEASED],
        unacknowledged=unacknowledged_ids,
        in_care=in_care | {e.client_id for e in entries},
        reviewed=reviewed,
        unreviewed_days=unreviewed,
        grace_minutes=policy_in_force(session, until).late_grace_minutes,
    )


# The review's rows: Today's columns but those only Today reads (whose column the row is in,
# when it was cancelled): a time less a row. The client's name and standing come from the
# client's row, joined for the care team's rule (a day's few dozen rows: Today looks each up
# by key, see CLIENT_COLUMNS).
_REVIEW_COLUMNS = tuple(
    {"client_name": Client.display_name.label("client_name"), "standing": Client.standing}.get(column.key, column)
    for column in DESK_COLUMNS if column.key not in ("practitioner_id", "cancelled_at"))


@cache
def _appointments_query():
    """The practitioner's appointments from `day_start` to `tomorrow_end` and those still
    booked that started from `since` until `until` (to settle): one read, with whether the
    practitioner is in the client's care team (`in_care`) and whether the client has
    acknowledged the policy `policy_id` (`acknowledged`)."""
    return (
        select(*_REVIEW_COLUMNS,
               # As a CASE's condition: SQLite works out every side of an OR that is a value
               # (the rule's sessions and access for each row, though the first side, the
               # primary practitioner, answers for almost all), and stops at the first true
               # one in a condition.
               case((care_team.of_client(bindparam("practitioner_id"), Client), True), else_=False).label("in_care"),
               exists().where(PolicyAcknowledgement.policy_id == bindparam("policy_id"),
                              PolicyAcknowledgement.client_id == Appointment.client_id).label("acknowledged"))
        .join(Service, Service.id == Appointment.service_id)
        .join(Client, Client.id == Appointment.client_id)
        .where(Appointment.practitioner_id == bindparam("practitioner_id"),
               Appointment.start_at >= bindparam("since"), Appointment.start_at < bindparam("tomorrow_end"),
               or_(Appointment.start_at >= bindparam("day_start"),
                   # As the index of booked sessions says it (PostgreSQL's): a generic plan, not knowing a
                   # parameter's value, could not use that index.
                   text(f"appointment.{BOOKED}") & (Appointment.start_at < bindparam("until"))))
        .order_by(Appointment.start_at, Appointment.id)
    )


def _appointment_rows(practitioner_id: int, start: datetime, end: datetime, tomorrow_end: datetime,
                      until: datetime, zone, policy_id: int,
                      ) -> tuple[list[DeskRow], list[DeskRow], list[DeskRow], set[int], set[int]]:
    """The day's appointments, tomorrow's, and the sessions that have started but are
    marked neither arrived nor no-show (as `unsettled` tells them, for marking the day
    reviewed), each as Today's rows; and of the day's and tomorrow's clients, those whose
    record the practitioner may open, and tomorrow's who have not acknowledged the policy."""
    since = until - SETTLE_LOOKBACK
    found = _read(_appointments_query(), {
        "practitioner_id": practitioner_id, "since": since, "tomorrow_end": tomorrow_end,
        "day_start": start, "until": until, "policy_id": policy_id}).all()
    # The day's and tomorrow's rows convert with the zone's offset over those two days: over
    # the whole lookback of sessions to settle, a clock change (a third of the year) sent
    # every row through the zone's own conversion, about 25 times as slow. Older rows are few.
    steady = steady_offset(zone, start, tomorrow_end + LONGEST_SESSION)
    rows = [desk_row(row, zone, steady if row.start_at >= start else None) for row in found]
    care = {row.client_id: bool(row.in_care) for row in found if row.start_at >= start}
    care_team.remember(practitioner_id, care)
    return ([row for row in rows if start <= row.appointment.start_at < end],
            [row for row in rows if row.appointment.start_at >= end],
            [row for row in rows if row.status == Status.BOOKED.value and since <= row.appointment.start_at < until],
            {client_id for client_id, in_care in care.items() if in_care},
            {row.client_id for row in found if row.start_at >= end and not row.acknowledged})


def unsettled(practitioner_id: int, until: datetime) -> list[Appointment]:
    """Sessions that have started but are marked neither arrived nor no-show (the review
    page reads the same with its appointments: _appointment_rows)."""
    return list(db.session.scalars(
        select(Appointment)
        .options(joinedload(Appointment.client), joinedload(Appointment.service))
        .where(Appointment.practitioner_id == practitioner_id,
               Appointment.status == Status.BOOKED.value,
               Appointment.start_at < until, Appointment.start_at >= until - SETTLE_LOOKBACK)
        .order_by(Appointment.start_at, Appointment.id)
    ))


@cache
def _waiting_query(dialect: str):
    """What waits for the practitioner and what was recorded about their clients, one read:
    the entries recorded from `start` to `end` about clients in the care team of
    `practitioner_id`, in the order recorded ("entry"); referrals out waiting for their
    follow-up by `day` that they made (`user_id`) or of their own clients, oldest follow-up
    first ("follow_up"); then inquiries open or offered for them or for no one in
    particular, oldest first ("inquiry").

    Written for PostgreSQL's generic plan, which it runs once psycopg has prepared it and
    the plan, estimated without the values, is not dearer than those planned with them
    (planning again took about 1 ms a view, longer than running it): the referrals' fixed
    words are in the statement, so the plan counts the pending ones out (about 70 of
    5,000) rather than a guess (500); and the day's range is also said as a containment
    (_recorded_during)."""
    def none(column):  # typed: PostgreSQL matches a union's columns one pair of selects at a time
        return cast(null(), column.type)

    no_entry = (none(Client.standing), none(ConductEntry.kind), none(ConductEntry.minutes), none(ConductEntry.safety))
    entries = (
        select(literal_column("'entry'").label("waiting"), ConductEntry.id, ConductEntry.client_id.label("client_id"),
               Client.display_name.label("name"), IncidentCategory.label.label("label"),
               ConductEntry.source.label("text"), none(Referral.referred_on).label("referred_on"),
               none(Referral.follow_up_on).label("follow_up_on"), ConductEntry.recorded_at.label("at"),
               Client.standing.label("standing"), ConductEntry.kind.label("kind"),
               ConductEntry.minutes.label("minutes"), ConductEntry.safety.label("safety"))
        .join(Client, Client.id == ConductEntry.client_id)
        .outerjoin(IncidentCategory, IncidentCategory.id == ConductEntry.category_id)
        .where(*_recorded_during(dialect), care_team.of_client(bindparam("practitioner_id"), Client))
    )
    follow_ups = (
        select(literal_column("'follow_up'"), Referral.id, Referral.client_id, Client.display_name, Specialist.name,
               Referral.source, Referral.referred_on, Referral.follow_up_on, none(ConductEntry.recorded_at),
               *no_entry)
        .join(Client, Client.id == Referral.client_id)
        .outerjoin(Specialist, Specialist.id == Referral.specialist_id)
        .where(one_of(Referral.direction, ("out",)), one_of(Referral.outcome, (Outcome.PENDING.value,)),
               Referral.follow_up_on <= bindparam("day"),
               or_(Referral.by_id.is_not_distinct_from(bindparam("user_id")),
                   Client.primary_practitioner_id == bindparam("practitioner_id")))
    )
    inquiries = (
        select(literal_column("'inquiry'"), Inquiry.id, none(Referral.client_id), Inquiry.name,
               none(Specialist.name), Inquiry.need, none(Referral.referred_on), none(Referral.follow_up_on),
               Inquiry.received_at, *no_entry)
        .where(one_of(Inquiry.status, (InquiryStatus.OPEN.value, InquiryStatus.OFFERED.value)),
               or_(Inquiry.practitioner_id.is_(None), Inquiry.practitioner_id == bindparam("practitioner_id")))
    )
    return union_all(entries, follow_ups, inquiries).order_by(
        *(literal_column(name) for name in ("waiting", "follow_up_on", "at", "id")))


def _recorded_during(dialect: str) -> tuple:
    """SQL: the entry was recorded from `start` to `end`. Without the values, PostgreSQL
    guesses that a range holds 1 row in 200 (250 of the large practice's 50,000 entries;
    a day has about 25), and the entries' branch, checking the care team for each, was
    costed at 1,970 (330 with the values): the statement's generic plan was never chosen.
    Said twice, as the index's range and as a containment, the two guesses multiply
    (about one entry): the same plan, chosen after psycopg's fifth run."""
    start, end = bindparam("start"), bindparam("end")
    during = (ConductEntry.recorded_at >= start, ConductEntry.recorded_at < end)
    if dialect != "postgresql":
        return during
    return (*during, func.tstzrange(start, end).op("@>")(ConductEntry.recorded_at))


FollowUp = namedtuple("FollowUp", "id client_id client_name specialist_name source referred_on follow_up_on")
WaitingInquiry = namedtuple("WaitingInquiry", "id name need received_at")


def _waiting_and_recorded(practitioner: Practitioner | PractitionerAccount, day: date, start: datetime, end: datetime,
                          ) -> tuple[list[FollowUp], list[WaitingInquiry], list[RecordedEntry]]:
    """The referral follow-ups due and the inquiries waiting, and the entries recorded during
    the day about clients in this practitioner's care team."""
    dialect = db.session.connection().dialect.name
    rows = _read(_waiting_query(dialect), {
        "day": day, "user_id": practitioner.user_id, "practitioner_id": practitioner.id, "start": start, "end": end,
    }).all()
    return ([FollowUp(r.id, r.client_id, r.name, r.label, r.text, r.referred_on, r.follow_up_on)
             for r in rows if r.waiting == "follow_up"],
            [WaitingInquiry(r.id, r.name, r.text, r.at) for r in rows if r.waiting == "inquiry"],
            [RecordedEntry(r.id, r.client_id, r.name, r.standing, r.label or KINDS.get(r.kind, r.kind), r.minutes,
                           r.safety, r.text, r.at) for r in rows if r.waiting == "entry"])


def _changed_suggestions(clients: list[ClientName], start: datetime, until: datetime,
                         now: datetime) -> list[ChangedSuggestion]:
    """Clients of the day whose suggested next step at `until` differs from the start, and
    those something was done for since: their card stays, showing what was done. The
    ladder's rows and what was done are one read (_done_query)."""
    if not clients:
        return []
    moments = [start, until]
    policy = policy_in_force(db.session, max(moments))
    dialect = db.session.connection().dialect.name
    rows = _read(_done_query(dialect), {
        "ids": ids_value([client.id for client in clients], dialect), "start": start, "now": now,
        "since": escalation.reach_back(policy, moments)}).all()
    entries = sorted((escalation.LadderEntry(r.id, r.client_id, r.a, r.at, r.minutes, r.safety, r.withdrawn,
                                   r.corrects_id, r.c) for r in rows if r.done == "entry"),
                     key=lambda e: (e.occurred_from, e.id))
    told = sorted((escalation.Told(r.client_id, r.a, r.at) for r in rows if r.done == "told"),
                  key=lambda t: t.occurred_at)
    at = escalation.suggestions_from(clients, entries, told, policy, moments, practice_zone(db.session))
    before, after = at[start], at[until]
    done = _done(row for row in rows if row.done in _DONE_KINDS)
    return [
        ChangedSuggestion(client, before[client.id], after[client.id], tuple(done.get(client.id, ())))
        for client in sorted(clients, key=lambda c: c.display_name.lower())
        if client.id in done or (after[client.id] is not None and (
            before[client.id] is None or before[client.id].step != after[client.id].step))
    ]



# What can be done for a client, in the order things done at the same moment are listed.
_DONE_KINDS = ("communication", "incident", "standing", "letter", "referral")


@cache
def _done_query(dialect: str):
    """What was done for the clients `ids` from `start` until `now`, one row each:
    (done, client_id, at, a, b, c), `done` one of _DONE_KINDS and a, b, c its words; and
    what the ladder reads of them (escalation.suggestions_from): their entries that
    happened from `since` (`done` "entry": a kind, c its category, and the entry's id,
    minutes, safety, withdrawn and corrects_id) and their policy communications ("told":
    a kind, `at` when it happened)."""
    start, now = bindparam("start"), bindparam("now")
    # Typed: PostgreSQL matches a union's columns one pair of selects at a time.
    no_entry = (cast(null(), Integer), cast(null(), Integer), cast(null(), Boolean), cast(null(), Boolean),
                cast(null(), Integer))

    def row(kind, client_id, at, a, b=None, c=None, entry=no_entry):
        return select(literal_column(f"'{kind}'").label("done"), client_id.label("client_id"), at.label("at"),
                      a.label("a"), (null() if b is None else b).label("b"),
                      (null() if c is None else c).label("c"),
                      *(value.label(name) for value, name in zip(entry, _ENTRY_COLUMNS, strict=True))
                      ).where(in_ids(client_id, "ids", dialect))

    def done(kind, client_id, at, a, b=None, c=None):
        return row(kind, client_id, at, a, b, c).where(at >= start, at <= now)

    # Incidents and referrals out are told apart in Python, not in SQL: SQLite, which keeps
    # no statistics, would otherwise walk the index of corrections (which almost no entry
    # is) or of every referral out, rather than these clients' few rows.
    return union_all(
        done("communication", Communication.client_id, Communication.recorded_at,
             Communication.kind, Communication.channel),
        done("incident", ConductEntry.client_id, ConductEntry.recorded_at,
             case((ConductEntry.corrects_id.is_(None), ConductEntry.source), else_=literal_column("'correction'")),
             ConductEntry.kind, IncidentCategory.label)
        .outerjoin(IncidentCategory, IncidentCategory.id == ConductEntry.category_id),
        done("standing", StandingChange.client_id, StandingChange.changed_at, StandingChange.to_standing),
        done("letter", Letter.client_id, Letter.issued_at, Letter.title),
        done("referral", Referral.client_id, Referral.created_at, Referral.direction, Referral.source,
             Specialist.name).outerjoin(Specialist, Specialist.id == Referral.specialist_id),
        row("entry", ConductEntry.client_id, ConductEntry.occurred_from, ConductEntry.kind, None,
            IncidentCategory.label, (ConductEntry.id, ConductEntry.minutes, ConductEntry.safety,
                                     ConductEntry.withdrawn, ConductEntry.corrects_id))
        .outerjoin(IncidentCategory, IncidentCategory.id == ConductEntry.category_id)
        .where(ConductEntry.occurred_from >= bindparam("since")),
        row("told", Communication.client_id, Communication.occurred_at, Communication.kind)
        .where(one_of(Communication.kind, escalation.POLICY_COMMUNICATIONS)),
    )


_ENTRY_COLUMNS = ("id", "minutes", "safety", "withdrawn", "corrects_id")


def _done_words(row) -> str | None:
    """What a row of _done_query says was done, or None when it is not shown (an automatic
    entry, a correction, a referral received)."""
    if row.done == "communication":
        kind, channel = COMMUNICATION_KINDS.get(row.a, row.a), COMMUNICATION_CHANNELS.get(row.b, row.b)
        return f"{kind} recorded ({channel.lower()})"
    if row.done == "incident":
        return f"Incident recorded: {row.c or KINDS.get(row.b, row.b)}" if row.a == "manual" else None
    if row.done == "standing":
        return f"Standing set to {STANDINGS[row.a].lower()}"
    if row.done == "letter":
        return f"Letter issued: {row.a}"
    return f"Referred to {row.c or row.b}" if row.a == "out" else None


def _done(rows) -> dict[int, list[Done]]:
    """What the rows of _done_query say was done for each client (communications and
    incidents recorded, standing decided, letters issued, referrals made), in order."""
    found = sorted(((row.at, _DONE_KINDS.index(row.done), row.client_id, _done_words(row)) for row in rows),
                   key=lambda item: item[:2])
    done: dict[int, list[Done]] = {}
    for at, _, client_id, what in found:
        if what is not None:
            done.setdefault(client_id, []).append(Done(at, what))
    return done


@cache
def _categories_query():
    return (select(IncidentCategory.id, IncidentCategory.label).where(IncidentCategory.retired_at.is_(None))
            .order_by(IncidentCategory.position, IncidentCategory.id))


def incident_categories() -> list[Row]:
    """The categories the quick incident form offers (those not retired), as
    conduct.queries.categories lists them: their ids and labels only."""
    return _read(_categories_query()).all()


@cache
def _reviews_query():
    """Whether `day` was marked reviewed (a row with `reviewed_at`, by `by_name`), and which
    of the UNREVIEWED_LOOKBACK days before it had sessions and no review (a row for each,
    with its number `i`: the local day `day<i>`, from `from<i>` to `from<i+1>`). The days are
    a table of their own for one pair of index lookups: fourteen pairs of their own took
    PostgreSQL longer to plan (about 1 ms) than to run. Their numbers are written in the
    statement (fourteen parameters fewer to bind). Not a VALUES list on PostgreSQL (planned
    0.36 -> 0.23 ms): SQLAlchemy does not cache a VALUES list's statement, and compiling it on
    every run cost more than that."""
    practitioner_id = bindparam("practitioner_id")
    start_at, day = Appointment.start_at.type, ReviewedDay.day.type
    days = union_all(*(
        select(literal_column(str(i), Integer).label("i"), bindparam(f"from{i}", type_=start_at).label("start"),
               bindparam(f"from{i + 1}", type_=start_at).label("end"), bindparam(f"day{i}", type_=day).label("day"))
        for i in range(UNREVIEWED_LOOKBACK))).subquery("days")
    mark = (select(ReviewedDay.reviewed_at, User.name.label("by_name"), cast(null(), Integer).label("i"))
            .outerjoin(User, User.id == ReviewedDay.reviewed_by_id)
            .where(ReviewedDay.practitioner_id == practitioner_id, ReviewedDay.day == bindparam("day")))
    unreviewed = (
        select(cast(null(), ReviewedDay.reviewed_at.type), cast(null(), User.name.type), days.c.i)
        .where(exists().where(Appointment.practitioner_id == practitioner_id, Appointment.start_at >= days.c.start,
                              Appointment.start_at < days.c.end, not_(one_of(Appointment.status, RELEASED))),
               not_(exists().where(ReviewedDay.practitioner_id == practitioner_id, ReviewedDay.day == days.c.day))))
    return union_all(mark, unreviewed)


def _reviews(practitioner_id: int, day: date, zone) -> tuple[Reviewed | None, list[date]]:
    """The day's review if it was marked reviewed, and the earlier days (up to two weeks
    back) with sessions but no review (one query)."""
    days = [day - timedelta(days=UNREVIEWED_LOOKBACK - i) for i in range(UNREVIEWED_LOOKBACK + 1)]
    values = {"practitioner_id": practitioner_id, "day": day}
    for i, each in enumerate(days):
        values[f"from{i}"] = local_day_bounds(each, zone)[0]
        values[f"day{i}"] = each
    rows = _read(_reviews_query(), values).all()
    mark = next((row for row in rows if row.i is None), None)
    reviewed = Reviewed(mark.reviewed_at, mark.by_name) if mark is not None else None
    return reviewed, sorted(days[row.i] for row in rows if row.i is not None)
