"""Prediction with CV+ intervals, the applicability-domain check and target bounds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.ml import group_conformal
from cryoprotect.ml.conformal import cv_plus_bounds
from cryoprotect.ml.datasets import Dataset, DatasetRow
from cryoprotect.ml.domain import Neighbour
from cryoprotect.ml.targets import Identity
from cryoprotect.ml.train.model import TrainedModel
from cryoprotect.ml.train.target_scale import domain_bounds, to_target_scale
from cryoprotect.science.records import field_keys, keys_dict

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
        """JSON-ready dictionary: the fields, ``domain_threshold`` after ``domain_score``."""
        names = field_keys(self, omit={"domain_threshold"})
        names.insert(names.index("domain_score") + 1, "domain_threshold")
        return keys_dict(
            self,
            names,
            nearest=[n.as_dict() for n in self.nearest],
            warnings=list(self.warnings),
            target_domain=dict(self.target_domain),
            group_coverage=dict(self.group_coverage) if self.group_coverage else None,
        )


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
    bounds = model.bounds if model.bounds is not None else domain_bounds(domain_decl)
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
    unclipped = to_target_scale(link, point_z, raw_lower, raw_upper, None)
    point, lower, upper = to_target_scale(link, point_z, raw_lower, raw_upper, bounds)
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
