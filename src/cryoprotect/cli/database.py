"""``cryoprotect db``: migrations, health and row-level security checks."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from cryoprotect.cli.common import load_settings, open_database
from cryoprotect.cli.root import main
from cryoprotect.db.database import Identity, head_revision


@main.group()
def db() -> None:
    """Database: migrations, health and row-level security checks."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database (and load the reference data when going to head)."""
    with open_database(prepare=revision == "head") as database:
        if revision != "head":
            database.upgrade(revision)
        click.echo(f"Database at revision {database.current_revision()}.")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. 0001, or base)."""
    with open_database() as database:
        database.downgrade(revision)
        click.echo(f"Database at revision {database.current_revision()}.")


@db.command("current")
def db_current() -> None:
    """Print the database's revision and the code's head revision."""
    with open_database() as database:
        click.echo(f"current: {database.current_revision()}  head: {head_revision()}")


@db.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def db_health(as_json: bool) -> None:
    """Schema validation, integrity and performance diagnostics. Exits 1 when failed."""
    from cryoprotect.db.health import run_health_checks

    with open_database() as database, database.transaction(Identity.service()) as session:
        report: dict[str, Any] = run_health_checks(session.connection())
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        click.echo(f"overall: {report['status']}")
        for name, check in report["checks"].items():
            click.echo(f"  {name:<12} {check['status']}")
            for key, value in check.get("details", {}).items():
                if value:
                    click.echo(f"      {key}: {json.dumps(value, default=str)[:300]}")
    sys.exit(1 if report["status"] == "failed" else 0)


@db.command("verify-rls")
def db_verify_rls() -> None:
    """List tables lacking RLS or a policy per command; exit 1 if any."""
    from cryoprotect.db.rls import format_report, verify_rls

    settings = load_settings()
    with open_database(settings) as database, database.owner_engine.connect() as conn:
        problems = verify_rls(conn, app_role=settings.app_db_role)
    click.echo(format_report(problems))
    sys.exit(1 if problems else 0)
