"""Reads for the front desk, calendar and client pages: a fixed number of queries each."""

import hashlib
import marshal
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from operator import itemgetter

from sqlalchemy import (
    Integer,
    Row,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    not_,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from practice.auth.models import Practitioner, Role
from practice.auth.permissions import can_each
from practice.auth.queries import PractitionerName, active_practitioner_names
from practice.clients import care_team
from practice.clients.models import Client, identity_hold_of, may_be_booked
from practice.db import db
from practice.localtime import span, steady_offset, steady_span
from practice.policies.models import PolicyAcknowledgement
from practice.scheduling.models import (
    ATTENDED,
    CHARGEABLE,
    CHARGED,
    LONGEST_SESSION,
    RELEASED,
    Appointment,
    Payment,
    Service,
    Status,
    TimeBlock,
    WorkingHours,
    service_specialty,
)
from practice.scheduling.services import UNDOABLE, amount_due, local_day_bounds
from practice.settings.services import practice_zone
from referrals.models import Modality


@dataclass
class AppointmentRow:
    appointment: Appointment
    paid_cents: int

    @property
    def due_cents(self) -> int:
        return amount_due(self.appointment)

    @property
    def owing_cents(self) -> int:
        return self.due_cents - self.paid_cents


@dataclass
class UpcomingRow(AppointmentRow):
    """An upcoming appointment on the client page, with its start as the page writes it."""

    when: str = ""


STATUS_LABELS = {"booked": "Booked", "arrived": "Arrived", "completed": "Completed", "cancelled": "Cancelled",
                 "late_cancelled": "Late cancellation", "no_show": "Did not come"}


@dataclass
class DeskRow(AppointmentRow):
    """An appointment on Today with what its row shows already read and written out: a busy
    day has hundreds of rows, and the template only places these values. Its `appointment`
    is a plain row of DESK_COLUMNS (the appointment's columns, client_name, standing,
    identity_hold, service_name; Today's a TodayColumns tuple, with fees_owed and
    acknowledged), not an object: hundreds of objects take several times as long to load."""

    id: int = 0
    client_id: int = 0
    status: str = ""
    when: str = ""  # "09:00–10:00" in the practice's time zone
    who: str = ""
    service: str = ""
    status_label: str = ""
    flag: str = ""  # the client's standing, when it asks for care: "Not bookable", "On notice"
    late: str = ""  # "12 min late"
    lateness: str = ""  # "on time" once arrived, unless late
    booked_online: bool = False


def desk_row(appointment: Row, zone, steady: timezone | None = None) -> DeskRow:
    """The row of Today for an appointment (a row of DESK_COLUMNS); `steady`: the zone's
    fixed offset over the day, when its clocks do not change (localtime.steady_offset)."""
    if steady is not None:
        when = steady_span(appointment.start_at, appointment.end_at, steady)
    else:
        when = span(appointment.start_at, appointment.end_at, zone)
    flag = "Not bookable" if not may_be_booked(appointment.standing, appointment.identity_hold) else (
        "On notice" if appointment.standing in ("warned", "final_notice") else "")
    late = f"{appointment.late_minutes} min late" if appointment.late_minutes else ""
    return DeskRow(
        appointment, appointment.paid_cents, appointment.id, appointment.client_id, appointment.status,
        when, appointment.client_name, appointment.service_name,
        STATUS_LABELS[appointment.status], flag, late,
        "on time" if appointment.arrived_at and not late else "", appointment.booked_online)


@dataclass
class PractitionerColumn:
    practitioner: PractitionerName  # its id and name: twenty ORM objects took longer to load
    rows: list[DeskRow] = field(default_factory=list)
    blocks: list[TimeBlock] = field(default_factory=list)


def paid_by_appointment(appointment_ids: list[int]) -> dict[int, int]:
    if not appointment_ids:
        return {}
    totals = db.session.execute(
        select(Payment.appointment_id, func.sum(Payment.amount_cents))
        .where(Payment.appointment_id.in_(appointment_ids))
        .group_by(Payment.appointment_id)
    )
    return dict(totals.all())


# What was paid towards each appointment, from the payments' covering index (a column of
# the appointment's row, not a query of its own).
_PAID = (select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.appointment_id == Appointment.id)
         .scalar_subquery().label("paid_cents"))


