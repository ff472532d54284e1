from datetime import date, timedelta

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from practice.auth.permissions import can, permission_required, require
from practice.auth.queries import active_practitioners
from practice.clients import care_team
from practice.clients.models import Client
from practice.clients.queries import bookable_clients
from practice.db import db
from practice.errors import DomainError
from practice.forms import typed_instant
from practice.localtime import clock
from practice.money import plain_amount, practice_money
from practice.policies.queries import acknowledgement_status, policy_in_force
from practice.scheduling import queries, services
from practice.scheduling.forms import (
    BookingForm,
    CancelForm,
    CheckInForm,
    PaymentForm,
    RescheduleForm,
    UndoForm,
    WaiveForm,
)
from practice.scheduling.models import Appointment
from practice.settings.services import local_date
from practice.unit_of_work import discard_changes
from practice.validation import database_id
from practice.web import (
    acting,
    day_arg,
    flash_refusal,
    id_arg,
    local_target,
    now,
    practice_profile,
    show_error,
)

bp = Blueprint("scheduling", __name__)


def _zone():
    return services.practice_zone(db.session)


def _day_from_args() -> date:
    return day_arg("date") or local_date(db.session, now())


@bp.get("/today")
@permission_required("appointments.view")
def today():
    zone = _zone()
    day = _day_from_args()
    columns = queries.board(day, 1, zone)[day]
    client_ids = {row.appointment.client_id for column in columns for row in column.rows}
    if current_user.practitioner is not None:  # whose sessions they may undo: one query
        care_team.among(current_user.practitioner.id, client_ids)
    checklist = queries.setup_checklist() if can(current_user, "scheduling.settings") else None
    return render_template(
        "practice/scheduling/today.html", day=day, columns=columns, zone=zone,
        cancel_form=CancelForm(), payment_form=PaymentForm(), check_in_form=CheckInForm(),
        undo_form=UndoForm(), undoable=services.UNDOABLE, timedelta=timedelta, now=now(),
        fees_owed=queries.fees_owed(client_ids),
        checklist=checklist if checklist and not checklist.done else None,
        version=queries.day_version(day, zone), **_policy_notices(client_ids),
    )


@bp.get("/today/version")
@permission_required("appointments.view")
def today_version():
    """The day's fingerprint, for Today to reload itself when another desk changes the day."""
    version = queries.day_version(_day_from_args(), _zone())
    response = jsonify(version=version)
    response.set_etag(version)
    return response.make_conditional(request)


def _policy_notices(client_ids) -> dict:
    """The policy in force and which of these clients have not acknowledged it (two queries
    for any number of clients), for the pages' small notices."""
    policy = policy_in_force(db.session, now())
    status = acknowledgement_status(db.session, client_ids, now(), policy)
    return {"policy": policy, "unacknowledged": {cid for cid, ack in status.items() if ack is None}}


@bp.get("/calendar")
@permission_required("appointments.view")
def calendar():
    zone = _zone()
    day = _day_from_args()
    week = request.args.get("view") == "week"
    practitioner_id = id_arg("practitioner")
    first = day - timedelta(days=day.weekday()) if week else day
    days = queries.board(first, 7 if week else 1, zone, practitioner_id)
    return render_template(
        "practice/scheduling/calendar.html", day=day, first=first, week=week, days=days, zone=zone,
        practitioners=active_practitioners(), practitioner_id=practitioner_id,
        step=timedelta(days=7 if week else 1),
    )


def _booking_choices(form: BookingForm, overridden: Client | None = None) -> None:
    form.client_id.choices = [SelectChoice(c.id, c.display_name) for c in bookable_clients()]
    if overridden is not None:
        form.client_id.choices.insert(0, SelectChoice(overridden.id, f"{overridden.display_name} (not bookable)"))
    form.practitioner_id.choices = [SelectChoice(p.id, p.display_name) for p in active_practitioners()]
    form.service_id.choices = [
        SelectChoice(s.id, f"{s.name} ({s.duration_minutes} min)") for s in queries.bookable_services()
    ]


@bp.route("/appointments/new", methods=["GET", "POST"])
@permission_required("appointments.book")
def book():
    zone = _zone()
    form = BookingForm(formdata=request.form if request.method == "POST" else request.args or None)
    overridden = _overridden_client()
    _booking_choices(form, overridden)
    if request.method == "GET" and not form.day.data:
        form.day.data = _day_from_args()
    # "Show free times" posts the form too (a note typed so far stays out of URLs and logs).
    showing_slots = "show_slots" in request.form
    if request.method == "POST" and not showing_slots and form.validate():
        try:
            appointment = services.book(db.session, acting(), services.BookingRequest(
                client_id=form.client_id.data, practitioner_id=form.practitioner_id.data,
                service_id=form.service_id.data,
                start_at=typed_instant(form.start, zone, day=form.day.data),
                notes=form.notes.data or "",
                override_reason=_override_reason(form, overridden),
            ), now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Booked {appointment.client.display_name} at "
                  f"{clock(appointment.start_at, zone)}.", "success")
            _remind_of_policy(appointment.client)
            return redirect(url_for("scheduling.calendar", date=form.day.data.isoformat()))
    slots = []
    practitioner_id, service_id = _offered(form.practitioner_id), _offered(form.service_id)
    if practitioner_id and service_id and form.day.data:
        slots = services.free_slots(db.session, practitioner_id, service_id, form.day.data, now=now())
    status = 422 if request.method == "POST" and not showing_slots else 200
    chosen = [form.client_id.data] if form.client_id.data in {c.value for c in form.client_id.choices} else []
    return render_template("practice/scheduling/book.html", form=form, slots=slots, zone=zone,
                           overridden=overridden, **_policy_notices(chosen)), status


