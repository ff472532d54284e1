"""The referral network's own migrations, for sites that run it without the practice: one
Alembic chain with a version table of its own (`referrals_alembic_version`), so it never
meets a site's own Alembic history. It builds the network's tables and nothing else.

The practice's database gets the same tables from the practice's own chain, with foreign
keys to its users, clients and practitioners (practice/migrations, practice/models.py), and
keeps one version table, which backups and restores check. A change to the network's tables
is therefore written twice: here, and in the practice's chain. Each chain is compared with
the models on both databases (tests/test_referrals_standalone.py, tests/test_database.py),
so a missing one fails.

    flask --app site referrals upgrade      # or referrals.migrations.upgrade(engine)"""

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import AppGroup

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "referrals_alembic_version"


def config(connection) -> Config:
    settings = Config()
    settings.set_main_option("script_location", str(HERE))
    settings.attributes["connection"] = connection
    return settings


def upgrade(engine, revision: str = "head") -> None:
    """Build the network's tables in `engine`'s database, or bring them up to date."""
    with engine.begin() as connection:
        command.upgrade(config(connection), revision)


def downgrade(engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(config(connection), revision)


commands = AppGroup("referrals", help="The referral network's tables.")


@commands.command("upgrade")
def upgrade_command() -> None:
    """Build the referral network's tables, or bring them up to date."""
    upgrade(current_app.extensions["sqlalchemy"].engine)
