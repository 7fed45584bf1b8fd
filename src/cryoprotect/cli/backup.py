"""``cryoprotect backup``: create, list, verify, restore and prune backups."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cryoprotect.cli.common import DIRECTORY, load_settings, open_database
from cryoprotect.cli.root import main
from cryoprotect.settings import Settings


@main.group()
def backup() -> None:
    """Backups: create, list, verify, restore and prune (pg_dump custom format + checksums)."""


_backup_dir_option = click.option(
    "--backup-dir",
    type=DIRECTORY,
    envvar="CRYOPROTECT_BACKUP_DIR",
    help="Directory holding the backups [env CRYOPROTECT_BACKUP_DIR; default: CRYOPROTECT_HOME/backups].",
)
_pg_bin_option = click.option(
    "--pg-bin",
    envvar="CRYOPROTECT_PG_BIN",
    help="Directory with pg_dump, pg_restore and psql, or PATH to use those on PATH "
    "[env CRYOPROTECT_PG_BIN; default: the embedded server's own binaries].",
)


def _backup_dir(settings: Settings, option: Path | None) -> Path:
    from cryoprotect.ops.backup import default_backup_dir

    return (option or default_backup_dir(settings.home)).expanduser().resolve()


@backup.command("create")
@_backup_dir_option
@_pg_bin_option
@click.option("--compress", type=click.IntRange(0, 9), default=6, show_default=True)
def backup_create(backup_dir: Path | None, pg_bin: str | None, compress: int) -> None:
    """Dump the database into a new backup.

    pg_dump (custom format, compressed) and per-table row counts and checksums, all from
    one snapshot, plus metadata.json; written atomically.
    """
    from cryoprotect.ops.backup import PgTools, create_backup, format_size

    settings = load_settings()
    tools = PgTools.from_option(pg_bin)
    tools.executable("pg_dump")  # before starting anything
    with open_database(settings) as database:
        made = create_backup(
            database, _backup_dir(settings, backup_dir), tools=tools, compression=compress
        )
    click.echo(
        f"Backup {made.name}: schema revision {made.revision}, {len(made.tables)} tables, "
        f"{made.total_rows} rows, {format_size(made.size_bytes)} in "
        f"{made.metadata['duration_s']} s\n  {made.path}"
    )


@backup.command("list")
@_backup_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the backups' metadata as JSON.")
def backup_list(backup_dir: Path | None, as_json: bool) -> None:
    """List the backups, oldest first."""
    from cryoprotect.ops.backup import format_size, list_backups

    directory = _backup_dir(load_settings(), backup_dir)
    backups = list_backups(directory)
    if as_json:
        click.echo(json.dumps([b.metadata for b in backups], indent=2))
        return
    if not backups:
        click.echo(f"No backups in {directory}.")
        return
    click.echo(f"{'NAME':<32} {'CREATED (UTC)':<20} {'REVISION':<9} {'SIZE':>10} {'ROWS':>9}")
    for b in backups:
        click.echo(
            f"{b.name:<32} {b.created_at:%Y-%m-%d %H:%M:%S}  {b.revision or '-':<9} "
            f"{format_size(b.size_bytes):>10} {b.total_rows:>9}"
        )
    click.echo(f"{len(backups)} backup(s) in {directory}.")


@backup.command("verify")
@click.argument("name", default="latest")
@_backup_dir_option
@_pg_bin_option
def backup_verify(name: str, backup_dir: Path | None, pg_bin: str | None) -> None:
    """Check that a backup is intact.

    NAME is a backup name, a path, or latest. Checks the dump's size and sha256, its table
    of contents, and reads every data block.
    """
    from cryoprotect.ops.backup import PgTools, find_backup, verify_backup

    found = find_backup(_backup_dir(load_settings(), backup_dir), name)
    report = verify_backup(found, tools=PgTools.from_option(pg_bin))
    click.echo(
        f"OK {found.name}: sha256 {report.sha256[:16]}… matches, {report.toc_entries} entries, "
        f"data for {len(report.data_entries)} tables, every data block readable."
    )


@backup.command("restore")
@click.argument("name", default="latest")
@click.option(
    "--target-url",
    help="Restore into this PostgreSQL database (URL of its owner/migration role) instead.",
)
@click.option(
    "--data-dir",
    type=DIRECTORY,
    help="Restore into the embedded server of this (new) CryoProtect data directory instead.",
)
@click.option(
    "--clean",
    "--force",
    "clean",
    is_flag=True,
    help="Replace a non-empty target's contents (with --table: truncate those tables).",
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    help="Restore only this table (repeatable; name or schema.name) and its empty FK parents.",
)
@click.option("--no-migrate", is_flag=True, help="Leave the result at the backup's revision.")
@_backup_dir_option
@_pg_bin_option
def backup_restore(
    name: str,
    target_url: str | None,
    data_dir: Path | None,
    clean: bool,
    tables: tuple[str, ...],
    no_migrate: bool,
    backup_dir: Path | None,
    pg_bin: str | None,
) -> None:
    """Restore, verify and migrate a backup.

    NAME is a backup name, a path, or latest. Row counts and checksums are compared with
    the backup's metadata, then the database is migrated to head and its row-level
    security checked. Without --target-url or --data-dir the target is the configured database, which must
    be empty unless --clean is given.
    """
    from dataclasses import replace

    from cryoprotect.ops.backup import PgTools, find_backup, restore_backup

    settings = load_settings()
    if target_url and data_dir:
        click.echo("error: give --target-url or --data-dir, not both", err=True)
        sys.exit(2)
    if target_url:
        target_settings, where = replace(settings, database_url=target_url), "the target URL"
    elif data_dir:
        home = data_dir.expanduser().resolve()
        target_settings, where = replace(settings, home=home, database_url=None), str(home)
    else:
        target_settings, where = settings, "the configured database"
    found = find_backup(_backup_dir(settings, backup_dir), name)
    tools = PgTools.from_option(pg_bin)
    tools.executable("pg_restore")
    with open_database(target_settings, attach=not (target_url or data_dir)) as target:
        report = restore_backup(
            found, target, tools=tools, clean=clean, tables=tables, migrate=not no_migrate
        )
    rows = sum(report.tables.values())
    click.echo(
        f"Restored {found.name} (revision {report.revision_restored}) into {where}: "
        f"{len(report.tables)} tables, {rows} rows; counts and checksums match the backup."
    )
    if report.added_parents:
        click.echo("  also restored (referenced, empty): " + ", ".join(report.added_parents))
    if report.migrated:
        click.echo(f"  migrated to revision {report.revision_now}.")
    click.echo(f"  row-level security verified; {report.seconds:.1f} s.")


@backup.command("prune")
@click.option("--keep-daily", type=click.IntRange(min=0), default=7, show_default=True)
@click.option("--keep-weekly", type=click.IntRange(min=0), default=4, show_default=True)
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
@_backup_dir_option
def backup_prune(keep_daily: int, keep_weekly: int, dry_run: bool, backup_dir: Path | None) -> None:
    """Delete backups the rotation keeps no more.

    Keeps the newest backup of each of the last N days with backups (--keep-daily) and of
    each of the last M ISO weeks with backups (--keep-weekly).
    """
    from cryoprotect.ops.backup import prune_backups

    plan = prune_backups(
        _backup_dir(load_settings(), backup_dir),
        keep_daily=keep_daily,
        keep_weekly=keep_weekly,
        dry_run=dry_run,
    )
    verb = "would remove" if dry_run else "removed"
    for kept, reasons in plan.keep:
        click.echo(f"keep          {kept.name}  ({', '.join(reasons)})")
    for gone in plan.remove:
        click.echo(f"{verb:<13} {gone.name}")
    for path in plan.incomplete:
        click.echo(f"{verb:<13} {path.name}  (incomplete, older than a day)")
    click.echo(f"{len(plan.keep)} kept, {len(plan.remove)} {verb}.")
