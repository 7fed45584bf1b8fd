"""Named, stable features of CPA formulations: composition, solution physics, descriptors.

This module owns how a formulation (components with amounts in any composition unit)
becomes a row of numbers a model can learn from, and the names of those numbers. The
featurizers are registered by name (:data:`FEATURIZERS`); a fitted featurizer's state is
plain JSON (:meth:`CompositionPhysicsFeaturizer.get_state`) stored in the model's manifest,
with the feature names.

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

**Unit conversion** (:func:`cryoprotect.science.composition.to_molality`, vectorised over
rows that share components and units). The volume-based units need the solution density,
and many CPA components have no density data; the featurizer closes the gap with two
documented estimates, applied only to components without data of their own:

* *solids and polymers*: the CRC sucrose binary's volume per gram (``crc_key="Sucrose"``,
  measured data, here used as a surrogate — exact for sucrose's isomer trehalose, an
  approximation for polymers and proteins);
* *sera* (class ``biological``, no molar mass; FBS, human serum) are aqueous fluids, often
  the bulk of the medium ("10 % DMSO + 90 % FBS"): they must be given in % v/v, and their
  volume counts as part of the aqueous solvent — the other components are converted as if
  the serum were water (its own ~7 % solids are ignored), the serum's mass fraction is
  that of the volume it fills at the density of water (part of the "water", not added to
  the solution's mass), and it is treated as water in the Tg calculation.

A component without a defined molar mass (undefined polymers, sera) may only be given in
a mass or volume unit; it has no molality feature, takes no part in the osmolality and is
not counted in mole fractions (its moles are negligible for a macromolecule; for a serum
this ignores its own small solutes). Osmolality is that of the *listed* solutes in water:
the carrier medium is not part of the data.

**Errors.** An unknown component (not in the library) is a
:class:`~cryoprotect.errors.ValidationError` naming it; an unsupported unit is a
``ValidationError``; an impossible composition is an
:class:`~cryoprotect.errors.InvalidCompositionError` naming the row. All map to HTTP 422.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.ml.components import ComponentInfo, ComponentLibrary, default_library
from cryoprotect.ml.datasets import Component, Dataset, DatasetRow, check_unit
from cryoprotect.ml.registry import Registry
from cryoprotect.science import composition, glass, thermo

FloatArray = NDArray[np.float64]

DESCRIPTOR_NAMES: tuple[str, ...] = (
    "molecular_weight",
    "clogp_crippen",
    "tpsa",
    "hbd",
    "hba",
    "heavy_atoms",
    "polar_atoms",
    "hydroxyl_groups",
    "amide_groups",
    "sulfoxide_groups",
    "ether_groups",
    "amine_groups",
    "carboxylic_acid_groups",
)
"""Descriptors weighted by mole fraction (names of :mod:`cryoprotect.science.descriptors`)."""

SURROGATE_CRC_SOLUTE = "Sucrose"
"""CRC binary whose volume per gram stands in for solids without density data."""
PLACEHOLDER_MOLAR_MASS_G_PER_MOL = 1.0e9
"""Used only inside unit conversion for components without a molar mass (mass and volume
units only, where the molar mass cancels); their moles are not counted anywhere else."""
SOLVENT_VOLUME_TOLERANCE = 0.02
"""Sera may exceed the water volume left by the other components by this fraction (the
volume model of mixtures is approximate) before the composition is called impossible."""
MOLAR_UNITS = frozenset({"mol/L", "mmol/L", "mol/kg", "mole fraction"})
OTHER = "other"


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


# --- per-row quantities (stateless given the component information) ---------------------


@dataclass(frozen=True, eq=False)
class RowQuantities:
    """Physical quantities of N rows over their components (before feature assembly).

    Attributes:
        components: canonical names, column order of the (N, C) arrays.
        molality: mol/kg water; 0 where absent, NaN where present without a molar mass.
        mass_fraction: g/g solution.
        mole_fraction: mol/mol solution (water included); 0 without a molar mass.
        present: (N, C) booleans.
        solvent: (C,) booleans, True for sera (part of the aqueous solvent).
        osmolality: osmol/kg water, (N,).
        melting_point_c: °C, (N,).
        tg_k: K, (N,), NaN where not computable.
        descriptors: (N, D) mole-fraction-weighted descriptors.
        conditions: the rows' conditions.
    """

    components: tuple[str, ...]
    molality: FloatArray
    mass_fraction: FloatArray
    mole_fraction: FloatArray
    present: NDArray[np.bool_]
    solvent: NDArray[np.bool_]
    osmolality: FloatArray
    melting_point_c: FloatArray
    tg_k: FloatArray
    descriptors: FloatArray
    conditions: tuple[Mapping[str, float | str], ...]

    @property
    def n_rows(self) -> int:
        return int(self.osmolality.shape[0])

    def take(self, index: NDArray[np.intp] | Sequence[int]) -> RowQuantities:
        """The quantities of a subset of rows (same component columns)."""
        idx = np.asarray(index, dtype=np.intp)
        return RowQuantities(
            components=self.components,
            molality=self.molality[idx],
            mass_fraction=self.mass_fraction[idx],
            mole_fraction=self.mole_fraction[idx],
            present=self.present[idx],
            solvent=self.solvent,
            osmolality=self.osmolality[idx],
            melting_point_c=self.melting_point_c[idx],
            tg_k=self.tg_k[idx],
            descriptors=self.descriptors[idx],
            conditions=tuple(self.conditions[int(i)] for i in idx),
        )


@lru_cache(maxsize=1024)
def _descriptor_vector(smiles: str) -> tuple[float, ...]:
    from cryoprotect.science.descriptors import compute_descriptors
    from cryoprotect.science.standardize import register_structure

    values = compute_descriptors(register_structure(smiles).mol)
    return tuple(float(values[name]) for name in DESCRIPTOR_NAMES)


def is_solvent_like(info: ComponentInfo) -> bool:
    """Whether a component is an undefined aqueous fluid (serum) treated as part of the solvent."""
    return info.molecule_class == "biological" and info.molar_mass_g_per_mol is None


def _conversion_solute(info: ComponentInfo, unit_kinds: set[str], where: str) -> composition.Solute:
    """The composition module's solute for a component, with the documented density closure."""
    known = None
    for candidate in (info.name, *info.synonyms):
        try:
            known = composition.get_solute(candidate)
            break
        except InvalidCompositionError:
            continue
    mass = info.molar_mass_g_per_mol
    if mass is None and unit_kinds & MOLAR_UNITS:
        raise ValidationError(
            f"{info.name} has no defined molar mass, so it cannot be given in "
            f"{', '.join(sorted(unit_kinds & MOLAR_UNITS))}; use a mass or volume unit",
            field=where,
        )
    if known is not None:
        return composition.Solute(
            name=info.name,
            molar_mass_g_per_mol=known.molar_mass_g_per_mol,
            pure_density_g_per_ml=known.pure_density_g_per_ml,
            density_source=known.density_source,
            crc_key=known.crc_key,
        )
    if mass is None:  # undefined polymers and proteins
        return composition.Solute(
            name=info.name,
            molar_mass_g_per_mol=PLACEHOLDER_MOLAR_MASS_G_PER_MOL,
            crc_key=SURROGATE_CRC_SOLUTE,
        )
    return composition.Solute(
        name=info.name, molar_mass_g_per_mol=mass, crc_key=SURROGATE_CRC_SOLUTE
    )


