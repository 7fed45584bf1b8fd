"""Regression and interval metrics (plain numpy; NaN where a metric is undefined).

This module owns the numbers a model report quotes: MAE, RMSE, R², Spearman's ρ, and the
empirical coverage and mean width of prediction intervals. :mod:`cryoprotect.ml.validation`
re-exports them with the comparison tools.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from cryoprotect.errors import ValidationError

FloatArray = NDArray[np.float64]


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[FloatArray, FloatArray]:
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise ValidationError(f"{t.size} true values but {p.size} predictions", field="y_pred")
    return t, p


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error (target units); NaN for no rows."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p))) if t.size else math.nan


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root-mean-square error (target units); NaN for no rows."""
    t, p = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((t - p) ** 2))) if t.size else math.nan


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination 1 − SS_res/SS_tot about the mean of ``y_true``.

    Negative when the predictions are worse than predicting the evaluated rows' own mean;
    NaN when ``y_true`` is constant or has fewer than two rows.
    """
    t, p = _pair(y_true, y_pred)
    if t.size < 2:
        return math.nan
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    if ss_tot == 0.0:
        return math.nan
    return 1.0 - float(np.sum((t - p) ** 2)) / ss_tot


def spearman(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Spearman rank correlation; NaN when either side is constant or has < 3 rows."""
    t, p = _pair(y_true, y_pred)
    if t.size < 3 or np.ptp(t) == 0.0 or np.ptp(p) == 0.0:
        return math.nan
    return float(stats.spearmanr(t, p).statistic)


def interval_coverage(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Fraction of ``y_true`` inside ``[lower, upper]``; NaN for no rows."""
    t, lo = _pair(y_true, lower)
    _, hi = _pair(y_true, upper)
    return float(np.mean((t >= lo) & (t <= hi))) if t.size else math.nan


def mean_interval_width(lower: ArrayLike, upper: ArrayLike) -> float:
    """Mean of ``upper − lower``; NaN for no rows."""
    lo, hi = _pair(lower, upper)
    return float(np.mean(hi - lo)) if lo.size else math.nan


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """``{"mae", "rmse", "r2", "spearman", "n"}`` for one set of predictions."""
    t, p = _pair(y_true, y_pred)
    return {
        "mae": mae(t, p),
        "rmse": rmse(t, p),
        "r2": r2(t, p),
        "spearman": spearman(t, p),
        "n": float(t.size),
    }
