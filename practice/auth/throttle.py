"""The sign-in throttle: at most so many attempts per account and per address in a window.

Every attempt (a password, or a code from the second step) takes a place *before* it is
checked, in one short transaction that counts the recent attempts and records this one
under a lock. Parallel attempts therefore queue for the lock and never all pass the count
before any of them is recorded. A successful sign-in gives the places of its account back.

The place is written on its own connection and committed at once, deliberately outside the
request's unit of work: the request that made a failed attempt ends with an error response
and is rolled back, and the attempt must still count. The transaction holds nothing but the
count and the insert, so the lock is held for a moment, never during a password hash."""

import math
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from practice.auth.models import LoginAttempt
from practice.db import advisory_lock
from practice.errors import LoginThrottled
from practice.unit_of_work import separate_transaction

THROTTLE_LOCK_KEY = 4_240_011  # PostgreSQL advisory lock serialising the count and insert


def take_attempt(session, email: str, address: str, *, now: datetime, limits) -> None:
    """Record an attempt for `email` from `address`, or refuse with LoginThrottled when
    either already has its limit of attempts within the window.

    Call it before the request's own session writes anything (separate_transaction
    refuses otherwise)."""
    since = now - limits.window
    with separate_transaction(session) as connection:
        _lock(connection)
        for column, value, limit in (
            (LoginAttempt.email, email, limits.per_account),
            (LoginAttempt.address, address, limits.per_address),
        ):
            recent = connection.execute(
                select(func.count(), func.min(LoginAttempt.at))
                .where(column == value, LoginAttempt.at >= since)
            ).one()
            if recent[0] >= limit:
                raise LoginThrottled(_minutes_to_wait(recent[1], now, limits))
        connection.execute(insert(LoginAttempt).values(email=email, address=address, at=now))


def _lock(connection) -> None:
    """PostgreSQL: a transaction-scoped advisory lock (sign-ins are rare; one lock for all).
    SQLite: separate_transaction began IMMEDIATE, which already holds the write lock."""
    advisory_lock(connection, THROTTLE_LOCK_KEY)


def _minutes_to_wait(oldest: datetime, now: datetime, limits) -> int:
    remaining = (oldest + limits.window - now).total_seconds()
    return max(1, math.ceil(remaining / 60))


def give_back(session, email: str) -> None:
    """After a successful sign-in: the account's attempts no longer count (part of the
    request's unit of work, like the sign-in it belongs to)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))


def forget_attempts(session, *, before: datetime) -> int:
    """Delete attempts made before `before`, long past any window they count in."""
    return session.execute(delete(LoginAttempt).where(LoginAttempt.at < before)).rowcount
