"""What every model use case shares: the database, the training time limit, and loading a
stored version with its artefact checksum verified."""

from __future__ import annotations

import hashlib
import uuid

from cryoprotect.db.database import Database
from cryoprotect.db.models import PredictiveModel
from cryoprotect.errors import ValidationError
from cryoprotect.ml import artifacts
from cryoprotect.ml import train as ml_train
from cryoprotect.services.actor import Actor

# ``inserted`` lives in services.common; named here too for the modules that import it from here.
from cryoprotect.services.common import inserted as inserted
from cryoprotect.services.models.records import ModelRecord
from cryoprotect.services.owned import OwnedRows


class ModelServiceBase(OwnedRows[PredictiveModel, ModelRecord]):
    """The state of :class:`~cryoprotect.services.models.ModelService` and :meth:`load`.

    Args:
        db: the database.
        training_timeout_s: wall-clock limit of one training run; default
            ``db.settings.training_timeout_s``.
    """

    model = PredictiveModel
    noun = "model"

    def __init__(self, db: Database, *, training_timeout_s: float | None = None) -> None:
        super().__init__(db)
        self.training_timeout_s = (
            db.settings.training_timeout_s if training_timeout_s is None else training_timeout_s
        )

    def record(self, row: PredictiveModel) -> ModelRecord:
        return ModelRecord.of(row)

    def load(
        self, actor: Actor, model_id: uuid.UUID
    ) -> tuple[PredictiveModel, ml_train.TrainedModel]:
        """The stored version and its model, checksum verified (tampering raises)."""
        with self.db.transaction(actor.identity) as session:
            row = self._visible(session, model_id)
            if row.status != "ready" or row.artifact is None:
                raise ValidationError(f"The model is {row.status}, not ready.", field="model_id")
            blob = bytes(row.artifact)
            if hashlib.sha256(blob).hexdigest() != row.artifact_sha256:
                raise artifacts.ArtifactIntegrityError(
                    "artefact checksum mismatch: tampered or corrupted (stored blob)"
                )
        return row, artifacts.from_bytes(blob)
