"""The referral network: a blueprint that runs inside the practice or on a Flask site of its
own, with none of the practice's tables.

The practice registers it with its own host (practice/referral_host.py). Another Flask app:

    import referrals

    class SiteHost(referrals.Host):   # the site's people and permissions (referrals/host.py)
        ...

    referrals.init_app(app, SiteHost())

and builds or upgrades the network's tables with `flask referrals upgrade` (its own Alembic
chain and version table: referrals/migrations)."""

from flask import Blueprint

from practice.config import templates_folder
from referrals.host import Actor, Capacity, Host, Person

__all__ = ["Actor", "Capacity", "Host", "Person", "bp", "init_app"]

# The templates are the practice's folder (the network's pages use its form macros); a
# site's own templates/referrals/... override them.
bp = Blueprint("referrals", __name__, url_prefix="/referrals", template_folder=str(templates_folder()))


def init_app(app, host: Host | None = None) -> None:
    """Run the network on a Flask app other than the practice: its pages under /referrals;
    `host` answering for the site's people, permissions, clock and audit trail (without one,
    the directory can be read and nothing changed); each of its requests one unit of work on
    the app's Flask-SQLAlchemy session (one is set up from SQLALCHEMY_DATABASE_URI when the
    app has none); and the `flask referrals` commands."""
    from flask_sqlalchemy import SQLAlchemy

    from practice import unit_of_work
    from practice.phones import display_phone
    from referrals.migrations import commands

    if "sqlalchemy" not in app.extensions:
        SQLAlchemy().init_app(app)
    app.extensions["referrals"] = host or Host()
    unit_of_work.install(app, blueprint=bp.name)  # each of its requests commits once, or nothing
    if "back_to" not in app.jinja_env.globals:  # the practice app sets the same
        from practice.web import back_to

        app.jinja_env.globals["back_to"] = back_to
    if "phone" not in app.jinja_env.filters:
        app.add_template_filter(display_phone, "phone")
    app.cli.add_command(commands)
    app.register_blueprint(bp)


from referrals import views  # noqa: E402,F401  (the routes attach themselves to bp)
