"""The ``composition_conditions_v2`` featurizer: v1 features plus categorical conditions."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.ml.components import ComponentLibrary
from cryoprotect.ml.cryomn_v2.conditions import UNKNOWN, FloatArray
from cryoprotect.ml.datasets import DatasetRow
from cryoprotect.ml.features import (
    FEATURIZERS,
    CompositionPhysicsFeaturizer,
    RowQuantities,
)


@FEATURIZERS.register("composition_conditions_v2")
class CompositionConditionsFeaturizer(CompositionPhysicsFeaturizer):
    """``composition_physics_v1`` plus one-hot categorical conditions and a noise column.

    Args:
        categorical: string condition keys one-hot encoded as ``category[<key>=<value>]``.
            The categories are learned at fit time (present in at least ``min_count``
            training rows; ``unknown`` always has a column); rarer, unseen or missing values
            count as ``unknown``.
        noise_condition: a numeric condition appended as the **last** column
            ``noise[<key>]`` (missing: the training median) — what
            ``gaussian_process_source_noise`` reads as each row's noise standard
            deviation and does not use as an input.
        min_count, conditions, library: as :class:`CompositionPhysicsFeaturizer`.
    """

    name = "composition_conditions_v2"

    def __init__(
        self,
        *,
        min_count: int = 3,
        conditions: Sequence[str] = (),
        categorical: Sequence[str] = (),
        noise_condition: str | None = None,
        library: ComponentLibrary | None = None,
    ) -> None:
        super().__init__(min_count=min_count, conditions=conditions, library=library)
        self.categorical = tuple(str(c) for c in categorical)
        self.noise_condition = noise_condition
        self.categories: dict[str, tuple[str, ...]] = {}
        self.noise_fill = math.nan

    def fit_quantities(self, q: RowQuantities, rows: Sequence[DatasetRow]) -> Self:
        """Fit the v1 part, then the categories and the noise fill value (training rows only)."""
        self.categories = {}
        for key in self.categorical:
            counts = Counter(_category(c, key) for c in q.conditions)
            kept = sorted(k for k, n in counts.items() if n >= self.min_count and k != UNKNOWN)
            self.categories[key] = (UNKNOWN, *kept)
        if self.noise_condition is not None:
            values = np.array([_numeric(c, self.noise_condition) for c in q.conditions])
            good = values[np.isfinite(values)]
            if good.size == 0 or np.any(good <= 0):
                raise ValidationError(
                    f"condition {self.noise_condition!r} must be a positive number in the "
                    "training rows",
                    field="featurizer_options",
                )
            self.noise_fill = float(np.median(good))
        super().fit_quantities(q, rows)
        return self

    def _names(self) -> list[str]:
        names = super()._names()
        for key in self.categorical:
            names += [f"category[{key}={v}]" for v in self.categories.get(key, ())]
        if self.noise_condition is not None:
            names.append(f"noise[{self.noise_condition}]")
        return names

    def assemble(self, q: RowQuantities) -> FloatArray:
        """The v1 features, the one-hot columns, then the noise column."""
        base = super().assemble(q)
        parts = [base]
        for key in self.categorical:
            cats = self.categories[key]
            values = [_category(c, key) for c in q.conditions]
            values = [v if v in cats else UNKNOWN for v in values]
            parts.append(
                np.array([[1.0 if v == c else 0.0 for c in cats] for v in values]).reshape(
                    q.n_rows, len(cats)
                )
            )
        if self.noise_condition is not None:
            noise = np.array([_numeric(c, self.noise_condition) for c in q.conditions])
            parts.append(np.where(np.isfinite(noise), noise, self.noise_fill)[:, None])
        return np.ascontiguousarray(np.hstack(parts), dtype=np.float64)

    def get_state(self) -> dict[str, Any]:
        """The v1 state plus the categories and the noise column."""
        state = super().get_state()
        state["config"] = {
            **state["config"],
            "categorical": list(self.categorical),
            "noise_condition": self.noise_condition,
        }
        state["categories"] = {k: list(v) for k, v in self.categories.items()}
        state["noise_fill"] = self.noise_fill
        return state

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], *, library: ComponentLibrary | None = None
    ) -> CompositionConditionsFeaturizer:
        """Rebuild a fitted featurizer (the feature names must come out identical)."""
        config = state["config"]
        categories = {str(k): tuple(v) for k, v in state.get("categories", {}).items()}
        noise_condition = config.get("noise_condition")
        extra = sum(len(v) for v in categories.values()) + (noise_condition is not None)
        names = list(state["feature_names"])
        # The v1 part is rebuilt (and checked) by the parent, before the extra columns.
        v1_state = {**state, "feature_names": names[: len(names) - extra]}
        obj = super().from_state(v1_state, library=library)
        assert isinstance(obj, CompositionConditionsFeaturizer)
        obj.categorical = tuple(config.get("categorical", ()))
        obj.noise_condition = noise_condition
        obj.categories = categories
        fill = state.get("noise_fill")
        obj.noise_fill = float(fill) if fill is not None else math.nan
        obj._feature_names = obj._names()
        if obj._feature_names != names:
            raise ValidationError(
                "stored feature names do not match the featurizer", field="featurizer"
            )
        return obj


def _category(conditions: Mapping[str, float | str], key: str) -> str:
    value = conditions.get(key)
    return value if isinstance(value, str) and value.strip() else UNKNOWN


def _numeric(conditions: Mapping[str, float | str], key: str) -> float:
    value = conditions.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return math.nan
