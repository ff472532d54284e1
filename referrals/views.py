"""The referral network's pages: thin views over referrals.services and referrals.queries."""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from practice.errors import DomainError
from practice.validation import database_id
from practice.web import back_to, flash_refusal, local_target, page_number, show_error
from referrals import bp, csv_io, forms, host, queries, rows_html, services, vcard
from referrals.database import db
from referrals.host import permission_required
from referrals.models import Inquiry, Modality, Referral, Specialist

CLIENTS_SUGGESTED = 10  # a name typed on the match page lists at most this many clients


@bp.context_processor
def referrals_context():
    return {
        "referrals_layout": host.current().layout,
        "may": host.allowed,
        # Written in Python (rows_html), as the lists of 25 that show them call them once a row.
        "accepting_badge": rows_html.accepting_badge, "checked": rows_html.checked,
        "verify_form": rows_html.verify_form, "match_cards": rows_html.match_cards,
        "directory_rows": rows_html.directory_rows,
    }


def _stale_months() -> int:
    return int(current_app.config.get("PRACTICE_REFERRALS_VERIFY_MONTHS", queries.DEFAULT_STALE_MONTHS))


def _per_page() -> int:
    return int(current_app.config.get("PRACTICE_PAGE_SIZE", 25))


def _phone_region() -> str:
    return host.current().phone_region(db.session)


def _names(kind: str, ids) -> dict[int, str]:
    return host.current().names(kind, ids)


def _client_or_404(client_id: int):
    return host.current().client(client_id) or abort(404)


def _status(form) -> int:
    return 422 if form.errors or form.form_errors else 200


def _readable():
    """Referrals out are part of the client's record: listed to its care team only."""
    return host.current().readable_clients(Referral.client_id)


def _int_arg(name: str) -> int | None:
    return database_id(request.args.get(name))


# The directory ---------------------------------------------------------------------------

@bp.get("/")
@permission_required("referrals.view")
def directory():
    today = host.today(db.session)
    months = request.args.get("verified_within", type=int)
    filters = queries.DirectoryFilters(
        text=request.args.get("q", "")[:200], modality_id=_int_arg("modality"),
        area=request.args.get("area", "")[:120], accepting=request.args.get("accepting", ""),
        verified_within_months=months if months in (1, 3, 6, 12) else None,
    )
    page = queries.search_directory(filters, today=today, page=page_number(), per_page=_per_page(),
                                    stale_months=_stale_months(), readable=_readable())
    return render_template(
        "referrals/directory.html", page=page, filters=filters,
        offers=queries.modality_names(db.session, [s.id for s in page.items]),
        modalities=queries.modality_choices(db.session), areas=queries.areas(db.session),
        verify=forms.VerifyForm(),
        today=today,
    )


@bp.get("/needs-checking")
@permission_required("referrals.view")
def needs_checking():
    today = host.today(db.session)
    page = queries.needs_checking(today=today, months=_stale_months(), page=page_number(),
                                  per_page=_per_page())
    return render_template("referrals/needs_checking.html", page=page, months=_stale_months(),
                           verify=forms.VerifyForm(), today=today)


