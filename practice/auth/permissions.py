"""The one place that decides whether a user may do an action (on an object).

Views call `require`, templates call `can`; tests walk every route for every role."""

from collections.abc import Callable
from functools import partial, wraps

from flask import abort, current_app
from flask_login import current_user

from practice.auth.models import Role

ADMIN, PRACTITIONER, FRONT_DESK = Role.ADMIN, Role.PRACTITIONER, Role.FRONT_DESK
EVERYONE = frozenset(Role)

# action -> roles allowed to do it
RULES: dict[str, frozenset[Role]] = {
    "practice.view": EVERYONE,
    # One's own account (password, two-factor sign-in, signed-in browsers).
    "account.own": EVERYONE,
    "practice.settings": frozenset({ADMIN}),
    "users.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
    "clients.view": EVERYONE,
    "clients.edit": EVERYONE,
    "clients.archive": frozenset({ADMIN, PRACTITIONER}),
    "clients.import": frozenset({ADMIN}),
    "clients.export": frozenset({ADMIN, PRACTITIONER}),
    "appointments.view": EVERYONE,
    "appointments.book": EVERYONE,
    "appointments.front_desk": EVERYONE,  # check in, no-show, cancel, take payment
    "fees.waive": frozenset({ADMIN, PRACTITIONER}),
    # Put a check-in, no-show or cancellation back (with a reason): the front desk on the
    # day it was made, a practitioner later for their own sessions and their care team's
    # clients, an admin any time (see OBJECT_RULES).
    "appointments.undo": EVERYONE,
    "scheduling.settings": frozenset({ADMIN}),
    # Turn a practitioner's calendar feed URL on, replace or revoke it; a practitioner
    # only their own (see OBJECT_RULES).
    "feeds.manage": frozenset({ADMIN, PRACTITIONER}),
    # The practice's versioned policy set; any user may record that a client acknowledged it.
    "policies.manage": frozenset({ADMIN}),
    "policies.acknowledge": EVERYONE,
    # The client's record (conduct record, evidence report, communications, standing,
    # private notes, letters, referral records, who has looked): their care team and admins,
    # never the front desk (practice.clients.care_team; OBJECT_RULES below).
    "conduct.view": frozenset({ADMIN, PRACTITIONER}),
    "conduct.record": frozenset({ADMIN, PRACTITIONER}),
    "conduct.categories": frozenset({ADMIN}),
    "standing.set": frozenset({ADMIN, PRACTITIONER}),
    "booking.override": frozenset({ADMIN, PRACTITIONER}),  # book a moved-on/declined client
    "notes.write": frozenset({ADMIN, PRACTITIONER}),  # private notes: their author's alone
    # Give a practitioner access to a client's record, or take it back: the client's primary
    # practitioner and admins.
    "care.grant": frozenset({ADMIN, PRACTITIONER}),
    # Choose a client's primary practitioner (it adds to the care team): admins; the primary
    # practitioner; while there is none, the care team, which is everyone (the desk
    # included) while nobody has taken the client on.
    "clients.assign": EVERYONE,
    # Decide whether a record that matches a client who cannot be booked is the same person:
    # admins and the care team of the client who cannot be booked (the object).
    "identity.decide": frozenset({ADMIN, PRACTITIONER}),
    # The referral network: everyone reads the directory and records inquiries.
    "referrals.view": EVERYONE,
    "referrals.edit": frozenset({ADMIN, PRACTITIONER}),
    "referrals.refer": frozenset({ADMIN, PRACTITIONER}),
    # A referral's record (the need, the outcome and its notes): the client's care team.
    "referrals.record": frozenset({ADMIN, PRACTITIONER}),
    "inquiries.manage": EVERYONE,
    # A practitioner's capacity (accepting new clients, most active clients): admins, or
    # a practitioner their own (see OBJECT_RULES).
    "capacity.manage": frozenset({ADMIN, PRACTITIONER}),
    # The end-of-day review: a practitioner their own days, admins anyone's.
    "review.view": frozenset({ADMIN, PRACTITIONER}),
    # Letters: read the register, a letter and its PDF, and issue letters. A letter to a
    # client follows the client's care team; a reply to an inquiry is open to every
    # practitioner, as inquiries are (OBJECT_RULES). Admins edit the texts.
    "letters.view": frozenset({ADMIN, PRACTITIONER}),
    "letters.issue": frozenset({ADMIN, PRACTITIONER}),
    "letters.settings": frozenset({ADMIN}),
    # Reports (/reports): management figures, never the front desk (they count conduct and
    # compare practitioners; the desk's daily figures are on /today). A practitioner sees
    # their own figures (see OBJECT_RULES); the whole practice is for admins.
    "reports.view": frozenset({ADMIN, PRACTITIONER}),
    "reports.practice": frozenset({ADMIN}),
    # Background jobs: admins see the whole queue, retry and cancel. A job's own page and
    # file are for whoever asked for it and admins (see OBJECT_RULES), and also follow its
    # kind's rule (the evidence report: conduct.view on its client). No kind of job is the
    # front desk's yet; widen this when one is.
    "jobs.manage": frozenset({ADMIN}),
    "jobs.view": frozenset({ADMIN, PRACTITIONER}),
    # The outbox (every message with its addresses and the server's answers): admins, who
    # cancel a waiting message or send a failed one again. A client's consent to e-mail is
    # recorded by whoever edits client details (clients.edit).
    "messages.manage": frozenset({ADMIN}),
}


