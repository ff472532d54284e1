from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from practice.auth.forms import ConfirmForm
from practice.auth.permissions import can, permission_required, require
from practice.auth.queries import active_practitioners
from practice.clients import care_team, csv_io, identity, queries, rows_html, services, timeline
from practice.clients.forms import (
    ClientForm,
    GrantForm,
    IdentityForm,
    ImportUploadForm,
    PrivateNoteForm,
    StandingForm,
)
from practice.clients.models import STANDINGS, CareGrant, Client
from practice.conduct import escalation
from practice.conduct import queries as conduct_queries
from practice.db import db
from practice.errors import DomainError
from practice.imports import services as import_services
from practice.money import practice_money
from practice.policies import queries as policy_queries
from practice.scheduling.queries import HISTORY_SHOWN, client_history
from practice.settings.services import get_practice
from practice.web import acting, back_to, flash_refusal, now, page_number, show_error
from referrals import queries as referral_queries

bp = Blueprint("clients", __name__, url_prefix="/clients")


@bp.get("/")
@permission_required("clients.view")
def index():
    text = request.args.get("q", "")
    include_archived = request.args.get("archived") == "1"
    page = queries.search_clients(
        text,
        page=page_number(),
        per_page=current_app.config["PRACTICE_PAGE_SIZE"],
        include_archived=include_archived,
    )
    return render_template(
        "practice/clients/index.html", page=page, q=text, include_archived=include_archived,
        rows=rows_html, client_url=url_for("clients.show", client_id=0)[:-1],
    )


PICKER_PAGE = 10  # matches per page of the client picker's search


@bp.get("/search.json")
@permission_required("clients.view")
def search_json():
    """The client picker's search as you type (templates/practice/clients/_picker.html): a
    page of the clients matching ?q= in a name, the phone digits or the e-mail, by name."""
    page = page_number()
    found, more = queries.find_clients(request.args.get("q", "")[:200], page=page, per_page=PICKER_PAGE)
    return jsonify(page=page, has_more=more, results=[{
        "id": client.id, "name": client.display_name, "bookable": client.bookable,
        "detail": " · ".join(filter(None, [services.display_phone(client.phone), client.email])),
    } for client in found])


def _phone_region() -> str:
    return get_practice(db.session).phone_region


def _warn_about_duplicates(client: Client) -> None:
    """A duplicate is worth a warning; a match with a client who cannot be booked is named
    only to those who decide about it (everyone else reads the neutral refusal)."""
    details = services.ClientDetails(display_name=client.display_name, phone=client.phone, email=client.email)
    for other in services.possible_duplicates(db.session, details, exclude_id=client.id):
        if not other.blocked:
            flash(f"Check for a duplicate: {other.display_name} has the same phone number or e-mail.", "warning")
    matches = identity.find(db.session, [client])
    for match in matches:
        if can(current_user, "identity.decide", match.blocked):
            flash(f"This record matches {match.blocked.display_name}, who cannot be booked (same "
                  f"{match.on_text}). Decide on this page whether they are the same person.", "warning")
    if matches and not any(can(current_user, "identity.decide", m.blocked) for m in matches):
        flash(identity.NOT_BOOKABLE, "warning")


def _choose_practitioner(form: ClientForm, client: Client | None) -> None:
    """Who may change the primary practitioner (it adds to the care team): everyone else
    sees the field but cannot change it."""
    form.set_practitioners(active_practitioners())
    if client is not None and not can(current_user, "clients.assign", client):
        form.primary_practitioner_id.render_kw = {"disabled": True}
        form.primary_practitioner_id.description = (
            "The client's practitioner or an admin changes this, since it opens the client's record.")
        form.primary_practitioner_id.data = client.primary_practitioner_id or 0
        form.primary_practitioner_id.raw_data = None


