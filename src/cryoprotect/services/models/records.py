"""Shapes of datasets and model versions: their kind (molecules or mixtures), whether a
version beats its baselines, its target transform, and the API dicts."""

from __future__ import annotations

from typing import Any

from cryoprotect.db.models import Dataset, PredictiveModel
from cryoprotect.ml import molecule_features as ml_molecules
from cryoprotect.ml import targets as ml_targets

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


def dataset_dict(d: Dataset, *, with_rows: bool = False) -> dict[str, Any]:
    out = {
        "id": d.id,
        "name": d.name,
        "kind": records_kind(d.rows),
        "description": d.description,
        "content_hash": d.content_hash,
        "row_count": d.row_count,
        "target_names": list(d.target_names or []),
        "sources": list(d.sources or []),
        "visibility": d.visibility,
        "created_by": d.created_by,
        "created_at": d.created_at,
    }
    if with_rows:
        out["rows"] = d.rows
    return out


NO_COMPARISON = (
    "This model has no cross-validated comparison with its baselines (trained without "
    "nested cross-validation, or before the comparison was recorded), so it is not shown "
    "to predict better than the mean of the training data."
)


def baseline_status(metrics: dict[str, Any] | None) -> dict[str, Any]:
    """Whether a stored model beats its baselines, from its metrics.

    Returns:
        ``{"not_better_than_baseline": bool | None, "statement": str,
        "comparison": dict | None}`` — ``None`` when the model was not cross-validated
        (or was trained before the verdict was recorded): not shown to be better.
    """
    verdict = (metrics or {}).get("baseline_verdict")
    if not isinstance(verdict, dict) or "not_better_than_baseline" not in verdict:
        return {"not_better_than_baseline": None, "statement": NO_COMPARISON, "comparison": None}
    return {
        "not_better_than_baseline": bool(verdict["not_better_than_baseline"]),
        "statement": str(verdict.get("statement", "")),
        "comparison": verdict.get("comparison"),
    }


def target_transform_of(manifest: dict[str, Any], target: str | None) -> dict[str, Any]:
    """The transform a stored model was fitted on and its target's declared domain."""
    state = manifest.get("target_transform")
    domain = ml_targets.target_domain(target or "").as_dict()
    if isinstance(state, dict):
        return {"target_transform": state.get("description"), "target_domain": domain}
    if manifest:
        return {
            "target_transform": "none (model stored before target transforms; values clipped "
            "to the domain)",
            "target_domain": domain,
        }
    return {"target_transform": None, "target_domain": domain}


def model_dict(m: PredictiveModel) -> dict[str, Any]:
    manifest = dict(m.manifest or {})
    status = baseline_status(m.metrics)
    return {
        "id": m.id,
        "name": m.name,
        "version": m.version,
        "algorithm": m.algorithm,
        "target": m.target,
        "kind": model_kind(manifest),
        "dataset_id": m.dataset_id,
        "status": m.status,
        "is_active": m.is_active,
        "level": m.level,
        "progress": m.progress,
        "error": m.error,
        "training_seconds": m.training_seconds,
        "metrics": dict(m.metrics or {}),
        "feature_names": manifest.get("feature_names", []),
        "hyperparameters": manifest.get("hyperparameters", {}),
        "dataset_hash": (manifest.get("dataset") or {}).get("hash"),
        "library_versions": manifest.get("library_versions", {}),
        "artifact_sha256": m.artifact_sha256,
        "not_better_than_baseline": status["not_better_than_baseline"],
        "baseline_statement": status["statement"],
        "promotion_override": m.promotion_override,
        **target_transform_of(manifest, m.target),
        "visibility": m.visibility,
        "team_id": m.team_id,
        "created_by": m.created_by,
        "created_at": m.created_at,
    }
