"""Local wall-clock times and the instants they name: the one place a typed date and time
becomes a UTC instant.

Twice a year most time zones change their clocks. When they go forward, the wall times in
between never happen (01:30 on 28 March 2027 in London); when they go back, the wall times
in between happen twice (01:30 on 31 October 2027 in London, first BST and an hour later
GMT). `instant` refuses the first kind with the reason and, for the second, asks which one
is meant unless told (`fold`, as in Python's datetime: 0 the first, 1 the second).

Dates are kept between FIRST_DAY and LAST_DAY: any date a practice needs, far from the
edges where date arithmetic overflows."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from practice.errors import DomainError

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
OUT_OF_RANGE = f"Choose a date from {FIRST_DAY.year} to {LAST_DAY.year}."


class TimeDoesNotExist(DomainError):
    """The wall time falls in the hour skipped when the clocks go forward."""


class TimeHappensTwice(DomainError):
    """The wall time happens twice as the clocks go back: `choices` are (fold, label) pairs,
    the first occurrence then the second."""

    def __init__(self, message: str, field: str | None, choices: list[tuple[str, str]]):
        super().__init__(message, field=field)
        self.choices = choices


def in_range(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def parse_day(text: str | None) -> date | None:
    """A date written YYYY-MM-DD within the supported range, else None."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if in_range(day) else None


def parse_clock(text: str | None) -> time | None:
    """A wall-clock time written HH:MM, else None."""
    try:
        return datetime.strptime((text or "").strip(), "%H:%M").time()
    except ValueError:
        return None


def instant(day: date, clock_time: time, zone: ZoneInfo, *, fold: int | None = None,
            field: str | None = None) -> datetime:
    """The aware UTC instant a wall-clock time on a local day names."""
    if not in_range(day):
        raise DomainError(OUT_OF_RANGE, field=field)
    wall = datetime.combine(day, clock_time.replace(tzinfo=None, fold=0))
    first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(timezone.utc)
    change = _change_between(zone, *sorted((first.astimezone(timezone.utc), second.astimezone(timezone.utc))))
    if not _exists(first):
        raise TimeDoesNotExist(
            f"{wall:%H:%M} does not exist on {long_day(day)}: clocks go forward "
            f"from {change.wall_before:%H:%M} to {change.wall_after:%H:%M}.", field=field)
    if fold is None:
        raise TimeHappensTwice(
            f"{wall:%H:%M} happens twice on {long_day(day)}: clocks go back from "
            f"{change.wall_before:%H:%M} to {change.wall_after:%H:%M}. Choose which one you mean.",
            field=field,
            choices=[("0", f"{wall:%H:%M} {zone_name(first)}, the first"),
                     ("1", f"{wall:%H:%M} {zone_name(second)}, the second")])
    return (second if fold else first).astimezone(timezone.utc)


def long_day(day: date) -> str:
    """'Sunday 28 March 2027'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def clock(moment: datetime, zone: ZoneInfo) -> str:
    """'14:30'; '01:30 GMT' when that wall time happens twice that day."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {zone_name(local)}" if happens_twice(local) else f"{local:%H:%M}"


