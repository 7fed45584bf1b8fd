"""Unit conversion: the canonical state of a solution (g of each solute per kg of water),
solving it from amounts in any mix of units, and expressing it in any unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cryoprotect.errors import InvalidCompositionError
from cryoprotect.science.composition.checks import (
    as_matrix,
    check_amounts,
    check_representable,
    check_solutes,
    check_units,
    fail,
    molality_to_masses,
    molar_masses,
    raise_no_density,
)
from cryoprotect.science.composition.solutes import (
    SOLVER_MAX_ITERATIONS,
    SOLVER_RELATIVE_TOLERANCE,
    UNIT_KIND,
    UNITS,
    VOLUME_UNITS,
    WATER_G,
    WATER_MOL,
    WATER_VOLUME_ML,
    BoolArray,
    DensityEstimate,
    FloatArray,
    Solute,
    estimate_density,
    volume_model,
)
from cryoprotect.science.records import fields_dict


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
        return self.solute_mass_g_per_kg_water / molar_masses(self.solutes)

    def amounts(self, units: str | Sequence[str]) -> FloatArray:
        """Express the solutions in ``units`` (one unit, or one per solute).

        Returns:
            Amounts, shape (N, n).

        Raises:
            InvalidCompositionError: a volume-based unit without density data, or ``% v/v``
                for a solute without a pure-liquid density.
        """
        unit_list = check_units(units, self.solutes)
        volume = None
        if any(u in VOLUME_UNITS for u in unit_list):
            volume = self._volume()
        return _express(self.solute_mass_g_per_kg_water, self.solutes, unit_list, volume)

    def _volume(self) -> FloatArray:
        if self.density is None:
            raise_no_density(self.solutes, target=True)
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
        return fields_dict(
            self,
            solutes=list(self.solutes),
            amounts={unit: list(values) for unit, values in self.amounts.items()},
            notes=list(self.notes),
        )


# --- public API ---------------------------------------------------------------------------


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
    solute_tuple = check_solutes(solutes)
    unit_list = check_units(units, solute_tuple)
    values = as_matrix(amounts, len(solute_tuple), "amounts")
    check_amounts(values, unit_list, solute_tuple)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        masses = _solve_masses(values, unit_list, solute_tuple)
    check_representable(masses, solute_tuple)
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
    solute_tuple = check_solutes(solutes)
    masses = molality_to_masses(molality, solute_tuple)
    return _state(masses, solute_tuple).amounts(units)


def density(molality: ArrayLike, solutes: Sequence[Solute]) -> DensityEstimate:
    """Density at 20 °C of N solutions given as molalities (see the module docstring).

    Args:
        molality: shape (N, n) (or (n,)), mol of each solute per kg water.
        solutes: the n solutes, in column order.

    Raises:
        InvalidCompositionError: negative molality, or a solute without density data.
    """
    solute_tuple = check_solutes(solutes)
    masses = molality_to_masses(molality, solute_tuple)
    if not all(s.has_density_data for s in solute_tuple):
        raise_no_density(solute_tuple, target=True)
    return estimate_density(masses, solute_tuple)


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
    molar = molar_masses(solutes)
    out = np.empty_like(masses)
    total_mass = WATER_G + masses.sum(axis=1)
    total_mol = WATER_MOL + (masses / molar).sum(axis=1)
    for j, unit in enumerate(units):
        grams = masses[:, j]
        kind = UNIT_KIND[unit]
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
    molar = molar_masses(solutes)
    kinds = [UNIT_KIND[u] for u in units]
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
            fail(
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
    mass_0 = ((WATER_G + a0) * (1.0 - sum_x) + b * (WATER_MOL + n0)) / det
    mol_0 = ((1.0 - sum_w) * (WATER_MOL + n0) + d * (WATER_G + a0)) / det
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
    models = [volume_model(s) for s in solutes]

    def residual(v: FloatArray, rows: NDArray[np.intp]) -> FloatArray:
        grams = g0[rows] + g1[rows] * v[:, None]
        total = np.full(v.shape, WATER_VOLUME_ML)
        for i, model in enumerate(models):
            total = total + model.delta_volume(grams[:, i])
        return total - v

    n_rows = g0.shape[0]
    every = np.arange(n_rows)
    lo = np.zeros(n_rows)
    f_lo = residual(lo, every)
    hi = np.maximum(2.0 * f_lo, WATER_VOLUME_ML)
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
    fail(
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
        specific_volume = float(volume_model(solutes[j]).delta_volume(grams)[0]) / 1.0e6
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
    fail(
        f"no solution has {listed}{extra}: the solutes would take more than the whole volume "
        "(their mass would exceed the solution's mass ρ·V, leaving no water)",
        f"components[{culprit}].amount",
        bad,
    )


def _state(masses: FloatArray, solutes: tuple[Solute, ...]) -> SolutionState:
    estimate = None
    if all(s.has_density_data for s in solutes):
        estimate = estimate_density(masses, solutes)
    return SolutionState(solutes=solutes, solute_mass_g_per_kg_water=masses, density=estimate)
