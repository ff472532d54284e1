"""The conduct pages: a client's record, incidents, corrections, communications,
attachments, the evidence report (made by a background job) and the incident categories. Thin: rules are in services."""

from datetime import datetime
from zoneinfo import ZoneInfo

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

from practice.auth.forms import ConfirmForm
from practice.auth.permissions import permission_required, require
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.conduct import queries, services
from practice.conduct.attachments import Upload
from practice.conduct.forms import (
    AutomaticCorrectionForm,
    CategoryForm,
    CommunicationForm,
    CorrectionForm,
    EvidenceForm,
    IncidentForm,
)
from practice.conduct.models import Attachment, ConductEntry, IncidentCategory
from practice.db import db
from practice.errors import DomainError
from practice.forms import typed_instant
from practice.settings.services import get_practice
from practice.web import acting, back_to, now, page_number, show_error

bp = Blueprint("conduct", __name__)


def _zone() -> ZoneInfo:
    return ZoneInfo(get_practice(db.session).timezone)


def _utc(field) -> datetime | None:
    """The wall-clock time typed in the practice's time zone, as an aware UTC moment."""
    return typed_instant(field, _zone()) if field.data else None


def _local(moment: datetime) -> datetime:
    return moment.astimezone(_zone()).replace(tzinfo=None, second=0, microsecond=0)


def _client_for(action: str, client_id: int) -> Client:
    client = db.session.get(Client, client_id) or abort(404)
    require(action, client)
    return client


def _status(form) -> int:
    return 422 if form.errors or form.form_errors else 200


def _uploads(form) -> list[Upload]:
    """The files chosen, read up to one byte past the limit (the service refuses the rest)."""
    limit = current_app.config["PRACTICE_ATTACHMENT_MAX_BYTES"]
    return [Upload(f.filename or "", f.read(limit + 1))
            for f in request.files.getlist(form.attachments.name) if f.filename]


def _related(client_id: int) -> list[tuple[ConductEntry, str]]:
    return [(entry, f"{_local(entry.occurred_from):%-d %b %Y %H:%M} · {entry.kind_label}")
            for entry in queries.related_choices(client_id)]


def _details(form) -> services.IncidentDetails:
    return services.IncidentDetails(
        category_id=form.category_id.data or None, severity=form.severity.data,
        occurred_from=_utc(form.occurred_from), occurred_to=_utc(form.occurred_to),
        channel=form.channel.data, location=form.location.data or "",
        description=form.description.data or "", response=form.response.data or "",
        effect=form.effect.data or "", witnesses=form.witnesses.data or "",
        police_reference=form.police_reference.data or "", safety=form.safety.data,
        related_ids=form.related_ids.data or [],
    )


@bp.get("/clients/<int:client_id>/conduct")
@permission_required("conduct.view")
def client_conduct(client_id: int):
    client = _client_for("conduct.view", client_id)
    client_services.record_view(db.session, acting(), client, "conduct record", now=now())
    return render_template("practice/conduct/record.html", record=_record(client),
                           evidence_form=EvidenceForm(formdata=None))


def _record(client: Client) -> queries.ConductRecord:
    return queries.conduct_record(client.id, page=page_number(),
                                  all_communications=request.args.get("communications") == "all")


