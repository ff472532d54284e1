"""The referral network: a blueprint that a Flask application can also register on its own.

Inside the practice app it is registered by practice.app and uses the practice's database,
clock and permissions. Another Flask app registers it with `init_app`:

    import referrals
    referrals.init_app(app, can=lambda action, obj=None: ...)

which initialises practice.db.db on the app (from SQLALCHEMY_DATABASE_URI) unless it
already is, makes each of the blueprint's requests one unit of work (practice.unit_of_work),
and keeps the host's answers in app.extensions["referrals"] (see
referrals/host.py). Without `can`, the directory can be read and nothing changed. A host
that builds its tables with `db.create_all()` adds the default modalities with
referrals.services.add_default_modalities(db.session)."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


def init_app(app, *, can=None, now=None, timezone: str = "UTC", actor=None) -> None:
    """Register the blueprint on a host app (not the practice app, which does it itself)."""
    from practice import unit_of_work
    from practice.db import db
    from referrals.host import HostState

    state = HostState(timezone=timezone, actor=actor)
    if can is not None:
        state.can = can
    if now is not None:
        state.now = now
    app.extensions["referrals"] = state
    if "sqlalchemy" not in app.extensions:
        db.init_app(app)
    unit_of_work.install(app, blueprint=bp.name)  # each of its requests commits once, or nothing
    if "back_to" not in app.jinja_env.globals:  # the practice app sets the same
        from practice.web import back_to

        app.jinja_env.globals["back_to"] = back_to
    if "phone" not in app.jinja_env.filters:  # the practice app has its own, the same
        from practice.clients.services import display_phone

        app.add_template_filter(display_phone, "phone")
    app.register_blueprint(bp)


from referrals import views  # noqa: E402,F401  (the routes attach themselves to bp)
