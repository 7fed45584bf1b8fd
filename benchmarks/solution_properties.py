"""Solution properties throughput: one vectorised call vs a pure-Python scalar loop.

For N compositions of glycerol + ethylene glycol + propylene glycol in water (random
molalities 0–3 mol/kg each, fixed seed) computes the osmolality (multisolute osmotic virial
equation), the melting point of ice and the Gordon–Taylor Tg (Fox estimate for the glycols,
allow_estimate=True) in one array call of ``cryoprotect.science``, and the same equations in a
plain Python loop over compositions (the baseline, using ``math`` only). Prints evaluations/s
of each (one evaluation = all three properties of one composition), the ratio, and the
largest difference between the two results.

Usage: python benchmarks/solution_properties.py [--n 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from cryoprotect.science import glass, thermo

SOLUTES = ["Glycerol", "Ethylene glycol", "Propylene glycol"]
MOLAR_MASS_KG_PER_MOL = [0.092094, 0.062068, 0.076095]  # CRC / PubChem molar masses


def vectorised(molality: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    result = thermo.solution_thermo(molality, SOLUTES)
    solute_mass = molality * np.array(MOLAR_MASS_KG_PER_MOL)  # kg per kg water
    fractions = solute_mass / (1.0 + solute_mass.sum(axis=1, keepdims=True))
    tg = glass.solution_tg(fractions, SOLUTES, allow_estimate=True).tg_k
    return result.osmolality_osmol_per_kg, result.melting_point_k, tg


def scalar_loop(rows: list[list[float]]) -> tuple[list[float], list[float], list[float]]:
    params = [thermo.virial_parameters(s) for s in SOLUTES]
    k = [p.k_diss for p in params]
    b = [p.b_kg_per_mol for p in params]
    c3 = [math.copysign(abs(p.c_kg2_per_mol2) ** (1 / 3), p.c_kg2_per_mol2) for p in params]
    tg_w = glass.water_tg().value
    gp = [glass.glass_parameters(s) for s in SOLUTES]
    tg_s = [g.tg.value if g.tg else math.nan for g in gp]
    gt_k = [
        g.gordon_taylor_k.value if g.gordon_taylor_k else tg / tg_w
        for g, tg in zip(gp, tg_s, strict=True)
    ]
    slope = (
        thermo.GAS_CONSTANT_J_PER_MOL_K
        * thermo.WATER_MOLAR_MASS_KG_PER_MOL
        / thermo.WATER_ENTHALPY_OF_FUSION_J_PER_MOL
    )
    pis, tms, tgs = [], [], []
    for m in rows:
        x = [ki * mi for ki, mi in zip(k, m, strict=True)]
        total = sum(x)
        pi = total + sum(bi * xi for bi, xi in zip(b, x, strict=True)) * total
        pi += sum(ci * xi for ci, xi in zip(c3, x, strict=True)) ** 3
        tm = 1.0 / (1.0 / thermo.WATER_MELTING_POINT_K + slope * pi)
        mass = [mi * mw for mi, mw in zip(m, MOLAR_MASS_KG_PER_MOL, strict=True)]
        total_mass = 1.0 + sum(mass)
        w = [mi / total_mass for mi in mass]
        water = 1.0 - sum(w)
        num = water * tg_w + sum(
            wi / ki * ti for wi, ki, ti in zip(w, gt_k, tg_s, strict=True) if wi > 0
        )
        den = water + sum(wi / ki for wi, ki in zip(w, gt_k, strict=True) if wi > 0)
        pis.append(pi)
        tms.append(tm)
        tgs.append(num / den)
    return pis, tms, tgs


def best_time(fn, *args, repeats: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    molality = np.random.default_rng(0).uniform(0.0, 3.0, size=(args.n, len(SOLUTES)))
    rows = molality.tolist()
    vectorised(molality)  # warm the parameter caches
    t_vec = best_time(vectorised, molality, repeats=args.repeats)
    t_loop = best_time(scalar_loop, rows, repeats=args.repeats)
    pi_v, tm_v, tg_v = vectorised(molality)
    pi_s, tm_s, tg_s = (np.array(v) for v in scalar_loop(rows))
    print(f"{args.n} compositions of {', '.join(SOLUTES)} (best of {args.repeats})")
    print(
        f"vectorised (numpy, one call):   {args.n / t_vec:12,.0f} evaluations/s ({t_vec * 1e3:.2f} ms)"
    )
    print(
        f"pure-Python scalar loop (base): {args.n / t_loop:12,.0f} evaluations/s ({t_loop * 1e3:.2f} ms)"
    )
    print(f"speed-up: {t_loop / t_vec:.1f}x")
    print(
        "max |difference|: "
        f"osmolality {np.max(np.abs(pi_v - pi_s)):.2e} osmol/kg, "
        f"T_m {np.max(np.abs(tm_v - tm_s)):.2e} K, Tg {np.max(np.abs(tg_v - tg_s)):.2e} K"
    )


if __name__ == "__main__":
    main()
