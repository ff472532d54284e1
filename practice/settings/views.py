from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for

from practice.auth.forms import ConfirmForm
from practice.auth.permissions import permission_required
from practice.db import db
from practice.errors import DomainError
from practice.settings import services
from practice.settings.forms import LogoForm, PracticeDetailsForm, TwoFactorRequiredForm
from practice.web import acting, now, show_error

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@permission_required("practice.settings")
def index():
    profile = services.get_practice(db.session)
    form = PracticeDetailsForm(obj=profile)
    if form.validate_on_submit():
        try:
            services.update_details(db.session, acting(), form.details(), now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("The practice details are saved.", "success")
            return redirect(url_for("settings.index"))
    return _render(form, LogoForm(prefix="logo"))


def _render(form, logo_form):
    status = 422 if form.errors or form.form_errors or logo_form.errors else 200
    profile = services.get_practice(db.session)
    two_factor_form = TwoFactorRequiredForm(
        formdata=None, prefix="signin", data={"require_two_factor": profile.require_two_factor})
    return render_template(
        "practice/settings/index.html", form=form, logo_form=logo_form, confirm=ConfirmForm(),
        two_factor_form=two_factor_form,
    ), status


@bp.post("/sign-in")
@permission_required("practice.settings")
def two_factor():
    """Whether admins and practitioners must sign in with a second factor."""
    form = TwoFactorRequiredForm(prefix="signin")
    if form.validate_on_submit():
        required = services.require_two_factor(db.session, acting(), form.require_two_factor.data, now=now())
        flash("Admins and practitioners now sign in with a second factor; anyone without one sets it up first."
              if required else "A second factor is now each person's own choice.", "success")
    return redirect(url_for("settings.index"))


@bp.post("/logo")
@permission_required("practice.settings")
def upload_logo():
    logo_form = LogoForm(prefix="logo")
    if logo_form.validate_on_submit():
        try:
            services.set_logo(
                db.session, acting(), logo_form.logo.data.read(),
                max_bytes=current_app.config["PRACTICE_LOGO_MAX_BYTES"], now=now(),
            )
        except DomainError as error:
            show_error(logo_form, error)
        else:
            flash("The logo is saved.", "success")
            return redirect(url_for("settings.index"))
    return _render(PracticeDetailsForm(obj=services.get_practice(db.session)), logo_form)


@bp.post("/logo/remove")
@permission_required("practice.settings")
def remove_logo():
    if ConfirmForm().validate_on_submit():
        services.remove_logo(db.session, acting(), now=now())
        flash("The logo is removed.", "success")
    return redirect(url_for("settings.index"))


@bp.get("/logo")
@permission_required("practice.view")
def logo():
    profile = services.get_practice(db.session)
    if profile is None or profile.logo is None:
        abort(404)
    return Response(
        profile.logo,
        mimetype=profile.logo_media_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )
