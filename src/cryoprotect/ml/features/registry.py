"""Featurizers by name: :data:`FEATURIZERS`, :func:`make_featurizer`, :func:`featurizer_from_state`.

A fitted featurizer's state is plain JSON (its ``get_state``) stored in the model's
manifest with the feature names; :func:`featurizer_from_state` rebuilds it by the name
the state carries. Each featurizer registers itself once, where it is defined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from cryoprotect.ml.components import ComponentLibrary
from cryoprotect.ml.datasets import Dataset, DatasetRow
from cryoprotect.ml.registry import Registry

FloatArray = NDArray[np.float64]


class Featurizer(Protocol):
    """What training and prediction need from a featurizer."""

    name: str

    def fit(self, rows: Dataset | Sequence[DatasetRow]) -> Featurizer:
        """Learn the vocabulary and imputation values from training rows."""
        ...

    def transform(self, rows: Dataset | Sequence[DatasetRow]) -> tuple[FloatArray, list[str]]:
        """Feature matrix (N, F) and the feature names."""
        ...

    @property
    def feature_names(self) -> list[str]:
        """Names of the features, in column order."""
        ...

    def get_state(self) -> dict[str, Any]:
        """JSON-ready state (config + fitted values)."""
        ...


# Formulation featurizers (CompositionPhysicsFeaturizer and subclasses) and the molecule
# featurizer (ml/molecule_features.py) share the interface train() uses, not a base class.
FEATURIZERS: Registry[type[Any]] = Registry("featurizer")


def make_featurizer(name: str, **options: Any) -> Any:
    """An unfitted featurizer by registered name."""
    return FEATURIZERS.get(name)(**options)


def featurizer_from_state(
    state: Mapping[str, Any], *, library: ComponentLibrary | None = None
) -> Any:
    """Rebuild a fitted featurizer from :meth:`~CompositionPhysicsFeaturizer.get_state`."""
    return FEATURIZERS.get(str(state["name"])).from_state(state, library=library)
