from datetime import date, timedelta
from functools import partial
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from practice.auth.permissions import can, permission_required, require
from practice.auth.queries import active_practitioner_names, active_practitioners
from practice.clients import identity
from practice.clients import queries as client_queries
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.db import db
from practice.errors import DomainError
from practice.forms import typed_instant
from practice.localtime import clock, instant, long_day, parse_clock, parse_day, span
from practice.money import plain_amount, practice_money
from practice.policies.queries import policy_in_force, unacknowledged
from practice.scheduling import queries, rows_html, services
from practice.scheduling.book import book_page, week_of
from practice.scheduling.forms import (
    CANCEL_REASONS,
    OTHER_REASON,
    BookingForm,
    CancelForm,
    CheckInForm,
    PaymentForm,
    RescheduleForm,
    UndoForm,
    WaiveForm,
)
from practice.scheduling.models import Appointment, Service, Status
from practice.settings.services import get_practice, local_date
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
    day = _day_from_args()
    policy = policy_in_force(db.session, now())
    desk = queries.desk_day(day, _zone(), current_user, policy.id)
    checklist = queries.setup_checklist() if can(current_user, "scheduling.settings") else None
    return render_template(
        "practice/scheduling/today.html", day=day, desk=desk, payment_form=PaymentForm(),
        check_in_form=CheckInForm(), timedelta=timedelta, now=now(),
        back_query=urlencode({"next": request.full_path.rstrip("?")}),
        # The rows' links are these and an id (url_for for each of hundreds of rows is slow).
        appointment_url=url_for("scheduling.appointment", appointment_id=0)[:-1],
        client_url=url_for("clients.show", client_id=0)[:-1],
        write_rows=rows_html.desk_rows, money=partial(practice_money, practice_profile()), amount=plain_amount,
        checklist=checklist if checklist and not checklist.done else None, policy=policy,
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
    return {"policy": policy, "unacknowledged": unacknowledged(db.session, client_ids, policy)}


@bp.get("/calendar")
@permission_required("appointments.view")
def calendar():
    """The book: a day with a column per practitioner, or one practitioner's week."""
    zone = _zone()
    day = _day_from_args()
    week = request.args.get("view") == "week"
    practitioner_id = id_arg("practitioner")
    everyone = active_practitioner_names()
    if week:
        practitioner_id = practitioner_id or _own_or_first(everyone)
    shown = [p for p in everyone if not practitioner_id or p.id == practitioner_id]
    days = week_of(day) if week else [day]
    show_cancelled = request.args.get("cancelled") == "1"
    page = book_page(days, shown, zone, now=now(), show_cancelled=show_cancelled,
                          movable=can(current_user, "appointments.book"),
                          sees_reasons=can(current_user, "scheduling.settings"))
    return render_template(
        "practice/scheduling/calendar.html", day=day, week=week, book=page, zone=zone,
        practitioners=everyone, practitioner_id=practitioner_id, show_cancelled=show_cancelled,
        today=local_date(db.session, now()),
        practitioner_options=rows_html.practitioner_options,
        book_heads=rows_html.book_heads, book_columns=rows_html.book_columns,
        links=_calendar_links(day, week, practitioner_id, show_cancelled),
    )


def _calendar_links(day: date, week: bool, practitioner_id: int | None, show_cancelled: bool) -> dict[str, str]:
    """The calendar's address (the grid's headings link a week's days to it) and its
    navigation (the days or weeks around, today, a day or the week, with or without the
    cancelled), each that address with its query written here: one url_for instead of
    seven (each about 0.2% of the day's instructions)."""
    base = url_for("scheduling.calendar")
    view = "week" if week else "day"
    step = timedelta(days=7 if week else 1)

    def link(**args) -> str:
        query = urlencode({name: value for name, value in args.items() if value is not None})
        return f"{base}?{query}" if query else base

    return {
        "calendar": base,
        "previous": link(date=(day - step).isoformat(), view=view, practitioner=practitioner_id),
        "today": link(view=view, practitioner=practitioner_id),
        "next": link(date=(day + step).isoformat(), view=view, practitioner=practitioner_id),
        "day": link(date=day.isoformat(), practitioner=None if week else practitioner_id),
        "week": link(date=day.isoformat(), view="week", practitioner=practitioner_id),
        "cancelled": link(date=day.isoformat(), view=view, practitioner=practitioner_id,
                          cancelled=None if show_cancelled else "1"),
    }


def _own_or_first(practitioners) -> int | None:
    """Whose week to show when none is asked for: the signed-in practitioner's own, or the
    first practitioner's."""
    own = current_user.practitioner
    if own is not None and any(p.id == own.id for p in practitioners):
        return own.id
    return practitioners[0].id if practitioners else None


@bp.get("/appointments/<int:appointment_id>/move-check")
@permission_required("appointments.book")
def move_check(appointment_id: int):
    """Whether the appointment can be moved to ?day=&start= (JSON), asked by the book before
    it moves anything: {"ok": true|false, "message": the reason or what the move is}."""
    appointment = db.get_or_404(Appointment, appointment_id)
    day = day_arg("day") or abort(400, "Give the day as YYYY-MM-DD.")
    start = parse_clock(request.args.get("start")) or abort(400, "Give the start as HH:MM.")
    zone = _zone()
    try:
        start_at = instant(day, start, zone, field="start")
    except DomainError as error:
        return jsonify(ok=False, message=error.message)
    refusal = services.move_refusal(db.session, appointment, start_at, now=now())
    end_at = start_at + (appointment.end_at - appointment.start_at)
    return jsonify(ok=refusal is None, message=refusal or (
        f"Move {appointment.client.display_name} ({appointment.service.name}) to {long_day(day)}, "
        f"{span(start_at, end_at, zone)}?"))


def _booking_choices(form: BookingForm, practitioners) -> None:
    form.practitioner_id.choices = [SelectChoice(0, "Choose a practitioner")] + [
        SelectChoice(p.id, p.display_name) for p in practitioners]
    form.service_id.choices = [SelectChoice(0, "Choose a service")] + [
        SelectChoice(s.id, f"{s.name} ({s.duration_minutes} min)") for s in queries.bookable_services()]


# The booking form's buttons besides "Book" (each posts the whole form, so nothing typed is
# lost and a note stays out of URLs and logs).
LOOK_UPS = ("show_slots", "first_free", "find_client", "pick_start", "pick_first")
FIRST_FREE_DAYS = 28
PICKER_PAGE = 10


@bp.route("/appointments/new", methods=["GET", "POST"])
@permission_required("appointments.book")
def book():
    zone = _zone()
    posted = request.method == "POST"
    form = BookingForm(formdata=request.form if posted else request.args or None)
    practitioners = active_practitioners()
    _booking_choices(form, practitioners)
    overridden = _overridden_client()
    if not posted and not form.day.data:
        form.day.data = _day_from_args()
    look_up = next((name for name in LOOK_UPS if name in request.form), None)
    valid = posted and look_up is None and form.validate()
    chosen = _chosen_client(form, overridden, finding=look_up == "find_client")
    _fill_from_picks(form)
    series = None
    if valid and not form.client_id.errors:
        try:
            booked, series = _make_booking(form, chosen, overridden, zone)
        except DomainError as error:
            show_error(form, error)
        else:
            if booked:
                return _booked(booked, zone)
    return _booking_page(form, practitioners, chosen, overridden, zone, look_up=look_up, series=series,
                         status=422 if posted and look_up is None and series is None else 200)


def _chosen_client(form: BookingForm, overridden: Client | None, *, finding: bool) -> Client | None:
    """The client chosen in the picker (or in the link that opened the form). An id that is
    not a client who can be booked here chooses no one, with the reason next to the field:
    never someone else. Nor does a name typed over the chosen one (without JavaScript the
    chosen id stays in the page while the field is typed over) unless it finds the chosen
    client (a search, then a choice from its matches): the typed name is looked up instead
    (`finding`: the user asked for that)."""
    raw = (form.client_id.data or "").strip()
    if not raw:
        return None
    client = db.session.get(Client, wanted) if (wanted := database_id(raw)) else None
    typed = (form.client_q.data or "").strip()
    if client is not None and typed and typed != client.display_name \
            and not client_queries.is_found_by(client, typed):
        form.client_id.data = ""
        if not finding:
            form.client_id.errors = [*form.client_id.errors,
                                     f"“{typed}” is not the client chosen before: choose the client from the list."]
        return None
    problem = None
    if client is None:
        problem = "There is no such client. Find the client by name, phone or e-mail."
    elif client.archived:
        problem = "This client is archived; restore them to the client list first."
    elif not client.bookable and client is not overridden:
        problem = identity.NOT_BOOKABLE
    if problem:
        form.client_id.errors = [*form.client_id.errors, problem]
        form.client_id.data = ""
        return None
    return client


def _fill_from_picks(form: BookingForm) -> None:
    """Without JavaScript, a free start's button (pick_start) or a first free time's
    (pick_first: "practitioner-id day start") fills the form; with it, the page's script
    fills the fields itself."""
    if start := parse_clock(request.form.get("pick_start")):
        _fill(form.start, start)
    parts = request.form.get("pick_first", "").split()
    if len(parts) == 3 and (pid := database_id(parts[0])) and (day := parse_day(parts[1])) \
            and (start := parse_clock(parts[2])) and pid in {c.value for c in form.practitioner_id.choices}:
        _fill(form.practitioner_id, pid)
        _fill(form.day, day)
        _fill(form.start, start)


def _fill(field, value) -> None:
    """Give a field a new value that its input shows (a field shows what was posted first)."""
    field.data, field.raw_data = value, None


def _make_booking(form: BookingForm, chosen: Client | None, overridden: Client | None, zone):
    """Book what the form says: an existing client or a new one, once or repeated. Returns
    (the appointments booked, None), or ([], the occurrences) when a repeat has times that
    cannot be booked: nothing is saved until the user books the free ones."""
    client = _client_to_book(form, chosen)
    booking = services.BookingRequest(
        client_id=client.id, practitioner_id=form.practitioner_id.data, service_id=form.service_id.data,
        start_at=typed_instant(form.start, zone, day=form.day.data), notes=form.notes.data or "",
        override_reason=_override_reason(form, overridden, client))
    if not form.repeat.data:
        return [services.book(db.session, acting(), booking, now=now())], None
    days = services.series_days(form.day.data, form.repeat.data, form.times.data or 0)
    occurrences = services.check_series(db.session, booking, days, form.start.data, now=now())
    if "confirm_series" in request.form:
        dropped = set(request.form.getlist("skip"))
        occurrences = [o for o in occurrences if o.day.isoformat() not in dropped]
    if any(o.refusal for o in occurrences) or not occurrences:
        discard_changes()  # a new client waits for the user's answer too
        return [], occurrences
    return services.book_series(db.session, acting(), booking, [o.start_at for o in occurrences], now=now()), None


def _client_to_book(form: BookingForm, chosen: Client | None) -> Client:
    details = form.new_client_details()
    if details is None:
        if chosen is None:
            raise DomainError("Choose a client, or add a new one.", field="client_id")
        return chosen
    if chosen is not None:
        raise DomainError("Choose a client or add a new one, not both.", field="new_client_name")
    return _new_client(form, details)


def _new_client(form: BookingForm, details) -> Client:
    """The client form's checks: valid details, a warning about a possible duplicate (here
    a question: the same phone or e-mail as someone already on the list), and the match with
    a person who cannot be booked, which the booking then refuses in neutral words."""
    try:
        client = client_services.create_client(db.session, acting(), details,
                                               phone_region=get_practice(db.session).phone_region, now=now())
    except DomainError as error:
        raise DomainError(error.message, field=f"new_client_{error.field}" if error.field else None) from None
    stored = client_services.ClientDetails(display_name=client.display_name, phone=client.phone, email=client.email)
    twins = [c for c in client_services.possible_duplicates(db.session, stored, exclude_id=client.id)
             if not c.blocked]
    if twins and not form.new_client_different.data:
        names = ", ".join(c.display_name for c in twins[:3])
        raise DomainError(f"Check for a duplicate: {names} has the same phone number or e-mail. Choose them in "
                          "the client field, or tick \"a different person\".", field="new_client_name")
    return client


def _booked(appointments, zone):
    first = appointments[0]
    client = first.client
    if len(appointments) == 1:
        flash(f"Booked {client.display_name} at {clock(first.start_at, zone)}.", "success")
    else:
        flash(f"Booked {client.display_name} {len(appointments)} times, from "
              f"{long_day(first.start_at.astimezone(zone).date())} at {clock(first.start_at, zone)}.", "success")
    owed = queries.fees_owed([client.id]).get(client.id)
    if owed:
        flash(f"{client.display_name} still owes {practice_money(practice_profile(), owed)} in fees for missed "
              "or late-cancelled sessions: the policy asks for them to be paid before this session.", "warning")
    _remind_of_policy(client)
    return redirect(url_for("scheduling.calendar", date=first.start_at.astimezone(zone).date().isoformat()))


def _booking_page(form, practitioners, chosen, overridden, zone, *, look_up, series, status):
    practitioner_id, service_id = _offered(form.practitioner_id), _offered(form.service_id)
    slots = None
    if practitioner_id and service_id and form.day.data:
        slots = services.free_slots(db.session, practitioner_id, service_id, form.day.data, now=now())
    first_free = None
    if look_up == "first_free":
        first_free = _first_free(form, service_id, practitioners)
    matches = more = None
    if look_up == "find_client" or (status == 422 and chosen is None and (form.client_q.data or "").strip()
                                    and not form.new_client_details()):
        matches, more = client_queries.find_clients(form.client_q.data or "", page=1, per_page=PICKER_PAGE)
    return render_template(
        "practice/scheduling/book.html", form=form, slots=slots, zone=zone, overridden=overridden,
        chosen=chosen, matches=matches, more=more, first_free=first_free, series=series,
        practitioner_names={p.id: p.display_name for p in practitioners},
        fees_owed=queries.fees_owed([chosen.id] if chosen else []),
        **_policy_notices([chosen.id] if chosen else [])), status


def _first_free(form: BookingForm, service_id: int | None, practitioners):
    """Each practitioner's first free start for the service, from the chosen day (or now)."""
    if not service_id:
        form.service_id.errors = [*form.service_id.errors, "Choose a service to find its first free time."]
        return None
    service = db.session.get(Service, service_id)
    zone = _zone()
    after = now()
    if form.day.data and form.day.data > after.astimezone(zone).date():
        after = services.local_day_bounds(form.day.data, zone)[0]
    return services.first_free_starts(db.session, service, [p.id for p in practitioners], after=after,
                                      days=FIRST_FREE_DAYS, now=now())


def _offered(field) -> int | None:
    """The field's value when it is one of its choices (free times are only looked up for
    a practitioner and a service the form offers, whatever was typed into the address)."""
    return field.data if field.data and field.data in {choice.value for choice in field.choices} else None


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


def _override_reason(form: BookingForm, overridden: Client | None, client: Client) -> str:
    """The override's reason, required when the override is being used."""
    if overridden is None or client is not overridden:
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


def _back(appointment: Appointment, target: str | None = None):
    """To the page the action was started from (`next`), else the appointment's page."""
    target = local_target(target if target is not None else request.form.get("next"))
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
        check_in_form=check_in_form or CheckInForm(), waive_form=WaiveForm(),
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


def _cancel_page(appointment: Appointment, form: CancelForm, status: int = 200):
    terms = services.cancel_terms(db.session, appointment, now=now())
    return render_template(
        "practice/scheduling/cancel.html", a=appointment, form=form, terms=terms,
        unacknowledged=services.unacknowledged(db.session, appointment, terms.policy, now=now()),
        reasons=CANCEL_REASONS, other_reason=OTHER_REASON,
        back=local_target(request.values.get("next")) or "",
    ), status


# One rule for both methods: two rules on one path make an id beyond the database's range
# a 405 instead of a 404.
@bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@permission_required("appointments.front_desk")
def cancel(appointment_id: int):
    """GET: cancelling, asked on its own page (Today's rows link here, so the day's page
    stays small): a reason to pick or write, and what the policy charges if it is done now.
    POST: cancel with the reason given. A missing or too long reason is shown next to its
    field on the cancel page; a fee the page did not show (the window was crossed meanwhile)
    is asked about first, as for a no-show."""
    appointment = _appointment(appointment_id)
    if request.method == "GET":
        if appointment.status != Status.BOOKED:
            flash(f"This appointment is {appointment.status.replace('_', ' ')}; it cannot be cancelled.", "warning")
            return _back(appointment, request.args.get("next"))
        return _cancel_page(appointment, CancelForm(formdata=None))
    form = CancelForm()
    if not form.validate():
        discard_changes()
        return _cancel_page(appointment, form, status=422)
    reason = form.chosen_reason()
    when = clock(appointment.start_at, _zone())
    return _charging(
        appointment, "scheduling.cancel",
        lambda: services.quote_cancel(db.session, appointment, reason, now=now()),
        lambda confirmed: services.cancel(db.session, acting(), appointment, reason, now=now(),
                                          confirm_unacknowledged=confirmed),
        success=f"{appointment.client.display_name}'s appointment at {when} is cancelled.", reason=reason)


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
