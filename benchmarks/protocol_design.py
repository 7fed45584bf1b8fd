"""Protocol design: time to design the DMSO 1.4 M protocol, against two baselines.

Designs loading to 1.4 mol/L DMSO (converted to molality by ``science.composition``) and
unloading for rhesus MII oocytes at 22 °C with ``science.protocols.design_protocol``, and
prints, each measured in this run:

1. our figure: the wall time of one design call (best of ``--repeats``), with the toxicity
   cost and volume range of the designed protocol;
2. baseline A, the peers' equal-step heuristic: the time to build and evaluate the 4-step
   equal-increment protocol, its toxicity cost and volume range, and the ratios
   (time: design / heuristic; toxicity: heuristic / designed);
3. baseline B, a naive fixed-step RK4 integrator: the time to evaluate the designed protocol
   (cell-volume extremes and toxicity integral) with the same right-hand side integrated by
   classical RK4, at the largest step (halving from 8 s) whose results agree with the
   LSODA solver of ``transport.summarize`` to 1e-4 relative, against the time of
   ``summarize`` itself, and the ratio. The optimiser makes hundreds of such evaluations.

Usage: python benchmarks/protocol_design.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from cryoprotect.science import composition, protocols, transport
from cryoprotect.science.cells import get_cell_type
from cryoprotect.science.toxicity import toxicity_parameter

DMSO = "Dimethyl sulfoxide"


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def rk4_evaluate(
    cell: Any, steps: list[transport.Step], dt: float, alpha: float
) -> tuple[float, float, float]:
    """Fixed-step RK4 over the protocol: (min volume fraction, max volume fraction, ∫ m^α dt).

    Uses transport's own right-hand side (private helpers) so only the integrator differs.
    """
    notes: list[str] = []
    state = transport.State.isotonic(cell)
    solutes = transport._solutes(cell, steps, state, None, notes)
    y = transport._initial_vector(cell, state, solutes)
    low = high = 1.0
    integral = 0.0
    index = solutes.names.index(DMSO)
    for step in steps:
        setup = transport._setup_step(cell, step, solutes, "2p", None, notes)
        rates = transport._Rates(cell, solutes, setup)
        n = max(int(np.ceil(step.duration_s / dt)), 1)
        h = step.duration_s / n
        for _ in range(n):
            m0 = y[1 + index] / y[0]
            k1 = rates(0.0, y)
            k2 = rates(0.0, y + h / 2 * k1)
            k3 = rates(0.0, y + h / 2 * k2)
            k4 = rates(0.0, y + h * k3)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            m1 = y[1 + index] / y[0]
            integral += h / 2 * (m0**alpha + m1**alpha)
            v = rates.volume_fraction(cell, y)
            low, high = min(low, v), max(high, v)
    return low, high, integral


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    cell = get_cell_type("rhesus_mii_oocyte")
    solute = composition.get_solute(DMSO)
    molality = composition.convert([composition.Component(solute, 1.4, "mol/L")], "mol/kg")
    target = {DMSO: float(molality.amounts["mol/kg"][0] or 0.0)}
    print(f"cell: {cell.name}; target 1.4 mol/L DMSO = {target[DMSO]:.4f} mol/kg; 22 °C")

    design_s, design = best_time(
        lambda: protocols.design_protocol(cell, target, temperature_c=22.0), args.repeats
    )
    designed = design.designed
    print(
        f"ours      design_protocol: {design_s:.2f} s; designed J = {designed.toxicity.total:.1f} "
        f"{designed.toxicity.unit}, V/V_iso {designed.min_volume_fraction:.3f}–"
        f"{designed.max_volume_fraction:.3f} (limits {cell.min_volume_fraction}–"
        f"{cell.max_volume_fraction}), within limits: {designed.within_limits}"
    )

    problem = protocols._Problem(
        cell=cell,
        target=target,
        carrier=transport.isotonic_carrier(cell),
        limits=protocols.Limits.of(cell),
        equilibration=0.95,
        allow_buffer=True,
        powers={DMSO: toxicity_parameter(DMSO).exponent},
    )
    settings = design.settings
    heuristic_s, equal = best_time(
        lambda: protocols._comparison(problem, "equal_steps", 4, 22.0, 22.0, settings),
        args.repeats,
    )
    print(
        f"baseline A equal steps (4): {heuristic_s:.3f} s; J = {equal.toxicity.total:.1f}, "
        f"V/V_iso {equal.min_volume_fraction:.3f}–{equal.max_volume_fraction:.3f}, within "
        f"limits: {equal.within_limits}"
    )
    print(
        f"  ratio time design/heuristic = {design_s / heuristic_s:.1f}; toxicity "
        f"heuristic/designed = {equal.toxicity.total / designed.toxicity.total:.1f}"
    )

    steps = [*designed.addition, *designed.removal]
    alpha = toxicity_parameter(DMSO).exponent
    lsoda_s, summary = best_time(
        lambda: transport.summarize(cell, steps, powers={DMSO: alpha}), args.repeats
    )
    reference = (summary.min_volume_fraction, summary.max_volume_fraction, summary.power_integral)
    dt = 8.0
    while True:
        rk4_s, rk4 = best_time(lambda dt=dt: rk4_evaluate(cell, steps, dt, alpha), 1)
        error = max(abs(a - b) / abs(b) for a, b in zip(rk4, reference, strict=True))
        if error <= 1e-4 or dt < 1e-3:
            break
        dt /= 2
    print(
        f"baseline B one protocol evaluation: LSODA summarize {lsoda_s * 1e3:.1f} ms; "
        f"fixed-step RK4 (dt = {dt:g} s, max rel. difference {error:.1e}) {rk4_s * 1e3:.1f} ms; "
        f"ratio RK4/LSODA = {rk4_s / lsoda_s:.1f}"
    )


if __name__ == "__main__":
    main()
