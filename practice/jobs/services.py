"""Every write to the job queue. Services flush and never commit: an action that enqueues a
job commits it together with everything else it did, and the worker (worker.py) commits its
claims, progress and outcomes, each in its own short transaction."""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from practice.audit.services import Actor, record
from practice.errors import DomainError
from practice.jobs.models import FINISHED, Job, JobFile
from practice.jobs.registry import JobKind, kind_named

ERROR_LENGTH = 2000  # the last error as kept: enough to read, never a whole traceback
STOPPED = "The worker running it stopped before it finished, on each of its {attempts} tries."


def enqueue(session, kind: str, payload: dict, run_after: datetime | None = None, *, now: datetime,
            requested_by=None, title: str = "", max_attempts: int | None = None,
            key: str | None = None) -> Job:
    """Queue a job in the caller's transaction: it exists only if the caller commits.
    With a `key`, a job already queued under it (in any state) is returned instead."""
    found = kind_named(kind)
    if found is None:
        raise ValueError(f"no job kind {kind!r} is registered")
    if key is not None:
        existing = session.scalar(select(Job).where(Job.key == key))
        if existing is not None:
            return existing
    job = Job(
        kind=kind, title=(title or found.label)[:200], payload=payload, key=key, status="queued",
        attempts=0, max_attempts=max_attempts or found.max_attempts, run_after=run_after or now,
        requested_by_id=requested_by.id if requested_by else None, created_at=now,
    )
    session.add(job)
    session.flush()
    return job


# What admins do ----------------------------------------------------------------------------

def cancel(session, actor: Actor, job: Job, *, now: datetime) -> None:
    """Cancel a job that has not started (a running one finishes its try)."""
    cancelled = session.execute(
        update(Job).where(Job.id == job.id, Job.status == "queued")
        .values(status="cancelled", finished_at=now)
    ).rowcount
    if not cancelled:
        session.refresh(job)
        raise DomainError("It has started already: a job is cancelled only while it waits."
                          if job.status == "running" else "It has finished already.")
    record(session, actor, "job.cancel", job, now=now, kind=job.kind)


def retry(session, actor: Actor, job: Job, *, now: datetime) -> None:
    """Queue a failed job again, with a fresh set of tries; its last error stays in view
    until the next try."""
    queued = session.execute(
        update(Job).where(Job.id == job.id, Job.status == "failed")
        .values(status="queued", attempts=0, run_after=now, finished_at=None,
                progress_done=0, progress_total=0, progress_message="")
    ).rowcount
    if not queued:
        raise DomainError("Only a failed job can be tried again.")
    record(session, actor, "job.retry", job, now=now, kind=job.kind)


def record_download(session, actor: Actor, job: Job, *, now: datetime) -> None:
    """A job's file is read: who, which file, about what (the job's payload)."""
    record(session, actor, "job.download", job, now=now, kind=job.kind, filename=job.file.filename,
           sha256=job.file.sha256, about=job.payload)
    kind = kind_named(job.kind)
    if kind is not None and kind.downloaded is not None:
        kind.downloaded(session, actor, job, now)


# What the worker does ----------------------------------------------------------------------

def _begin_write(session) -> None:
    """SQLite: take the database's write lock before reading the queue (BEGIN IMMEDIATE), so
    two workers on one file claim one after the other. PostgreSQL claims with row locks."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _due(now: datetime):
    """Queued jobs whose time has come, and running jobs whose worker's lease has run out."""
    return or_(and_(Job.status == "queued", Job.run_after <= now),
               and_(Job.status == "running", Job.locked_until < now))


def periodic_key(kind: JobKind) -> str:
    return f"every:{kind.name}"


