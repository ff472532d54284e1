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
from practice.money import plain_amount
from practice.scheduling import queries, services
from practice.scheduling.calendar_import import MAX_BYTES, import_busy_time
from practice.scheduling.feeds import feed_token
from practice.scheduling.forms import (
    MAX_RANGES_A_DAY,
    CalendarImportForm,
    CalendarSettingsForm,
    HoursForm,
    ServiceForm,
    TimeOffForm,
    typed_week,
)
from practice.scheduling.models import Service, TimeBlock, WorkingHours
from practice.web import acting, flash_refusal, now, show_error
from referrals import queries as referral_queries

bp = Blueprint("scheduling_settings", __name__, url_prefix="/settings/scheduling")

@bp.route("/", methods=["GET", "POST"])
@permission_required("scheduling.settings")
def index():
    settings = services.calendar_settings(db.session)
    calendar_form = CalendarSettingsForm(obj=settings, prefix="calendar")
    service_form = ServiceForm(prefix="service")
    service_form.set_specialties(referral_queries.modalities(db.session))
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
                buffer_after_minutes=service_form.buffer_after_minutes.data or 0,
                specialty_ids=service_form.specialty_ids.data or [], now=now(),
            )
        except DomainError as error:
            show_error(service_form, error)
        else:
            flash("The service is added.", "success")
            return redirect(url_for("scheduling_settings.index"))
    status = 422 if request.method == "POST" else 200
    listed = queries.bookable_services()
    return render_template(
        "practice/scheduling/settings.html", calendar_form=calendar_form, service_form=service_form,
        services=listed, practitioners=active_practitioners(),
        specialties=queries.specialty_names(db.session, [s.id for s in listed]),
    ), status


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@permission_required("scheduling.settings")
def edit_service(service_id: int):
    """A service's name, length, price, buffer and the specialties it covers."""
    service = db.get_or_404(Service, service_id)
    form = ServiceForm(obj=service, prefix="service")
    covered = services.specialties_of(db.session, [service.id]).get(service.id, [])
    # A specialty retired from the network since stays offered to the service that covers it,
    # so saving the service for another reason does not drop it.
    form.set_specialties([m for m in referral_queries.modalities(db.session, include_retired=True)
                          if not m.retired or m.id in covered])
    if request.method == "GET":
        form.price.data = plain_amount(service.price_cents)
        form.specialty_ids.data = covered
    elif form.validate():
        try:
            services.update_service(
                db.session, acting(), service, name=form.name.data,
                duration_minutes=form.duration_minutes.data,
                price_cents=services.parse_money(form.price.data or "", field="price"),
                buffer_after_minutes=form.buffer_after_minutes.data or 0,
                specialty_ids=form.specialty_ids.data or [], now=now(),
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{service.name} is saved.", "success")
            return redirect(url_for("scheduling_settings.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("practice/scheduling/service_form.html", form=form, service=service), status


@bp.route("/practitioners/<int:practitioner_id>", methods=["GET", "POST"])
@permission_required("scheduling.settings")
def hours(practitioner_id: int):
    """The weekly hours, a pair of time fields per range. "Add a range" and "Remove" come
    back to the form with what was typed (nothing saved yet), so it works without JavaScript;
    "Save hours" flags every wrong range at once."""
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    schedule = services.schedule_for(db.session, practitioner.id)
    form = HoursForm(obj=schedule)
    if request.method == "GET":
        return _render_hours(practitioner, form, CalendarImportForm(prefix="ics"), 200,
                             week=_saved_week(practitioner.id))
    week = typed_week(request.form)
    if request.form.get("add") or request.form.get("remove"):
        return _render_hours(practitioner, form, CalendarImportForm(prefix="ics"), 200,
                             week=_added_or_removed(week, request.form), unsaved=True)
    ranges, problems = services.read_week_hours(week)
    if form.validate_on_submit() and not problems:
        try:
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
    if problems:
        many = len(problems)
        form.form_errors.append(f"{many} range{'s need' if many > 1 else ' needs'} correcting: see below. "
                                "Nothing is saved yet.")
    return _render_hours(practitioner, form, CalendarImportForm(prefix="ics"), 422, week=week,
                         problems=problems)


def _render_hours(practitioner, form, import_form, status, time_off_form=None, *, week=None,
                  problems=None, unsaved=False):
    token = feed_token(db.session, practitioner.id)
    feed_url = url_for("feeds.feed", token=token, _external=True) if token else None
    week = week if week is not None else _saved_week(practitioner.id)
    return render_template(
        "practice/scheduling/hours.html", form=form, practitioner=practitioner, feed_url=feed_url,
        confirm=ConfirmForm(), import_form=import_form,
        time_off_form=time_off_form or TimeOffForm(prefix="off"),
        time_off=queries.upcoming_time_off(practitioner.id, now()),
        weekdays=services.WEEKDAYS, week={day: ranges or [("", "")] for day, ranges in week.items()},
        problems=problems or {}, unsaved=unsaved,
    ), status


def _saved_week(practitioner_id: int) -> dict[int, list[tuple[str, str]]]:
    rows = db.session.scalars(select(WorkingHours).where(WorkingHours.practitioner_id == practitioner_id)
                              .order_by(WorkingHours.weekday, WorkingHours.starts))
    week: dict[int, list[tuple[str, str]]] = {day: [] for day in range(7)}
    for row in rows:
        week[row.weekday].append((f"{row.starts:%H:%M}", f"{row.ends:%H:%M}"))
    return week


def _added_or_removed(week, values) -> dict[int, list[tuple[str, str]]]:
    """`add` = a weekday gets one more empty range; `remove` = "weekday-place" loses that one."""
    add, remove = values.get("add", ""), values.get("remove", "")
    if add.isdigit() and int(add) in week and len(week[int(add)]) < MAX_RANGES_A_DAY:
        week[int(add)].append(("", ""))
    day, _, place = remove.partition("-")
    if day.isdigit() and place.isdigit() and int(day) in week and int(place) < len(week[int(day)]):
        del week[int(day)][int(place)]
    return week


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
    return HoursForm(formdata=None, obj=services.schedule_for(db.session, practitioner_id))


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
