"""The practice's scheduling settings: calendar feeds, services, practitioners' hours. The
attendance policy (grace, cancellation window, fees) is versioned on /settings/policy."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from practice.auth.forms import ConfirmForm
from practice.auth.models import Practitioner
from practice.auth.permissions import permission_required
from practice.auth.queries import active_practitioners
from practice.db import db
from practice.errors import DomainError
from practice.forms import typed_instant
from practice.scheduling import queries, services
from practice.scheduling.calendar_import import MAX_BYTES, import_busy_time
from practice.scheduling.feeds import feed_token
from practice.scheduling.forms import (
    CalendarImportForm,
    CalendarSettingsForm,
    HoursForm,
    ServiceForm,
    TimeOffForm,
)
from practice.scheduling.models import TimeBlock, WorkingHours
from practice.web import acting, flash_refusal, now, show_error

bp = Blueprint("scheduling_settings", __name__, url_prefix="/settings/scheduling")

@bp.route("/", methods=["GET", "POST"])
@permission_required("scheduling.settings")
def index():
    settings = services.calendar_settings(db.session)
    calendar_form = CalendarSettingsForm(obj=settings, prefix="calendar")
    service_form = ServiceForm(prefix="service")
    if request.method == "POST" and "calendar-save" in request.form and calendar_form.validate():
        services.set_feed_shows_names(db.session, acting(), calendar_form.feed_shows_names.data, now=now())
        flash("The calendar settings are saved.", "success")
        return redirect(url_for("scheduling_settings.index"))
    if request.method == "POST" and "service-name" in request.form and service_form.validate():
        try:
            services.create_service(
                db.session, acting(), name=service_form.name.data,
                duration_minutes=service_form.duration_minutes.data,
                price_cents=services.parse_money(service_form.price.data or "", field="price"),
                buffer_after_minutes=service_form.buffer_after_minutes.data or 0, now=now(),
            )
        except DomainError as error:
            show_error(service_form, error)
        else:
            flash("The service is added.", "success")
            return redirect(url_for("scheduling_settings.index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "practice/scheduling/settings.html", calendar_form=calendar_form, service_form=service_form,
        services=queries.bookable_services(), practitioners=active_practitioners(),
    ), status


@bp.route("/practitioners/<int:practitioner_id>", methods=["GET", "POST"])
@permission_required("scheduling.settings")
def hours(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    schedule = services.schedule_for(db.session, practitioner.id)
    form = HoursForm(obj=schedule)
    if request.method == "GET":
        _fill_days(form, practitioner.id)
    if form.validate_on_submit():
        try:
            ranges = [r for day in range(7)
                      for r in services.parse_day_ranges(day, getattr(form, f"day{day}").data or "")]
            services.set_working_hours(db.session, acting(), practitioner.id, ranges, now=now())
            services.update_schedule(
                db.session, acting(), practitioner.id, buffer_minutes=form.buffer_minutes.data or 0,
                max_sessions_per_day=form.max_sessions_per_day.data,
                min_notice_hours=form.min_notice_hours.data or 0, now=now(),
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{practitioner.display_name}'s hours are saved.", "success")
            return redirect(url_for("scheduling_settings.hours", practitioner_id=practitioner.id))
    return _render_hours(practitioner, form, CalendarImportForm(prefix="ics"),
                         422 if request.method == "POST" else 200)


def _render_hours(practitioner, form, import_form, status, time_off_form=None):
    token = feed_token(db.session, practitioner.id)
    feed_url = url_for("feeds.feed", token=token, _external=True) if token else None
    return render_template(
        "practice/scheduling/hours.html", form=form, practitioner=practitioner, feed_url=feed_url,
        confirm=ConfirmForm(), import_form=import_form,
        time_off_form=time_off_form or TimeOffForm(prefix="off"),
        time_off=queries.upcoming_time_off(practitioner.id, now()),
    ), status


def _fill_days(form: HoursForm, practitioner_id: int) -> None:
    rows = db.session.scalars(select(WorkingHours).where(WorkingHours.practitioner_id == practitioner_id)
                              .order_by(WorkingHours.weekday, WorkingHours.starts))
    by_day: dict[int, list[str]] = {}
    for row in rows:
        by_day.setdefault(row.weekday, []).append(f"{row.starts:%H:%M}-{row.ends:%H:%M}")
    for day in range(7):
        getattr(form, f"day{day}").data = ", ".join(by_day.get(day, []))


@bp.post("/practitioners/<int:practitioner_id>/calendar")
@permission_required("scheduling.settings")
def import_calendar(practitioner_id: int):
    """Turn the busy times of an uploaded personal calendar into blocked time."""
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    form = CalendarImportForm(prefix="ics")
    if form.validate_on_submit():
        try:
            # Bytes, not text: icalendar reads a one-line string as a file path.
            result = import_busy_time(db.session, acting(), practitioner.id,
                                      form.file.data.read(MAX_BYTES + 1), now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Calendar imported: {result.added} busy times added, {result.updated} updated, "
                  f"{result.removed} removed, {result.unchanged} unchanged.", "success")
            for note in result.notes:
                flash(note, "info")
            return redirect(url_for("scheduling_settings.hours", practitioner_id=practitioner.id))
    return _render_hours(practitioner, _saved_hours_form(practitioner.id), form, 422)


def _saved_hours_form(practitioner_id: int) -> HoursForm:
    form = HoursForm(formdata=None, obj=services.schedule_for(db.session, practitioner_id))
    _fill_days(form, practitioner_id)
    return form


@bp.post("/practitioners/<int:practitioner_id>/time-off")
@permission_required("scheduling.settings")
def add_time_off(practitioner_id: int):
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    form = TimeOffForm(prefix="off")
    if form.validate_on_submit():
        zone = services.practice_zone(db.session)
        try:
            services.add_time_block(
                db.session, acting(), practitioner.id,
                typed_instant(form.start_time, zone, day=form.start_day.data),
                typed_instant(form.end_time, zone, day=form.end_day.data),
                form.reason.data or "", now=now(),
            )
        except DomainError as error:
            error.field = {"end_at": "end_day"}.get(error.field, error.field)
            show_error(form, error)
        else:
            flash("The time is blocked: no bookings can be made in it.", "success")
            return redirect(url_for("scheduling_settings.hours", practitioner_id=practitioner.id))
    return _render_hours(practitioner, _saved_hours_form(practitioner.id), CalendarImportForm(prefix="ics"),
                         422, time_off_form=form)


@bp.post("/time-off/<int:block_id>/remove")
@permission_required("scheduling.settings")
def remove_time_off(block_id: int):
    block = db.get_or_404(TimeBlock, block_id)
    practitioner_id = block.practitioner_id
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_time_block(db.session, acting(), block, now=now())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash("The blocked time is free again.", "success")
    return redirect(url_for("scheduling_settings.hours", practitioner_id=practitioner_id))
