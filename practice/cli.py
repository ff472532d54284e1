"""The `practice` command (also available as `flask --app practice ...`)."""

import click
from flask.cli import FlaskGroup

from practice.app import create_app
from practice.audit.services import SYSTEM
from practice.auth import services as auth_services
from practice.auth.models import Role
from practice.clock import now
from practice.db import db
from practice.errors import DomainError


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", default="", help="Display name (defaults to the part before @).")
@click.option("--password", default=None, help="Prompted for when not given.")
def create_user_command(email, role, name, password):
    """Create an account (a practitioner role also gets a practitioner profile)."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth_services.create_user(
            db.session, SYSTEM, email=email, name=name or email.split("@")[0],
            role=role, password=password, now=now(),
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.email}.")


def register_commands(app) -> None:
    for command in (create_user_command,):
        app.cli.add_command(command)


def main() -> None:
    FlaskGroup(create_app=lambda: create_app(), help="Practice management.")()
