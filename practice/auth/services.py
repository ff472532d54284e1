"""Accounts: first-run setup, sign-in with throttling, users and practitioner profiles."""

import functools
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from practice.audit.services import Actor, record
from practice.auth import sessions, throttle, two_factor
from practice.auth.models import Practitioner, Role, User
from practice.errors import DomainError
from practice.settings.models import PracticeProfile
from practice.settings.services import PracticeDetails, apply_details
from practice.validation import checked_email

MIN_PASSWORD_LENGTH = 10


def setup_needed(session) -> bool:
    return session.scalar(select(func.count()).select_from(User)) == 0


def normalise_email(email: str) -> str:
    """For look-ups: the form accounts are stored in, without judging the address."""
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            f"Use at least {MIN_PASSWORD_LENGTH} characters; a short phrase is easy to remember.",
            field="password",
        )


def setup_practice(
    session,
    details: PracticeDetails,
    *,
    admin_name: str,
    admin_email: str,
    password: str,
    sees_clients: bool,
    address: str,
    now: datetime,
) -> User:
    """Create the practice and its first admin. Only possible while no account exists."""
    if not setup_needed(session):
        raise DomainError("This practice is already set up. Please sign in.")
    check_password_strength(password)
    profile = PracticeProfile()
    apply_details(profile, details)
    session.add(profile)
    admin = _new_user(session, admin_email, admin_name, Role.ADMIN, password, now, email_field="admin_email", name_field="admin_name")
    if sees_clients:
        session.add(Practitioner(user=admin, display_name=admin.name))
    session.flush()
    actor = Actor(admin, address)
    record(session, actor, "practice.setup", profile, now=now, name=profile.name)
    record(session, actor, "user.create", admin, now=now, email=admin.email, role=admin.role)
    session.flush()
    return admin


def _new_user(
    session, email, name, role, password, now, email_field="email", name_field="name"
) -> User:
    email = checked_email(email, email_field)
    if not email:
        raise DomainError("Every account needs an e-mail address to sign in with.", field=email_field)
    if not name.strip():
        raise DomainError("Give the account a name.", field=name_field)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError("An account with this e-mail address already exists.", field=email_field)
    user = User(
        email=email,
        name=name.strip(),
        role=Role(role).value,
        password_hash=generate_password_hash(password) if password else None,
        active=True,
        created_at=now,
    )
    session.add(user)
    return user


def create_user(
    session,
    actor: Actor,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    credentials: str = "",
    now: datetime,
) -> User:
    """Create an account; the practitioner role also gets a practitioner profile.

    Without a password the account waits for its invitation link to be used."""
    if password:
        check_password_strength(password)
    user = _new_user(session, email, name, role, password, now)
    if user.role == Role.PRACTITIONER:
        session.add(Practitioner(user=user, display_name=user.name, credentials=credentials))
    session.flush()
    record(session, actor, "user.create", user, now=now, email=user.email, role=user.role)
    session.flush()
    return user


def authenticate(session, email: str, password: str, *, address: str, now: datetime, limits) -> User:
    """The first step of signing in: return the user whose password this is, or refuse.

    The attempt is counted before the password is checked (see practice.auth.throttle).
    An account without two-factor sign-in is signed in here; one with it still needs
    `complete_two_factor`. `limits` holds max attempts per account and per address within
    a window."""
    email = normalise_email(email)
    throttle.take_attempt(session, email, address, now=now, limits=limits)
    user = session.scalar(select(User).where(User.email == email))
    if not _password_matches(user, password):
        raise DomainError("That e-mail address and password do not match an active account.")
    if not user.two_factor_enabled:
        _signed_in(session, user, address, now, method="password")
    return user


def complete_two_factor(session, user: User, code: str, *, address: str, now: datetime, limits) -> None:
    """The second step: a code from the user's app or one of their recovery codes. Codes
    are throttled together with passwords, per account and per address."""
    throttle.take_attempt(session, user.email, address, now=now, limits=limits)
    method = two_factor.verify(session, Actor(user, address), user, code, now=now)
    _signed_in(session, user, address, now, method=f"password and {method}")


