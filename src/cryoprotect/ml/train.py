"""Training with honest validation: grouped nested cross-validation, baselines, CV+ intervals.

This module owns the algorithm registry (:data:`ALGORITHMS`: ``ridge``,
``random_forest``, ``gradient_boosting``, ``gaussian_process``, each a scikit-learn
estimator with a small hyperparameter grid and the most rows it may be trained on),
:func:`train` and :func:`predict`.

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

import math
import platform
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    Kernel,
    Matern,
    RationalQuadratic,
    WhiteKernel,
)
from sklearn.inspection import permutation_importance
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from cryoprotect.errors import Cancelled, LimitExceeded, ValidationError
from cryoprotect.ml import group_conformal
from cryoprotect.ml.conformal import CVPlus, check_level, cv_plus_bounds, fit_cv_plus
from cryoprotect.ml.datasets import Dataset, DatasetRow
from cryoprotect.ml.domain import ApplicabilityDomain, Neighbour
from cryoprotect.ml.features import (
    RowQuantities,
    make_featurizer,
)
from cryoprotect.ml.metrics import interval_coverage, mean_interval_width, regression_metrics
from cryoprotect.ml.registry import Registry
from cryoprotect.ml.targets import (
    LINK_NAMES,
    Identity,
    Link,
    TargetDomain,
    link_for,
    target_domain,
)
from cryoprotect.ml.verdict import baseline_verdict, compare_to_baselines

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Progress = Callable[[str, float], None]
Split = tuple[IntArray, IntArray]

DEFAULT_FEATURIZER = "composition_physics_v1"
#: The default featurizer of a molecule dataset (:mod:`cryoprotect.ml.molecule_features`).
DEFAULT_MOLECULE_FEATURIZER = "molecule_descriptors_morgan_v1"
PREDICTORS = ("model", "baseline_mean", "baseline_one_feature")
#: Nominal levels of the coverage-vs-nominal validation plot.
COVERAGE_LEVELS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
#: Features kept in the permutation-importance plot.
TOP_IMPORTANCES = 20
#: Shuffles per feature in the permutation importance (kept small: it adds to training time).
IMPORTANCE_REPEATS = 3
"""Names of the predictions compared in every outer fold."""
#: The most rows any algorithm is trained on (the dataset upload limit).
MAX_TRAINING_ROWS = 20_000
#: A Gaussian process costs O(n³) time and O(n²) memory per fit, and nested CV fits it
#: about a hundred times: 1,000 rows already ran > 180 s on two cores.
GAUSSIAN_PROCESS_MAX_ROWS = 2_000


class CancelSignal(Protocol):
    """What :func:`train` polls to stop early (a ``threading.Event`` is one)."""

    def is_set(self) -> bool:
        """True once the work should stop."""
        ...


def _stop_if_cancelled(cancel: CancelSignal | None) -> None:
    if cancel is not None and cancel.is_set():
        reason = getattr(cancel, "reason", None)
        raise Cancelled(str(reason) if reason else "training was cancelled")


# --- algorithms ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AlgorithmSpec:
    """A named model family and its hyperparameter grid.

    Attributes:
        name: registry name.
        description: one sentence for the UI.
        build: ``(seed, n_jobs) -> unfitted scikit-learn Pipeline`` (last step ``model``).
        param_grid: the default ``GridSearchCV`` grid (pipeline parameter names).
        max_rows: the most training rows accepted (its cost bound; see
            :func:`check_row_limit`).
    """

    name: str
    description: str
    build: Callable[[int, int | None], Any]
    param_grid: Mapping[str, Sequence[Any]]
    max_rows: int = MAX_TRAINING_ROWS


ALGORITHMS: Registry[AlgorithmSpec] = Registry("algorithm")


def _arcsinh_step() -> FunctionTransformer:
    # arcsinh compresses the few extreme rows (e.g. a flagged 95 % DMSO row, 1e5 osmol/kg)
    # that would otherwise set the standardisation scale; ~linear near 0, ~log beyond 1.
    return FunctionTransformer(np.arcsinh, validate=False)


def _ridge(seed: int, n_jobs: int | None) -> Any:
    del seed, n_jobs
    return Pipeline(
        [("arcsinh", _arcsinh_step()), ("scale", StandardScaler()), ("model", Ridge(alpha=1.0))]
    )


def _forest(seed: int, n_jobs: int | None) -> Any:
    model = RandomForestRegressor(n_estimators=300, random_state=seed, n_jobs=n_jobs)
    return Pipeline([("model", model)])


def _boosting(seed: int, n_jobs: int | None) -> Any:
    del n_jobs
    model = GradientBoostingRegressor(
        n_estimators=200, learning_rate=0.05, max_depth=2, min_samples_leaf=3, random_state=seed
    )
    return Pipeline([("model", model)])


def gp_kernels() -> list[Kernel]:
    """The Gaussian-process kernel grid: RBF, Matérn 3/2, rational quadratic (+ noise)."""

    def amplitude() -> Kernel:
        return ConstantKernel(1.0, (1e-3, 1e3))

    def noise() -> Kernel:
        return WhiteKernel(noise_level=0.5, noise_level_bounds=(1e-4, 10.0))

    return [
        amplitude() * RBF(length_scale=3.0, length_scale_bounds=(1e-2, 1e3)) + noise(),
        amplitude() * Matern(length_scale=3.0, length_scale_bounds=(1e-2, 1e3), nu=1.5) + noise(),
        amplitude()
        * RationalQuadratic(
            length_scale=3.0, alpha=1.0, length_scale_bounds=(1e-2, 1e3), alpha_bounds=(1e-2, 1e2)
        )
        + noise(),
    ]


def _gp(seed: int, n_jobs: int | None) -> Any:
    del n_jobs
    model = GaussianProcessRegressor(
        kernel=gp_kernels()[0], normalize_y=True, n_restarts_optimizer=2, random_state=seed
    )
    return Pipeline([("arcsinh", _arcsinh_step()), ("scale", StandardScaler()), ("model", model)])


for _spec in (
    AlgorithmSpec(
        "ridge",
        "Ridge regression on arcsinh-scaled, standardised features",
        _ridge,
        {"model__alpha": [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]},
    ),
    AlgorithmSpec(
        "random_forest",
        "Random forest, 300 trees",
        _forest,
        {"model__min_samples_leaf": [1, 3, 5], "model__max_features": [1.0, 0.33]},
    ),
    AlgorithmSpec(
        "gradient_boosting",
        "Gradient-boosted trees, 200 stages",
        _boosting,
        {"model__max_depth": [2, 3], "model__learning_rate": [0.03, 0.1]},
    ),
    AlgorithmSpec(
        "gaussian_process",
        "Gaussian process (kernel chosen by grouped CV, its hyperparameters by marginal likelihood)",
        _gp,
        {"model__kernel": gp_kernels()},
        max_rows=GAUSSIAN_PROCESS_MAX_ROWS,
    ),
):
    ALGORITHMS.add(_spec.name, _spec)


def check_row_limit(algorithm: str, n_rows: int) -> None:
    """Refuse to train ``algorithm`` on more rows than its ``max_rows``.

    Args:
        algorithm: a name in :data:`ALGORITHMS`.
        n_rows: rows that would be trained on (those with the target).

    Raises:
        LimitExceeded: too many rows (``details``: field ``dataset``, ``max_rows``, ``rows``).
        ValidationError: unknown algorithm.
    """
    spec = ALGORITHMS.get(algorithm)
    if n_rows > spec.max_rows:
        raise LimitExceeded(
            f"{algorithm} trains on at most {spec.max_rows:,} rows; this dataset has "
            f"{n_rows:,} rows with the target. Train on a subset, or choose an algorithm "
            "that accepts more rows.",
            field="dataset",
            details={"algorithm": algorithm, "max_rows": spec.max_rows, "rows": n_rows},
        )


def json_safe(value: Any) -> Any:
    """A hyperparameter value as JSON (kernels and other objects as their ``str``)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.integer | np.floating):
        return json_safe(value.item())
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


