"""The sign-in throttle holds under real parallel attempts, its records outlive a rolled-back
request, and an unknown e-mail address costs the same hashing work as a wrong password."""

import http.client
import threading
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from practice.auth import services
from practice.auth.models import LoginAttempt
from practice.db import db
from practice.errors import DomainError, LoginThrottled
from tests.conftest import NOW, PASSWORD

PARALLEL = 10


@pytest.fixture
def live_server(app):
    """The test app served on a real port by a threaded server: each request on its own
    thread, with its own database session, as several app processes would."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def parallel_sign_ins(port: int, form: dict, count: int) -> list[int]:
    """`count` sign-ins sent at the same moment, each on its own connection and without
    cookies (separate sessions); returns their status codes."""
    start = threading.Barrier(count)
    statuses = [None] * count

    def attempt(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        connection.request("POST", "/login", body=urlencode(form),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        statuses[index] = connection.getresponse().status
        connection.close()

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def attempts_recorded() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))


def test_parallel_attempts_never_exceed_the_limit(app, practice, live_server):
    limit = app.extensions["practice"].login_limits.per_account
    statuses = parallel_sign_ins(live_server, {"email": practice.email, "password": "a wrong guess"}, PARALLEL)

    assert sorted(statuses) == [200] * limit + [429] * (PARALLEL - limit)  # 200: "do not match"
    assert attempts_recorded() == limit
    # ... and the right password is now refused too, until the window has passed.
    assert parallel_sign_ins(live_server, {"email": practice.email, "password": PASSWORD}, 1) == [429]


def test_parallel_right_passwords_all_sign_in(app, practice, live_server):
    limit = app.extensions["practice"].login_limits.per_account
    statuses = parallel_sign_ins(live_server, {"email": practice.email, "password": PASSWORD}, limit)
    assert statuses == [302] * limit
    assert attempts_recorded() == 0  # a sign-in gives its account's places back


def test_a_refused_attempt_stays_counted_when_the_request_rolls_back(app, practice):
    limits = app.extensions["practice"].login_limits
    for _ in range(limits.per_account):
        with pytest.raises(DomainError):
            services.authenticate(db.session, practice.email, "a wrong guess", address="10.0.0.9",
                                  now=NOW, limits=limits)
        db.session.rollback()  # what a request ending in an error response will do
    assert attempts_recorded() == limits.per_account
    with pytest.raises(LoginThrottled):
        services.authenticate(db.session, practice.email, PASSWORD, address="10.0.0.9",
                              now=NOW, limits=limits)


@pytest.fixture
def hashes_checked(monkeypatch):
    """Every password hash the sign-in checks against, in order."""
    checked = []
    real = services.check_password_hash

    def spy(password_hash, password):
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(services, "check_password_hash", spy)
    return checked


def test_an_unknown_email_costs_a_password_hash(client, practice, hashes_checked):
    # Made once per process: another module of this test process may have made it with the
    # cheap hash its own sign-ins use.
    services._dummy_password_hash.cache_clear()
    page = client.post("/login", data={"email": "nobody@harbour.example", "password": "a guess"})
    assert "do not match an active account" in page.get_data(as_text=True)
    assert len(hashes_checked) == 1
    # Made the way real ones are: the same method and cost as the admin's own hash.
    assert hashes_checked[0].rsplit("$", 2)[0] == practice.password_hash.rsplit("$", 2)[0]


def test_a_deactivated_account_costs_a_password_hash_too(client, users, login, hashes_checked):
    login(users["admin"])
    client.post(f"/users/{users['front_desk'].id}/active", data={"active": "0"})
    client.post("/logout")
    hashes_checked.clear()
    client.post("/login", data={"email": users["front_desk"].email, "password": PASSWORD})
    assert len(hashes_checked) == 1 and hashes_checked[0] != users["front_desk"].password_hash
