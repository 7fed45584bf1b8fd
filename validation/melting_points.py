"""Held-out melting-point error of the common CPAs, per solute and published source.

Issue 13 (item 7, melting-point part; Targets: MAE ≤ 0.5 °C on held-out data for each of
DMSO, propylene glycol, ethylene glycol, glycerol, methanol and ethanol, from 0 to the
highest published concentration below the eutectic).

Data (see ``cryoprotect.science.thermo.PUBLISHED_FIT_PLAN`` for each solute's range):
  * crc          CRC Handbook of Chemistry and Physics, 102nd ed. (2021), "Concentrative
                 properties of aqueous solutions" (freezing points from Wolf, 1966);
  * melinder2010 Melinder Å., Properties of Secondary Working Fluids for Indirect Systems,
                 2nd ed., IIR 2010 — the freezing curves CoolProp ships (MPG, MEG, MGL,
                 MMA, MEA), sampled into science/params/freezing_points_reference.csv.

Errors printed (°C of the melting point), never the fit residual as the headline:
  * alternate: B and C fitted to the even-indexed points of every source (each sorted by
    concentration), error on the odd-indexed points of the source named;
  * leave-one-out: each point predicted by a fit to all other points of every source;
  * cross-source: B and C fitted to ONE source alone, error on the other source's points
    inside the first one's range (CRC and Melinder are largely independent compilations,
    though Melinder's curves draw on older tables too);
  * quoted: the published-but-unchecked coefficients of osmotic_virial.csv on all points.

DMSO: no tabulated DMSO freezing points could be found offline (Rasmussen & MacKenzie,
Nature 220:1315, 1968, give them as a figure; Weng et al., J Chem Eng Data 2011, as DSC
osmolalities we could not read), so its quoted B = 0.108 kg/mol stays unverified and is
reported as NOT validated.

Usage: python validation/melting_points.py [--crc PATH] [--reference PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cryoprotect.science import freezing_reference, thermo

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CRC = ROOT / "data" / "crc_aqueous_solutions_20c.csv"
TARGET_MAE_C = 0.5
HEADLINE = [  # (solute, % w/w, published °C, source)
    ("Propylene glycol", 30.0, -12.79, "Melinder 2010"),
    ("Propylene glycol", 40.0, -20.57, "Melinder 2010"),
    ("Glycerol", 20.0, -5.46, "CRC"),
    ("Ethylene glycol", 40.0, -23.84, "CRC"),
]


def cross_source(series: list[thermo.FreezingSeries]) -> list[str]:
    """Each source's coefficients predicting the other sources inside its own range."""
    lines = []
    for train in series:
        if train.molality.size < 4:
            continue
        fit = thermo.fit_virial_from_freezing_points(
            train.molality, train.delta_t_c, c_nonnegative=False
        )
        for test in series:
            if test is train:
                continue
            inside = test.molality <= train.molality.max()
            errors = np.abs(
                thermo.predict_delta_t_c(
                    test.molality[inside], fit.b_kg_per_mol, fit.c_kg2_per_mol2
                )
                - test.delta_t_c[inside]
            )
            lines.append(
                f"    fitted to {train.source} only (≤ {train.mass_percent.max():g} % w/w) → "
                f"{test.source}: n = {errors.size}, MAE {errors.mean():.3f}, max {errors.max():.3f}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crc", type=Path, default=DEFAULT_CRC)
    parser.add_argument("--reference", type=Path, default=freezing_reference.REFERENCE_TABLE)
    args = parser.parse_args()
    crc = thermo.read_crc_freezing_points(args.crc, max_mass_percent=100.0)
    reference = freezing_reference.read_reference_freezing_points(args.reference)
    shipped = thermo.default_virial_parameters()
    quoted = thermo.load_virial_table(thermo.LITERATURE_TABLE)
    print("Melting point of ice in binary CPA solutions: held-out error in °C")
    print(f"melting-point relation: {thermo.MELTING_POINT_METHOD}\n")
    header = (
        f"{'solute':17} {'source':13} {'% w/w':>9} {'mol/kg':>11} {'n':>3} "
        f"{'alt MAE':>7} {'max':>6} {'LOO MAE':>7} {'max':>6} {'resid':>6} {'target':>6} ok"
    )
    print(header)
    print("-" * len(header))
    passed = failed = 0
    details: list[str] = []
    for plan in thermo.PUBLISHED_FIT_PLAN:
        series = thermo.published_series(plan, crc=crc, reference=reference)
        _, by_source = thermo.held_out_error_by_source(series)
        for s, data in zip(by_source, series, strict=True):
            ok = max(s.alternate_mae_c, s.loo_mae_c) <= TARGET_MAE_C
            passed += ok
            failed += not ok
            print(
                f"{plan.solute:17} {s.source:13} {s.min_mass_percent:>4g}–{s.max_mass_percent:<4g}"
                f" {data.molality.min():>5.3g}–{data.molality.max():<5.3g} {s.n_points:3d} "
                f"{s.alternate_mae_c:7.3f} {s.alternate_max_c:6.3f} {s.loo_mae_c:7.3f} "
                f"{s.loo_max_c:6.3f} {s.fit_residual_mae_c:6.3f} {TARGET_MAE_C:6.1f} "
                f"{'yes' if ok else 'NO'}"
            )
        params = shipped[plan.solute.lower()]
        details.append(
            f"{plan.solute}: shipped B = {params.b_kg_per_mol:g} kg/mol, "
            f"C = {params.c_kg2_per_mol2:g} kg²/mol² ({params.table}, {params.provenance}); "
            f"valid to {params.valid_max_molality:g} mol/kg ({plan.max_mass_percent:g} % w/w): "
            f"{plan.reason}"
        )
        details.extend(cross_source(series))
        old = quoted.get(plan.solute.lower())
        if old is not None:
            m = np.concatenate([d.molality for d in series])
            dt = np.concatenate([d.delta_t_c for d in series])
            errors = np.abs(
                thermo.predict_delta_t_c(m, old.b_kg_per_mol, old.c_kg2_per_mol2, old.k_diss) - dt
            )
            details.append(
                f"    quoted B = {old.b_kg_per_mol:g} (verified={str(old.verified).lower()}) on "
                f"the same {m.size} points: MAE {errors.mean():.3f}, max {errors.max():.3f}"
            )
    dmso = shipped["dimethyl sulfoxide"]
    print(
        f"{'Dimethyl sulfoxide':17} {'—':13} {'no published freezing points available offline':>47}"
        f"   NOT VALIDATED (B = {dmso.b_kg_per_mol:g} quoted, verified={str(dmso.verified).lower()})"
    )
    print("\nCoefficients, ranges and cross-checks:")
    for line in details:
        print(f"  {line}")
    print("\nHeadline compositions (shipped coefficients through solution_thermo):")
    molar = {f.solute: f.molar_mass_g_per_mol for f in freezing_reference.MELINDER_FLUIDS}
    for solute, w_pct, published, source in HEADLINE:
        w = w_pct / 100.0
        m = w / (1.0 - w) * 1000.0 / molar[solute]
        tm = float(thermo.solution_thermo([m], [solute]).melting_point_c)
        print(
            f"  {w_pct:g} % w/w {solute}: computed {tm:.2f} °C, published {published:.2f} °C "
            f"({source}), error {tm - published:+.2f} °C"
        )
    print(f"\n{passed} passed, {failed} failed")


if __name__ == "__main__":
    main()
