"""Melting points predicted by cryoprotect.science.thermo vs the CRC Handbook freezing points.

For glycerol, ethylene glycol, methanol, sucrose, D-glucose, urea and sodium chloride at
0–40 % w/w (rows of the CRC table with a freezing-point depression), prints the mean and
largest absolute error of the predicted melting point (°C) and which parameter set was used.

Where the parameter set in use was fitted to these same CRC data, the error printed is a
HELD-OUT error, never the fit residual:
  * alternate: coefficients refitted to every other concentration (even indices), error on
    the remaining ones;
  * leave-one-out: each point predicted by coefficients refitted to all the others (the end
    points are therefore extrapolations).
The in-sample residual is printed only for contrast. Glycerol, ethylene glycol and methanol
are now fitted to the CRC and Melinder (2010) curves together up to 60 % w/w (C free in
sign); here their CRC rows are refitted the same way (C free), and
validation/melting_points.py reports the pooled fit per source. Published coefficients that could not
be checked against their paper are also compared with the CRC data (a plausibility check;
they were not fitted by us, so that error is out-of-sample for our purposes, although the
authors may have used the same underlying data).

Targets: MAE ≤ 0.5 °C for glycerol and ethylene glycol up to 40 % w/w; no solute worse than
1.5 °C inside its parameters' valid range.

Usage: python validation/crc_freezing_points.py [--crc PATH] [--max-mass-percent 40]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cryoprotect.science import thermo

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CRC = ROOT / "data" / "crc_aqueous_solutions_20c.csv"

# Library name -> CRC name (the CRC lists ethylene glycol as 1,2-Ethanediol).
SOLUTES = {
    "Glycerol": "Glycerol",
    "Ethylene glycol": "1,2-Ethanediol",
    "Methanol": "Methanol",
    "Sucrose": "Sucrose",
    "D-Glucose": "D-Glucose",
    "Urea": "Urea",
    "Sodium chloride": "Sodium chloride",
}
TARGETS = {"Glycerol": 0.5, "Ethylene glycol": 0.5}
DEFAULT_TARGET = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crc", type=Path, default=DEFAULT_CRC)
    parser.add_argument("--max-mass-percent", type=float, default=40.0)
    args = parser.parse_args()
    series = thermo.read_crc_freezing_points(args.crc, max_mass_percent=args.max_mass_percent)
    shipped = thermo.default_virial_parameters()
    literature = thermo.load_virial_table(thermo.LITERATURE_TABLE)
    print(f"CRC data: {args.crc.name}, 0–{args.max_mass_percent:g} % w/w; errors in °C of T_m")
    print(f"melting-point relation: {thermo.MELTING_POINT_METHOD}\n")
    header = (
        f"{'solute':16} {'n':>3} {'w% max':>6} {'parameter set (provenance)':44} "
        f"{'alt-split MAE':>13} {'max':>6} {'LOO MAE':>8} {'max':>6} {'fit resid':>9} "
        f"{'target':>6} ok"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for name, crc_name in SOLUTES.items():
        data = series[crc_name]
        params = shipped[name.lower()]
        target = TARGETS.get(name, DEFAULT_TARGET)
        inside = data.molality <= (params.valid_max_molality or np.inf)
        m, dt = data.molality[inside], data.delta_t_c[inside]
        label = f"{params.table} ({params.provenance})"
        if params.table == thermo.FITTED_TABLE.name:
            held = thermo.held_out_error(
                m,
                dt,
                fit_k_diss=params.k_diss != 1.0,
                fit_c=True,
                c_nonnegative=params.c_kg2_per_mol2 >= 0.0,
            )
            mae, worst = held.alternate_mae_c, held.alternate_max_c
            loo, loo_worst, resid = held.loo_mae_c, held.loo_max_c, held.fit_residual_mae_c
            row = f"{mae:13.3f} {worst:6.3f} {loo:8.3f} {loo_worst:6.3f} {resid:9.3f}"
            ok = max(mae, loo) <= target
        else:
            errors = np.abs(
                thermo.predict_delta_t_c(
                    m, params.b_kg_per_mol, params.c_kg2_per_mol2, params.k_diss
                )
                - dt
            )
            mae, worst = float(errors.mean()), float(errors.max())
            row = f"{mae:13.3f} {worst:6.3f} {'n/a':>8} {'':6} {'n/a':>9}"
            ok = mae <= target
        failures += not ok
        print(
            f"{name:16} {m.size:3d} {data.mass_percent[inside].max():6.1f} {label:44} {row} "
            f"{target:6.1f} {'yes' if ok else 'NO'}"
        )
    print("\nplausibility of published coefficients not checked against their paper:")
    for name, crc_name in SOLUTES.items():
        published = literature.get(name.lower())
        if published is None or published.verified:
            continue
        data = series[crc_name]
        errors = np.abs(
            thermo.predict_delta_t_c(
                data.molality, published.b_kg_per_mol, published.c_kg2_per_mol2, published.k_diss
            )
            - data.delta_t_c
        )
        print(
            f"  {name:16} B = {published.b_kg_per_mol:g} kg/mol, C = {published.c_kg2_per_mol2:g},"
            f" k = {published.k_diss:g}: MAE {errors.mean():.3f} °C, max {errors.max():.3f} °C"
            f" over {data.molality.size} CRC points (≤ {data.mass_percent.max():g} % w/w)"
        )
    print(f"\n{len(SOLUTES) - failures} passed, {failures} failed")


if __name__ == "__main__":
    main()
