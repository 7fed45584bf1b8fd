"""Prediction with a mixture model: answers for compositions (stored when in domain) and
the caller's stored predictions."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.models import Mixture, Prediction
from cryoprotect.errors import ValidationError
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import train as ml_train
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, paginate
from cryoprotect.services.models.answers import PredictionAnswer, StoredPredictionAnswer
from cryoprotect.services.models.base import ModelServiceBase
from cryoprotect.services.models.records import MOLECULES, baseline_status, model_kind

#: What a stored prediction keeps of its answer besides value, interval and level.
STORED_DETAILS = (
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


class ModelPrediction(ModelServiceBase):
    """Prediction use cases of :class:`~cryoprotect.services.models.ModelService`."""

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
    ) -> list[PredictionAnswer]:
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
        predictions = ml_train.predict(model, rows, extrapolate=extrapolate, groups=given)
        out: list[PredictionAnswer] = []
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
                answer = PredictionAnswer.values_of(row, status, p)
                if not (store and actor.authenticated and p.value is not None):
                    out.append(PredictionAnswer(**answer))
                    continue
                mixture_id = (mixture_ids or [None] * len(predictions))[i]
                stored = Prediction(
                    model_id=row.id,
                    mixture_id=mixture_id,
                    mixture_version=versions.get(mixture_id) if mixture_id else None,
                    target=row.target,
                    value=p.value,
                    lower=p.lower,
                    upper=p.upper,
                    confidence_level=p.level,
                    details={k: v for k, v in p.as_dict().items() if k in STORED_DETAILS},
                    created_by=actor.user_id,
                    visibility="private",
                )
                session.add(stored)
                session.flush()
                out.append(StoredPredictionAnswer(**answer, prediction_id=stored.id))
        return out

    def list_predictions(
        self, actor: Actor, *, page: int = 1, per_page: int = 25
    ) -> Page[Prediction]:
        """One page of the stored predictions the caller may see, newest first, with the
        total count (the rows themselves: every field callers see is a column)."""
        query = sa.select(Prediction).order_by(Prediction.created_at.desc(), Prediction.id)
        with self.db.transaction(actor.identity) as session:
            return paginate(session, query, page, per_page)