def _offered(field) -> int | None:
    """The field's value when it is one of its choices (free times are only looked up for
    a practitioner and a service the form offers, whatever was typed into the address)."""
    return field.data if field.data in {choice.value for choice in field.choices} else None


def _overridden_client() -> Client | None:
    """A moved-on or declined client whom a practitioner or admin books anyway
    (`?override=<client id>`, from the client page); anyone else gets a 403."""
    wanted = database_id(request.values.get("override"))
    if wanted is None:
        return None
    client = db.session.get(Client, wanted)
    if client is None or not client.blocked or client.identity_hold:
        return None
    require("booking.override", client)
    return client


def _override_reason(form: BookingForm, overridden: Client | None) -> str:
    """The override's reason, required when the override is being used."""
    if overridden is None or form.client_id.data != overridden.id:
        return ""
    reason = (form.override_reason.data or "").strip()
    if not reason:
        raise DomainError("Say why this client is booked despite their standing.", field="override_reason")
    return reason


def _remind_of_policy(client) -> None:
    notices = _policy_notices([client.id])
    if notices["unacknowledged"]:
        flash(f"{client.display_name} has not acknowledged the current policy "
              f"(version {notices['policy'].version}); please ask them to.", "info")


def _appointment(appointment_id: int) -> Appointment:
    return db.get_or_404(Appointment, appointment_id)


def _back(appointment: Appointment):
    target = local_target(request.form.get("next"))
    return redirect(target or url_for("scheduling.appointment", appointment_id=appointment.id))


@bp.get("/appointments/<int:appointment_id>")
@permission_required("appointments.view")
def appointment(appointment_id: int):
    return _appointment_page(appointment_id)


def _appointment_page(appointment_id: int, *, reschedule_form: RescheduleForm | None = None,
                      check_in_form: CheckInForm | None = None, undo_form: UndoForm | None = None,
                      status: int = 200):
    row = queries.appointment_for_page(appointment_id) or abort(404)
    start = row.appointment.start_at.astimezone(_zone())
    return render_template(
        "practice/scheduling/appointment.html", row=row, zone=_zone(),
        # Why the practice cancelled, or waived a fee, is for the client's care team only.
        sees_record=can(current_user, "conduct.view", row.appointment.client),
        **_policy_notices([row.appointment.client_id]),
        fees_owed=queries.fees_owed([row.appointment.client_id]),
        check_in_form=check_in_form or CheckInForm(), cancel_form=CancelForm(), waive_form=WaiveForm(),
        undo_form=undo_form or UndoForm(), undoable=services.UNDOABLE,
        back=local_target(request.values.get("next")),
        payment_form=PaymentForm(amount=plain_amount(max(row.owing_cents, 0))),
        reschedule_form=reschedule_form or RescheduleForm(day=start.date(), start=start.time()),
    ), status


def _act(appointment: Appointment, action, form=None, success: str = "Saved."):
    """Run a one-click action; a refusal is shown as a message, nothing is half done."""
    try:
        action()
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(success, "success")
    return _back(appointment)


@bp.post("/appointments/<int:appointment_id>/check-in")
@permission_required("appointments.front_desk")
def check_in(appointment_id: int):
    appointment = _appointment(appointment_id)
    form = CheckInForm()
    if not form.validate():
        flash("Write the arrival time as HH:MM, or leave it empty for now.", "danger")
        return _back(appointment)
    zone = _zone()
    try:
        arrived = typed_instant(form.arrived, zone, day=appointment.start_at.astimezone(zone).date()) \
            if form.arrived.data else None
    except DomainError as error:  # a time the clocks skip, or one they show twice
        show_error(form, error)
        return _appointment_page(appointment.id, check_in_form=form, status=422)
    return _act(appointment, lambda: services.check_in(db.session, acting(), appointment, arrived, now=now()),
                success=f"{appointment.client.display_name} checked in.")


@bp.post("/appointments/<int:appointment_id>/no-show")
@permission_required("appointments.front_desk")
def no_show(appointment_id: int):
    appointment = _appointment(appointment_id)
    return _charging(
        appointment, "scheduling.no_show",
        lambda: services.quote_no_show(db.session, appointment, now=now()),
        lambda confirmed: services.mark_no_show(db.session, acting(), appointment, now=now(),
                                                confirm_unacknowledged=confirmed),
        success=f"{appointment.client.display_name} is marked as not having come.")


