"""The algorithm registry: named scikit-learn pipelines, their grids and row limits.

:data:`ALGORITHMS` holds ``ridge``, ``random_forest``, ``gradient_boosting`` and
``gaussian_process`` (and ``gaussian_process_source_noise``, registered by
:mod:`cryoprotect.ml.noise`), each registered exactly once when this module is imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from cryoprotect.errors import LimitExceeded
from cryoprotect.ml.registry import Registry

#: The most rows any algorithm is trained on (the dataset upload limit).
MAX_TRAINING_ROWS = 20_000
#: A Gaussian process costs O(n³) time and O(n²) memory per fit, and nested CV fits it
#: about a hundred times: 1,000 rows already ran > 180 s on two cores.
GAUSSIAN_PROCESS_MAX_ROWS = 2_000


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


def configured(
    spec: AlgorithmSpec, params: Mapping[str, Any], seed: int, n_jobs: int | None
) -> Any:
    """An unfitted estimator of ``spec`` with ``params`` set."""
    estimator = spec.build(seed, n_jobs)
    if params:
        estimator.set_params(**params)
    return estimator
