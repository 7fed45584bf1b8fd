"""Retrospective simulation of next-experiment suggestions on the CryoMN wet-lab rounds.

Issue 14, item 4: do suggestions find good formulations in fewer experiments than random
or greedy selection?

**Oracle: pool-based.** The candidates are the tested formulations themselves: the 106
wet-lab rows of CryoMN v2 (``db/reference/cryomn_v2/wetlab_validation_results.csv``, MIT,
Hao Li 2026, baitmeister/ML-for-CryoMN @4e241f9; one viability per formulation, 14
experiment dates of 5–12 rows). A strategy picks ``q`` untested rows per round; their
measured viability is revealed; the model is refitted on everything revealed. No
formulation outside the pool is ever proposed, so no value is invented or modelled.

**Goal.** The top 10 % of the pool: the rows at or above the 90th percentile of measured
viability. Each seed starts from ``INITIAL`` rows drawn at random from the rows *below*
that threshold (so no run starts already at the goal); the count is the number of rounds
of ``Q`` picks (and of experiments) until the first top-10 % row is picked.

**Strategies.** ``random``; ``greedy`` (the ``Q`` highest predicted means, pure
exploitation); ``EI-LP`` and ``UCB-LP`` (expected improvement, κ = 2 upper confidence
bound, each batched by local penalisation) — the functions of
:mod:`cryoprotect.ml.acquisition` the API uses. Models: the registry's Gaussian process
(uncertainty: its posterior std) and random forest (uncertainty: tree spread), each fitted
on the logit of viability (the link the trained models use) with the registry's pipeline
and default hyperparameters (Matérn 3/2 kernel for the GP; no per-round search, no CV+
calibration — the API's models add both; the acquisition only needs mean and std).
Features: ``composition_physics_v1`` fitted (vocabulary and imputation only; no target)
on the pool's compositions (and the literature rows' with ``--prior literature``).

**Prior data** (``--prior``). ``none``: the model sees only the revealed wet-lab rows.
``literature``: it also trains on the 198 CryoMN v2 literature viabilities (other cells,
other protocols; how the CryoMN authors proposed their wet-lab formulations), which are
never candidates.

**Statistics.** ``SEEDS`` seeds; the median rounds with a 95 % percentile-bootstrap CI
(2 000 resamples of seeds), the mean number of experiments, and the ratio of medians to
random with its bootstrap CI (seeds resampled independently per strategy).

Usage: python validation/suggestions.py [--seeds 30] [--q 6] [--initial 6]
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from cryoprotect.ml import acquisition as acq
from cryoprotect.ml import cryomn_v2
from cryoprotect.ml.features import make_featurizer
from cryoprotect.ml.targets import link_for, target_domain
from cryoprotect.ml.train import ALGORITHMS, gp_kernels

TARGET = "viability_percent"
TOP_FRACTION = 0.10
SEEDS = 30
Q = 6
INITIAL = 6
BOOT = 2000


@dataclass
class _Fitted:
    """What :func:`cryoprotect.ml.acquisition.predictive` reads of a model."""

    estimator: Any
    conformal: Any = None
    level: float = 0.9


def _fit(algorithm: str, X: np.ndarray, z: np.ndarray, seed: int) -> _Fitted:
    est = ALGORITHMS.get(algorithm).build(seed, 1)
    if algorithm == "gaussian_process":
        est.set_params(model__kernel=gp_kernels()[1])
    with warnings.catch_warnings():
        # Kernel hyperparameters at their bounds on a handful of rows: expected, not news.
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, z)
    return _Fitted(est)


Strategy = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def run(
    strategy: str,
    algorithm: str | None,
    X: np.ndarray,
    Z: np.ndarray,
    y: np.ndarray,
    goal: np.ndarray,
    seed: int,
    *,
    q: int,
    initial: int,
    prior_X: np.ndarray | None = None,
    prior_y: np.ndarray | None = None,
) -> int:
    """Rounds until a goal row is picked (initial rows are round 0)."""
    rng = np.random.default_rng(seed)
    link = link_for(target_domain(TARGET))
    start = rng.choice(np.flatnonzero(~goal), size=initial, replace=False)
    seen = np.zeros(y.size, dtype=bool)
    seen[start] = True
    rounds = 0
    while not (seen & goal).any():
        rounds += 1
        pool = np.flatnonzero(~seen)
        if strategy == "random":
            picks = rng.choice(pool, size=min(q, pool.size), replace=False)
        else:
            assert algorithm is not None
            train_X, train_y = X[seen], y[seen]
            if prior_X is not None and prior_y is not None:
                train_X = np.vstack([prior_X, train_X])
                train_y = np.concatenate([prior_y, train_y])
            model = _fit(algorithm, train_X, link.forward(train_y), seed)
            pred = acq.predictive(model, X[pool])
            best = float(link.forward(np.array([y[seen].max()]))[0])
            if strategy == "greedy":
                local = acq.greedy_batch(pred.mean, q)
            else:
                rule = "expected_improvement" if strategy == "EI-LP" else "upper_confidence_bound"
                scores = acq.acquisition(rule, pred.mean, pred.std, best, xi=0.0, kappa=2.0)
                local = acq.select_batch(
                    scores, pred.mean, pred.std, Z[pool], q, best=best, rule=rule
                ).indices
            picks = pool[local]
        seen[picks] = True
    return rounds


def _median_ci(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    boot = np.median(rng.choice(values, size=(BOOT, values.size), replace=True), axis=1)
    return (
        float(np.median(values)),
        float(np.percentile(boot, 2.5)),
        float(np.percentile(boot, 97.5)),
    )


def _ratio_ci(
    values: np.ndarray, base: np.ndarray, rng: np.random.Generator
) -> tuple[float, float, float]:
    a = np.median(rng.choice(values, size=(BOOT, values.size), replace=True), axis=1)
    b = np.median(rng.choice(base, size=(BOOT, base.size), replace=True), axis=1)
    ratio = a / np.maximum(b, 1e-9)
    point = float(np.median(values) / max(float(np.median(base)), 1e-9))
    return point, float(np.percentile(ratio, 2.5)), float(np.percentile(ratio, 97.5))


def simulate(
    seeds: int = SEEDS, q: int = Q, initial: int = INITIAL, prior: str = "none"
) -> list[dict[str, Any]]:
    """One row per strategy: median rounds with CI, experiments, ratio vs random."""
    data = cryomn_v2.load_v2_wetlab().with_target(TARGET)
    y = data.target(TARGET)
    threshold = float(np.quantile(y, 1.0 - TOP_FRACTION))
    goal = y >= threshold
    featurizer = make_featurizer("composition_physics_v1")
    prior_X = prior_y = None
    if prior == "literature":
        literature = cryomn_v2.load_v2_literature().with_target(TARGET)
        featurizer.fit(data.rows + literature.rows)
        X, _ = featurizer.transform(data)
        prior_X, _ = featurizer.transform(literature)
        prior_y = literature.target(TARGET)
    else:
        X, _ = featurizer.fit_transform(data)
    mean = np.arcsinh(X).mean(axis=0)
    scale = np.arcsinh(X).std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Z = (np.arcsinh(X) - mean) / scale
    plan: list[tuple[str, str | None]] = [("random", None)]
    for algorithm in ("gaussian_process", "random_forest"):
        plan += [(s, algorithm) for s in ("greedy", "EI-LP", "UCB-LP")]
    results: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    for strategy, algorithm in plan:
        name = strategy if algorithm is None else f"{strategy} ({algorithm})"
        started = time.perf_counter()
        results[name] = np.array(
            [
                run(
                    strategy,
                    algorithm,
                    X,
                    Z,
                    y,
                    goal,
                    s,
                    q=q,
                    initial=initial,
                    prior_X=prior_X,
                    prior_y=prior_y,
                )
                for s in range(seeds)
            ],
            dtype=np.float64,
        )
        seconds[name] = time.perf_counter() - started
    rng = np.random.default_rng(12345)
    base = results["random"]
    rows = []
    for name, values in results.items():
        med, lo, hi = _median_ci(values, rng)
        ratio, rlo, rhi = _ratio_ci(values, base, rng)
        rows.append(
            {
                "strategy": name,
                "median_rounds": med,
                "ci_low": lo,
                "ci_high": hi,
                "mean_rounds": float(values.mean()),
                "mean_experiments": float(values.mean() * q),
                "found_in_first_round": float((values == 1).mean()),
                "ratio_vs_random": ratio,
                "ratio_ci_low": rlo,
                "ratio_ci_high": rhi,
                "seeds": int(values.size),
                "seconds": round(seconds[name], 1),
                "pool": int(y.size),
                "goal_rows": int(goal.sum()),
                "threshold": threshold,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--q", type=int, default=Q)
    parser.add_argument("--initial", type=int, default=INITIAL)
    parser.add_argument("--prior", choices=("none", "literature"), default="none")
    args = parser.parse_args()
    rows = simulate(args.seeds, args.q, args.initial, args.prior)
    first = rows[0]
    print(
        f"CryoMN v2 wet-lab pool: {first['pool']} formulations; goal = top 10 % "
        f"(viability ≥ {first['threshold']:.2f} %, {first['goal_rows']} rows); "
        f"{args.initial} random non-goal rows to start; batches of {args.q}; "
        f"{first['seeds']} seeds; pool-based oracle (measured values of the tested rows); "
        f"prior training data: {args.prior}"
    )
    print(
        f"{'strategy':32} {'median rounds':>13} {'95 % CI':>12} {'mean rounds':>11} "
        f"{'mean exps':>9} {'ratio vs random (95 % CI)':>27} {'s':>6}"
    )
    for r in rows:
        print(
            f"{r['strategy']:32} {r['median_rounds']:13.1f} "
            f"{'[' + format(r['ci_low'], '.1f') + ', ' + format(r['ci_high'], '.1f') + ']':>12} "
            f"{r['mean_rounds']:11.2f} {r['mean_experiments']:9.1f} "
            f"{r['ratio_vs_random']:10.2f} [{r['ratio_ci_low']:.2f}, {r['ratio_ci_high']:.2f}]"
            f"{'':5} {r['seconds']:6.1f}"
        )


if __name__ == "__main__":
    main()
