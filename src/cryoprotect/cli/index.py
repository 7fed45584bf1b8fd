"""``cryoprotect index``: the saved search indexes (status, rebuild)."""

from __future__ import annotations

import json
import time

import click

from cryoprotect.cli.common import load_settings, open_database
from cryoprotect.cli.root import main


@main.group()
def index() -> None:
    """Saved search indexes (similarity and substructure) under CRYOPROTECT_INDEX_DIR.

    Every server process memory-maps the newest one and applies the changes made since it
    was written; a running server writes a new one in the background when enough changed.
    """


@index.command("status")
def index_status() -> None:
    """The saved indexes: name, molecules, feed position, when written, size."""
    from cryoprotect.search.persist import MANIFEST, saved_indexes

    directory = load_settings().index_path
    found = saved_indexes(directory)
    if not found:
        click.echo(f"No saved search index in {directory}.")
        return
    for path in found:
        manifest = json.loads((path / MANIFEST).read_text())
        size = sum(manifest["files"].values()) / 2**20
        click.echo(
            f"{path.name}  {manifest['rows']} molecules  position {manifest['position']}  "
            f"written {manifest['written']}  {size:.1f} MiB"
        )


@index.command("rebuild")
@click.option(
    "--full",
    is_flag=True,
    help="Read every molecule from the table (not the newest saved index plus the changes).",
)
def index_rebuild(full: bool) -> None:
    """Write a new saved index of the library as it is now (servers pick it up)."""
    from cryoprotect.search.persist import saved_indexes
    from cryoprotect.services.molecule_index import MoleculeIndex

    with open_database(prepare=True) as database:
        molecules = MoleculeIndex(database)
        assert molecules.index_dir is not None
        started = time.perf_counter()
        had_one = bool(saved_indexes(molecules.index_dir))
        molecules.ensure_loaded()  # without a saved index this builds and saves one
        path = molecules.rebuild(full=full, wait=True) if had_one else molecules.saved_path
        click.echo(
            f"Saved search index {path} ({len(molecules.substructure)} molecules) "
            f"in {time.perf_counter() - started:.1f} s."
        )
