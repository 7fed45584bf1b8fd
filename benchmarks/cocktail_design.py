"""Cocktail design speed (issue 16, check "Speed"): one design of 3 CPAs (loading + unloading)
against a naive grid search of the same resolution.

* **designer** — :func:`cryoprotect.science.cocktail.design_cocktail` (lattice of CPA
  proportions at spacing ``--step``, each taken to the vitrification boundary, ranked by the
  one-step proxy, full protocol design of the best; ``--pareto-levels`` more quick designs).
* **naive grid** — the same lattice and boundary, and a full protocol design
  (:func:`~cryoprotect.science.cocktail.design_for_composition`, the designer's own) at
  *every* lattice point; the best -ln S wins.

Problem: generic_mammalian cells, DMSO + propylene glycol + ethylene glycol at 22 °C, total
CPA ≥ DP6's total molality, the cell's own osmotic limits, max 3 steps per phase; toxicity:
the shipped Benson cost as a rate (benson_rate_model). Prints wall and CPU seconds of both,
their ratio and the best -ln S each found (lower is better).

Usage: python benchmarks/cocktail_design.py [--step 0.25] [--pareto-levels 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "src", ROOT / "validation"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from cocktail import named_molality  # noqa: E402

from cryoprotect.errors import InfeasibleProtocolError  # noqa: E402
from cryoprotect.science.cells import get_cell_type  # noqa: E402
from cryoprotect.science.cocktail import (  # noqa: E402
    VitrificationTarget,
    benson_rate_model,
    design_cocktail,
    design_for_composition,
    fraction_grid,
)
from cryoprotect.science.cocktail.rate import rate_integrand  # noqa: E402
from cryoprotect.science.cocktail.search import SearchContext, boundary  # noqa: E402
from cryoprotect.science.transport import isotonic_carrier  # noqa: E402

CPAS = ("Dimethyl sulfoxide", "Propylene glycol", "Ethylene glycol")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--step", type=float, default=0.25)
    parser.add_argument("--pareto-levels", type=int, default=1)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    cell = get_cell_type("generic_mammalian")
    model = benson_rate_model(CPAS)
    target = VitrificationTarget(
        min_total_molality_mol_per_kg=round(sum(named_molality("DP6").values()), 3)
    )
    wall, cpu = time.perf_counter(), time.process_time()
    design = design_cocktail(
        cell,
        CPAS,
        model,
        temperature_c=22.0,
        vitrification=target,
        composition_step=args.step,
        pareto_levels=args.pareto_levels,
    )
    ours_wall, ours_cpu = time.perf_counter() - wall, time.process_time() - cpu
    ours = -design.best.survival.log_survival
    print(
        f"designer   : {ours_wall:7.1f} s wall {ours_cpu:7.1f} s CPU, "
        f"{design.settings['protocol_designs']} protocol designs, "
        f"{design.settings['proportions']} proportions; best -ln S = {ours:.4g} at "
        f"{ {k: round(v, 2) for k, v in design.best.molality.items()} }"
    )
    if args.skip_naive:
        return
    context = SearchContext(
        cell,
        CPAS,
        isotonic_carrier(cell),
        target,
        rate_integrand(model),
        22.0,
        22.0,
        0.95,
        1e5,
        20.0,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    best: tuple[float, dict[str, float]] | None = None
    designs = 0
    for fractions in fraction_grid(len(CPAS), args.step):
        found = boundary(context, fractions, 0)
        if found is None:
            continue
        molality, _ = found
        try:
            point = design_for_composition(
                cell, molality, model, temperature_c=22.0, vitrification=target
            )
        except InfeasibleProtocolError:
            continue
        designs += 1
        cost = -point.survival.log_survival
        if best is None or cost < best[0]:
            best = (cost, molality)
    naive_wall, naive_cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert best is not None
    print(
        f"naive grid : {naive_wall:7.1f} s wall {naive_cpu:7.1f} s CPU, {designs} protocol "
        f"designs; best -ln S = {best[0]:.4g} at { {k: round(v, 2) for k, v in best[1].items()} }"
    )
    print(
        f"ratio naive/designer: {naive_wall / ours_wall:.1f}x wall, "
        f"{naive_cpu / ours_cpu:.1f}x CPU; designer's -ln S / naive's = {ours / best[0]:.3f}"
    )


if __name__ == "__main__":
    main()
