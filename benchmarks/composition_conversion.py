"""Composition-unit conversion throughput: one vectorised call vs a loop of scalar conversions.

Input: 10,000 compositions drawn with a fixed seed.

* Mixed units (the iterative path): DMSO 0–40 % v/v + NaCl 0–1 mol/L + glycerol 0–20 % w/w,
  converted to % w/w. Every composition needs the solution volume solved from the density
  model (additive apparent molar volumes), so this is the expensive case.
* Binary CRC solute (the direct path): glycerol 0–60 % w/w converted to mol/L (the measured
  density interpolated; no iteration).

Ours: ``to_molality`` on the (10000, n) array, then ``SolutionState.amounts(unit)`` — one
vectorised call. Baseline (same run): a Python loop calling the scalar API
``convert(components, unit)`` once per composition. Both results are checked to agree
(relative 1e-12) before the rates are printed.

Usage: python benchmarks/composition_conversion.py
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from cryoprotect.science.composition import Component, Solute, convert, get_solute, to_molality

N = 10_000
REPEATS = 5


def best_rate(work: Callable[[], np.ndarray], count: int, repeats: int) -> tuple[float, np.ndarray]:
    best = float("inf")
    result = np.empty(0)
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return count / best, result


def vectorised(
    amounts: np.ndarray, units: Sequence[str], solutes: Sequence[Solute], target: str
) -> Callable[[], np.ndarray]:
    return lambda: to_molality(amounts, units, solutes).amounts(target)


def scalar_loop(
    amounts: np.ndarray, units: Sequence[str], solutes: Sequence[Solute], target: str
) -> Callable[[], np.ndarray]:
    def work() -> np.ndarray:
        out = np.empty_like(amounts)
        for i, row in enumerate(amounts):
            components = [
                Component(s, float(a), u) for s, a, u in zip(solutes, row, units, strict=True)
            ]
            out[i] = convert(components, target).amounts[target]
        return out

    return work


def compare(
    label: str, amounts: np.ndarray, units: list[str], solutes: list[Solute], target: str
) -> None:
    ours, ours_result = best_rate(vectorised(amounts, units, solutes, target), N, REPEATS)
    base, base_result = best_rate(scalar_loop(amounts, units, solutes, target), N, 1)
    np.testing.assert_allclose(ours_result, base_result, rtol=1e-12, atol=0)
    print(label)
    print(f"  ours     one vectorised call      : {ours:12,.0f} conversions/s")
    print(f"  baseline loop of scalar convert() : {base:12,.0f} conversions/s")
    print(f"  ratio ours / baseline: {ours / base:,.0f}x")


def main() -> None:
    rng = np.random.default_rng(20240604)
    dmso, nacl, glycerol = get_solute("DMSO"), get_solute("Sodium chloride"), get_solute("Glycerol")
    mixed = np.column_stack([rng.uniform(0, 40, N), rng.uniform(0, 1, N), rng.uniform(0, 20, N)])
    binary = rng.uniform(0, 60, (N, 1))
    print(f"compositions: {N:,} per call (best of {REPEATS} vectorised runs; 1 scalar loop)")
    compare(
        "mixed units: DMSO % v/v + NaCl mol/L + glycerol % w/w -> % w/w (volume solved)",
        mixed,
        ["% v/v", "mol/L", "% w/w"],
        [dmso, nacl, glycerol],
        "% w/w",
    )
    compare(
        "binary CRC solute: glycerol % w/w -> mol/L (measured density interpolated)",
        binary,
        ["% w/w"],
        [glycerol],
        "mol/L",
    )


if __name__ == "__main__":
    main()
