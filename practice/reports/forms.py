"""The reports' filter: a range of local days and whose figures, read from the query string."""

from datetime import date, timedelta

from wtforms import SelectField
from wtforms.validators import Optional

from practice.forms import DateField, Form

MAX_DAYS = 366  # a year at most: weekly charts stay readable and the queries stay small
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
PRACTICE = "practice"  # the `practitioner` choice meaning the whole practice


class DayField(DateField):
    first_day, last_day = EARLIEST, LATEST
    unreadable = "Enter a date such as 2026-11-23."


class RangeForm(Form):
    class Meta:
        csrf = False

    start = DayField("From", validators=[Optional()])
    end = DayField("To", validators=[Optional()])
    # Who may be chosen is the permission check's business (a 403), not the form's.
    practitioner = SelectField("Whose figures", validate_choice=False, validators=[Optional()])


def range_error(first: date, last: date) -> str | None:
    """What is wrong with a range (checked once the days left empty take their defaults)."""
    if last < first:
        return "The end of the range is before its start."
    if (last - first).days + 1 > MAX_DAYS:
        return f"Choose a range of at most {MAX_DAYS} days."
    return None


def last_four_weeks(today: date) -> tuple[date, date]:
    """The default: the four whole weeks (Monday to Sunday) before this one. Whole weeks
    because the weekly trends would mislead with a half week, and four of them because a
    month of whole weeks is what a clinic compares from one review to the next."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(weeks=4), this_monday - timedelta(days=1)


def presets(today: date) -> list[tuple[str, date, date]]:
    """The ranges a manager asks for most, as (label, first day, last day)."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    this_monday = today - timedelta(days=today.weekday())
    return [
        ("Last 4 weeks", *last_four_weeks(today)),
        ("Last 12 weeks", this_monday - timedelta(weeks=12), this_monday - timedelta(days=1)),
        ("This month so far", month_start, today),
        ("Last month", last_month_end.replace(day=1), last_month_end),
        ("This year so far", today.replace(month=1, day=1), today),
    ]