def _of_client(column, label: str):
    return select(column).where(Client.id == Appointment.client_id).scalar_subquery().label(label)


# An appointment's client's name, standing and identity hold, as columns of the appointment's
# row, each looked up by the client's key: joined instead, PostgreSQL hashed every client of
# the practice (20,000 in the benchmark, 5-30 ms) to find a day's few hundred. The hold asks
# the matches by the appointment's client_id itself (through the client's row, PostgreSQL
# looked that row up once more for each appointment: 0.4 ms of a busy day's 286).
CLIENT_COLUMNS = (_of_client(Client.display_name, "client_name"), _of_client(Client.standing, "standing"),
                  identity_hold_of(Appointment.client_id).label("identity_hold"))

# The day's fingerprint is made of these (with the day's blocked time): what another desk
# changes on an appointment, and what was paid towards it. The total alone: a payment is
# never edited or removed and is above zero, so each one changes it (their count, another
# lookup for each of a day's hundreds of rows, told nothing more). The times come last, for
# _fingerprint to write them apart.
_VERSION_COLUMNS = (
    Appointment.id, Appointment.client_id, Appointment.practitioner_id, Appointment.status,
    Appointment.fee_cents, Appointment.fee_waived, _PAID,
    Appointment.start_at, Appointment.end_at, Appointment.arrived_at,
)

# Today reads only the columns its rows use and the fingerprint's (a busy day has hundreds
# of rows, and every column read is converted, datetimes above all), as plain rows.
DESK_COLUMNS = (
    *_VERSION_COLUMNS,
    Appointment.late_minutes, Appointment.cancelled_at, Appointment.booked_online, Appointment.price_cents,
    *CLIENT_COLUMNS, Service.name.label("service_name"),
)


def named_rows(columns, label: str):
    """A named tuple type for rows of these columns: pages of hundreds of rows read each
    row's values as tuples of this type, whose values are looked up by name several times
    faster than a result row's (and a row's dozen values are read many times over)."""
    return namedtuple(label, [column.key for column in columns])


def _on_day(start, end):
    return and_(Appointment.start_at >= start, Appointment.start_at < end)


# The active practitioners' blocks only (Today has a column for each of them, none for the
# others): asked by practitioner, a day's blocks are found from where they end
# (ix_time_block_practitioner_id_end_at); asked by time alone, SQLite read every block the
# practice ever had (2,071 on the large practice: 3.1M instructions a request, 0.4M now).
_ACTIVE_IDS = select(Practitioner.id).where(Practitioner.active)


def _blocks_on_day(start, end):
    return and_(TimeBlock.practitioner_id.in_(_ACTIVE_IDS), TimeBlock.start_at < end, TimeBlock.end_at > start)


def _fees_owed_by(client_id):
    """SQL: what the client `client_id` (a column) still owes in fees, as fees_owed counts
    it (NULL for nothing), from their charged appointments' partial index and the payments'
    index."""
    charged = aliased(Appointment)
    paid = select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.appointment_id == charged.id)
    unpaid = charged.fee_cents - paid.scalar_subquery()
    return (select(func.sum(unpaid)).where(charged.client_id == client_id, text(CHARGED), unpaid > 0)
            .scalar_subquery())


# Today's rows also carry what their client still owes in fees (on the rows still to come)
# and whether they have acknowledged the policy `policy_id`, each looked up by the client's
# key: read apart for a list of the day's clients, binding hundreds of ids (and SQLite
# preparing a statement for each number of them) took longer than these lookups.
TODAY_COLUMNS = (
    *DESK_COLUMNS,
    case((Appointment.status == Status.BOOKED.value, _fees_owed_by(Appointment.client_id))).label("fees_owed"),
    # Not EXISTS: for that, PostgreSQL read every acknowledgement of the policy (13,000 in the
    # benchmark's practice) into a hash to answer a day's few hundred rows.
    select(PolicyAcknowledgement.policy_id)
    .where(PolicyAcknowledgement.policy_id == bindparam("policy_id"),
           PolicyAcknowledgement.client_id == Appointment.client_id)
    .limit(1).scalar_subquery().is_not(None).label("acknowledged"),
)
TodayColumns = named_rows(TODAY_COLUMNS, "TodayColumns")

