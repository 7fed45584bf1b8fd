"""Training with honest validation: grouped nested cross-validation, baselines, CV+ intervals.

This module owns :func:`train` (the algorithms are in
:mod:`cryoprotect.ml.train.algorithms`, prediction in :mod:`cryoprotect.ml.train.prediction`).

What :func:`train` does, in order:

1. Features: the per-row physics is computed once; the featurizer's *fitted* part
   (vocabulary, imputation values) is learned inside every training fold, never on rows
   it is evaluated on.
2. Outer loop, for the reported metrics: grouped K-fold (:func:`grouped_folds`,
   ``GroupKFold``'s balanced assignment with seeded tie-breaking) over the rows' groups
   (a source DOI, a batch) — a group is never on both sides of a split. In each outer fold:

   * hyperparameter search with ``GridSearchCV`` over *grouped* inner folds
     (:func:`grouped_folds` again) of the outer training rows only (MAE scoring);
   * the model with the chosen hyperparameters predicts the outer test rows;
   * the CV+ interval (:mod:`cryoprotect.ml.conformal`) is calibrated on the inner folds
     of the outer training rows and its empirical coverage and mean width are measured on
     the outer test rows;
   * two baselines are fitted on the same training rows and predict the same test rows:
     the training mean, and least squares on the one feature (arcsinh-scaled) with the
     largest |Spearman ρ| with the target in the training rows.

3. Final model: the featurizer, the grouped search and the CV+ fold models are refitted
   on all rows; the applicability domain (:mod:`cryoprotect.ml.domain`) is fitted on
   all rows.

Warnings raised by the estimators while fitting (e.g. a Gaussian-process optimiser at a
bound) are recorded in :attr:`TrainedModel.warnings`, not swallowed.

Cost: :func:`train` refuses more rows than the algorithm's ``max_rows``
(:func:`check_row_limit`; a Gaussian process scales as the cube of the rows), and stops
with :class:`~cryoprotect.errors.Cancelled` at the next fold or fit boundary once its
``cancel`` signal is set. A wall-clock limit is the caller's: the services run training in
a worker process they can terminate.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.model_selection import GridSearchCV

from cryoprotect.errors import ValidationError
from cryoprotect.ml import group_conformal
from cryoprotect.ml.conformal import check_level, cv_plus_bounds, fit_cv_plus
from cryoprotect.ml.datasets import Dataset
from cryoprotect.ml.domain import ApplicabilityDomain
from cryoprotect.ml.features import (
    RowQuantities,
    make_featurizer,
)
from cryoprotect.ml.targets import (
    Link,
    target_domain,
)
from cryoprotect.ml.train.algorithms import (
    ALGORITHMS,
    AlgorithmSpec,
    check_row_limit,
    configured,
    json_safe,
)
from cryoprotect.ml.train.baselines import OneFeatureModel
from cryoprotect.ml.train.common import (
    CancelSignal,
    FloatArray,
    IntArray,
    Progress,
    Split,
    stop_if_cancelled,
)
from cryoprotect.ml.train.folds import grouped_folds
from cryoprotect.ml.train.model import TrainedModel, library_versions
from cryoprotect.ml.train.plots import validation_plots
from cryoprotect.ml.train.report import COVERAGE_LEVELS, CVReport, FoldResult
from cryoprotect.ml.train.target_scale import (
    check_bounds,
    choose_link,
    clip,
    domain_bounds,
    domain_notes,
    to_target_scale,
)
from cryoprotect.ml.verdict import baseline_verdict, compare_to_baselines

DEFAULT_FEATURIZER = "composition_physics_v1"
#: The default featurizer of a molecule dataset (:mod:`cryoprotect.ml.molecule_features`).
DEFAULT_MOLECULE_FEATURIZER = "molecule_descriptors_morgan_v1"


def _search(
    spec: AlgorithmSpec,
    grid: Mapping[str, Sequence[Any]],
    params: Mapping[str, Any],
    seed: int,
    n_jobs: int | None,
    X: FloatArray,
    y: FloatArray,
    splits: list[Split],
) -> tuple[Any, dict[str, Any]]:
    """Grouped grid search; returns the refitted best estimator and the chosen values."""
    # The search runs in-process (no n_jobs) so that the estimators' warnings are recorded.
    search = GridSearchCV(
        configured(spec, params, seed, n_jobs),
        {k: list(v) for k, v in grid.items()},
        scoring="neg_mean_absolute_error",
        cv=splits,
        refit=True,
        error_score="raise",
    )
    search.fit(X, y)
    return search.best_estimator_, dict(search.best_params_)


class _WarningLog:
    """Collects warnings raised while fitting, to report them instead of losing them."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def record(self, caught: Sequence[warnings.WarningMessage]) -> None:
        for w in caught:
            first = str(w.message).strip().splitlines()[0][:200] if str(w.message).strip() else ""
            self.counts[f"{w.category.__name__}: {first}"] += 1

    def lines(self) -> list[str]:
        return [f"{msg} (x{n})" if n > 1 else msg for msg, n in self.counts.most_common()]


