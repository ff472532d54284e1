"""What /healthz reports about the database: whether it answers and, on SQLite, whether its
file is intact.

SQLite's `PRAGMA quick_check` reads every page, so it runs at most once per
PRACTICE_HEALTH_CHECK_SECONDS in each app process, and health checks in between get the
last answer. (PostgreSQL keeps its own files whole; answering is what is checked there.)"""

import time

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

OK, DAMAGED, UNREACHABLE = "ok", "damaged", "unreachable"


def database_state(session) -> str:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:  # the request answers 503 and rolls back
        return UNREACHABLE
    if session.get_bind().dialect.name != "sqlite":
        return OK
    return _sqlite_file_state(session)


def _sqlite_file_state(session) -> str:
    last = current_app.extensions.setdefault("practice.integrity", {})
    if last and time.monotonic() - last["at"] < current_app.config["PRACTICE_HEALTH_CHECK_SECONDS"]:
        return last["state"]
    try:
        # quick_check(1): stop at the first problem; one is enough to say "damaged".
        answer = session.execute(text("PRAGMA quick_check(1)")).scalar()
    except SQLAlchemyError:  # "database disk image is malformed" before the check can finish
        answer = None
    state = OK if answer == "ok" else DAMAGED
    last.update(at=time.monotonic(), state=state)
    return state
