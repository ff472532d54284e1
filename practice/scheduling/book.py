"""The appointment book: a time grid with one column per practitioner (a day) or per day (one
practitioner's week), drawn by the server in CSS grid rows of five minutes.

`book_page` reads everything in four queries whatever the number of columns or bookings
(practitioners, appointments with their clients and services as plain rows, blocked time,
working hours),
then lays each column out in memory: the working hours, the breaks between them and the time
outside them, time off and imported busy time, the appointments in side-by-side lanes where
they overlap, and the line for "now". Templates only turn rows into class names."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, select, true

from practice.auth.queries import PractitionerName
from practice.clients.models import Client, may_be_booked
from practice.db import db
from practice.localtime import clock_face, span, steady_offset
from practice.scheduling.models import (
    LONGEST_SESSION,
    RELEASED,
    Appointment,
    Service,
    TimeBlock,
    WorkingHours,
)
from practice.scheduling.queries import CLIENT_COLUMNS
from practice.scheduling.services import local_day_bounds

ROW_MINUTES = 5  # one grid row
SLOT_MINUTES = 15  # what a click or a keyboard move snaps to
MAX_LANES = 4  # appointments side by side; more than this share the last lane
DEFAULT_HOURS = (8, 18)  # the grid's span when nothing else says
_MINUTE = timedelta(minutes=1)


@dataclass
class Item:
    """Something drawn in a column: `row` is its first grid row (1-based), `rows` how many."""

    row: int
    rows: int


@dataclass
class Shade(Item):
    kind: str  # closed | break | off | busy | not_working
    label: str
    block: Row | None = None  # the blocked time shown (a row of _BLOCKS)


@dataclass(slots=True)
class Block:
    """An appointment drawn in a column, with what its link shows, written out here once for
    the template (a busy day has hundreds): on grid row `row` for `rows` rows."""

    row: int
    rows: int
    appointment_id: int
    status: str
    client_name: str
    service_name: str
    when: str  # "09:00–10:00"
    start: str  # "09:00", where a move starts from
    minutes: int
    flag: str  # the client's standing, when it asks for care: "Not bookable", "On notice"
    movable: bool
    lane: int = 0
    lanes: int = 1


@dataclass
class Column:
    practitioner: PractitionerName
    day: date
    working: bool
    shades: list[Shade] = field(default_factory=list)
    open_spans: list[Item] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    now_row: int | None = None


@dataclass
class BookPage:
    days: list[date]
    first_minute: int  # minutes after midnight of the grid's first row
    rows: int
    hours: list[tuple[int, str]]  # (row, "09:00") for each hour line
    columns: list[Column]
    cancelled: int  # cancelled appointments left out of the grid
    now_row: int | None = None  # where "now" is, when today is shown
    now_clock: str = ""  # the time now, written on the line in the times' column
    resting: list[PractitionerName] = field(default_factory=list)  # left out of a day: not working, nothing booked


def _minutes(moment: datetime, day: date, zone: ZoneInfo) -> int:
    """Wall-clock minutes of `moment` after the start of local `day` (clamped to the day)."""
    local = moment.astimezone(zone)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


def _span(hours: list[Row], shown_by: dict[tuple[int, date], list[tuple]], days: list[date]) -> tuple[int, int]:
    """The grid's first and last minute: whole hours covering every working range (`hours`:
    of the days' weekdays) and every appointment shown (as _by_column places them), or
    DEFAULT_HOURS."""
    starts = [h.starts.hour * 60 + h.starts.minute for h in hours]
    ends = [h.ends.hour * 60 + h.ends.minute for h in hours]
    for (_, day), placed in shown_by.items():
        if day in days:
            starts.extend(first for first, _, _ in placed)
            ends.extend(min(last, 24 * 60) for _, last, _ in placed)
    first = min(starts, default=DEFAULT_HOURS[0] * 60)
    last = max(ends, default=DEFAULT_HOURS[1] * 60)
    first, last = first // 60 * 60, -(-last // 60) * 60
    return first, max(last, first + 60)


def _by_column(appointments: list[Row], zone: ZoneInfo, steady: timezone | None,
               show_cancelled: bool) -> tuple[list[date], dict[tuple[int, date], list[tuple]]]:
    """The local days of the cancelled appointments, and the appointments shown by
    (practitioner, the local day they start on), each as (first, last, row): where it falls
    on that day in wall-clock minutes (as _place_minutes says), worked out once for the
    grid's span and its column. `steady`: the zone's fixed offset over every appointment
    read, if any. One pass over rows of _BOOK_COLUMNS, unpacked, not looked up by name:
    a busy day has hundreds."""
    cancelled, shown_by = [], defaultdict(list)
    for row in appointments:
        _, practitioner_id, start_at, end_at, status, _, _, _, _ = row
        local = start_at.astimezone(steady or zone)
        if status in RELEASED:
            cancelled.append(local.date())
            if not show_cancelled:
                continue
        first = local.hour * 60 + local.minute
        shown_by[practitioner_id, local.date()].append((first, first + (end_at - start_at) // _MINUTE, row))
    return cancelled, shown_by


def _place_minutes(start: datetime, end: datetime, day: date, zone: ZoneInfo) -> tuple[int, int]:
    """Where a span of time falls on local `day`, in wall-clock minutes: from its start's
    wall time for as long as it really lasts (so a session across a clock change keeps its
    length), or from midnight when it began the day before."""
    if start.astimezone(zone).date() == day:
        first = _minutes(start, day, zone)
        return first, first + int((end - start).total_seconds() // 60)
    return 0, _minutes(end, day, zone)


class _Grid:
    def __init__(self, first_minute: int, last_minute: int):
        self.first, self.last = first_minute, last_minute
        self.rows = (last_minute - first_minute) // ROW_MINUTES

    def item(self, start_minute: int, end_minute: int) -> tuple[int, int] | None:
        """(row, rows) of a span of minutes, clipped to the grid; None when outside it. Asked of
        every appointment, working range and blocked time shown (hundreds on a busy day):
        compared here rather than with max() and min(), which took twice as long."""
        first, last = self.first, self.last
        start = start_minute if start_minute > first else first
        end = end_minute if end_minute < last else last
        if end <= start:
            return None
        row = (start - first) // ROW_MINUTES + 1
        rows = -(-(end - first) // ROW_MINUTES) + 1 - row
        return row, rows if rows > 1 else 1


def _hours_shades(grid: _Grid, ranges: list[tuple[int, int]]) -> tuple[list[Shade], list[Item]]:
    """The time outside working hours and the breaks between ranges (shaded), and the
    working ranges themselves (where a click books). Asked of each column: the grid's
    places are passed by position, as unpacking them into the call took as long again."""
    if not ranges:
        return [Shade(1, grid.rows, "not_working", "Not working")], []
    shades, spans, cursor = [], [], grid.first
    for index, (start, end) in enumerate(sorted(ranges)):
        if start > cursor and (place := grid.item(cursor, start)):
            kind = "break" if index else "closed"
            shades.append(Shade(place[0], place[1], kind, "Break" if index else "Before hours"))
        if place := grid.item(start, end):
            spans.append(Item(place[0], place[1]))
        cursor = max(cursor, end)
    if cursor < grid.last and (place := grid.item(cursor, grid.last)):
        shades.append(Shade(place[0], place[1], "closed", "After hours"))
    return shades, spans


def _lanes(blocks: list[Block]) -> None:
    """Overlapping appointments side by side: each group of overlapping blocks gets as many
    lanes as it needs (up to MAX_LANES), each block the first lane free at its start."""
    if all(earlier.row + earlier.rows <= later.row for earlier, later in pairwise(blocks)):
        return  # each after the one before (as a column mostly is): every block keeps its one lane
    group: list[Block] = []
    group_end = 0
    lane_ends: list[int] = []

    def close_group():
        if len(lane_ends) > 1:  # a block alone keeps its one lane
            for block in group:
                block.lanes = min(len(lane_ends), MAX_LANES)

    for block in sorted(blocks, key=lambda b: (b.row, -b.rows)):
        end = block.row + block.rows
        if block.row >= group_end:  # overlaps nothing before it: a new group, in the first lane
            close_group()
            group, lane_ends, group_end = [block], [end], end
            block.lane = 0
            continue
        lane = next((i for i, lane_end in enumerate(lane_ends) if lane_end <= block.row), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(0)
        lane_ends[lane] = end
        block.lane = min(lane, MAX_LANES - 1)
        group.append(block)
        group_end = max(group_end, end)
    close_group()


def _block_shade(block: Row, place: tuple[int, int], sees_reasons: bool) -> Shade:
    if block.source == "imported":
        return Shade(*place, "busy", "Busy (own calendar)", block)
    note = f": {block.reason}" if sees_reasons and block.reason else ""
    return Shade(*place, "off", f"Time off{note}", block)


def book_page(days: list[date], practitioners: list[PractitionerName], zone: ZoneInfo, *, now: datetime,
              show_cancelled: bool, movable: bool, sees_reasons: bool) -> BookPage:
    """The book for these days and practitioners: one column per practitioner when there is
    one day, one per day otherwise. Four queries (with the practitioners' own: five)."""
    ids = [p.id for p in practitioners]
    start, _ = local_day_bounds(days[0], zone)
    _, end = local_day_bounds(days[-1], zone)
    weekdays = sorted({d.weekday() for d in days})
    shown_range = {"ids": ids, "start": start, "end": end, "earliest": start - LONGEST_SESSION}
    # Plain rows on the session's connection, not through the ORM (its work for each row took
    # 0.4 ms of a busy day's 286, and setting up each ORM read about 0.15 ms more), each
    # fetched at once rather than one row at a time (0.2 ms of those 286).
    connection = db.session.connection()
    read = connection.execute
    appointments = read(_APPOINTMENTS[connection.dialect.name], shown_range).fetchall() if ids else []
    blocks = read(_BLOCKS, shown_range).fetchall() if ids else []
    hours = read(_HOURS, {"ids": ids, "weekdays": weekdays}).fetchall() if ids else []
    # Over every appointment read (some began the evening before the first day).
    steady = steady_offset(zone, start - LONGEST_SESSION, end + LONGEST_SESSION)
    cancelled, shown_by = _by_column(appointments, zone, steady, show_cancelled)
    grid = _Grid(*_span(hours, shown_by, days))
    today, now_minutes = now.astimezone(zone).date(), _minutes(now, now.astimezone(zone).date(), zone)
    # Each column's own, found by key rather than by a pass over everything per column.
    blocks_by, hours_by = defaultdict(list), defaultdict(list)
    for block in blocks:
        blocks_by[block.practitioner_id].append(block)
    for h in hours:
        hours_by[h.practitioner_id, h.weekday].append(h)
    columns = []
    for day in days:
        day_start, day_end = local_day_bounds(day, zone)
        for practitioner in practitioners:
            ranges = [(h.starts.hour * 60 + h.starts.minute, h.ends.hour * 60 + h.ends.minute)
                      for h in hours_by[practitioner.id, day.weekday()]]
            shades, spans = _hours_shades(grid, ranges)
            column = Column(practitioner, day, bool(ranges), shades, spans)
            for block in blocks_by[practitioner.id]:
                if block.start_at < day_end and block.end_at > day_start:
                    place = grid.item(*_place_minutes(block.start_at, block.end_at, day, zone))
                    if place:
                        column.shades.append(_block_shade(block, place, sees_reasons))
            column.blocks = _blocks(grid, shown_by[practitioner.id, day], zone, steady, now if movable else None)
            _lanes(column.blocks)
            if day == today:
                column.now_row = grid.item(now_minutes, now_minutes + ROW_MINUTES)[0] \
                    if grid.first <= now_minutes < grid.last else None
            columns.append(column)
    resting = []
    if len(days) == 1 and any(_in_use(c) for c in columns):
        # A day leaves out the practitioners who do not work and have nothing on it, so the
        # columns that matter keep their width on a phone; the page names them.
        resting = [c.practitioner for c in columns if not _in_use(c)]
        columns = [c for c in columns if _in_use(c)]
    hour_lines = [((minute - grid.first) // ROW_MINUTES + 1, f"{minute // 60:02d}:00")
                  for minute in range(grid.first, grid.last, 60)]
    return BookPage(days, grid.first, grid.rows, hour_lines, columns,
                    sum(1 for day in cancelled if day in days),
                    next((c.now_row for c in columns if c.now_row), None),
                    f"{now_minutes // 60:02d}:{now_minutes % 60:02d}", resting)


# What the grid shows of an appointment (a busy day has hundreds): plain rows of the columns
# it reads, not objects, which take several times as long to load, unpacked in this order
# (_by_column, _blocks).
_BOOK_COLUMNS = (
    Appointment.id, Appointment.practitioner_id, Appointment.start_at, Appointment.end_at, Appointment.status,
    *CLIENT_COLUMNS, Service.name.label("service_name"),
)
# The client's name and standing come from the client's row, found once for each appointment
# rather than once for each column: on SQLite joined (a busy day's read 0.74 -> 0.61 ms); on
# PostgreSQL looked up by its key, both from one lookup (a busy day's execution about 0.78 ->
# 0.58 ms). The OFFSET keeps it a lookup: PostgreSQL would make a plain join of it, and hash
# every client (20,000 in the benchmark) whenever it expects more than a few appointments.
_JOINED_COLUMNS = (
    *_BOOK_COLUMNS[:5], Client.display_name.label("client_name"), Client.standing, *_BOOK_COLUMNS[7:],
)
_CLIENT_OF = select(Client.display_name.label("client_name"), Client.standing).where(
    Client.id == Appointment.client_id).offset(0).lateral("client_of")
_LOOKED_UP_COLUMNS = (*_BOOK_COLUMNS[:5], _CLIENT_OF.c.client_name, _CLIENT_OF.c.standing, *_BOOK_COLUMNS[7:])

# The book's reads, built once with the practitioners (`ids`), the days' bounds (`start`,
# `end`; `earliest`: the longest session before the start) and `weekdays` as parameters:
# building them and their cache keys on each view took longer than running them.
_IDS = bindparam("ids", expanding=True)
_SHOWN = (Appointment.practitioner_id.in_(_IDS), Appointment.start_at < bindparam("end"),
          Appointment.end_at > bindparam("start"), Appointment.start_at > bindparam("earliest"))
_APPOINTMENTS = {
    "postgresql": select(*_LOOKED_UP_COLUMNS).join(Service, Service.id == Appointment.service_id)
    .join(_CLIENT_OF, true()).where(*_SHOWN).order_by(Appointment.start_at, Appointment.id),
    "sqlite": select(*_JOINED_COLUMNS).join(Service, Service.id == Appointment.service_id)
    .join(Client, Client.id == Appointment.client_id)
    .where(*_SHOWN).order_by(Appointment.start_at, Appointment.id),
}
_BLOCKS = select(TimeBlock.practitioner_id, TimeBlock.start_at, TimeBlock.end_at, TimeBlock.source,
                 TimeBlock.reason).where(
    TimeBlock.practitioner_id.in_(_IDS), TimeBlock.start_at < bindparam("end"), TimeBlock.end_at > bindparam("start")
).order_by(TimeBlock.start_at)
# Only the days shown: a day needs one weekday's hours, not the whole week's.
_HOURS = select(WorkingHours.practitioner_id, WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends).where(
    WorkingHours.practitioner_id.in_(_IDS), WorkingHours.weekday.in_(bindparam("weekdays", expanding=True)))


def _blocks(grid: _Grid, placed: list[tuple], zone: ZoneInfo, steady: timezone | None,
            movable_after: datetime | None) -> list[Block]:
    """The blocks of a column's appointments (as _by_column placed them) that fall on the
    grid. `steady`: the zone's fixed offset over the days shown, when its clocks do not
    change (localtime.steady_offset); `movable_after`: now, when the user may move what is
    still booked and to come (None: they may not)."""
    blocks = []
    for first, last, (appointment_id, _, start_at, end_at, status, client_name, standing, hold, service_name) in placed:
        if place := grid.item(first, last):
            flag = "Not bookable" if not may_be_booked(standing, hold) else (
                "On notice" if standing in ("warned", "final_notice") else "")
            start = clock_face(first)
            if steady is not None:  # steady_span, with the start's clock already known
                end = end_at.astimezone(steady)
                when = f"{start}–{clock_face(end.hour * 60 + end.minute)}"
            else:
                when = span(start_at, end_at, zone)
            movable = movable_after is not None and status == "booked" and start_at > movable_after
            # Each argument by position: unpacking `place` into the call took as long again.
            blocks.append(Block(place[0], place[1], appointment_id, status, client_name, service_name, when,
                                start, last - first, flag, movable))
    return blocks


def _in_use(column: Column) -> bool:
    """Whether a column says something: working hours, an appointment or blocked time."""
    return column.working or bool(column.blocks) or any(shade.block for shade in column.shades)


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]
