"""The job runner: jobs queued in the action's transaction, claimed by one worker each,
retried with backoff, failed after their last try, taken over when their worker dies, with
progress visible while they run; the queue's pages and the `practice worker` command."""

import os
import signal
import sys
import threading
from datetime import timedelta
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from flask import current_app

from practice.audit.models import AuditEvent
from practice.audit.services import Actor
from practice.conduct import services as conduct_services
from practice.db import db
from practice.jobs import registry, services
from practice.jobs.models import Job, JobFile
from practice.jobs.registry import JobFailed, JobKind
from practice.jobs.worker import Worker
from practice.serve import FULL_COLLECTION_EVERY, serve_commands, supervise
from tests.conftest import NOW, make_app

LEASE = timedelta(seconds=600)  # the default PRACTICE_JOB_LEASE_SECONDS


class Jitter:
    """A stand-in for random.Random: the same draw every time."""

    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


def make_worker(name="worker-a", jitter=0.5) -> Worker:
    return Worker(current_app._get_current_object(), name=name, rng=Jitter(jitter))


def run_jobs(**options) -> int:
    return make_worker(**options).run(burst=True)


def clock():
    return current_app.extensions["practice"].clock


def fresh(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


@pytest.fixture
def kinds(monkeypatch):
    """Register kinds of job for one test: kinds("name", handler, max_attempts=...)."""

    def add(name, handler, **options):
        kind = JobKind(name, name.replace("_", " ").capitalize(), handler, **options)
        monkeypatch.setitem(registry.KINDS, name, kind)
        return kind

    return add


def queue(kind="test_job", payload=None, **options) -> Job:
    job = services.enqueue(db.session, kind, payload or {}, now=NOW, **options)
    db.session.commit()
    return job


# Queued in the action's transaction --------------------------------------------------------

def test_a_job_queued_in_a_transaction_that_rolls_back_is_not_there(app, practice, kinds):
    kinds("test_job", lambda ctx: None)
    services.enqueue(db.session, "test_job", {"n": 1}, now=NOW)
    db.session.rollback()
    assert count(Job) == 0
    services.enqueue(db.session, "test_job", {"n": 2}, now=NOW)
    db.session.commit()
    assert [job.payload for job in db.session.scalars(sa.select(Job))] == [{"n": 2}]


def test_a_job_queued_under_a_key_is_queued_once(app, practice, kinds):
    kinds("test_job", lambda ctx: None)
    first = queue(key="reminder:appointment-7:48h")
    again = queue(key="reminder:appointment-7:48h")
    assert again.id == first.id and count(Job) == 1


def test_an_unknown_kind_cannot_be_queued(app, practice):
    with pytest.raises(ValueError, match="no job kind"):
        services.enqueue(db.session, "no_such_kind", {}, now=NOW)


# Running, retrying, failing ----------------------------------------------------------------

def test_a_job_runs_once_and_its_work_commits_with_its_done(app, practice, kinds):
    seen = []

    def handler(ctx):
        seen.append((ctx.payload, ctx.attempt, ctx.now))
        ctx.keep_file("hello.txt", "text/plain", b"hello")

    kinds("test_job", handler)
    job = queue(payload={"greeting": "hello"})
    assert run_jobs() == 1
    assert run_jobs() == 0  # nothing left
    job = fresh(job.id)
    assert seen == [({"greeting": "hello"}, 1, NOW)]
    assert (job.status, job.attempts, job.locked_by, job.finished_at) == ("done", 1, None, NOW)
    assert (job.file.filename, job.file.media_type, job.file.size, job.file.data) == ("hello.txt", "text/plain", 5, b"hello")


def test_a_job_that_fails_twice_then_succeeds_is_retried_with_backoff(app, practice, kinds):
    tries = []

    def flaky(ctx):
        tries.append(ctx.attempt)
        ctx.keep_file("partial.txt", "text/plain", b"half done")  # rolled back with the failure
        if len(tries) < 3:
            raise ConnectionError(f"printer unreachable ({len(tries)})")

    kinds("test_job", flaky)
    job = queue()
    # Retry base 30 s: the first wait is 15-30 s, the second 30-60 s; jitter 0.5 gives 3/4.
    assert run_jobs(jitter=0.5) == 1
    job = fresh(job.id)
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.last_error == "ConnectionError: printer unreachable (1)"
    assert job.run_after == NOW + timedelta(seconds=22.5)
    assert count(JobFile) == 0
    assert run_jobs() == 0  # not due yet

    clock().advance(seconds=23)
    assert run_jobs(jitter=0.0) == 1
    job = fresh(job.id)
    assert (job.status, job.attempts, job.run_after) == ("queued", 2, clock().now() + timedelta(seconds=30))
    assert job.last_error == "ConnectionError: printer unreachable (2)"

    clock().advance(seconds=30)
    assert run_jobs() == 1
    job = fresh(job.id)
    assert (job.status, job.attempts, job.last_error) == ("done", 3, "")
    assert tries == [1, 2, 3]
    assert count(JobFile) == 1


def test_backoff_doubles_up_to_its_cap_and_jitters_in_its_upper_half():
    base, cap = timedelta(seconds=30), timedelta(hours=1)
    delays = [services.backoff(attempt, base=base, cap=cap, jitter=1.0) for attempt in range(1, 10)]  # the top
    assert [round(d.total_seconds()) for d in delays] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert services.backoff(3, base=base, cap=cap, jitter=0.0) == timedelta(seconds=60)


def test_a_job_out_of_tries_is_failed_with_its_error(app, practice, kinds):
    def broken(ctx):
        raise ValueError("the template has no page size")

    kinds("test_job", broken, max_attempts=2)
    job = queue()
    run_jobs()
    clock().advance(hours=1)
    run_jobs()
    job = fresh(job.id)
    assert (job.status, job.attempts, job.finished_at) == ("failed", 2, clock().now())
    assert job.last_error == "ValueError: the template has no page size"
    clock().advance(days=1)
    assert run_jobs() == 0  # failed for good


def test_a_permanent_failure_is_not_tried_again(app, practice, kinds):
    def refused(ctx):
        raise JobFailed("The client's record is not there any more.")

    kinds("test_job", refused)
    job = queue()
    run_jobs()
    job = fresh(job.id)
    assert (job.status, job.attempts, job.last_error) == ("failed", 1, "The client's record is not there any more.")


def test_a_job_of_a_kind_this_version_does_not_know_fails_with_a_reason(app, practice, kinds):
    kinds("retired_kind", lambda ctx: None)
    job = queue("retired_kind")
    del registry.KINDS["retired_kind"]
    run_jobs()
    job = fresh(job.id)
    assert job.status == "failed" and "no handler" in job.last_error


# Several workers, and workers that die -------------------------------------------------------

def test_two_workers_never_run_the_same_job(app, practice, kinds):
    # Each worker's first job waits at the barrier until the other holds one too: the two
    # are certainly working at the same time, each on its own job.
    both_busy = threading.Barrier(2, timeout=30)
    runs, lock, first_of = [], threading.Lock(), set()

    def handler(ctx):
        name = ctx.job.locked_by
        with lock:
            runs.append((ctx.job.id, name))
            first = name not in first_of
            first_of.add(name)
        if first:
            both_busy.wait()

    kinds("test_job", handler)
    ids = [queue(payload={"n": n}).id for n in range(12)]
    workers = [make_worker(name) for name in ("worker-a", "worker-b")]
    threads = [threading.Thread(target=worker.run, kwargs={"burst": True}) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(job_id for job_id, _ in runs) == ids  # each job ran, and only once
    assert {name for _, name in runs} == {"worker-a", "worker-b"}
    assert count(Job, Job.status == "done") == len(ids)


def test_a_job_whose_worker_died_is_taken_over_when_its_lease_runs_out(app, practice, kinds):
    ran = []
    kinds("test_job", lambda ctx: ran.append(ctx.job.locked_by))
    job = queue()
    # The first worker claims the job and dies: nothing more is heard from it.
    claimed = services.claim_next(db.session, "died", now=NOW, lease=LEASE)
    db.session.commit()
    assert claimed.id == job.id

    assert run_jobs(name="survivor") == 0  # its lease still holds
    clock().advance(seconds=LEASE.total_seconds() + 1)
    assert run_jobs(name="survivor") == 1
    job = fresh(job.id)
    assert (job.status, job.attempts, ran) == ("done", 2, ["survivor"])

    # Should the first worker come back to life, nothing it does counts any more.
    assert not services.finish(db.session, job, "died", now=clock().now())
    assert not services.record_progress(db.session, job.id, "died", 1, 2, "late", now=clock().now(), lease=LEASE)
    assert services.record_failure(db.session, job.id, "died", "late", permanent=False, now=clock().now(),
                                   retry_in=LEASE) is None
    db.session.commit()
    assert fresh(job.id).status == "done"


def _taken_over_by_another_worker(ctx):
    """While this worker works, its lease runs out and another worker takes the job."""
    clock().advance(seconds=LEASE.total_seconds() + 1)
    with ctx.separately() as session:
        services.claim_next(session, "other", now=clock().now(), lease=LEASE)


def test_a_worker_whose_job_was_taken_over_saves_none_of_its_work(app, practice, kinds):
    def slow(ctx):
        _taken_over_by_another_worker(ctx)
        ctx.keep_file("late.txt", "text/plain", b"late")

    kinds("test_job", slow)
    job = queue()
    assert make_worker("slow").run_next()
    job = fresh(job.id)
    assert (job.status, job.locked_by, job.attempts, job.last_error) == ("running", "other", 2, "")
    assert count(JobFile) == 0


def test_progress_tells_a_worker_its_job_was_taken_over(app, practice, kinds):
    went_on = []

    def slow(ctx):
        _taken_over_by_another_worker(ctx)
        ctx.progress(1, 2, "still going")
        went_on.append(True)

    kinds("test_job", slow)
    job = queue()
    make_worker("slow").run_next()
    assert not went_on
    assert fresh(job.id).locked_by == "other"


def test_a_job_whose_worker_died_on_its_last_try_is_failed(app, practice, kinds):
    kinds("test_job", lambda ctx: None, max_attempts=1)
    job = queue()
    services.claim_next(db.session, "died", now=NOW, lease=LEASE)
    db.session.commit()
    clock().advance(seconds=LEASE.total_seconds() + 1)
    assert run_jobs() == 0
    job = fresh(job.id)
    assert job.status == "failed" and "stopped before it finished" in job.last_error


# Progress ------------------------------------------------------------------------------------

def test_progress_is_visible_while_the_job_runs(app, client, users, login, kinds):
    login(users["practitioner"])
    seen = []

    def long_work(ctx):
        ctx.progress(1, 4, "Reading the record")
        seen.append(client.get(f"/jobs/{ctx.job.id}/progress.json").get_json())
        ctx.progress(3, 4, "Writing 12 pages")
        seen.append(client.get(f"/jobs/{ctx.job.id}").get_data(as_text=True))

    kinds("test_job", long_work)
    job = queue(requested_by=users["practitioner"])
    run_jobs()
    assert seen[0] == {"status": "running", "status_label": "Running", "done": 1, "total": 4, "percent": 25,
                       "message": "Reading the record", "finished": False}
    assert "Writing 12 pages (3 of 4)" in seen[1] and 'aria-valuenow="75"' in seen[1]
    assert fresh(job.id).percent == 100


# Periodic jobs -------------------------------------------------------------------------------

def test_a_periodic_job_runs_once_a_period_on_one_row_while_it_is_wanted(app, practice, kinds):
    ran, wanted = [], [True]
    kinds("tick", lambda ctx: ran.append(ctx.now), every=timedelta(minutes=1), max_attempts=1,
          wanted=lambda session: wanted[0])
    assert run_jobs() == 1 and run_jobs() == 0  # not again within its minute
    clock().advance(seconds=59)
    assert run_jobs() == 0
    clock().advance(seconds=1)
    assert run_jobs() == 1 and ran == [NOW, NOW + timedelta(minutes=1)]
    assert count(Job) == 1  # queued again, never a row a minute
    wanted[0] = False
    clock().advance(minutes=5)
    assert run_jobs() == 0


def test_a_failed_periodic_job_is_queued_again_at_its_next_period(app, practice, kinds):
    def broken(ctx):
        raise RuntimeError("the scheduler is broken")

    kinds("tick", broken, every=timedelta(minutes=1), max_attempts=1)
    run_jobs()
    job = db.session.scalar(sa.select(Job))
    assert (job.status, job.last_error) == ("failed", "RuntimeError: the scheduler is broken")
    clock().advance(minutes=1)
    assert run_jobs() == 1 and count(Job) == 1


# The command ---------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def freeze():
    """`practice worker` freezes its app once built (practice.serve.frozen): not this test
    process's objects, which would never be freed."""
    with patch("practice.serve.gc.freeze") as frozen, patch("practice.serve.gc.set_threshold"):
        yield frozen


def test_practice_worker_burst_runs_every_due_job(app, runner, practice, kinds, freeze):
    ran = []
    kinds("test_job", lambda ctx: ran.append(ctx.payload["n"]))
    for n in range(3):
        queue(payload={"n": n})
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "Ran 3 jobs." in result.output and ran == [0, 1, 2]
    freeze.assert_called_once()  # the worker runs its jobs with its app frozen
    assert runner.invoke(args=["worker", "--once"]).output.strip() == "Ran 0 jobs."


def test_practice_worker_once_runs_one_job(app, runner, practice, kinds):
    kinds("test_job", lambda ctx: None)
    queue(), queue()
    assert "Ran 1 job." in runner.invoke(args=["worker", "--once"]).output
    assert count(Job, Job.status == "queued") == 1


def test_sigterm_lets_the_job_in_hand_finish_then_stops_the_worker(app, runner, practice, kinds):
    def stopped_midway(ctx):
        os.kill(os.getpid(), signal.SIGTERM)  # as a service manager stopping the worker
        ctx.keep_file("finished.txt", "text/plain", b"finished anyway")

    kinds("test_job", stopped_midway)
    first, second = queue(), queue()
    result = runner.invoke(args=["worker"])  # no --burst: only the signal stops it
    assert result.exit_code == 0, result.output
    assert "Ran 1 job." in result.output
    assert fresh(first.id).status == "done" and fresh(second.id).status == "queued"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back as it was


# `practice serve` ------------------------------------------------------------------------------

def _sleeper(path) -> list[str]:
    """A child that writes its pid to `path`, then waits to be stopped."""
    return [sys.executable, "-c", f"import os, time; open({str(path)!r}, 'w').write(str(os.getpid())); time.sleep(120)"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_stops_both_when_one_of_them_ends(tmp_path):
    sleeper = tmp_path / "sleeper.pid"
    status = supervise([_sleeper(sleeper), [sys.executable, "-c", "import sys, time; time.sleep(1); sys.exit(3)"]],
                       poll=0.05)
    assert status == 3
    assert not _alive(int(sleeper.read_text()))


def test_served_app_is_built_then_frozen(tmp_path):
    """gunicorn serves practice.wsgi's app, which each of its processes builds, then freezes
    (practice.serve.frozen), so that full collections after large pages do not walk it."""
    import subprocess

    web, worker = serve_commands("127.0.0.1", 5000, 2)
    assert web[-1] == "practice.wsgi:app" and worker[-1] == "worker"
    env = dict(os.environ, PRACTICE_DATABASE_URL=f"sqlite:///{tmp_path / 'practice.sqlite'}",
               PRACTICE_INSTANCE_PATH=str(tmp_path), PRACTICE_SECRET_KEY="test")
    script = ("import gc; from practice.wsgi import app; "
              "print(app.name, gc.get_freeze_count() > 10_000, gc.get_threshold()[2])")
    served = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert served.stdout.split() == ["practice", "True", str(FULL_COLLECTION_EVERY)]


def test_serve_stops_both_on_sigterm(tmp_path):
    import subprocess

    pids = [tmp_path / "web.pid", tmp_path / "worker.pid"]
    script = (f"from practice.serve import supervise; import sys; "
              f"sys.exit(supervise([{_sleeper(pids[0])!r}, {_sleeper(pids[1])!r}], poll=0.05))")
    supervisor = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(600):
            if all(path.exists() and path.read_text() for path in pids):
                break
            threading.Event().wait(0.05)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=60) == 0
    finally:
        supervisor.kill()
    assert not any(_alive(int(path.read_text())) for path in pids)


def test_a_worker_outlives_a_database_that_does_not_answer(app, practice, kinds, monkeypatch):
    kinds("test_job", lambda ctx: None)
    job = queue()

    def unreachable(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patched:
        patched.setattr(services, "claim_next", unreachable)
        assert run_jobs() == 0  # no job, and no crash
    assert run_jobs() == 1 and fresh(job.id).status == "done"


# The pages -------------------------------------------------------------------------------------

def jobs_world(client, requester) -> dict:
    """For tests/test_access.py and test_bad_input.py: evidence reports about `client` asked
    for by `requester`: one made (a stand-in PDF keeps hundreds of route checks quick), one
    failed, one still waiting."""
    def ask():
        return conduct_services.request_evidence_report(db.session, Actor(requester), client,
                                                        start=None, end=None, now=NOW)

    made, broken = ask(), ask()
    db.session.commit()
    with patch("practice.conduct.jobs.render_evidence", return_value=b"%PDF-1.7\n% stand-in\n"):
        make_worker().run(once=True)
    with patch("practice.conduct.jobs.render_evidence", side_effect=JobFailed("A stand-in failure.")):
        make_worker().run(once=True)
    waiting = ask()
    db.session.commit()
    return {"job_id": made.id, "failed_job_id": broken.id, "queued_job_id": waiting.id}


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def report_kind(kinds):
    def handler(ctx):
        ctx.progress(1, 2, "Adding up")
        ctx.keep_file(f"report-{ctx.job.id}.csv", "text/csv", b"a,b\n1,2\n")

    return kinds("test_report", handler)


def test_admins_see_the_queue_in_a_fixed_number_of_queries(app, client, users, login, report_kind, count_queries):
    app.config["PRACTICE_PAGE_SIZE"] = 10
    login(users["admin"])

    def add(number):
        for n in range(number):
            queue("test_report", {"n": n}, requested_by=users["practitioner"], title=f"Report {n}")
        run_jobs()
        queue("test_report", {}, requested_by=users["admin"], title="Still waiting")

    add(2)
    with count_queries() as few:
        page = client.get("/jobs/").get_data(as_text=True)
    assert "Report 1" in page and "Still waiting" in page and "report-1.csv" in page
    add(12)
    with count_queries() as many:
        page = client.get("/jobs/").get_data(as_text=True)
    assert len(many) == len(few)
    assert 'aria-label="Pages"' in page and page.count('class="card mb-2"') == 10
    waiting = client.get("/jobs/?status=queued").get_data(as_text=True)
    assert "Still waiting" in waiting and "Report 1" not in waiting


def test_a_failed_job_is_tried_again_and_a_waiting_one_cancelled(client, users, login, kinds):
    login(users["admin"])
    kinds("test_job", lambda ctx: (_ for _ in ()).throw(JobFailed("No paper.")))
    failed = queue(title="Print the letters")
    run_jobs()
    waiting = queue(title="Print more letters", run_after=NOW + timedelta(hours=1))
    listed = client.get("/jobs/").get_data(as_text=True)
    assert "Due at 23 Nov 2026 11:00." in listed and "No paper." in listed

    response = client.post(f"/jobs/{failed.id}/retry", data={"next": "/jobs/?status=failed"})
    assert response.status_code == 302 and response.headers["Location"] == "/jobs/?status=failed"
    failed = fresh(failed.id)
    assert (failed.status, failed.attempts, failed.run_after, failed.last_error) == ("queued", 0, NOW, "No paper.")
    assert client.post(f"/jobs/{waiting.id}/cancel").status_code == 302
    assert fresh(waiting.id).status == "cancelled"
    assert audit_actions()[-2:] == ["job.retry", "job.cancel"]

    page = client.post(f"/jobs/{waiting.id}/retry", follow_redirects=True).get_data(as_text=True)
    assert "Only a failed job can be tried again." in page
    page = client.post(f"/jobs/{waiting.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "It has finished already." in page


def test_a_running_job_cannot_be_cancelled(client, users, login, kinds):
    login(users["admin"])
    kinds("test_job", lambda ctx: None)
    job = queue()
    services.claim_next(db.session, "busy", now=NOW, lease=LEASE)
    db.session.commit()
    page = client.post(f"/jobs/{job.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "It has started already" in page
    assert fresh(job.id).status == "running"


def test_a_job_page_follows_the_job_and_offers_its_file(client, users, login, report_kind):
    login(users["practitioner"])
    job = queue("test_report", requested_by=users["practitioner"], title="Attendance for November")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Waiting for the worker" in page
    assert '<noscript><meta http-equiv="refresh"' in page  # without JavaScript it reloads itself
    assert "js/job-progress.js" in page and f'data-job-progress="/jobs/{job.id}/progress.json"' in page
    assert client.get(f"/jobs/{job.id}/file").status_code == 404  # nothing to download yet

    run_jobs()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "http-equiv" not in page and "job-progress.js" not in page
    assert f'href="/jobs/{job.id}/file"' in page and f"report-{job.id}.csv" in page
    assert client.get(f"/jobs/{job.id}/progress.json").get_json()["finished"] is True

    before = audit_actions()
    response = client.get(f"/jobs/{job.id}/file")
    assert response.data == b"a,b\n1,2\n" and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert audit_actions() == [*before, "job.download"]


def test_a_job_is_for_whoever_asked_for_it_and_admins(app, client, users, login, make_user, report_kind):
    job = queue("test_report", requested_by=users["practitioner"])
    run_jobs()
    colleague = make_user("practitioner", name="Pat Colleague")
    for user, allowed in ((colleague, False), (users["front_desk"], False), (users["admin"], True),
                          (users["practitioner"], True)):
        visitor = app.test_client()
        visitor.post("/login", data={"email": user.email, "password": "correct horse battery"})
        for url in (f"/jobs/{job.id}", f"/jobs/{job.id}/progress.json", f"/jobs/{job.id}/file"):
            assert visitor.get(url).status_code == (200 if allowed else 403), (user.name, url)


def test_a_failed_job_says_what_went_wrong(client, users, login, kinds):
    kinds("test_job", lambda ctx: (_ for _ in ()).throw(JobFailed("The printer is out of paper.")))
    job = queue(requested_by=users["practitioner"])
    run_jobs()
    login(users["practitioner"])
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "It could not be done after 1 try." in page and "The printer is out of paper." in page
    assert "An admin can try it again" in page


def test_progress_after_the_job_has_written_never_fails_the_job(database_url, tmp_path, monkeypatch):
    # On SQLite the job's own transaction then holds the write lock, and progress (on a
    # second connection) cannot be saved: it is skipped after a short wait, the work goes on.
    app = make_app(database_url, tmp_path / "instance", PRACTICE_SQLITE_BUSY_TIMEOUT_MS=50)

    def writes_then_reports(ctx):
        ctx.keep_file("early.txt", "text/plain", b"written first")
        ctx.progress(1, 2, "Half way")

    monkeypatch.setitem(registry.KINDS, "test_job", JobKind("test_job", "Test", writes_then_reports))
    with app.app_context():
        job = services.enqueue(db.session, "test_job", {}, now=NOW)
        db.session.commit()
        assert Worker(app, name="solo").run(burst=True) == 1
        job = fresh(job.id)
        assert job.status == "done" and job.file.data == b"written first"
        db.session.remove()
        db.engine.dispose()
