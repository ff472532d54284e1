"""The worker behind `practice worker`: it takes due jobs from the queue and runs them, one
at a time, each in its own unit of work.

A job's life in transactions:
1. claim: a short transaction marks it running, counts the try and gives this worker a
   lease (locked_by / locked_until);
2. work: the handler runs in the job's own session; its writes, its file and the job's
   "done" commit together, or all roll back;
3. on failure, a short transaction keeps the error and either sets the next try (backoff
   with jitter) or fails the job for good.
Progress is written in its own short transactions as the work goes on, and renews the lease.
A worker that dies leaves its lease to run out; another worker then takes the job (and a
late "done" from the first is refused, so the work is never saved twice)."""

import logging
import os
import random
import signal
import socket
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from practice.db import db
from practice.errors import DomainError
from practice.jobs import services
from practice.jobs.models import Job
from practice.jobs.registry import JobContext, JobFailed, LeaseLost, kind_named, periodic_kinds
from practice.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, app, *, name: str | None = None, rng: random.Random | None = None):
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.rng = rng or random.Random()
        self.stopping = threading.Event()
        config = app.config
        self.lease = timedelta(seconds=float(config["PRACTICE_JOB_LEASE_SECONDS"]))
        self.poll_seconds = float(config["PRACTICE_WORKER_POLL_SECONDS"])
        self.retry_base = timedelta(seconds=float(config["PRACTICE_JOB_RETRY_SECONDS"]))
        self.retry_cap = timedelta(seconds=float(config["PRACTICE_JOB_RETRY_MAX_SECONDS"]))
        with app.app_context():
            self.engine = db.engine

    def now(self) -> datetime:
        return self.app.extensions["practice"].clock.now()

    def stop(self) -> None:
        """Finish the job in hand, then stop."""
        self.stopping.set()

    def run(self, *, once: bool = False, burst: bool = False) -> int:
        """Run jobs until stopped; `once`: at most one; `burst`: until none is due. Returns
        how many were run."""
        ran = 0
        while not self.stopping.is_set():
            if self.run_next():
                ran += 1
                if once:
                    break
            elif once or burst:
                break
            else:
                self.stopping.wait(self.poll_seconds)
        return ran

    def run_next(self) -> bool:
        """Claim the next due job and run it; False when none is due (or the database did
        not answer: the worker tries again after its pause rather than dying)."""
        try:
            claimed = self._claim()
        except OperationalError:
            log.warning("Could not look for due jobs (the database did not answer).", exc_info=True)
            return False
        if claimed is None:
            return False
        job_id, attempt, kind_name = claimed
        error = self._work(job_id, attempt, kind_named(kind_name))
        if error is not None:
            try:
                self._record_failure(job_id, attempt, error)
            except OperationalError:
                log.warning("Job %s: its failure could not be recorded; it is tried again when "
                            "its lease runs out.", job_id, exc_info=True)
        return True

    def _claim(self) -> tuple[int, int, str] | None:
        """(job id, try number, kind) of the job claimed, committed at once; periodic jobs
        whose time has come are queued first, in the same short transaction."""
        with self.app.app_context():
            wanted = [kind for kind in periodic_kinds() if kind.wanted is None or kind.wanted(db.session)]
            if wanted:
                services.schedule_periodic(db.session, wanted, now=self.now())
            job = services.claim_next(db.session, self.name, now=self.now(), lease=self.lease)
            claimed = (job.id, job.attempts, job.kind) if job else None
            db.session.commit()
        return claimed

    def _work(self, job_id: int, attempt: int, kind) -> Exception | None:
        """Run the handler as one unit of work with the job's "done"; the exception if it
        failed (the work rolled back)."""
        with self.app.app_context():
            session = db.session
            try:
                # Not IMMEDIATE on SQLite: a job may read and lay out pages for minutes, and
                # holding the write lock that long would stop every request that writes. Its
                # first write takes the lock; a job that must read what it then changes, as it
                # stands, takes the lock first (as booking's lock_schedule does).
                with unit_of_work(session, writes=False):
                    job = session.get(Job, job_id)
                    if kind is None:
                        raise JobFailed(f"This version of the application has no handler for “{job.kind}” jobs.")
                    kind.run(JobContext(
                        job=job, session=session, payload=dict(job.payload), now=self.now(),
                        attempt=attempt, separately=self.separately,
                        progress=lambda done, total, message="": self._progress(job_id, done, total, message),
                    ))
                    if not services.finish(session, job, self.name, now=self.now()):
                        raise LeaseLost()
            except LeaseLost:
                log.warning("Job %s was taken over by another worker; nothing of this try is saved.", job_id)
            except Exception as error:  # any failure is the job's: kept, and tried again
                log.exception("Job %s failed on try %s.", job_id, attempt)
                return error
            else:
                log.info("Job %s (%s) is done.", job_id, kind.name)
        return None

    def _record_failure(self, job_id: int, attempt: int, error: Exception) -> None:
        # A rule's refusal (and JobFailed) would refuse again: no more tries.
        permanent = isinstance(error, DomainError)
        message = error.message if permanent else f"{type(error).__name__}: {error}"
        retry_in = services.backoff(attempt, base=self.retry_base, cap=self.retry_cap,
                                    jitter=self.rng.random())
        with self.app.app_context():
            services.record_failure(db.session, job_id, self.name, message, permanent=permanent,
                                    now=self.now(), retry_in=retry_in)
            db.session.commit()

    def _progress(self, job_id: int, done: int, total: int, message: str) -> None:
        try:
            with self.separately() as session:
                held = services.record_progress(session, job_id, self.name, done, total, message,
                                                now=self.now(), lease=self.lease)
        except OperationalError:
            # SQLite, once the job's own transaction has written: the database is locked
            # until the job ends. Progress only informs; the work goes on.
            log.warning("Job %s: progress not saved (the database is busy).", job_id)
            return
        if not held:
            raise LeaseLost()

    @contextmanager
    def separately(self):
        """A session of its own, committed when the block ends (rolled back on error)."""
        with Session(self.engine) as session, session.begin():
            yield session


@contextmanager
def stop_on_signals(worker: Worker):
    """SIGINT (Ctrl-C) and SIGTERM let the job in hand finish, then stop the worker; a
    second signal stops it at once (the job's lease then runs out and another worker
    takes it)."""

    def handle(signum, frame):
        if worker.stopping.is_set():
            raise KeyboardInterrupt
        log.info("Stopping after the job in hand (signal again to stop at once).")
        worker.stop()

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