# The day's statements, built once with the day's bounds (`start`, `end`) as parameters:
# building one and its cache key on each request took longer than running it.
_DAY = bindparam("start"), bindparam("end")
# On SQLite the client's name and standing come from the client's row joined, found once for
# each appointment rather than once for each column (as the calendar's, scheduling.book);
# PostgreSQL keeps the lookups of CLIENT_COLUMNS: joined, it hashed every client.
_CLIENT_JOINED = {"client_name": Client.display_name.label("client_name"), "standing": Client.standing}
_TODAY_JOINED_COLUMNS = [_CLIENT_JOINED.get(column.key, column) for column in TODAY_COLUMNS]
_TODAY_ORDER = Appointment.start_at, Appointment.id
TODAY = {
    "postgresql": select(*TODAY_COLUMNS).join(Service, Service.id == Appointment.service_id)
    .where(_on_day(*_DAY)).order_by(*_TODAY_ORDER),
    "sqlite": select(*_TODAY_JOINED_COLUMNS).join(Service, Service.id == Appointment.service_id)
    .join(Client, Client.id == Appointment.client_id).where(_on_day(*_DAY)).order_by(*_TODAY_ORDER),
}
DAY_BLOCKS = select(TimeBlock).where(_blocks_on_day(*_DAY)).order_by(TimeBlock.start_at)
_DAY_VERSION = select(*_VERSION_COLUMNS).where(_on_day(*_DAY))
_DAY_VERSION_BLOCKS = select(TimeBlock.id, TimeBlock.start_at, TimeBlock.end_at).where(_blocks_on_day(*_DAY))
_VERSION_WIDTH = len(_VERSION_COLUMNS)
_TIMES_FROM = _VERSION_WIDTH - 3  # start_at, end_at, arrived_at
_EPOCH, _MICROSECOND = datetime(1970, 1, 1, tzinfo=timezone.utc), timedelta(microseconds=1)
_MARSHAL_FORMAT = 2  # see _fingerprint


