"""The ``cryoprotect`` command. It parses arguments and calls the layers below; nothing more."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any

import click

from cryoprotect.db.database import Database, Identity, head_revision
from cryoprotect.errors import CryoprotectError, ValidationError
from cryoprotect.settings import Settings

logger = logging.getLogger("cryoprotect.cli")


def _settings() -> Settings:
    return Settings.from_env()


def _fail(exc: CryoprotectError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


def prepare_database(settings: Settings, *, attach: bool) -> Database:
    """Start (or attach to) the database, migrate it to head and load the reference data.

    Without ``attach`` (``serve``, both modes) it also ends the jobs an earlier server left
    running and fails the model versions they left ``training``
    (:func:`cryoprotect.services.jobs.recover_interrupted`).
    """
    db = Database(settings, attach=attach).start()
    try:
        if not db.at_head(as_owner=True):
            click.echo(f"Migrating the database to revision {head_revision()} …")
            db.upgrade()
        if settings.load_reference_data:
            from cryoprotect.services.reference_data import load_reference_data

            counts = load_reference_data(db)
            click.echo("Reference data: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
        if not attach:
            from cryoprotect.services.jobs import recover_interrupted

            # With the embedded server we just started, no other process can be running jobs.
            exclusive = db.server is not None and db.server.owner
            recovered = recover_interrupted(db, exclusive=exclusive)
            if any(recovered.values()):
                click.echo(
                    f"Recovered interrupted work: {recovered['jobs']} job(s) ended, "
                    f"{recovered['models']} model version(s) marked failed."
                )
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
@click.option(
    "--prod",
    is_flag=True,
    help="Serve with gunicorn (cryoprotect.ops.gunicorn_conf: CRYOPROTECT_WEB_WORKERS x "
    "CRYOPROTECT_WEB_THREADS, graceful stop on SIGTERM, multiprocess metrics) instead of the "
    "development server.",
)
def serve(host: str, port: int, prod: bool) -> None:
    """Serve the app, initialising or upgrading the data directory first."""
    settings = _settings()
    try:
        db = prepare_database(settings, attach=False)
    except CryoprotectError as exc:
        _fail(exc)
        return
    db.supervise()  # this process owns the embedded server: restart it if it dies
    where = (
        "embedded PostgreSQL in " + str(settings.home)
        if settings.embedded
        else "external PostgreSQL"
    )
    if prod:
        _serve_prod(db, host, port, where)
        return
    from cryoprotect.app import create_app

    jobs = None
    try:
        app = create_app(settings, db)
        jobs = app.extensions["cryoprotect"].jobs
        # SIGTERM: cancel running jobs (bounded) before the embedded server's handler stops
        # the database and exits.
        jobs.stop_jobs_on_sigterm()
        app.extensions["cryoprotect"].molecules.index.ensure_loaded()  # warm search indexes
        # Our access log (JSON, with request ids) replaces the development server's own.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        click.echo(
            f"CryoProtect is running on http://{host}:{port} (database: {where}). Ctrl+C stops it."
        )
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        if jobs is not None:
            jobs.shutdown()  # Ctrl+C and other exits: jobs end before the database stops
        db.stop()


def _serve_prod(db: Database, host: str, port: int, where: str) -> None:
    """Run gunicorn as a child while this process keeps (and finally stops) the database."""
    from cryoprotect.ops.serving import run_gunicorn

    # Workers open their own connections; close ours (the embedded server keeps running).
    db.owner_engine.dispose()
    db.app_engine.dispose()
    settings = db.settings
    try:
        status = run_gunicorn(
            host,
            port,
            on_started=lambda pid: click.echo(
                f"CryoProtect (gunicorn pid {pid}, {settings.web_workers} worker(s) x "
                f"{settings.web_threads} threads) is starting on http://{host}:{port} "
                f"(database: {where}). SIGTERM or Ctrl+C stops it gracefully."
            ),
        )
    finally:
        db.stop()
    sys.exit(status)


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
def screen(
    source: Path,
    output: Path,
    processes: int | None,
    top: int | None,
    model_id: uuid.UUID | None,
    email: str | None,
) -> None:
    """Rank an external SMILES/SDF library by CPA score (no database involved unless --model)."""
    from tqdm import tqdm

    from cryoprotect.services.screening import screen_file

    model = None
    if model_id is not None:
        model = _load_molecule_model(model_id, email)
    with tqdm(desc=f"screening {source.name}", unit="mol", file=sys.stderr) as bar:
        summary = screen_file(
            source, output, processes=processes, top=top, progress=bar.update, model=model
        )
    click.echo(
        f"{summary.total} molecules: {summary.scored} scored, {summary.failed} failed; "
        f"ranked list in {summary.output}"
    )


def _load_molecule_model(model_id: uuid.UUID, email: str | None) -> Any:
    """A molecule model from the database, as ``email`` (or the public-data owner) sees it."""
    from cryoprotect.db.database import SYSTEM_USER_ID
    from cryoprotect.services.actor import Actor
    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.models import MOLECULES, ModelService, model_kind

    settings = _settings()
    try:
        database = prepare_database(settings, attach=True)
    except CryoprotectError as exc:
        _fail(exc)
        return None
    try:
        actor = (
            AuthService(database, settings).actor_by_email(email)
            if email
            else Actor(user_id=SYSTEM_USER_ID, email="system@cryoprotect.invalid")
        )
        row, model = ModelService(database).load(actor, model_id)
        if model_kind(row.manifest) != MOLECULES:
            raise ValidationError(
                "--model must be a molecule model (trained on a molecule dataset).",
                field="model",
            )
    except CryoprotectError as exc:
        _fail(exc)
        return None
    finally:
        database.stop()
    click.echo(f"Predicting {row.target} with {row.name} v{row.version} ({row.id})", err=True)
    return model


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
@click.option(
    "--solute",
    "solutes",
    multiple=True,
    help="Fit only these solutes (CRC name or a planned CPA's name; repeatable).",
)
@click.option(
    "--max-mass-percent",
    type=float,
    default=40.0,
    show_default=True,
    help="CRC rows used for solutes without a published-curve plan (the CPAs have their own range).",
)
@click.option(
    "--reference",
    "reference_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Reference freezing-point table (default: the shipped freezing_points_reference.csv).",
)
@click.option("--crc-only", is_flag=True, help="Ignore the reference table (CRC data only).")
def params_fit(
    crc_path: Path,
    output_dir: Path | None,
    solutes: tuple[str, ...],
    max_mass_percent: float,
    reference_path: Path | None,
    crc_only: bool,
) -> None:
    """Fit osmotic virial coefficients to published freezing points for solutes lacking them.

    The common CPAs (propylene glycol, ethylene glycol, glycerol, methanol, ethanol) are
    fitted to the CRC table and Melinder's published curves together over their planned
    range; every other CRC solute to its CRC rows. Writes osmotic_virial_fitted.csv
    (provenance 'fitted') and osmotic_virial_fits.json with each fit's data, residuals and
    held-out errors (per source for the CPAs).
    """
    from cryoprotect.science import freezing_reference
    from cryoprotect.science.thermo import fit_missing_from_crc

    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
    reference = None if crc_only else (reference_path or freezing_reference.REFERENCE_TABLE)
    try:
        fits = fit_missing_from_crc(
            crc_path,
            output_dir=output_dir,
            solutes=solutes or None,
            max_mass_percent=max_mass_percent,
            reference_path=reference,
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


@params.command("reference")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write (default: the package's params/freezing_points_reference.csv).",
)
@click.option("--step", type=float, default=2.0, show_default=True, help="Spacing in % w/w.")
def params_reference(output: Path | None, step: float) -> None:
    """Sample Melinder's (2010) freezing curves through CoolProp into the reference table.

    Needs the CoolProp package (a test dependency); the table it writes is shipped, so the
    application never needs CoolProp at run time.
    """
    from cryoprotect.science import freezing_reference

    try:
        import CoolProp
        from CoolProp.CoolProp import PropsSI
    except ImportError:
        click.echo("CoolProp is not installed (pip install coolprop).", err=True)
        sys.exit(1)
    rows = freezing_reference.sample_melinder_curves(PropsSI, step_percent=step)
    path = output or freezing_reference.REFERENCE_TABLE
    freezing_reference.write_reference_table(rows, path, coolprop_version=CoolProp.__version__)
    click.echo(f"{len(rows)} freezing points written to {path}")


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


@main.group()
def flags() -> None:
    """Feature flags: list, set, override.

    Changes are made as the operator (the system account) and reach a running server
    within CRYOPROTECT_FLAGS_CACHE_TTL seconds (5 by default).
    """


def _flags_call(action: Any) -> Any:
    """Run ``action(flag_service, operator_actor, database)`` against the database."""
    from cryoprotect.db.database import SYSTEM_USER_ID
    from cryoprotect.ops.flags import FeatureFlags
    from cryoprotect.services.actor import Actor
    from cryoprotect.services.flags import FlagService

    settings = _settings()
    try:
        database = prepare_database(settings, attach=True)
    except CryoprotectError as exc:
        _fail(exc)
        return None
    operator = Actor(
        user_id=SYSTEM_USER_ID, email="system@cryoprotect.invalid", is_admin=True, via="cli"
    )
    try:
        return action(FlagService(database, FeatureFlags(database)), operator, database)
    except CryoprotectError as exc:
        _fail(exc)
        return None
    finally:
        database.stop()


def _flag_line(flag: dict[str, Any]) -> str:
    users = sum(1 for o in flag["overrides"] if o["target"] == "user")
    teams = len(flag["overrides"]) - users
    state = "on " if flag["enabled"] else "off"
    return (
        f"{flag['key']:<32} {state} rollout {flag['rollout_percentage']:>3} %  "
        f"overrides: {users} user, {teams} team  {flag['description'] or ''}"
    ).rstrip()


@flags.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print flags and overrides as JSON.")
def flags_list(as_json: bool) -> None:
    """Every flag: default, rollout percentage and overrides."""
    listed = _flags_call(lambda svc, actor, _db: svc.list_flags(actor))
    if listed is None:
        return
    if as_json:
        click.echo(json.dumps(listed, indent=2, default=str))
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

    flag = _flags_call(action)
    if flag is not None:
        click.echo(_flag_line(flag))


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
                user_id = AuthService(database, _settings()).actor_by_email(user).user_id
        target = f"user {user}" if user is not None else f"team {team_id}"
        if clear:
            svc.delete_override(actor, key, user_id=user_id, team_id=team_id)
            return f"{key}: override for {target} removed"
        svc.set_override(
            actor, key, user_id=user_id, team_id=team_id, enabled=bool(enabled), note=note
        )
        return f"{key}: {'on' if enabled else 'off'} for {target}"

    message = _flags_call(action)
    if message is not None:
        click.echo(message)


@main.group()
def backup() -> None:
    """Backups: create, list, verify, restore and prune (pg_dump custom format + checksums)."""


_backup_dir_option = click.option(
    "--backup-dir",
    type=click.Path(file_okay=False, path_type=Path),
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

    settings = _settings()
    try:
        tools = PgTools.from_option(pg_bin)
        tools.executable("pg_dump")  # before starting anything
        database = Database(settings, attach=True).start()
    except CryoprotectError as exc:
        _fail(exc)
        return
    try:
        made = create_backup(
            database, _backup_dir(settings, backup_dir), tools=tools, compression=compress
        )
    except CryoprotectError as exc:
        _fail(exc)
        return
    finally:
        database.stop()
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

    directory = _backup_dir(_settings(), backup_dir)
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

    try:
        found = find_backup(_backup_dir(_settings(), backup_dir), name)
        report = verify_backup(found, tools=PgTools.from_option(pg_bin))
    except CryoprotectError as exc:
        _fail(exc)
        return
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
    type=click.Path(file_okay=False, path_type=Path),
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

    settings = _settings()
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
    try:
        found = find_backup(_backup_dir(settings, backup_dir), name)
        tools = PgTools.from_option(pg_bin)
        tools.executable("pg_restore")
        target = Database(target_settings, attach=not (target_url or data_dir)).start()
    except CryoprotectError as exc:
        _fail(exc)
        return
    try:
        report = restore_backup(
            found, target, tools=tools, clean=clean, tables=tables, migrate=not no_migrate
        )
    except CryoprotectError as exc:
        _fail(exc)
        return
    finally:
        target.stop()
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

    try:
        plan = prune_backups(
            _backup_dir(_settings(), backup_dir),
            keep_daily=keep_daily,
            keep_weekly=keep_weekly,
            dry_run=dry_run,
        )
    except CryoprotectError as exc:
        _fail(exc)
        return
    verb = "would remove" if dry_run else "removed"
    for kept, reasons in plan.keep:
        click.echo(f"keep          {kept.name}  ({', '.join(reasons)})")
    for gone in plan.remove:
        click.echo(f"{verb:<13} {gone.name}")
    for path in plan.incomplete:
        click.echo(f"{verb:<13} {path.name}  (incomplete, older than a day)")
    click.echo(f"{len(plan.keep)} kept, {len(plan.remove)} {verb}.")


if __name__ == "__main__":  # pragma: no cover
    main()
