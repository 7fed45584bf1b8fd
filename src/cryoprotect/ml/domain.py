"""Applicability domain: is a new formulation near the data the model was trained on?

This module owns the distance-based domain check. Features are put on a common scale —
``arcsinh`` (so that a few extreme rows do not set the scale) then standardised with the
training mean and standard deviation — and the distance between two rows is the
root-mean-square difference per feature (Euclidean distance / √F), so "1.0" reads as
"one standard deviation per feature on average".

A row's *domain score* is its mean distance to its k nearest training rows. The threshold
is the ``percentile``-th percentile of the training rows' leave-one-out scores (each
training row against the others): by construction about 5 % of training rows themselves
lie beyond a 95th-percentile threshold. A prediction whose score exceeds it is flagged
out of domain, with the nearest training rows' ids so a user can look at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _pairwise_rms(a: FloatArray, b: FloatArray) -> FloatArray:
    """RMS per-feature distance between rows of ``a`` (M, F) and ``b`` (n, F): (M, n)."""
    sq = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * a @ b.T
    return np.asarray(np.sqrt(np.maximum(sq, 0.0) / max(a.shape[1], 1)), dtype=np.float64)


@dataclass(frozen=True)
class Neighbour:
    """A training row near a queried formulation.

    Attributes:
        row_id: the training row's id.
        distance: RMS per-feature distance (standardised features).
        group: its group (source DOI or batch), when the model recorded it.
        measured: its measured target value, when the model recorded it.
    """

    row_id: str
    distance: float
    group: str | None = None
    measured: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {
            "row_id": self.row_id,
            "distance": self.distance,
            "group": self.group,
            "measured": self.measured,
        }


@dataclass(eq=False)
class ApplicabilityDomain:
    """A fitted k-nearest-neighbour domain.

    Attributes:
        mean: per-feature mean of the arcsinh features, (F,).
        scale: per-feature standard deviation (1 where constant), (F,).
        train: standardised training rows, (n, F).
        row_ids: ids of the training rows.
        k: neighbours averaged in the score.
        threshold: score above which a row is out of domain.
        percentile: the percentile of leave-one-out training scores used as threshold.
        groups: group (source DOI or batch) of every training row, if recorded.
        targets: measured target of every training row, if recorded.
    """

    mean: FloatArray
    scale: FloatArray
    train: FloatArray
    row_ids: list[str]
    k: int
    threshold: float
    percentile: float
    groups: list[str] | None = None
    targets: FloatArray | None = None

    @classmethod
    def fit(
        cls,
        X: FloatArray,
        row_ids: list[str],
        *,
        k: int = 5,
        percentile: float = 95.0,
        groups: list[str] | None = None,
        targets: FloatArray | None = None,
    ) -> ApplicabilityDomain:
        """Fit on training features ``X`` (n, F) with their row ids (and, to show them
        beside the nearest rows, their groups and measured targets)."""
        n = X.shape[0]
        if n < 2:
            raise ValidationError("the applicability domain needs at least 2 rows", field="rows")
        if len(row_ids) != n:
            raise ValidationError("one row id per row is needed", field="row_ids")
        k = max(1, min(int(k), n - 1))
        z = np.arcsinh(X)
        mean = z.mean(axis=0)
        scale = z.std(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        train = (z - mean) / scale
        dist = _pairwise_rms(train, train)
        np.fill_diagonal(dist, np.inf)
        loo = np.sort(dist, axis=1)[:, :k].mean(axis=1)
        threshold = float(np.percentile(loo, percentile))
        if groups is not None and len(groups) != n:
            raise ValidationError("one group per row is needed", field="groups")
        if targets is not None and len(targets) != n:
            raise ValidationError("one target per row is needed", field="targets")
        return cls(
            mean,
            scale,
            train,
            list(row_ids),
            k,
            threshold,
            float(percentile),
            None if groups is None else [str(g) for g in groups],
            None if targets is None else np.asarray(targets, dtype=np.float64),
        )

    def neighbour(self, index: int, distance: float) -> Neighbour:
        """Training row ``index`` at ``distance``, with its group and measured value."""
        measured = None if self.targets is None else float(self.targets[index])
        return Neighbour(
            row_id=self.row_ids[index],
            distance=distance,
            group=None if self.groups is None else self.groups[index],
            measured=measured if measured is not None and np.isfinite(measured) else None,
        )

    def query(self, X: FloatArray) -> tuple[FloatArray, IntArray, FloatArray]:
        """Score (M,), nearest training-row indices (M, k) and their distances (M, k)."""
        z = (np.arcsinh(X) - self.mean) / self.scale
        dist = _pairwise_rms(z, self.train)
        nearest = np.argsort(dist, axis=1, kind="stable")[:, : self.k]
        near_dist = np.take_along_axis(dist, nearest, axis=1)
        return near_dist.mean(axis=1), nearest.astype(np.intp), near_dist
