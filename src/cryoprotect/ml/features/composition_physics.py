"""The ``composition_physics_v1`` featurizer (:class:`CompositionPhysicsFeaturizer`).

It owns how a formulation's quantities (:mod:`cryoprotect.ml.features.quantities`) become
a row of numbers a model can learn from, and the names of those numbers.

Features of ``composition_physics_v1`` (in this order):

1. ``molality[<c>]`` (mol/kg water) for every vocabulary component ``c`` with a molar
   mass, and ``mass_fraction[<c>]`` (g/g solution) for every vocabulary component. The
   vocabulary is learned at fit time: components present in at least ``min_count``
   training rows, sorted by name. Everything else goes to ``molality[other]`` and
   ``mass_fraction[other]``.
2. ``total_mass_fraction`` (of everything but sera, which count as solvent),
   ``total_molality_mol_per_kg``, ``n_components``.
3. Physics, vectorised through the science modules: ``osmolality_osmol_per_kg`` and
   ``melting_point_c`` (:func:`cryoprotect.science.thermo.solution_thermo`, over the
   components with a molar mass; solutes without virial coefficients use the module's
   ideal-dilute rule), ``tg_k`` (:func:`cryoprotect.science.glass.solution_tg` with
   ``allow_estimate=True``) and ``tg_k_missing``. Tg is NaN whenever a present component
   has no glass parameters (e.g. DMSO): **imputation rule** — the median of the finite
   training values (Tg of water when there are none), with ``tg_k_missing`` = 1.
4. ``x_weighted[<d>]`` = Σ_i x_i·d_i for the descriptors in :data:`DESCRIPTOR_NAMES`,
   with x_i the mole fraction of component i in the whole solution (water included) and
   d_i its RDKit descriptor (:func:`cryoprotect.science.descriptors.compute_descriptors` of
   the standardised library structure). Water and structure-less components contribute
   nothing; structure-less components still count in the mass fractions. These let a
   model say something about rarely seen components.
5. ``condition[<k>]`` and ``condition[<k>]_missing`` for each numeric condition key asked
   for (same imputation rule as Tg).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.ml.components import ComponentInfo, ComponentLibrary, default_library
from cryoprotect.ml.datasets import Dataset, DatasetRow
from cryoprotect.ml.features.quantities import (
    DESCRIPTOR_NAMES,
    FloatArray,
    RowQuantities,
    compute_quantities,
)
from cryoprotect.ml.features.registry import FEATURIZERS, QuantityFeaturizer, rows_of
from cryoprotect.science import glass

OTHER = "other"


@FEATURIZERS.register("composition_physics_v1")
class CompositionPhysicsFeaturizer(QuantityFeaturizer[RowQuantities]):
    """Composition + solution physics + mole-fraction-weighted descriptors (module docs).

    Args:
        min_count: a component enters the vocabulary when present in at least this many
            training rows; rarer ones go to the ``other`` bucket.
        conditions: numeric condition keys to use as features.
        library: where names are resolved (default: the shipped library). After fitting,
            components seen in training are resolved from the stored snapshot.
    """

    name = "composition_physics_v1"

    def __init__(
        self,
        *,
        min_count: int = 3,
        conditions: Sequence[str] = (),
        library: ComponentLibrary | None = None,
    ) -> None:
        if min_count < 1:
            raise ValidationError("min_count must be ≥ 1", field="min_count")
        self.min_count = int(min_count)
        self.conditions = tuple(str(c) for c in conditions)
        self._library = library
        self._snapshot: dict[str, ComponentInfo] = {}
        self._snapshot_index = ComponentLibrary(())
        self.vocabulary: tuple[str, ...] = ()
        self.molal_vocabulary: tuple[str, ...] = ()
        self.tg_fill_k: float = math.nan
        self.condition_fill: dict[str, float] = {}
        self._feature_names: list[str] = []
        self._fitted = False

    # -- name resolution --

    @property
    def library(self) -> ComponentLibrary:
        """The library used for components not in the training snapshot."""
        return self._library if self._library is not None else default_library()

    def resolve(self, name: str, field: str | None = None) -> ComponentInfo:
        """The component called ``name``: the training snapshot first, then the library.

        Raises:
            ValidationError: the name is unknown (quoted in the message; HTTP 422).
        """
        found = self._snapshot_index.resolve(name)
        return found if found is not None else self.library.get(name, field=field)

    def _set_snapshot(self, snapshot: Mapping[str, ComponentInfo]) -> None:
        self._snapshot = dict(snapshot)
        self._snapshot_index = ComponentLibrary(self._snapshot.values())

    def quantities(self, rows: Dataset | Sequence[DatasetRow]) -> RowQuantities:
        """Physical quantities of rows (stateless; see :func:`compute_quantities`)."""
        return compute_quantities(rows_of(rows), self.resolve)

    # -- fit / transform --

    # fit, transform and fit_transform: QuantityFeaturizer's (fit learns the vocabulary and
    # the imputation values from the training rows).

    def fit_quantities(self, q: RowQuantities, rows: Sequence[DatasetRow]) -> Self:
        """Fit from precomputed quantities of the training rows (used inside CV folds)."""
        if q.n_rows == 0:
            raise ValidationError("cannot fit a featurizer on no rows", field="rows")
        counts = Counter[str]()
        for k, name in enumerate(q.components):
            counts[name] = int(q.present[:, k].sum())
        vocab = sorted((c for c, n in counts.items() if n >= self.min_count), key=str.casefold)
        snapshot = {}
        for row in rows:
            for comp in row.composition:
                info = self.resolve(comp.name)
                snapshot[info.name] = info
        self._set_snapshot(snapshot)
        self.vocabulary = tuple(vocab)
        self.molal_vocabulary = tuple(
            c for c in vocab if self._snapshot[c].molar_mass_g_per_mol is not None
        )
        finite = q.tg_k[np.isfinite(q.tg_k)]
        self.tg_fill_k = float(np.median(finite)) if finite.size else glass.water_tg().value
        self.condition_fill = {}
        for key in self.conditions:
            values = np.array([_condition_value(c, key) for c in q.conditions])
            good = values[np.isfinite(values)]
            self.condition_fill[key] = float(np.median(good)) if good.size else 0.0
        self._feature_names = self._names()
        self._fitted = True
        return self

    def _names(self) -> list[str]:
        names = [f"molality[{c}]" for c in self.molal_vocabulary]
        names += [f"mass_fraction[{c}]" for c in self.vocabulary]
        names += [f"molality[{OTHER}]", f"mass_fraction[{OTHER}]"]
        names += ["total_mass_fraction", "total_molality_mol_per_kg", "n_components"]
        names += ["osmolality_osmol_per_kg", "melting_point_c", "tg_k", "tg_k_missing"]
        names += [f"x_weighted[{d}]" for d in DESCRIPTOR_NAMES]
        for key in self.conditions:
            names += [f"condition[{key}]", f"condition[{key}]_missing"]
        return names

    @property
    def feature_names(self) -> list[str]:
        """Feature names in column order (fixed at fit time)."""
        self._check_fitted()
        return list(self._feature_names)

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise ValidationError("the featurizer has not been fitted", field="featurizer")

    def unseen_components(self, q: RowQuantities) -> list[tuple[str, ...]]:
        """Per row, the components that were not seen in training (not in the snapshot)."""
        self._check_fitted()
        unseen = [k for k, c in enumerate(q.components) if c not in self._snapshot]
        return [tuple(q.components[k] for k in unseen if q.present[i, k]) for i in range(q.n_rows)]

    def assemble(self, q: RowQuantities) -> FloatArray:
        """Assemble the feature matrix from quantities (using the fitted state)."""
        self._check_fitted()
        n = q.n_rows
        col = {name: k for k, name in enumerate(q.components)}

        def column(array: FloatArray, name: str) -> FloatArray:
            k = col.get(name)
            return np.zeros(n) if k is None else np.nan_to_num(array[:, k])

        vocab = set(self.vocabulary)
        others = [k for k, c in enumerate(q.components) if c not in vocab]
        parts: list[FloatArray] = [column(q.molality, c) for c in self.molal_vocabulary]
        parts += [column(q.mass_fraction, c) for c in self.vocabulary]
        parts.append(np.nan_to_num(q.molality[:, others]).sum(axis=1))
        parts.append(q.mass_fraction[:, others].sum(axis=1))
        parts.append(q.mass_fraction[:, ~q.solvent].sum(axis=1))
        parts.append(np.nan_to_num(q.molality).sum(axis=1))
        parts.append(q.present.sum(axis=1).astype(np.float64))
        parts += [q.osmolality, q.melting_point_c]
        missing = ~np.isfinite(q.tg_k)
        parts += [np.where(missing, self.tg_fill_k, q.tg_k), missing.astype(np.float64)]
        parts += [q.descriptors[:, d] for d in range(len(DESCRIPTOR_NAMES))]
        for key in self.conditions:
            values = np.array([_condition_value(c, key) for c in q.conditions])
            gone = ~np.isfinite(values)
            parts += [np.where(gone, self.condition_fill[key], values), gone.astype(np.float64)]
        matrix = np.column_stack(parts) if n else np.zeros((0, len(self._feature_names)))
        return np.ascontiguousarray(matrix, dtype=np.float64)

    # -- state --

    def get_state(self) -> dict[str, Any]:
        """JSON-ready config and fitted state (vocabulary, snapshot, imputation, names)."""
        self._check_fitted()
        return {
            "name": self.name,
            "config": {"min_count": self.min_count, "conditions": list(self.conditions)},
            "vocabulary": list(self.vocabulary),
            "molal_vocabulary": list(self.molal_vocabulary),
            "tg_fill_k": self.tg_fill_k,
            "condition_fill": dict(self.condition_fill),
            "components": [
                self._snapshot[k].as_dict() for k in sorted(self._snapshot, key=str.casefold)
            ],
            "descriptors": list(DESCRIPTOR_NAMES),
            "feature_names": list(self._feature_names),
        }

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], *, library: ComponentLibrary | None = None
    ) -> CompositionPhysicsFeaturizer:
        """Rebuild a fitted featurizer; checks that the feature names come out identical."""
        config = state["config"]
        obj = cls(
            min_count=int(config["min_count"]),
            conditions=tuple(config["conditions"]),
            library=library,
        )
        if list(state["descriptors"]) != list(DESCRIPTOR_NAMES):
            raise ValidationError(
                "the model was trained with another descriptor set", field="featurizer"
            )
        obj._set_snapshot(
            {info.name: info for info in (ComponentInfo.from_dict(c) for c in state["components"])}
        )
        obj.vocabulary = tuple(state["vocabulary"])
        obj.molal_vocabulary = tuple(state["molal_vocabulary"])
        obj.tg_fill_k = float(state["tg_fill_k"])
        obj.condition_fill = {str(k): float(v) for k, v in state["condition_fill"].items()}
        obj._feature_names = obj._names()
        obj._fitted = True
        if obj._feature_names != list(state["feature_names"]):
            raise ValidationError(
                "stored feature names do not match the featurizer", field="featurizer"
            )
        return obj


def _condition_value(conditions: Mapping[str, float | str], key: str) -> float:
    value = conditions.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return math.nan
