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


@users.command("reset-link")
@click.argument("email")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="The address users reach this server at (the link is <base-url>/reset/<token>).",
)
def users_reset_link(email: str, base_url: str) -> None:
    """Print a one-time password-reset link for EMAIL (valid 1 h; also written to the log).

    The link sets a new password once and signs the account out everywhere. Give it to the
    account's owner by a channel you trust.
    """
    from cryoprotect.services.admin_users import AdminUserService

    root = base_url.rstrip("/")
    with open_database(load_settings()) as database:
        issued, link = AdminUserService(database).reset_link_for_email(
            email, lambda token: f"{root}/reset/{token}"
        )
    click.echo(
        f"Password reset link for {issued.email} (valid once, until {issued.expires_at:%Y-%m-%d %H:%M} UTC):"
    )
    click.echo(link)
