"""The job pages: the queue for admins (retry, cancel), and each job's own page with its
progress and, when done, its file. Thin: rules live in services and the permission table."""

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
    url_for,
)

from practice.auth.forms import ConfirmForm
from practice.auth.permissions import permission_required, require
from practice.db import db
from practice.errors import DomainError
from practice.jobs import queries, services
from practice.jobs.models import STATUSES, Job
from practice.jobs.registry import kind_named
from practice.web import acting, flash_refusal, local_target, now, page_number

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _job_for_viewer(job_id: int) -> Job:
    """The job, if the signed-in user asked for it (or is an admin) and may still see what
    it is about."""
    job = queries.job_for_page(job_id) or abort(404)
    require("jobs.view", job)
    kind = kind_named(job.kind)
    if kind is not None and kind.access is not None:
        require(*kind.access(job.payload))
    return job


@bp.get("/")
@permission_required("jobs.manage")
def index():
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    page = queries.jobs_page(page_number(), current_app.config["PRACTICE_PAGE_SIZE"], status)
    return render_template("practice/jobs/index.html", page=page, status=status, statuses=STATUSES,
                           counts=queries.status_counts(), confirm=ConfirmForm(), now=now())


@bp.get("/<int:job_id>")
@permission_required("jobs.view")
def show(job_id: int):
    job = _job_for_viewer(job_id)
    kind = kind_named(job.kind)
    back = kind.back(job.payload) if kind is not None and kind.back is not None else None
    result = kind.result(job.payload) if job.status == "done" and kind is not None and kind.result else None
    if result:
        return redirect(result)
    return render_template("practice/jobs/show.html", job=job, back=back, confirm=ConfirmForm(),
                           now=now())


@bp.get("/<int:job_id>/progress.json")
@permission_required("jobs.view")
def progress(job_id: int):
    """What the job page polls while the job waits or runs."""
    job = _job_for_viewer(job_id)
    response = jsonify(status=job.status, status_label=job.status_label, done=job.progress_done,
                       total=job.progress_total, percent=job.percent, message=job.progress_message,
                       finished=job.finished)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:job_id>/file")
@permission_required("jobs.view")
def download(job_id: int):
    job = _job_for_viewer(job_id)
    if job.file is None:  # kept only with the job's "done"
        abort(404)
    services.record_download(db.session, acting(), job, now=now())
    file = job.file
    response = Response(file.data, mimetype=file.media_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # A PDF the application made opens in the browser; anything else is saved.
    disposition = "inline" if file.media_type == "application/pdf" else "attachment"
    response.headers.set("Content-Disposition", disposition, filename=file.filename)
    return response


def _after_action():
    return redirect(local_target(request.form.get("next")) or url_for("jobs.index"))


@bp.post("/<int:job_id>/retry")
@permission_required("jobs.manage")
def retry(job_id: int):
    job = db.get_or_404(Job, job_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.retry(db.session, acting(), job, now=now())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(f"“{job.title}” is queued again.", "success")
    return _after_action()


@bp.post("/<int:job_id>/cancel")
@permission_required("jobs.manage")
def cancel(job_id: int):
    job = db.get_or_404(Job, job_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.cancel(db.session, acting(), job, now=now())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash(f"“{job.title}” is cancelled.", "success")
    return _after_action()