Resolver = Callable[[str, str | None], ComponentInfo]
"""``(name, error_field) -> ComponentInfo``; raises ValidationError for an unknown name."""


def compute_quantities(
    rows: Sequence[DatasetRow], resolve: Resolver, *, path: str = "rows"
) -> RowQuantities:
    """Physical quantities of the rows (molality, fractions, physics, descriptors).

    Args:
        rows: the rows.
        resolve: ``name -> ComponentInfo`` (raises ValidationError for unknown names).
        path: prefix of error fields.

    Raises:
        ValidationError: unknown component, unsupported unit, molar unit without molar mass.
        InvalidCompositionError: an impossible composition (the row is named).
    """
    n = len(rows)
    infos: dict[str, ComponentInfo] = {}
    canon_rows: list[list[tuple[str, float, str]]] = []
    units_of: dict[str, set[str]] = {}
    for i, row in enumerate(rows):
        seen: set[str] = set()
        canon: list[tuple[str, float, str]] = []
        for j, comp in enumerate(row.composition):
            where = f"{path}[{i}].composition[{j}]"
            unit = check_unit(comp.unit, f"{where}.unit")
            info = resolve(comp.name, f"{where}.name")
            if info.name in seen:
                raise ValidationError(
                    f"{info.name} is listed twice in row {row.row_id!r}", field=f"{where}.name"
                )
            seen.add(info.name)
            amount = float(comp.amount)
            if not math.isfinite(amount) or amount < 0:
                raise ValidationError(
                    f"amount of {comp.name} must be a finite number ≥ 0", field=f"{where}.amount"
                )
            infos[info.name] = info
            units_of.setdefault(info.name, set()).add(unit)
            if amount > 0:
                canon.append((info.name, amount, unit))
        canon_rows.append(canon)

    names = tuple(sorted(infos, key=str.casefold))
    col = {name: k for k, name in enumerate(names)}
    solvent_like = {name for name in names if is_solvent_like(infos[name])}
    for name in solvent_like:
        if units_of[name] != {"% v/v"}:
            raise ValidationError(
                f"{name} is an undefined aqueous biological fluid: give it in % v/v",
                field=f"{path}.composition[{name}].unit",
            )
    solutes = {
        name: _conversion_solute(infos[name], units_of[name], f"{path}.composition[{name}]")
        for name in names
        if name not in solvent_like
    }
    grams = np.zeros((n, len(names)))
    present = np.zeros((n, len(names)), dtype=np.bool_)
    water_volume = 1000.0 / composition.WATER_DENSITY_20C_G_PER_ML
    volume = np.full(n, water_volume)  # mL of solution per kg of water (sera count as water)

    # One vectorised conversion per distinct (solutes, units) signature.
    signatures: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for i, canon in enumerate(canon_rows):
        key = tuple((c[0], c[2]) for c in canon if c[0] not in solvent_like)
        if key:
            signatures.setdefault(key, []).append(i)
    for signature, members in signatures.items():
        order = [col[name] for name, _ in signature]
        amounts = np.array(
            [[a for name, a, _ in canon_rows[i] if name not in solvent_like] for i in members],
            dtype=np.float64,
        )
        try:
            state = composition.to_molality(
                amounts, [u for _, u in signature], [solutes[name] for name, _ in signature]
            )
        except InvalidCompositionError as exc:
            raise _row_error(exc, rows, members, path) from exc
        grams[np.ix_(members, order)] = state.solute_mass_g_per_kg_water
        present[np.ix_(members, order)] = True
        if state.density is not None:
            volume[members] = state.density.volume_ml_per_kg_water

    # Sera: their volume is part of the aqueous solvent; their mass is the volume they fill.
    for i, canon in enumerate(canon_rows):
        fluids = [(name, a) for name, a, _ in canon if name in solvent_like]
        if not fluids:
            continue
        share = sum(a for _, a in fluids) / 100.0
        if share * volume[i] > water_volume * (1.0 + SOLVENT_VOLUME_TOLERANCE):
            listed = ", ".join(f"{name} {a:g} % v/v" for name, a in fluids)
            raise InvalidCompositionError(
                f"row {rows[i].row_id!r}: {listed} need more volume than the water left "
                "beside the other components",
                field=f"{path}[{i}].composition",
                details={"row_ids": [rows[i].row_id]},
            )
        for name, a in fluids:
            grams[i, col[name]] = min(
                a / 100.0 * volume[i] * composition.WATER_DENSITY_20C_G_PER_ML, 1000.0
            )
            present[i, col[name]] = True

    molar = np.array(
        [infos[name].molar_mass_g_per_mol or math.nan for name in names], dtype=np.float64
    )
    has_mass = np.isfinite(molar)
    with np.errstate(invalid="ignore"):
        molality = np.where(present, grams / np.where(has_mass, molar, 1.0), 0.0)
    molality[:, ~has_mass] = np.where(present[:, ~has_mass], math.nan, 0.0)
    # Sera are part of the 1000 g of "water": their mass is not added to the solution's.
    solvent = np.array([name in solvent_like for name in names], dtype=np.bool_)
    total_mass = 1000.0 + grams[:, ~solvent].sum(axis=1)
    mass_fraction = grams / total_mass[:, None]
    known_molality = np.where(has_mass, np.nan_to_num(molality), 0.0)
    water_mol = 1000.0 / composition.WATER_MOLAR_MASS_G_PER_MOL
    mole_fraction = known_molality / (water_mol + known_molality.sum(axis=1))[:, None]

    osmolality = np.zeros(n)
    melting_c = np.zeros(n)
    thermo_cols = [k for k in range(len(names)) if has_mass[k]]
    if thermo_cols:
        result = thermo.solution_thermo(
            known_molality[:, thermo_cols], [names[k] for k in thermo_cols]
        )
        osmolality = np.asarray(result.osmolality_osmol_per_kg, dtype=np.float64).reshape(n)
        melting_c = np.asarray(result.melting_point_c, dtype=np.float64).reshape(n)
    if names:
        tg = glass.solution_tg(
            np.where(solvent, 0.0, mass_fraction), list(names), allow_estimate=True
        ).tg_k
        tg_k = np.asarray(tg, dtype=np.float64).reshape(n)
    else:
        tg_k = np.full(n, glass.water_tg().value)

    desc_matrix = np.zeros((len(names), len(DESCRIPTOR_NAMES)))
    for k, name in enumerate(names):
        smiles = infos[name].smiles
        if smiles is not None and has_mass[k]:
            desc_matrix[k] = _descriptor_vector(smiles)
    descriptors = mole_fraction @ desc_matrix

    return RowQuantities(
        components=names,
        molality=molality,
        mass_fraction=mass_fraction,
        mole_fraction=mole_fraction,
        present=present,
        solvent=solvent,
        osmolality=osmolality,
        melting_point_c=melting_c,
        tg_k=tg_k,
        descriptors=descriptors,
        conditions=tuple(row.conditions for row in rows),
    )


