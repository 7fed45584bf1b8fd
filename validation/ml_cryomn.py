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

CryoMN v2 section (``--v2``; issue 14, items 2-3): the same grouped nested CV on
data set × features × algorithm — data sets: v1 literature (198 rows), v2 literature
(198 rows with conditions parsed from the raw records), v2 all (316: literature + 106
wet-lab + 12 feedback, per-source noise, DOI/date/round groups); features:
``composition`` (composition_physics_v1) and ``+conditions`` (composition_conditions_v2:
cooling rate, one-hot cell type / cooling protocol / basal medium / assay / source type;
the per-source noise column for gaussian_process_source_noise). Printed: pooled
out-of-fold MAE, RMSE, R² of the model and both baselines, each with a 95 % bootstrap
interval over groups, the model − baseline differences in MAE and RMSE with their 95 %
intervals, and the per-group coverage of the 90 % intervals (served CV+ and Mondrian) per
cell type and per source type.

Usage: python validation/ml_cryomn.py [--algorithms ridge,...] [--seed 0] [--no-sensitivity]
       python validation/ml_cryomn.py --v2 [--v2-algorithms ...] [--n-boot 2000]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from cryoprotect.ml import cryomn_v2
from cryoprotect.ml.datasets import (
    VIABILITY,
    Dataset,
    load_cryomn_literature,
    load_cryomn_wetlab,
)
from cryoprotect.ml.metrics import regression_metrics
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


# --- CryoMN v2 (issue 14, items 2-3) ------------------------------------------------------

V2_CONDITION_OPTIONS = {
    "conditions": (cryomn_v2.COOLING_RATE,),
    "categorical": cryomn_v2.CATEGORICAL_CONDITIONS,
}
V2_ALGORITHMS = ("ridge", "random_forest", "gaussian_process", "gaussian_process_source_noise")


def _group_bootstrap(
    y: np.ndarray,
    preds: dict[str, np.ndarray],
    groups: list[str],
    n_boot: int,
    seed: int,
) -> tuple[dict[str, dict[str, tuple[float, float]]], dict[str, dict[str, tuple[float, float]]]]:
    """95 % intervals of each predictor's MAE/RMSE/R² and of model − baseline MAE/RMSE.

    Resamples whole groups with replacement (rows of one source move together).
    """
    labels = np.asarray(groups, dtype=object)
    unique = sorted(set(groups))
    members = [np.flatnonzero(labels == g) for g in unique]
    rng = np.random.default_rng(seed)
    draws: dict[str, dict[str, list[float]]] = {k: {"mae": [], "rmse": [], "r2": []} for k in preds}
    diffs: dict[str, dict[str, list[float]]] = {k: {"mae": [], "rmse": []} for k in PREDICTORS[1:]}
    for _ in range(n_boot):
        idx = np.concatenate([members[i] for i in rng.integers(0, len(unique), len(unique))])
        yy = y[idx]
        values = {}
        for k, p in preds.items():
            err = p[idx] - yy
            mae_k = float(np.mean(np.abs(err)))
            rmse_k = float(np.sqrt(np.mean(err**2)))
            ss = float(np.sum((yy - yy.mean()) ** 2))
            r2_k = 1.0 - float(np.sum(err**2)) / ss if ss > 0 else math.nan
            values[k] = (mae_k, rmse_k)
            draws[k]["mae"].append(mae_k)
            draws[k]["rmse"].append(rmse_k)
            draws[k]["r2"].append(r2_k)
        for k in PREDICTORS[1:]:
            diffs[k]["mae"].append(values["model"][0] - values[k][0])
            diffs[k]["rmse"].append(values["model"][1] - values[k][1])

    def ci(v: list[float]) -> tuple[float, float]:
        a = np.asarray(v, dtype=float)
        a = a[np.isfinite(a)]
        return (
            (float(np.percentile(a, 2.5)), float(np.percentile(a, 97.5)))
            if a.size
            else (
                math.nan,
                math.nan,
            )
        )

    return (
        {k: {m: ci(v) for m, v in d.items()} for k, d in draws.items()},
        {k: {m: ci(v) for m, v in d.items()} for k, d in diffs.items()},
    )


def _verdict(low: float, high: float) -> str:
    if high < 0:
        return "better"
    if low > 0:
        return "worse"
    return "not distinguishable"


def _coverage_tables(model: TrainedModel) -> None:
    report = model.metrics.get("group_coverage") or {}
    for key, tables in (report.get("keys") or {}).items():
        pooled = {r["group"]: r for r in tables["pooled"]}
        mond = {r["group"]: r for r in tables["mondrian"]}
        print(
            f"      coverage of the 90 % interval by {key} (served CV+ | Mondrian; "
            f"Mondrian own-group share {tables['mondrian_own_fraction']:.0%}):"
        )
        for g, r in pooled.items():
            m = mond[g]
            print(
                f"        {g:<22} n={r['n']:>3}  {_f(r['coverage'], 3)} (w {_f(r['mean_width'], 1)})"
                f" {r['status']:<14} | {_f(m['coverage'], 3)} (w {_f(m['mean_width'], 1)}) {m['status']}"
            )


