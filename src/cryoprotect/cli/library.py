"""``cryoprotect import`` and ``cryoprotect screen``: molecule files in and ranked lists out."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import click

from cryoprotect.cli.common import DIRECTORY, FILE, load_settings, open_database, system_actor
from cryoprotect.cli.root import main
from cryoprotect.errors import ValidationError

_processes_option = click.option(
    "--processes", type=int, default=None, help="Worker processes (default: all cores)."
)


@main.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
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
@_processes_option
@click.option(
    "--report",
    "report_path",
    type=FILE,
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
    """Import molecules from a SMILES, CSV or SDF file, as the account --user.

    PATH may also be the Parquet output of `cryoprotect screen --parquet` (its directory or
    one part-*.parquet): already standardised, it is loaded with COPY, with the same
    duplicate rules and row-level security.
    """
    import csv as _csv
    import dataclasses
    import os

    from tqdm import tqdm

    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.molecules import MoleculeService
    from cryoprotect.services.molecules.bulk import (
        import_screen_parquet,
        is_screen_output,
        screen_files,
    )

    settings = load_settings()
    bulk = is_screen_output(path)
    # The format (or the screen's Parquet marker) is checked before the database starts.
    if bulk:
        screen_files(path)
    else:
        records = MoleculeService.read_import(
            path.read_bytes(), path.name, fmt, smiles_column=smiles_column, name_column=name_column
        )
    with open_database(settings) as database:
        actor = AuthService(database, settings).actor_by_email(email)
        with tqdm(desc=f"importing {path.name}", unit="mol", file=sys.stderr) as bar:
            if bulk:
                report = import_screen_parquet(
                    database,
                    actor,
                    path,
                    visibility=visibility,
                    team_id=team_id,
                    progress=bar.update,
                )
            else:
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
@click.argument("sources", nargs=-1, required=True, type=FILE)
@click.option(
    "-o",
    "--output",
    type=FILE,
    help="Ranked CSV to write (required by the local engine).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default=None,
    help="local: worker processes of this machine (one input file, CSV out); dask: a Dask "
    "cluster (many files, gzip, Parquet in and out). Default: dask when a scheduler is given "
    "(--scheduler or CRYOPROTECT_DASK_SCHEDULER), else local.",
)
@click.option(
    "--scheduler",
    default=None,
    help="Dask scheduler address (tcp://host:8786) of an existing cluster; default "
    "$CRYOPROTECT_DASK_SCHEDULER, else a local cluster of --processes worker processes.",
)
@click.option(
    "--parquet",
    "parquet_dir",
    type=DIRECTORY,
    help="(dask) Write every row, ranked, as a partitioned Parquet directory (new or empty).",
)
@click.option(
    "--rejects",
    type=FILE,
    help="(dask) CSV of the rows that failed, with the reason (default: <output>.rejects.csv).",
)
@click.option(
    "--partition-rows",
    type=int,
    default=1000,
    show_default=True,
    help="(dask) Lines, SDF records or Parquet rows per task.",
)
@_processes_option
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
    sources: tuple[Path, ...],
    output: Path | None,
    engine: str | None,
    scheduler: str | None,
    parquet_dir: Path | None,
    rejects: Path | None,
    partition_rows: int,
    processes: int | None,
    top: int | None,
    model_id: uuid.UUID | None,
    email: str | None,
    rank_by: str,
) -> None:
    """Rank external SMILES/SDF/CSV libraries (gzip allowed; with the dask engine also many
    files and Parquet) by CPA score and structural alerts (no database unless --model)."""
    from tqdm import tqdm

    from cryoprotect.services.screening_dask import scheduler_address, screen_files_dask

    address = scheduler_address(scheduler)
    engine = engine or ("dask" if address else "local")
    if engine == "local":
        if scheduler:
            raise ValidationError("--scheduler needs --engine dask.", field="engine")
        _check_local_screen(sources, output, parquet_dir, rejects)
    model = _load_molecule_model(model_id, email) if model_id is not None else None
    label = sources[0].name if len(sources) == 1 else f"{len(sources)} files"
    with tqdm(desc=f"screening {label} ({engine})", unit="mol", file=sys.stderr) as bar:
        # What both engines are told the same way.
        shared: dict[str, Any] = {
            "processes": processes,
            "top": top,
            "model": model,
            "rank_by": rank_by,
            "progress": bar.update,
        }
        if engine == "local":
            from cryoprotect.services.screening import screen_file

            assert output is not None
            summary = screen_file(sources[0], output, **shared)
            outputs = summary.output
            counts = (summary.total, summary.scored, summary.failed)
        else:
            result = screen_files_dask(
                list(sources),
                csv_output=output,
                parquet_dir=parquet_dir,
                rejects=rejects,
                scheduler=address,
                partition_rows=partition_rows,
                **shared,
            )
            counts = (result.total, result.scored, result.failed)
            outputs = " and ".join(p for p in (result.csv, result.parquet) if p)
            outputs += f" ({result.partitions} partitions on {result.workers} workers); "
            outputs += f"rejected rows in {result.rejects}"
    click.echo(
        f"{counts[0]} molecules: {counts[1]} scored, {counts[2]} failed; ranked list in {outputs}"
    )


def _check_local_screen(
    sources: tuple[Path, ...], output: Path | None, parquet_dir: Path | None, rejects: Path | None
) -> None:
    """The local engine reads one SMILES/SDF/CSV file (gzip allowed) into one CSV."""
    if len(sources) != 1:
        raise ValidationError(
            "The local engine screens one file; use --engine dask.", field="source"
        )
    if not sources[0].is_file():
        raise ValidationError(f"{sources[0]}: no such file.", field="source")
    if sources[0].suffix.lower() in (".parquet", ".pq"):
        raise ValidationError("Parquet input needs --engine dask.", field="source")
    if output is None:
        raise ValidationError("The local engine needs -o/--output (a CSV).", field="output")
    if parquet_dir is not None or rejects is not None:
        raise ValidationError("--parquet and --rejects need --engine dask.", field="engine")


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
