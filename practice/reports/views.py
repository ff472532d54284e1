"""/reports: the figures for a range of days, for one practitioner or the whole practice.

Who sees what: admins any practitioner and the whole practice; a practitioner their own
figures only (the practice's totals would show their colleagues' conduct counts and
caseloads); the front desk none (see RULES in practice/auth/permissions.py)."""

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from practice.auth.models import Practitioner
from practice.auth.permissions import can, permission_required, require
from practice.auth.queries import active_practitioners
from practice.db import db
from practice.forms import options
from practice.reports import charts, csv_io, queries, rows_html
from practice.reports.forms import PRACTICE, RangeForm, last_four_weeks, presets, range_error
from practice.settings.services import local_date, practice_zone
from practice.web import now
from referrals.models import OUTCOME_LABELS

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _choices() -> list[SelectChoice]:
    choices = [(PRACTICE, "Whole practice")] if can(current_user, "reports.practice") else []
    return options(choices + [(str(p.id), p.display_name) for p in active_practitioners()
                              if can(current_user, "reports.view", p)])


def _scope(form: RangeForm, today: date) -> queries.Scope | None:
    """The range and the practitioner asked for, or None when the form has errors (the
    page then shows them next to the fields, and no figures)."""
    form.practitioner.choices = _choices()
    if not form.validate():
        return None
    first, last = last_four_weeks(today)
    first, last = form.start.data or first, form.end.data or last
    if error := range_error(first, last):
        form.end.errors.append(error)
        return None
    form.start.data, form.end.data = first, last
    form.practitioner.data = form.practitioner.data or _default_choice(form)
    return queries.Scope(first, last, _practitioner(form.practitioner.data), practice_zone(db.session))


def _default_choice(form: RangeForm) -> str:
    own = current_user.practitioner
    if own is not None and can(current_user, "reports.view", own) and own.active:
        return str(own.id)
    return form.practitioner.choices[0].value if form.practitioner.choices else PRACTICE


def _practitioner(choice: str) -> Practitioner | None:
    if choice == PRACTICE:
        require("reports.practice")
        return None
    if not choice.isdigit() or len(choice) > 9:
        abort(404)
    practitioner = db.session.get(Practitioner, int(choice)) or abort(404)
    require("reports.view", practitioner)
    return practitioner


@bp.get("/")
@permission_required("reports.view")
def index():
    form = RangeForm(request.args)
    today = local_date(db.session, now())
    scope = _scope(form, today)
    report = queries.reports(db.session, scope, now()) if scope else None
    return render_template(
        "practice/reports/index.html", form=form, report=report,
        charts=_charts(report) if report else {},
        presets=presets(today),
        outcomes=queries.OUTCOMES, outcome_labels=OUTCOME_LABELS,
        week_rows=rows_html.week_rows, referral_rows=rows_html.referral_rows,
    ), (200 if report else 422)


@bp.get("/<name>.csv")
@permission_required("reports.view")
def export(name: str):
    if name not in csv_io.EXPORTS:
        abort(404)
    form = RangeForm(request.args)
    scope = _scope(form, local_date(db.session, now()))
    if scope is None:  # the page says what is wrong with the range, next to the field
        return redirect(url_for("reports.index", **request.args))
    report = queries.reports(db.session, scope, now())
    who = f"practitioner-{scope.practitioner.id}" if scope.practitioner else "practice"
    response = Response(csv_io.export(name, report), mimetype="text/csv")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.set("Content-Disposition", "attachment",
                         filename=f"{name}-{who}-{scope.first.isoformat()}-to-{scope.last.isoformat()}.csv")
    return response


def _charts(report: queries.Reports) -> dict:
    weeks = report.attendance.weeks
    labels = [week.label for week, _ in weeks]
    money = report.money
    fees = [("Charged", money.charged_cents), ("Waived", money.waived_cents),
            ("Collected", money.collected_cents), ("Outstanding", money.outstanding_cents)]
    as_money = current_app.jinja_env.filters["money"]  # the practice's currency, as everywhere
    return {
        "attendance": charts.rate_lines(
            "Attendance rates by week",
            "Late-arrival, no-show and late-cancellation rates for each week of the range; "
            "the table beside the chart has the same numbers.",
            labels,
            [charts.Series("Late arrivals", [f.late_rate for _, f in weeks]),
             charts.Series("No-shows", [f.no_show_rate for _, f in weeks]),
             charts.Series("Late cancellations", [f.late_cancellation_rate for _, f in weeks])],
        ),
        "fees": charts.bars(
            "Fees over the range", "Charged, waived, collected and outstanding amounts.",
            fees, shown=[as_money(cents) for _, cents in fees],
        ),
        "conduct": _conduct_chart(report.conduct),
    }


def _conduct_chart(conduct: queries.ConductReport):
    """Incidents by category; with no incidents, the automatic entries by kind instead."""
    if conduct.by_category:
        return charts.bars("Conduct incidents by category",
                           "Boundary and safety incidents in the range, by category.", conduct.by_category)
    return charts.bars("Conduct entries by kind", "Entries in the range, by kind.", conduct.by_kind)
