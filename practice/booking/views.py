"""The public pages under /book (no sign-in), and the admin's online booking settings.

They never show a client's name or anything from a record: the pages speak of what the
visitor typed, the service, the practitioner's first name and the time."""

from datetime import datetime, timezone

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

from practice.auth.permissions import permission_required
from practice.booking import queries, services
from practice.booking.forms import (
    CancelForm,
    ConfirmForm,
    DayForm,
    HoldForm,
    InquiryForm,
    MoveForm,
    OnlineSettingsForm,
)
from practice.db import db
from practice.errors import DomainError
from practice.policies.clauses import by_topic
from practice.policies.queries import current_policy
from practice.scheduling import feeds
from practice.scheduling.models import Service
from practice.settings.services import get_practice, local_date
from practice.web import acting, flash_refusal, now, show_error

bp = Blueprint("booking", __name__, url_prefix="/book")
settings_bp = Blueprint("booking_settings", __name__, url_prefix="/settings")


def _address() -> str:
    return request.remote_addr or ""


def _limits() -> services.Limits:
    config = current_app.config
    return services.Limits(**{name: int(config[f"PRACTICE_BOOKING_{name.upper()}"])
                              for name in services.Limits.__dataclass_fields__})


def _status(form) -> int:
    return 422 if form.errors or form.form_errors else 200


def _closed():
    return render_template("practice/booking/closed.html", message=services.CLOSED)


@bp.get("/")
def index():
    offer = queries.offer(db.session)
    if not offer.rules.enabled or not offer.services or not offer.practitioners:
        return _closed()
    return render_template("practice/booking/index.html", offer=offer)