@bp.route("/clients/<int:client_id>/conduct/incidents/new", methods=["GET", "POST"])
@permission_required("conduct.record")
def new_incident(client_id: int):
    client = _client_for("conduct.record", client_id)
    form = IncidentForm()
    form.set_choices(queries.categories(), _related(client.id))
    if request.method == "GET":
        form.occurred_from.data = _local(now())
    if form.validate_on_submit():
        try:
            entry = services.record_incident(
                db.session, acting(), client, _details(form), _uploads(form),
                max_bytes=current_app.config["PRACTICE_ATTACHMENT_MAX_BYTES"], now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("The incident is recorded.", "success")
            return redirect(back_to() or url_for("conduct.client_conduct", client_id=client.id,
                                                 _anchor=f"entry-{entry.id}"))
    return render_template("practice/conduct/incident.html", form=form, client=client, entry=None), _status(form)


@bp.route("/conduct/entries/<int:entry_id>/correct", methods=["GET", "POST"])
@permission_required("conduct.record")
def correct(entry_id: int):
    original = queries.entry_for_page(entry_id) or abort(404)
    original = services.root_of(db.session, original)
    client = original.client
    require("conduct.record", client)
    incident = original.source == "manual"
    form = CorrectionForm() if incident else AutomaticCorrectionForm()
    if incident:
        form.set_choices(queries.categories(), _related(client.id))
        if request.method == "GET":
            _fill_from(form, original)
    if form.validate_on_submit():
        try:
            services.record_correction(
                db.session, acting(), original, reason=form.reason.data, withdrawn=form.withdrawn.data,
                details=_details(form) if incident else None, uploads=_uploads(form),
                max_bytes=current_app.config["PRACTICE_ATTACHMENT_MAX_BYTES"], now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("The correction is recorded beside the original entry.", "success")
            return redirect(url_for("conduct.client_conduct", client_id=client.id, _anchor=f"entry-{original.id}"))
    return render_template("practice/conduct/incident.html", form=form, client=client, entry=original), _status(form)


def _fill_from(form: CorrectionForm, entry: ConductEntry) -> None:
    for name in ("severity", "channel", "location", "description", "response", "effect",
                 "witnesses", "police_reference", "safety"):
        getattr(form, name).data = getattr(entry, name)
    form.category_id.data = entry.category_id
    form.occurred_from.data = _local(entry.occurred_from)
    form.occurred_to.data = _local(entry.occurred_to) if entry.occurred_to else None
    form.related_ids.data = entry.related


@bp.route("/clients/<int:client_id>/communications/new", methods=["GET", "POST"])
@permission_required("conduct.record")
def new_communication(client_id: int):
    client = _client_for("conduct.record", client_id)
    form = CommunicationForm()
    if request.method == "GET":
        form.occurred_at.data = _local(now())
    if form.validate_on_submit():
        try:
            services.record_communication(
                db.session, acting(), client, occurred_at=_utc(form.occurred_at),
                channel=form.channel.data, kind=form.kind.data, summary=form.summary.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("The communication is recorded.", "success")
            return redirect(back_to() or url_for("conduct.client_conduct", client_id=client.id,
                                                 _anchor="communications"))
    return render_template("practice/conduct/communication.html", form=form, client=client), _status(form)


@bp.get("/conduct/attachments/<int:attachment_id>")
@permission_required("conduct.view")
def attachment(attachment_id: int):
    found = db.session.get(Attachment, attachment_id) or abort(404)
    require("conduct.view", found.entry.client)
    client_services.record_view(db.session, acting(), found.entry.client, "attachment", now=now(),
                                attachment_id=found.id)
    # Always a download, never shown inline: a file from a client is not trusted content.
    response = Response(found.data, mimetype="application/octet-stream")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers.set("Content-Disposition", "attachment", filename=found.filename)
    return response


@bp.post("/clients/<int:client_id>/evidence")
@permission_required("conduct.view")
def evidence(client_id: int):
    """Queue the evidence report and follow it on its job page (a long record takes longer
    to lay out than a request may last)."""
    client = _client_for("conduct.view", client_id)
    form = EvidenceForm()
    if form.validate_on_submit():
        try:
            job = services.request_evidence_report(db.session, acting(), client, start=form.start.data,
                                                   end=form.end.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            return redirect(url_for("jobs.show", job_id=job.id))
    return render_template("practice/conduct/record.html", record=_record(client), evidence_form=form), 422


@bp.route("/settings/conduct-categories", methods=["GET", "POST"])
@permission_required("conduct.categories")
def categories():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            services.add_category(db.session, acting(), label=form.label.data,
                                  safety=form.safety.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"“{form.label.data.strip()}” is added.", "success")
            return redirect(url_for("conduct.categories"))
    all_categories = sorted(queries.categories(include_retired=True), key=lambda c: c.retired)
    return render_template("practice/conduct/categories.html", form=form, categories=all_categories,
                           confirm=ConfirmForm()), _status(form)


@bp.post("/settings/conduct-categories/<int:category_id>/retire")
@permission_required("conduct.categories")
def retire_category(category_id: int):
    category = db.get_or_404(IncidentCategory, category_id)
    if ConfirmForm().validate_on_submit():
        restore = request.form.get("restore") == "1"
        services.set_category_retired(db.session, acting(), category, not restore, now=now())
        flash(f"“{category.label}” is {'offered again' if restore else 'retired; entries keep it'}.", "success")
    return redirect(url_for("conduct.categories"))