def _fingerprint(appointments, blocks) -> str:
    """A short hash of the day's appointments (rows beginning with _VERSION_COLUMNS) and
    blocked time (id, start_at, end_at), whichever query read them and in whatever order:
    their values as read, sorted by id, times as microseconds since 1970 (the repr of a busy
    day's 800 datetimes took two thirds of the fingerprint's time), written by marshal
    (0.04 ms where repr took 0.19). In its format 2: later formats, as pickle, write a value
    met twice as a reference, but mark its first sight by the object's reference count, so
    the same values gave other bytes as the objects were shared or not."""
    rows = sorted(appointments, key=itemgetter(0))
    values = ([a[:_TIMES_FROM] for a in rows],
              [t and (t - _EPOCH) // _MICROSECOND for a in rows for t in a[_TIMES_FROM:_VERSION_WIDTH]],
              [(i, (s - _EPOCH) // _MICROSECOND, (e - _EPOCH) // _MICROSECOND) for i, s, e in sorted(blocks)])
    return hashlib.sha256(marshal.dumps(values, _MARSHAL_FORMAT)).hexdigest()[:16]


def day_version(day: date, zone) -> str:
    """A short fingerprint of one day at the desk (its appointments, what was paid towards
    them, the active practitioners' blocked time): it changes whenever another desk changes
    the day. Two queries; Today's page makes the same from its own rows (desk_day)."""
    start, end = local_day_bounds(day, zone)
    bounds = {"start": start, "end": end}
    return _fingerprint(db.session.execute(_DAY_VERSION, bounds).all(),
                        [tuple(block) for block in db.session.execute(_DAY_VERSION_BLOCKS, bounds)])


@dataclass
class DeskDay:
    """A day at the front desk (Today), read and decided for its page: the template only
    places these values."""

    columns: list[PractitionerColumn]
    undoing: dict[int, str]  # appointment id -> what the user may undo there ("check-in", ...)
    version: str  # day_version, for the page to notice another desk's changes


def desk_day(day: date, zone, user, policy_id: int) -> DeskDay:
    """Today's page for `day` as `user` sees it: each active practitioner's appointments
    (with what was paid towards each, the fees their client owes if still to come, and
    whether the client acknowledged the policy `policy_id`) and blocked time, the day's
    fingerprint made from them, and what the user may undo."""
    start, end = local_day_bounds(day, zone)
    columns = {p.id: PractitionerColumn(p) for p in active_practitioner_names()}
    bounds = {"start": start, "end": end}
    # On the session's connection, not through the ORM, whose work for each row of plain
    # columns took 0.4 ms of a busy day's 286; fetched at once, not one row at a time
    # (1.1M instructions of the request's 56M).
    connection = db.session.connection()
    read = connection.execute(TODAY[connection.dialect.name], bounds | {"policy_id": policy_id})
    appointments = list(map(TodayColumns._make, read.fetchall()))
    blocks = list(db.session.scalars(DAY_BLOCKS, bounds))
    steady = steady_offset(zone, start, end + LONGEST_SESSION)
    rows = []
    for appointment in appointments:
        if (column := columns.get(appointment.practitioner_id)) is not None:
            row = desk_row(appointment, zone, steady)
            column.rows.append(row)
            rows.append(row)
    for block in blocks:
        if (column := columns.get(block.practitioner_id)) is not None:
            column.blocks.append(block)
    # Whose sessions a practitioner may undo: one query. Only their rule asks the care team
    # (permissions.OBJECT_RULES), so the others' Today does not look up their practitioner.
    if user.role == Role.PRACTITIONER and user.practitioner is not None:
        care_team.among(user.practitioner.id, {row.client_id for row in rows})
    may_undo = can_each(user, "appointments.undo")
    undoing = {row.id: UNDOABLE[row.status] for row in rows if row.status in UNDOABLE and may_undo(row.appointment)}
    version = _fingerprint(appointments, [(block.id, block.start_at, block.end_at) for block in blocks])
    return DeskDay(list(columns.values()), undoing, version)


def appointment_for_page(appointment_id: int) -> AppointmentRow | None:
    appointment = db.session.scalar(
        select(Appointment)
        .options(joinedload(Appointment.client), joinedload(Appointment.service),
                 joinedload(Appointment.practitioner))
        .where(Appointment.id == appointment_id)
    )
    if appointment is None:
        return None
    return AppointmentRow(appointment, paid_by_appointment([appointment.id]).get(appointment.id, 0))


HISTORY_SHOWN = 50  # past appointments the client page shows, unless asked for the whole history


@dataclass
class ClientHistory:
    upcoming: list[UpcomingRow]
    past: list[AppointmentRow]  # newest first; the latest HISTORY_SHOWN unless all were asked for
    balance_cents: int  # over the whole history
    more_past: bool = False  # older past appointments were left out


def _due_in_sql():
    """What services.amount_due counts for an appointment, as SQL."""
    return case(
        (Appointment.status.in_(ATTENDED), Appointment.price_cents),
        (and_(Appointment.status.in_(CHARGEABLE), Appointment.fee_waived.is_(False)), Appointment.fee_cents),
        else_=0,
    )


def _balance_statement():
    """What the client `client_id` (a parameter) owes over their whole history (negative: in
    credit), summed in the database: due for their appointments, less every payment they
    made, as services.client_balance counts it (a payment for an appointment is its
    client's: payments.take_payment)."""
    client_id = bindparam("client_id")
    due = select(func.coalesce(func.sum(_due_in_sql()), 0)).where(Appointment.client_id == client_id)
    # On the payments' client index alone: summing the payments of each of the client's
    # appointments had PostgreSQL start a parallel worker for a thousand lookups (14 ms).
    paid = select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.client_id == client_id)
    return select((due.scalar_subquery() - paid.scalar_subquery()).label("balance_cents"))


def _history_statements():
    """The client `client_id`'s upcoming appointments (from `now` on) with their past ones,
    all of them or the latest `shown` (parameters), and what the client owes over their
    whole history (`_balance_statement`), in one statement each way (on PostgreSQL a round
    trip and its planning fewer than the balance's own). The appointments' rows' `ahead`
    says which they are, in no order (client_history orders them); one row is the
    balance's, `balance_cents` with NULLs for the appointments' columns and `ahead` (typed:
    PostgreSQL matches a union's columns pair by pair), there for a client with none."""
    columns = (
        Appointment.id, Appointment.start_at, Appointment.status, Appointment.arrived_at, Appointment.late_minutes,
        Appointment.price_cents, Appointment.fee_cents, Appointment.fee_waived,
        Service.name.label("service_name"), Practitioner.display_name.label("practitioner_name"),
        _PAID,
    )
    ahead = and_(Appointment.start_at >= bindparam("now"), Appointment.status.not_in(RELEASED))
    no_balance = cast(null(), Integer).label("balance_cents")
    theirs = (select(*columns)
              .join(Service, Service.id == Appointment.service_id)
              .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
              .where(Appointment.client_id == bindparam("client_id")))
    upcoming = theirs.where(ahead).add_columns(literal_column("1", Integer).label("ahead"), no_balance)
    past = theirs.where(not_(ahead)).add_columns(literal_column("0", Integer).label("ahead"), no_balance)
    balance = select(*[cast(null(), column.type) for column in upcoming.selected_columns[:-1]],
                     _balance_statement().selected_columns[0])
    # The latest are a subquery of their own: SQLite takes no ORDER BY or LIMIT on a part of
    # a UNION. (Joining the appointments to the balance's row instead had SQLite copy them.)
    latest_past = past.order_by(Appointment.start_at.desc(), Appointment.id.desc()).limit(bindparam("shown"))
    return union_all(upcoming, past, balance), union_all(upcoming, select(latest_past.subquery()), balance)


# The client page's statements are built once, not on each view (building one and its cache
# key took longer than running it). The history reads only the columns its rows show, as
# plain rows: objects with their service and practitioner took several times as long to load.
HISTORY, LATEST_HISTORY = _history_statements()
HistoryColumns = named_rows(HISTORY.selected_columns, "HistoryColumns")


WHEN = "%a %-d %b %Y %H:%M"  # how the client page writes a moment of its history


def client_history(client_id: int, now: datetime, *, past_shown: int | None = HISTORY_SHOWN) -> ClientHistory:
    """A client's upcoming appointments, their latest `past_shown` past ones (all when None),
    newest first, and what they owe over their whole history: one query, however long the
    history. The rows' `appointment` is a plain row (the columns the page shows, with
    `service_name`, `practitioner_name` and `paid_cents`); the upcoming ones' `when` is
    written here, with the zone looked up once (a template filter for each row looked up
    the practice's profile each time)."""
    theirs = {"client_id": client_id, "now": now}
    if past_shown is None:
        read = db.session.execute(HISTORY, theirs)
    else:
        read = db.session.execute(LATEST_HISTORY, {**theirs, "shown": past_shown + 1})
    rows = list(map(HistoryColumns._make, read.all()))
    balance = next(row.balance_cents for row in rows if row.ahead is None)
    upcoming = sorted((row for row in rows if row.ahead == 1), key=_in_time)
    past = sorted((row for row in rows if row.ahead == 0), key=_in_time, reverse=True)
    more_past = past_shown is not None and len(past) > past_shown
    past = past[:past_shown] if more_past else past
    zone = practice_zone(db.session)
    return ClientHistory([UpcomingRow(a, a.paid_cents, a.start_at.astimezone(zone).strftime(WHEN)) for a in upcoming],
                         [AppointmentRow(a, a.paid_cents) for a in past], int(balance), more_past)


def _in_time(row) -> tuple:
    return row.start_at, row.id


def bookable_services() -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.active).order_by(Service.name)))


