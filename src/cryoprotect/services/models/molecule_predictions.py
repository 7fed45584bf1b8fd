"""Prediction with molecule (structure–property) models: for SMILES or library molecules,
and one molecule's predicted properties from every visible molecule model."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.models import Molecule, PredictiveModel
from cryoprotect.errors import InvalidStructureError, ValidationError
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import molecule_features as ml_molecules
from cryoprotect.ml import train as ml_train
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import get_visible
from cryoprotect.services.models.answers import (
    MoleculePredictionAnswer,
    MoleculePredictionSet,
    PredictionAnswer,
)
from cryoprotect.services.models.base import ModelServiceBase
from cryoprotect.services.models.records import MOLECULES, baseline_status, model_kind

#: Molecule models asked for one molecule's predicted properties (most recent first).
MAX_MOLECULE_MODELS = 10
_LOADED: dict[tuple[uuid.UUID, str], ml_train.TrainedModel] = {}
"""Loaded molecule models by (id, artefact checksum); the blob's checksum is verified on
every load, so a changed artefact is a different key."""
_LOADED_MAX = 8


class MoleculePredictions(ModelServiceBase):
    """Molecule-model use cases of :class:`~cryoprotect.services.models.ModelService`."""

    def _load_cached(self, actor: Actor, model_id: uuid.UUID) -> tuple[PredictiveModel, Any]:
        with self.db.transaction(actor.identity) as session:
            row = self._visible(session, model_id)
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
    ) -> list[MoleculePredictionAnswer]:
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
    ) -> list[MoleculePredictionAnswer]:
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
        answers = [
            MoleculePredictionAnswer(
                **PredictionAnswer.values_of(row, status, p),
                model_name=row.name,
                unit=ml_train.target_unit(row.target),
                is_active=row.is_active,
                molecule_id=molecule_id,
                smiles=q.smiles,
            )
            for (molecule_id, _), q, p in zip(queries, rows, predictions, strict=True)
        ]
        return answers

    def molecule_predictions(
        self, actor: Actor, molecule_id: uuid.UUID, *, extrapolate: bool = False
    ) -> MoleculePredictionSet:
        """Predicted properties of one library molecule from the molecule models the caller
        can see: per target the active version, else the newest ready one.

        Returns:
            The predictions; ``reason`` says why the list is empty (no structure, no
            molecule model visible) or why it stops (a structure that cannot be featurized).
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
        if not smiles:
            return MoleculePredictionSet(
                molecule_id, smiles, (), "this molecule has no structure to predict from"
            )
        if not chosen:
            return MoleculePredictionSet(
                molecule_id,
                smiles,
                (),
                "no molecule model visible to you (train one on a molecule dataset)",
            )
        predictions: list[MoleculePredictionAnswer] = []
        reason = None
        for target in sorted(chosen)[:MAX_MOLECULE_MODELS]:
            row, model = self._load_cached(actor, chosen[target])
            try:
                predictions += self._molecule_answers(
                    row, model, [(molecule_id, smiles)], extrapolate=extrapolate
                )
            except InvalidStructureError as exc:
                reason = f"the structure could not be featurized: {exc.message}"
                break
        return MoleculePredictionSet(molecule_id, smiles, tuple(predictions), reason)