# --- baselines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OneFeatureModel:
    """Least squares on arcsinh(x_j) for the feature j most rank-correlated with the target.

    Attributes:
        index: column of the chosen feature (−1: none varied, predicts the mean).
        name: its name.
        rho: its Spearman ρ with the target in the training rows.
        slope: fitted slope.
        intercept: fitted intercept.
    """

    index: int
    name: str
    rho: float
    slope: float
    intercept: float

    @classmethod
    def fit(cls, X: FloatArray, y: FloatArray, names: Sequence[str]) -> OneFeatureModel:
        """Choose the feature and fit it (training rows only)."""
        varied = np.flatnonzero(np.ptp(X, axis=0) > 0)
        if varied.size == 0 or np.ptp(y) == 0:
            return cls(-1, "(none)", math.nan, 0.0, float(y.mean()))
        ranks = stats.rankdata(X[:, varied], axis=0)
        ry = stats.rankdata(y)
        rc = ranks - ranks.mean(axis=0)
        yc = ry - ry.mean()
        rho = (rc * yc[:, None]).sum(axis=0) / np.sqrt((rc**2).sum(axis=0) * (yc**2).sum())
        best = int(np.argmax(np.abs(rho)))
        j = int(varied[best])
        x = np.arcsinh(X[:, j])
        slope, intercept = np.polyfit(x, y, 1)
        return cls(j, names[j], float(rho[best]), float(slope), float(intercept))

    def predict(self, X: FloatArray) -> FloatArray:
        """Predictions for the rows of ``X``."""
        if self.index < 0:
            return np.full(X.shape[0], self.intercept)
        return np.asarray(self.intercept + self.slope * np.arcsinh(X[:, self.index]))


