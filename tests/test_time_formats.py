"""Times on pages are written by `localtime.strftime` (the `local` filter): exactly what
strftime writes, for every format the templates use and for any other."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from practice import localtime
from tests.test_clock_changes import LONDON, TORONTO

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
USED = sorted({fmt for page in TEMPLATES.rglob("*.html")
               for fmt in re.findall(r"""\|local\(["']([^"']*)["']\)""", page.read_text())})
# Every weekday, month, day of the month and hour, and the days the clocks change (2027).
TIMES = [(datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc) + timedelta(hours=hours, minutes=hours % 60))
         for hours in range(0, 24 * 400, 7)]


def test_the_templates_formats_are_found():
    assert len(USED) > 10 and "%a %-d %b %Y %H:%M" in USED


@pytest.mark.parametrize("fmt", [*USED, "%-d %b %Y %H:%M", "%d/%m/%Y %H:%M:%S", "{%Y} 100%% %A %B"])
def test_a_format_the_pages_use_is_written_as_strftime_writes_it(fmt):
    assert localtime._template(fmt) is not None
    for zone in (LONDON, TORONTO):
        local = [moment.astimezone(zone) for moment in TIMES]
        assert [localtime.strftime(moment, fmt) for moment in local] == [moment.strftime(fmt) for moment in local]


@pytest.mark.parametrize("fmt", ["%j %Z", "%-d %b %Y %Z", "50%", "%H:%M %", "%(a)s"])
def test_any_other_format_is_left_to_strftime(fmt):
    assert localtime._template(fmt) is None
    moment = TIMES[100].astimezone(LONDON)
    assert localtime.strftime(moment, fmt) == moment.strftime(fmt)