@bp.route("/new", methods=["GET", "POST"])
@permission_required("clients.edit")
def new():
    form = ClientForm()
    _choose_practitioner(form, None)
    if form.validate_on_submit():
        try:
            client = services.create_client(
                db.session, acting(), form.details(), phone_region=_phone_region(), now=now()
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{client.display_name} is added.", "success")
            _warn_about_duplicates(client)
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("practice/clients/form.html", form=form, client=None), (
        422 if form.errors or form.form_errors else 200
    )


@bp.get("/<int:client_id>")
@permission_required("clients.view")
def show(client_id: int):
    return _client_page(queries.client_of_page(client_id) or abort(404))


def _client_page(read: queries.ClientOfPage, *, status: int = 200, identity_forms=None):
    """The client's record. Its private side (standing and its reasons, the conduct record,
    letters, referrals out, private notes, the care team and who has looked) only for the
    client's care team and admins; everyone else sees what the front desk sees."""
    client = read.client
    sees_record = can(current_user, "conduct.view", client)
    writes_notes = can(current_user, "notes.write", client)
    visible = {"appointment"} | (timeline.CONDUCT_KINDS if sees_record else set()) | (
        {"note"} if writes_notes else set())
    shown = set(request.args.getlist("show")) & visible or visible
    # The latest of a long history unless the whole of it is asked for.
    everything = request.args.get("history") == "all"
    shown_at_most = None if everything else HISTORY_SHOWN
    history = client_history(client.id, now(), past_shown=shown_at_most)
    moment = now()
    policy = policy_queries.policy_in_force(db.session, moment)
    # The communications are read with the history's other events for the record's summary
    # (the latest), whether or not the history shows them; the ladder of next steps reads
    # its rows with them too (a statement fewer).
    events = timeline.events(client.id, kinds=shown | ({"communication"} if sees_record else set()),
                             viewer_id=current_user.id, limit=shown_at_most,
                             ladder_from=escalation.reach_back(policy, [moment]) if sees_record else None)
    latest_told = [(c.type, c.at) for c in events["communication"][:1]] if sees_record else None
    suggestion = timeline.suggestion(client, events, policy, moment) if sees_record else None
    matches = identity.matches_among(db.session, [client], read.blocked)
    care = care_team.members(client) if sees_record else None
    return render_template(
        "practice/clients/show.html", client=client, confirm=ConfirmForm(), history=history,
        sees_record=sees_record, suggestion=suggestion, standings=STANDINGS,
        conduct=conduct_queries.conduct_summary(client.id, communications=latest_told) if sees_record else None,
        client_policy=policy_queries.client_policy(db.session, client.id, now()),
        email_consent=read.email_consent,
        referrals=referral_queries.referrals_for_client(db.session, client.id),
        identity_forms={m.blocked.id: (identity_forms or {}).get(m.blocked.id) or IdentityForm(m.blocked.id)
                        for m in matches},
        matches=matches, held=client.identity_hold or bool(matches),
        care=care, viewers=care.viewers if sees_record else None,
        kinds={kind: label for kind, label in timeline.KINDS.items() if kind in visible}, shown=shown,
        history_all=everything,
        # The upcoming rows and the history are written in Python (rows_html); their links are
        # this and an id (url_for for each of fifty rows is slow).
        rows=rows_html, appointment_url=url_for("scheduling.appointment", appointment_id=0)[:-1],
        money=partial(practice_money, get_practice(db.session)),
        timeline=timeline.timeline(kinds=shown, events=events, past_appointments=history.past, limit=shown_at_most,
                                   more_appointments=history.more_past),
    ), status


@bp.route("/<int:client_id>/standing", methods=["GET", "POST"])
@permission_required("standing.set")
def set_standing(client_id: int):
    """Deciding the standing, on its own page opened from the client page's standing card
    (and posted to from the review): the form and the ladder's suggestion as its default
    were about a twentieth of every view of the client page, for a decision seldom taken."""
    client = queries.client_for_page(client_id) or abort(404)
    require("standing.set", client)
    form = StandingForm()
    if form.validate_on_submit():
        try:
            services.set_standing(db.session, acting(), client, form.standing.data, form.reason.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{client.display_name}'s standing is now {STANDINGS[client.standing].lower()}.", "success")
            return redirect(back_to() or url_for("clients.show", client_id=client.id))
    suggestion = escalation.suggestions(db.session, [client], now())[client.id]
    if suggestion and request.method == "GET":
        form.standing.data = suggestion.standing
    return render_template("practice/clients/standing.html", client=client, suggestion=suggestion,
                           standings=STANDINGS, standing_form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/<int:client_id>/notes", methods=["GET", "POST"])
@permission_required("notes.write")
def write_note(client_id: int):
    """Writing a private note, on its own page opened from the client page's history (its
    form's three fields were drawn on every view of the client page)."""
    client = queries.client_for_page(client_id) or abort(404)
    require("notes.write", client)
    form = PrivateNoteForm()
    if form.validate_on_submit():
        try:
            services.write_private_note(db.session, acting(), client, kind=form.kind.data,
                                        body=form.body.data, colleague=form.colleague.data or "", now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Your private note is saved.", "success")
            return redirect(url_for("clients.show", client_id=client.id, _anchor="timeline"))
    return render_template("practice/clients/note.html", client=client, note_form=form), (
        422 if form.errors or form.form_errors else 200)


@bp.route("/<int:client_id>/access", methods=["GET", "POST"])
@permission_required("care.grant")
def grant_access(client_id: int):
    """Giving a colleague access, on its own page opened from the care team's card: the
    form, its practitioners (a query) and its fields cost every view of the client page a
    tenth of its time, for something seldom done."""
    client = queries.client_for_page(client_id) or abort(404)
    require("care.grant", client)
    form = GrantForm(prefix="access")
    form.set_practitioners(p for p in active_practitioners() if p.id != client.primary_practitioner_id)
    if form.validate_on_submit():
        practitioner = next((p for p in active_practitioners() if p.id == form.practitioner_id.data), None)
        try:
            if practitioner is None:
                raise DomainError("Choose a practitioner from the list.", field="practitioner_id")
            services.grant_access(db.session, acting(), client, practitioner, form.reason.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{practitioner.display_name} can now open {client.display_name}'s record.", "success")
            return redirect(url_for("clients.show", client_id=client.id, _anchor="care-team-heading"))
    return render_template("practice/clients/access.html", client=client, grant_form=form), (
        422 if form.errors or form.form_errors else 200)


@bp.post("/<int:client_id>/access/<int:grant_id>/revoke")
@permission_required("care.grant")
def revoke_access(client_id: int, grant_id: int):
    client = queries.client_for_page(client_id) or abort(404)
    require("care.grant", client)
    grant = db.session.get(CareGrant, grant_id)
    if grant is None or grant.client_id != client.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            services.revoke_access(db.session, acting(), grant, now=now())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(f"{grant.practitioner.display_name} no longer has access to this record.", "success")
    return redirect(url_for("clients.show", client_id=client.id, _anchor="care-team-heading"))


@bp.post("/<int:client_id>/identity/<int:matched_id>")
@permission_required("identity.decide")
def decide_identity(client_id: int, matched_id: int):
    read = queries.client_of_page(client_id) or abort(404)
    client = read.client
    matched = db.session.get(Client, matched_id) or abort(404)
    require("identity.decide", matched)
    form = IdentityForm(matched.id)
    if form.validate_on_submit():
        try:
            services.decide_identity(db.session, acting(), client, matched, form.decision.data,
                                     form.reason.data or "", now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Decided: {services.IDENTITY_DECISIONS[form.decision.data].lower()} as "
                  f"{matched.display_name}.", "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return _client_page(read, identity_forms={matched.id: form}, status=422)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@permission_required("clients.edit")
def edit(client_id: int):
    client = db.get_or_404(Client, client_id)
    form = ClientForm(obj=client)
    _choose_practitioner(form, client)
    if request.method == "GET":
        form.phone.data = services.display_phone(client.phone)
    if form.validate_on_submit():
        try:
            services.update_client(
                db.session, acting(), client, form.details(), phone_region=_phone_region(), now=now()
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Saved.", "success")
            _warn_about_duplicates(client)
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("practice/clients/form.html", form=form, client=client), (
        422 if form.errors or form.form_errors else 200
    )


@bp.post("/<int:client_id>/archive")
@permission_required("clients.archive")
def archive(client_id: int):
    client = db.get_or_404(Client, client_id)
    if ConfirmForm().validate_on_submit():
        if request.form.get("restore") == "1":
            services.restore_client(db.session, acting(), client, now=now())
            flash(f"{client.display_name} is back in the client list.", "success")
        else:
            services.archive_client(db.session, acting(), client, now=now())
            flash(f"{client.display_name} is archived. The record is kept.", "success")
    return redirect(url_for("clients.show", client_id=client.id))


@bp.get("/export.csv")
@permission_required("clients.export")
def export():
    stamp = now().strftime("%Y%m%d")
    # Streamed: the rows are read a chunk at a time as the file is sent.
    return Response(
        stream_with_context(csv_io.export_clients(queries.clients_for_export())),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="clients-{stamp}.csv"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@permission_required("clients.import")
def import_upload():
    """Upload a CSV: it is kept and checked in the background; the import's page follows the
    check, shows its report and offers to import (practice/imports). Nothing saved yet."""
    form = ImportUploadForm()
    if form.validate_on_submit():
        try:
            text = csv_io.read_upload(form.file.data, current_app.config["PRACTICE_IMPORT_MAX_BYTES"])
        except DomainError as error:
            show_error(form, error)
        else:
            job = import_services.start_check(db.session, acting(), "clients", form.file.data.filename, text,
                                              now=now())
            return redirect(url_for("imports.show", job_id=job.id))
    return render_template("practice/clients/import.html", form=form, columns=csv_io.COLUMNS)
