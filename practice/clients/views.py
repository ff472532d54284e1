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
from practice.auth.permissions import can, permission_required, require
from practice.auth.queries import active_practitioners
from practice.clients import csv_io, queries, services, timeline
from practice.clients.forms import (
    ClientForm,
    ImportConfirmForm,
    ImportUploadForm,
    PrivateNoteForm,
    StandingForm,
)
from practice.clients.models import STANDINGS, Client
from practice.conduct import escalation
from practice.conduct import queries as conduct_queries
from practice.db import db
from practice.errors import DomainError
from practice.policies import queries as policy_queries
from practice.scheduling.queries import client_history
from practice.settings.services import get_practice
from practice.web import acting, now, page_number, show_error
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
        "practice/clients/index.html", page=page, q=text, include_archived=include_archived
    )


def _phone_region() -> str:
    return get_practice(db.session).phone_region


def _warn_about_duplicates(client: Client) -> None:
    details = services.ClientDetails(display_name=client.display_name, phone=client.phone, email=client.email)
    for other in services.possible_duplicates(db.session, details, exclude_id=client.id):
        flash(
            f"Check for a duplicate: {other.display_name} has the same phone number or e-mail.",
            "warning",
        )


@bp.route("/new", methods=["GET", "POST"])
@permission_required("clients.edit")
def new():
    form = ClientForm()
    form.set_practitioners(active_practitioners())
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
    client = queries.client_for_page(client_id) or abort(404)
    return _client_page(client)


def _client_page(client: Client, *, standing_form=None, note_form=None, status: int = 200):
    """The client's record; the conduct side only for the client's practitioners and admins."""
    sees_conduct = can(current_user, "conduct.view", client)
    writes_notes = can(current_user, "notes.write")
    visible = {"appointment"} | (timeline.CONDUCT_KINDS if sees_conduct else set()) | (
        {"note"} if writes_notes else set())
    shown = set(request.args.getlist("show")) & visible or visible
    history = client_history(client.id, now())
    suggestion = escalation.suggestions(db.session, [client], now())[client.id] if sees_conduct else None
    return render_template(
        "practice/clients/show.html", client=client, confirm=ConfirmForm(), history=history,
        sees_conduct=sees_conduct, suggestion=suggestion, standings=STANDINGS,
        conduct=conduct_queries.conduct_summary(client.id) if sees_conduct else None,
        client_policy=policy_queries.client_policy(db.session, client.id, now()),
        referrals=referral_queries.referrals_for_client(db.session, client.id),
        standing_form=standing_form or StandingForm(standing=suggestion.standing if suggestion else None),
        note_form=note_form or PrivateNoteForm(),
        kinds={kind: label for kind, label in timeline.KINDS.items() if kind in visible}, shown=shown,
        items=timeline.timeline(client.id, kinds=shown, viewer_id=current_user.id,
                                past_appointments=history.past),
    ), status


@bp.post("/<int:client_id>/standing")
@permission_required("standing.set")
def set_standing(client_id: int):
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
            return redirect(url_for("clients.show", client_id=client.id))
    return _client_page(client, standing_form=form, status=422)


@bp.post("/<int:client_id>/notes")
@permission_required("notes.write")
def write_note(client_id: int):
    client = queries.client_for_page(client_id) or abort(404)
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
    return _client_page(client, note_form=form, status=422)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@permission_required("clients.edit")
def edit(client_id: int):
    client = db.get_or_404(Client, client_id)
    form = ClientForm(obj=client)
    form.set_practitioners(active_practitioners())
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
    return Response(
        csv_io.export_clients(queries.all_clients_for_export()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="clients-{stamp}.csv"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@permission_required("clients.import")
def import_upload():
    """Step 1: upload a CSV; step 2 (same page): a row-by-row preview; nothing saved yet."""
    form = ImportUploadForm()
    preview = confirm = None
    if form.validate_on_submit():
        try:
            text = csv_io.read_upload(form.file.data, current_app.config["PRACTICE_IMPORT_MAX_BYTES"])
            preview = csv_io.check_rows(db.session, text, phone_region=_phone_region(), today=now().date())
        except DomainError as error:
            show_error(form, error)
        else:
            confirm = ImportConfirmForm(content=text)
    return render_template(
        "practice/clients/import.html", form=form, preview=preview, confirm=confirm,
        columns=csv_io.COLUMNS,
    )


@bp.post("/import/confirm")
@permission_required("clients.import")
def import_confirm():
    """Step 3: import every row, or none when any row is wrong (checked again here)."""
    confirm = ImportConfirmForm()
    if not confirm.validate_on_submit():
        flash("Upload the file again to import it.", "warning")
        return redirect(url_for("clients.import_upload"))
    try:
        created = csv_io.import_clients(
            db.session, acting(), confirm.content.data, phone_region=_phone_region(), now=now()
        )
    except csv_io.ImportRefused as refused:
        return render_template(
            "practice/clients/import.html", form=ImportUploadForm(), preview=refused.preview,
            confirm=None, columns=csv_io.COLUMNS,
        ), 422
    flash(f"Imported {created} clients.", "success")
    return redirect(url_for("clients.index"))
