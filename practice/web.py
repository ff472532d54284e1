"""Small helpers shared by the views of every domain."""

from datetime import date
from typing import TYPE_CHECKING

from flask import abort, flash, request
from flask_login import current_user

from practice import clock
from practice.errors import DomainError
from practice.localtime import OUT_OF_RANGE, TimeHappensTwice, parse_day
from practice.unit_of_work import discard_changes
from practice.validation import database_id

if TYPE_CHECKING:
    from practice.audit.services import Actor


def acting() -> "Actor":
    """The signed-in user and their address, for services to audit."""
    # Imported here: the referral network uses this module on sites without the practice's tables.
    from practice.audit.services import Actor

    user = current_user if current_user.is_authenticated else None
    return Actor(user._get_current_object() if user else None, request.remote_addr or "")


def now():
    return clock.now()


def practice_profile():
    """The practice's profile (read once per unit of work: see settings.services.get_practice)."""
    from practice.db import db
    from practice.settings.services import get_practice

    return get_practice(db.session)


def show_error(form, error: DomainError) -> None:
    """Put a service's refusal next to the field it concerns (or at the top of the form).
    The refused action leaves nothing: what it did so far is discarded. A local time that
    happens twice also gets its question: which one."""
    discard_changes()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
        if isinstance(error, TimeHappensTwice) and hasattr(field, "fold_choices"):
            field.fold_choices = error.choices
    else:
        form.form_errors.append(error.message)


def flash_refusal(error: DomainError) -> None:
    """A one-click action was refused: say why on the next page; nothing of it is kept."""
    discard_changes()
    flash(error.message, "danger")


def id_arg(name: str) -> int | None:
    """An id from the query string; None when it is absent or empty. One that cannot be the
    id of anything (junk, negative, too large) is a 404: no such record."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    return database_id(raw) or abort(404)


def day_arg(name: str) -> date | None:
    """A date (YYYY-MM-DD) from the query string; None when it is absent or empty. Anything
    else is a 400 that says what a date looks like here."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    return parse_day(raw) or abort(400, f"Write the date as YYYY-MM-DD, e.g. 2026-11-30. {OUT_OF_RANGE}")


MAX_PAGE = 100_000  # beyond this the OFFSET would overflow the database's integers


def page_number() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def back_to() -> str | None:
    """The page an action was started from (`next`, in the query string or the form), to
    return to once it is done: the review's next-step card sends its actions out this way
    and gets them back. Only a path on this site (local_target)."""
    return local_target(request.values.get("next"))


def local_target(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None: the guard for ?next= and
    "back to" fields. Control characters and backslashes are refused outright, because
    browsers and werkzeug drop or rewrite them, which can turn "/\t/evil" into "//evil"."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ord(char) < 32 or char in "\\\x7f" for char in target):
        return None
    return target
