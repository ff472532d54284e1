"""Your own account: password, two-factor sign-in and the browsers signed in to it."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from practice.auth import services, sessions, two_factor
from practice.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ConfirmTwoFactorForm,
    CurrentPasswordForm,
)
from practice.auth.permissions import permission_required
from practice.auth.views import end_this_session, session_token
from practice.db import db
from practice.errors import DomainError
from practice.web import acting, flash_refusal, now, practice_profile, show_error

bp = Blueprint("account", __name__, url_prefix="/account")

# Reachable while a user the practice requires two-factor sign-in of has not set it up yet.
# The calendar feed opens by its token, not by a sign-in: a browser's sign-in changes nothing
# there, and asking about it would read the user and the practice on every calendar poll.
OPEN_WHILE_SETTING_UP = {"auth.logout", "static", "bootstrap.static", "main.healthz", "feeds.feed"}


@bp.before_app_request
def send_to_two_factor_setup():
    """Admins and practitioners of a practice that requires a second factor set it up
    before anything else: a sign-in without it opens nothing but this blueprint."""
    if request.blueprint == bp.name or request.endpoint in OPEN_WHILE_SETTING_UP:
        return None
    if not current_user.is_authenticated:
        return None
    profile = practice_profile()
    if profile is not None and two_factor.required_of(current_user, profile.require_two_factor):
        return redirect(url_for("account.two_factor_setup"))
    return None


def _user():
    return current_user._get_current_object()


def _render_index(password_form=None, disable_form=None):
    user = _user()
    forms = {
        "password_form": password_form or ChangePasswordForm(prefix="password"),
        "disable_form": disable_form or CurrentPasswordForm(prefix="disable"),
    }
    status = 422 if any(form.errors or form.form_errors for form in forms.values()) else 200
    return render_template(
        "practice/auth/account.html", user=user, confirm=ConfirmForm(),
        other_sessions=sessions.open_elsewhere(db.session, user, session_token()),
        recovery_codes_left=two_factor.recovery_codes_left(db.session, user),
        **forms,
    ), status


@bp.get("/")
@permission_required("account.own")
def index():
    return _render_index()


@bp.post("/password")
@permission_required("account.own")
def change_password():
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        try:
            services.change_own_password(
                db.session, acting(), _user(), current=form.current_password.data,
                new=form.password.data, keep_session=session_token(), now=now(),
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Your password is changed. Any other browser signed in as you is signed out.",
                  "success")
            return redirect(url_for("account.index"))
    return _render_index(password_form=form)


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(url_for("account.index"))
    services.sign_out_everywhere(db.session, acting(), _user(), now=now())
    end_this_session(because="signed out everywhere")
    flash("You are signed out on every browser and device, this one too.", "info")
    return redirect(url_for("auth.login"))


# Two-factor sign-in -------------------------------------------------------------------------

@bp.get("/two-factor")
@permission_required("account.own")
def two_factor_setup():
    """Start, or finish, setting up two-factor sign-in."""
    user = _user()
    if user.two_factor_enabled:
        return redirect(url_for("account.index"))
    return _render_setup(ConfirmTwoFactorForm())


def _render_setup(form, status=200):
    user = _user()
    profile = practice_profile()
    qr_code = secret = None
    if user.totp_secret:
        qr_code = two_factor.qr_code_svg(two_factor.provisioning_uri(user, profile.name))
        secret = " ".join(user.totp_secret[i:i + 4] for i in range(0, len(user.totp_secret), 4))
    required = two_factor.required_of(user, profile.require_two_factor)
    return render_template(
        "practice/auth/two_factor_setup.html", form=form, confirm=ConfirmForm(), qr_code=qr_code,
        secret=secret, required=required,
    ), status


@bp.post("/two-factor/start")
@permission_required("account.own")
def start_two_factor():
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(url_for("account.two_factor_setup"))
    try:
        two_factor.begin(db.session, acting(), _user(), now=now())
    except DomainError as error:
        flash_refusal(error)
        return redirect(url_for("account.index"))
    return redirect(url_for("account.two_factor_setup"))


@bp.post("/two-factor/confirm")
@permission_required("account.own")
def confirm_two_factor():
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm(db.session, acting(), _user(), form.code.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            # Shown this once: only the codes' hashes are kept.
            return render_template("practice/auth/recovery_codes.html", codes=codes)
    if not _user().totp_secret:
        return redirect(url_for("account.two_factor_setup"))
    return _render_setup(form, status=422)


@bp.post("/two-factor/disable")
@permission_required("account.own")
def disable_two_factor():
    """Turn two-factor sign-in off (or drop a setup not finished), with the password."""
    if not _user().totp_secret:
        flash("Two-factor sign-in is already off.", "info")
        return redirect(url_for("account.index"))
    form = CurrentPasswordForm(prefix="disable")
    if form.validate_on_submit():
        try:
            two_factor.disable(db.session, acting(), _user(), form.password.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Two-factor sign-in is off. Your password alone now signs you in.", "info")
            return redirect(url_for("account.index"))
    return _render_index(disable_form=form)
