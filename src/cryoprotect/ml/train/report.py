"""The nested cross-validation report: per-fold results and their pooled summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cryoprotect.ml.metrics import interval_coverage, mean_interval_width, regression_metrics
from cryoprotect.ml.train.common import (
    FloatArray,
    IntArray,
    Split,
)

PREDICTORS = ("model", "baseline_mean", "baseline_one_feature")
"""Names of the predictions compared in every outer fold."""
#: Nominal levels of the coverage-vs-nominal validation plot.
COVERAGE_LEVELS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


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
