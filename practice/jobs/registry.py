"""The kinds of job the worker knows, and what a job's code receives when it runs.

A domain registers its kinds when it is imported (see `practice/app.py`):

    register(JobKind("conduct.evidence_report", "Evidence report", make_evidence_report,
                     access=lambda payload: ("conduct.view", client_of(payload))))

A handler does its work through `ctx.session`, which the worker commits once when the
handler returns and rolls back if it raises: the work and the job's "done" are saved
together. Raise `JobFailed` for a failure that another try cannot mend (it is failed at
once); any other exception is retried later with backoff.

Report progress before writing: SQLite lets one connection write at a time, so once the
job's own transaction has written, progress (saved on a second connection) waits for the
job to end and is skipped."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from practice.errors import DomainError


class JobFailed(DomainError):
    """A permanent failure: the job is failed at once, with this message."""


class LeaseLost(Exception):
    """Another worker has taken the job over (this one was presumed dead): stop, save nothing."""


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str  # "Evidence report"
    run: Callable[["JobContext"], None]
    max_attempts: int = 5
    # (action, object) the user must also be allowed, beyond having asked for the job, to
    # see it and download its file: the evidence report follows the client's conduct record.
    access: Callable[[dict], tuple[str, Any]] | None = None
    # (label, url) of the page the job's page leads back to; called inside a request.
    back: Callable[[dict], tuple[str, str]] | None = None
    # The page a done job's page gives way to (its URL, called inside a request; None: stay):
    # a batch of letters shows its result page.
    result: Callable[[dict], str | None] | None = None
    # downloaded(session, actor, job, now): what else a download of the file records (the
    # evidence report is a look at the client's record, listed on it).
    downloaded: Callable[..., None] | None = None
    # A kind that runs by itself every `every` (the reminder scheduler), while `wanted(session)`
    # says it has work to do (e-mail is configured). Its one row is queued again once it has
    # finished and its period has passed: the queue does not grow by a row a minute.
    every: timedelta | None = None
    wanted: Callable[[Any], bool] | None = None


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> JobKind | None:
    return KINDS.get(name)


def periodic_kinds() -> list[JobKind]:
    return [kind for kind in KINDS.values() if kind.every is not None]


@dataclass
class JobContext:
    """What a handler gets: the job's own unit of work, its payload, the moment it started,
    a progress callback and a way to keep the file it makes."""

    job: Any  # the Job row, in `session`
    session: Any
    payload: dict
    now: datetime
    attempt: int  # 1 on the first try
    # progress(done, total, message): saved at once in its own short transaction, so the
    # job's page shows it while the work goes on; it also renews the lease.
    progress: Callable[[int, int, str], None]
    # separately(): a session committed on its own, for the few facts that must be saved
    # before an outside effect (an e-mail's Message-ID before it is sent). It must not touch
    # rows this job's own transaction has written (they stay locked until the job ends).
    separately: Callable[[], AbstractContextManager]

    def keep_file(self, filename: str, media_type: str, data: bytes):
        """The file the job made; it is saved with the job's "done"."""
        from practice.jobs.services import keep_file

        return keep_file(self.session, self.job, filename, media_type, data, now=self.now)