# --- reports ------------------------------------------------------------------------------


@dataclass(eq=False)
class FoldResult:
    """One outer fold: what was trained on what, and how every predictor did.

    Attributes:
        fold: 0-based fold number.
        train_index: dataset row indices used for training (and the inner search).
        test_index: dataset row indices held out.
        test_groups: the held-out groups.
        inner_splits: the inner (train, test) splits, as dataset row indices.
        best_params: hyperparameters chosen by the inner search (JSON-safe).
        y_true: held-out targets.
        predictions: predictor name (:data:`PREDICTORS`) → predictions of the test rows.
        lower: CV+ lower bounds of the test rows.
        upper: CV+ upper bounds.
        one_feature: the feature the one-feature baseline chose.
        n_features: number of features in this fold.
        level_bounds: nominal level (:data:`COVERAGE_LEVELS`) → CV+ (lower, upper) of the
            test rows at that level (levels too high for the calibration rows are absent).
    """

    fold: int
    train_index: IntArray
    test_index: IntArray
    test_groups: list[str]
    inner_splits: list[Split]
    best_params: dict[str, Any]
    y_true: FloatArray
    predictions: dict[str, FloatArray]
    lower: FloatArray
    upper: FloatArray
    one_feature: str
    n_features: int
    level_bounds: dict[float, tuple[FloatArray, FloatArray]] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, dict[str, float]]:
        """Predictor → MAE, RMSE, R², Spearman on this fold's test rows."""
        return {k: regression_metrics(self.y_true, v) for k, v in self.predictions.items()}

    @property
    def coverage(self) -> float:
        """Fraction of test targets inside their CV+ interval."""
        return interval_coverage(self.y_true, self.lower, self.upper)

    @property
    def mean_width(self) -> float:
        """Mean CV+ interval width on the test rows."""
        return mean_interval_width(self.lower, self.upper)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no per-row arrays)."""
        return {
            "fold": self.fold,
            "n_train": int(self.train_index.size),
            "n_test": int(self.test_index.size),
            "test_groups": list(self.test_groups),
            "best_params": self.best_params,
            "metrics": self.metrics,
            "coverage": self.coverage,
            "mean_width": self.mean_width,
            "one_feature": self.one_feature,
            "n_features": self.n_features,
        }


@dataclass(eq=False)
class CVReport:
    """The nested cross-validation of one training run.

    Attributes:
        folds: the outer folds.
        outer_folds: number of outer folds.
        inner_folds: number of inner folds (search and CV+).
        level: nominal interval coverage.
        row_ids: dataset row ids (indices in the folds refer to these).
        groups: dataset groups.
    """

    folds: list[FoldResult]
    outer_folds: int
    inner_folds: int
    level: float
    row_ids: list[str]
    groups: list[str]

    def out_of_fold(
        self,
    ) -> tuple[IntArray, FloatArray, dict[str, FloatArray], FloatArray, FloatArray]:
        """Row indices, targets, predictions per predictor, lower and upper, over all folds."""
        index = np.concatenate([f.test_index for f in self.folds])
        y = np.concatenate([f.y_true for f in self.folds])
        preds = {k: np.concatenate([f.predictions[k] for f in self.folds]) for k in PREDICTORS}
        lower = np.concatenate([f.lower for f in self.folds])
        upper = np.concatenate([f.upper for f in self.folds])
        return index, y, preds, lower, upper

    @property
    def pooled(self) -> dict[str, dict[str, float]]:
        """Predictor → metrics over every out-of-fold prediction."""
        _, y, preds, _, _ = self.out_of_fold()
        return {k: regression_metrics(y, v) for k, v in preds.items()}

    @property
    def coverage(self) -> float:
        """Pooled empirical coverage of the CV+ intervals on held-out groups."""
        _, y, _, lower, upper = self.out_of_fold()
        return interval_coverage(y, lower, upper)

    @property
    def mean_width(self) -> float:
        """Pooled mean interval width."""
        _, _, _, lower, upper = self.out_of_fold()
        return mean_interval_width(lower, upper)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary for the manifest's ``metrics``."""
        fold_cov = [f.coverage for f in self.folds]
        return {
            "validation": "nested grouped cross-validation",
            "outer_folds": self.outer_folds,
            "inner_folds": self.inner_folds,
            "n_rows": len(self.row_ids),
            "n_groups": len(set(self.groups)),
            "level": self.level,
            "pooled": self.pooled,
            "interval": {
                "method": "CV+ (grouped inner folds)",
                "coverage": self.coverage,
                "mean_width": self.mean_width,
                "fold_coverage": fold_cov,
                "fold_mean_width": [f.mean_width for f in self.folds],
            },
            "folds": [f.summary() for f in self.folds],
        }

    def coverage_by_level(self) -> list[dict[str, Any]]:
        """Empirical vs nominal coverage of the outer-fold CV+ intervals, pooled over folds."""
        out: list[dict[str, Any]] = []
        for lvl in COVERAGE_LEVELS:
            if not all(lvl in f.level_bounds for f in self.folds):
                continue
            y = np.concatenate([f.y_true for f in self.folds])
            lo = np.concatenate([f.level_bounds[lvl][0] for f in self.folds])
            hi = np.concatenate([f.level_bounds[lvl][1] for f in self.folds])
            out.append(
                {
                    "nominal": lvl,
                    "empirical": interval_coverage(y, lo, hi),
                    "mean_width": mean_interval_width(lo, hi),
                }
            )
        return out

    def oof_rows(self) -> list[dict[str, Any]]:
        """Out-of-fold rows (outer test folds): measured, predictions and CV+ interval."""
        rows: list[dict[str, Any]] = []
        for f in self.folds:
            for j, i in enumerate(f.test_index):
                rows.append(
                    {
                        "row_id": self.row_ids[int(i)],
                        "fold": f.fold,
                        "measured": float(f.y_true[j]),
                        "predicted": float(f.predictions["model"][j]),
                        "lower": float(f.lower[j]),
                        "upper": float(f.upper[j]),
                        "baseline_mean": float(f.predictions["baseline_mean"][j]),
                        "baseline_one_feature": float(f.predictions["baseline_one_feature"][j]),
                    }
                )
        return rows


