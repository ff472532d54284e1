"""The one place that decides whether a user may do an action (on an object).

Views call `require`, templates call `can`; tests walk every route for every role."""

from functools import wraps

from flask import abort, current_app
from flask_login import current_user

from practice.auth.models import Role

ADMIN, PRACTITIONER, FRONT_DESK = Role.ADMIN, Role.PRACTITIONER, Role.FRONT_DESK
EVERYONE = frozenset(Role)

# action -> roles allowed to do it
RULES: dict[str, frozenset[Role]] = {
    "practice.view": EVERYONE,
    "practice.settings": frozenset({ADMIN}),
    "users.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
    "clients.view": EVERYONE,
    "clients.edit": EVERYONE,
    "clients.archive": frozenset({ADMIN, PRACTITIONER}),
    "clients.import": frozenset({ADMIN}),
    "clients.export": frozenset({ADMIN, PRACTITIONER}),
}


def can(user, action: str, obj=None) -> bool:
    """True when `user` may do `action` (on `obj`, for rules that depend on the object)."""
    if action not in RULES:
        raise KeyError(f"unknown permission {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return Role(user.role) in RULES[action]


def require(action: str, obj=None) -> None:
    """Abort with 403 unless the signed-in user may do `action`."""
    if not can(current_user, action, obj):
        abort(403)


def permission_required(action: str):
    """View decorator: sign-in page for visitors, 403 for users without the permission."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            require(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
