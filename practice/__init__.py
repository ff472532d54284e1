"""Practice management for massage and wellness practices.

Public API: `create_app()` for the standalone site, `Practice` to mount it in a host app.

Importing the package imports neither Flask nor the app (`create_app` is loaded when first
used), so that `practice verify-log` starts with only what its check needs
(practice/verify_log.py)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (verify-log's start-up)
if TYPE_CHECKING:
    from flask import Flask

__all__ = ["Practice", "create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from practice.app import create_app

        return create_app
    raise AttributeError(f"module 'practice' has no attribute {name!r}")


class Practice:
    """Mount the whole practice under a prefix of a host Flask application.

    The practice runs as its own Flask app behind the host (its own database session,
    sign-in and session cookie), so nothing clashes with the host's models, login or
    cookie. Host settings named PRACTICE_* are passed on; templates in the host's
    `practice/` and `referrals/` template folders override the practice's own."""

    def __init__(self, app: Flask | None = None, url_prefix: str = "/practice", **config):
        self.url_prefix = url_prefix.rstrip("/")
        self.config = config
        self.app: Flask | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, host: Flask) -> None:
        from jinja2 import ChoiceLoader
        from werkzeug.middleware.dispatcher import DispatcherMiddleware

        from practice.app import create_app

        settings = {key: value for key, value in host.config.items() if key.startswith("PRACTICE_")}
        settings.setdefault("PRACTICE_INSTANCE_PATH", host.instance_path)
        settings.update(self.config)
        inner = create_app(settings, url_prefix=self.url_prefix)
        if host.jinja_loader is not None:
            inner.jinja_loader = ChoiceLoader([host.jinja_loader, inner.jinja_loader])
        host.extensions["practice"] = inner.extensions["practice"]
        host.wsgi_app = DispatcherMiddleware(host.wsgi_app, {self.url_prefix: inner})
        self.app = inner
