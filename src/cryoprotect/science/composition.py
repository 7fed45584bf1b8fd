"""Composition units of aqueous solutions of one or more solutes, converted exactly.

This module owns the conversion between the units in which CPA solutions are written down,
and the solution density that the volume-based units need. Everything is at 20 °C, the
temperature of the density data.

Units (the API strings, :data:`UNITS`):

=================  ==============================================================
``mol/kg``         molality: mol of solute per kg of *water*
``% w/w``          g of solute per 100 g of solution
``mole fraction``  mol of solute / (mol of water + Σ mol of solutes); formula units
                   (an electrolyte counts once, undissociated)
``mol/L``          mol of solute per L of solution
``mmol/L``         mmol of solute per L of solution
``g/L``            g of solute per L of solution
``% w/v``          g of solute per 100 mL of solution
``% v/v``          mL of the pure solute (20 °C) per 100 mL of solution
=================  ==============================================================

**Canonical state.** Any composition is reduced to the mass of each solute dissolved in
1 kg of water, ``g_i`` (g per kg water; the molality is ``m_i = g_i / M_i``). The first three
units are exact functions of ``g`` alone. The other five also need ``V``, the volume (mL) of
the solution that contains 1 kg of water, i.e. a density ``ρ = (1000 g + Σ g_i) / V``.

**Density model** (:func:`density`). ``V = V_w + Σ_i ΔV_i(g_i)``, with ``V_w = 1000 g / ρ_w``
and ``ΔV_i`` the volume that solute *i* adds to 1 kg of water:

* *Solute with CRC data* — ``ΔV_i`` is read from the measured density of its binary aqueous
  solution (CRC Handbook, ``params/crc_densities_20c.csv``), interpolated in mass fraction by
  a monotone piecewise-cubic Hermite interpolant (PCHIP: Fritsch & Carlson, SIAM J Numer Anal
  17:238, 1980, with the weighted-harmonic-mean slopes of Fritsch & Butland, SIAM J Sci Stat
  Comput 5:300, 1984, and the end conditions of SciPy's ``PchipInterpolator``, which the tests
  check it equals) through ``(0, ρ_w)``, every CRC row, and,
  where the table stops short of 100 % and the pure liquid's density is known, ``(1, ρ°)``.
  For a one-solute solution this *is* the measured binary density
  (``"CRC measured, binary, interpolated …"``). Beyond the last row of a solid (a salt or
  sugar), ``ΔV_i`` continues with the apparent molar volume of that last row, and the method
  string of that composition says so.
* *Several solutes* — the increments add: each solute contributes the volume change it makes
  in its own binary solution at the same molality, ``ΔV_i = V_binary,i(m_i) − V_w`` (its CRC
  apparent molar volume at ``m_i`` times ``m_i``). This is additivity of apparent molar
  volumes in the spirit of Young's rule (Young & Smith, J Phys Chem 58:716, 1954), taken at
  each solute's own molality rather than at a common ionic strength; it neglects the excess
  volume of solute–solute interaction.
* *Solute without CRC data but with a pure-liquid density* (DMSO, propylene glycol,
  formamide; ``params/pure_densities.csv``) — ideal mixing, ``ΔV_i = g_i / ρ°_i``.
* *Solute with neither* — no density: the volume-based units raise
  :class:`~cryoprotect.errors.InvalidCompositionError` naming it; the mass- and mole-based
  units still work.

Every result carries the method and its sources (``density_method``, ``density_source``).

**Mixed input units.** Each component's amount fixes its ``g_i`` up to one of three totals —
the solution mass ``1000 + Σ g`` (``% w/w``), the total amount of substance
``1000/M_w + Σ g/M`` (``mole fraction``) or the volume ``V`` (the volume-based units). For a
given ``V`` the first two make a 2 × 2 linear system, solved in closed form, so ``g`` is an
affine function of ``V``. ``V`` then solves the scalar equation ``V = V_w + Σ ΔV_i(g_i(V))``,
bracketed and solved per composition by the Illinois variant of regula falsi until the
residual is below ``1e-13 · V`` (:data:`SOLVER_RELATIVE_TOLERANCE`); with mass- and
mole-based inputs only, no iteration is needed. Compositions that leave no room for water
(fractions summing to ≥ 100 %, volumes beyond 100 %, more solute mass per litre than a
litre of solution can weigh) raise :class:`~cryoprotect.errors.InvalidCompositionError`
with ``field = "components[j].amount"`` and the solutes named. Solubility limits are not
checked.

Vectorised: :func:`to_molality`, :func:`from_molality` and :func:`density` take
``(N, n)`` arrays — N compositions of the same n solutes, each column in one unit — and do
the work for all N at once. :func:`convert` and :func:`all_units` are the one-composition
conveniences built on them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cryoprotect.errors import InvalidCompositionError

__all__ = [
    "CRC_SOURCE",
    "METHOD_ADDITIVE",
    "METHOD_CRC_BINARY",
    "METHOD_IDEAL",
    "UNITS",
    "VOLUME_UNITS",
    "WATER_DENSITY_20C_G_PER_ML",
    "WATER_MOLAR_MASS_G_PER_MOL",
    "Component",
    "ConversionResult",
    "DensityEstimate",
    "SolutionState",
    "Solute",
    "all_units",
    "convert",
    "density",
    "from_molality",
    "get_solute",
    "known_solutes",
    "to_molality",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# --- constants ----------------------------------------------------------------------------

UNITS: Final[tuple[str, ...]] = (
    "mol/L",
    "mmol/L",
    "mol/kg",
    "% w/w",
    "% w/v",
    "% v/v",
    "g/L",
    "mole fraction",
)
"""The composition units, as the API spells them."""
VOLUME_UNITS: Final[frozenset[str]] = frozenset({"mol/L", "mmol/L", "g/L", "% w/v", "% v/v"})
"""Units that refer to the solution volume and therefore need a density."""

WATER_MOLAR_MASS_G_PER_MOL: Final = 18.01528
"""Molar mass of water, 2 × 1.00794 + 15.9994 g/mol (IUPAC standard atomic weights of H and O)."""
WATER_DENSITY_20C_G_PER_ML: Final = 0.998203
"""Density of air-free water at 20 °C, g/mL."""
WATER_DENSITY_SOURCE: Final = (
    "water 0.998203 g/mL at 20 °C: Kell GS, J Chem Eng Data 20:97 (1975), equation re-expressed "
    "on ITS-90 by Bettin & Spieweck (1990), which gives 998.2031 kg/m³"
)
CRC_SOURCE: Final = (
    "CRC Handbook of Chemistry and Physics, 102nd ed. (2021), 'Concentrative properties of "
    "aqueous solutions', 20 °C (from Wolf, Aqueous Solutions and Body Fluids, 1966); "
    "transcribed in amosonabike/CRC-Solution-Properties- @5eb7053b (MIT)"
)

METHOD_CRC_BINARY: Final = (
    "CRC measured, binary, interpolated in mass fraction (monotone cubic Hermite, PCHIP)"
)
METHOD_IDEAL: Final = "ideal mixing of pure-component densities"
METHOD_ADDITIVE: Final = (
    "additive apparent molar volumes (Young's rule) from CRC binaries, each at the solute's "
    "own molality"
)

SOLVER_RELATIVE_TOLERANCE: Final = 1e-13
"""Mixed units: stop when |V − V_w − Σ ΔV_i| ≤ this × V (V in mL per kg water)."""
SOLVER_MAX_ITERATIONS: Final = 200

PARAMS_DIR: Final = Path(__file__).resolve().parent / "params"
CRC_TABLE: Final = PARAMS_DIR / "crc_densities_20c.csv"
PURE_TABLE: Final = PARAMS_DIR / "pure_densities.csv"

_WATER_G: Final = 1000.0  # the canonical state holds 1 kg of water
_WATER_MOL: Final = _WATER_G / WATER_MOLAR_MASS_G_PER_MOL
_WATER_VOLUME_ML: Final = _WATER_G / WATER_DENSITY_20C_G_PER_ML
_MAX_SOLUTE_G_PER_KG_WATER: Final = 1.0e15  # mass fraction 1 − 10⁻¹²; keeps sums finite

_Kind = Literal["molal", "mass fraction", "mole fraction", "volume"]
_KIND: Final[dict[str, _Kind]] = {
    "mol/kg": "molal",
    "% w/w": "mass fraction",
    "mole fraction": "mole fraction",
    "mol/L": "volume",
    "mmol/L": "volume",
    "g/L": "volume",
    "% w/v": "volume",
    "% v/v": "volume",
}


# --- data model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Solute:
    """A solute as the unit conversion needs it.

    Attributes:
        name: display name, also the key (two solutes of one solution must differ in name).
        molar_mass_g_per_mol: molar mass M, g/mol.
        pure_density_g_per_ml: density of the pure liquid at 20 °C, g/mL; ``None`` for solids
            (needed for ``% v/v``, and for the solution density of a solute without CRC data).
        density_source: where ``pure_density_g_per_ml`` comes from.
        crc_key: the solute's name in the CRC binary-density table, if it is there.
    """

    name: str
    molar_mass_g_per_mol: float
    pure_density_g_per_ml: float | None = None
    density_source: str | None = None
    crc_key: str | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise InvalidCompositionError("a solute needs a name", field="solute.name")
        if not (math.isfinite(self.molar_mass_g_per_mol) and self.molar_mass_g_per_mol > 0):
            raise InvalidCompositionError(
                f"molar mass of {self.name} must be a positive number of g/mol",
                field="solute.molar_mass_g_per_mol",
            )
        density = self.pure_density_g_per_ml
        if density is not None and not (math.isfinite(density) and density > 0):
            raise InvalidCompositionError(
                f"pure density of {self.name} must be a positive number of g/mL",
                field="solute.pure_density_g_per_ml",
            )
        if self.crc_key is not None and self.crc_key not in _crc_binaries():
            raise InvalidCompositionError(
                f"{self.crc_key!r} is not a solute of the CRC density table",
                field="solute.crc_key",
            )

    @property
    def has_density_data(self) -> bool:
        """Whether the solution density can be computed with this solute in it."""
        return self.crc_key is not None or self.pure_density_g_per_ml is not None


@dataclass(frozen=True)
class Component:
    """One solute of a solution and its amount.

    Attributes:
        solute: the solute.
        amount: the amount, in ``unit``.
        unit: one of :data:`UNITS`.
    """

    solute: Solute
    amount: float
    unit: str


@dataclass(frozen=True, eq=False)
class DensityEstimate:
    """Density of N solutions and how it was obtained.

    Attributes:
        density_g_per_ml: solution density at 20 °C, shape (N,).
        volume_ml_per_kg_water: volume of the solution that holds 1 kg of water, shape (N,).
        method: the density method of each composition (N strings).
        source: the data behind it.
    """

    density_g_per_ml: FloatArray
    volume_ml_per_kg_water: FloatArray
    method: tuple[str, ...]
    source: str


@dataclass(frozen=True, eq=False)
class SolutionState:
    """The canonical state of N solutions of the same solutes.

    Attributes:
        solutes: the n solutes, in column order.
        solute_mass_g_per_kg_water: g of each solute per kg of water, shape (N, n).
        density: the solution density, or ``None`` when a solute has no density data.
    """

    solutes: tuple[Solute, ...]
    solute_mass_g_per_kg_water: FloatArray
    density: DensityEstimate | None

    @property
    def molality_mol_per_kg(self) -> FloatArray:
        """Molality of each solute, mol per kg water, shape (N, n)."""
        return self.solute_mass_g_per_kg_water / _molar_masses(self.solutes)

    def amounts(self, units: str | Sequence[str]) -> FloatArray:
        """Express the solutions in ``units`` (one unit, or one per solute).

        Returns:
            Amounts, shape (N, n).

        Raises:
            InvalidCompositionError: a volume-based unit without density data, or ``% v/v``
                for a solute without a pure-liquid density.
        """
        unit_list = _check_units(units, self.solutes)
        volume = None
        if any(u in VOLUME_UNITS for u in unit_list):
            volume = self._volume()
        return _express(self.solute_mass_g_per_kg_water, self.solutes, unit_list, volume)

    def _volume(self) -> FloatArray:
        if self.density is None:
            _raise_no_density(self.solutes, target=True)
        return self.density.volume_ml_per_kg_water


@dataclass(frozen=True)
class ConversionResult:
    """One composition expressed in one or more units.

    Attributes:
        solutes: solute names, in the order of the input components.
        amounts: unit → the amount of each component in that unit (``None`` where the unit
            cannot be computed; ``notes`` says why).
        density_g_per_ml: the solution density at 20 °C, or ``None`` without density data.
        density_method: how the density was obtained.
        density_source: the data behind the density.
        notes: why some amounts are ``None``.
    """

    solutes: tuple[str, ...]
    amounts: dict[str, list[float | None]]
    density_g_per_ml: float | None
    density_method: str | None
    density_source: str | None
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "solutes": list(self.solutes),
            "amounts": {unit: list(values) for unit, values in self.amounts.items()},
            "density_g_per_ml": self.density_g_per_ml,
            "density_method": self.density_method,
            "density_source": self.density_source,
            "notes": list(self.notes),
        }


# --- public API ---------------------------------------------------------------------------


def get_solute(name: str) -> Solute:
    """Look up a solute with density data by name, synonym or CAS number (exact, any case).

    Args:
        name: e.g. ``"DMSO"``, ``"Ethylene glycol"``, ``"1,2-Ethanediol"``, ``"7647-14-5"``.

    Raises:
        InvalidCompositionError: no solute has that name.
    """
    solute = _registry()[1].get(name.strip().casefold())
    if solute is None:
        raise InvalidCompositionError(
            f"no density data for a solute called {name!r}; define a Solute with its molar mass",
            field="solute",
        )
    return solute


def known_solutes() -> tuple[Solute, ...]:
    """Every solute shipped with density data (pure-liquid table first, then the CRC table)."""
    return _registry()[0]


def to_molality(
    amounts: ArrayLike, units: str | Sequence[str], solutes: Sequence[Solute]
) -> SolutionState:
    """Convert N compositions to the canonical state (molality, density).

    Args:
        amounts: shape (N, n) (or (n,) for one composition): amount of each solute.
        units: the unit of every column, or one unit per column (mixed units are solved).
        solutes: the n solutes, in column order.

    Returns:
        The canonical state; ``.molality_mol_per_kg`` is the molality, ``.amounts(unit)``
        re-expresses it.

    Raises:
        InvalidCompositionError: negative or non-finite amounts, an unknown unit, fractions or
            volumes that leave no room for water, or a volume-based unit without density data;
            ``field`` is ``"components[j].amount"`` (or ``.unit``) of the offending column.
    """
    solute_tuple = _check_solutes(solutes)
    unit_list = _check_units(units, solute_tuple)
    values = _as_matrix(amounts, len(solute_tuple), "amounts")
    _check_amounts(values, unit_list, solute_tuple)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        masses = _solve_masses(values, unit_list, solute_tuple)
    _check_representable(masses, solute_tuple)
    return _state(masses, solute_tuple)


def from_molality(
    molality: ArrayLike, units: str | Sequence[str], solutes: Sequence[Solute]
) -> FloatArray:
    """Express N compositions given as molalities in ``units``.

    Args:
        molality: shape (N, n) (or (n,)), mol of each solute per kg water.
        units: the target unit, or one per solute.
        solutes: the n solutes, in column order.

    Returns:
        Amounts, shape (N, n).

    Raises:
        InvalidCompositionError: negative molality, or a volume-based unit without density data.
    """
    solute_tuple = _check_solutes(solutes)
    masses = _molality_to_masses(molality, solute_tuple)
    return _state(masses, solute_tuple).amounts(units)


def density(molality: ArrayLike, solutes: Sequence[Solute]) -> DensityEstimate:
    """Density at 20 °C of N solutions given as molalities (see the module docstring).

    Args:
        molality: shape (N, n) (or (n,)), mol of each solute per kg water.
        solutes: the n solutes, in column order.

    Raises:
        InvalidCompositionError: negative molality, or a solute without density data.
    """
    solute_tuple = _check_solutes(solutes)
    masses = _molality_to_masses(molality, solute_tuple)
    if not all(s.has_density_data for s in solute_tuple):
        _raise_no_density(solute_tuple, target=True)
    return _estimate_density(masses, solute_tuple)


def convert(components: Sequence[Component], to_unit: str) -> ConversionResult:
    """Express one solution's components in ``to_unit``.

    Args:
        components: the solutes and their amounts, each in its own unit.
        to_unit: one of :data:`UNITS`.

    Returns:
        ``amounts[to_unit]`` holds the amount of each component, in input order.

    Raises:
        InvalidCompositionError: an impossible composition, or a unit that needs density data
            the solution lacks.
    """
    if to_unit not in UNITS:
        raise InvalidCompositionError(
            f"unknown unit {to_unit!r}; use one of {', '.join(UNITS)}", field="to_unit"
        )
    state = _state_of(components)
    values = state.amounts(to_unit)[0]
    return _result(state, {to_unit: [float(v) for v in values]}, ())


def all_units(components: Sequence[Component]) -> ConversionResult:
    """Express one solution's components in every unit of :data:`UNITS`.

    Units that cannot be computed (volume-based units without density data, ``% v/v`` of a
    solute without a pure-liquid density) hold ``None``, and ``notes`` says why.

    Raises:
        InvalidCompositionError: an impossible composition.
    """
    state = _state_of(components)
    n = len(state.solutes)
    amounts: dict[str, list[float | None]] = {}
    notes: list[str] = []
    for unit in UNITS:
        if unit in VOLUME_UNITS and state.density is None:
            amounts[unit] = [None] * n
            continue
        if unit == "% v/v":
            volume = state._volume()
            row: list[float | None] = []
            for j, solute in enumerate(state.solutes):
                if solute.pure_density_g_per_ml is None:
                    row.append(None)
                    notes.append(
                        f"% v/v of {solute.name} needs its pure-liquid density (none known)"
                    )
                else:
                    grams = state.solute_mass_g_per_kg_water[:, j : j + 1]
                    value = _express(grams, (solute,), ("% v/v",), volume)[0, 0]
                    row.append(float(value))
            amounts[unit] = row
            continue
        amounts[unit] = [float(v) for v in state.amounts(unit)[0]]
    if state.density is None:
        lacking = ", ".join(s.name for s in state.solutes if not s.has_density_data)
        notes.insert(0, f"volume-based units need a density; none is known for {lacking}")
    return _result(state, amounts, tuple(notes))


# --- validation ---------------------------------------------------------------------------


def _fail(message: str, field: str, bad_rows: BoolArray | None = None) -> NoReturn:
    details: dict[str, Any] = {}
    if bad_rows is not None and bad_rows.size > 1:
        rows = np.flatnonzero(bad_rows)
        details["rows"] = [int(r) for r in rows[:10]]
        details["row_count"] = int(rows.size)
        message = f"composition {int(rows[0])}: {message}"
    raise InvalidCompositionError(message, field=field, details=details)


def _check_solutes(solutes: Sequence[Solute]) -> tuple[Solute, ...]:
    solute_tuple = tuple(solutes)
    if not solute_tuple:
        raise InvalidCompositionError("a solution needs at least one solute", field="components")
    seen: dict[str, int] = {}
    for j, solute in enumerate(solute_tuple):
        if not isinstance(solute, Solute):
            raise InvalidCompositionError(
                f"components[{j}].solute is not a Solute", field=f"components[{j}].solute"
            )
        key = solute.name.strip().casefold()
        if key in seen:
            raise InvalidCompositionError(
                f"{solute.name} appears twice (components[{seen[key]}] and components[{j}]); "
                "give each solute once",
                field=f"components[{j}].solute",
            )
        seen[key] = j
    return solute_tuple


def _check_units(units: str | Sequence[str], solutes: tuple[Solute, ...]) -> tuple[str, ...]:
    unit_list = (units,) * len(solutes) if isinstance(units, str) else tuple(units)
    if len(unit_list) != len(solutes):
        raise InvalidCompositionError(
            f"{len(unit_list)} units for {len(solutes)} solutes", field="units"
        )
    for j, unit in enumerate(unit_list):
        if unit not in UNITS:
            raise InvalidCompositionError(
                f"unknown unit {unit!r} for {solutes[j].name}; use one of {', '.join(UNITS)}",
                field=f"components[{j}].unit",
            )
    return unit_list


def _as_matrix(values: ArrayLike, n: int, what: str) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidCompositionError(f"{what} must be numbers", field=what) from exc
    if array.ndim == 1 and array.size == n:
        array = array.reshape(1, n)
    if array.ndim != 2 or array.shape[1] != n:
        raise InvalidCompositionError(
            f"{what} must have shape (N, {n}), got {array.shape}", field=what
        )
    return array


def _check_amounts(values: FloatArray, units: tuple[str, ...], solutes: tuple[Solute, ...]) -> None:
    for j, solute in enumerate(solutes):
        column = values[:, j]
        field = f"components[{j}].amount"
        finite = np.isfinite(column)
        if not finite.all():
            _fail(f"amount of {solute.name} is not a finite number", field, ~finite)
        negative = column < 0
        if negative.any():
            value = column[np.argmax(negative)]
            _fail(f"amount of {solute.name} is negative ({value:g} {units[j]})", field, negative)
        if units[j] == "% v/v" and solute.pure_density_g_per_ml is None:
            raise InvalidCompositionError(
                f"% v/v of {solute.name} needs its pure-liquid density, which is not known: "
                "give the amount in mol/kg or % w/w",
                field=f"components[{j}].unit",
            )
    if any(u in VOLUME_UNITS for u in units) and not all(s.has_density_data for s in solutes):
        _raise_no_density(solutes, target=False, units=units)
    _check_sum(values, units, solutes, "% w/w", 100.0, "mass fractions")
    _check_sum(values, units, solutes, "mole fraction", 1.0, "mole fractions")
    _check_sum(values, units, solutes, "% v/v", 100.0, "volume fractions")


def _check_sum(
    values: FloatArray,
    units: tuple[str, ...],
    solutes: tuple[Solute, ...],
    unit: str,
    limit: float,
    label: str,
) -> None:
    columns = [j for j, u in enumerate(units) if u == unit]
    if not columns:
        return
    total = values[:, columns].sum(axis=1)
    bad = total >= limit
    if not bad.any():
        return
    row = int(np.argmax(bad))
    running = np.cumsum(values[row, columns])
    culprit = columns[int(np.argmax(running >= limit))]
    listed = ", ".join(f"{solutes[j].name} {values[row, j]:g} {unit}" for j in columns)
    _fail(
        f"{label} add up to {total[row]:g} {unit} (≥ {limit:g}), leaving no water: {listed}",
        f"components[{culprit}].amount",
        bad,
    )


def _raise_no_density(
    solutes: tuple[Solute, ...], *, target: bool, units: tuple[str, ...] | None = None
) -> NoReturn:
    j = next(i for i, s in enumerate(solutes) if not s.has_density_data)
    name = solutes[j].name
    if target:
        raise InvalidCompositionError(
            f"no density for {name}: volume-based units (mol/L, mmol/L, g/L, % w/v, % v/v) "
            "cannot be computed for a solution containing it; use mol/kg, % w/w or mole fraction",
            field=f"components[{j}]",
        )
    volume_columns = [i for i, u in enumerate(units or ()) if u in VOLUME_UNITS]
    field = (
        f"components[{j}].unit" if j in volume_columns else f"components[{volume_columns[0]}].unit"
    )
    raise InvalidCompositionError(
        f"no density for {name}: give the amount in mol/kg or % w/w (a volume-based unit in "
        "this solution needs the density of every solute in it)",
        field=field,
    )


def _molar_masses(solutes: tuple[Solute, ...]) -> FloatArray:
    return np.array([s.molar_mass_g_per_mol for s in solutes], dtype=np.float64)


def _molality_to_masses(molality: ArrayLike, solutes: tuple[Solute, ...]) -> FloatArray:
    values = _as_matrix(molality, len(solutes), "molality")
    _check_amounts(values, ("mol/kg",) * len(solutes), solutes)
    with np.errstate(over="ignore"):
        masses = values * _molar_masses(solutes)
    _check_representable(masses, solutes)
    return masses


def _check_representable(masses: FloatArray, solutes: tuple[Solute, ...]) -> None:
    """Refuse compositions with less than one part of water in 10¹² (and overflow)."""
    too_large: BoolArray = ~(masses <= _MAX_SOLUTE_G_PER_KG_WATER)
    if too_large.any():
        bad_rows: BoolArray = np.any(too_large, axis=1)
        j = int(np.argmax(np.any(too_large, axis=0)))
        _fail(
            f"{solutes[j].name} is too concentrated to convert (less than one part of water "
            "in 10¹²)",
            f"components[{j}].amount",
            bad_rows,
        )


def _state_of(components: Sequence[Component]) -> SolutionState:
    component_list = list(components)
    for j, component in enumerate(component_list):
        if not isinstance(component, Component):
            raise InvalidCompositionError(
                f"components[{j}] is not a Component", field=f"components[{j}]"
            )
    solutes = [c.solute for c in component_list]
    units = [c.unit for c in component_list]
    amounts: list[float] = []
    for j, component in enumerate(component_list):
        try:
            amounts.append(float(component.amount))
        except (TypeError, ValueError) as exc:
            raise InvalidCompositionError(
                f"amount of {component.solute.name} is not a number",
                field=f"components[{j}].amount",
            ) from exc
    return to_molality(np.array([amounts], dtype=np.float64).reshape(1, -1), units, solutes)


def _result(
    state: SolutionState, amounts: dict[str, list[float | None]], notes: tuple[str, ...]
) -> ConversionResult:
    estimate = state.density
    return ConversionResult(
        solutes=tuple(s.name for s in state.solutes),
        amounts=amounts,
        density_g_per_ml=None if estimate is None else float(estimate.density_g_per_ml[0]),
        density_method=None if estimate is None else estimate.method[0],
        density_source=None if estimate is None else estimate.source,
        notes=notes,
    )


# --- the canonical state ------------------------------------------------------------------


def _mass_concentration_factor(unit: str, solute: Solute) -> float:
    """g of solute per mL of solution for one unit of ``amount`` in a volume-based unit."""
    if unit == "mol/L":
        return solute.molar_mass_g_per_mol / 1000.0
    if unit == "mmol/L":
        return solute.molar_mass_g_per_mol / 1.0e6
    if unit == "g/L":
        return 1.0 / 1000.0
    if unit == "% w/v":
        return 1.0 / 100.0
    if unit == "% v/v" and solute.pure_density_g_per_ml is not None:
        return solute.pure_density_g_per_ml / 100.0
    raise InvalidCompositionError(  # pragma: no cover - validated before
        f"{unit} of {solute.name} cannot be computed", field="unit"
    )


def _express(
    masses: FloatArray,
    solutes: tuple[Solute, ...],
    units: tuple[str, ...],
    volume: FloatArray | None,
) -> FloatArray:
    """Amounts in ``units`` from g of solute per kg water (and the volume per kg water)."""
    molar = _molar_masses(solutes)
    out = np.empty_like(masses)
    total_mass = _WATER_G + masses.sum(axis=1)
    total_mol = _WATER_MOL + (masses / molar).sum(axis=1)
    for j, unit in enumerate(units):
        grams = masses[:, j]
        kind = _KIND[unit]
        if kind == "molal":
            out[:, j] = grams / molar[j]
        elif kind == "mass fraction":
            out[:, j] = 100.0 * grams / total_mass
        elif kind == "mole fraction":
            out[:, j] = grams / molar[j] / total_mol
        else:
            if volume is None:  # pragma: no cover - callers pass the volume
                raise InvalidCompositionError(f"{unit} needs a density", field="unit")
            if unit == "% v/v" and solutes[j].pure_density_g_per_ml is None:
                raise InvalidCompositionError(
                    f"% v/v of {solutes[j].name} needs its pure-liquid density, which is not known",
                    field=f"components[{j}]",
                )
            out[:, j] = grams / volume / _mass_concentration_factor(unit, solutes[j])
    return out


def _solve_masses(
    values: FloatArray, units: tuple[str, ...], solutes: tuple[Solute, ...]
) -> FloatArray:
    """g of each solute per kg water from amounts in (possibly mixed) units."""
    molar = _molar_masses(solutes)
    kinds = [_KIND[u] for u in units]
    cols = {k: [j for j, kind in enumerate(kinds) if kind == k] for k in set(kinds)}
    molal = cols.get("molal", [])
    mass_fraction = cols.get("mass fraction", [])
    mole_fraction = cols.get("mole fraction", [])
    volume = cols.get("volume", [])
    n_rows = values.shape[0]

    w = values[:, mass_fraction] / 100.0
    x = values[:, mole_fraction]
    sum_w = w.sum(axis=1)
    sum_x = x.sum(axis=1)
    b = (x * molar[mole_fraction]).sum(axis=1)
    d = (w / molar[mass_fraction]).sum(axis=1)
    det = (1.0 - sum_w) * (1.0 - sum_x) - b * d
    if mass_fraction and mole_fraction:
        bad = ~(det > 0)
        if bad.any():
            row = int(np.argmax(bad))
            listed = ", ".join(
                f"{solutes[j].name} {values[row, j]:g} {units[j]}"
                for j in (*mass_fraction, *mole_fraction)
            )
            _fail(
                f"mass and mole fractions together leave no water: {listed}",
                f"components[{max(*mass_fraction, *mole_fraction)}].amount",
                bad,
            )

    # Fixed masses (mol/kg) and, per mL of solution, the volume-based ones.
    fixed = values[:, molal] * molar[molal]
    factors = np.array([_mass_concentration_factor(units[j], solutes[j]) for j in volume])
    per_volume = values[:, volume] * factors  # g per mL of solution
    a0 = fixed.sum(axis=1)
    n0 = values[:, molal].sum(axis=1)
    a1 = per_volume.sum(axis=1)
    n1 = (per_volume / molar[volume]).sum(axis=1)

    # Total mass M_t and amount N_t per kg water, affine in V: (1 − Σw)M_t − b N_t = 1000 + a,
    # −d M_t + (1 − Σx) N_t = n_w + n, with a = a0 + a1 V and n = n0 + n1 V.
    mass_0 = ((_WATER_G + a0) * (1.0 - sum_x) + b * (_WATER_MOL + n0)) / det
    mol_0 = ((1.0 - sum_w) * (_WATER_MOL + n0) + d * (_WATER_G + a0)) / det
    mass_1 = (a1 * (1.0 - sum_x) + b * n1) / det
    mol_1 = ((1.0 - sum_w) * n1 + d * a1) / det

    g0 = np.zeros((n_rows, len(solutes)))
    g1 = np.zeros((n_rows, len(solutes)))
    g0[:, molal] = fixed
    g0[:, mass_fraction] = w * mass_0[:, None]
    g1[:, mass_fraction] = w * mass_1[:, None]
    g0[:, mole_fraction] = x * molar[mole_fraction] * mol_0[:, None]
    g1[:, mole_fraction] = x * molar[mole_fraction] * mol_1[:, None]
    g1[:, volume] = per_volume
    if not volume:
        return g0
    solution_volume = _solve_volume(g0, g1, solutes, values, units, volume)
    return g0 + g1 * solution_volume[:, None]


def _solve_volume(
    g0: FloatArray,
    g1: FloatArray,
    solutes: tuple[Solute, ...],
    values: FloatArray,
    units: tuple[str, ...],
    volume_columns: list[int],
) -> FloatArray:
    """Solve V = V_w + Σ ΔV_i(g0_i + g1_i V) for every row (Illinois regula falsi)."""
    models = [_volume_model(s) for s in solutes]

    def residual(v: FloatArray, rows: NDArray[np.intp]) -> FloatArray:
        grams = g0[rows] + g1[rows] * v[:, None]
        total = np.full(v.shape, _WATER_VOLUME_ML)
        for i, model in enumerate(models):
            total = total + model.delta_volume(grams[:, i])
        return total - v

    n_rows = g0.shape[0]
    every = np.arange(n_rows)
    lo = np.zeros(n_rows)
    f_lo = residual(lo, every)
    hi = np.maximum(2.0 * f_lo, _WATER_VOLUME_ML)
    f_hi = residual(hi, every)
    for _ in range(64):  # expand the bracket until the residual changes sign
        open_rows = np.flatnonzero(f_hi > 0)
        if open_rows.size == 0:
            break
        lo[open_rows] = hi[open_rows]
        f_lo[open_rows] = f_hi[open_rows]
        hi[open_rows] *= 2.0
        f_hi[open_rows] = residual(hi[open_rows], open_rows)
    unbounded = ~(f_hi <= 0)
    if unbounded.any():
        _raise_overfull(values, units, solutes, volume_columns, unbounded)

    result = hi.copy()
    side = np.zeros(n_rows, dtype=np.int8)
    active = every
    for _ in range(SOLVER_MAX_ITERATIONS):
        a, fa, b_, fb = lo[active], f_lo[active], hi[active], f_hi[active]
        x = (a * fb - b_ * fa) / (fb - fa)
        x = np.where((x > a) & (x < b_), x, 0.5 * (a + b_))
        fx = residual(x, active)
        result[active] = x
        done = (np.abs(fx) <= SOLVER_RELATIVE_TOLERANCE * x) | (
            b_ - a <= 4.0 * np.finfo(np.float64).eps * b_
        )
        above = fx > 0  # the root lies above x: x becomes the new lower end
        s = side[active]
        new_lo = np.where(above, x, a)
        new_flo = np.where(above, fx, np.where(s == 1, 0.5 * fa, fa))
        new_hi = np.where(above, b_, x)
        new_fhi = np.where(above, np.where(s == -1, 0.5 * fb, fb), fx)
        lo[active], f_lo[active], hi[active], f_hi[active] = new_lo, new_flo, new_hi, new_fhi
        side[active] = np.where(above, -1, 1)
        active = active[~done]
        if active.size == 0:
            return result
    bad = np.zeros(n_rows, dtype=np.bool_)  # not seen in practice: the residual is smooth
    bad[active] = True
    _fail(
        f"the mixed units could not be resolved to {SOLVER_RELATIVE_TOLERANCE:g} in "
        f"{SOLVER_MAX_ITERATIONS} iterations",
        f"components[{volume_columns[0]}].amount",
        bad,
    )


def _raise_overfull(
    values: FloatArray,
    units: tuple[str, ...],
    solutes: tuple[Solute, ...],
    volume_columns: list[int],
    bad: BoolArray,
) -> NoReturn:
    row = int(np.argmax(bad))
    # Blame the component claiming the largest share of the volume: its mass per mL times its
    # apparent specific volume in concentrated solution.
    shares = []
    for j in volume_columns:
        grams = np.array([1.0e6])
        specific_volume = float(_volume_model(solutes[j]).delta_volume(grams)[0]) / 1.0e6
        shares.append(
            values[row, j] * _mass_concentration_factor(units[j], solutes[j]) * specific_volume
        )
    culprit = volume_columns[int(np.argmax(shares))]
    listed = ", ".join(f"{solutes[j].name} {values[row, j]:g} {units[j]}" for j in volume_columns)
    others = [j for j in range(len(solutes)) if j not in volume_columns and values[row, j] > 0]
    extra = ""
    if others:
        extra = " together with " + ", ".join(
            f"{solutes[j].name} {values[row, j]:g} {units[j]}" for j in others
        )
    _fail(
        f"no solution has {listed}{extra}: the solutes would take more than the whole volume "
        "(their mass would exceed the solution's mass ρ·V, leaving no water)",
        f"components[{culprit}].amount",
        bad,
    )


def _state(masses: FloatArray, solutes: tuple[Solute, ...]) -> SolutionState:
    estimate = None
    if all(s.has_density_data for s in solutes):
        estimate = _estimate_density(masses, solutes)
    return SolutionState(solutes=solutes, solute_mass_g_per_kg_water=masses, density=estimate)


def _estimate_density(masses: FloatArray, solutes: tuple[Solute, ...]) -> DensityEstimate:
    models = [_volume_model(s) for s in solutes]
    volume = np.full(masses.shape[0], _WATER_VOLUME_ML)
    for i, model in enumerate(models):
        volume = volume + model.delta_volume(masses[:, i])
    rho = (_WATER_G + masses.sum(axis=1)) / volume
    methods, source = _describe(masses, solutes, models)
    return DensityEstimate(
        density_g_per_ml=rho, volume_ml_per_kg_water=volume, method=methods, source=source
    )


def _describe(
    masses: FloatArray, solutes: tuple[Solute, ...], models: list[_VolumeModel]
) -> tuple[tuple[str, ...], str]:
    """The density method of every row, and the sources."""
    crc = [i for i, m in enumerate(models) if m.interpolant is not None]
    ideal = [i for i, m in enumerate(models) if m.interpolant is None]
    if len(solutes) == 1:
        base = METHOD_CRC_BINARY if crc else METHOD_IDEAL
    elif not crc:
        base = METHOD_IDEAL
    else:
        base = METHOD_ADDITIVE
        if ideal:
            base += "; pure-component volumes (ideal mixing) for " + ", ".join(
                solutes[i].name for i in ideal
            )
    sources = [WATER_DENSITY_SOURCE]
    if crc:
        sources.append(CRC_SOURCE)
    for i in ideal:
        sources.append(
            f"{solutes[i].name}: {solutes[i].density_source or 'density given by caller'}"
        )

    beyond = [(i, models[i].beyond_table(masses[:, i])) for i in crc]
    beyond = [(i, flags) for i, flags in beyond if flags.any()]
    if not beyond:
        return (base,) * masses.shape[0], " | ".join(sources)
    code = np.zeros(masses.shape[0], dtype=np.int64)
    for bit, (_, flags) in enumerate(beyond):
        code |= flags.astype(np.int64) << bit
    labels: dict[int, str] = {}
    for value in np.unique(code).tolist():
        notes = [
            models[i].beyond_note(solutes[i].name)
            for bit, (i, _) in enumerate(beyond)
            if value >> bit & 1
        ]
        labels[value] = base if not notes else base + "; " + "; ".join(notes)
    for i, _ in beyond:
        if models[i].pure_node:
            sources.append(f"{solutes[i].name}: {solutes[i].density_source}")
    return tuple(labels[c] for c in code.tolist()), " | ".join(sources)


# --- density data -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _CrcBinary:
    name: str
    synonym: str
    cas: str
    molar_mass_g_per_mol: float
    mass_fraction: FloatArray
    density_g_per_ml: FloatArray


@lru_cache(maxsize=1)
def _crc_binaries() -> dict[str, _CrcBinary]:
    rows: dict[str, list[dict[str, str]]] = {}
    with CRC_TABLE.open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        for row in csv.DictReader(lines):
            rows.setdefault(row["solute"], []).append(row)
    table: dict[str, _CrcBinary] = {}
    for name, group in rows.items():
        group.sort(key=lambda r: float(r["mass_fraction"]))
        table[name] = _CrcBinary(
            name=name,
            synonym=group[0]["synonym"],
            cas=group[0]["cas"],
            molar_mass_g_per_mol=float(group[0]["mol_wt_g_per_mol"]),
            mass_fraction=np.array([float(r["mass_fraction"]) for r in group]),
            density_g_per_ml=np.array([float(r["density_g_per_cm3"]) for r in group]),
        )
    return table


@lru_cache(maxsize=1)
def _registry() -> tuple[tuple[Solute, ...], dict[str, Solute]]:
    binaries = _crc_binaries()
    solutes: list[Solute] = []
    index: dict[str, Solute] = {}

    def register(solute: Solute, aliases: list[str]) -> None:
        solutes.append(solute)
        for alias in aliases:
            key = alias.strip().casefold()
            if not key:
                continue
            if index.get(key, solute) is not solute:
                raise RuntimeError(f"alias {alias!r} names two solutes")  # a data error
            index[key] = solute

    claimed: set[str] = set()
    with PURE_TABLE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            crc_key = row["crc_solute"] or None
            solute = Solute(
                name=row["solute"],
                molar_mass_g_per_mol=float(row["molar_mass_g_per_mol"]),
                pure_density_g_per_ml=float(row["density_g_per_ml"]),
                density_source=f"{row['source']} ({row['provenance']}, {row['temperature_c']} °C)",
                crc_key=crc_key,
            )
            aliases = [row["solute"], *row["aliases"].split(";")]
            if crc_key is not None:
                claimed.add(crc_key)
                binary = binaries[crc_key]
                aliases += [crc_key, binary.synonym, binary.cas]
            register(solute, aliases)
    for name, binary in binaries.items():
        if name not in claimed:
            solute = Solute(
                name=name, molar_mass_g_per_mol=binary.molar_mass_g_per_mol, crc_key=name
            )
            register(solute, [name, binary.synonym, binary.cas])
    return tuple(solutes), index


@dataclass(frozen=True, eq=False)
class _Pchip:
    """Monotone piecewise-cubic Hermite interpolant (Fritsch–Carlson; SciPy's end conditions)."""

    x: FloatArray
    coefficients: FloatArray  # (4, k): y = c0 + s·(c1 + s·(c2 + s·c3)), s = x − x_k

    @classmethod
    def fit(cls, x: FloatArray, y: FloatArray) -> _Pchip:
        h = np.diff(x)
        delta = np.diff(y) / h
        slopes = np.zeros_like(y)
        if x.size == 2:
            slopes[:] = delta[0]
        else:
            w1 = 2.0 * h[1:] + h[:-1]
            w2 = h[1:] + 2.0 * h[:-1]
            same_sign = (np.sign(delta[:-1]) * np.sign(delta[1:])) > 0
            with np.errstate(divide="ignore", invalid="ignore"):
                harmonic = (w1 + w2) / (w1 / delta[:-1] + w2 / delta[1:])
            slopes[1:-1] = np.where(same_sign, harmonic, 0.0)
            slopes[0] = _pchip_end_slope(h[0], h[1], delta[0], delta[1])
            slopes[-1] = _pchip_end_slope(h[-1], h[-2], delta[-1], delta[-2])
        c2 = (3.0 * delta - 2.0 * slopes[:-1] - slopes[1:]) / h
        c3 = (slopes[:-1] + slopes[1:] - 2.0 * delta) / h**2
        return cls(x=x, coefficients=np.vstack([y[:-1], slopes[:-1], c2, c3]))

    def __call__(self, xq: FloatArray) -> FloatArray:
        k = np.clip(np.searchsorted(self.x, xq, side="right") - 1, 0, self.x.size - 2)
        s = xq - self.x[k]
        c = self.coefficients
        result: FloatArray = c[0, k] + s * (c[1, k] + s * (c[2, k] + s * c[3, k]))
        return result


def _pchip_end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """SciPy's one-sided three-point end slope, limited to keep the shape."""
    d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > abs(3.0 * m0):
        return 3.0 * m0
    return float(d)


@dataclass(frozen=True, eq=False)
class _VolumeModel:
    """ΔV(g): the volume (mL) that g grams of one solute add to 1 kg of water."""

    interpolant: _Pchip | None  # density vs mass fraction of the binary (CRC solutes)
    crc_max_mass_fraction: float  # last CRC row
    top_mass_fraction: float  # last node: the CRC row, or 1 with the pure liquid appended
    pure_node: bool
    pure_density_g_per_ml: float | None
    tail_ml_per_g: float  # apparent specific volume at the top node (extrapolation of solids)

    def delta_volume(self, grams: FloatArray) -> FloatArray:
        if self.interpolant is None:
            assert self.pure_density_g_per_ml is not None
            ideal: FloatArray = grams / self.pure_density_g_per_ml
            return ideal
        fraction = grams / (_WATER_G + grams)
        rho = self.interpolant(np.minimum(fraction, self.top_mass_fraction))
        volume: FloatArray = (_WATER_G + grams) / rho - _WATER_VOLUME_ML
        if self.top_mass_fraction < 1.0:
            volume = np.where(fraction > self.top_mass_fraction, grams * self.tail_ml_per_g, volume)
        return volume

    def beyond_table(self, grams: FloatArray) -> BoolArray:
        flags: BoolArray = grams / (_WATER_G + grams) > self.crc_max_mass_fraction * (1 + 1e-12)
        return flags

    def beyond_note(self, name: str) -> str:
        top = 100.0 * self.crc_max_mass_fraction
        if self.pure_node:
            return (
                f"{name} above the CRC table ({top:g} % w/w): interpolated to the pure-liquid "
                "density"
            )
        return (
            f"{name} above the CRC table ({top:g} % w/w): extrapolated with the apparent molar "
            "volume of the last row"
        )


@lru_cache(maxsize=512)
def _volume_model(solute: Solute) -> _VolumeModel:
    pure = solute.pure_density_g_per_ml
    if solute.crc_key is None:
        if pure is None:  # pragma: no cover - callers check has_density_data
            raise InvalidCompositionError(f"no density for {solute.name}", field="solute")
        return _VolumeModel(None, 0.0, 0.0, False, pure, 1.0 / pure)
    binary = _crc_binaries()[solute.crc_key]
    x = np.concatenate([[0.0], binary.mass_fraction])
    y = np.concatenate([[WATER_DENSITY_20C_G_PER_ML], binary.density_g_per_ml])
    crc_top = float(binary.mass_fraction[-1])
    pure_node = crc_top < 1.0 and pure is not None
    if pure_node:
        assert pure is not None
        x = np.concatenate([x, [1.0]])
        y = np.concatenate([y, [pure]])
    top = float(x[-1])
    interpolant = _Pchip.fit(x, y)
    tail = 0.0
    if top < 1.0:
        top_grams = _WATER_G * top / (1.0 - top)
        top_volume = (_WATER_G + top_grams) / float(y[-1]) - _WATER_VOLUME_ML
        tail = top_volume / top_grams
    return _VolumeModel(interpolant, crc_top, top, pure_node, pure, tail)
