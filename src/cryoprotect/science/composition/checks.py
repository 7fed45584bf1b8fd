"""Validation of compositions: solutes, units and amounts are checked before any
conversion, with the failing field and rows in the error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.errors import InvalidCompositionError
from cryoprotect.science.composition.solutes import (
    MAX_SOLUTE_G_PER_KG_WATER,
    UNITS,
    VOLUME_UNITS,
    BoolArray,
    FloatArray,
    Solute,
)

# --- validation ---------------------------------------------------------------------------


def fail(message: str, field: str, bad_rows: BoolArray | None = None) -> NoReturn:
    details: dict[str, Any] = {}
    if bad_rows is not None and bad_rows.size > 1:
        rows = np.flatnonzero(bad_rows)
        details["rows"] = [int(r) for r in rows[:10]]
        details["row_count"] = int(rows.size)
        message = f"composition {int(rows[0])}: {message}"
    raise InvalidCompositionError(message, field=field, details=details)


def check_solutes(solutes: Sequence[Solute]) -> tuple[Solute, ...]:
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


def check_units(units: str | Sequence[str], solutes: tuple[Solute, ...]) -> tuple[str, ...]:
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


def as_matrix(values: ArrayLike, n: int, what: str) -> FloatArray:
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


def check_amounts(values: FloatArray, units: tuple[str, ...], solutes: tuple[Solute, ...]) -> None:
    for j, solute in enumerate(solutes):
        column = values[:, j]
        field = f"components[{j}].amount"
        finite = np.isfinite(column)
        if not finite.all():
            fail(f"amount of {solute.name} is not a finite number", field, ~finite)
        negative = column < 0
        if negative.any():
            value = column[np.argmax(negative)]
            fail(f"amount of {solute.name} is negative ({value:g} {units[j]})", field, negative)
        if units[j] == "% v/v" and solute.pure_density_g_per_ml is None:
            raise InvalidCompositionError(
                f"% v/v of {solute.name} needs its pure-liquid density, which is not known: "
                "give the amount in mol/kg or % w/w",
                field=f"components[{j}].unit",
            )
    if any(u in VOLUME_UNITS for u in units) and not all(s.has_density_data for s in solutes):
        raise_no_density(solutes, target=False, units=units)
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
    fail(
        f"{label} add up to {total[row]:g} {unit} (≥ {limit:g}), leaving no water: {listed}",
        f"components[{culprit}].amount",
        bad,
    )


def raise_no_density(
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


def molar_masses(solutes: tuple[Solute, ...]) -> FloatArray:
    return np.array([s.molar_mass_g_per_mol for s in solutes], dtype=np.float64)


def molality_to_masses(molality: ArrayLike, solutes: tuple[Solute, ...]) -> FloatArray:
    values = as_matrix(molality, len(solutes), "molality")
    check_amounts(values, ("mol/kg",) * len(solutes), solutes)
    with np.errstate(over="ignore"):
        masses = values * molar_masses(solutes)
    check_representable(masses, solutes)
    return masses


def check_representable(masses: FloatArray, solutes: tuple[Solute, ...]) -> None:
    """Refuse compositions with less than one part of water in 10¹² (and overflow)."""
    too_large: BoolArray = ~(masses <= MAX_SOLUTE_G_PER_KG_WATER)
    if too_large.any():
        bad_rows: BoolArray = np.any(too_large, axis=1)
        j = int(np.argmax(np.any(too_large, axis=0)))
        fail(
            f"{solutes[j].name} is too concentrated to convert (less than one part of water "
            "in 10¹²)",
            f"components[{j}].amount",
            bad_rows,
        )
