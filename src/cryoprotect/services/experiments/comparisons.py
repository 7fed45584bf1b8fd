"""Predicted versus measured: stored predictions for an experiment's mixture against its
results, and the prediction error of each model version across experiments."""

from __future__ import annotations

import math
import statistics
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import Experiment, Prediction, PredictiveModel
from cryoprotect.services.actor import Actor
from cryoprotect.services.experiments.base import ExperimentServiceBase
from cryoprotect.services.experiments.measures import measured_values


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

    def _comparisons(self, session: Session, e: Experiment) -> list[dict[str, Any]]:
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
                    {
                        "measure": measure,
                        "unit": measured["unit"],
                        "measured": measured["value"],
                        "replicates": measured["replicates"],
                        "predicted": p.value,
                        "lower": p.lower,
                        "upper": p.upper,
                        "confidence_level": p.confidence_level,
                        "error": p.value - measured["value"],
                        "inside_interval": inside,
                        "model_id": m.id,
                        "model_name": m.name,
                        "model_version": m.version,
                        "prediction_id": p.id,
                        "predicted_at": p.created_at,
                    }
                )
        return out

    def predicted_vs_measured(self, actor: Actor, experiment_id: uuid.UUID) -> dict[str, Any]:
        """Stored predictions for the experiment's mixture against what was measured."""
        with self.db.transaction(actor.identity) as session:
            e = self._visible(session, experiment_id)
            return {
                "experiment_id": e.id,
                "mixture_id": e.mixture_id,
                "mixture_version": e.mixture_version,
                "method": (
                    "measured = replicate-weighted mean of the experiment's results per measure; "
                    "predicted = the newest stored prediction of each model version for this "
                    "mixture (same version, or unversioned); error = predicted − measured"
                ),
                "comparisons": self._comparisons(session, e),
            }

    def summary(
        self,
        actor: Actor,
        *,
        team_id: uuid.UUID | None = None,
        verified_only: bool = False,
    ) -> dict[str, Any]:
        """Prediction error by model version across the visible (team's) experiments."""
        query = sa.select(Experiment).where(Experiment.mixture_id.is_not(None))
        if team_id:
            query = query.where(Experiment.team_id == team_id)
        if verified_only:
            query = query.where(Experiment.verification_status == "verified")
        with self.db.transaction(actor.identity) as session:
            rows: list[dict[str, Any]] = []
            experiments = session.scalars(query.limit(5000)).all()
            for e in experiments:
                rows.extend({**c, "experiment_id": e.id} for c in self._comparisons(session, e))
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(
                (r["model_id"], r["model_name"], r["model_version"], r["measure"]), []
            ).append(r)
        models = []
        for (model_id, name, version, measure), items in groups.items():
            errors = [float(i["error"]) for i in items]
            inside = [i["inside_interval"] for i in items if i["inside_interval"] is not None]
            models.append(
                {
                    "model_id": model_id,
                    "model_name": name,
                    "model_version": version,
                    "measure": measure,
                    "n": len(items),
                    "experiments": len({i["experiment_id"] for i in items}),
                    "mae": statistics.fmean([abs(x) for x in errors]),
                    "rmse": math.sqrt(statistics.fmean([x * x for x in errors])),
                    "bias": statistics.fmean(errors),
                    "coverage": (sum(inside) / len(inside)) if inside else None,
                    "unit": items[0]["unit"],
                }
            )
        models.sort(key=lambda m: (m["measure"], m["model_name"], m["model_version"]))
        return {
            "team_id": team_id,
            "verified_only": verified_only,
            "experiments": len(experiments),
            "method": "MAE, RMSE and bias of predicted − measured; coverage = share of "
            "measurements inside the prediction interval",
            "models": models,
        }
