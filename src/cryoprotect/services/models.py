"""Predictive models: datasets, training (synchronous or as a job), registry, predictions.

The science lives in :mod:`cryoprotect.ml`; this module stores and loads. A trained model
is an immutable version row in ``predictive_models`` — manifest (algorithm,
hyperparameters, feature names, dataset hash, metrics, library versions) plus a skops
artefact whose checksum is verified on every load. Visibility and permissions are the
database's, as for every owned table.

Training cost is bounded: each algorithm accepts at most its ``max_rows`` rows (checked
when the version is registered, 400), and a run happens in a separate worker process
(:mod:`cryoprotect.services.worker_process`) that is terminated at the wall-clock limit
(``CRYOPROTECT_TRAINING_TIMEOUT_S``) or when its job is cancelled; the version is then
marked failed with the reason. The database is written only from this process.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import Dataset, Mixture, Prediction, PredictiveModel
from cryoprotect.errors import Conflict, CryoprotectError, NotFound, ValidationError
from cryoprotect.ml import artifacts, cryomn_v2
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import targets as ml_targets
from cryoprotect.ml import train as ml_train
from cryoprotect.ml.training_run import train_to_artifact
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, change_visible, get_visible, paginate
from cryoprotect.services.worker_process import CancelSignal, run_in_worker_process

CRYOMN_DIR = Path(__file__).resolve().parent.parent / "db" / "reference" / "cryomn"
CRYOMN_SOURCE = (
    "CryoMN (DoggoneBastard/ML-for-CryoMN, MIT licence, (c) 2026 Hao Li), commit "
    "c7583b423970f57f891772a0e086e8938daecac7; literature rows cite their DOIs"
)
Progress = Callable[[str, float], None]


def dataset_dict(d: Dataset, *, with_rows: bool = False) -> dict[str, Any]:
    out = {
        "id": d.id,
        "name": d.name,
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


def load_reference_datasets(db: Database) -> int:
    """Store the CryoMN (v1 and v2) literature and wet-lab data as public reference datasets."""
    loaded = [
        (
            "cryomn-literature",
            "Cryopreservation formulations from the literature with post-thaw viability "
            "(mostly mesenchymal stromal cells, slow freezing); grouped by source DOI.",
            ml_datasets.load_cryomn_literature(CRYOMN_DIR / "literature_formulations.csv"),
        ),
        (
            "cryomn-wetlab",
            "Wet-lab measurements of model-proposed formulations (prospective validation set).",
            ml_datasets.load_cryomn_wetlab(CRYOMN_DIR / "wetlab_validation.csv"),
        ),
        # CryoMN v2 (issue 14, item 2): conditions parsed from the raw records, per-source
        # noise, literature + wet-lab + feedback rows (ml/cryomn_v2.py documents the parse).
        (
            "cryomn-v2-literature",
            "CryoMN v2 literature formulations with post-thaw viability and conditions parsed "
            "from the raw records (cell type, cooling protocol and rate, basal medium, assay; "
            "'unknown' where the text says nothing); grouped by source DOI.",
            cryomn_v2.load_v2_literature(),
        ),
        (
            "cryomn-v2-wetlab",
            "CryoMN v2 wet-lab measurements of model-proposed formulations (106 rows); "
            "grouped by experiment date.",
            cryomn_v2.load_v2_wetlab(),
        ),
        (
            "cryomn-v2-all",
            "Every CryoMN v2 viability observation: literature (DOI groups), wet-lab (date "
            "groups) and the first feedback round, with the curators' per-source noise "
            "(condition observation_noise_sd).",
            cryomn_v2.load_v2_all(),
        ),
    ]
    with db.transaction(Identity.service()) as session:
        for name, description, ds in loaded:
            values = {
                "name": name,
                "description": description,
                "content_hash": ds.content_hash,
                "row_count": len(ds),
                "rows": ds.to_records(),
                "target_names": list(ds.target_names()),
                "sources": [
                    {
                        "citation": cryomn_v2.SOURCE
                        if name.startswith("cryomn-v2")
                        else CRYOMN_SOURCE
                    }
                ],
                "visibility": "public",
                "created_by": SYSTEM_USER_ID,
            }
            existing = session.scalar(
                sa.select(Dataset).where(Dataset.name == name, Dataset.visibility == "public")
            )
            if existing is None:
                session.add(Dataset(**values))
            elif existing.content_hash != values["content_hash"]:
                for key, value in values.items():
                    setattr(existing, key, value)
    return len(loaded)


class ModelService:
    """Datasets, training, the model registry and predictions.

    Args:
        db: the database.
        training_timeout_s: wall-clock limit of one training run; default
            ``db.settings.training_timeout_s``.
    """

    def __init__(self, db: Database, *, training_timeout_s: float | None = None) -> None:
        self.db = db
        self.training_timeout_s = (
            db.settings.training_timeout_s if training_timeout_s is None else training_timeout_s
        )

    # ------------------------------------------------------------ datasets
    def list_datasets(self, actor: Actor) -> list[dict[str, Any]]:
        with self.db.transaction(actor.identity) as session:
            return [
                dataset_dict(d) for d in session.scalars(sa.select(Dataset).order_by(Dataset.name))
            ]

    def create_dataset(
        self,
        actor: Actor,
        *,
        name: str,
        records: list[dict[str, Any]],
        description: str | None = None,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """Store user-supplied rows (components + targets + group) as a dataset, validated first."""
        from cryoprotect.services.molecules import check_scope

        user_id = actor.require_user()
        check_scope(visibility, team_id)
        ds = ml_datasets.dataset_from_records(records, name=name, description=description or "")
        if not ds.target_names():
            raise ValidationError("No row has a numeric target.", field="records")
        with self.db.transaction(actor.identity) as session:
            row = Dataset(
                name=name,
                description=description,
                content_hash=ds.content_hash,
                row_count=len(ds),
                rows=ds.to_records(),
                target_names=list(ds.target_names()),
                sources=[],
                visibility=visibility,
                team_id=team_id,
                created_by=user_id,
            )
            session.add(row)
            session.flush()
            session.refresh(row)
            return dataset_dict(row)

    def _dataset(self, session: Session, ref: str | uuid.UUID) -> Dataset:
        try:
            key = uuid.UUID(str(ref))
        except ValueError:
            found = session.scalars(
                sa.select(Dataset)
                .where(Dataset.name == str(ref))
                .order_by((Dataset.visibility == "public").desc(), Dataset.created_at)
            ).first()
        else:
            found = session.get(Dataset, key)
        if found is None:
            raise NotFound(f"No dataset {ref!s} visible to you.", details={"field": "dataset"})
        return found

    # ------------------------------------------------------------ training
    def _new_version(self, session: Session, owner: uuid.UUID, name: str) -> int:
        current = session.scalar(
            sa.select(sa.func.max(PredictiveModel.version)).where(
                PredictiveModel.created_by == owner, PredictiveModel.name == name
            )
        )
        return int(current or 0) + 1

    def create_pending(
        self,
        actor: Actor,
        *,
        dataset: str,
        target: str,
        algorithm: str,
        level: float = 0.9,
        name: str | None = None,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """Register a version in status ``queued`` (training happens in :meth:`run_training`)."""
        user_id = actor.require_user()
        if algorithm not in ml_train.ALGORITHMS:
            raise ValidationError(
                f"algorithm must be one of {', '.join(sorted(ml_train.ALGORITHMS))}.",
                field="algorithm",
            )
        if not 0.5 <= level < 1:
            raise ValidationError("level must be in [0.5, 1).", field="level")
        with self.db.transaction(actor.identity) as session:
            ds = self._dataset(session, dataset)
            if target not in (ds.target_names or []):
                raise ValidationError(
                    f"Dataset {ds.name} has no target {target!r}; it has {', '.join(ds.target_names or [])}.",
                    field="target",
                )
            rows_with_target = session.scalar(
                sa.text(
                    "SELECT count(*) FROM public.datasets d, jsonb_array_elements(d.rows) r "
                    "WHERE d.id = :dataset AND (r -> 'targets') ? :target"
                ),
                {"dataset": ds.id, "target": target},
            )
            ml_train.check_row_limit(algorithm, int(rows_with_target or 0))
            label = name or f"{target}-{algorithm}"
            row = PredictiveModel(
                name=label,
                version=self._new_version(session, user_id, label),
                algorithm=algorithm,
                target=target,
                dataset_id=ds.id,
                status="queued",
                level=level,
                progress=0.0,
                visibility=visibility,
                team_id=team_id,
                created_by=user_id,
            )
            session.add(row)
            session.flush()
            session.refresh(row)
            return model_dict(row)

    def run_training(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        *,
        seed: int = 0,
        progress: Progress | None = None,
        cancel: CancelSignal | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Train a queued version; its row records progress, then the artefact or the error.

        The run happens in a worker process, stopped when ``cancel`` is set or at
        :attr:`training_timeout_s`; the version is then marked failed with the reason.

        Raises:
            Cancelled: ``cancel`` was set.
            TimeLimitExceeded: the run passed the time limit.
            Conflict: the version is not queued (already trained, failed or cancelled).
            ValidationError, LimitExceeded: as :func:`cryoprotect.ml.train.train`.
        """
        with self.db.transaction(actor.identity) as session:
            row = get_visible(session, PredictiveModel, model_id, "model")
            if row.status != "queued":
                raise Conflict(f"The model is {row.status}; only a queued version is trained.")
            ds_row = self._dataset(session, row.dataset_id)
            records, ds_name, target, algorithm, level = (
                ds_row.rows,
                ds_row.name,
                row.target,
                row.algorithm,
                row.level or 0.9,
            )
            row.status = "training"
        last = [0.0]

        def report(message: str, fraction: float) -> None:
            if progress is not None:
                progress(message, fraction)
            if fraction - last[0] >= 0.05:
                last[0] = fraction
                with self.db.transaction(actor.identity) as s:
                    s.execute(
                        sa.update(PredictiveModel)
                        .where(PredictiveModel.id == model_id)
                        .values(progress=min(fraction, 1.0))
                    )

        started = time.perf_counter()
        try:
            out = run_in_worker_process(
                train_to_artifact,
                {
                    "records": records,
                    "dataset_name": ds_name,
                    "target": target,
                    "algorithm": algorithm,
                    "level": level,
                    "seed": seed,
                    "options": options,
                },
                timeout_s=self.training_timeout_s,
                cancel=cancel,
                on_progress=report,
                what="training",
            )
        except BaseException as exc:  # also Ctrl+C of `models train`: never left 'training'
            reason = exc.message if isinstance(exc, CryoprotectError) else str(exc)
            reason = reason or type(exc).__name__
            with self.db.transaction(actor.identity) as session:
                session.execute(
                    sa.update(PredictiveModel)
                    .where(PredictiveModel.id == model_id)
                    .values(status="failed", error=reason[:2000])
                )
            raise
        blob = out["blob"]
        with self.db.transaction(actor.identity) as session:
            row = get_visible(session, PredictiveModel, model_id, "model")
            row.manifest = out["manifest"]
            row.artifact = blob
            row.artifact_sha256 = hashlib.sha256(blob).hexdigest()
            row.metrics = out["metrics"]
            row.training_seconds = round(time.perf_counter() - started, 3)
            row.progress = 1.0
            row.status = "ready"
            session.flush()
            return model_dict(row)

    def train(self, actor: Actor, **kwargs: Any) -> dict[str, Any]:
        """Register and train synchronously (CLI)."""
        progress = kwargs.pop("progress", None)
        seed = kwargs.pop("seed", 0)
        options = kwargs.pop("options", {})
        pending = self.create_pending(actor, **kwargs)
        return self.run_training(actor, pending["id"], seed=seed, progress=progress, **options)

    # ------------------------------------------------------------ registry
    def list(
        self, actor: Actor, *, page: int = 1, per_page: int = 25, target: str | None = None
    ) -> Page[dict[str, Any]]:
        query = sa.select(PredictiveModel).order_by(
            PredictiveModel.name, PredictiveModel.version.desc()
        )
        if target:
            query = query.where(PredictiveModel.target == target)
        with self.db.transaction(actor.identity) as session:
            result = paginate(session, query, page, per_page)
            return Page(
                [model_dict(m) for m in result.items], result.total, result.page, result.per_page
            )

    def get(self, actor: Actor, model_id: uuid.UUID) -> dict[str, Any]:
        with self.db.transaction(actor.identity) as session:
            return model_dict(get_visible(session, PredictiveModel, model_id, "model"))

    def compare(self, actor: Actor, model_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        """Versions side by side: pooled CV metrics of each model and its baselines, coverage."""
        if not 2 <= len(model_ids) <= 10:
            raise ValidationError("Compare between 2 and 10 model versions.", field="ids")
        out = []
        for model_id in model_ids:
            m = self.get(actor, model_id)
            metrics = m["metrics"]
            out.append(
                {
                    "id": m["id"],
                    "name": m["name"],
                    "version": m["version"],
                    "algorithm": m["algorithm"],
                    "target": m["target"],
                    "status": m["status"],
                    "is_active": m["is_active"],
                    "not_better_than_baseline": m["not_better_than_baseline"],
                    "baseline_statement": m["baseline_statement"],
                    "dataset_hash": m["dataset_hash"],
                    "training_seconds": m["training_seconds"],
                    "pooled": metrics.get("pooled", {}),
                    "interval": {
                        k: v
                        for k, v in (metrics.get("interval") or {}).items()
                        if k in ("method", "coverage", "mean_width")
                    },
                }
            )
        return out

    def delete(self, actor: Actor, model_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            change_visible(session, PredictiveModel, model_id, "model")

    def promote(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        *,
        force: bool = False,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Make this version the active one for its target (the previous one is demoted).

        A version that is not better than its baselines (or has no cross-validated
        comparison with them) is made active only with ``force`` and a ``reason``; the
        override is recorded on the row (``promotion_override``) and in the audit log.

        Raises:
            Conflict: the version is not better than its baselines and ``force`` is not set.
            ValidationError: not ready; or ``force`` without a reason.
        """
        user_id = actor.require_user()
        note = (reason or "").strip()
        if force and not note:
            raise ValidationError(
                "Say why this model should be active although it does not beat its baselines.",
                field="reason",
            )
        with self.db.transaction(actor.identity) as session:
            row = get_visible(session, PredictiveModel, model_id, "model")
            if row.status != "ready":
                raise ValidationError("Only a ready model can be made active.", field="status")
            status = baseline_status(row.metrics)
            not_better = status["not_better_than_baseline"] is not False
            if not_better and not force:
                raise Conflict(
                    f"{status['statement']} It is not made active without an explicit "
                    "override (force: true with a reason).",
                    details={
                        "not_better_than_baseline": status["not_better_than_baseline"],
                        "statement": status["statement"],
                        "override": {"force": True, "reason": "why it should be active anyway"},
                    },
                )
            override = (
                {
                    "forced": True,
                    "reason": note[:2000],
                    "by": str(user_id),
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "not_better_than_baseline": status["not_better_than_baseline"],
                    "statement": status["statement"],
                }
                if not_better
                else None
            )
            session.execute(
                sa.update(PredictiveModel)
                .where(
                    PredictiveModel.created_by == user_id,
                    PredictiveModel.target == row.target,
                    PredictiveModel.is_active.is_(True),
                    PredictiveModel.id != model_id,
                )
                .values(is_active=False)
            )
            change_visible(
                session,
                PredictiveModel,
                model_id,
                "model",
                {"is_active": True, "promotion_override": override},
            )
            session.refresh(row)
            return model_dict(row)

    # ---------------------------------------------------------- prediction
    def load(
        self, actor: Actor, model_id: uuid.UUID
    ) -> tuple[PredictiveModel, ml_train.TrainedModel]:
        """The stored version and its model, checksum verified (tampering raises)."""
        with self.db.transaction(actor.identity) as session:
            row = get_visible(session, PredictiveModel, model_id, "model")
            if row.status != "ready" or row.artifact is None:
                raise ValidationError(f"The model is {row.status}, not ready.", field="model_id")
            blob = bytes(row.artifact)
            if hashlib.sha256(blob).hexdigest() != row.artifact_sha256:
                raise artifacts.ArtifactIntegrityError(
                    "artefact checksum mismatch: tampered or corrupted (stored blob)"
                )
        return row, artifacts.from_bytes(blob)

    def predict(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        compositions: list[list[dict[str, Any]]],
        *,
        mixture_ids: list[uuid.UUID | None] | None = None,
        store: bool = True,
        extrapolate: bool = False,
    ) -> list[dict[str, Any]]:
        """Predict for each composition (components by library name), storing predictions.

        Outside the applicability domain there is no value (``value: null`` with
        ``reason``, the nearest training rows and the distance against the threshold)
        unless ``extrapolate`` is set; such answers are not stored. Every answer says
        whether the model beats its baselines (``not_better_than_baseline``).
        """
        row, model = self.load(actor, model_id)
        status = baseline_status(row.metrics)
        records = [
            {"id": f"query-{i}", "components": comps, "targets": {}}
            for i, comps in enumerate(compositions)
        ]
        rows = ml_datasets.dataset_from_records(records, name="query").rows
        predictions = [p.as_dict() for p in ml_train.predict(model, rows, extrapolate=extrapolate)]
        out = []
        with self.db.transaction(actor.identity) as session:
            ids = {m for m in mixture_ids or [] if m}
            versions = dict(
                session.execute(
                    sa.select(Mixture.id, Mixture.version).where(Mixture.id.in_(ids))
                ).all()
                if ids
                else []
            )
            for i, p in enumerate(predictions):
                result = {
                    "model_id": row.id,
                    "model_version": row.version,
                    "target": row.target,
                    **p,
                    "not_better_than_baseline": status["not_better_than_baseline"],
                    "baseline_statement": status["statement"],
                }
                if store and actor.authenticated and p["value"] is not None:
                    mixture_id = (mixture_ids or [None] * len(predictions))[i]
                    stored = Prediction(
                        model_id=row.id,
                        mixture_id=mixture_id,
                        mixture_version=versions.get(mixture_id),
                        target=row.target,
                        value=p["value"],
                        lower=p["lower"],
                        upper=p["upper"],
                        confidence_level=p["level"],
                        details={
                            k: p[k]
                            for k in (
                                "in_domain",
                                "domain_score",
                                "domain_threshold",
                                "nearest",
                                "warnings",
                                "extrapolated",
                                "clipped",
                                "clip_reason",
                                "target_transform",
                            )
                        },
                        created_by=actor.user_id,
                        visibility="private",
                    )
                    session.add(stored)
                    session.flush()
                    result["prediction_id"] = stored.id
                out.append(result)
        return out

    def list_predictions(
        self, actor: Actor, *, page: int = 1, per_page: int = 25
    ) -> list[dict[str, Any]]:
        query = sa.select(Prediction).order_by(Prediction.created_at.desc(), Prediction.id)
        with self.db.transaction(actor.identity) as session:
            rows = paginate(session, query, page, per_page).items
            return [
                {
                    "id": p.id,
                    "model_id": p.model_id,
                    "mixture_id": p.mixture_id,
                    "target": p.target,
                    "value": p.value,
                    "lower": p.lower,
                    "upper": p.upper,
                    "confidence_level": p.confidence_level,
                    "details": p.details,
                    "created_at": p.created_at,
                }
                for p in rows
            ]