@bp.route("/specialists/new", methods=["GET", "POST"])
@permission_required("referrals.edit")
def new_specialist():
    form = forms.SpecialistForm()
    form.set_modalities(queries.modalities(db.session))
    if form.validate_on_submit():
        try:
            specialist = services.create_specialist(db.session, host.actor(), form.details(),
                                                    phone_region=_phone_region(), now=host.now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{specialist.name} is in the directory.", "success")
            return redirect(url_for("referrals.specialist", specialist_id=specialist.id))
    return render_template("referrals/specialist_form.html", form=form, specialist=None), _status(form)


@bp.get("/specialists/<int:specialist_id>")
@permission_required("referrals.view")
def specialist(specialist_id: int):
    found = queries.specialist_page(db.session, specialist_id, readable=_readable()) or abort(404)
    clients = _names("client", [r.client_id for r in found.referrals_out + found.referrals_in])
    checked_by = _names("user", [found.specialist.verified_by_id]).get(found.specialist.verified_by_id)
    return render_template("referrals/specialist.html", view=found, specialist=found.specialist,
                           clients=clients, checked_by=checked_by,
                           verify=forms.VerifyForm(), retire=forms.RetireForm(),
                           today=host.today(db.session), months=_stale_months())


@bp.route("/specialists/<int:specialist_id>/edit", methods=["GET", "POST"])
@permission_required("referrals.edit")
def edit_specialist(specialist_id: int):
    found = db.get_or_404(Specialist, specialist_id)
    form = forms.SpecialistForm(obj=found)
    form.set_modalities(queries.modalities(db.session, include_retired=True))
    if request.method == "GET":
        form.modality_ids.data = [m.id for m in found.modalities]
    if form.validate_on_submit():
        try:
            services.update_specialist(db.session, host.actor(), found, form.details(),
                                       phone_region=_phone_region(), now=host.now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Saved.", "success")
            return redirect(url_for("referrals.specialist", specialist_id=found.id))
    return render_template("referrals/specialist_form.html", form=form, specialist=found), _status(form)


@bp.post("/specialists/<int:specialist_id>/verify")
@permission_required("referrals.edit")
def verify(specialist_id: int):
    found = db.get_or_404(Specialist, specialist_id)
    form = forms.VerifyForm()
    if form.validate_on_submit():
        try:
            services.verify_specialist(db.session, host.actor(), found, today=host.today(db.session),
                                       now=host.now(), accepting=form.accepting.data or None)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(f"{found.name}: verified today.", "success")
    else:
        flash("Choose whether they are accepting new clients from the list.", "danger")
    back = local_target(request.form.get("next"))
    return redirect(back or url_for("referrals.specialist", specialist_id=found.id))


@bp.post("/specialists/<int:specialist_id>/retire")
@permission_required("referrals.edit")
def retire(specialist_id: int):
    found = db.get_or_404(Specialist, specialist_id)
    if forms.RetireForm().validate_on_submit():
        restore = request.form.get("restore") == "1"
        services.set_specialist_retired(db.session, host.actor(), found, not restore, now=host.now())
        flash(f"{found.name} is back in the directory." if restore else
              f"{found.name} is retired from the directory. Their referrals are kept.", "success")
    return redirect(url_for("referrals.specialist", specialist_id=found.id))


# The taxonomy ----------------------------------------------------------------------------

@bp.route("/modalities", methods=["GET", "POST"])
@permission_required("referrals.edit")
def modalities():
    form = forms.ModalityForm()
    if form.validate_on_submit():
        try:
            added = services.add_modality(db.session, host.actor(), form.name.data, now=host.now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{added.name} is added to the list.", "success")
            return redirect(url_for("referrals.modalities"))
    return render_template("referrals/modalities.html", form=form, retire=forms.RetireForm(),
                           modalities=queries.modalities(db.session, include_retired=True)), _status(form)


@bp.post("/modalities/<int:modality_id>/retire")
@permission_required("referrals.edit")
def retire_modality(modality_id: int):
    modality = db.get_or_404(Modality, modality_id)
    if forms.RetireForm().validate_on_submit():
        retired = request.form.get("restore") != "1"
        services.set_modality_retired(db.session, host.actor(), modality, retired, now=host.now())
    return redirect(url_for("referrals.modalities"))


# Matching and referrals out ----------------------------------------------------------------

@bp.get("/match")
@permission_required("referrals.view")
def match():
    """Colleagues ranked for a need. The referral is recorded for one client, chosen once for
    the page (`client`, or by typing part of their name in `who`)."""
    form = forms.MatchForm(request.args)
    modalities = queries.modality_choices(db.session)
    form.set_modalities(modalities)
    client, candidates, matches = None, [], []
    if form.validate():
        client = _client(form.client.data)
        if client is None and form.who.data and form.who.data.strip():
            candidates = host.current().clients_named(form.who.data.strip(), CLIENTS_SUGGESTED + 1)
        need = queries.Need(tuple(form.modality.data or ()), form.area.data or "", form.language.data or "")
        matches = queries.match(db.session, need, today=host.today(db.session),
                                stale_after_months=_stale_months(), rows=True)
    refer, letters = None, {}
    if client is not None and _may_refer(client):
        refer = forms.ReferForm(client_id=client.id, modality_ids=form.modality.data or [])
        refer.set_modalities(modalities)
        letters = host.current().referral_letter_urls(
            client, [m.specialist.id for m in matches], form.modality.data or [])
    return render_template("referrals/match.html", form=form, matches=matches, client=client, refer=refer,
                           letters=letters, candidates=candidates[:CLIENTS_SUGGESTED],
                           more_candidates=len(candidates) > CLIENTS_SUGGESTED,
                           may_refer=host.allowed("referrals.refer"), searched=bool(form.modality.data))


def _client(client_id: int | None):
    return host.current().client(client_id) if client_id else None


def _may_refer(client) -> bool:
    return host.allowed("referrals.refer") and host.allowed("referrals.record", client)


@bp.post("/refer")
@permission_required("referrals.refer")
def refer():
    if request.form.get("stay"):  # the form's default button: Enter in one of its fields
        return "", 204
    form = forms.ReferForm()
    form.set_modalities(queries.modality_choices(db.session))
    valid = form.validate_on_submit()
    # The client and the colleague, also for the form shown again when another field is wrong
    # (the client only to those who may record their referrals).
    client = _client(form.client_id.data) if not form.client_id.errors else None
    specialist = (db.session.get(Specialist, form.specialist_id.data)
                  if form.specialist_id.data and not form.specialist_id.errors else None)
    if valid:
        if client is None or not client.current:
            form.client_id.errors.append("Choose a client.")
        elif specialist is None:
            form.form_errors.append("Choose a specialist from the list.")
        else:
            host.require("referrals.record", client)
            try:
                referral = services.record_referral(
                    db.session, host.actor(), client=client, specialist=specialist,
                    modality_ids=form.modality_ids.data or [], need=form.need.data or "",
                    today=host.today(db.session), now=host.now(), follow_up_on=form.follow_up_on.data,
                )
            except DomainError as error:
                show_error(form, error)
            else:
                flash(f"{client.name} is referred to {specialist.name}. Follow up on "
                      f"{referral.follow_up_on.strftime('%-d %B %Y')}.", "success")
                return redirect(back_to() or url_for("referrals.referral", referral_id=referral.id))
    if client is not None and not host.allowed("referrals.record", client):
        client = None
    return render_template("referrals/refer_error.html", form=form, client=client, specialist=specialist), 422


@bp.get("/referrals/<int:referral_id>")
@permission_required("referrals.record")
def referral(referral_id: int):
    """A referral's record (the need, the outcome and its notes): the client's care team."""
    found = queries.referral_for_page(db.session, referral_id) or abort(404)
    client = _client_or_404(found.client_id)
    host.require("referrals.record", client)
    form = forms.OutcomeForm(obj=None, outcome=found.outcome, note=found.outcome_note)
    return _referral_page(found, client, form)


def _referral_page(found, client, form, status: int = 200):
    return render_template("referrals/referral.html", referral=found, form=form, client=client,
                           client_url=host.current().client_url(client),
                           by=_names("user", [found.by_id]).get(found.by_id)), status


@bp.post("/referrals/<int:referral_id>/outcome")
@permission_required("referrals.refer")
def outcome(referral_id: int):
    found = queries.referral_for_page(db.session, referral_id) or abort(404)
    client = _client_or_404(found.client_id)
    host.require("referrals.record", client)
    form = forms.OutcomeForm()
    if form.validate_on_submit():
        try:
            services.record_outcome(db.session, host.actor(), found, form.outcome.data, form.note.data or "",
                                    now=host.now(), follow_up_on=form.follow_up_on.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Outcome saved: {found.outcome_label}.", "success")
            return redirect(url_for("referrals.referral", referral_id=found.id))
    return _referral_page(found, client, form, 422)


@bp.get("/follow-ups")
@permission_required("referrals.view")
def follow_ups():
    today = host.today(db.session)
    due = queries.follow_ups_due(db.session, today=today, readable=_readable())
    return render_template("referrals/follow_ups.html", referrals=due, today=today,
                           clients=_names("client", [r.client_id for r in due]))


@bp.route("/clients/<int:client_id>/source", methods=["GET", "POST"])
@permission_required("clients.edit")
def client_source(client_id: int):
    client = _client_or_404(client_id)
    form = forms.SourceForm()
    form.set_specialists(queries.specialist_choices(db.session))
    if form.validate_on_submit():
        chosen = db.session.get(Specialist, form.specialist_id.data) if form.specialist_id.data else None
        try:
            services.record_referral_in(db.session, host.actor(), client=client, specialist=chosen,
                                        source=form.source.data or "", today=host.today(db.session),
                                        now=host.now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Referral source saved.", "success")
            return redirect(host.current().client_url(client) or url_for("referrals.directory"))
    return render_template("referrals/source.html", form=form, client=client,
                           client_url=host.current().client_url(client),
                           current=queries.referral_source(db.session, client.id)), _status(form)


# Inquiries and the waitlist --------------------------------------------------------------

@bp.get("/inquiries")
@permission_required("inquiries.manage")
def inquiries():
    open_inquiries, waitlist = queries.open_inquiries(db.session), queries.waitlist(db.session)
    return render_template(
        "referrals/inquiries.html", open_inquiries=open_inquiries, waitlist=waitlist,
        closed=queries.recently_closed_inquiries(db.session),
        capacities=(services.capacities(db.session) or {}).values(),
        practitioners=_names("practitioner", [i.practitioner_id for i in open_inquiries + waitlist]),
        service_names=host.current().services(),
    )


@bp.route("/inquiries/new", methods=["GET", "POST"])
@permission_required("inquiries.manage")
def new_inquiry():
    form = forms.InquiryForm()
    form.set_choices(host.current().practitioners(), queries.modalities(db.session),
                     host.current().services().items())
    if form.validate_on_submit():
        try:
            inquiry = services.record_inquiry(db.session, host.actor(), form.details(),
                                              phone_region=_phone_region(), now=host.now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Inquiry from {inquiry.name} recorded.", "success")
            return redirect(url_for("referrals.inquiry", inquiry_id=inquiry.id))
    return render_template("referrals/inquiry_form.html", form=form), _status(form)


@bp.get("/inquiries/<int:inquiry_id>")
@permission_required("inquiries.manage")
def inquiry(inquiry_id: int):
    found = queries.inquiry_for_page(db.session, inquiry_id) or abort(404)
    return _inquiry_page(found, forms.CloseInquiryForm())


def _inquiry_page(found: Inquiry, close_form, status: int = 200):
    room = services.capacities(db.session)
    wanted = room.get(found.practitioner_id) if room and found.practitioner_id else None
    colleagues = queries.accepting_colleagues(db.session, sorted(queries.inquiry_needs(found)), found.area)
    return render_template(
        "referrals/inquiry.html", inquiry=found, close=close_form, action=forms.RetireForm(),
        practitioner=services.practitioner_name(found.practitioner_id),
        wanted=wanted, practice_has_room=room is None or any(c.has_room for c in room.values()),
        with_room=[c for c in (room or {}).values() if c.has_room and c is not wanted],
        service_name=host.current().services().get(found.service_id, "") if found.service_id else "",
        reply_url=host.current().inquiry_reply_url(found),
        colleagues=colleagues, distances=queries.distances(colleagues, found.area),
        ahead=services.waiting_ahead(db.session, found) if found.status == "waitlisted" else [],
    ), status


def _inquiry_action(inquiry_id: int, act, done: str):
    found = db.get_or_404(Inquiry, inquiry_id)
    if forms.RetireForm().validate_on_submit():
        try:
            act(found)
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(done.format(name=found.name), "success")
    return redirect(url_for("referrals.inquiry", inquiry_id=found.id))


@bp.post("/inquiries/<int:inquiry_id>/waitlist")
@permission_required("inquiries.manage")
def waitlist(inquiry_id: int):
    return _inquiry_action(inquiry_id, lambda found: services.waitlist_inquiry(
        db.session, host.actor(), found, now=host.now()), "{name} is on the waitlist.")


@bp.post("/inquiries/<int:inquiry_id>/offer")
@permission_required("inquiries.manage")
def offer(inquiry_id: int):
    return _inquiry_action(inquiry_id, lambda found: services.offer_place(
        db.session, host.actor(), found, now=host.now()), "A place is offered to {name}.")


@bp.post("/inquiries/<int:inquiry_id>/close")
@permission_required("inquiries.manage")
def close_inquiry(inquiry_id: int):
    found = queries.inquiry_for_page(db.session, inquiry_id) or abort(404)
    form = forms.CloseInquiryForm()
    if form.validate_on_submit():
        try:
            services.close_inquiry(db.session, host.actor(), found, now=host.now(), outcome=form.outcome.data,
                                   note=form.note.data or "")
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"The inquiry is closed: {found.status_label.lower()}.", "success")
            return redirect(url_for("referrals.inquiry", inquiry_id=found.id))
    return _inquiry_page(found, form, 422)


@bp.post("/inquiries/<int:inquiry_id>/client")
@permission_required("inquiries.manage")
def inquiry_to_client(inquiry_id: int):
    found = db.get_or_404(Inquiry, inquiry_id)
    host.require("clients.edit")
    if forms.RetireForm().validate_on_submit():
        try:
            client = services.turn_into_client(db.session, host.actor(), found, phone_region=_phone_region(),
                                               now=host.now())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(f"{client.name} is now a client.", "success")
            host.current().tell_about_new_client(client)
            return redirect(host.current().client_url(client) or url_for("referrals.inquiry", inquiry_id=found.id))
    return redirect(url_for("referrals.inquiry", inquiry_id=found.id))


@bp.route("/capacity/<int:practitioner_id>", methods=["GET", "POST"])
@permission_required("capacity.manage")
def capacity(practitioner_id: int):
    current = (services.capacities(db.session) or {}).get(practitioner_id) or abort(404)
    practitioner = current.practitioner
    host.require("capacity.manage", practitioner)
    form = forms.CapacityForm(accepting_new_clients=current.accepting, max_active_clients=current.limit)
    if form.validate_on_submit():
        try:
            services.update_capacity(db.session, host.actor(), practitioner.id,
                                     accepting=bool(form.accepting_new_clients.data),
                                     max_active_clients=form.max_active_clients.data, now=host.now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Capacity saved for {practitioner.name}.", "success")
            return redirect(url_for("referrals.inquiries"))
    return render_template("referrals/capacity.html", form=form, practitioner=practitioner,
                           current=current), _status(form)


# Exchange --------------------------------------------------------------------------------

@bp.get("/export.csv")
@permission_required("referrals.view")
def export_csv():
    stamp = host.now().strftime("%Y%m%d")
    # Streamed: the entries are read a chunk at a time as the file is sent (one transaction).
    entries = queries.specialists_for_export(db.session)
    return Response(stream_with_context(csv_io.stream_specialists(entries)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="referral-directory-{stamp}.csv"'})


@bp.get("/export.vcf")
@permission_required("referrals.view")
def export_vcards():
    stamp = host.now().strftime("%Y%m%d")
    entries = queries.specialists_for_export(db.session)
    return Response(stream_with_context(vcard.stream_vcards(entries)),
                    mimetype="text/vcard", content_type="text/vcard; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="referral-directory-{stamp}.vcf"'})


@bp.get("/specialists/<int:specialist_id>.vcf")
@permission_required("referrals.view")
def specialist_vcard(specialist_id: int):
    found = queries.specialist_page(db.session, specialist_id, readable=_readable()) or abort(404)
    filename = "".join(c for c in found.specialist.name if c.isalnum() or c in " -").strip() or "specialist"
    return Response(vcard.export_vcards([found.specialist]), content_type="text/vcard; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.vcf"'})


@bp.route("/import", methods=["GET", "POST"])
@permission_required("referrals.edit")
def import_upload():
    """Upload a CSV or vCard file to be checked: in the background if the site runs jobs (its
    page then shows the report and offers the import), else here, its first rows shown."""
    form = forms.ImportUploadForm()
    preview = confirm = None
    if form.validate_on_submit():
        try:
            text = csv_io.read_upload(form.file.data, current_app.config.get("PRACTICE_IMPORT_MAX_BYTES", 5 << 20))
        except DomainError as error:
            show_error(form, error)
        else:
            followed = host.current().start_import(db.session, host.actor(), form.file.data.filename, text)
            if followed is not None:
                return redirect(followed)
            preview = csv_io.check_upload(db.session, text, phone_region=_phone_region())
            confirm = forms.ImportConfirmForm(content=text)
    return _import_page(form, preview, confirm), _status(form)


def _import_page(form, preview, confirm):
    return render_template("referrals/import.html", form=form, preview=preview, confirm=confirm,
                           page=preview.page(1) if preview else None, columns=csv_io.COLUMNS,
                           shown=csv_io.SHOWN)


@bp.post("/import/confirm")
@permission_required("referrals.edit")
def import_confirm():
    """Import every row, or none when any row is wrong (checked again here)."""
    confirm = forms.ImportConfirmForm()
    if not confirm.validate_on_submit():
        flash("Upload the file again to import it.", "warning")
        return redirect(url_for("referrals.import_upload"))
    try:
        created = csv_io.import_specialists(db.session, host.actor(), confirm.content.data,
                                            phone_region=_phone_region(), now=host.now())
    except csv_io.ImportRefused as refused:
        return _import_page(forms.ImportUploadForm(), refused.preview, None), 422
    flash(f"Imported {created} specialists.", "success")
    return redirect(url_for("referrals.directory"))
