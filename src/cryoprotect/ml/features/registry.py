"""Featurizers by name: :data:`FEATURIZERS`, :func:`make_featurizer`, :func:`featurizer_from_state`.

A fitted featurizer's state is plain JSON (its ``get_state``) stored in the model's
manifest with the feature names; :func:`featurizer_from_state` rebuilds it by the name
the state carries. Each featurizer registers itself once, where it is defined.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar

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


def rows_of(rows: Dataset | Sequence[DatasetRow]) -> Sequence[DatasetRow]:
    """The rows of a data set, or the rows as given."""
    return rows.rows if isinstance(rows, Dataset) else rows


Q = TypeVar("Q")


class QuantityFeaturizer(ABC, Generic[Q]):
    """``fit``, ``transform`` and ``fit_transform`` of a featurizer that works in two stages.

    First the rows' quantities ``Q`` (:meth:`quantities`, stateless), then a fit on those
    quantities (:meth:`fit_quantities`) and the feature matrix assembled from them
    (:meth:`assemble`); cross-validation computes the quantities once and calls the
    stages itself.
    """

    @abstractmethod
    def quantities(self, rows: Dataset | Sequence[DatasetRow]) -> Q:
        """The rows' quantities (stateless)."""

    @abstractmethod
    def fit_quantities(self, q: Q, rows: Sequence[DatasetRow]) -> Self:
        """Fit from precomputed quantities of the training rows."""

    @abstractmethod
    def assemble(self, q: Q) -> FloatArray:
        """The feature matrix of the rows whose quantities are ``q``."""

    @property
    @abstractmethod
    def feature_names(self) -> list[str]:
        """Names of the features, in column order."""

    @abstractmethod
    def _check_fitted(self) -> None:
        """Raise ValidationError (field ``featurizer``) until fitted."""

    def fit(self, rows: Dataset | Sequence[DatasetRow]) -> Self:
        """Fit on the training rows (:meth:`fit_quantities` of their :meth:`quantities`)."""
        row_list = rows_of(rows)
        return self.fit_quantities(self.quantities(row_list), row_list)

    def transform(self, rows: Dataset | Sequence[DatasetRow]) -> tuple[FloatArray, list[str]]:
        """Feature matrix (N, F) and the feature names.

        Raises:
            ValidationError: not fitted; what :meth:`quantities` refuses (the row named).
        """
        self._check_fitted()
        return self.assemble(self.quantities(rows)), self.feature_names

    def fit_transform(self, rows: Dataset | Sequence[DatasetRow]) -> tuple[FloatArray, list[str]]:
        """:meth:`fit` then :meth:`transform` on the same rows (quantities computed once)."""
        row_list = rows_of(rows)
        q = self.quantities(row_list)
        self.fit_quantities(q, row_list)
        return self.assemble(q), self.feature_names


# Formulation featurizers (CompositionPhysicsFeaturizer and subclasses) and the molecule
# featurizer (ml/molecule_features.py) share the interface train() uses and, for fit and
# transform, the base class QuantityFeaturizer.
FEATURIZERS: Registry[type[Any]] = Registry("featurizer")


def make_featurizer(name: str, **options: Any) -> Any:
    """An unfitted featurizer by registered name."""
    return FEATURIZERS.get(name)(**options)


def featurizer_from_state(
    state: Mapping[str, Any], *, library: ComponentLibrary | None = None
) -> Any:
    """Rebuild a fitted featurizer from :meth:`~CompositionPhysicsFeaturizer.get_state`."""
    return FEATURIZERS.get(str(state["name"])).from_state(state, library=library)