def _row_error(
    exc: InvalidCompositionError, rows: Sequence[DatasetRow], members: list[int], path: str
) -> InvalidCompositionError:
    """Re-state a conversion error of a group of rows in terms of the dataset's rows."""
    local = exc.details.get("rows")
    if local:
        index = [members[int(b)] for b in local]
    elif len(members) == 1:
        index = [members[0]]
    else:  # not localised by the conversion: name every row of the group
        index = list(members)
    message = re.sub(r"^composition \d+: ", "", exc.message)
    return InvalidCompositionError(
        f"row {rows[index[0]].row_id!r}: {message}",
        field=f"{path}[{index[0]}].composition",
        details={"row_ids": [rows[i].row_id for i in index]},
    )


# --- the featurizer -----------------------------------------------------------------------


def _rows_of(rows: Dataset | Sequence[DatasetRow]) -> Sequence[DatasetRow]:
    return rows.rows if isinstance(rows, Dataset) else rows


@FEATURIZERS.register("composition_physics_v1")
class CompositionPhysicsFeaturizer:
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
        return compute_quantities(_rows_of(rows), self.resolve)

    # -- fit / transform --

    def fit(self, rows: Dataset | Sequence[DatasetRow]) -> CompositionPhysicsFeaturizer:
        """Learn the vocabulary and imputation values from training rows."""
        row_list = _rows_of(rows)
        return self.fit_quantities(self.quantities(row_list), row_list)

    def fit_quantities(
        self, q: RowQuantities, rows: Sequence[DatasetRow]
    ) -> CompositionPhysicsFeaturizer:
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

    def transform(self, rows: Dataset | Sequence[DatasetRow]) -> tuple[FloatArray, list[str]]:
        """Feature matrix (N, F) and the feature names.

        Raises:
            ValidationError: unknown component (named) or unsupported unit.
            InvalidCompositionError: an impossible composition (the row is named).
        """
        self._check_fitted()
        return self.assemble(self.quantities(rows)), self.feature_names

    def fit_transform(self, rows: Dataset | Sequence[DatasetRow]) -> tuple[FloatArray, list[str]]:
        """:meth:`fit` then :meth:`transform` on the same rows."""
        row_list = _rows_of(rows)
        q = self.quantities(row_list)
        self.fit_quantities(q, row_list)
        return self.assemble(q), self.feature_names

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


__all__ = [
    "DESCRIPTOR_NAMES",
    "FEATURIZERS",
    "Component",
    "CompositionPhysicsFeaturizer",
    "Featurizer",
    "RowQuantities",
    "compute_quantities",
    "featurizer_from_state",
    "make_featurizer",
]
