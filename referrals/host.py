"""What the blueprint needs from the application it runs in: the clock, the acting user, the
practice's "today", and the permission check.

Inside the practice app these come from the practice (its FixedClock in tests, its time
zone, practice.auth.permissions). On another Flask app, `referrals.init_app(app, can=...)`
supplies them; without a `can`, reading the directory is allowed and nothing else."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import wraps
from zoneinfo import ZoneInfo

from flask import abort, current_app, request

from practice.audit.services import Actor

READ_ONLY = frozenset({"referrals.view"})


def _read_only(action: str, obj=None) -> bool:
    return action in READ_ONLY


@dataclass
class HostState:
    """Kept in app.extensions["referrals"] on an app that is not the practice."""

    can: Callable[[str, object], bool] = _read_only
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    timezone: str = "UTC"
    actor: Callable[[], Actor] | None = None


def _host() -> HostState | None:
    """None inside the practice app, which answers every question itself."""
    if "practice" in current_app.extensions and "referrals" not in current_app.extensions:
        return None
    return current_app.extensions.setdefault("referrals", HostState())


def in_practice() -> bool:
    return _host() is None


def now() -> datetime:
    host = _host()
    if host is None:
        from practice import clock

        return clock.now()
    return host.now()


def zone(session) -> ZoneInfo:
    host = _host()
    if host is None:
        from practice.settings.services import practice_zone

        return practice_zone(session)
    return ZoneInfo(host.timezone)


def today(session) -> date:
    if _host() is None:
        from practice.settings.services import local_date

        return local_date(session, now())
    return now().astimezone(zone(session)).date()


def actor() -> Actor:
    host = _host()
    if host is None:
        from practice.web import acting

        return acting()
    return host.actor() if host.actor else Actor(None, request.remote_addr or "")


def current_user_id() -> int | None:
    user = actor().user
    return user.id if user is not None else None


def allowed(action: str, obj=None) -> bool:
    host = _host()
    if host is None:
        from flask_login import current_user

        from practice.auth.permissions import can

        return can(current_user, action, obj)
    return bool(host.can(action, obj))


def readable_clients(client_id):
    """SQL: the clients (by the `client_id` column) whose referral records the signed-in user
    may read: the practice's care team rule; on another app, all or none, as its `can`
    answers for "referrals.record"."""
    from sqlalchemy import false, true

    if _host() is None:
        from flask_login import current_user

        from practice.auth.permissions import readable_clients as practice_rule

        return practice_rule(current_user, client_id)
    return true() if allowed("referrals.record") else false()


def require(action: str, obj=None) -> None:
    if not allowed(action, obj):
        abort(403)


def permission_required(action: str):
    """Like practice.auth.permissions.permission_required (used as it is inside the
    practice app: sign-in page for visitors, 403 otherwise); on another app the host's
    `can` decides."""
    from practice.auth.permissions import permission_required as practice_guard

    def decorator(view):
        guarded = practice_guard(action)(view)

        @wraps(view)
        def wrapped(*args, **kwargs):
            if in_practice():
                return guarded(*args, **kwargs)
            require(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
