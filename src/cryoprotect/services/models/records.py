"""Shapes of datasets and model versions: their kind (molecules or mixtures), whether a
version beats its baselines, its target transform, and the typed records callers see
(:class:`DatasetRecord`, :class:`ModelRecord`, :class:`ComparedModel`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryoprotect.db.models import Dataset, PredictiveModel
from cryoprotect.ml import molecule_features as ml_molecules
from cryoprotect.ml import targets as ml_targets
from cryoprotect.services.common import record_from

MOLECULES = "molecules"
MIXTURES = "mixtures"


def records_kind(records: Any) -> str:
    """``"molecules"`` when the stored records carry SMILES, else ``"mixtures"``."""
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return MOLECULES if records[0].get("smiles") else MIXTURES
    return MIXTURES


def model_kind(manifest: dict[str, Any] | None) -> str:
    """``"molecules"`` for a structure–property model, else ``"mixtures"``."""
    featurizer = (manifest or {}).get("featurizer")
    return MOLECULES if ml_molecules.is_molecule_featurizer(featurizer) else MIXTURES


NO_COMPARISON = (
    "This model has no cross-validated comparison with its baselines (trained without "
    "nested cross-validation, or before the comparison was recorded), so it is not shown "
    "to predict better than the mean of the training data."
)


@dataclass(frozen=True, slots=True)
class Baseline:
    """Whether a stored model beats its baselines, from its metrics.

    ``not_better_than_baseline`` is ``None`` when the model was not cross-validated (or was
    trained before the verdict was recorded): not shown to be better.
    """

    not_better_than_baseline: bool | None
    statement: str
    comparison: dict[str, Any] | None


def baseline_status(metrics: dict[str, Any] | None) -> Baseline:
    """The baseline verdict stored in a model's metrics (:class:`Baseline`)."""
    verdict = (metrics or {}).get("baseline_verdict")
    if not isinstance(verdict, dict) or "not_better_than_baseline" not in verdict:
        return Baseline(None, NO_COMPARISON, None)
    return Baseline(
        bool(verdict["not_better_than_baseline"]),
        str(verdict.get("statement", "")),
        verdict.get("comparison"),
    )


def target_transform_of(manifest: dict[str, Any]) -> str | None:
    """The transform a stored model was fitted on, in plain words (``None`` untrained)."""
    state = manifest.get("target_transform")
    if isinstance(state, dict):
        return state.get("description")
    if manifest:
        return "none (model stored before target transforms; values clipped to the domain)"
    return None


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A dataset as callers see it (without its rows), built inside the transaction."""

    id: uuid.UUID
    name: str
    kind: str
    description: str | None
    content_hash: str | None
    row_count: int
    target_names: tuple[str, ...]
    sources: tuple[dict[str, Any], ...]
    visibility: str
    created_by: uuid.UUID
    created_at: datetime

    @classmethod
    def of(cls, row: Dataset) -> DatasetRecord:
        return record_from(
            cls,
            row,
            kind=records_kind(row.rows),
            target_names=tuple(row.target_names or ()),
            sources=tuple(row.sources or ()),
        )


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A model version as callers see it: the row, its manifest unpacked and its verdict
    against the baselines (built inside the transaction)."""

    id: uuid.UUID
    name: str
    version: int
    algorithm: str
    target: str
    kind: str
    dataset_id: uuid.UUID | None
    status: str
    is_active: bool
    level: float | None
    progress: float | None
    error: str | None
    training_seconds: float | None
    metrics: dict[str, Any]
    feature_names: list[str]
    hyperparameters: dict[str, Any]
    dataset_hash: str | None
    library_versions: dict[str, Any]
    artifact_sha256: str | None
    not_better_than_baseline: bool | None
    baseline_statement: str
    promotion_override: dict[str, Any] | None
    target_transform: str | None
    target_domain: dict[str, Any]
    visibility: str
    team_id: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime

    @property
    def group_coverage(self) -> Any:
        """Measured interval coverage per group (``None`` before it was measured)."""
        return self.metrics.get("group_coverage")

    @classmethod
    def of(cls, row: PredictiveModel) -> ModelRecord:
        manifest = dict(row.manifest or {})
        baseline = baseline_status(row.metrics)
        return record_from(
            cls,
            row,
            kind=model_kind(manifest),
            metrics=dict(row.metrics or {}),
            feature_names=manifest.get("feature_names", []),
            hyperparameters=manifest.get("hyperparameters", {}),
            dataset_hash=(manifest.get("dataset") or {}).get("hash"),
            library_versions=manifest.get("library_versions", {}),
            not_better_than_baseline=baseline.not_better_than_baseline,
            baseline_statement=baseline.statement,
            target_transform=target_transform_of(manifest),
            target_domain=ml_targets.target_domain(row.target or "").as_dict(),
        )


@dataclass(frozen=True, slots=True)
class ComparedModel:
    """One version in a side-by-side comparison: pooled CV metrics of the model and its
    baselines, and the coverage of its intervals."""

    id: uuid.UUID
    name: str
    version: int
    algorithm: str
    target: str
    status: str
    is_active: bool
    not_better_than_baseline: bool | None
    baseline_statement: str
    dataset_hash: str | None
    training_seconds: float | None
    pooled: dict[str, Any]
    interval: dict[str, Any]

    @classmethod
    def of(cls, model: ModelRecord) -> ComparedModel:
        metrics = model.metrics
        return record_from(
            cls,
            model,
            pooled=metrics.get("pooled", {}),
            interval={
                k: v
                for k, v in (metrics.get("interval") or {}).items()
                if k in ("method", "coverage", "mean_width")
            },
        )
