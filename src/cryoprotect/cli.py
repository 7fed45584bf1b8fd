"""The ``cryoprotect`` command. It parses arguments and calls the layers below; nothing more."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from cryoprotect.db.database import Database, Identity, head_revision
from cryoprotect.errors import CryoprotectError
from cryoprotect.settings import Settings

logger = logging.getLogger("cryoprotect.cli")


def _settings() -> Settings:
    return Settings.from_env()


def _fail(exc: CryoprotectError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


def prepare_database(settings: Settings, *, attach: bool) -> Database:
    """Start (or attach to) the database, migrate it to head and load the reference data."""
    db = Database(settings, attach=attach).start()
    try:
        if not db.at_head(as_owner=True):
            click.echo(f"Migrating the database to revision {head_revision()} …")
            db.upgrade()
        if settings.load_reference_data:
            from cryoprotect.services.reference_data import load_reference_data

            counts = load_reference_data(db)
            click.echo("Reference data: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    except BaseException:
        db.stop()
        raise
    return db


@click.group()
@click.version_option(package_name="cryoprotect")
def main() -> None:
    """CryoProtect: a research platform for cryoprotectant design."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="TCP port.")
def serve(host: str, port: int) -> None:
    """Serve the app, initialising or upgrading the data directory first."""
    from cryoprotect.app import create_app

    settings = _settings()
    try:
        db = prepare_database(settings, attach=False)
    except CryoprotectError as exc:
        _fail(exc)
        return
    where = (
        "embedded PostgreSQL in " + str(settings.home)
        if settings.embedded
        else "external PostgreSQL"
    )
    try:
        app = create_app(settings, db)
        app.extensions["cryoprotect"].molecules.index.ensure_loaded()  # warm search indexes
        # Our access log (JSON, with request ids) replaces the development server's own.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        click.echo(
            f"CryoProtect is running on http://{host}:{port} (database: {where}). Ctrl+C stops it."
        )
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        db.stop()