@dataclass(eq=False)
class TrainedModel:
    """A model refitted on all rows, with everything needed to predict and to explain it."""

    algorithm: str
    target: str
    level: float
    seed: int
    hyperparameters: dict[str, Any]
    params: dict[str, Any]
    featurizer: Any
    """A fitted featurizer (a formulation featurizer of :mod:`cryoprotect.ml.features` or the
    molecule featurizer of :mod:`cryoprotect.ml.molecule_features`)."""
    estimator: Any
    conformal: CVPlus
    domain: ApplicabilityDomain
    report: CVReport | None
    metrics: dict[str, Any]
    dataset_hash: str
    dataset_name: str
    n_rows: int
    n_groups: int
    bounds: tuple[float, float] | None
    created_at: str
    training_seconds: float
    library_versions: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    link: Link | None = None
    """The transform the estimator was fitted on (``None``: stored before links existed;
    its predictions are clipped to the target's domain and say so)."""
    group_calibration: dict[str, Any] | None = None
    """Per-group calibration rows of the CV+ residuals, for the Mondrian interval
    (:func:`cryoprotect.ml.group_conformal.calibration_groups`; ``None``: stored before it
    existed — such a model serves the pooled interval)."""

    @property
    def target_domain(self) -> TargetDomain:
        """The declared domain of the target (:func:`cryoprotect.ml.targets.target_domain`)."""
        return target_domain(self.target)

    @property
    def target_transform(self) -> str:
        """The transform in plain words (what the answers report)."""
        if self.link is None:
            return "none (model stored before target transforms; values clipped to the domain)"
        return self.link.describe()

    @property
    def feature_names(self) -> list[str]:
        """Feature names, in the column order the estimator expects."""
        return list(self.featurizer.feature_names)


OUTSIDE_DOMAIN = "outside applicability domain"