def train(
    dataset: Dataset,
    target: str,
    algorithm: str,
    *,
    level: float = 0.9,
    seed: int = 0,
    progress: Progress | None = None,
    featurizer: str | None = None,
    featurizer_options: Mapping[str, Any] | None = None,
    outer_folds: int = 5,
    inner_folds: int = 4,
    param_grid: Mapping[str, Sequence[Any]] | None = None,
    params: Mapping[str, Any] | None = None,
    bounds: tuple[float, float] | None = None,
    link: str = "auto",
    domain_k: int = 5,
    domain_percentile: float = 95.0,
    nested: bool = True,
    n_jobs: int | None = None,
    cancel: CancelSignal | None = None,
    n_boot: int = 2000,
) -> TrainedModel:
    """Train a model with grouped nested cross-validation, then refit on all rows.

    The estimator, its hyperparameter search and the CV+ intervals work on the *link* of
    the target (:mod:`cryoprotect.ml.targets`: logit(p/100) for a percentage, log for a
    time or an absolute temperature); predictions and interval bounds are mapped back,
    so they stay inside the target's domain. Metrics and baselines are on the target's
    own scale.

    Args:
        dataset: the rows; those without ``target`` are left out.
        target: the target name (e.g. ``"viability_percent"``).
        algorithm: a name in :data:`ALGORITHMS`.
        level: nominal coverage of the prediction intervals (0.9 = 90 %).
        seed: seeds the fold assignment and the estimators.
        progress: called as ``progress(message, fraction_done)``.
        featurizer: a registered featurizer name (default by the dataset's kind:
            :data:`DEFAULT_FEATURIZER` for formulations, :data:`DEFAULT_MOLECULE_FEATURIZER`
            for molecules — descriptors + Morgan bits, Bemis–Murcko scaffold groups).
        featurizer_options: its keyword options (e.g. ``{"min_count": 3}``).
        outer_folds: outer grouped folds (metrics).
        inner_folds: inner grouped folds (hyperparameter search and CV+ calibration).
        param_grid: replaces the algorithm's default grid.
        params: fixed estimator parameters (pipeline names, e.g.
            ``{"model__n_estimators": 50}``).
        bounds: clipping range of the target's predictions; default: the declared domain's
            (0–100 for a percentage). With a link, clipping changes nothing unless
            narrower bounds are given.
        link: ``"auto"`` (the declared domain's link) or ``"none"`` (fit the raw target).
        domain_k: neighbours in the applicability-domain score.
        domain_percentile: percentile of training scores used as the domain threshold.
        nested: run the outer loop (False: only refit, e.g. for a quick retrain; the model
            then has no cross-validated metrics and no baseline verdict).
        n_jobs: threads of estimators that support them (the random forest).
        cancel: polled between folds and fits; once set, training stops.
        n_boot: bootstrap replicates of the baseline comparison.

    Returns:
        The trained model, its nested-CV report, its baseline verdict
        (``metrics["baseline_verdict"]``) and recorded warnings.

    Raises:
        ValidationError: unknown algorithm/featurizer/target/link, too few rows or groups,
            unknown components or units in the data, a non-positive value of a positive
            target.
        LimitExceeded: more rows with the target than the algorithm's ``max_rows``.
        InvalidCompositionError: an impossible composition (the row is named).
        Cancelled: ``cancel`` was set.
    """
    started = time.perf_counter()
    if featurizer is None:
        featurizer = (
            DEFAULT_MOLECULE_FEATURIZER if dataset.kind == "molecules" else DEFAULT_FEATURIZER
        )
    spec = ALGORITHMS.get(algorithm)
    level = check_level(level)
    fit_link = choose_link(target, link)
    bounds = check_bounds(bounds) if bounds is not None else domain_bounds(target_domain(target))
    grid = dict(param_grid) if param_grid is not None else dict(spec.param_grid)
    fixed = dict(params or {})
    options = dict(featurizer_options or {})
    data = dataset.with_target(target)
    if len(data) == 0:
        raise ValidationError(f"no row has a value for target {target!r}", field="target")
    check_row_limit(algorithm, len(data))
    stop_if_cancelled(cancel)
    y = data.target(target)
    z = fit_link.forward(y)
    groups = np.asarray(data.groups, dtype=object)
    row_ids = data.row_ids
    n_groups = len(set(data.groups))
    notify = progress or (lambda message, fraction: None)

    log = _WarningLog()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quantities = make_featurizer(featurizer, **options).quantities(data)
        folds: list[FoldResult] = []
        report: CVReport | None = None
        outer: list[Split] = []
        if nested:
            outer = grouped_folds(groups, outer_folds, seed)
            for k, (tr, te) in enumerate(outer):
                stop_if_cancelled(cancel)
                notify(f"outer fold {k + 1}/{len(outer)}", k / (len(outer) + 1))
                folds.append(
                    _outer_fold(
                        k,
                        tr,
                        te,
                        data,
                        quantities,
                        y,
                        z,
                        fit_link,
                        groups,
                        spec,
                        grid,
                        fixed,
                        options,
                        featurizer,
                        inner_folds,
                        level,
                        seed,
                        bounds,
                        n_jobs,
                        cancel,
                    )
                )
            report = CVReport(folds, len(outer), inner_folds, level, row_ids, list(data.groups))
        stop_if_cancelled(cancel)
        notify("refitting on all rows", len(outer) / (len(outer) + 1) if outer else 0.0)
        fz = make_featurizer(featurizer, **options).fit_quantities(quantities, data.rows)
        X = fz.assemble(quantities)
        splits = grouped_folds(groups, inner_folds, seed)
        estimator, best = _search(spec, grid, fixed, seed, n_jobs, X, z, splits)
        stop_if_cancelled(cancel)
        chosen = {**fixed, **best}
        conformal = fit_cv_plus(lambda: configured(spec, chosen, seed, n_jobs), X, z, splits, level)
        stop_if_cancelled(cancel)
        domain_options = getattr(fz, "domain_options", None)
        domain = ApplicabilityDomain.fit(
            X,
            row_ids,
            k=domain_k,
            percentile=domain_percentile,
            groups=[str(g) for g in data.groups],
            targets=y,
            **(domain_options() if domain_options is not None else {}),
        )
        metrics: dict[str, Any] = {}
        group_calibration = group_conformal.calibration_groups(data, level)
        if report is not None:
            metrics = report.summary()
            index, y_oof, preds_oof, _, _ = report.out_of_fold()
            comparison = compare_to_baselines(
                y_oof,
                preds_oof,
                groups=[str(groups[int(i)]) for i in index],
                n_boot=n_boot,
                seed=seed,
            )
            metrics["baseline_verdict"] = baseline_verdict(comparison)
            # Per-group coverage (issue 14, item 3; helper G): cell type, source type.
            metrics["group_coverage"] = json_safe(
                group_conformal.group_coverage_report(
                    report,
                    data,
                    quantities,
                    lambda p: configured(spec, {**fixed, **p}, seed, n_jobs),
                    featurizer=featurizer,
                    featurizer_options=options,
                    grid=grid,
                    target=target,
                    fit_values=z,
                    serve=lambda pz, lo, hi: to_target_scale(fit_link, pz, lo, hi, bounds),
                )
            )
            metrics["validation_plots"] = json_safe(
                validation_plots(
                    report,
                    estimator,
                    fit_link,
                    X,
                    y,
                    fz.feature_names,
                    target,
                    seed,
                    blocks=fz.importance_blocks() if hasattr(fz, "importance_blocks") else None,
                )
            )
    log.record(caught)
    notify("done", 1.0)
    return TrainedModel(
        algorithm=algorithm,
        target=target,
        level=level,
        seed=seed,
        hyperparameters={k: json_safe(v) for k, v in best.items()},
        params={k: json_safe(v) for k, v in fixed.items()},
        featurizer=fz,
        estimator=estimator,
        conformal=conformal,
        domain=domain,
        report=report,
        metrics=metrics,
        dataset_hash=dataset.content_hash,
        dataset_name=dataset.name,
        n_rows=len(data),
        n_groups=n_groups,
        bounds=bounds,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        training_seconds=time.perf_counter() - started,
        library_versions=library_versions(),
        warnings=domain_notes(target, y, fit_link) + log.lines(),
        link=fit_link,
        group_calibration=group_calibration,
    )


