"""An import's page: the check's progress, then its report a page at a time with the button
to import; then the import's progress and its outcome. Thin: rules live in services."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from practice.auth.forms import ConfirmForm
from practice.auth.permissions import permission_required
from practice.db import db
from practice.errors import DomainError
from practice.imports import queries, services
from practice.imports.registry import importer_named
from practice.jobs.views import job_for_viewer
from practice.web import acting, flash_refusal, now, page_number

bp = Blueprint("imports", __name__, url_prefix="/imports")


def _import_job(job_id: int):
    """The check or import job, if the user asked for it (or is an admin) and may import."""
    job = job_for_viewer(job_id)
    if job.kind not in (services.CHECK, services.RUN):
        abort(404)
    return job, importer_named(job.payload["importer"]) or abort(404)


@bp.get("/<int:job_id>")
@permission_required("jobs.view")
def show(job_id: int):
    job, importer = _import_job(job_id)
    report = queries.report_of(db.session, job) if job.status == "done" else None
    imported = (queries.job_with_key(db.session, services.import_key(job))
                if job.kind == services.CHECK and report else None)
    return render_template("practice/imports/show.html", job=job, importer=importer, report=report,
                           page=report.page(page_number()) if report else None, imported=imported,
                           confirm=ConfirmForm(), now=now(), abandoned_days=services.ABANDONED_AFTER.days)


@bp.post("/<int:job_id>/import")
@permission_required("jobs.view")
def confirm(job_id: int):
    """Import the checked file: queue the import job and follow it."""
    job, _ = _import_job(job_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("imports.show", job_id=job.id))
    try:
        queued = services.confirm(db.session, acting(), job, now=now())
    except DomainError as error:
        flash_refusal(error)
        return redirect(url_for("imports.show", job_id=job.id))
    flash("The import has started. This page follows it.", "info")
    return redirect(url_for("imports.show", job_id=queued.id))