def _signed_in(session, user: User, address: str, now: datetime, *, method: str) -> None:
    throttle.give_back(session, user.email)
    record(session, Actor(user, address), "user.login", user, now=now, method=method)
    session.flush()


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password, spending the same hashing work whether or not the account
    exists, so the time a refusal takes does not tell which e-mail addresses have one."""
    if user is None or not user.active or not user.password_hash:
        check_password_hash(_dummy_password_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


@functools.cache
def _dummy_password_hash() -> str:
    """A hash made the way real ones are (the same method and cost), of no one's password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def change_own_password(session, actor: Actor, user: User, *, current: str, new: str,
                        keep_session: str | None, now: datetime) -> None:
    """A signed-in user changes their password; their other browsers are signed out."""
    if not (user.password_hash and check_password_hash(user.password_hash, current)):
        raise DomainError("That is not your current password.", field="current_password")
    set_password(session, actor, user, new, now=now, keep_session=keep_session)


def sign_out_everywhere(session, actor: Actor, user: User, *, now: datetime) -> int:
    """End every session of `user`, this browser's too."""
    ended = sessions.end_all(session, actor, user, because="signed out everywhere", now=now)
    record(session, actor, "user.sign_out_everywhere", user, now=now, sessions=ended)
    session.flush()
    return ended


def get_user(session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise DomainError("No such account.")
    return user


def _active_admins(session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    )


def update_user(
    session, actor: Actor, user: User, *, name: str, role: str, credentials: str, now: datetime,
    keep_session: str | None = None,
) -> None:
    """Rename, change role; keeps at least one active admin. A new role signs the user out
    everywhere (but for `keep_session`, the browser of a user changing their own role)."""
    role = Role(role).value
    if user.role == Role.ADMIN and role != Role.ADMIN and user.active and _active_admins(session) <= 1:
        raise DomainError("The practice needs at least one active admin.", field="role")
    changes = {}
    if user.name != name.strip():
        changes["name"] = [user.name, name.strip()]
        user.name = name.strip()
    if user.role != role:
        changes["role"] = [user.role, role]
        user.role = role
    if role == Role.PRACTITIONER and user.practitioner is None:
        session.add(Practitioner(user=user, display_name=user.name))
        changes["practitioner_profile"] = "created"
    if user.practitioner is not None and user.practitioner.credentials != credentials.strip():
        changes["credentials"] = [user.practitioner.credentials, credentials.strip()]
        user.practitioner.credentials = credentials.strip()
    if changes:
        record(session, actor, "user.update", user, now=now, **changes)
    if "role" in changes:
        sessions.end_all(session, actor, user, because="role changed", now=now, keep=keep_session)
    session.flush()


def set_active(session, actor: Actor, user: User, active: bool, *, now: datetime) -> None:
    if user.active == active:
        return
    if not active:
        if actor.user is not None and actor.user.id == user.id:
            raise DomainError("You cannot deactivate your own account.")
        if user.role == Role.ADMIN and _active_admins(session) <= 1:
            raise DomainError("The practice needs at least one active admin.")
    user.active = active
    record(session, actor, "user.activate" if active else "user.deactivate", user, now=now)
    if not active:
        sessions.end_all(session, actor, user, because="deactivated", now=now)
    session.flush()


def set_password(session, actor: Actor, user: User, password: str, *, now: datetime,
                 keep_session: str | None = None) -> None:
    """Set a new password; every session of the account ends but `keep_session`."""
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    record(session, actor, "user.password", user, now=now)
    sessions.end_all(session, actor, user, because="password changed", now=now, keep=keep_session)
    session.flush()


# Invitations: a signed link that sets the first password. Its payload includes the current
# password hash, so the link stops working once a password has been set.

def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="practice.invite")


def invitation_token(user: User, secret_key: str) -> str:
    return _serializer(secret_key).dumps([user.id, user.password_hash or ""])


def user_for_invitation(session, token: str, secret_key: str, max_age: timedelta) -> User:
    refused = DomainError("This invitation link is not valid any more. Ask an admin for a new one.")
    try:
        user_id, password_state = _serializer(secret_key).loads(
            token, max_age=int(max_age.total_seconds())
        )
    except (BadSignature, ValueError, TypeError):
        raise refused from None
    user = session.get(User, user_id)
    if user is None or not user.active or (user.password_hash or "") != password_state:
        raise refused
    return user