def specialty_names(session, service_ids) -> dict[int, list[str]]:
    """The names of the specialties each service covers, by service id, in one query."""
    found: dict[int, list[str]] = {}
    for service_id, name in session.execute(
            select(service_specialty.c.service_id, Modality.name)
            .join(Modality, Modality.id == service_specialty.c.modality_id)
            .where(service_specialty.c.service_id.in_(list(service_ids)))
            .order_by(service_specialty.c.service_id, Modality.name)):
        found.setdefault(service_id, []).append(name)
    return found


def upcoming_time_off(practitioner_id: int, now: datetime) -> list[TimeBlock]:
    return list(db.session.scalars(
        select(TimeBlock)
        .where(TimeBlock.practitioner_id == practitioner_id, TimeBlock.end_at > now)
        .order_by(TimeBlock.start_at).limit(200)
    ))


def _fees_owed_statement():
    """What each client of `client_ids` (a parameter, bound as one list: hundreds of ids are
    slow to build into the statement one by one) owes in fees."""
    # Each charged appointment (read from their own partial index, CHARGED as its text) with
    # what was paid towards it (by the payments' appointment index), not every appointment
    # or payment these clients ever had.
    charged = (
        select(Appointment.client_id,
               (Appointment.fee_cents - func.coalesce(func.sum(Payment.amount_cents), 0)).label("unpaid"))
        .outerjoin(Payment, Payment.appointment_id == Appointment.id)
        .where(Appointment.client_id.in_(bindparam("client_ids", expanding=True)), text(CHARGED))
        .group_by(Appointment.id, Appointment.client_id, Appointment.fee_cents)
        .subquery()
    )
    return select(charged.c.client_id, func.sum(charged.c.unpaid)).where(charged.c.unpaid > 0).group_by(
        charged.c.client_id)


