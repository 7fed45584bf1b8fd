"""Cocktail designer checks (issue 16): Reproduction and Against the baseline.

**Reproduction** — Warner et al. 2022 (Cryobiology, PMC9529850) proposed 7.4 molal glycerol +
1.4 molal DMSO + 2.4 molal formamide (their abstract). Running the designer on their problem
needs (a) their fitted multi-CPA toxicity parameters, (b) their vitrification/devitrification
model and (c) a cell type that lets formamide in. None is available here: only the abstract
could be read (science/toxicity ships no published parameters, validation/toxicity.py), the
paper's vitrification model is not in CryoProtect (our critical-rate data cover one-CPA
ethylene glycol at 40-50 % w/w and the named DP6/VS55/M22), and no shipped cell type records a
formamide permeability. The row is therefore "not run", with what we can compute of the
paper's composition (its total molality and % w/w).

**Against the baseline** — for three shipped cell types and one vitrification target (total CPA
molality at least that of DP6, 3 M DMSO + 3 M propylene glycol converted to molality), the
designed cocktail (all candidate CPAs the cell has permeabilities for, up to DMSO, propylene
glycol, ethylene glycol, glycerol) against the best one-CPA design and against DP6 / VS55
loaded by the same designer. Toxicity model: the shipped Benson cost as a rate
(:func:`cryoprotect.science.cocktail.benson_rate_model`) — the only toxicity functional
CryoProtect can stand behind today; its rate scale is arbitrary, so the table reports
ratios of -ln S (= ratios of the Benson cost J), not surviving fractions. Ratios < 1: the
designed cocktail is predicted less toxic.

Usage: python validation/cocktail.py  (a few minutes)
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from cryoprotect.errors import InfeasibleProtocolError, ValidationError  # noqa: E402
from cryoprotect.science import composition  # noqa: E402
from cryoprotect.science.cells import get_cell_type  # noqa: E402
from cryoprotect.science.cocktail import (  # noqa: E402
    VitrificationTarget,
    benson_rate_model,
    design_cocktail,
    design_for_composition,
    mass_percents,
)
from cryoprotect.science.transport import isotonic_carrier  # noqa: E402
from cryoprotect.science.vitrification import named_solutions  # noqa: E402

CELLS = ("generic_mammalian", "rhesus_mii_oocyte", "mouse_mii_oocyte")
POOL = ("Dimethyl sulfoxide", "Propylene glycol", "Ethylene glycol", "Glycerol")
TEMPERATURE_C = 22.0
WARNER = {"Glycerol": 7.4, "Dimethyl sulfoxide": 1.4, "Formamide": 2.4}


def named_molality(name: str) -> dict[str, float]:
    """A named solution's CPA molarities (mol/L) converted to molality (carrier ignored)."""
    found = next(n for n in named_solutions() if n.name == name)
    solutes = [composition.get_solute(c) for c in found.molarities]
    state = composition.to_molality(np.array([list(found.molarities.values())]), "mol/L", solutes)
    return {s.name: float(m) for s, m in zip(solutes, state.molality_mol_per_kg[0], strict=True)}


def reproduction() -> dict[str, Any]:
    cell = get_cell_type("generic_mammalian")
    percents = mass_percents(WARNER, isotonic_carrier(cell))
    return {
        "check": "reproduction",
        "paper": "Warner et al., Cryobiology 2022, PMC9529850 (abstract)",
        "paper_composition_molal": WARNER,
        "paper_total_molal": sum(WARNER.values()),
        "paper_total_mass_percent_in_isotonic_carrier": sum(percents.values()),
        "status": "not_run",
        "reason": (
            "the paper's toxicity parameters could not be read (abstract only; none shipped), "
            "its vitrification/devitrification model is not in CryoProtect, and no shipped cell "
            "type records a formamide permeability, so neither the composition objective nor "
            "the loading protocol can be evaluated for glycerol + DMSO + formamide"
        ),
    }


