"""Viability models on the CryoMN data: grouped nested CV on the literature, then wet-lab.

For each algorithm (ridge, random forest, gradient boosting, Gaussian process):

1. Nested cross-validation on the literature formulations with GroupKFold by source DOI
   (5 outer folds for the metrics, 4 grouped inner folds for the hyperparameter search and
   the CV+ calibration). Printed: MAE, RMSE, R², Spearman's ρ of the pooled out-of-fold
   predictions, beside the two baselines measured in the same folds (training mean; least
   squares on the one feature most rank-correlated with viability in the training fold),
   the MAE difference to each baseline with a 95 % bootstrap interval over DOI groups, the
   90 % CV+ interval's empirical coverage and mean width on held-out groups (pooled and
   per fold), and the training time.
2. Prospective test: the model refitted on all literature rows predicts the 90 wet-lab
   rows (never seen), beside the same two baselines fitted on the literature only
   (bootstrap over experiment dates).

Sensitivity analyses (same procedure):
  * strict grouping — rows sharing any DOI are one group (130 of 198 rows in one group);
  * flagged rows excluded — rows the loader flags as likely parse errors
    (molar amounts < 10 mM read as mM, DMSO from the 'DMSO usage' column only, > 50 % DMSO,
    HSA % that is a % v/v of albumin solution) are removed explicitly.

Reference (data/SOURCES.md): a literature-only model in the published note predicted the
wet-lab rows with RMSE ≈ 41 viability points and Spearman ≈ −0.33.

Usage: python validation/ml_cryomn.py [--algorithms ridge,...] [--seed 0] [--no-sensitivity]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from cryoprotect.ml.datasets import (
    VIABILITY,
    Dataset,
    load_cryomn_literature,
    load_cryomn_wetlab,
)
from cryoprotect.ml.train import ALGORITHMS, PREDICTORS, TrainedModel, train
from cryoprotect.ml.validation import compare_to_baselines, prospective

ROOT = Path(__file__).resolve().parents[1]
CRYOMN = ROOT / "data" / "cryomn"
SUSPECT_FLAGS = (
    "suspicious_molar_amount",
    "dmso_only_in_usage_column",
    "dmso_above_50_percent",
    "hsa_volume_of_albumin_solution",
)
LABELS = {"model": "model", "baseline_mean": "mean", "baseline_one_feature": "one-feature"}


def _f(value: float, digits: int = 2) -> str:
    return "  n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _metrics_table(metrics: dict[str, dict[str, float]], indent: str = "    ") -> None:
    print(f"{indent}{'predictor':<12} {'MAE':>7} {'RMSE':>7} {'R²':>7} {'Spearman':>9}")
    for key in PREDICTORS:
        m = metrics[key]
        print(
            f"{indent}{LABELS[key]:<12} {_f(m['mae']):>7} {_f(m['rmse']):>7} "
            f"{_f(m['r2']):>7} {_f(m['spearman']):>9}"
        )


def _differences(
    comparison_diffs: dict[str, dict[str, tuple[float, float, float]]], verdicts: dict[str, str]
) -> None:
    for key in PREDICTORS[1:]:
        delta, low, high = comparison_diffs[key]["mae"]
        print(
            f"    MAE model − {LABELS[key]:<11} {delta:+6.2f}  95 % CI [{low:+6.2f}, {high:+6.2f}]"
            f"  → {verdicts[key]}"
        )


def nested(data: Dataset, algorithm: str, seed: int) -> TrainedModel:
    started = time.perf_counter()
    model = train(data, VIABILITY, algorithm, level=0.9, seed=seed, bounds=(0.0, 100.0), n_jobs=2)
    elapsed = time.perf_counter() - started
    report = model.report
    assert report is not None
    index, y, preds, _, _ = report.out_of_fold()
    groups = [report.groups[i] for i in index]
    comparison = compare_to_baselines(y, preds, groups=groups, seed=seed)
    print(f"  {algorithm}  (nested CV {report.outer_folds}×{report.inner_folds}, {elapsed:.1f} s)")
    _metrics_table(report.pooled)
    _differences(comparison.differences, comparison.verdicts)
    fold_cov = ", ".join(_f(f.coverage) for f in report.folds)
    fold_w = ", ".join(_f(f.mean_width, 1) for f in report.folds)
    print(
        f"    90 % CV+ interval: coverage {_f(report.coverage, 3)} (folds: {fold_cov}); "
        f"mean width {_f(report.mean_width, 1)} (folds: {fold_w})"
    )
    chosen = "; ".join(
        f"fold {f.fold + 1}: "
        + ", ".join(f"{k.split('__')[-1]}={v}" for k, v in f.best_params.items())
        for f in report.folds
    )
    print(f"    chosen per fold: {chosen}")
    print(
        f"    one-feature baseline picked: {', '.join(sorted({f.one_feature for f in report.folds}))}"
    )
    if model.warnings:
        print(f"    training warnings: {len(model.warnings)} kinds, e.g. {model.warnings[0][:110]}")
    return model


def prospective_block(literature: Dataset, wetlab: Dataset, model: TrainedModel, seed: int) -> None:
    report = prospective(literature, wetlab, target=VIABILITY, model=model, seed=seed)
    c = report.comparison
    print(
        f"  {model.algorithm}  (trained on {report.n_train} literature rows → {report.n_test} wet-lab rows)"
    )
    _metrics_table(c.metrics)
    _differences(c.differences, c.verdicts)
    print(
        f"    90 % interval on wet-lab rows: coverage {_f(report.coverage, 3)}, "
        f"mean width {_f(report.mean_width, 1)}; in domain {report.in_domain_fraction:.0%} "
        f"(in-domain MAE {_f(report.in_domain_metrics['mae'])}, "
        f"Spearman {_f(report.in_domain_metrics['spearman'])}); "
        f"one-feature baseline: {report.one_feature}"
    )


def run(literature: Dataset, wetlab: Dataset | None, algorithms: list[str], seed: int) -> None:
    models = {}
    print("Nested grouped cross-validation on the literature")
    for algorithm in algorithms:
        models[algorithm] = nested(literature, algorithm, seed)
    if wetlab is None:
        return
    print("\nProspective: literature → wet-lab")
    for algorithm in algorithms:
        prospective_block(literature, wetlab, models[algorithm], seed)


def describe(data: Dataset) -> None:
    s = data.summary()
    y = data.target(VIABILITY)
    print(
        f"{s['name']}: {s['rows']} rows, {s['groups']} groups, viability mean {np.mean(y):.1f} "
        f"(sd {np.std(y):.1f}); hash {s['content_hash'][:12]}…"
    )
    if s["flags"]:
        print("  flags: " + ", ".join(f"{k} {v}" for k, v in s["flags"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--algorithms",
        default=",".join(
            ALGORITHMS.get(n).name
            for n in ("ridge", "random_forest", "gradient_boosting", "gaussian_process")
        ),
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-sensitivity", action="store_true")
    args = parser.parse_args()
    algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    for name in algorithms:
        ALGORITHMS.get(name)

    literature = load_cryomn_literature(CRYOMN / "literature_formulations.csv")
    wetlab = load_cryomn_wetlab(CRYOMN / "wetlab_validation.csv")
    print("Data (ML-for-CryoMN, MIT; data/SOURCES.md)")
    describe(literature)
    describe(wetlab)
    print(
        "Published literature-only model on the wet-lab rows (data/SOURCES.md): "
        "RMSE ≈ 41, Spearman ≈ −0.33\n"
        "Note: the 'mean' baseline is constant within a fold, so its pooled Spearman only "
        "reflects fold-to-fold changes of the training mean.\n"
    )
    started = time.perf_counter()
    run(literature, wetlab, algorithms, args.seed)
    if not args.no_sensitivity:
        print("\n=== Sensitivity 1: strict grouping (rows sharing any DOI form one group) ===")
        strict = load_cryomn_literature(
            CRYOMN / "literature_formulations.csv", group_by="connected"
        )
        describe(strict)
        run(strict, None, algorithms, args.seed)
        print("\n=== Sensitivity 2: flagged rows excluded: " + ", ".join(SUSPECT_FLAGS) + " ===")
        clean = literature.exclude_flagged(SUSPECT_FLAGS)
        describe(clean)
        run(clean, wetlab, algorithms, args.seed)
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