@bp.get("/logo")
def logo():
    profile = get_practice(db.session)
    if profile is None or profile.logo is None:
        abort(404)
    return Response(profile.logo, mimetype=profile.logo_media_type,
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


def _offered_service(service_id: int) -> tuple[queries.Offer, Service]:
    offer = queries.offer(db.session)
    service = next((s for s in offer.services if s.id == service_id), None)
    if service is None:
        abort(404)
    return offer, service


@bp.get("/<int:service_id>")
def times(service_id: int):
    offer, service = _offered_service(service_id)
    if not offer.rules.enabled or not offer.practitioners:
        return _closed()
    form = DayForm(request.args)
    day = form.day.data if form.validate() else None
    found = queries.free_times(db.session, offer.rules, service, offer.practitioners, day, now=now())
    full = None
    if not found.any and day is not None:  # is there room on another day?
        full = not queries.free_times(db.session, offer.rules, service, offer.practitioners, None, now=now()).any
    return render_template("practice/booking/times.html", offer=offer, service=service, form=form, times=found,
                           full=(not found.any) if day is None else full, today=local_date(db.session, now()),
                           first_name=queries.first_name), _status(form)


def _start(minute: int) -> datetime:
    try:
        return datetime.fromtimestamp(minute * 60, timezone.utc)
    except (OverflowError, OSError, ValueError):
        abort(404)


@bp.route("/<int:service_id>/<int:practitioner_id>/<int:minute>", methods=["GET", "POST"])
def hold(service_id: int, practitioner_id: int, minute: int):
    offer, service = _offered_service(service_id)
    practitioner = next((p for p in offer.practitioners if p.id == practitioner_id), None)
    if practitioner is None:
        abort(404)
    if not offer.rules.enabled:
        return _closed()
    start = _start(minute)
    policy = current_policy(db.session, now())
    form = HoldForm(version=str(policy.version))
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: answer as usual, do nothing
            return render_template("practice/booking/sent.html", email=form.email.data,
                                   minutes=offer.rules.hold_minutes)
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            services.hold(db.session, services.HoldRequest(
                practitioner.id, service.id, start, form.name.data, form.email.data, form.phone.data or "",
                form.note.data or "", version, bool(form.agree.data), _address(), bool(form.reminders.data)),
                limits=_limits(), now=now())
        except DomainError as error:
            show_error(form, error)
            form.version.data = str(policy.version)
        else:
            return render_template("practice/booking/sent.html", email=form.email.data,
                                   minutes=offer.rules.hold_minutes)
    return render_template("practice/booking/hold.html", form=form, service=service, practitioner=practitioner,
                           start=start, policy=policy, topics=by_topic(policy),
                           first_name=queries.first_name), _status(form)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    try:
        held = services.hold_for(db.session, token, now=now())
    except DomainError as error:
        return render_template("practice/booking/link.html", message=error.message), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            done = services.confirm(db.session, token, address=_address(), now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            if done.appointment is None:
                return render_template("practice/booking/link.html", message=services.CONTACT)
            return render_template("practice/booking/booked.html", appointment=done.appointment,
                                   mine=services.mine_token(done.client), first_name=queries.first_name)
    return render_template("practice/booking/confirm.html", form=form, held=held,
                           first_name=queries.first_name), _status(form)


def _client(token: str):
    client = services.client_for_mine(db.session, token)
    if client is None:
        abort(404)
    return client


@bp.get("/mine/<token>")
def mine(token: str):
    client = _client(token)
    return render_template("practice/booking/mine.html", token=token,
                           appointments=queries.upcoming(db.session, client.id, now=now()),
                           first_name=queries.first_name)


def _own(token: str, appointment_uuid: str):
    client = _client(token)
    appointment = services.own_appointment(db.session, client, appointment_uuid, now=now())
    if appointment is None:
        abort(404)
    return appointment


@bp.get("/mine/<token>/<appointment_uuid>.ics")
def calendar_file(token: str, appointment_uuid: str):
    appointment = _own(token, appointment_uuid)
    made = feeds.appointment_file(db.session, appointment.uuid)
    return Response(made.content, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})


@bp.route("/mine/<token>/<appointment_uuid>/cancel", methods=["GET", "POST"])
def cancel(token: str, appointment_uuid: str):
    appointment = _own(token, appointment_uuid)
    form = CancelForm()
    if form.validate_on_submit():
        quoted = int(form.quoted.data) if (form.quoted.data or "").isdigit() else -1
        try:
            services.cancel(db.session, appointment, quoted_cents=quoted, address=_address(), now=now())
        except DomainError as error:
            flash_refusal(error)
            return redirect(url_for("booking.cancel", token=token, appointment_uuid=appointment_uuid))
        else:
            return render_template("practice/booking/cancelled.html", appointment=appointment, token=token)
    try:
        quote = services.quote_cancel(db.session, appointment, now=now())
    except DomainError as error:
        flash_refusal(error)
        return redirect(url_for("booking.mine", token=token))
    form.quoted.data = str(quote.fee_cents)
    return render_template("practice/booking/cancel.html", form=form, appointment=appointment, quote=quote,
                           token=token, first_name=queries.first_name)


@bp.route("/mine/<token>/<appointment_uuid>/move", methods=["GET", "POST"])
def move(token: str, appointment_uuid: str):
    appointment = _own(token, appointment_uuid)
    form = MoveForm()
    if form.validate_on_submit():
        minute = int(form.minute.data) if (form.minute.data or "").isdigit() else None
        try:
            if minute is None:
                raise DomainError(services.NOT_FREE)
            services.move(db.session, appointment.client, appointment, _start(minute), address=_address(),
                          now=now())
        except DomainError as error:
            flash_refusal(error)
            return redirect(url_for("booking.move", token=token, appointment_uuid=appointment_uuid))
        return render_template("practice/booking/moved.html", appointment=appointment, token=token,
                               first_name=queries.first_name)
    day_form = DayForm(request.args)
    day = day_form.day.data if day_form.validate() else None
    rules = services.online_settings(db.session)
    found = queries.free_times(db.session, rules, appointment.service, [appointment.practitioner], day, now=now())
    return render_template("practice/booking/move.html", form=form, day_form=day_form, appointment=appointment,
                           times=found, token=token, first_name=queries.first_name), _status(day_form)


@bp.route("/inquire", methods=["GET", "POST"])
def inquire():
    offer = queries.offer(db.session)
    if not offer.rules.enabled:
        return _closed()
    service_id = request.args.get("service", type=int)
    service = next((s for s in offer.services if s.id == service_id), None)
    form = InquiryForm()
    if form.validate_on_submit():
        if form.website.data:
            return render_template("practice/booking/inquired.html", email=form.email.data)
        try:
            services.inquire(db.session, services.InquiryRequest(
                form.name.data, form.email.data, form.phone.data or "", form.need.data or "",
                form.preferred_times.data or "", form.area.data or "", service.id if service else None,
                _address()), limits=_limits(), now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            return render_template("practice/booking/inquired.html", email=form.email.data)
    return render_template("practice/booking/inquire.html", form=form, service=service), _status(form)


# The admin's settings ----------------------------------------------------------------------------

@settings_bp.route("/online-booking", methods=["GET", "POST"])
@permission_required("scheduling.settings")
def online_booking():
    rules = services.online_settings(db.session)
    form = OnlineSettingsForm(obj=rules)
    page = queries.settings_page(db.session)
    chosen, offered = page.chosen, page.offered
    if form.validate_on_submit():
        picks = {p.id: request.form.get(f"practitioner-{p.id}", "off") for p in page.practitioners}
        picks = {pid: (pick if pick in services.PRACTITIONER_CHOICES else "off") for pid, pick in picks.items()}
        service_ids = {s.id for s in page.services if request.form.get(f"service-{s.id}")}
        try:
            services.update_settings(db.session, acting(), services.SettingsChange(
                form.enabled.data, form.min_notice_hours.data, form.days_ahead.data, form.hold_minutes.data,
                picks, service_ids), now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            return redirect(url_for("booking_settings.online_booking", saved=1))
        chosen, offered = picks, service_ids
    return render_template("practice/booking/settings.html", form=form, page=page, chosen=chosen,
                           offered=offered, choices=services.PRACTITIONER_CHOICES,
                           saved=request.args.get("saved")), _status(form)
