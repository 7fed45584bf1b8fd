"""``cryoprotect alerts``: the structural alerts stored with each molecule."""

from __future__ import annotations

import os
import time

import click

from cryoprotect.cli.common import open_database
from cryoprotect.cli.root import main


@main.group()
def alerts() -> None:
    """Structural alerts (Brenk, NIH, PAINS) stored beside each molecule's descriptors.

    New molecules have theirs stored when they are registered or imported; list pages and
    records read them instead of finding them again.
    """


@alerts.command("store")
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=lambda: max(1, min(4, os.cpu_count() or 1)),
    show_default="the CPU count, at most 4",
    help="Worker processes finding the alerts.",
)
def alerts_store(processes: int) -> None:
    """Find and store the alerts of molecules that have none stored under this version's
    RDKit and override table (a library from before migration 0022, or after an upgrade).

    Molecules without stored alerts show the right alerts anyway (found on read, slower on
    long lists). Each batch is its own transaction: an interrupted run keeps what it stored,
    and running it again continues.
    """
    from cryoprotect.services.molecules.stored_alerts import store_alerts

    started = time.perf_counter()
    with open_database(prepare=True) as database:
        report = store_alerts(database, processes=processes)
    click.echo(
        f"Stored the structural alerts of {report.stored} molecules in "
        f"{time.perf_counter() - started:.1f} s"
        + (f"; {report.failed} whose SMILES did not parse were left." if report.failed else ".")
    )