def _own_practitioner_record(user, practitioner) -> bool:
    return practitioner.user_id == user.id


def _asked_for_it(user, job) -> bool:
    return job.requested_by_id == user.id


def _in_care_team(user, client) -> bool:
    return _in_care_team_of(user, client.id)


def _in_care_team_of(user, client_id: int) -> bool:
    from practice.clients import care_team  # clients import auth

    return user.practitioner is not None and care_team.includes(user.practitioner.id, client_id)


def _reads_letter(user, letter) -> bool:
    return letter.client is None or _in_care_team(user, letter.client)


def _primary_practitioner(user, client) -> bool:
    return user.practitioner is not None and client.primary_practitioner_id == user.practitioner.id


def _assigns_practitioner(user, client) -> bool:
    """The primary practitioner; while there is none, anyone in the care team (which is
    every practitioner while nobody has taken the client on)."""
    if client.primary_practitioner_id is None:
        return _in_care_team(user, client)
    return _primary_practitioner(user, client)


def _undoes_same_day(user, appointment) -> bool:
    """The front desk undoes what was done today: a cancellation made today (whatever day
    it was for), or a check-in or no-show of today's session."""
    from zoneinfo import ZoneInfo

    from practice.clock import now
    from practice.web import practice_profile

    zone = ZoneInfo(practice_profile().timezone)
    changed = appointment.cancelled_at or appointment.start_at
    return changed.astimezone(zone).date() == now().astimezone(zone).date()


def _undoes_own_session(user, appointment) -> bool:
    # By the appointment's columns alone (Today asks this of plain rows, hundreds of them).
    return user.practitioner is not None and (
        appointment.practitioner_id == user.practitioner.id or _in_care_team_of(user, appointment.client_id))


def _desk_assigns_practitioner(user, client) -> bool:
    from practice.clients import care_team

    return care_team.nobody_has_taken_on(client)


# action -> {role: check(user, obj)}: where the role alone is not enough once the object is
# known. Without an object (a view's first check) the role decides.
OBJECT_RULES = {
    "feeds.manage": {PRACTITIONER: _own_practitioner_record},
    "capacity.manage": {PRACTITIONER: _own_practitioner_record},
    "review.view": {PRACTITIONER: _own_practitioner_record},
    "reports.view": {PRACTITIONER: _own_practitioner_record},
    **{action: {PRACTITIONER: _in_care_team}
       for action in ("conduct.view", "conduct.record", "standing.set", "booking.override", "notes.write",
                      "identity.decide", "referrals.record", "letters.issue")},
    "letters.view": {PRACTITIONER: _reads_letter},
    "care.grant": {PRACTITIONER: _primary_practitioner},
    "clients.assign": {PRACTITIONER: _assigns_practitioner, FRONT_DESK: _desk_assigns_practitioner},
    "jobs.view": {PRACTITIONER: _asked_for_it},
    "appointments.undo": {PRACTITIONER: _undoes_own_session, FRONT_DESK: _undoes_same_day},
}


def readable_clients(user, client_id):
    """SQL: the clients (by the `client_id` column) whose record `user` may open: the care
    team rule for lists (the letter register, the review, reports, referrals)."""
    from sqlalchemy import false, true

    from practice.clients import care_team

    if user is None or not user.is_authenticated or not user.is_active:
        return false()
    if user.role == ADMIN:
        return true()
    if user.role == PRACTITIONER and user.practitioner is not None:
        return care_team.clause(user.practitioner.id, client_id)
    return false()


def can(user, action: str, obj=None) -> bool:
    """True when `user` may do `action` (on `obj`, for rules that depend on the object)."""
    if action not in RULES:
        raise KeyError(f"unknown permission {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    role = Role(user.role)
    if role not in RULES[action]:
        return False
    check = OBJECT_RULES.get(action, {}).get(role)
    return obj is None or check is None or check(user, obj)


def can_each(user, action: str) -> Callable[[object], bool]:
    """can(user, action, obj) as a function of the object, with what the user alone decides
    (signed in, active, their role's rule) settled once: pages ask it of hundreds of rows."""
    if not can(user, action):
        return lambda obj: False
    check = OBJECT_RULES.get(action, {}).get(Role(user.role))
    return (lambda obj: True) if check is None else partial(check, user)


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
