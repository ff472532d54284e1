"""Local days and wall-clock times in the practice's time zone, as aware UTC moments."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from practice.localtime import instant


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC moments a local day starts and ends (23 or 25 hours on change days)."""
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def local_moment(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a local day as an aware UTC moment (the first of a time the
    clocks show twice; see practice.localtime for times that are typed)."""
    return instant(day, clock_time, zone, fold=0)


def hhmm(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")
