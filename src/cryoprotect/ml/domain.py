"""Applicability domain: is a new formulation near the data the model was trained on?

This module owns the distance-based domain check. Features are put on a common scale —
``arcsinh`` (so that a few extreme rows do not set the scale) then standardised with the
training mean and standard deviation — and the distance between two rows is the
root-mean-square difference per feature (Euclidean distance / √F), so "1.0" reads as
"one standard deviation per feature on average".

For molecules (fingerprint features) the distance is instead the **Tanimoto distance**
(1 − Tanimoto similarity) on the bit columns ``columns`` (``metric="tanimoto"``, what
:meth:`cryoprotect.ml.molecule_features.MoleculeFeaturizer.domain_options` asks for):
the similarity measure of structure–property models, which standardised 0/1 bits would
distort (a rare bit would weigh more than the rest of the molecule).

A row's *domain score* is its mean distance to its k nearest training rows. The threshold
is the ``percentile``-th percentile of the training rows' leave-one-out scores (each
training row against the others): by construction about 5 % of training rows themselves
lie beyond a 95th-percentile threshold. A prediction whose score exceeds it is flagged
out of domain, with the nearest training rows' ids so a user can look at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.science.records import FieldsAsDict

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _pairwise_rms(a: FloatArray, b: FloatArray) -> FloatArray:
    """RMS per-feature distance between rows of ``a`` (M, F) and ``b`` (n, F): (M, n)."""
    sq = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * a @ b.T
    return np.asarray(np.sqrt(np.maximum(sq, 0.0) / max(a.shape[1], 1)), dtype=np.float64)


def _pairwise_tanimoto_distance(a: FloatArray, b: FloatArray) -> FloatArray:
    """1 − Tanimoto similarity between 0/1 rows of ``a`` (M, B) and ``b`` (n, B): (M, n).

    Two empty fingerprints are identical (distance 0)."""
    inter = a @ b.T
    union = a.sum(axis=1)[:, None] + b.sum(axis=1)[None, :] - inter
    sim = np.divide(inter, union, out=np.ones_like(inter), where=union > 0)
    return np.asarray(1.0 - sim, dtype=np.float64)


METRICS = ("rms", "tanimoto")


@dataclass(frozen=True)
class Neighbour(FieldsAsDict):
    """A training row near a queried formulation.

    Attributes:
        row_id: the training row's id.
        distance: RMS per-feature distance (standardised features), or the Tanimoto
            distance for a molecule model.
        group: its group (source DOI or batch), when the model recorded it.
        measured: its measured target value, when the model recorded it.
    """

    row_id: str
    distance: float
    group: str | None = None
    measured: float | None = None


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
        metric: ``"rms"`` (arcsinh-standardised features) or ``"tanimoto"`` (bits).
        columns: ``(start, stop)`` of the feature columns the metric reads (``None``: all).
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
    metric: str = "rms"
    columns: tuple[int, int] | None = None

    def _select(self, X: FloatArray) -> FloatArray:
        return X if self.columns is None else X[:, self.columns[0] : self.columns[1]]

    def _distances(self, z: FloatArray) -> FloatArray:
        if self.metric == "tanimoto":
            return _pairwise_tanimoto_distance(z, self.train)
        return _pairwise_rms(z, self.train)

    def _prepare(self, X: FloatArray) -> FloatArray:
        sel = self._select(np.asarray(X, dtype=np.float64))
        if self.metric == "tanimoto":
            return np.asarray(sel > 0, dtype=np.float64)
        return np.asarray((np.arcsinh(sel) - self.mean) / self.scale, dtype=np.float64)

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
        metric: str = "rms",
        columns: tuple[int, int] | Sequence[int] | None = None,
    ) -> ApplicabilityDomain:
        """Fit on training features ``X`` (n, F) with their row ids (and, to show them
        beside the nearest rows, their groups and measured targets); ``metric`` and
        ``columns`` as the class attributes."""
        n = X.shape[0]
        if n < 2:
            raise ValidationError("the applicability domain needs at least 2 rows", field="rows")
        if len(row_ids) != n:
            raise ValidationError("one row id per row is needed", field="row_ids")
        if metric not in METRICS:
            raise ValidationError(f"metric must be one of {', '.join(METRICS)}", field="metric")
        cols = None if columns is None else (int(columns[0]), int(columns[1]))
        k = max(1, min(int(k), n - 1))
        X = np.asarray(X, dtype=np.float64)
        selected = X if cols is None else X[:, cols[0] : cols[1]]
        if metric == "tanimoto":
            train = np.asarray(selected > 0, dtype=np.float64)
            mean = np.zeros(train.shape[1])
            scale = np.ones(train.shape[1])
            dist = _pairwise_tanimoto_distance(train, train)
        else:
            z = np.arcsinh(selected)
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
            metric,
            cols,
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
        dist = self._distances(self._prepare(X))
        nearest = np.argsort(dist, axis=1, kind="stable")[:, : self.k]
        near_dist = np.take_along_axis(dist, nearest, axis=1)
        return near_dist.mean(axis=1), nearest.astype(np.intp), near_dist
