"""Typed answers of predictions: one per query (mixture or molecule model), the predicted
properties of one library molecule, and a started training job."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from typing import Any

from cryoprotect.db.models import PredictiveModel
from cryoprotect.ml import train as ml_train
from cryoprotect.services.models.records import Baseline, ModelRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionAnswer(ml_train.Prediction):
    """A model's answer for one query row: the prediction (value and interval, or none
    with the reason; the applicability-domain check), which model version gave it, and
    the model's verdict against its baselines."""

    model_id: uuid.UUID
    model_version: int
    target: str
    not_better_than_baseline: bool | None
    baseline_statement: str

    @staticmethod
    def values_of(
        row: PredictiveModel, baseline: Baseline, p: ml_train.Prediction
    ) -> dict[str, Any]:
        """The fields of an answer of the model ``row`` with the prediction ``p``."""
        return {
            **{f.name: getattr(p, f.name) for f in fields(p)},
            "model_id": row.id,
            "model_version": row.version,
            "target": row.target,
            "group_coverage": dict(p.group_coverage) if p.group_coverage else None,
            "not_better_than_baseline": baseline.not_better_than_baseline,
            "baseline_statement": baseline.statement,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredPredictionAnswer(PredictionAnswer):
    """A mixture-model answer that was stored (in the domain, for a signed-in caller)."""

    prediction_id: uuid.UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class MoleculePredictionAnswer(PredictionAnswer):
    """A molecule-model answer: which model, and the standardised query."""

    model_name: str
    unit: str | None
    is_active: bool
    molecule_id: uuid.UUID | None
    smiles: str | None


@dataclass(frozen=True, slots=True)
class MoleculePredictionSet:
    """Predicted properties of one library molecule; ``reason`` says why there are none."""

    molecule_id: uuid.UUID
    smiles: str | None
    predictions: tuple[MoleculePredictionAnswer, ...]
    reason: str | None


@dataclass(frozen=True, slots=True)
class TrainingStarted:
    """A version registered ``queued`` and the job that trains it."""

    model: ModelRecord
    job_id: uuid.UUID
