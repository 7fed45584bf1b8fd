"""``cryoprotect params``: fit and sample the scientific parameter tables."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cryoprotect.cli.common import DIRECTORY, EXISTING_FILE, FILE
from cryoprotect.cli.root import main


@main.group()
def params() -> None:
    """Scientific parameter tables (osmotic virial coefficients, …)."""


@params.command("fit")
@click.option(
    "--crc",
    "crc_path",
    type=EXISTING_FILE,
    required=True,
    help="CRC 'Concentrative properties of aqueous solutions' table (CSV).",
)
@click.option(
    "--output-dir",
    type=DIRECTORY,
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
    type=EXISTING_FILE,
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
    fits = fit_missing_from_crc(
        crc_path,
        output_dir=output_dir,
        solutes=solutes or None,
        max_mass_percent=max_mass_percent,
        reference_path=reference,
    )
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
    type=FILE,
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