def _charging(appointment: Appointment, endpoint: str, quote, action, *, success: str, reason: str = ""):
    """A no-show or cancellation that may charge a fee. Whenever it would, the page first
    says how much ("This will charge £27.50") and asks; the answer comes back as `fee`
    with the amount that was shown. For a client who has not acknowledged the policy in
    force it says so, and a practitioner or admin may record it without the fee."""
    try:
        terms = quote()
        unacknowledged = services.unacknowledged(db.session, appointment, terms.policy, now=now())
        answer = request.form.get("fee") if request.form.get("fee_cents") == str(terms.fee_cents) else None
        if answer == "waive" and not unacknowledged:
            answer = None  # waiving otherwise takes a reason, on the appointment page
        if answer == "waive":
            require("fees.waive")
        if terms.fee_cents and answer not in ("charge", "waive"):
            discard_changes()  # nothing is done until the question is answered
            return render_template(
                "practice/scheduling/confirm_fee.html", a=appointment, terms=terms, endpoint=endpoint,
                unacknowledged=unacknowledged, reason=reason, confirm_form=CheckInForm(),
                back=local_target(request.form.get("next")) or "",
            )
        action(answer in ("charge", "waive"))
    except DomainError as error:
        flash_refusal(error)
        return _back(appointment)
    if answer == "waive" and appointment.fee_cents:
        services.waive_fee(db.session, acting(), appointment, WAIVED_UNACKNOWLEDGED, now=now())
    flash(success, "success")
    return _back(appointment)


WAIVED_UNACKNOWLEDGED = "Not charged: the client had not acknowledged the policy in force."


@bp.post("/appointments/<int:appointment_id>/complete")
@permission_required("appointments.front_desk")
def complete(appointment_id: int):
    appointment = _appointment(appointment_id)
    return _act(appointment, lambda: services.complete(db.session, acting(), appointment, now=now()),
                success="The session is marked completed.")


@bp.post("/appointments/<int:appointment_id>/cancel")
@permission_required("appointments.front_desk")
def cancel(appointment_id: int):
    appointment = _appointment(appointment_id)
    reason = CancelForm().reason.data or ""
    return _charging(
        appointment, "scheduling.cancel",
        lambda: services.quote_cancel(db.session, appointment, reason, now=now()),
        lambda confirmed: services.cancel(db.session, acting(), appointment, reason, now=now(),
                                          confirm_unacknowledged=confirmed),
        success="The appointment is cancelled.", reason=reason)


@bp.post("/appointments/<int:appointment_id>/undo")
@permission_required("appointments.undo")
def undo(appointment_id: int):
    """Put a check-in, no-show or cancellation back, with the reason. A refusal is shown
    next to the reason on the appointment's page, with what was typed."""
    appointment = _appointment(appointment_id)
    require("appointments.undo", appointment)
    form = UndoForm()
    try:
        if not form.validate():
            raise DomainError("Say briefly why (at most 500 characters).", field="reason")
        fee = 0 if appointment.fee_waived else appointment.fee_cents
        undone = services.undo(db.session, acting(), appointment, form.reason.data, now=now())
    except DomainError as error:
        if not error.field:  # nothing to undo any more (another desk acted first)
            flash_refusal(error)
            return _back(appointment)
        show_error(form, error)
        return _appointment_page(appointment.id, undo_form=form, status=422)
    fee_words = f" The fee of {practice_money(practice_profile(), fee)} is removed." if fee else ""
    flash(f"The {undone} is undone: {appointment.client.display_name} is booked again.{fee_words}", "success")
    return _back(appointment)


@bp.post("/appointments/<int:appointment_id>/waive")
@permission_required("fees.waive")
def waive(appointment_id: int):
    appointment = _appointment(appointment_id)
    reason = WaiveForm().reason.data or ""
    return _act(appointment, lambda: services.waive_fee(db.session, acting(), appointment, reason, now=now()),
                success="The fee is waived; the reason is kept.")


@bp.post("/appointments/<int:appointment_id>/payment")
@permission_required("appointments.front_desk")
def payment(appointment_id: int):
    appointment = _appointment(appointment_id)
    form = PaymentForm()

    def take_payment():
        if not form.validate():
            raise DomainError("Write the date as YYYY-MM-DD, or leave it empty for today.")
        amount = services.parse_money(form.amount.data or "")
        services.record_payment(db.session, acting(), appointment, amount_cents=amount,
                                method=form.method.data or "",
                                paid_at=services.paid_at(db.session, form.paid_on.data, now()), now=now())

    return _act(appointment, take_payment, success="Payment recorded.")


@bp.route("/appointments/<int:appointment_id>/reschedule", methods=["POST"])
@permission_required("appointments.book")
def reschedule(appointment_id: int):
    """Move it; a refusal is shown next to the fields, with the date and time as typed."""
    appointment = _appointment(appointment_id)
    form = RescheduleForm()
    if form.validate():
        try:
            services.reschedule(db.session, acting(), appointment,
                                typed_instant(form.start, _zone(), day=form.day.data), now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("The appointment is moved.", "success")
            return _back(appointment)
    return _appointment_page(appointment.id, reschedule_form=form, status=422)
