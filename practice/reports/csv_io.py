"""Each report as a CSV file, for a spreadsheet. Money in major units with two decimals
(as a spreadsheet sums it), rates as percentages with one decimal, empty where there was
nothing to measure. Cells that a spreadsheet would run as a formula are neutralised."""

import csv
import io

from practice.money import plain_amount
from practice.reports.queries import OUTCOMES, Attendance, Reports
from practice.spreadsheets import FORMULA_STARTS
from referrals.models import OUTCOME_LABELS


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def _attendance_row(label: str, figures: Attendance) -> list:
    return [label, figures.total, figures.attended, figures.late, _percent(figures.late_rate),
            figures.no_shows, _percent(figures.no_show_rate), figures.late_cancellations,
            _percent(figures.late_cancellation_rate), figures.cancelled, figures.unmarked, figures.upcoming]


def attendance(report: Reports) -> list[list]:
    header = ["week_starting", "appointments", "attended", "late_arrivals", "late_arrival_rate_percent",
              "no_shows", "no_show_rate_percent", "late_cancellations", "late_cancellation_rate_percent",
              "cancelled_in_time", "not_yet_marked", "still_to_come"]
    rows = [_attendance_row(week.first.isoformat(), figures) for week, figures in report.attendance.weeks]
    return [header, *rows, _attendance_row("total", report.attendance.total)]


def fees(report: Reports) -> list[list]:
    money = report.money
    return [["figure", "amount"],
            ["sessions_charged", plain_amount(money.sessions_cents)],
            ["fees_charged", plain_amount(money.fees_cents)],
            ["total_charged", plain_amount(money.charged_cents)],
            ["fees_waived", plain_amount(money.waived_cents)],
            ["collected", plain_amount(money.collected_cents)],
            ["outstanding", plain_amount(money.outstanding_cents)],
            ["sessions_owing", money.owing_sessions],
            ["clients_owing", money.owing_clients]]


def conduct(report: Reports) -> list[list]:
    rows = sorted(report.conduct.rows, key=lambda row: (row.kind_label, row.category, row.severity))
    return [["kind", "category", "severity", "safety", "entries"],
            *[[row.kind_label, row.category, row.severity_label, "yes" if row.safety else "no", row.count]
              for row in rows]]


def standing(report: Reports) -> list[list]:
    return [["from", "to", "changes"],
            *[[row.from_standing, row.to_standing, row.count] for row in report.standing]]


def referrals(report: Reports) -> list[list]:
    return [["direction", "specialist_or_source", *[OUTCOME_LABELS[o] for o in OUTCOMES], "total"],
            *[[line.direction, line.name, *[line.outcomes.get(o, 0) for o in OUTCOMES], line.total]
              for line in report.referrals]]


def caseload(report: Reports) -> list[list]:
    return [["practitioner", "accepting_new_clients", "active_clients", "max_active_clients",
             "free_places", "new_clients_in_range"],
            *[[row.practitioner, "yes" if row.accepting_new_clients else "no", row.active_clients,
               "" if row.max_active_clients is None else row.max_active_clients,
               "" if row.free_places is None else row.free_places, row.new_clients]
              for row in report.caseload]]


def inquiries(report: Reports) -> list[list]:
    return [["status", "inquiries"], *[[label, number] for label, number in report.inquiries]]


EXPORTS = {"attendance": attendance, "fees": fees, "conduct": conduct, "standing": standing,
           "referrals": referrals, "caseload": caseload, "inquiries": inquiries}


def export(name: str, report: Reports) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in EXPORTS[name](report):
        writer.writerow([_safe_cell(value) for value in row])
    return out.getvalue()


def _safe_cell(value) -> str:
    """A quote in front of text a spreadsheet would run as a formula (a specialist called
    "=HYPERLINK(...)", say). Numbers are written by this module and left alone."""
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
