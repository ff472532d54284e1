"""One unit of work per action: a web request, a CLI command or a background job changes the
session through the services (which only add and flush) and commits once at its end, or
rolls back everything on any error or refusal. Domain events are Blinker signals sent inside
that transaction, so an action and all it causes are saved together or not at all.

- A request: `install(app)` commits when the view returned a response below 400 (a page, a
  redirect, a file) and nothing was refused; anything else rolls back. A view that shows a
  refusal calls `practice.web.show_error` or `practice.web.flash_refusal`, which discard
  what the action did at once (`discard_changes`), so the page shows what is stored.
- A CLI command: decorate it with `@one_unit_of_work`.
- A background job, or any other caller of the services:

      with unit_of_work(db.session):
          services.check_in(db.session, SYSTEM, appointment, None, now=now)

  Enter it before the session's first statement: it begins the transaction itself.

On SQLite a unit of work that writes begins `BEGIN IMMEDIATE`, taking the database's write
lock before its first read: what it reads stays true until it commits, and it never has to
upgrade a read transaction to a write one (which SQLite refuses with "database is locked"
once another writer has committed in between). Other sessions keep sqlite3's own behaviour.
A page's request (GET, HEAD) writes only records of the reading itself (who opened a record,
who downloaded a file); on SQLite it commits without waiting for the disk (`lazy_commit`).
On PostgreSQL each statement sees what others committed (READ COMMITTED); rules that need a
lock take it explicitly (the booking's schedule row, the conduct chain's advisory lock)."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from practice.db import db

_writing: ContextVar[bool] = ContextVar("practice_unit_of_work_writes", default=False)
_lazy: ContextVar[bool] = ContextVar("practice_unit_of_work_lazy_commit", default=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writing() -> bool:
    """Whether the current unit of work writes (SQLite begins it IMMEDIATE)."""
    return _writing.get()


def lazy_commit() -> bool:
    """Whether the current unit of work is a page's request, whose commit need not wait for
    the disk: what a GET writes is a record of the reading (practice.clients.services.
    record_view, a download's record), and a power cut that loses the last of those loses no
    one's work. Everything a user does (a form, a command, a job) commits durably."""
    return _lazy.get()


@contextmanager
def unit_of_work(session, *, writes: bool = True) -> Iterator:
    """Commit what the block did once it ends, or roll all of it back if it raises."""
    current = session() if isinstance(session, scoped_session) else session
    if current.in_transaction():
        raise RuntimeError("unit_of_work() begins the session's transaction: commit or roll "
                           "back the one already open first")
    token = _writing.set(writes)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _writing.reset(token)


def one_unit_of_work(command):
    """A CLI command as one unit of work on db.session."""

    @wraps(command)
    def run(*args, **kwargs):
        with unit_of_work(db.session):
            return command(*args, **kwargs)

    return run


@contextmanager
def separate_transaction(session) -> Iterator:
    """A short transaction on a connection of its own, committed at once whatever becomes
    of the unit of work around it: for the few records that must outlive a refusal (a
    failed sign-in attempt). On SQLite it begins IMMEDIATE; the unit of work's own
    transaction is first given up, which is safe only while it has written nothing, since
    SQLite has one write lock per database and the two would wait on each other."""
    current = session() if isinstance(session, scoped_session) else session
    if current.info.get(_WROTE):
        raise RuntimeError("separate_transaction() after the unit of work has written")
    current.rollback()
    token = _writing.set(True)
    try:
        with current.get_bind().connect() as connection:
            yield connection
            connection.commit()
    finally:
        _writing.reset(token)


_WROTE = "practice_unit_of_work_wrote"


@event.listens_for(Session, "after_flush")
def _note_writes(session, _flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def discard_changes() -> None:
    """The action was refused (or failed): nothing it did so far is kept, and the request
    commits nothing after this."""
    _request_session().rollback()
    g.practice_changes_discarded = True


def _request_session():
    """The session of the app's own Flask-SQLAlchemy: practice.db.db in the practice; the
    host's on a site that runs the referral network without the practice (referrals.init_app)."""
    return current_app.extensions["sqlalchemy"].session


def install(app, blueprint: str | None = None) -> None:
    """Make each request to `app` (or only to `blueprint` on a host app) one unit of work.
    The hooks run first before the request and last after it."""
    app.before_request_funcs.setdefault(blueprint, []).insert(0, _begin)
    app.after_request_funcs.setdefault(blueprint, []).insert(0, _commit_or_roll_back)
    app.teardown_request_funcs.setdefault(blueprint, []).append(_end)


def _begin() -> None:
    reading = request.method in SAFE_METHODS
    g.practice_unit_of_work = _writing.set(not reading), _lazy.set(reading)


def _commit_or_roll_back(response):
    session = _request_session()
    if response.status_code >= 400 or g.get("practice_changes_discarded"):
        session.rollback()
        return response
    try:
        session.commit()
    except BaseException:
        # The error page that follows reads through a usable session; nothing was saved.
        discard_changes()
        raise
    return response


def _end(_error=None) -> None:
    """Always: roll back whatever was not committed (an exception, a response that never
    reached the hook above), and forget the request's write flag."""
    _request_session().rollback()
    tokens = g.pop("practice_unit_of_work", None)
    if tokens is not None:
        _writing.reset(tokens[0])
        _lazy.reset(tokens[1])
