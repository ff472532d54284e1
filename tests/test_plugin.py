"""A host Flask application with its own models, login and session mounts the practice."""

from flask import Flask, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

from practice import Practice
from practice.clock import FixedClock
from tests.conftest import NOW, PASSWORD


def build_host(tmp_path, database_url):
    host = Flask("host_site", instance_path=str(tmp_path / "host-instance"),
                 template_folder=str(tmp_path / "host-templates"))
    host.config.update(
        SECRET_KEY="host secret",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.sqlite'}",
        PRACTICE_DATABASE_URL=database_url,
    )
    host_db = SQLAlchemy()

    class User(UserMixin, host_db.Model):  # same class name as the practice's own user model
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

    host_db.init_app(host)
    logins = LoginManager(host)
    logins.user_loader(lambda user_id: host_db.session.get(User, int(user_id)))

    @host.get("/host-login")
    def host_login():
        login_user(host_db.session.get(User, 1))
        return "ok"

    @host.get("/whoami")
    def whoami():
        return current_user.name if current_user.is_authenticated else "anonymous"

    @host.get("/links")
    def links():
        return url_for("whoami")

    with host.app_context():
        host_db.create_all()
        host_db.session.add(User(name="Host Person"))
        host_db.session.commit()
    mount = Practice(host, url_prefix="/practice", TESTING=True, WTF_CSRF_ENABLED=False)
    host.extensions["practice"].clock = FixedClock(NOW)
    return host, mount


def test_practice_and_host_work_side_by_side(tmp_path, database_url):
    (tmp_path / "host-templates").mkdir()
    host, mount = build_host(tmp_path, database_url)
    browser = host.test_client()

    setup = browser.get("/practice/setup")
    assert setup.status_code == 200
    assert 'href="/practice/static/css/practice.css"' in setup.get_data(as_text=True)
    response = browser.post("/practice/setup", data={
        "name": "Harbour Street Massage", "timezone": "Europe/London", "currency": "GBP",
        "phone_region": "GB", "admin_name": "Alex", "admin_email": "alex@harbour.example",
        "password": PASSWORD, "confirm": PASSWORD,
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/practice/"
    assert "practice_session=" in response.headers["Set-Cookie"]
    assert "Path=/practice" in response.headers["Set-Cookie"]

    # Signed in to the practice, still anonymous to the host, and the other way round.
    assert browser.get("/practice/clients/").status_code == 200
    assert browser.get("/whoami").get_data(as_text=True) == "anonymous"
    assert browser.get("/host-login").status_code == 200
    assert browser.get("/whoami").get_data(as_text=True) == "Host Person"
    assert browser.get("/practice/clients/").status_code == 200
    assert browser.get("/links").get_data(as_text=True) == "/whoami"

    with mount.app.test_request_context("/", base_url="http://localhost/practice"):
        assert url_for("clients.index") == "/practice/clients/"


def test_host_templates_override_the_practice_ones(tmp_path, database_url):
    override = tmp_path / "host-templates" / "practice" / "auth"
    override.mkdir(parents=True)
    (override / "login.html").write_text("host's own sign-in page")
    host, _ = build_host(tmp_path, database_url)
    browser = host.test_client()
    browser.post("/practice/setup", data={
        "name": "Harbour", "timezone": "Europe/London", "currency": "GBP", "phone_region": "GB",
        "admin_name": "Alex", "admin_email": "alex@harbour.example",
        "password": PASSWORD, "confirm": PASSWORD,
    })
    browser.post("/practice/logout")
    assert browser.get("/practice/login").get_data(as_text=True) == "host's own sign-in page"


def test_referrals_blueprint_registers_on_its_own():
    from referrals import bp

    app = Flask("another_site")
    app.register_blueprint(bp)
    assert "referrals" in app.blueprints


def test_the_public_booking_pages_mount_with_the_practice_and_the_host_may_restyle_them(tmp_path, database_url):
    from datetime import time

    from practice.audit.services import SYSTEM
    from practice.auth.models import Practitioner
    from practice.booking import services as booking
    from practice.db import db
    from practice.scheduling import services as scheduling

    override = tmp_path / "host-templates" / "practice" / "booking"
    override.mkdir(parents=True)
    (override / "closed.html").write_text("The host's own words: booking opens soon.")
    host, mount = build_host(tmp_path, database_url)
    browser = host.test_client()
    browser.post("/practice/setup", data={
        "name": "Harbour", "timezone": "Europe/London", "currency": "GBP", "phone_region": "GB",
        "admin_name": "Alex", "admin_email": "alex@harbour.example", "password": PASSWORD, "confirm": PASSWORD,
        "sees_clients": "y"})
    browser.post("/practice/logout")
    assert browser.get("/practice/book/").get_data(as_text=True) == "The host's own words: booking opens soon."

    with mount.app.app_context():
        practitioner = db.session.scalars(db.select(Practitioner)).first()
        scheduling.set_working_hours(db.session, SYSTEM, practitioner.id, [(d, time(9), time(17)) for d in range(7)],
                                     now=NOW)
        service = scheduling.create_service(db.session, SYSTEM, name="Massage", duration_minutes=60,
                                            price_cents=6000, now=NOW)
        booking.update_settings(db.session, SYSTEM, booking.SettingsChange(
            True, 24, 60, 15, {practitioner.id: "all"}, {service.id}), now=NOW)
        db.session.commit()
        service_id = service.id
        db.session.remove()
    services_page = browser.get("/practice/book/").get_data(as_text=True)
    assert f'href="/practice/book/{service_id}"' in services_page
    assert browser.get("/whoami").get_data(as_text=True) == "anonymous"  # the host's own login untouched
