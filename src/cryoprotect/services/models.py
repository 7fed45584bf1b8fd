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
from cryoprotect.db.models import Dataset, Mixture, Molecule, Prediction, PredictiveModel
from cryoprotect.errors import (
    Conflict,
    CryoprotectError,
    InvalidStructureError,
    NotFound,
    ValidationError,
)
from cryoprotect.ml import artifacts, cryomn_v2
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import molecule_features as ml_molecules
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
MOLECULES = "molecules"
MIXTURES = "mixtures"
#: Molecule models asked for one molecule's predicted properties (most recent first).
MAX_MOLECULE_MODELS = 10
_LOADED: dict[tuple[uuid.UUID, str], ml_train.TrainedModel] = {}
"""Loaded molecule models by (id, artefact checksum); the blob's checksum is verified on
every load, so a changed artefact is a different key."""
_LOADED_MAX = 8


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
        # Molecules (issue 14, item 5): a structure-property reference set.
        (
            "freesolv",
            "FreeSolv: experimental hydration free energies (kcal/mol, 298 K) of 642 neutral "
            "molecules (Mobley & Guthrie 2014); a molecule dataset grouped by Bemis-Murcko "
            "scaffold, shipped to test and demonstrate structure-property models.",
            ml_molecules.load_freesolv(),
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
                        else ml_molecules.FREESOLV_SOURCE
                        if name == "freesolv"
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
        kind: str | None = None,
    ) -> dict[str, Any]:
        """Store user-supplied rows as a dataset, validated first.

        Two kinds: ``mixtures`` (components + targets + group) and ``molecules`` (one SMILES
        per row + targets; standardised, grouped by Bemis–Murcko scaffold unless a group is
        given; every invalid SMILES is reported at once). ``kind`` defaults to
        ``molecules`` when the first record has a ``smiles`` key.

        Raises:
            ValidationError: a malformed record (its path in ``field``); invalid SMILES
                (``details.rows``: index, id, smiles, reason); no numeric target.
        """
        from cryoprotect.services.molecules import check_scope

        user_id = actor.require_user()
        check_scope(visibility, team_id)
        kind = kind or (MOLECULES if ml_molecules.is_molecule_records(records) else MIXTURES)
        if kind == MOLECULES:
            ds = ml_molecules.molecule_dataset(records, name=name, description=description or "")
        elif kind == MIXTURES:
            if any(isinstance(r, dict) and r.get("smiles") for r in records):
                raise ValidationError(
                    "A mixtures dataset has components, not smiles (use kind: molecules).",
                    field="kind",
                )
            ds = ml_datasets.dataset_from_records(records, name=name, description=description or "")
        else:
            raise ValidationError("kind must be molecules or mixtures.", field="kind")
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
        groups: list[dict[str, str] | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Predict for each composition (components by library name), storing predictions.

        Outside the applicability domain there is no value (``value: null`` with
        ``reason``, the nearest training rows and the distance against the threshold)
        unless ``extrapolate`` is set; such answers are not stored. Every answer says
        whether the model beats its baselines (``not_better_than_baseline``).

        ``groups`` (one per composition, e.g. ``{"source_type": "wetlab"}``) become the
        query rows' conditions and choose the interval: the group's own (Mondrian) CV+
        interval where the model's measured per-group coverage says the pooled one misses
        the target for it (``interval_method`` says which; :func:`ml_train.predict`).
        """
        row, model = self.load(actor, model_id)
        if model_kind(row.manifest) == MOLECULES:
            raise ValidationError(
                "This model predicts single molecules; give smiles or molecule_id.",
                field="components",
            )
        status = baseline_status(row.metrics)
        given = list(groups) if groups is not None else [None] * len(compositions)
        records = [
            {"id": f"query-{i}", "components": comps, "targets": {}, "conditions": given[i] or {}}
            for i, comps in enumerate(compositions)
        ]
        rows = ml_datasets.dataset_from_records(records, name="query").rows
        predictions = [
            p.as_dict()
            for p in ml_train.predict(model, rows, extrapolate=extrapolate, groups=given)
        ]
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
                                "interval_method",
                                "interval_reason",
                                "group_coverage",
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

    # ---------------------------------------------------- molecule models
    def _load_cached(self, actor: Actor, model_id: uuid.UUID) -> tuple[PredictiveModel, Any]:
        with self.db.transaction(actor.identity) as session:
            row = get_visible(session, PredictiveModel, model_id, "model")
            cached = _LOADED.get((row.id, str(row.artifact_sha256)))
        if cached is not None:
            return row, cached
        row, model = self.load(actor, model_id)
        key = (row.id, str(row.artifact_sha256))
        if key not in _LOADED and len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = model
        return row, model

    def predict_molecules(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        items: list[dict[str, Any]],
        *,
        extrapolate: bool = False,
    ) -> list[dict[str, Any]]:
        """Predict a molecule model for molecules given by ``smiles`` or ``molecule_id``.

        Outside the applicability domain (Tanimoto distance to the nearest training
        molecules above the threshold) the value is ``null`` with the reason, unless
        ``extrapolate``. Answers are not stored (a stored prediction belongs to a mixture).

        Raises:
            ValidationError: the model predicts mixtures; an item with neither or both of
                smiles and molecule_id; a molecule without a structure.
            InvalidStructureError: an unreadable SMILES (``items[i].smiles``).
            NotFound: a molecule not visible to the caller.
        """
        row, model = self.load(actor, model_id)
        if model_kind(row.manifest) != MOLECULES:
            raise ValidationError(
                "This model predicts mixtures; give mixture_id or components.", field="smiles"
            )
        queries: list[tuple[uuid.UUID | None, str]] = []
        with self.db.transaction(actor.identity) as session:
            for i, item in enumerate(items):
                smiles, molecule_id = item.get("smiles"), item.get("molecule_id")
                if bool(smiles) == bool(molecule_id):
                    raise ValidationError("Give either smiles or molecule_id.", field=f"items[{i}]")
                if molecule_id:
                    molecule = get_visible(session, Molecule, molecule_id, "molecule")
                    if not molecule.smiles:
                        raise ValidationError(
                            f"Molecule {molecule.name or molecule_id} has no structure.",
                            field=f"items[{i}].molecule_id",
                        )
                    queries.append((molecule.id, molecule.smiles))
                else:
                    queries.append((None, str(smiles)))
        return self._molecule_answers(row, model, queries, extrapolate=extrapolate)

    def _molecule_answers(
        self,
        row: PredictiveModel,
        model: Any,
        queries: list[tuple[uuid.UUID | None, str]],
        *,
        extrapolate: bool,
    ) -> list[dict[str, Any]]:
        status = baseline_status(row.metrics)
        rows = []
        for i, (_, smiles) in enumerate(queries):
            try:
                rows.append(
                    ml_datasets.DatasetRow(
                        f"query-{i}", (), smiles=ml_molecules.canonical_smiles(smiles)
                    )
                )
            except InvalidStructureError as exc:
                raise InvalidStructureError(
                    f"items[{i}].smiles: {exc.message}", field=f"items[{i}].smiles"
                ) from exc
        predictions = ml_train.predict(model, rows, extrapolate=extrapolate)
        answers: list[dict[str, Any]] = []
        for (molecule_id, _), q, p in zip(queries, rows, predictions, strict=True):
            answers.append(
                {
                    "model_id": row.id,
                    "model_name": row.name,
                    "model_version": row.version,
                    "target": row.target,
                    "unit": ml_train.target_unit(row.target),
                    "is_active": row.is_active,
                    "molecule_id": molecule_id,
                    "smiles": q.smiles,
                    **p.as_dict(),
                    "not_better_than_baseline": status["not_better_than_baseline"],
                    "baseline_statement": status["statement"],
                }
            )
        return answers

    def molecule_predictions(
        self, actor: Actor, molecule_id: uuid.UUID, *, extrapolate: bool = False
    ) -> dict[str, Any]:
        """Predicted properties of one library molecule from the molecule models the caller
        can see: per target the active version, else the newest ready one.

        Returns:
            ``{"molecule_id", "smiles", "predictions": [...], "reason"}`` — ``reason``
            says why the list is empty (no structure, no molecule model visible).
        """
        with self.db.transaction(actor.identity) as session:
            molecule = get_visible(session, Molecule, molecule_id, "molecule")
            smiles = molecule.smiles
            candidates = session.scalars(
                sa.select(PredictiveModel)
                .where(
                    PredictiveModel.status == "ready",
                    PredictiveModel.manifest["featurizer"]["kind"].astext == MOLECULES,
                )
                .order_by(
                    PredictiveModel.target,
                    PredictiveModel.is_active.desc(),
                    PredictiveModel.created_at.desc(),
                )
            ).all()
            chosen: dict[str, uuid.UUID] = {}
            for m in candidates:
                chosen.setdefault(m.target, m.id)
        out: dict[str, Any] = {
            "molecule_id": molecule_id,
            "smiles": smiles,
            "predictions": [],
            "reason": None,
        }
        if not smiles:
            out["reason"] = "this molecule has no structure to predict from"
            return out
        if not chosen:
            out["reason"] = "no molecule model visible to you (train one on a molecule dataset)"
            return out
        for target in sorted(chosen)[:MAX_MOLECULE_MODELS]:
            row, model = self._load_cached(actor, chosen[target])
            try:
                out["predictions"] += self._molecule_answers(
                    row, model, [(molecule_id, smiles)], extrapolate=extrapolate
                )
            except InvalidStructureError as exc:
                out["reason"] = f"the structure could not be featurized: {exc.message}"
                break
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