FEES_OWED = _fees_owed_statement()  # built once: building it took longer than running it


def fees_owed(client_ids) -> dict[int, int]:
    """What each of these clients still owes in no-show and late-cancellation fees (not
    waived, less what was paid towards each): one query for any number of clients. The
    policy asks for fees to be paid before the next booking, so the pages that book and
    greet clients show it. Clients who owe nothing are left out."""
    client_ids = set(client_ids)
    if not client_ids:
        return {}
    rows = db.session.execute(FEES_OWED, {"client_ids": list(client_ids)})
    return {client_id: int(cents) for client_id, cents in rows if cents > 0}


@dataclass(frozen=True)
class SetupStep:
    label: str
    done: bool
    url_endpoint: str
    url_values: dict


@dataclass(frozen=True)
class SetupChecklist:
    steps: list[SetupStep]

    @property
    def done(self) -> bool:
        return all(step.done for step in self.steps)


def _first_practitioner(*conditions):
    return select(func.min(Practitioner.id)).where(Practitioner.active, *conditions).scalar_subquery()


# The checklist's reads in one statement, built once (the admin's Today asks them on every
# view: three statements took 0.3-0.5 ms of it, most of that the statements' own overhead).
_SETUP = select(
    exists().where(Service.active).label("has_service"),
    _first_practitioner(exists().where(WorkingHours.practitioner_id == Practitioner.id)).label("with_hours"),
    _first_practitioner().label("practitioner"),
    exists().where(Client.archived_at.is_(None)).label("has_client"),
)


def setup_checklist() -> SetupChecklist:
    """What a new practice still needs before its first booking: a service, a practitioner
    with working hours and a client (one query). Each step links to where it is done."""
    setup = db.session.execute(_SETUP).one()
    if setup.practitioner is not None:
        hours_at = ("scheduling_settings.hours", {"practitioner_id": setup.with_hours or setup.practitioner})
    else:
        hours_at = ("auth.users", {})
    return SetupChecklist([
        SetupStep("Add a service: what you offer, how long it lasts and its price", bool(setup.has_service),
                  "scheduling_settings.index", {"_anchor": "service-heading"}),
        SetupStep("Set a practitioner's working hours" if setup.practitioner is not None
                  else "Add a practitioner (an account with the practitioner role), then set their hours",
                  setup.with_hours is not None, *hours_at),
        SetupStep("Add a client", bool(setup.has_client), "clients.new", {}),
    ])
