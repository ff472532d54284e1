from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from practice.auth import invitations, queries, services, sessions, two_factor
from practice.auth.forms import (
    ConfirmForm,
    EditUserForm,
    LoginForm,
    NewUserForm,
    SecondFactorForm,
    SetPasswordForm,
    SetupForm,
)
from practice.auth.models import User
from practice.auth.permissions import permission_required
from practice.db import db
from practice.errors import DomainError, LoginThrottled
from practice.extensions import login_manager
from practice.web import acting, flash_refusal, local_target, now, show_error

bp = Blueprint("auth", __name__)

SESSION_TOKEN = "session_token"  # the key, in the signed cookie, of the server-side session
PENDING_SIGN_IN = "two_factor_pending"  # the password was right; the code is still to come
PENDING_FOR = timedelta(minutes=5)


@login_manager.user_loader
def load_user(user_id: str):
    """The user of this request's open server-side session (see practice.auth.sessions)."""
    if not user_id.isdigit():
        return None
    return sessions.signed_in_user(db.session, int(user_id), session.get(SESSION_TOKEN))


def session_token() -> str | None:
    return session.get(SESSION_TOKEN)


def sign_in(user: User) -> None:
    """Open a server-side session for `user` in this browser (the request commits it)."""
    end_this_session()
    session[SESSION_TOKEN] = sessions.start(db.session, user, address=request.remote_addr or "", now=now())
    login_user(user)


