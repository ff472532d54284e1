"""Defaults, the instance config file and PRACTICE_* environment variables."""

import errno
import json
import os
import sys
import types
from datetime import timedelta
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SECRET_KEY_FILE = "secret_key"


class Defaults:
    PRACTICE_DATABASE_URL = None  # None: SQLite in the instance folder
    PRACTICE_SQLITE_BUSY_TIMEOUT_MS = 5000
    PRACTICE_LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    PRACTICE_LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    PRACTICE_LOGIN_WINDOW_MINUTES = 15
    PRACTICE_INVITE_MAX_AGE_DAYS = 7
    PRACTICE_LOGO_MAX_BYTES = 1024 * 1024
    PRACTICE_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    PRACTICE_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # each file kept with a conduct entry
    PRACTICE_PROXY_HOPS = 0  # trusted reverse proxies in front of the app (X-Forwarded-*)
    PRACTICE_PAGE_SIZE = 25
    # Background jobs (`practice worker`): how often an idle worker looks for due jobs; how
    # long a worker may go without a sign of life before its job is given to another; the
    # first wait before a failed job is tried again (doubling on each failure, up to the cap).
    PRACTICE_WORKER_POLL_SECONDS = 1
    PRACTICE_JOB_LEASE_SECONDS = 600
    PRACTICE_JOB_RETRY_SECONDS = 30
    PRACTICE_JOB_RETRY_MAX_SECONDS = 3600
    # The worker checks the whole conduct record once a day (pages check only the client's own
    # entries and rely on it).
    PRACTICE_CHAIN_CHECK_DAILY = True
    PRACTICE_HOUSEKEEPING_DAILY = True  # practice/housekeeping.py
    PRACTICE_HEALTH_CHECK_SECONDS = 60  # how long /healthz trusts SQLite's last integrity check
    # E-mail through the practice's own SMTP server (practice.messages.mail). The password
    # lives here or in the environment, never in the database. Without a server, messages wait
    # in the outbox. PRACTICE_BASE_URL: where clients reach the site (links in messages).
    PRACTICE_MAIL_SERVER = None
    PRACTICE_MAIL_PORT = None  # 465 with SSL, 587 with TLS, else 25
    PRACTICE_MAIL_USE_TLS = False  # STARTTLS
    PRACTICE_MAIL_USE_SSL = False  # TLS from the first byte (SMTPS)
    PRACTICE_MAIL_USERNAME = None
    PRACTICE_MAIL_PASSWORD = None
    PRACTICE_MAIL_SENDER = None  # "Name <address>"; default: the practice's name and e-mail
    PRACTICE_MAIL_TIMEOUT_SECONDS = 30
    PRACTICE_MAIL_MAX_TRIES = 10  # temporary refusals: about three hours of tries with the job backoff
    PRACTICE_BASE_URL = None
    PRACTICE_ACKNOWLEDGE_LINK_DAYS = 14  # how long a link to acknowledge the policy works
    # The public booking pages' limits, per hour (practice.booking.services.Limits).
    PRACTICE_BOOKING_HOLDS_PER_ADDRESS = 10
    PRACTICE_BOOKING_HOLDS_PER_EMAIL = 3
    PRACTICE_BOOKING_WAITING_HOLDS_PER_ADDRESS = 2  # held times not yet confirmed, at once
    PRACTICE_BOOKING_INQUIRIES_PER_ADDRESS = 5
    PRACTICE_BOOKING_INQUIRIES_PER_EMAIL = 2
    PRACTICE_TODAY_POLL_SECONDS = 15  # how often an open Today page looks for other desks' changes

    SESSION_COOKIE_NAME = "practice_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Uploads are checked against their own limits; this only stops absurd bodies early.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    BOOTSTRAP_SERVE_LOCAL = True
    # The token lives as long as the session, so a long form is not lost to an expiry.
    WTF_CSRF_TIME_LIMIT = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False


def templates_folder() -> Path:
    """The top-level templates/ folder; inside an installed wheel it is practice/templates."""
    packaged = PACKAGE_DIR / "templates"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"


def load(app, overrides: dict | None) -> None:
    """Fill app.config: defaults < instance/config.py < PRACTICE_* environment < overrides."""
    app.config.update(read(Path(app.instance_path), overrides))
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app)
    app.config["SECRET_KEY"] = (
        app.config.get("PRACTICE_SECRET_KEY")
        or app.config.get("SECRET_KEY")
        or instance_secret_key(Path(app.instance_path))
    )


def read(instance_path: Path, overrides: dict | None = None) -> dict:
    """The settings `load` puts in app.config, read without Flask (`practice verify-log`):
    defaults < instance/config.py < PRACTICE_* environment < overrides."""
    found = _upper(vars(Defaults))
    found.update(_upper(_config_file(instance_path / "config.py")))
    found.update((name, _parse_env(raw)) for name, raw in os.environ.items() if name.startswith("PRACTICE_"))
    found.update(overrides or {})
    return found


def _upper(names: dict) -> dict:
    return {name: value for name, value in names.items() if name.isupper()}


def _config_file(path: Path) -> dict:
    """The names the instance folder's config.py sets, as Flask's `from_pyfile(silent=True)`
    reads them: a missing file sets nothing."""
    module = types.ModuleType("config")
    module.__file__ = str(path)
    try:
        exec(compile(path.read_bytes(), str(path), "exec"), module.__dict__)
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
            return {}
        error.strerror = f"Unable to load configuration file ({error.strerror})"
        raise
    return vars(module)


def instance_path() -> Path:
    """PRACTICE_INSTANCE_PATH, or the instance folder Flask gives the app when it is not set."""
    configured = os.environ.get("PRACTICE_INSTANCE_PATH")
    if not configured:
        # As the import system found the package, links unresolved (Flask reads its spec).
        return default_instance_path(Path(__file__).parent.parent, Path(os.path.abspath(sys.prefix)))
    if not os.path.isabs(configured):  # as Flask refuses it
        raise ValueError("If an instance path is provided it must be absolute. A relative path was given instead.")
    return Path(configured)


def default_instance_path(package_path: Path, prefix: Path) -> Path:
    """Flask's rule (flask.sansio.scaffold.find_package): `instance` beside the folder the
    package is imported from, or `<prefix>/var/practice-instance` when it is installed."""
    if package_path.is_relative_to(prefix):
        return prefix / "var" / "practice-instance"
    if package_path.name.lower() == "site-packages":
        site_parent = package_path.parent
        if site_parent.name.lower() == "lib":  # Windows: prefix/Lib/site-packages
            return site_parent.parent / "var" / "practice-instance"
        if site_parent.parent.name.lower() == "lib":  # prefix/lib/pythonX.Y/site-packages
            return site_parent.parent.parent / "var" / "practice-instance"
        return site_parent / "var" / "practice-instance"
    return package_path / "instance"


def _parse_env(raw: str):
    """Numbers and booleans as JSON (like Flask's from_prefixed_env), anything else as text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def database_url(app) -> str:
    url = app.config["PRACTICE_DATABASE_URL"]
    if not url:
        return f"sqlite:///{Path(app.instance_path) / 'practice.sqlite'}"
    # Plain postgresql:// URLs would pick psycopg2; the project uses psycopg 3.
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def instance_secret_key(instance_path: Path) -> str:
    """Read the install's secret key, creating it (owner-only) on first start."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    import secrets  # here: reading the settings (verify-log) never makes a key

    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()