def schedule_periodic(session, kinds: list[JobKind], *, now: datetime) -> None:
    """Queue each periodic kind whose period has passed since it last finished: its one row
    (under the key every:<kind>) is queued again, or made the first time. Runs inside the
    worker's claim (SQLite: BEGIN IMMEDIATE); two PostgreSQL workers making the first row at
    once leave one, the other's insert being undone to its savepoint."""
    _begin_write(session)
    for kind in kinds:
        job = session.scalar(select(Job).where(Job.key == periodic_key(kind)).with_for_update())
        if job is None:
            try:
                with session.begin_nested():
                    enqueue(session, kind.name, {}, now=now, key=periodic_key(kind))
            except IntegrityError:
                pass  # another worker made it a moment ago
        elif job.status in FINISHED and job.finished_at <= now - kind.every:
            job.status, job.attempts, job.run_after, job.finished_at = "queued", 0, now, None
            job.progress_done = job.progress_total = 0
    session.flush()


def claim_next(session, worker: str, *, now: datetime, lease: timedelta) -> Job | None:
    """Take the next due job for `worker` until `now + lease`. PostgreSQL: FOR UPDATE SKIP
    LOCKED, so several workers each take a different job; SQLite: inside BEGIN IMMEDIATE.
    The caller commits at once."""
    _begin_write(session)
    while True:
        job = session.scalar(
            select(Job).where(_due(now)).order_by(Job.run_after, Job.id).limit(1)
            .with_for_update(skip_locked=True)
        )
        if job is None:
            return None
        if job.status == "running" and job.attempts >= job.max_attempts:
            # Its worker died on the last try it had.
            _close(job, "failed", STOPPED.format(attempts=job.attempts), now)
            session.flush()
            continue
        job.status, job.attempts = "running", job.attempts + 1
        job.locked_by, job.locked_until = worker, now + lease
        job.started_at, job.finished_at = now, None
        session.flush()
        return job


def _close(job: Job, status: str, error: str, now: datetime) -> None:
    job.status, job.last_error, job.finished_at = status, error[:ERROR_LENGTH], now
    job.locked_by = job.locked_until = None


def _held_by(job_id: int, worker: str):
    return (Job.id == job_id, Job.locked_by == worker, Job.status == "running")


def record_progress(session, job_id: int, worker: str, done: int, total: int, message: str, *,
                    now: datetime, lease: timedelta) -> bool:
    """Note how far the job has got, and renew the worker's lease. False when the job is no
    longer this worker's (its lease ran out and another worker took it)."""
    return session.execute(
        update(Job).where(*_held_by(job_id, worker))
        .values(progress_done=max(done, 0), progress_total=max(total, 0),
                progress_message=message[:200], locked_until=now + lease)
    ).rowcount == 1


def keep_file(session, job: Job, filename: str, media_type: str, data: bytes, *,
              now: datetime) -> JobFile:
    file = JobFile(job=job, filename=filename[:200], media_type=media_type, size=len(data),
                   sha256=hashlib.sha256(data).hexdigest(), data=data, created_at=now)
    session.add(file)
    session.flush()
    return file


def finish(session, job: Job, worker: str, *, now: datetime) -> bool:
    """Mark the job done in the transaction of its work. False (and the caller rolls the work
    back) when the job is no longer this worker's."""
    return session.execute(
        update(Job).where(*_held_by(job.id, worker))
        .values(status="done", finished_at=now, last_error="", locked_by=None, locked_until=None,
                progress_done=Job.progress_total)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def backoff(attempt: int, *, base: timedelta, cap: timedelta, jitter: float) -> timedelta:
    """The wait before the next try: doubling from `base` up to `cap`, then somewhere in its
    upper half (`jitter` in [0, 1)), so that jobs failing together do not retry together."""
    delay = min(base * 2 ** max(attempt - 1, 0), cap)
    return delay * (0.5 + jitter / 2)


def record_failure(session, job_id: int, worker: str, error: str, *, permanent: bool,
                   now: datetime, retry_in: timedelta) -> Job | None:
    """After a try failed (its work rolled back): the error, and either the next try's time
    or, when the job is out of tries or cannot succeed, its failure. None when the job is no
    longer this worker's."""
    _begin_write(session)
    job = session.scalar(select(Job).where(*_held_by(job_id, worker)).with_for_update())
    if job is None:
        return None
    if permanent or job.attempts >= job.max_attempts:
        _close(job, "failed", error, now)
    else:
        _close(job, "queued", error, now)
        job.finished_at, job.run_after = None, now + retry_in
    session.flush()
    return job