@dataclass(frozen=True)
class Prediction:
    """One prediction with its interval and domain check.

    Out of the applicability domain the value and interval are ``None`` and ``reason``
    says why, unless the caller asked for an extrapolation (``extrapolated`` is then
    true).

    Attributes:
        value: point prediction (model refitted on all rows), or ``None``.
        lower: CV+ lower bound, or ``None``.
        upper: CV+ upper bound, or ``None``.
        level: nominal coverage of ``[lower, upper]``.
        in_domain: inside the applicability domain and made only of components seen in
            training.
        domain_score: mean RMS distance to the k nearest training rows.
        domain_threshold: the score above which a row is out of the domain.
        nearest: the nearest training rows.
        warnings: caveats in plain words.
        reason: why there is no value (``None`` when there is one).
        extrapolated: a value given out of the domain because the caller asked for it.
        clipped: a value or bound was clipped to the target's domain.
        clip_reason: why (``None`` when nothing was clipped).
        target_transform: the transform the model was fitted on, in plain words.
        target_domain: the target's declared domain (JSON-ready).
        interval_method: ``"pooled CV+"`` or ``"mondrian CV+ (group <key>=<value>, n=…)"``
            (:func:`cryoprotect.ml.group_conformal.choose_interval`).
        interval_reason: why that interval, in plain words.
        group_coverage: the given group's measured held-out coverage (pooled, Mondrian,
            served), or ``None`` when no usable group was given.
    """

    value: float | None
    lower: float | None
    upper: float | None
    level: float
    in_domain: bool
    domain_score: float
    nearest: list[Neighbour]
    warnings: list[str]
    domain_threshold: float = math.nan
    reason: str | None = None
    extrapolated: bool = False
    clipped: bool = False
    clip_reason: str | None = None
    target_transform: str = ""
    target_domain: dict[str, Any] = field(default_factory=dict)
    interval_method: str = group_conformal.POOLED
    interval_reason: str = ""
    group_coverage: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
            "level": self.level,
            "in_domain": self.in_domain,
            "domain_score": self.domain_score,
            "domain_threshold": self.domain_threshold,
            "nearest": [n.as_dict() for n in self.nearest],
            "warnings": list(self.warnings),
            "reason": self.reason,
            "extrapolated": self.extrapolated,
            "clipped": self.clipped,
            "clip_reason": self.clip_reason,
            "target_transform": self.target_transform,
            "target_domain": dict(self.target_domain),
            "interval_method": self.interval_method,
            "interval_reason": self.interval_reason,
            "group_coverage": dict(self.group_coverage) if self.group_coverage else None,
        }


# --- training -----------------------------------------------------------------------------


def library_versions() -> dict[str, str]:
    """Versions of the libraries a saved model depends on."""
    out = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "scikit-learn", "skops", "cryoprotect", "rdkit"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def grouped_folds(groups: Sequence[str] | NDArray[Any], n_splits: int, seed: int) -> list[Split]:
    """Balanced grouped K-fold splits: no group is ever on both sides of a split.

    The assignment is scikit-learn ``GroupKFold``'s (largest group first, each to the fold
    with the fewest rows so far), with ties between equal-sized groups broken in an order
    drawn from ``seed`` — so the folds are as balanced as ``GroupKFold``'s and ``seed``
    gives other, equally valid partitions. (``GroupKFold(shuffle=True)`` gives up the
    balance: on the CryoMN literature it makes test folds of 17 to 53 rows.)

    Args:
        groups: group label of every row.
        n_splits: wanted folds (fewer when there are fewer groups).
        seed: tie-breaking seed.

    Returns:
        ``(train_indices, test_indices)`` per fold; every row is in exactly one test fold.

    Raises:
        ValidationError: fewer than 2 groups.
    """
    labels = np.asarray([str(g) for g in groups])
    unique, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    k = min(int(n_splits), unique.size)
    if k < 2:
        raise ValidationError(
            f"grouped cross-validation needs at least 2 groups; these rows have {unique.size}",
            field="groups",
        )
    order = np.random.default_rng(seed).permutation(unique.size)
    order = order[np.argsort(-counts[order], kind="stable")]
    load = np.zeros(k)
    fold_of_group = np.empty(unique.size, dtype=np.intp)
    for g in order:
        f = int(np.argmin(load))
        fold_of_group[g] = f
        load[f] += counts[g]
    fold = fold_of_group[inverse]
    return [
        (np.flatnonzero(fold != f).astype(np.intp), np.flatnonzero(fold == f).astype(np.intp))
        for f in range(k)
    ]


def _group_splits(groups: NDArray[Any], n_splits: int, seed: int) -> list[Split]:
    return grouped_folds(groups, n_splits, seed)


def _configured(
    spec: AlgorithmSpec, params: Mapping[str, Any], seed: int, n_jobs: int | None
) -> Any:
    estimator = spec.build(seed, n_jobs)
    if params:
        estimator.set_params(**params)
    return estimator


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
        _configured(spec, params, seed, n_jobs),
        {k: list(v) for k, v in grid.items()},
        scoring="neg_mean_absolute_error",
        cv=splits,
        refit=True,
        error_score="raise",
    )
    search.fit(X, y)
    return search.best_estimator_, dict(search.best_params_)


def _clip(values: FloatArray, bounds: tuple[float, float] | None) -> FloatArray:
    return values if bounds is None else np.clip(values, bounds[0], bounds[1])


