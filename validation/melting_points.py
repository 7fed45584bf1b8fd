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

Osmolality: the same held-out split (leave-one-out) scored on the osmolality each measured
freezing point stands for (π = (ΔH_fus/(R M_w))·(1/T_m − 1/T_m0)), as a relative error.

Also scored (CRC table alone, leave-one-out, as ``params fit`` fits them): sucrose, sodium
chloride and potassium chloride.

Not validated, and reported as such (a row with n = 0): DMSO, formamide, acetamide and
trehalose. No published freezing points or osmolalities of these could be read: the stored
copy of Weng et al. (J Chem Eng Data 56:3175, 2011, DSC osmolality of aqueous DMSO) holds
only its title page and abstract, Rasmussen & MacKenzie (Nature 220:1315, 1968) give the
DMSO–water phase diagram as a figure, and the CRC table has none of the four. DMSO's quoted
B = 0.108 kg/mol stays unverified and, having no recorded range, gives no number in any
answer (``thermo_validity`` rule 4). The DMSO row fails (the issue's target names DMSO).

:func:`rows` returns the table as dicts (``validation/report.py`` prints it).

Usage: python validation/melting_points.py [--crc PATH] [--reference PATH]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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


CRC_ONLY = (  # (library name, CRC name): fitted to the CRC table alone (params fit)
    ("Sucrose", "Sucrose"),
    ("Sodium chloride", "Sodium chloride"),
    ("Potassium chloride", "Potassium chloride"),
)
NOT_VALIDATED = {  # solute → why it has no row with data
    "Dimethyl sulfoxide": (
        "no published DMSO freezing points or osmolalities could be read (Weng et al., "
        "J Chem Eng Data 56:3175, 2011: stored copy holds the abstract only; Rasmussen & "
        "MacKenzie, Nature 220:1315, 1968: figure only); quoted B = 0.108 kg/mol unverified, "
        "so DMSO solutions get no number"
    ),
    "Formamide": "no published freezing points or osmolalities found (not in the CRC table)",
    "Acetamide": "no published freezing points or osmolalities found (not in the CRC table)",
    "Trehalose": (
        "no tabulated freezing points could be read (Wang & Haymet, J Phys Chem B 102:5341, "
        "1998: abstract only); quoted B = 0.250 kg/mol unverified"
    ),
}
TARGETED = frozenset({"Dimethyl sulfoxide"})
"""Solutes without data that the issue's melting-point target names: their row fails."""


def _osmolality_loo_by_source(
    series: list[thermo.FreezingSeries], *, c_nonnegative: bool, fit_k_diss: bool = False
) -> list[tuple[float, float]]:
    """Leave-one-out relative osmolality error per source: (mean |rel|, max |rel|)."""
    m = np.concatenate([s.molality for s in series])
    dt = np.concatenate([s.delta_t_c for s in series])
    group = np.concatenate([np.full(s.molality.size, i) for i, s in enumerate(series)])
    measured = thermo.osmolality_from_melting_point(thermo.WATER_MELTING_POINT_K - dt)
    rel = np.empty(m.size)
    for index in range(m.size):
        keep = np.arange(m.size) != index
        fit = thermo.fit_virial_from_freezing_points(
            m[keep], dt[keep], fit_k_diss=fit_k_diss, c_nonnegative=c_nonnegative
        )
        x = fit.k_diss * m[index]
        predicted = x + fit.b_kg_per_mol * x**2 + fit.c_kg2_per_mol2 * x**3
        rel[index] = abs(predicted / measured[index] - 1.0)
    return [
        (float(rel[group == i].mean()), float(rel[group == i].max())) for i in range(len(series))
    ]


def _row(
    system: str,
    source: str,
    data: tuple[thermo.FloatArray, thermo.FloatArray],
    n: int,
    alternate: tuple[float, float],
    loo: tuple[float, float],
    osmolality: tuple[float, float],
    residual_c: float,
) -> dict[str, Any]:
    percent, molality = data
    mae = max(loo[0], alternate[0])
    passes = mae <= TARGET_MAE_C
    return {
        "section": "melting_point",
        "system": system,
        "source": source,
        "range": (
            f"{percent.min():g}–{percent.max():g} % w/w "
            f"({molality.min():.3g}–{molality.max():.3g} mol/kg)"
        ),
        "n": n,
        "mae_c": mae,
        "max_abs_c": max(loo[1], alternate[1]),
        "target_c": TARGET_MAE_C,
        "passes": passes,
        "status": "validated" if passes else "misses_target",
        "reason": None,
        "alternate_mae_c": alternate[0],
        "loo_mae_c": loo[0],
        "fit_residual_mae_c": residual_c,
        "osmolality_loo_mae_rel": osmolality[0],
        "osmolality_loo_max_rel": osmolality[1],
    }


def rows(
    *, crc_path: Path = DEFAULT_CRC, reference_path: Path = freezing_reference.REFERENCE_TABLE
) -> list[dict[str, Any]]:
    """Held-out melting-point (and osmolality) error per solute and published source.

    Keys: ``section`` (``"melting_point"``), ``system`` (the solute), ``source``, ``range``,
    ``n``, ``mae_c`` (the worse of the alternate-point and leave-one-out held-out MAE, °C),
    ``max_abs_c``, ``target_c`` (0.5 °C), ``passes``; plus ``status`` (``validated``,
    ``misses_target``, ``no_data``), ``reason`` (for ``no_data``), ``alternate_mae_c``,
    ``loo_mae_c``, ``fit_residual_mae_c`` and ``osmolality_loo_mae_rel`` /
    ``osmolality_loo_max_rel`` (leave-one-out relative error of the osmolality). A solute
    without data has one row with ``n = 0``: it fails when the issue's target names it
    (DMSO) and has ``passes = None`` (no target) otherwise.
    """
    crc = thermo.read_crc_freezing_points(crc_path, max_mass_percent=100.0)
    reference = freezing_reference.read_reference_freezing_points(reference_path)
    out: list[dict[str, Any]] = []
    for plan in thermo.PUBLISHED_FIT_PLAN:
        series = thermo.published_series(plan, crc=crc, reference=reference)
        _, by_source = thermo.held_out_error_by_source(series)
        osm = _osmolality_loo_by_source(series, c_nonnegative=False)
        for s, data, o in zip(by_source, series, osm, strict=True):
            out.append(
                _row(
                    plan.solute,
                    s.source,
                    (data.mass_percent, data.molality),
                    s.n_points,
                    (s.alternate_mae_c, s.alternate_max_c),
                    (s.loo_mae_c, s.loo_max_c),
                    o,
                    s.fit_residual_mae_c,
                )
            )
    to_40 = thermo.read_crc_freezing_points(crc_path)  # the range params fit uses for them
    for name, crc_name in CRC_ONLY:
        one = to_40[crc_name]
        electrolyte = thermo.is_dissociating(one.molality, one.delta_t_c)
        held = thermo.held_out_error(one.molality, one.delta_t_c, fit_k_diss=electrolyte)
        as_series = thermo.FreezingSeries(
            thermo.CRC_SOURCE_KEY, thermo.CRC_SOURCE, one.mass_percent, one.molality, one.delta_t_c
        )
        (osm_one,) = _osmolality_loo_by_source(
            [as_series], c_nonnegative=True, fit_k_diss=electrolyte
        )
        out.append(
            _row(
                name,
                thermo.CRC_SOURCE_KEY,
                (one.mass_percent, one.molality),
                held.n_points,
                (held.alternate_mae_c, held.alternate_max_c),
                (held.loo_mae_c, held.loo_max_c),
                osm_one,
                held.fit_residual_mae_c,
            )
        )
    for name, reason in NOT_VALIDATED.items():
        targeted = name in TARGETED
        out.append(
            {
                "section": "melting_point",
                "system": name,
                "source": "—",
                "range": "—",
                "n": 0,
                "mae_c": None,
                "max_abs_c": None,
                "target_c": TARGET_MAE_C if targeted else None,
                "passes": False if targeted else None,
                "status": "no_data",
                "reason": reason,
                "alternate_mae_c": None,
                "loo_mae_c": None,
                "fit_residual_mae_c": None,
                "osmolality_loo_mae_rel": None,
                "osmolality_loo_max_rel": None,
            }
        )
    return out


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
    for name, reason in NOT_VALIDATED.items():
        print(f"{name:17} {'—':13} NOT VALIDATED: {reason}")
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
