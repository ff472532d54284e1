"""The application factory and the per-app state kept in app.extensions["practice"]."""

import os
from dataclasses import dataclass, field
from datetime import timedelta

import flask
from flask import Flask, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from practice import config, localtime, security
from practice.clock import SystemClock
from practice.validation import MAX_ID


@dataclass
class PracticeState:
    app: Flask
    clock: object = field(default_factory=SystemClock)
    setup_done: bool = False  # cached once true; until then each request checks

    @property
    def invite_max_age(self) -> timedelta:
        return timedelta(days=int(self.app.config["PRACTICE_INVITE_MAX_AGE_DAYS"]))

    @property
    def login_limits(self):
        cfg = self.app.config
        return LoginLimits(
            per_account=int(cfg["PRACTICE_LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
            per_address=int(cfg["PRACTICE_LOGIN_MAX_FAILURES_PER_ADDRESS"]),
            window=timedelta(minutes=int(cfg["PRACTICE_LOGIN_WINDOW_MINUTES"])),
        )


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_address: int
    window: timedelta


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


class Request(flask.Request):
    """Query strings without NUL characters: PostgreSQL refuses them in text and no person
    types one, so they are dropped on the way in (practice.forms does the same for forms)."""

    @cached_property
    def args(self):
        return self.parameter_storage_class(
            (key, value.replace("\x00", "")) for key, value in super().args.items(multi=True))


class DatabaseId(IntegerConverter):
    """`<int:...>` in URLs: ids beyond the database's integer range are simply not found."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def configured_app(config_overrides: dict | None = None) -> Flask:
    """The app with its configuration loaded (defaults, the instance folder's config.py, the
    PRACTICE_* environment, overrides) and nothing else: no extension, blueprint or model.
    `practice verify-log` starts from it (practice/verify_log.py)."""
    overrides = dict(config_overrides or {})
    instance_path = overrides.get("PRACTICE_INSTANCE_PATH") or os.environ.get(
        "PRACTICE_INSTANCE_PATH"
    )
    app = Flask(
        "practice",
        instance_path=str(instance_path) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(config.templates_folder()),
        static_folder="static",
    )
    config.load(app, overrides)
    return app


def create_app(config_overrides: dict | None = None, *, url_prefix: str = "") -> Flask:
    """Build the standalone practice site (or, with url_prefix, the app a host mounts)."""
    app = configured_app(config_overrides)
    if url_prefix:
        app.config["APPLICATION_ROOT"] = url_prefix
    app.session_interface = SessionInterface()
    app.request_class = Request
    app.url_map.converters["int"] = DatabaseId
    app.extensions["practice"] = PracticeState(app=app)

    from practice import unit_of_work

    unit_of_work.install(app)  # first, so each request's transaction starts as it should
    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    security.init_app(app)
    from practice.cli import register_commands

    register_commands(app)
    hops = int(app.config["PRACTICE_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _init_extensions(app: Flask) -> None:
    import practice.job_kinds  # noqa: F401  (registers every kind of background job)
    import practice.message_kinds  # noqa: F401  (every kind of message, and what writes them)
    import practice.models  # noqa: F401  (registers every table)
    from practice.conduct import listeners
    from practice.db import configure_engine, db
    from practice.extensions import bootstrap, csrf, login_manager, migrate

    listeners.connect()  # automatic conduct entries from the schedule's events
    db.init_app(app)
    configure_engine(app)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from practice.audit.views import bp as audit_bp
    from practice.auth.account_views import bp as account_bp
    from practice.auth.views import bp as auth_bp
    from practice.booking.views import bp as booking_bp
    from practice.booking.views import settings_bp as booking_settings_bp
    from practice.clients.views import bp as clients_bp
    from practice.conduct.views import bp as conduct_bp
    from practice.errorpages import register_error_pages
    from practice.imports.views import bp as imports_bp
    from practice.jobs.views import bp as jobs_bp
    from practice.letters.views import bp as letters_bp
    from practice.main.views import bp as main_bp
    from practice.messages.public_views import bp as messages_public_bp
    from practice.messages.views import bp as messages_bp
    from practice.policies.views import bp as policies_bp
    from practice.referral_host import PracticeHost
    from practice.reports.views import bp as reports_bp
    from practice.review.views import bp as review_bp
    from practice.scheduling.feed_views import bp as feeds_bp
    from practice.scheduling.settings_views import bp as scheduling_settings_bp
    from practice.scheduling.views import bp as scheduling_bp
    from practice.settings.views import bp as settings_bp
    from referrals import bp as referrals_bp

    for blueprint in (main_bp, auth_bp, account_bp, settings_bp, clients_bp, scheduling_bp,
                      scheduling_settings_bp, feeds_bp, audit_bp, referrals_bp, policies_bp,
                      conduct_bp, review_bp, letters_bp, reports_bp, jobs_bp, imports_bp, messages_bp,
                      messages_public_bp, booking_bp, booking_settings_bp):
        app.register_blueprint(blueprint)
    app.extensions["referrals"] = PracticeHost()  # the practice's people behind the network's ids
    register_error_pages(app)


# Pages reachable before the practice is set up.
OPEN_BEFORE_SETUP = {"auth.setup", "main.healthz", "static", "bootstrap.static"}


def _register_hooks(app: Flask) -> None:
    from practice.auth.permissions import can
    from practice.auth.services import setup_needed
    from practice.clients.services import display_phone
    from practice.db import db
    from practice.money import plain_amount, practice_money
    from practice.scheduling.rows_html import charrefs
    from practice.settings.services import get_practice, practice_zone
    from practice.web import back_to

    @app.before_request
    def send_to_setup_until_done():
        state = app.extensions["practice"]
        if state.setup_done or request.endpoint in OPEN_BEFORE_SETUP:
            return None
        if setup_needed(db.session):
            return redirect(url_for("auth.setup"))
        state.setup_done = True
        return None

    @app.context_processor
    def layout_context():
        return {"can": can, "practice_profile": get_practice(db.session)}

    # The filters run for every time and amount a page shows (a hundred on some pages): they
    # ask get_practice, imported once above, not practice.web's practice_profile, whose
    # two imports on each call cost about as much as the lookup itself (1.5 of 5.5 us a time).
    @app.template_filter("local")
    def local_time(moment, fmt="%-d %b %Y %H:%M"):
        """A stored UTC moment in the practice's own time zone."""
        return localtime.strftime(moment.astimezone(practice_zone(db.session)), fmt)

    app.add_template_filter(display_phone, "phone")
    app.jinja_env.globals["back_to"] = back_to

    @app.template_filter("money")
    def money(cents: int) -> str:
        """Minor units in the practice's currency: 4550 -> '£45.50'."""
        return practice_money(get_practice(db.session), cents)

    app.add_template_filter(plain_amount, "amount")  # a form field's value: 4550 -> '45.50'

    @app.template_filter("clock")
    def clock_time(moment) -> str:
        return localtime.clock(moment, practice_zone(db.session))

    @app.template_filter("span")
    def clock_span(start, end) -> str:
        return localtime.span(start, end, practice_zone(db.session))

    app.add_template_filter(charrefs, "charrefs")
