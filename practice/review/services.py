"""Marking a practitioner's day reviewed."""

from datetime import date, datetime

from sqlalchemy import select

from practice.audit.services import Actor, record
from practice.auth.models import Practitioner
from practice.errors import DomainError
from practice.review.models import ReviewedDay
from practice.review.queries import unsettled
from practice.scheduling.services import local_day_bounds
from practice.settings.services import local_date, practice_zone


def mark_reviewed(session, actor: Actor, practitioner: Practitioner, day: date, *, now: datetime) -> ReviewedDay:
    """A day is reviewed once it has ended or is today, and nothing in it is left unmarked."""
    zone = practice_zone(session)
    if day > local_date(session, now):
        raise DomainError("A day can be reviewed once it has come.")
    _, end = local_day_bounds(day, zone)
    left = [a for a in unsettled(practitioner.id, min(now, end))
            if a.start_at.astimezone(zone).date() <= day]
    if left:
        raise DomainError(f"Settle the {len(left)} session{'s' if len(left) != 1 else ''} still "
                          "unmarked first: did the client arrive, or not come?")
    done = session.scalar(select(ReviewedDay).where(
        ReviewedDay.practitioner_id == practitioner.id, ReviewedDay.day == day))
    if done is not None:
        raise DomainError("This day is already marked reviewed.")
    reviewed = ReviewedDay(practitioner_id=practitioner.id, day=day, reviewed_at=now,
                           reviewed_by_id=actor.user.id if actor.user else None)
    session.add(reviewed)
    record(session, actor, "review.mark", practitioner, now=now, day=day.isoformat())
    session.flush()
    return reviewed
