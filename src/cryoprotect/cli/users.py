"""``cryoprotect users``: accounts."""

from __future__ import annotations

import click

from cryoprotect.cli.common import load_settings, open_database
from cryoprotect.cli.root import main


@main.group()
def users() -> None:
    """Accounts."""


@users.command("create-admin")
@click.option("--email", required=True, help="E-mail of the administrator.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Password (prompted when omitted). Existing accounts are promoted.",
)
def users_create_admin(email: str, password: str) -> None:
    """Create an administrator account, or promote an existing account."""
    from cryoprotect.services.auth import AuthService

    settings = load_settings()
    with open_database(settings, prepare=True) as database:
        user = AuthService(database, settings).set_admin(email, password)
        click.echo(f"Administrator: {user.email} ({user.id})")