@main.group()
def db() -> None:
    """Database: migrations, health and row-level security checks."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database (and load the reference data when going to head)."""
    settings = _settings()
    try:
        if revision == "head":
            database = prepare_database(settings, attach=True)
        else:
            database = Database(settings, attach=True).start()
            database.upgrade(revision)
    except CryoprotectError as exc:
        _fail(exc)
        return
    click.echo(f"Database at revision {database.current_revision()}.")
    database.stop()


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. 0001, or base)."""
    database = Database(_settings(), attach=True).start()
    try:
        database.downgrade(revision)
        click.echo(f"Database at revision {database.current_revision()}.")
    finally:
        database.stop()


@db.command("current")
def db_current() -> None:
    """Print the database's revision and the code's head revision."""
    database = Database(_settings(), attach=True).start()
    try:
        click.echo(f"current: {database.current_revision()}  head: {head_revision()}")
    finally:
        database.stop()


@db.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
def db_health(as_json: bool) -> None:
    """Schema validation, integrity and performance diagnostics. Exits 1 when failed."""
    from cryoprotect.db.health import run_health_checks

    database = Database(_settings(), attach=True).start()
    try:
        with database.transaction(Identity.service()) as session:
            report: dict[str, Any] = run_health_checks(session.connection())
    finally:
        database.stop()
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

    settings = _settings()
    database = Database(settings, attach=True).start()
    try:
        with database.owner_engine.connect() as conn:
            problems = verify_rls(conn, app_role=settings.app_db_role)
    finally:
        database.stop()
    click.echo(format_report(problems))
    sys.exit(1 if problems else 0)


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
    import os

    from tqdm import tqdm

    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.molecule_io import detect_format, import_molecules, read_records

    settings = _settings()
    try:
        fmt = detect_format(path.name, fmt)
        database = Database(settings, attach=True).start()
    except CryoprotectError as exc:
        _fail(exc)
        return
    try:
        actor = AuthService(database, settings).actor_by_email(email)
        records = read_records(
            path.read_bytes(), fmt, smiles_column=smiles_column, name_column=name_column
        )
        with tqdm(desc=f"importing {path.name}", unit="mol", file=sys.stderr) as bar:
            report = import_molecules(
                database,
                actor,
                records,
                visibility=visibility,
                team_id=team_id,
                processes=processes or os.cpu_count() or 1,
                progress=bar.update,
            )
    except CryoprotectError as exc:
        _fail(exc)
        return
    finally:
        database.stop()
    click.echo(
        f"{report.total} rows: {report.created} added, {report.duplicates} already present, "
        f"{report.rejected_count} rejected."
    )
    for row in report.rejected[:20]:
        click.echo(f"  row {row['row']}: {row['reason']}  [{row['input']}]")
    if report_path is not None:
        with report_path.open("w", newline="", encoding="utf-8") as handle:
            writer = _csv.DictWriter(handle, fieldnames=["row", "input", "reason"])
            writer.writeheader()
            writer.writerows(report.rejected)
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
def screen(source: Path, output: Path, processes: int | None, top: int | None) -> None:
    """Rank an external SMILES/SDF library by CPA score (no database involved)."""
    from tqdm import tqdm

    from cryoprotect.services.screening import screen_file

    with tqdm(desc=f"screening {source.name}", unit="mol", file=sys.stderr) as bar:
        summary = screen_file(source, output, processes=processes, top=top, progress=bar.update)
    click.echo(
        f"{summary.total} molecules: {summary.scored} scored, {summary.failed} failed; "
        f"ranked list in {summary.output}"
    )


@main.group()
def params() -> None:
    """Scientific parameter tables (osmotic virial coefficients, …)."""


@params.command("fit")
@click.option(
    "--crc",
    "crc_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CRC 'Concentrative properties of aqueous solutions' table (CSV).",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the fitted table and its record (default: the package's params).",
)
@click.option("--solute", "solutes", multiple=True, help="Fit only these CRC solutes (repeatable).")
@click.option("--max-mass-percent", type=float, default=40.0, show_default=True)
def params_fit(
    crc_path: Path, output_dir: Path | None, solutes: tuple[str, ...], max_mass_percent: float
) -> None:
    """Fit osmotic virial coefficients to CRC freezing points for solutes lacking them.

    Writes osmotic_virial_fitted.csv (provenance 'fitted') and osmotic_virial_fits.json with
    each fit's data, residuals and held-out errors.
    """
    from cryoprotect.science.thermo import fit_missing_from_crc

    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
    try:
        fits = fit_missing_from_crc(
            crc_path,
            output_dir=output_dir,
            solutes=solutes or None,
            max_mass_percent=max_mass_percent,
        )
    except CryoprotectError as exc:
        _fail(exc)
        return
    click.echo(
        f"{'solute':<40} {'n':>3} {'B kg/mol':>10} {'C':>9} {'k':>6} {'RMSE °C':>8} {'LOO MAE °C':>10}"
    )
    for f in fits:
        p = f.parameters
        click.echo(
            f"{p.solute[:40]:<40} {f.fit.molality.size:>3} {p.b_kg_per_mol:>10.5f} "
            f"{f.fit.c_kg2_per_mol2:>9.5f} {p.k_diss:>6.3f} {f.fit.rmse_c:>8.3f} "
            f"{f.held_out.loo_mae_c:>10.3f}"
        )
    click.echo(f"{len(fits)} solutes fitted.")


@main.group()
def models() -> None:
    """Predictive models: train, list."""


@models.command("train")
@click.option("--dataset", required=True, help="Dataset name (e.g. cryomn-literature) or id.")
@click.option("--target", required=True, help="Target column, e.g. viability_percent.")
@click.option(
    "--algorithm",
    default="random_forest",
    show_default=True,
    help="ridge, random_forest, gradient_boosting or gaussian_process.",
)
@click.option("--level", default=0.9, show_default=True, type=float, help="Interval coverage.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--user", "email", default=None, help="Owner account (default: the shipped-data owner, public)."
)
def models_train(
    dataset: str, target: str, algorithm: str, level: float, seed: int, email: str | None
) -> None:
    """Train with grouped nested cross-validation, print metrics against the baselines, register a version."""
    from cryoprotect.services.actor import Actor
    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.models import ModelService

    settings = _settings()
    try:
        database = prepare_database(settings, attach=True)
    except CryoprotectError as exc:
        _fail(exc)
        return
    try:
        if email:
            actor = AuthService(database, settings).actor_by_email(email)
            visibility = "private"
        else:
            from cryoprotect.db.database import SYSTEM_USER_ID

            actor, visibility = (
                Actor(user_id=SYSTEM_USER_ID, email="system@cryoprotect.invalid"),
                "public",
            )

        def progress(message: str, fraction: float) -> None:
            click.echo(f"  [{fraction * 100:5.1f} %] {message}", err=True)

        model = ModelService(database).train(
            actor,
            dataset=dataset,
            target=target,
            algorithm=algorithm,
            level=level,
            visibility=visibility,
            seed=seed,
            progress=progress,
        )
    except CryoprotectError as exc:
        _fail(exc)
        return
    finally:
        database.stop()
    click.echo(
        f"Registered {model['name']} v{model['version']} ({model['id']}) in {model['training_seconds']} s"
    )
    click.echo(json.dumps(model["metrics"], indent=2, default=str)[:6000])


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

    settings = _settings()
    try:
        database = prepare_database(settings, attach=True)
    except CryoprotectError as exc:
        _fail(exc)
        return
    try:
        user = AuthService(database, settings).set_admin(email, password)
        click.echo(f"Administrator: {user['email']} ({user['id']})")
    except CryoprotectError as exc:
        _fail(exc)
    finally:
        database.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
