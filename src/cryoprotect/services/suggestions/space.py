"""The candidate space: the model it needs (one that predicts from composition), its
training rows, the allowed ingredients and ranges, and candidates as dataset rows."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cryoprotect.db.models import Dataset as DatasetRecord
from cryoprotect.db.models import PredictiveModel
from cryoprotect.errors import ValidationError
from cryoprotect.ml import acquisition as acq
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml import train as ml_train
from cryoprotect.ml.features import CompositionPhysicsFeaturizer

DMSO = "Dimethyl sulfoxide"


def composition_model(model: ml_train.TrainedModel) -> CompositionPhysicsFeaturizer:
    """The model's composition featurizer; a model that does not predict from composition
    is a :class:`ValidationError` (``not_a_composition_model``).
    """
    featurizer = getattr(model, "featurizer", None)
    if not isinstance(featurizer, CompositionPhysicsFeaturizer):
        raise ValidationError(
            "Suggestions need a model that predicts from a formulation's composition "
            "(a mixture model such as those trained on the CryoMN data); this model's "
            f"features are {getattr(featurizer, 'name', type(featurizer).__name__)}.",
            field="model_id",
            details={"reason": "not_a_composition_model"},
        )
    return featurizer


def training_rows(
    session: Any, row: PredictiveModel, target: str
) -> list[ml_datasets.DatasetRow] | None:
    """The model's training rows with the target, or None when the caller cannot see them."""
    if row.dataset_id is None:
        return None
    record = session.get(DatasetRecord, row.dataset_id)
    if record is None:
        return None
    ds = ml_datasets.dataset_from_records(record.rows, name=record.name)
    return list(ds.with_target(target).rows)


def default_ingredients(
    featurizer: CompositionPhysicsFeaturizer,
    rows: Sequence[ml_datasets.DatasetRow],
    *,
    dmso_free: bool,
) -> list[acq.IngredientRange]:
    """Every vocabulary component in its most common training unit, within measured amounts."""
    out = []
    for name in featurizer.vocabulary:
        if dmso_free and name == DMSO:
            continue
        amounts: dict[str, list[float]] = {}
        for r in rows:
            for c in r.composition:
                if featurizer.resolve(c.name).name == name and c.amount > 0:
                    amounts.setdefault(c.unit, []).append(float(c.amount))
        if not amounts:
            continue
        unit = Counter({u: len(v) for u, v in amounts.items()}).most_common(1)[0][0]
        low, high = min(amounts[unit]), max(amounts[unit])
        if high <= low:
            low = 0.0
        out.append(acq.IngredientRange(name, unit, low, high))
    return out


def requested_ingredients(
    featurizer: CompositionPhysicsFeaturizer,
    items: Sequence[Mapping[str, Any]],
    *,
    dmso_free: bool,
) -> list[acq.IngredientRange]:
    """The caller's ingredients (known to the model, each once, 0 ≤ low < high), checked."""
    out: list[acq.IngredientRange] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"ingredients[{i}]"
        info = featurizer.resolve(str(item["name"]), f"{where}.name")
        if dmso_free and info.name == DMSO:
            raise ValidationError(
                "dmso_free is set, so dimethyl sulfoxide cannot be an allowed ingredient.",
                field=f"{where}.name",
            )
        if info.name in seen:
            raise ValidationError(f"{info.name} is listed twice.", field=f"{where}.name")
        seen.add(info.name)
        unit = ml_datasets.check_unit(item["unit"], f"{where}.unit")
        low, high = float(item.get("low", 0.0)), float(item["high"])
        if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high <= low:
            raise ValidationError(
                f"{info.name}: need 0 ≤ low < high (got {low:g}–{high:g}).",
                field=f"{where}.high",
            )
        out.append(acq.IngredientRange(info.name, unit, low, high))
    return out


def candidate_rows(
    space: acq.CandidateSpace, amounts: np.ndarray, conditions: Mapping[str, Any]
) -> list[ml_datasets.DatasetRow]:
    """Sampled amounts as distinct query rows (amounts to 4 significant figures)."""
    rows = []
    seen: set[tuple[float, ...]] = set()
    for i, line in enumerate(amounts):
        key = tuple(float(f"{a:.4g}") for a in line)
        if key in seen:
            continue
        seen.add(key)
        composition = tuple(
            ml_datasets.Component(ing.name, a, ing.unit)
            for ing, a in zip(space.ingredients, key, strict=True)
            if a > 0
        )
        rows.append(
            ml_datasets.DatasetRow(
                row_id=f"candidate-{i}", composition=composition, conditions=dict(conditions)
            )
        )
    return rows
