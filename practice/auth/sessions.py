"""Sessions kept on the server: a signed-in browser holds a token, the database its hash.

A request is signed in only while its session's row is open, so a session can be ended
from the server: signing out, "sign out everywhere", a password change or reset, a role
change and deactivation each close rows, and a copy of the cookie stops working."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, func, select, update

from practice.audit.services import Actor, record
from practice.auth.models import User, UserSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session, user: User, *, address: str, now: datetime) -> str:
    """Open a session for `user` and return the token the browser keeps."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_digest(token), address=address[:64],
                            started_at=now, ended_because=""))
    session.flush()
    return token


def signed_in_user(session, user_id: int, token: str | None) -> User | None:
    """The active user whose open session holds `token` (one query), else None."""
    if not token:
        return None
    return session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, User.active, UserSession.token_hash == _digest(token),
               UserSession.ended_at.is_(None))
    )


def end(session, token: str | None, *, now: datetime, because: str = "signed out") -> None:
    """Close the session holding `token` (signing out)."""
    if token:
        session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
            .values(ended_at=now, ended_because=because)
        )


def end_all(session, actor: Actor, user: User, *, because: str, now: datetime,
            keep: str | None = None) -> int:
    """Close every open session of `user` except the one holding `keep` (the browser that
    asked, when it is the user's own); audited when any was open. Returns how many."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep:
        query = query.where(UserSession.token_hash != _digest(keep))
    ended = session.execute(query.values(ended_at=now, ended_because=because)).rowcount
    if ended:
        record(session, actor, "user.sessions_ended", user, now=now, because=because, sessions=ended)
    return ended


def open_elsewhere(session, user: User, token: str | None) -> int:
    """How many other browsers are signed in to `user`'s account."""
    query = select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if token:
        query = query.where(UserSession.token_hash != _digest(token))
    return session.scalar(query)


def forget_ended(session, *, before: datetime) -> int:
    """Delete sessions that ended before `before` (the audit trail keeps the sign-ins)."""
    return session.execute(delete(UserSession).where(UserSession.ended_at < before)).rowcount
