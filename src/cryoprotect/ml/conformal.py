"""CV+ conformal prediction intervals with group folds (Barber et al., Ann Stat 49:486, 2021).

This module owns the prediction intervals. MAPIE 1.x's ``CrossConformalRegressor`` computes
the same CV+ interval and accepts ``groups``; it is implemented here instead so that the
fitted state is only scikit-learn estimators and numpy arrays (what the artefact format
trusts) and so that the folds are exactly the grouped folds we report.

Given K folds (groups never split), fold models μ_{-k} trained without fold k, and the
out-of-fold residuals R_i = |y_i − μ_{-k(i)}(x_i)| of the n training rows, the interval at
level 1 − α for a new x is::

    lower = the ⌊α(n+1)⌋-th smallest of   μ_{-k(i)}(x) − R_i
    upper = the ⌈(1−α)(n+1)⌉-th smallest of μ_{-k(i)}(x) + R_i

Its coverage is guaranteed to be at least 1 − 2α for exchangeable data and is close to
1 − α in practice; with groups, exchangeability holds between groups, not rows, which is
why coverage is measured on held-out groups (:mod:`cryoprotect.ml.train`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


_EPS = 1e-9  # guards the order-statistic ranks against float error (1 − 0.9 ≠ 0.1 exactly)


def _ranks(n: int, level: float) -> tuple[int, int]:
    """1-based ranks of the lower and upper order statistics for n residuals."""
    alpha = 1.0 - level
    return math.floor(alpha * (n + 1) + _EPS), math.ceil((1.0 - alpha) * (n + 1) - _EPS)


def min_rows_for_level(level: float) -> int:
    """Fewest calibration rows for which the CV+ interval at ``level`` is finite."""
    n = max(1, math.floor(1.0 / (1.0 - level) - 1.0 - _EPS))
    while True:
        k_lo, k_hi = _ranks(n, level)
        if k_lo >= 1 and k_hi <= n:
            return n
        n += 1


def check_level(level: float) -> float:
    """``level`` if it is in (0, 1)."""
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise ValidationError("level must be between 0 and 1 (e.g. 0.9)", field="level")
    return float(level)


@dataclass(eq=False)
class CVPlus:
    """A fitted CV+ interval: K fold models and the n out-of-fold residuals.

    Attributes:
        level: nominal coverage 1 − α.
        fold_estimators: the K models, each trained without one fold.
        residuals: |y_i − μ_{-k(i)}(x_i)| for every training row, shape (n,).
        fold_of_row: k(i), the fold that held row i out, shape (n,).
    """

    level: float
    fold_estimators: list[Any]
    residuals: FloatArray
    fold_of_row: IntArray

    def fold_predictions(self, X: FloatArray) -> FloatArray:
        """Predictions of every fold model, shape (K, M)."""
        return np.vstack([np.asarray(e.predict(X), dtype=np.float64) for e in self.fold_estimators])

    def interval(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Lower and upper bounds for the rows of ``X``, each shape (M,)."""
        return cv_plus_bounds(
            self.fold_predictions(X), self.residuals, self.fold_of_row, self.level
        )


def cv_plus_bounds(
    fold_predictions: FloatArray, residuals: FloatArray, fold_of_row: IntArray, level: float
) -> tuple[FloatArray, FloatArray]:
    """The CV+ bounds from fold-model predictions (see the module docstring).

    Args:
        fold_predictions: (K, M) predictions of the K fold models at M new points.
        residuals: (n,) out-of-fold absolute residuals.
        fold_of_row: (n,) index of the fold model that did not see each row.
        level: nominal coverage.

    Raises:
        ValidationError: too few rows for a finite interval at this level.
    """
    n = residuals.size
    k_lo, k_hi = _ranks(n, check_level(level))
    if k_lo < 1 or k_hi > n:
        raise ValidationError(
            f"{n} calibration rows are too few for a {level:.0%} interval "
            f"(need at least {min_rows_for_level(level)})",
            field="level",
        )
    centres = fold_predictions[fold_of_row]  # (n, M)
    low_scores = centres - residuals[:, None]
    high_scores = centres + residuals[:, None]
    lower = np.partition(low_scores, k_lo - 1, axis=0)[k_lo - 1]
    upper = np.partition(high_scores, k_hi - 1, axis=0)[k_hi - 1]
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def fit_cv_plus(
    make_estimator: Callable[[], Any],
    X: FloatArray,
    y: FloatArray,
    splits: Sequence[tuple[IntArray, IntArray]],
    level: float,
) -> CVPlus:
    """Fit the fold models on ``splits`` and collect the out-of-fold residuals.

    Args:
        make_estimator: returns a fresh, unfitted estimator (same hyperparameters each time).
        X: (n, F) training features.
        y: (n,) training targets.
        splits: (train, test) index pairs that cover every row exactly once as test
            (grouped folds).
        level: nominal coverage.
    """
    n = y.size
    residuals = np.full(n, np.nan)
    fold_of_row = np.full(n, -1, dtype=np.intp)
    estimators = []
    for k, (train, test) in enumerate(splits):
        estimator = make_estimator()
        estimator.fit(X[train], y[train])
        residuals[test] = np.abs(y[test] - np.asarray(estimator.predict(X[test]), dtype=np.float64))
        fold_of_row[test] = k
        estimators.append(estimator)
    if np.any(fold_of_row < 0):
        raise ValidationError("the CV+ folds must hold every row out once", field="splits")
    if n < min_rows_for_level(level):
        raise ValidationError(
            f"{n} rows are too few for a {level:.0%} interval "
            f"(need at least {min_rows_for_level(level)})",
            field="level",
        )
    return CVPlus(
        level=level, fold_estimators=estimators, residuals=residuals, fold_of_row=fold_of_row
    )
