"""Two-factor sign-in: codes from an authenticator app (TOTP, RFC 6238, by pyotp) and
one-time recovery codes for the day the phone is lost.

Setting up takes two steps: a secret is made and shown (as a QR code drawn here, and as
text), and it only counts once the user types a code their app shows for it. Every change
is audited. Services flush; the request commits."""

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash

from practice.audit.services import Actor, record
from practice.auth.models import RecoveryCode, Role, User
from practice.errors import DomainError

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing that reads as another
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 3, 4  # "k7pq-3mxa-9tzr": about 60 bits
# Roles that open conduct records: the ones the practice may require a second factor of.
ROLES_IT_CAN_BE_REQUIRED_OF = frozenset({Role.ADMIN, Role.PRACTITIONER})
WRONG_CODE = "That code is not right. Type the 6 digits your app shows now, or a recovery code."


def required_of(user: User, practice_requires: bool) -> bool:
    """True when `user` must set up two-factor sign-in before doing anything else."""
    return (practice_requires and not user.two_factor_enabled
            and Role(user.role) in ROLES_IT_CAN_BE_REQUIRED_OF)


# Setting up -------------------------------------------------------------------------------

def begin(session, actor: Actor, user: User, *, now: datetime) -> None:
    """Make a new secret for `user` to add to their app; it is not used until confirmed."""
    if user.two_factor_enabled:
        raise DomainError("Two-factor sign-in is already on. Turn it off first to start again.")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    session.flush()
    record(session, actor, "two_factor.setup_started", user, now=now)


def provisioning_uri(user: User, issuer: str) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_svg(uri: str) -> Markup:
    """The setup address as an SVG QR code, made here (nothing is fetched)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, light="#fff", svgclass="qr-code", title="QR code for your authenticator app"
    )
    return Markup(svg)


def confirm(session, actor: Actor, user: User, code: str, *, now: datetime) -> list[str]:
    """Turn two-factor sign-in on once `code` matches the new secret; returns the recovery
    codes, shown to the user this once (only their hashes are kept)."""
    if user.totp_secret is None or user.two_factor_enabled:
        raise DomainError("Start setting up two-factor sign-in again.", field="code")
    step = _accepted_step(user, _digits(code), now)
    if step is None:
        raise DomainError("That code does not match. Check the time on your phone and type the "
                          "6 digits the app shows now.", field="code")
    user.totp_last_step = step
    user.two_factor_enabled_at = now
    codes = _new_recovery_codes(session, user, now)
    session.flush()
    record(session, actor, "two_factor.enable", user, now=now, recovery_codes=len(codes))
    return codes


def disable(session, actor: Actor, user: User, password: str, *, now: datetime) -> None:
    """Turn two-factor sign-in off; the user proves it is them with their password."""
    if not (user.password_hash and check_password_hash(user.password_hash, password)):
        raise DomainError("That is not your current password.", field="password")
    _switch_off(session, user)
    record(session, actor, "two_factor.disable", user, now=now)


def reset_by_admin(session, actor: Actor, user: User, *, now: datetime) -> None:
    """For a user who lost both their phone and their recovery codes."""
    if user.totp_secret is None:
        raise DomainError(f"{user.name} does not use two-factor sign-in.")
    _switch_off(session, user)
    record(session, actor, "two_factor.reset", user, now=now)


def _switch_off(session, user: User) -> None:
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


# Signing in -----------------------------------------------------------------------------

def verify(session, actor: Actor, user: User, code: str, *, now: datetime) -> str:
    """Check the second step of a sign-in. Returns "app" or "recovery code"; a recovery
    code is used up, and an app code cannot be used twice. Raises DomainError otherwise."""
    if not user.two_factor_enabled:
        raise DomainError(WRONG_CODE, field="code")
    digits = _digits(code)
    if re.fullmatch(r"\d{6}", digits):
        step = _accepted_step(user, digits, now)
        if step is None:
            raise DomainError(WRONG_CODE, field="code")
        user.totp_last_step = step
        session.flush()
        return "app"
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _digest(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not used:
        raise DomainError(WRONG_CODE, field="code")
    record(session, actor, "two_factor.recovery_code_used", user, now=now,
           left=recovery_codes_left(session, user))
    return "recovery code"


def recovery_codes_left(session, user: User) -> int:
    return session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def _accepted_step(user: User, digits: str, now: datetime) -> int | None:
    """The time step whose code `digits` is: this one or a neighbour (phone clocks drift),
    never one at or before the last accepted step (a code is good once)."""
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _digits(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def _normalised(code: str) -> str:
    return re.sub(r"[^0-9a-z]", "", (code or "").lower())


def _digest(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def _new_recovery_codes(session, user: User, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        groups = ("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
                  for _ in range(RECOVERY_GROUPS))
        code = "-".join(groups)
        session.add(RecoveryCode(user_id=user.id, code_hash=_digest(code), created_at=now))
        codes.append(code)
    return codes
