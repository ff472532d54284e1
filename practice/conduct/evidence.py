"""The evidence report: a client's conduct record for a period, as a plain, factual PDF
that a practitioner can hand to the police, a lawyer or a court."""

import base64
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import render_template

from practice.conduct.models import PrintCopy
from practice.conduct.queries import Evidence
from practice.pdf import render_pdf


def picture_uri(copy: PrintCopy) -> str:
    """A print copy as a data: URI (the only way the renderer may load it)."""
    return f"data:{copy.media_type};base64,{base64.b64encode(copy.data).decode()}"


def period_bounds(start: date | None, end: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Whole days in the practice's time zone: from the start of `start` to the start of the
    day after `end` (None: no bound)."""
    return (datetime.combine(start, time(0), zone) if start else None,
            datetime.combine(end + timedelta(days=1), time(0), zone) if end else None)


def render_evidence(report: Evidence, *, profile, generated_at: datetime, author: str,
                    pictures: dict[int, PrintCopy], laid_out: Callable[[int], None] | None = None) -> bytes:
    """`pictures`: the print copy of each image attachment (conduct.pictures.print_copies)."""
    zone = ZoneInfo(profile.timezone)

    def both(moment: datetime | None) -> str:
        """'Mon 16 Nov 2026 10:25 GMT (10:25 UTC)': local time and UTC, to the minute."""
        if moment is None:
            return ""
        local = moment.astimezone(zone)
        utc = moment.astimezone(timezone.utc)
        same_day = local.date() == utc.date()
        return (f"{local:%a %-d %b %Y %H:%M} {local.tzname()} "
                f"({utc:%H:%M} UTC{'' if same_day else f' on {utc:%-d %b}'})")

    # The period's end is the start of the day after its last day.
    last_day = (report.end.astimezone(zone) - timedelta(days=1)).date() if report.end else None
    html = render_template(
        "practice/pdf/evidence.html", report=report, profile=profile, zone=zone, both=both,
        last_day=last_day,
        pictures=pictures, picture_uri=picture_uri, generated_at=generated_at, author=author,
    )
    return render_pdf(html, css=render_template("practice/pdf/evidence.css"), laid_out=laid_out)