def v2_run(
    data: Dataset,
    features: str,
    algorithm: str,
    seed: int,
    n_boot: int,
    coverage: bool,
) -> dict[str, object]:
    if features == "composition":
        featurizer, options = "composition_physics_v1", {}
    else:
        featurizer = "composition_conditions_v2"
        options = dict(V2_CONDITION_OPTIONS)
        if algorithm == "gaussian_process_source_noise":
            options["noise_condition"] = cryomn_v2.NOISE
    started = time.perf_counter()
    model = train(
        data,
        VIABILITY,
        algorithm,
        level=0.9,
        seed=seed,
        bounds=(0.0, 100.0),
        featurizer=featurizer,
        featurizer_options=options,
        n_jobs=2,
    )
    elapsed = time.perf_counter() - started
    report = model.report
    assert report is not None
    index, y, preds, _, _ = report.out_of_fold()
    groups = [report.groups[int(i)] for i in index]
    metric_ci, diff_ci = _group_bootstrap(y, preds, groups, n_boot, seed)
    print(
        f"  {data.name} ({len(data)} rows, {len(set(data.groups))} groups) × {features} × "
        f"{algorithm}  [{elapsed:.0f} s; 90 % CV+ coverage {_f(report.coverage, 3)}, "
        f"width {_f(report.mean_width, 1)}]"
    )
    for key in PREDICTORS:
        m = regression_metrics(y, preds[key])
        c = metric_ci[key]
        print(
            f"    {LABELS[key]:<12} MAE {_f(m['mae'])} [{_f(c['mae'][0])}, {_f(c['mae'][1])}]  "
            f"RMSE {_f(m['rmse'])} [{_f(c['rmse'][0])}, {_f(c['rmse'][1])}]  "
            f"R² {_f(m['r2'])} [{_f(c['r2'][0])}, {_f(c['r2'][1])}]"
        )
    verdicts = {}
    for key in PREDICTORS[1:]:
        mae_d = (
            regression_metrics(y, preds["model"])["mae"] - regression_metrics(y, preds[key])["mae"]
        )
        rmse_d = (
            regression_metrics(y, preds["model"])["rmse"]
            - regression_metrics(y, preds[key])["rmse"]
        )
        lo, hi = diff_ci[key]["mae"]
        rlo, rhi = diff_ci[key]["rmse"]
        verdicts[key] = _verdict(lo, hi)
        print(
            f"    model − {LABELS[key]:<11} MAE {mae_d:+6.2f} [{lo:+6.2f}, {hi:+6.2f}] → {verdicts[key]};"
            f"  RMSE {rmse_d:+6.2f} [{rlo:+6.2f}, {rhi:+6.2f}] → {_verdict(rlo, rhi)}"
        )
    if coverage:
        _coverage_tables(model)
    return {"model": model, "verdicts": verdicts}


def v2_main(algorithms: list[str], seed: int, n_boot: int) -> None:
    v1_lit = load_cryomn_literature(CRYOMN / "literature_formulations.csv")
    v2_lit = cryomn_v2.load_v2_literature()
    v2_all = cryomn_v2.load_v2_all()
    print("CryoMN v2 (baitmeister/ML-for-CryoMN @4e241f9, MIT; data/SOURCES.md)")
    for ds in (v2_lit, v2_all):
        describe(ds)
        for key, counts in cryomn_v2.condition_counts(ds).items():
            print(f"    {key}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    rates = [r.conditions.get(cryomn_v2.COOLING_RATE) for r in v2_lit.rows]
    print(
        f"    cooling rate stated (single rate): {sum(r is not None for r in rates)} of "
        f"{len(rates)} literature rows"
    )
    print(
        "\nGrouped nested CV (5 outer × 4 inner folds), 95 % intervals: bootstrap over groups "
        f"({n_boot} resamples)"
    )
    runs = [
        (v1_lit, "composition"),
        (v2_lit, "composition"),
        (v2_lit, "+conditions"),
        (v2_all, "composition"),
        (v2_all, "+conditions"),
    ]
    for data, features in runs:
        for algorithm in algorithms:
            if algorithm == "gaussian_process_source_noise" and features != "+conditions":
                continue
            v2_run(data, features, algorithm, seed, n_boot, coverage=data is v2_all)


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
    parser.add_argument("--v2", action="store_true", help="run only the CryoMN v2 section")
    parser.add_argument("--v2-algorithms", default=",".join(V2_ALGORITHMS))
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    if args.v2:
        v2_algorithms = [a.strip() for a in args.v2_algorithms.split(",") if a.strip()]
        for name in v2_algorithms:
            ALGORITHMS.get(name)
        started = time.perf_counter()
        v2_main(v2_algorithms, args.seed, args.n_boot)
        print(f"\ntotal time {time.perf_counter() - started:.0f} s")
        return
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
