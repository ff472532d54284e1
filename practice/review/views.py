from datetime import date
from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from practice.auth.forms import ConfirmForm
from practice.auth.models import Practitioner
from practice.auth.permissions import can_each, permission_required, require
from practice.auth.queries import PractitionerAccount, active_practitioner_accounts
from practice.clients.models import STANDINGS, Client
from practice.conduct import services as conduct_services
from practice.db import db
from practice.errors import DomainError
from practice.forms import options
from practice.localtime import parse_day
from practice.money import practice_money
from practice.pdf import render_pdf
from practice.review import queries, rows_html, services
from practice.review.forms import MarkReviewedForm, QuickIncidentForm, ReviewDayForm
from practice.scheduling.services import PAYMENT_METHODS
from practice.settings.services import get_practice, local_date, practice_zone
from practice.validation import database_id
from practice.web import acting, flash_refusal, now, practice_profile, show_error

bp = Blueprint("review", __name__, url_prefix="/review")


def _practitioners(user) -> list[PractitionerAccount]:
    """Whose days this user may review: an admin anyone's, a practitioner their own."""
    may_review = can_each(user, "review.view")
    return [p for p in active_practitioner_accounts() if may_review(p)]


def _chosen(form: ReviewDayForm) -> tuple[Practitioner | PractitionerAccount | None, date]:
    """The practitioner whose day is reviewed (one of those listed as plain rows, or any
    other by id, which the user may still be refused) and the day."""
    user = current_user._get_current_object()  # asked of each practitioner: not through the proxy
    choices = _practitioners(user)
    form.practitioner.choices = options((p.id, p.display_name) for p in choices)
    today = local_date(db.session, now())
    valid = form.validate()
    day = form.day.data if valid and form.day.data else today
    wanted = form.practitioner.data if valid and form.practitioner.data else None
    # The user's own record among those listed (not user.practitioner: a query of its own).
    own = next((p for p in choices if p.user_id == user.id), None)
    if wanted is None:
        return own or (choices[0] if choices else None), day
    listed = next((p for p in choices if p.id == wanted), None)
    if listed is not None:
        return listed, day
    practitioner = (db.session.get(Practitioner, wanted) if database_id(wanted) else None) or abort(404)
    require("review.view", practitioner)
    return practitioner, day


def _page(practitioner: Practitioner | None, day: date, form: ReviewDayForm):
    if practitioner is None:
        return render_template("practice/review/none.html")
    review = queries.day_review(practitioner, day, now())
    return render_template(
        "practice/review/index.html", review=review, form=form, standings=STANDINGS,
        today=local_date(db.session, now()),
        # The two tables' rows are written in Python (rows_html), with the page's zone and money.
        day_rows=partial(rows_html.day_rows, zone=practice_zone(db.session),
                         money=partial(practice_money, practice_profile())),
        tomorrow_rows=partial(rows_html.tomorrow_rows, standings=STANDINGS),
        mark_form=MarkReviewedForm(practitioner_id=practitioner.id, day=day.isoformat()),
        confirm=ConfirmForm(), payment_methods=PAYMENT_METHODS,
    )


def _incident_page(review, form: QuickIncidentForm, *, status: int = 200):
    """The quick incident form on its own page, opened from the review's card: building its
    choices and fields took a sixth of every view of the review, where it is seldom used."""
    return render_template("practice/review/incident.html", review=review, incident_form=form), status


def _incident_choices(form: QuickIncidentForm, review) -> None:
    clients = review.incident_clients
    form.client_id.choices = options([(0, "Choose…")] + sorted(clients.items(), key=lambda c: c[1].lower()))
    form.category_id.choices = options([(0, "Choose…")] + list(queries.incident_categories()))


@bp.get("/")
@permission_required("review.view")
def index():
    form = ReviewDayForm(request.args)
    practitioner, day = _chosen(form)
    return _page(practitioner, day, form)


def _back_to(practitioner_id, day):
    return redirect(url_for("review.index", practitioner=practitioner_id, day=day))


def _posted_day(form) -> tuple[Practitioner, date]:
    wanted = database_id(form.practitioner_id.data)
    practitioner = (db.session.get(Practitioner, wanted) if wanted else None) or abort(404)
    require("review.view", practitioner)
    return practitioner, parse_day(form.day.data) or abort(404)


@bp.post("/reviewed")
@permission_required("review.view")
def mark_reviewed():
    form = MarkReviewedForm()
    if not form.validate_on_submit():
        abort(400)
    practitioner, day = _posted_day(form)
    try:
        services.mark_reviewed(db.session, acting(), practitioner, day, now=now())
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(f"{day:%A %-d %B} is marked reviewed.", "success")
    return _back_to(practitioner.id, day.isoformat())


@bp.route("/incident", methods=["GET", "POST"])
@permission_required("review.view")
def quick_incident():
    """The review's 'record what happened': a short incident about one of the day's clients
    in the practitioner's care, recorded now."""
    practitioner, day = _chosen(ReviewDayForm(request.args))
    form = QuickIncidentForm()
    review = queries.day_review(practitioner, day, now()) if practitioner else abort(404)
    _incident_choices(form, review)
    if form.validate_on_submit():
        day_clients = {row.client_id for row in review.appointments}
        client = db.session.get(Client, form.client_id.data) if form.client_id.data in day_clients else None
        try:
            if client is None:
                raise DomainError("Choose one of the day's clients.", field="client_id")
            require("conduct.record", client)
            conduct_services.record_incident(
                db.session, acting(), client, conduct_services.IncidentDetails(
                    category_id=form.category_id.data or None, severity=form.severity.data or "",
                    occurred_from=now(), channel=form.channel.data or "",
                    description=form.description.data or "", response=form.response.data or ""),
                [], max_bytes=current_app.config["PRACTICE_ATTACHMENT_MAX_BYTES"], now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Recorded in {client.display_name}'s conduct record.", "success")
            return _back_to(practitioner.id, day.isoformat())
    return _incident_page(review, form, status=422 if request.method == "POST" else 200)


@bp.get("/report")
@permission_required("review.view")
def report():
    """The day's review as a page to print, or as a PDF (`?format=pdf`)."""
    form = ReviewDayForm(request.args)
    practitioner, day = _chosen(form)
    if practitioner is None:
        abort(404)
    review = queries.day_review(practitioner, day, now())
    html = render_template("practice/review/report.html", review=review, standings=STANDINGS,
                           profile=get_practice(db.session), generated_at=now(),
                           pdf=request.args.get("format") == "pdf")
    if request.args.get("format") != "pdf":
        return html
    pdf = render_pdf(html, css=render_template("practice/review/report.css"))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.set("Content-Disposition", "inline",
                         filename=f"review-{practitioner.id}-{day.isoformat()}.pdf")
    return response
