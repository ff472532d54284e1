"""The long tables of the reports page written as HTML in one pass: a year has 53 weeks of
attendance and hundreds of referral lines, and Jinja placing each count (an attribute looked
up, a call and an escape a cell) took a third of the year's page. The template calls these
for each table's body. The markup is compact: the tables' classes align the numbers, set the
total in bold and the rates in grey (report-counts and report-weeks in practice.css), not a
class on each cell; every text is escaped as Jinja's autoescape would (markupsafe.escape)."""

from markupsafe import Markup, escape

from practice.reports.queries import Attendance, ReferralLine, Week


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def week_rows(weeks: list[tuple[Week, Attendance]]) -> Markup:
    """A row a week: its days (cut to the range), then attended, and late arrivals, no-shows
    and late cancellations each with its rate."""
    written = []
    for week, f in weeks:
        days = f"{week.first:%-d %b}" if week.last == week.first else f"{week.first:%-d %b}–{week.last:%-d %b}"
        written.append(
            f'<tr><th scope="row">{days}</th><td>{f.attended}</td>'
            f'<td>{f.late} <span>({percent(f.late_rate)})</span></td>'
            f'<td>{f.no_shows} <span>({percent(f.no_show_rate)})</span></td>'
            f'<td>{f.late_cancellations} <span>({percent(f.late_cancellation_rate)})</span></td></tr>')
    return Markup("".join(written))


def referral_rows(lines: list[ReferralLine], outcomes: list[str]) -> Markup:
    """A row a specialist (or source): the name, its count for each outcome (blank for none),
    then the total."""
    row = "<tr><td>{}</td>" + "<td>{}</td>" * len(outcomes) + "<td>{}</td></tr>"  # filled in one call a line
    return Markup("".join(row.format(escape(line.name), *[line.outcomes.get(o) or "" for o in outcomes], line.total)
                          for line in lines))
