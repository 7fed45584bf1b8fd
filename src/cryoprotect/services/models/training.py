"""Training: register a queued version, train it in a worker process (bounded by the time
limit, cancellable), or both synchronously."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import PredictiveModel
from cryoprotect.errors import Conflict, CryoprotectError, ValidationError
from cryoprotect.ml import train as ml_train
from cryoprotect.ml.training_run import train_to_artifact
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import get_visible
from cryoprotect.services.models.base import ModelServiceBase, inserted
from cryoprotect.services.models.datasets import find_dataset
from cryoprotect.services.models.records import ModelRecord
from cryoprotect.services.worker_process import CancelSignal, run_in_worker_process

Progress = Callable[[str, float], None]


class ModelTraining(ModelServiceBase):
    """Training use cases of :class:`~cryoprotect.services.models.ModelService`."""

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
    ) -> ModelRecord:
        """Register a version in status ``queued`` (training happens in :meth:`run_training`)."""
        user_id = actor.require_user()
        if algorithm not in ml_train.ALGORITHMS:
            raise ValidationError(
                f"algorithm must be one of {', '.join(ml_train.ALGORITHMS.names())}.",
                field="algorithm",
            )
        if not 0.5 <= level < 1:
            raise ValidationError("level must be in [0.5, 1).", field="level")
        with self.db.transaction(actor.identity) as session:
            ds = find_dataset(session, dataset)
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
            row = inserted(
                session,
                PredictiveModel(
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
                ),
            )
            return ModelRecord.of(row)

    def run_training(
        self,
        actor: Actor,
        model_id: uuid.UUID,
        *,
        seed: int = 0,
        progress: Progress | None = None,
        cancel: CancelSignal | None = None,
        **options: Any,
    ) -> ModelRecord:
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
            ds_row = find_dataset(session, row.dataset_id)
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
            return ModelRecord.of(row)

    def train(self, actor: Actor, **kwargs: Any) -> ModelRecord:
        """Register and train synchronously (CLI)."""
        progress = kwargs.pop("progress", None)
        seed = kwargs.pop("seed", 0)
        options = kwargs.pop("options", {})
        pending = self.create_pending(actor, **kwargs)
        return self.run_training(actor, pending.id, seed=seed, progress=progress, **options)
