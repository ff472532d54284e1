"""The daily housekeeping job: what was kept only for a while is deleted once its while has
passed, so the database does not keep, for ever, details it no longer needs.

- sign-in attempts a day old (the throttle counts the last minutes) and online booking
  requests a day old (the public pages' limits count the last hour);
- sessions that ended 90 days ago (the audit trail keeps each sign-in and sign-out);
- holds of online bookings that never became a booking, a week after they expired or were
  refused: the name, e-mail, phone and note of someone who did not book;
- uploaded files nobody imported within a week, with their check's report.

Queued once a day by the worker while PRACTICE_HOUSEKEEPING_DAILY is on (the default)."""

from datetime import timedelta

from flask import current_app

from practice.auth import sessions, throttle
from practice.booking import services as booking
from practice.imports import services as imports
from practice.jobs.registry import JobContext, JobKind, register

ENDED_SESSIONS_KEPT = timedelta(days=90)
HOLDS_KEPT = timedelta(days=7)


def tidy_up(session, *, now) -> dict[str, int]:
    """Delete what has been kept long enough; how many of each were deleted."""
    return {
        "sign-in attempts": throttle.forget_attempts(session, before=now - timedelta(days=1)),
        "online booking requests": booking.forget_requests(session, before=now - timedelta(days=1)),
        "ended sessions": sessions.forget_ended(session, before=now - ENDED_SESSIONS_KEPT),
        "holds never booked": booking.forget_unbooked_holds(session, before=now - HOLDS_KEPT),
        "uploads never imported": imports.forget_abandoned(session, before=now - imports.ABANDONED_AFTER),
    }


def _run(ctx: JobContext) -> None:
    ctx.progress(0, 1, "Deleting what has been kept long enough")
    deleted = tidy_up(ctx.session, now=ctx.now)
    ctx.progress(1, 1, "; ".join(f"{what}: {count}" for what, count in deleted.items()))


def _daily_on(session) -> bool:
    return current_app.config["PRACTICE_HOUSEKEEPING_DAILY"]


HOUSEKEEPING = register(JobKind("practice.housekeeping", "Daily housekeeping", _run, max_attempts=3,
                                every=timedelta(days=1), wanted=_daily_on))
