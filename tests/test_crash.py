"""A real server killed (SIGKILL) in the middle of a burst of late check-ins: afterwards every
appointment that is marked arrived has its late-arrival entry, because a check-in and the
entry its event causes are committed together or not at all."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from queue import Empty, Queue
from urllib.parse import urlencode

import sqlalchemy as sa

from practice.conduct import chain
from practice.conduct.models import ConductEntry
from practice.db import db
from practice.scheduling.models import Appointment
from tests.conftest import PASSWORD
from tests.databases import _free_port

ROOT = Path(__file__).resolve().parent.parent
SERVER = """
import json, sys
from werkzeug.serving import run_simple
from practice import create_app
run_simple("127.0.0.1", int(sys.argv[1]), create_app(json.loads(sys.argv[2])), threaded=True)
"""
APPOINTMENTS = 30
KILL_AFTER = 8  # answered check-ins; the others are in flight or still to be sent
SENDERS = 4


def late_appointments(desk) -> list[int]:
    """Booked sessions that started 20 minutes or more ago (by the real clock, which the
    server uses), one after another: checking in now is beyond the 10-minute grace."""
    practitioner, service, client = desk
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    rows = []
    for number in range(APPOINTMENTS):
        start = now - timedelta(minutes=20 * (number + 1))
        rows.append(Appointment(client_id=client.id, practitioner_id=practitioner.id, service_id=service.id,
                                start_at=start, end_at=start + timedelta(minutes=15),
                                held_until=start + timedelta(minutes=15), status="booked",
                                price_cents=service.price_cents, created_at=now - timedelta(days=1)))
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def start_server(database_url: str, instance: Path, **config) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    settings = {"PRACTICE_DATABASE_URL": database_url, "PRACTICE_INSTANCE_PATH": str(instance),
                "SECRET_KEY": "crash test", "WTF_CSRF_ENABLED": False, **config}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), json.dumps(settings)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def request(port: int, method: str, path: str, form: dict | None = None, cookie: str = ""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request(method, path, urlencode(form or {}), headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Set-Cookie") or ""
    finally:
        connection.close()


def burst(port: int, cookie: str, ids: list[int], server: subprocess.Popen) -> int:
    """Check the appointments in from a few senders at once; kill the server once
    KILL_AFTER check-ins were answered. Returns how many were answered."""
    waiting: Queue = Queue()
    for appointment_id in ids:
        waiting.put(appointment_id)
    answered, lock, enough = [0], threading.Lock(), threading.Event()

    def send():
        while True:
            try:
                appointment_id = waiting.get_nowait()
                status, _ = request(port, "POST", f"/appointments/{appointment_id}/check-in", {}, cookie)
            except (Empty, OSError):
                return
            if status == 302:
                with lock:
                    answered[0] += 1
                    if answered[0] >= KILL_AFTER:
                        enough.set()

    senders = [threading.Thread(target=send) for _ in range(SENDERS)]
    for sender in senders:
        sender.start()
    enough.wait(timeout=30)
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    for sender in senders:
        sender.join()
    return answered[0]


def test_a_killed_server_leaves_no_check_in_without_its_late_arrival_entry(app, users, desk, database_url, tmp_path):
    ids, email = late_appointments(desk), users["admin"].email
    db.session.remove()
    db.engine.dispose()  # the server has the database to itself until it dies
    server, port = start_server(database_url, tmp_path / "server")
    try:
        status, cookie = request(port, "POST", "/login", {"email": email, "password": PASSWORD})
        assert status == 302, "sign-in failed"
        answered = burst(port, cookie.split(";")[0], ids, server)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    arrived = set(db.session.scalars(sa.select(Appointment.id).where(Appointment.status == "arrived")))
    recorded = set(db.session.scalars(sa.select(ConductEntry.appointment_id).where(
        ConductEntry.kind == "late_arrival")))
    assert answered >= KILL_AFTER and len(arrived) >= answered
    assert len(arrived) < APPOINTMENTS, "the server was killed after the whole burst"
    assert arrived == recorded
    assert chain.verify_chain(db.session).ok
