"""``cryoprotect import`` and ``cryoprotect screen``: molecule files in and ranked lists out."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import click

from cryoprotect.cli.common import load_settings, open_database, system_actor
from cryoprotect.cli.root import main
from cryoprotect.errors import ValidationError


@main.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--user", "email", required=True, help="E-mail of the account that will own the rows."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["smiles", "csv", "sdf"]),
    help="Default: from the extension.",
)
@click.option("--smiles-column", help="CSV column holding the structures (default: smiles).")
@click.option("--name-column", help="CSV column holding names (default: name, if present).")
@click.option(
    "--visibility",
    type=click.Choice(["private", "team", "public"]),
    default="private",
    show_default=True,
)
@click.option("--team", "team_id", type=click.UUID, help="Team id for --visibility team.")
@click.option("--processes", type=int, default=None, help="Worker processes (default: all cores).")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the per-row report of rejected rows as CSV.",
)
def import_file(
    path: Path,
    email: str,
    fmt: str | None,
    smiles_column: str | None,
    name_column: str | None,
    visibility: str,
    team_id: Any,
    processes: int | None,
    report_path: Path | None,
) -> None:
    """Import molecules from a SMILES, CSV or SDF file, as the account --user."""
    import csv as _csv
    import dataclasses
    import os

    from tqdm import tqdm

    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.molecules import MoleculeService

    settings = load_settings()
    # The format is checked before the database starts; rows are read as they are imported.
    records = MoleculeService.read_import(
        path.read_bytes(), path.name, fmt, smiles_column=smiles_column, name_column=name_column
    )
    with open_database(settings) as database:
        actor = AuthService(database, settings).actor_by_email(email)
        with tqdm(desc=f"importing {path.name}", unit="mol", file=sys.stderr) as bar:
            report = MoleculeService(database).import_records(
                actor,
                records,
                visibility=visibility,
                team_id=team_id,
                processes=processes or os.cpu_count() or 1,
                progress=bar.update,
                sync_index=False,  # a one-off command keeps no search indexes
            )
    click.echo(
        f"{report.total} rows: {report.created} added, {report.duplicates} already present, "
        f"{report.rejected_count} rejected."
    )
    for row in report.rejected[:20]:
        click.echo(f"  row {row.row}: {row.reason}  [{row.input}]")
    if report_path is not None:
        with report_path.open("w", newline="", encoding="utf-8") as handle:
            writer = _csv.DictWriter(handle, fieldnames=["row", "input", "reason"])
            writer.writeheader()
            writer.writerows(dataclasses.asdict(row) for row in report.rejected)
    sys.exit(0)


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ranked CSV to write.",
)
@click.option("--processes", type=int, default=None, help="Worker processes (default: all cores).")
@click.option("--top", type=int, default=None, help="Keep only the N best (bounded memory).")
@click.option(
    "--model",
    "model_id",
    type=click.UUID,
    default=None,
    help="A molecule model (id): add its prediction and interval as columns "
    "(empty outside its applicability domain, with the reason).",
)
@click.option(
    "--user",
    "email",
    default=None,
    help="With --model: the account whose models are visible (default: public models only).",
)
@click.option(
    "--rank-by",
    type=click.Choice(["alert_adjusted", "cpa_score"]),
    default="alert_adjusted",
    show_default=True,
    help="alert_adjusted: CPA score x a penalty per matched structural-alert family "
    "(Brenk, NIH, PAINS); cpa_score: the plain score (both are columns either way).",
)
def screen(
    source: Path,
    output: Path,
    processes: int | None,
    top: int | None,
    model_id: uuid.UUID | None,
    email: str | None,
    rank_by: str,
) -> None:
    """Rank an external SMILES/SDF library by CPA score and structural alerts (no database
    involved unless --model)."""
    from tqdm import tqdm

    from cryoprotect.services.screening import screen_file

    model = None
    if model_id is not None:
        model = _load_molecule_model(model_id, email)
    with tqdm(desc=f"screening {source.name}", unit="mol", file=sys.stderr) as bar:
        summary = screen_file(
            source,
            output,
            processes=processes,
            top=top,
            progress=bar.update,
            model=model,
            rank_by=rank_by,
        )
    click.echo(
        f"{summary.total} molecules: {summary.scored} scored, {summary.failed} failed; "
        f"ranked list in {summary.output}"
    )


def _load_molecule_model(model_id: uuid.UUID, email: str | None) -> Any:
    """A molecule model from the database, as ``email`` (or the public-data owner) sees it."""
    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.models import MOLECULES, ModelService, model_kind

    settings = load_settings()
    with open_database(settings, prepare=True) as database:
        actor = AuthService(database, settings).actor_by_email(email) if email else system_actor()
        row, model = ModelService(database).load(actor, model_id)
        if model_kind(row.manifest) != MOLECULES:
            raise ValidationError(
                "--model must be a molecule model (trained on a molecule dataset).",
                field="model",
            )
    click.echo(f"Predicting {row.target} with {row.name} v{row.version} ({row.id})", err=True)
    return model