def _widened(
    point: FloatArray, lower: FloatArray, upper: FloatArray
) -> tuple[FloatArray, FloatArray]:
    # The point comes from the all-data model, the interval from the fold models: widen the
    # interval to contain the point (conservative).
    return np.minimum(lower, point), np.maximum(upper, point)


def _to_target(
    link: Link,
    point: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    bounds: tuple[float, float] | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Link-scale point and CV+ bounds → the target's scale (widened, then clipped to
    ``bounds`` — a no-op for a linked model unless narrower bounds were given)."""
    lo, hi = _widened(point, lower, upper)
    return (
        _clip(link.inverse(point), bounds),
        _clip(link.inverse(lo), bounds),
        _clip(link.inverse(hi), bounds),
    )


def _check_bounds(bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    if bounds is None:
        return None
    lo, hi = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValidationError("bounds must be two finite numbers, low < high", field="bounds")
    return lo, hi


def _domain_bounds(domain: TargetDomain) -> tuple[float, float] | None:
    """The clipping bounds a target's declared domain implies (``None``: unbounded)."""
    if domain.kind == "unbounded":
        return None
    return domain.low, domain.high


def choose_link(target: str, link: str = "auto") -> Link:
    """The link a model of ``target`` is fitted on (``"auto"``: its declared domain's)."""
    if link not in LINK_NAMES:
        raise ValidationError(f"link must be one of {', '.join(LINK_NAMES)}", field="link")
    return link_for(target_domain(target)) if link == "auto" else Identity()


