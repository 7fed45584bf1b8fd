"""``cryoprotect flags``: list, set and override feature flags as the operator."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from cryoprotect.cli.common import load_settings, open_database, system_actor
from cryoprotect.cli.root import main
from cryoprotect.db.database import Database

if TYPE_CHECKING:
    from cryoprotect.services.flags import FlagRecord


@main.group()
def flags() -> None:
    """Feature flags: list, set, override.

    Changes are made as the operator (the system account) and reach a running server
    within CRYOPROTECT_FLAGS_CACHE_TTL seconds (5 by default).
    """


def _flags_call(action: Any) -> Any:
    """Run ``action(flag_service, operator_actor, database)`` against the database."""
    from cryoprotect.ops.flags import FeatureFlags
    from cryoprotect.services.flags import FlagService

    with open_database(prepare=True) as database:
        operator = system_actor(is_admin=True, via="cli")
        return action(FlagService(database, FeatureFlags(database)), operator, database)


def _flag_line(flag: FlagRecord) -> str:
    users = sum(1 for o in flag.overrides if o.target == "user")
    teams = len(flag.overrides) - users
    state = "on " if flag.enabled else "off"
    return (
        f"{flag.key:<32} {state} rollout {flag.rollout_percentage:>3} %  "
        f"overrides: {users} user, {teams} team  {flag.description or ''}"
    ).rstrip()


@flags.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print flags and overrides as JSON.")
def flags_list(as_json: bool) -> None:
    """Every flag: default, rollout percentage and overrides."""
    listed = _flags_call(lambda svc, actor, _db: svc.list_flags(actor))
    if as_json:
        click.echo(json.dumps([asdict(flag) for flag in listed], indent=2, default=str))
        return
    for flag in listed:
        click.echo(_flag_line(flag))
    if not listed:
        click.echo("No feature flags.")


@flags.command("set")
@click.argument("key")
@click.option("--on/--off", "enabled", default=None, help="Global default.")
@click.option("--rollout", type=click.IntRange(0, 100), help="Share of signed-in users, %.")
@click.option("--description", help="What the flag gates.")
def flags_set(key: str, enabled: bool | None, rollout: int | None, description: str | None) -> None:
    """Create flag KEY (off unless --on) or change it."""
    from cryoprotect.errors import NotFound

    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("enabled", enabled),
            ("rollout_percentage", rollout),
            ("description", description),
        )
        if value is not None
    }

    def action(svc: Any, actor: Any, _db: Any) -> Any:
        try:
            return svc.update(actor, key, **changes)
        except NotFound:
            return svc.create(actor, key, **changes)

    click.echo(_flag_line(_flags_call(action)))


@flags.command("override")
@click.argument("key")
@click.option("--user", "user", help="User e-mail or id.")
@click.option("--team", "team_id", type=click.UUID, help="Team id.")
@click.option(
    "--on/--off", "enabled", default=None, help="Turn the flag on or off for this user or team."
)
@click.option("--clear", is_flag=True, help="Remove the override.")
@click.option("--note", help="Why (kept with the override).")
def flags_override(
    key: str,
    user: str | None,
    team_id: Any,
    enabled: bool | None,
    clear: bool,
    note: str | None,
) -> None:
    """Set (--on/--off) or remove (--clear) the override of KEY for one user or one team."""
    import uuid as uuid_module

    from cryoprotect.services.auth import AuthService

    if (user is None) == (team_id is None):
        raise click.UsageError("Give exactly one of --user and --team.")
    if clear == (enabled is not None):
        raise click.UsageError("Give exactly one of --on, --off and --clear.")

    def action(svc: Any, actor: Any, database: Database) -> str:
        user_id = None
        if user is not None:
            try:
                user_id = uuid_module.UUID(user)
            except ValueError:
                user_id = AuthService(database, load_settings()).actor_by_email(user).user_id
        target = f"user {user}" if user is not None else f"team {team_id}"
        if clear:
            svc.delete_override(actor, key, user_id=user_id, team_id=team_id)
            return f"{key}: override for {target} removed"
        svc.set_override(
            actor, key, user_id=user_id, team_id=team_id, enabled=bool(enabled), note=note
        )
        return f"{key}: {'on' if enabled else 'off'} for {target}"

    click.echo(_flags_call(action))
