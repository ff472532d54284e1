"""Accounts: first-run setup, sign-in with throttling, users and practitioner profiles."""

import math
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from practice.audit.services import Actor, record
from practice.auth.models import LoginAttempt, Practitioner, Role, User
from practice.errors import DomainError, LoginThrottled
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


SIGN_IN_FAILED = "That e-mail address and password do not match an active account."


def authenticate(session, email: str, password: str, *, address: str, now: datetime, limits) -> User | None:
    """Return the user for good credentials, or None after recording the failed attempt
    (a failure is a record to keep, not a refusal to undo); refuse while throttled.

    `limits` holds max failures per account and per address within a window."""
    email = normalise_email(email)
    since = now - limits.window
    _refuse_when_throttled(session, email, address, since, now, limits)
    user = session.scalar(select(User).where(User.email == email))
    if user and user.active and user.password_hash and check_password_hash(user.password_hash, password):
        session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        record(session, Actor(user, address), "user.login", user, now=now)
        session.flush()
        return user
    session.add(LoginAttempt(email=email, address=address, at=now))
    session.flush()
    return None


def _refuse_when_throttled(session, email, address, since, now, limits) -> None:
    recent = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since)
    for column, value, limit in (
        (LoginAttempt.email, email, limits.per_account),
        (LoginAttempt.address, address, limits.per_address),
    ):
        if session.scalar(recent.where(column == value)) >= limit:
            oldest = session.scalar(
                select(func.min(LoginAttempt.at)).where(column == value, LoginAttempt.at >= since)
            )
            remaining = (oldest + limits.window - now).total_seconds()
            wait = max(1, math.ceil(remaining / 60))
            raise LoginThrottled(wait)


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
    session, actor: Actor, user: User, *, name: str, role: str, credentials: str, now: datetime
) -> None:
    """Rename, change role; keeps at least one active admin."""
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
    session.flush()


def set_password(session, actor: Actor, user: User, password: str, *, now: datetime) -> None:
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    record(session, actor, "user.password", user, now=now)
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