def _domain_notes(target: str, y: FloatArray, link: Link) -> list[str]:
    """Training targets outside the declared domain, said plainly."""
    domain = target_domain(target)
    outside = ~domain.contains(y)
    if not outside.any():
        return []
    return [
        f"{int(outside.sum())} training value(s) of {target} lie outside its domain "
        f"({domain.description}; from {float(np.min(y[outside])):.4g} to "
        f"{float(np.max(y[outside])):.4g}); the {link.describe()} transform holds them at "
        "the nearest fitted value"
    ]


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
    bounds = _check_bounds(bounds) if bounds is not None else _domain_bounds(target_domain(target))
    grid = dict(param_grid) if param_grid is not None else dict(spec.param_grid)
    fixed = dict(params or {})
    options = dict(featurizer_options or {})
    data = dataset.with_target(target)
    if len(data) == 0:
        raise ValidationError(f"no row has a value for target {target!r}", field="target")
    check_row_limit(algorithm, len(data))
    _stop_if_cancelled(cancel)
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
            outer = _group_splits(groups, outer_folds, seed)
            for k, (tr, te) in enumerate(outer):
                _stop_if_cancelled(cancel)
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
        _stop_if_cancelled(cancel)
        notify("refitting on all rows", len(outer) / (len(outer) + 1) if outer else 0.0)
        fz = make_featurizer(featurizer, **options).fit_quantities(quantities, data.rows)
        X = fz.assemble(quantities)
        splits = _group_splits(groups, inner_folds, seed)
        estimator, best = _search(spec, grid, fixed, seed, n_jobs, X, z, splits)
        _stop_if_cancelled(cancel)
        chosen = {**fixed, **best}
        conformal = fit_cv_plus(
            lambda: _configured(spec, chosen, seed, n_jobs), X, z, splits, level
        )
        _stop_if_cancelled(cancel)
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
                    lambda p: _configured(spec, {**fixed, **p}, seed, n_jobs),
                    featurizer=featurizer,
                    featurizer_options=options,
                    grid=grid,
                    target=target,
                    fit_values=z,
                    serve=lambda pz, lo, hi: _to_target(fit_link, pz, lo, hi, bounds),
                )
            )
            metrics["validation_plots"] = json_safe(
                _validation_plots(
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
        warnings=_domain_notes(target, y, fit_link) + log.lines(),
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
    inner = _group_splits(groups[tr], inner_folds, seed)
    estimator, best = _search(spec, grid, fixed, seed, n_jobs, X_tr, z_tr, inner)
    _stop_if_cancelled(cancel)
    chosen = {**fixed, **best}
    point_z = np.asarray(estimator.predict(X_te), dtype=np.float64)
    conformal = fit_cv_plus(
        lambda: _configured(spec, chosen, seed, n_jobs), X_tr, z_tr, inner, level
    )
    fold_preds = conformal.fold_predictions(X_te)
    point, lower, upper = _to_target(
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
        _, lo_l, hi_l = _to_target(link, point_z, *raw, bounds)
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
            "baseline_mean": _clip(np.full(te.size, float(y_tr.mean())), bounds),
            "baseline_one_feature": _clip(one.predict(X_te), bounds),
        },
        lower=lower,
        upper=upper,
        one_feature=one.name,
        n_features=X_tr.shape[1],
        level_bounds=level_bounds,
    )


def target_unit(target: str) -> str:
    """Display unit of a target, from its declared domain (``*_percent`` → ``%``)."""
    return target_domain(target).unit


def _validation_plots(
    report: CVReport,
    estimator: Any,
    link: Link,
    X: FloatArray,
    y: FloatArray,
    names: Sequence[str],
    target: str,
    seed: int,
    blocks: Sequence[tuple[str, Sequence[int]]] | None = None,
) -> dict[str, Any]:
    """Data for the model page's validation plots (JSON-ready after :func:`json_safe`).

    ``blocks`` (``(name, columns)``): permute these column blocks together instead of every
    column on its own — the molecule featurizer's fingerprint is one block (a thousand
    single bits would cost a thousand refits' worth of predictions and say little)."""

    def neg_mae_on_target_scale(est: Any, X_: FloatArray, y_: FloatArray) -> float:
        predicted = link.inverse(np.asarray(est.predict(X_), dtype=np.float64))
        return -float(np.mean(np.abs(y_ - predicted)))

    if blocks is None:
        result = permutation_importance(
            estimator,
            X,
            y,
            scoring=neg_mae_on_target_scale,
            n_repeats=IMPORTANCE_REPEATS,
            random_state=seed,
        )
        means, stds = result.importances_mean, result.importances_std
    else:
        names = [name for name, _ in blocks]
        means, stds = _block_permutation_importance(
            estimator, X, y, neg_mae_on_target_scale, blocks, seed
        )
    order = np.argsort(-means, kind="stable")[:TOP_IMPORTANCES]
    return {
        "target": target,
        "unit": target_unit(target),
        "out_of_fold": {
            "source": "outer folds of the nested grouped cross-validation",
            "rows": report.oof_rows(),
        },
        "permutation_importance": {
            "method": "sklearn permutation_importance of the final model on its training rows "
            "(increase in MAE, on the target's own scale)",
            "scoring": "mae",
            "n_repeats": IMPORTANCE_REPEATS,
            "features": [
                {
                    "feature": names[int(j)],
                    "mean": float(means[j]),
                    "std": float(stds[j]),
                }
                for j in order
            ],
        },
        "coverage": {
            "method": "CV+ intervals calibrated on the inner folds of each outer training set, "
            "evaluated on the held-out outer groups",
            "levels": report.coverage_by_level(),
        },
    }


def _block_permutation_importance(
    estimator: Any,
    X: FloatArray,
    y: FloatArray,
    score: Callable[[Any, FloatArray, FloatArray], float],
    blocks: Sequence[tuple[str, Sequence[int]]],
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    """Permutation importance of column blocks (rows of a block shuffled together)."""
    rng = np.random.default_rng(seed)
    base = score(estimator, X, y)
    means, stds = np.zeros(len(blocks)), np.zeros(len(blocks))
    for b, (_, columns) in enumerate(blocks):
        cols = np.asarray(columns, dtype=np.intp)
        drops = []
        for _ in range(IMPORTANCE_REPEATS):
            shuffled = X.copy()
            shuffled[:, cols] = X[rng.permutation(X.shape[0])][:, cols]
            drops.append(base - score(estimator, shuffled, y))
        means[b], stds[b] = float(np.mean(drops)), float(np.std(drops))
    return means, stds


# --- prediction ---------------------------------------------------------------------------


def predict(
    model: TrainedModel,
    rows: Dataset | Sequence[DatasetRow],
    *,
    extrapolate: bool = False,
    groups: Mapping[str, str] | Sequence[Mapping[str, str] | None] | None = None,
) -> list[Prediction]:
    """Predict rows with intervals and an applicability-domain check.

    A row outside the applicability domain (or made with a component the model never saw)
    gets no value and no interval (``reason`` = :data:`OUTSIDE_DOMAIN`) unless
    ``extrapolate`` is true; the value is then marked ``extrapolated``.

    The interval is the pooled CV+ interval unless the caller gives the row's group
    (e.g. ``{"source_type": "wetlab"}``) and the model's stored per-group coverage shows
    the pooled interval missing the 85–95 % target for that group: then the group's own
    (Mondrian) CV+ interval, computed on the link scale and mapped back like the pooled
    one (:func:`cryoprotect.ml.group_conformal.choose_interval` states the rule).

    Args:
        model: a trained (or loaded) model.
        rows: formulations (targets, if any, are ignored).
        extrapolate: give values outside the applicability domain too.
        groups: the group of every row (one mapping for all rows, or one per row;
            ``None``: no group given).

    Returns:
        One :class:`Prediction` per row, in order.

    Raises:
        ValidationError: an unknown component (named) or unsupported unit (HTTP 422).
        InvalidCompositionError: an impossible composition (the row is named).
    """
    row_list = rows.rows if isinstance(rows, Dataset) else list(rows)
    if not row_list:
        return []
    q = model.featurizer.quantities(row_list)
    X = model.featurizer.assemble(q)
    link = model.link if model.link is not None else Identity()
    domain_decl = model.target_domain
    bounds = model.bounds if model.bounds is not None else _domain_bounds(domain_decl)
    point_z = np.asarray(model.estimator.predict(X), dtype=np.float64)
    fold_preds = model.conformal.fold_predictions(X)
    raw_lower, raw_upper = cv_plus_bounds(
        fold_preds, model.conformal.residuals, model.conformal.fold_of_row, model.conformal.level
    )
    per_row = [groups] * len(row_list) if groups is None or isinstance(groups, Mapping) else groups
    if len(per_row) != len(row_list):
        raise ValidationError("give one group mapping per row", field="groups")
    choices = [
        group_conformal.choose_interval(
            model.metrics.get("group_coverage"), model.group_calibration, g
        )
        for g in per_row
    ]
    for i, choice in enumerate(choices):
        if choice["method"] == "mondrian":
            lo_i, hi_i = group_conformal.mondrian_interval(
                fold_preds[:, i : i + 1],
                model.conformal.residuals,
                model.conformal.fold_of_row,
                choice["rows"],
                model.conformal.level,
            )
            raw_lower[i], raw_upper[i] = lo_i[0], hi_i[0]
    unclipped = _to_target(link, point_z, raw_lower, raw_upper, None)
    point, lower, upper = _to_target(link, point_z, raw_lower, raw_upper, bounds)
    changed = np.zeros(point.size, dtype=bool)
    for before, after in zip(unclipped, (point, lower, upper), strict=True):
        changed |= before != after
    score, nearest, distance = model.domain.query(X)
    unseen = model.featurizer.unseen_components(q)
    out: list[Prediction] = []
    for i in range(len(row_list)):
        notes: list[str] = []
        inside = bool(score[i] <= model.domain.threshold)
        if not inside:
            notes.append(
                f"outside the applicability domain: mean distance to the {model.domain.k} nearest "
                f"training rows {score[i]:.3g} > threshold {model.domain.threshold:.3g} "
                f"({model.domain.percentile:g}th percentile of the training rows)"
            )
        if unseen[i]:
            notes.append(
                "components not seen in training: " + ", ".join(unseen[i]) + " (their effect "
                "could only be extrapolated from descriptors and totals)"
            )
        in_domain = inside and not unseen[i]
        give = in_domain or extrapolate
        if give and (raw_lower[i] > point_z[i] or raw_upper[i] < point_z[i]):
            notes.append("interval widened to contain the point prediction")
        clipped = bool(give and changed[i])
        clip_reason = None
        if clipped:
            if model.link is None:
                why = "the model was stored before target transforms existed"
            elif isinstance(model.link, Identity):
                why = "the model was fitted on the raw target, without a transform"
            else:
                why = "narrower bounds were given at training"
            low, high = bounds if bounds is not None else (math.nan, math.nan)
            clip_reason = (
                f"the value or interval reached beyond {low:g}–{high:g} "
                f"({domain_decl.description}) and was clipped to it: {why}"
            )
            notes.append(clip_reason)
        if give and not in_domain:
            notes.append(
                "extrapolated on request: outside the applicability domain the model has no "
                "data to stand on, and the interval's coverage does not hold"
            )
        out.append(
            Prediction(
                value=float(point[i]) if give else None,
                lower=float(lower[i]) if give else None,
                upper=float(upper[i]) if give else None,
                level=model.level,
                in_domain=in_domain,
                domain_score=float(score[i]),
                domain_threshold=float(model.domain.threshold),
                nearest=[
                    model.domain.neighbour(int(j), float(d))
                    for j, d in zip(nearest[i], distance[i], strict=True)
                ],
                warnings=notes,
                reason=None if give else OUTSIDE_DOMAIN,
                extrapolated=give and not in_domain,
                clipped=clipped,
                clip_reason=clip_reason,
                target_transform=model.target_transform,
                target_domain=domain_decl.as_dict(),
                interval_method=choices[i]["interval_method"],
                interval_reason=choices[i]["reason"],
                group_coverage=choices[i]["coverage"],
            )
        )
    return out
