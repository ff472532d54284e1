"""Small helpers shared by the views of every domain."""

from flask import flash, g, request
from flask_login import current_user

from practice import clock
from practice.audit.services import Actor
from practice.errors import DomainError
from practice.unit_of_work import discard_changes


def acting() -> Actor:
    """The signed-in user and their address, for services to audit."""
    user = current_user if current_user.is_authenticated else None
    return Actor(user._get_current_object() if user else None, request.remote_addr or "")


def now():
    return clock.now()


def practice_profile():
    """The practice's profile, read once per request (the layout and hooks share it)."""
    if "practice_profile" not in g:
        from practice.db import db
        from practice.settings.services import get_practice

        g.practice_profile = get_practice(db.session)
    return g.practice_profile


def show_error(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it concerns (or at the top of the form).
    The refused action leaves nothing: what it did so far is discarded."""
    discard_changes()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def flash_refusal(error: DomainError) -> None:
    """A one-click action was refused: say why on the next page; nothing of it is kept."""
    discard_changes()
    flash(error.message, "danger")


MAX_PAGE = 100_000  # beyond this the OFFSET would overflow the database's integers


def page_number() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def local_target(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None: the guard for ?next= and
    "back to" fields. Control characters and backslashes are refused outright, because
    browsers and werkzeug drop or rewrite them, which can turn "/\t/evil" into "//evil"."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ord(char) < 32 or char in "\\\x7f" for char in target):
        return None
    return target