def _outer_fold(
    k: int,
    tr: IntArray,
    te: IntArray,
    data: Dataset,
    quantities: RowQuantities,
    y: FloatArray,
    z: FloatArray,
    link: Link,
    groups: NDArray[Any],
    spec: AlgorithmSpec,
    grid: Mapping[str, Sequence[Any]],
    fixed: Mapping[str, Any],
    options: Mapping[str, Any],
    featurizer: str,
    inner_folds: int,
    level: float,
    seed: int,
    bounds: tuple[float, float] | None,
    n_jobs: int | None,
    cancel: CancelSignal | None = None,
) -> FoldResult:
    """Everything of one outer fold, fitted on ``tr`` only and evaluated on ``te``.

    ``y`` is the target, ``z`` its link (what the estimator is fitted on); predictions
    and intervals are reported on the target's scale, the baselines fitted on ``y``.
    """
    q_tr, q_te = quantities.take(tr), quantities.take(te)
    fz = make_featurizer(featurizer, **options).fit_quantities(q_tr, [data.rows[i] for i in tr])
    X_tr, X_te = fz.assemble(q_tr), fz.assemble(q_te)
    y_tr, z_tr = y[tr], z[tr]
    inner = grouped_folds(groups[tr], inner_folds, seed)
    estimator, best = _search(spec, grid, fixed, seed, n_jobs, X_tr, z_tr, inner)
    stop_if_cancelled(cancel)
    chosen = {**fixed, **best}
    point_z = np.asarray(estimator.predict(X_te), dtype=np.float64)
    conformal = fit_cv_plus(
        lambda: configured(spec, chosen, seed, n_jobs), X_tr, z_tr, inner, level
    )
    fold_preds = conformal.fold_predictions(X_te)
    point, lower, upper = to_target_scale(
        link,
        point_z,
        *cv_plus_bounds(fold_preds, conformal.residuals, conformal.fold_of_row, level),
        bounds,
    )
    level_bounds: dict[float, tuple[FloatArray, FloatArray]] = {}
    for lvl in COVERAGE_LEVELS:
        try:
            raw = cv_plus_bounds(fold_preds, conformal.residuals, conformal.fold_of_row, lvl)
        except ValidationError:  # too few calibration rows for this level
            continue
        _, lo_l, hi_l = to_target_scale(link, point_z, *raw, bounds)
        level_bounds[lvl] = (lo_l, hi_l)
    one = OneFeatureModel.fit(X_tr, y_tr, fz.feature_names)
    return FoldResult(
        fold=k,
        train_index=tr,
        test_index=te,
        test_groups=sorted(set(groups[te].tolist())),
        inner_splits=[(tr[a], tr[b]) for a, b in inner],
        best_params={key: json_safe(v) for key, v in best.items()},
        y_true=y[te],
        predictions={
            "model": point,
            "baseline_mean": clip(np.full(te.size, float(y_tr.mean())), bounds),
            "baseline_one_feature": clip(one.predict(X_te), bounds),
        },
        lower=lower,
        upper=upper,
        one_feature=one.name,
        n_features=X_tr.shape[1],
        level_bounds=level_bounds,
    )
