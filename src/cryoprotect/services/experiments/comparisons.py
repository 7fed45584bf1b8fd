"""Predicted versus measured: stored predictions for an experiment's mixture against its
results, and the prediction error of each model version across experiments."""

from __future__ import annotations

import math
import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import Experiment, Prediction, PredictiveModel
from cryoprotect.services.actor import Actor
from cryoprotect.services.experiments.base import ExperimentServiceBase
from cryoprotect.services.experiments.measures import measured_values


@dataclass(frozen=True, slots=True)
class PredictionComparison:
    """One stored prediction of a measure against the experiment's measured value."""

    measure: str
    unit: str
    measured: float
    replicates: int
    predicted: float
    lower: float | None
    upper: float | None
    confidence_level: float | None
    error: float  # predicted − measured
    inside_interval: bool | None
    model_id: uuid.UUID
    model_name: str
    model_version: int
    prediction_id: uuid.UUID
    predicted_at: datetime


@dataclass(frozen=True, slots=True)
class PredictedVsMeasured:
    """Stored predictions for an experiment's mixture against what was measured."""

    experiment_id: uuid.UUID
    mixture_id: uuid.UUID | None
    mixture_version: int | None
    method: str
    comparisons: list[PredictionComparison]


@dataclass(frozen=True, slots=True)
class ModelError:
    """The prediction error of one model version on one measure across experiments."""

    model_id: uuid.UUID
    model_name: str
    model_version: int
    measure: str
    n: int
    experiments: int
    mae: float
    rmse: float
    bias: float
    coverage: float | None
    unit: str


@dataclass(frozen=True, slots=True)
class PredictionSummary:
    """Prediction error by model version across the visible (team's) experiments."""

    team_id: uuid.UUID | None
    verified_only: bool
    experiments: int
    method: str
    models: list[ModelError]


class ExperimentComparisons(ExperimentServiceBase):
    """Comparison use cases of :class:`~cryoprotect.services.experiments.ExperimentService`."""

    def _predictions(
        self, session: Session, mixture_id: uuid.UUID, version: int | None, target: str
    ) -> list[tuple[Prediction, PredictiveModel]]:
        query = (
            sa.select(Prediction, PredictiveModel)
            .join(PredictiveModel, PredictiveModel.id == Prediction.model_id)
            .where(Prediction.mixture_id == mixture_id, Prediction.target == target)
            .order_by(Prediction.created_at.desc(), Prediction.id)
        )
        if version is not None:
            query = query.where(
                sa.or_(Prediction.mixture_version.is_(None), Prediction.mixture_version == version)
            )
        latest: dict[uuid.UUID, tuple[Prediction, PredictiveModel]] = {}
        for p, m in session.execute(query).all():
            latest.setdefault(m.id, (p, m))  # newest prediction per model version
        return list(latest.values())

    def _comparisons(self, session: Session, e: Experiment) -> list[PredictionComparison]:
        if e.mixture_id is None:
            return []
        out = []
        for measure, measured in measured_values(e).items():
            for p, m in self._predictions(session, e.mixture_id, e.mixture_version, measure):
                inside = (
                    p.lower <= measured["value"] <= p.upper
                    if p.lower is not None and p.upper is not None
                    else None
                )
                out.append(
                    PredictionComparison(
                        measure=measure,
                        unit=measured["unit"],
                        measured=measured["value"],
                        replicates=measured["replicates"],
                        predicted=p.value,
                        lower=p.lower,
                        upper=p.upper,
                        confidence_level=p.confidence_level,
                        error=p.value - measured["value"],
                        inside_interval=inside,
                        model_id=m.id,
                        model_name=m.name,
                        model_version=m.version,
                        prediction_id=p.id,
                        predicted_at=p.created_at,
                    )
                )
        return out

    def predicted_vs_measured(self, actor: Actor, experiment_id: uuid.UUID) -> PredictedVsMeasured:
        """Stored predictions for the experiment's mixture against what was measured."""
        with self.db.transaction(actor.identity) as session:
            e = self._visible(session, experiment_id)
            return PredictedVsMeasured(
                experiment_id=e.id,
                mixture_id=e.mixture_id,
                mixture_version=e.mixture_version,
                method=(
                    "measured = replicate-weighted mean of the experiment's results per measure; "
                    "predicted = the newest stored prediction of each model version for this "
                    "mixture (same version, or unversioned); error = predicted − measured"
                ),
                comparisons=self._comparisons(session, e),
            )

    def summary(
        self,
        actor: Actor,
        *,
        team_id: uuid.UUID | None = None,
        verified_only: bool = False,
    ) -> PredictionSummary:
        """Prediction error by model version across the visible (team's) experiments."""
        query = sa.select(Experiment).where(Experiment.mixture_id.is_not(None))
        if team_id:
            query = query.where(Experiment.team_id == team_id)
        if verified_only:
            query = query.where(Experiment.verification_status == "verified")
        groups: dict[tuple[Any, ...], list[tuple[uuid.UUID, PredictionComparison]]] = {}
        with self.db.transaction(actor.identity) as session:
            experiments = session.scalars(query.limit(5000)).all()
            for e in experiments:
                for c in self._comparisons(session, e):
                    key = (c.model_id, c.model_name, c.model_version, c.measure)
                    groups.setdefault(key, []).append((e.id, c))
        models = []
        for (model_id, name, version, measure), items in groups.items():
            errors = [float(c.error) for _, c in items]
            inside = [c.inside_interval for _, c in items if c.inside_interval is not None]
            models.append(
                ModelError(
                    model_id=model_id,
                    model_name=name,
                    model_version=version,
                    measure=measure,
                    n=len(items),
                    experiments=len({experiment_id for experiment_id, _ in items}),
                    mae=statistics.fmean([abs(x) for x in errors]),
                    rmse=math.sqrt(statistics.fmean([x * x for x in errors])),
                    bias=statistics.fmean(errors),
                    coverage=(sum(inside) / len(inside)) if inside else None,
                    unit=items[0][1].unit,
                )
            )
        models.sort(key=lambda m: (m.measure, m.model_name, m.model_version))
        return PredictionSummary(
            team_id=team_id,
            verified_only=verified_only,
            experiments=len(experiments),
            method="MAE, RMSE and bias of predicted − measured; coverage = share of "
            "measurements inside the prediction interval",
            models=models,
        )