def span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """'10:00–11:00'. When the clocks change in between, or either end is a wall time that
    happens twice, both carry the zone's abbreviation ('01:30 BST–01:30 GMT'), so an end
    never reads as earlier than its start."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.utcoffset() != local_end.utcoffset() or happens_twice(local_start) or happens_twice(local_end):
        return f"{local_start:%H:%M} {zone_name(local_start)}–{local_end:%H:%M} {zone_name(local_end)}"
    return f"{local_start:%H:%M}–{local_end:%H:%M}"


def steady_offset(zone: ZoneInfo, start: datetime, end: datetime) -> timezone | None:
    """The zone as a fixed UTC offset from `start` to `end` when its clocks do not change
    in between (the bounds padded by two hours, so no wall time inside happens twice), else
    None. A page of hundreds of times on one day converts with it: quicker than the zone."""
    pad = timedelta(hours=2)
    before, after = (start - pad).astimezone(zone).utcoffset(), (end + pad).astimezone(zone).utcoffset()
    return timezone(before) if before is not None and before == after else None


# "HH:MM" for each minute of a day: pages of hundreds of times look them up rather than
# format each (strftime is several times slower).
_CLOCK_FACES = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(24 * 60)]


# strftime's names of days and months: Python leaves the C library's LC_TIME as "C", English.
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_SHORT_DAYS, _SHORT_MONTHS = tuple(day[:3] for day in _DAYS), tuple(month[:3] for month in _MONTHS)
# The directives the pages' times use, as %-format fields of `_values`; any other directive
# is left to strftime.
_FIELDS = {"a": "%(a)s", "A": "%(A)s", "b": "%(b)s", "B": "%(B)s", "d": "%(d)02d", "-d": "%(d)d",
           "m": "%(m)02d", "Y": "%(Y)d", "H": "%(H)02d", "M": "%(M)02d", "S": "%(S)02d", "%": "%%"}
_DIRECTIVE = re.compile(r"%(-?.)", re.DOTALL)


@cache
def _template(fmt: str) -> str | None:
    """`fmt` as a %-format template over `_values`, or None if it has a directive not in
    _FIELDS."""
    parts, at = [], 0
    for directive in [*_DIRECTIVE.finditer(fmt), None]:
        text = fmt[at:directive.start() if directive else len(fmt)]
        field = _FIELDS.get(directive.group(1)) if directive else ""
        if field is None or "%" in text:  # (a "%" left over: a directive cut short)
            return None
        parts += [text, field]
        at = directive.end() if directive else at
    return "".join(parts)


def _values(local: datetime) -> dict:
    day, month = local.weekday(), local.month - 1
    return {"a": _SHORT_DAYS[day], "A": _DAYS[day], "b": _SHORT_MONTHS[month], "B": _MONTHS[month],
            "d": local.day, "m": local.month, "Y": local.year, "H": local.hour, "M": local.minute,
            "S": local.second}


def strftime(local: datetime, fmt: str) -> str:
    """`local.strftime(fmt)`, written by Python's %-format when it can: the C library's
    strftime took about three times as long, and a page writes a hundred times."""
    template = _template(fmt)
    return local.strftime(fmt) if template is None else template % _values(local)


def clock_face(minute: int) -> str:
    """'09:05' for minute 545 of a day (0-1439)."""
    return _CLOCK_FACES[minute]


def steady_span(start: datetime, end: datetime, steady: timezone) -> str:
    """span() for times within a steady_offset (where no wall time happens twice)."""
    local_start, local_end = start.astimezone(steady), end.astimezone(steady)
    return (f"{_CLOCK_FACES[local_start.hour * 60 + local_start.minute]}–"
            f"{_CLOCK_FACES[local_end.hour * 60 + local_end.minute]}")


def happens_twice(local: datetime) -> bool:
    """Whether an aware local time is one of two with the same wall-clock reading."""
    other = local.replace(fold=1 - local.fold)
    return other.utcoffset() != local.utcoffset() and _exists(other)


def zone_name(local: datetime) -> str:
    """The zone's abbreviation ('BST', 'EST'), or the UTC offset where it has none ('+03')."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _exists(local: datetime) -> bool:
    """A wall time exists when it reads the same after a round trip through UTC."""
    back = local.astimezone(timezone.utc).astimezone(local.tzinfo)
    return back.replace(tzinfo=None, fold=0) == local.replace(tzinfo=None, fold=0)


@dataclass(frozen=True)
class _Change:
    wall_before: datetime  # the clocks read this at the change...
    wall_after: datetime   # ...and are set to this


def _change_between(zone: ZoneInfo, low: datetime, high: datetime) -> _Change:
    """The zone's offset change between two UTC instants (`low` before it, `high` after),
    found to the second."""
    offset = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = (low + (high - low) / 2).replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    after = high.astimezone(zone)
    before = (high.astimezone(timezone.utc) + offset).replace(tzinfo=None)
    return _Change(wall_before=before, wall_after=after.replace(tzinfo=None))