def _design(cell_key: str, target: VitrificationTarget) -> dict[str, Any]:
    cell = get_cell_type(cell_key)
    pool = [c for c in POOL if cell.permeability(c) is not None]
    model = benson_rate_model(pool)
    row: dict[str, Any] = {"cell_type": cell_key, "candidates": pool}
    started = time.perf_counter()
    design = design_cocktail(
        cell, pool, model, temperature_c=TEMPERATURE_C, vitrification=target, pareto_levels=1
    )
    row["design_seconds"] = time.perf_counter() - started
    best = design.best
    cost = -best.survival.log_survival
    row["designed"] = {
        "molality": {k: round(v, 3) for k, v in best.molality.items()},
        "minus_ln_s": cost,
        "duration_s": best.protocol.total_duration_s,
        "binding": [b.constraint for b in best.binding],
    }
    singles = []
    for cpa in pool:
        try:
            single = design_cocktail(
                cell,
                [cpa],
                model,
                temperature_c=TEMPERATURE_C,
                vitrification=target,
                pareto_levels=1,
            )
        except InfeasibleProtocolError as error:
            singles.append({"cpa": cpa, "minus_ln_s": None, "reason": str(error)})
            continue
        singles.append({"cpa": cpa, "minus_ln_s": -single.best.survival.log_survival})
    costs = [s for s in singles if s["minus_ln_s"] is not None]
    best_single = min(costs, key=lambda s: s["minus_ln_s"]) if costs else None
    row["single_cpa"] = singles
    row["ratio_vs_best_single"] = cost / best_single["minus_ln_s"] if best_single else None
    row["best_single"] = best_single["cpa"] if best_single else None
    for name in ("DP6", "VS55"):
        molality = named_molality(name)
        try:
            fixed = design_for_composition(
                cell,
                molality,
                model,
                temperature_c=TEMPERATURE_C,
                vitrification=target,
                label=name,
            )
        except (ValidationError, InfeasibleProtocolError) as error:
            row[f"ratio_vs_{name}"] = None
            row[f"{name}_reason"] = str(error)
            continue
        row[f"ratio_vs_{name}"] = cost / -fixed.survival.log_survival
    return row


def baseline() -> list[dict[str, Any]]:
    dp6 = named_molality("DP6")
    target = VitrificationTarget(min_total_molality_mol_per_kg=round(sum(dp6.values()), 3))
    rows = []
    for cell in CELLS:
        row = _design(cell, target)
        row["target_min_total_molality"] = target.min_total_molality_mol_per_kg
        rows.append(row)
    return rows


def _fmt(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.3f}"


def main() -> None:
    rep = reproduction()
    print("Reproduction (Warner et al. 2022):", rep["status"])
    print(
        f"  paper: {rep['paper_composition_molal']} = {rep['paper_total_molal']:.1f} mol/kg, "
        f"{rep['paper_total_mass_percent_in_isotonic_carrier']:.1f} % w/w in isotonic NaCl"
    )
    print("  " + rep["reason"])
    rows = baseline()
    print(
        f"\nAgainst the baseline (toxicity: Benson cost as a rate; target: total CPA >= "
        f"{rows[0]['target_min_total_molality']} mol/kg = DP6's total; ratios of -ln S)"
    )
    print(
        f"{'cell type':20} {'designed cocktail':55} {'vs best 1-CPA':>14} "
        f"{'vs DP6':>8} {'vs VS55':>8} {'s':>6}"
    )
    for row in rows:
        print(
            f"{row['cell_type']:20} {str(row['designed']['molality']):55} "
            f"{_fmt(row['ratio_vs_best_single']):>14} {_fmt(row['ratio_vs_DP6']):>8} "
            f"{_fmt(row['ratio_vs_VS55']):>8} {row['design_seconds']:6.1f}"
        )
        print(f"    best one-CPA: {row['best_single']}; binding: {row['designed']['binding']}")
        for name in ("DP6", "VS55"):
            if row.get(f"{name}_reason"):
                print(f"    {name}: not loadable — {row[f'{name}_reason'][:150]}")


if __name__ == "__main__":
    main()
