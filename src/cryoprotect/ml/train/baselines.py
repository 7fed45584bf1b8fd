"""The one-feature baseline every model is compared with (the other is the training mean)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cryoprotect.ml.train.common import FloatArray


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
