"""The job queue and the files jobs produce, both in the application's own database."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.auth.models import User
from practice.db import db

STATUSES = {
    "queued": "Waiting",
    "running": "Running",
    "failed": "Failed",
    "done": "Done",
    "cancelled": "Cancelled",
}
FINISHED = frozenset({"failed", "done", "cancelled"})


class Job(db.Model):
    """One piece of work for the worker: what to do (kind and payload), when it may run,
    how it went (attempts, last error, progress) and who holds it (the lease)."""

    __tablename__ = "job"
    __table_args__ = (
        # The worker's claim reads the due jobs in order of when they may run.
        Index("ix_job_status_run_after", "status", "run_after"),
        CheckConstraint(
            "status IN ('queued', 'running', 'failed', 'done', 'cancelled')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))  # what the pages call it
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # Enqueueing the same key twice gives back the first job (a reminder queued once).
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)  # tries started so far
    max_attempts: Mapped[int]
    run_after: Mapped[datetime]  # not before this moment (the next try, after a failure)
    last_error: Mapped[str] = mapped_column(Text, default="")
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    progress_message: Mapped[str] = mapped_column(String(200), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    started_at: Mapped[datetime | None]  # the latest try's start
    finished_at: Mapped[datetime | None]
    # The lease: the worker running the job and until when; an expired lease means the
    # worker died, and another one takes the job.
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None]

    requested_by: Mapped[User | None] = relationship()
    file: Mapped["JobFile | None"] = relationship(back_populates="job", uselist=False)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.progress_total:
            return 0
        return min(100, max(0, 100 * self.progress_done // self.progress_total))


class JobFile(db.Model):
    """The file a job made (a report, a batch of letters): kept in the database, like
    letters and attachments, so every app process can serve it."""

    __tablename__ = "job_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only to download
    created_at: Mapped[datetime]

    job: Mapped[Job] = relationship(back_populates="file")


class JobUpload(db.Model):
    """The file a job works on (an import's upload, checked and then imported by jobs): kept
    in the database, so whichever worker takes the job can read it."""

    __tablename__ = "job_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime]