def end_this_session(because: str = "signed out") -> None:
    sessions.end(db.session, session.pop(SESSION_TOKEN, None), now=now(), because=because)
    logout_user()


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if not services.setup_needed(db.session):
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if request.method == "GET":
        form.timezone.data = form.timezone.data or "Europe/London"
        form.currency.data = form.currency.data or "GBP"
        form.phone_region.data = form.phone_region.data or "GB"
    if form.validate_on_submit():
        try:
            admin = services.setup_practice(
                db.session,
                form.details(),
                admin_name=form.admin_name.data,
                admin_email=form.admin_email.data,
                password=form.password.data,
                sees_clients=form.sees_clients.data,
                address=request.remote_addr or "",
                now=now(),
            )
        except DomainError as error:
            show_error(form, error)
        else:
            sign_in(admin)
            flash("Your practice is set up. Welcome!", "success")
            return redirect(url_for("main.index"))
    return render_template("practice/auth/setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session,
                form.email.data,
                form.password.data,
                address=request.remote_addr or "",
                now=now(),
                limits=current_app.extensions["practice"].login_limits,
            )
        except LoginThrottled as error:
            show_error(form, error)
            status = 429
        except DomainError as error:
            show_error(form, error)
        else:
            if user.two_factor_enabled:
                session[PENDING_SIGN_IN] = {"user": user.id, "at": now().timestamp(),
                                            "next": _safe_next()}
                return redirect(url_for("auth.second_factor"))
            sign_in(user)
            return redirect(_safe_next() or url_for("main.index"))
    return render_template("practice/auth/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    """The second step of signing in, for accounts with two-factor sign-in."""
    user = _pending_user()
    if user is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.complete_two_factor(
                db.session, user, form.code.data, address=request.remote_addr or "", now=now(),
                limits=current_app.extensions["practice"].login_limits,
            )
        except LoginThrottled as error:
            show_error(form, error)
            status = 429
        except DomainError as error:
            show_error(form, error)
            status = 422
        else:
            target = session.pop(PENDING_SIGN_IN).get("next")
            sign_in(user)
            return redirect(target or url_for("main.index"))
    return render_template("practice/auth/second_factor.html", form=form), status


def _pending_user() -> User | None:
    pending = session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if now().timestamp() - float(pending.get("at", 0)) > PENDING_FOR.total_seconds():
        session.pop(PENDING_SIGN_IN)
        return None
    user = db.session.get(User, pending["user"])
    return user if user is not None and user.active and user.two_factor_enabled else None


def _safe_next() -> str | None:
    """Only follow ?next= to a path on this site."""
    return local_target(request.args.get("next"))


@bp.post("/logout")
@login_required
def logout():
    """Ends this browser's session on the server: a copy of the cookie signs no one in."""
    end_this_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    app = current_app
    try:
        user = services.user_for_invitation(
            db.session, token, app.secret_key, app.extensions["practice"].invite_max_age
        )
    except DomainError as error:
        return render_template("practice/auth/invite_invalid.html", message=error.message), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(db.session, acting(), user, form.password.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            sign_in(user)
            flash("Your password is set. Welcome!", "success")
            return redirect(url_for("main.index"))
    return render_template("practice/auth/invite.html", form=form, user=user)


@bp.route("/users", methods=["GET", "POST"])
@permission_required("users.manage")
def users():
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session,
                acting(),
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data or None,
                credentials=form.credentials.data or "",
                now=now(),
            )
        except DomainError as error:
            show_error(form, error)
        else:
            if user.password_hash is None and _email_link(user, reset=False):
                flash(f"{user.name}'s invitation is on its way to {user.email}.", "success")
            else:
                flash(f"{user.name} can now sign in.", "success")
            return redirect(url_for("auth.edit_user", user_id=user.id))
    return render_template(
        "practice/auth/users.html", form=form, users=queries.users_for_admin()
    ), (422 if form.errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("users.manage")
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    if request.method == "GET" and user.practitioner:
        form.credentials.data = user.practitioner.credentials
    if form.validate_on_submit():
        try:
            services.update_user(
                db.session, acting(), user,
                name=form.name.data, role=form.role.data,
                credentials=form.credentials.data or "", now=now(),
                keep_session=session_token() if user.id == current_user.id else None,
            )
        except DomainError as error:
            show_error(form, error)
        else:
            flash("Saved.", "success")
            return redirect(url_for("auth.edit_user", user_id=user.id))
    invitation = None
    if user.password_hash is None and user.active:
        invitation = url_for(
            "auth.accept_invitation",
            token=services.invitation_token(user, current_app.secret_key),
            _external=True,
        )
    return render_template(
        "practice/auth/edit_user.html", form=form, user=user, invitation=invitation,
        confirm=ConfirmForm(),
    )


@bp.post("/users/<int:user_id>/two-factor/reset")
@permission_required("users.manage")
def reset_two_factor(user_id: int):
    """For someone who lost their phone and their recovery codes: they sign in with their
    password alone, and set two-factor sign-in up again."""
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    try:
        two_factor.reset_by_admin(db.session, acting(), user, now=now())
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(f"Two-factor sign-in is off for {user.name}. They can set it up again from "
              "their account page.", "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@permission_required("users.manage")
def set_user_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    activate = request.form.get("active") == "1"
    try:
        services.set_active(db.session, acting(), user, activate, now=now())
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(f"{user.name} is {'active' if activate else 'deactivated'}.", "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-link")
@permission_required("users.manage")
def password_reset_link(user_id: int):
    """A one-time link the user can follow to choose a new password."""
    user = db.get_or_404(User, user_id)
    if _email_link(user, reset=True):
        flash(f"A link to set a new password is on its way to {user.email} (valid for a week, once).", "success")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    link = url_for(
        "auth.accept_invitation",
        token=services.invitation_token(user, current_app.secret_key),
        _external=True,
    )
    flash(f"Send {user.name} this link to set a new password (valid for a week, once): {link}", "info")
    return redirect(url_for("auth.edit_user", user_id=user.id))


def _email_link(user: User, *, reset: bool) -> bool:
    """E-mail the invitation or reset link when e-mail is configured (False: it is not)."""
    return invitations.email_account_link(
        db.session, acting(), user, services.invitation_token(user, current_app.secret_key), reset=reset,
        valid_for=current_app.extensions["practice"].invite_max_age, now=now()) is not None
