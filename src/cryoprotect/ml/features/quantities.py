"""Per-row physical quantities of formulations (stateless given the component information).

:func:`compute_quantities` turns rows into :class:`RowQuantities`: molality, mass and mole
fractions, osmolality, melting point, Tg and mole-fraction-weighted descriptors.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.ml.components import ComponentInfo
from cryoprotect.ml.datasets import DatasetRow, check_unit
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
