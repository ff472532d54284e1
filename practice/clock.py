"""The one source of "now". Tests replace the app's clock with a FixedClock."""

from datetime import datetime, timedelta, timezone

from flask import current_app


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


def now() -> datetime:
    """The current app's clock (views pass this into services as `now`)."""
    return current_app.extensions["practice"].clock.now()
