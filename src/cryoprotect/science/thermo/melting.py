"""Melting point of ice in a solution of given osmolality (constant-ΔH_fus ice–solution
equilibrium), its inverse, and :func:`solution_thermo`, osmolality and melting point of a
solution together with their provenance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.errors import ValidationError
from cryoprotect.science import electrolytes
from cryoprotect.science.thermo.parameters import (
    GAS_CONSTANT_J_PER_MOL_K,
    MELTING_POINT_METHOD,
    WATER_ENTHALPY_OF_FUSION_J_PER_MOL,
    WATER_MELTING_POINT_K,
    WATER_MOLAR_MASS_KG_PER_MOL,
    BoolArray,
    FloatArray,
    VirialParameters,
)
from cryoprotect.science.thermo.virial import OsmolalityResult, osmolality, with_ion_model

# --- melting point ------------------------------------------------------------------------


def melting_point(osmolality_osmol_per_kg: ArrayLike) -> FloatArray:
    """Equilibrium melting point of ice in a solution of the given osmolality.

    Uses 1/T_m = 1/T_m0 + R·M_w·π/ΔH_fus (see the module docstring).

    Args:
        osmolality_osmol_per_kg: π in osmol/kg water, any shape, ≥ 0.

    Returns:
        T_m in kelvin, same shape.

    Raises:
        ValidationError: a negative or non-finite osmolality.
    """
    pi = np.asarray(osmolality_osmol_per_kg, dtype=np.float64)
    if not np.all(np.isfinite(pi)) or np.any(pi < 0.0):
        raise ValidationError("osmolality must be finite and ≥ 0", field="osmolality")
    slope = (
        GAS_CONSTANT_J_PER_MOL_K * WATER_MOLAR_MASS_KG_PER_MOL / WATER_ENTHALPY_OF_FUSION_J_PER_MOL
    )
    result: FloatArray = 1.0 / (1.0 / WATER_MELTING_POINT_K + slope * pi)
    return result


def osmolality_from_melting_point(melting_point_k: ArrayLike) -> FloatArray:
    """Invert :func:`melting_point`: the osmolality whose ice melting point is T_m.

    Args:
        melting_point_k: T_m in kelvin (0 < T_m ≤ 273.15 K), any shape.

    Returns:
        π in osmol/kg water.
    """
    tm = np.asarray(melting_point_k, dtype=np.float64)
    if not np.all(np.isfinite(tm)) or np.any(tm <= 0.0) or np.any(tm > WATER_MELTING_POINT_K):
        raise ValidationError("melting point must be in (0, 273.15] K", field="melting_point_k")
    slope = (
        GAS_CONSTANT_J_PER_MOL_K * WATER_MOLAR_MASS_KG_PER_MOL / WATER_ENTHALPY_OF_FUSION_J_PER_MOL
    )
    result: FloatArray = (1.0 / tm - 1.0 / WATER_MELTING_POINT_K) / slope
    return result


def freezing_point_depression_c(osmolality_osmol_per_kg: ArrayLike) -> FloatArray:
    """ΔT_f = T_m0 − T_m in °C (positive) for the given osmolality."""
    result: FloatArray = WATER_MELTING_POINT_K - melting_point(osmolality_osmol_per_kg)
    return result


# --- one call for the UI / API ------------------------------------------------------------


@dataclass(frozen=True)
class SolutionThermo:
    """Osmolality and melting point of solutions, each number with its method and provenance.

    Attributes:
        osmolality: the full :class:`OsmolalityResult` (values, parameters, range flags).
        melting_point_k: T_m in kelvin, same shape as the osmolality.
        melting_point_c: T_m in °C.
        methods: quantity → the equation that produced it.
        provenance: solute → provenance tag of the virial coefficients used.
        sources: solute → source of the virial coefficients used.
        within_range: per composition, ``True`` when every solute is inside its
            parameters' recorded valid range (the melting point inherits the osmolality's
            validity); ``False`` also where a range is not recorded — use
            ``osmolality.range_verdict()`` for true / false / unknown.
        warnings: caveats from the osmolality calculation.
        ionic: the ion model's result when it was asked for and the solution has
            electrolytes (``solution_thermo(..., ions=True)``), else ``None``.
    """

    osmolality: OsmolalityResult
    melting_point_k: FloatArray
    melting_point_c: FloatArray
    methods: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    within_range: BoolArray = field(default_factory=lambda: np.ones(0, dtype=np.bool_))
    warnings: tuple[str, ...] = ()
    ionic: electrolytes.IonicResult | None = None

    @property
    def osmolality_osmol_per_kg(self) -> FloatArray:
        """π in osmol/kg water."""
        return self.osmolality.osmolality_osmol_per_kg


def solution_thermo(
    molality: ArrayLike,
    solutes: Sequence[str | VirialParameters],
    *,
    parameters: Mapping[str, VirialParameters] | None = None,
    ions: bool = False,
) -> SolutionThermo:
    """Osmolality and ice melting point of one or many solutions in one call.

    Args:
        molality: mol/kg water, shape ``(n_solutes,)`` or ``(N, n_solutes)``.
        solutes: solute names or :class:`VirialParameters`, in column order.
        parameters: the table names are looked up in (default: the shipped tables).
        ions: electrolytes by the ion model (:func:`with_ion_model`) instead of their
            virial coefficients alone.

    Returns:
        Values in osmol/kg, K and °C with methods, provenance, sources and validity flags.
    """
    result = osmolality(molality, solutes, parameters=parameters)
    ionic = None
    if ions:
        result, ionic = with_ion_model(result, molality)
    pi = result.osmolality_osmol_per_kg
    # A fit with C < 0 gives π ≤ 0 far above its range (e.g. > 78 % w/w ethylene glycol):
    # no melting point there (NaN), never an exception.
    physical = pi >= 0.0
    tm_k = np.where(physical, melting_point(np.where(physical, pi, 0.0)), np.nan)
    return SolutionThermo(
        osmolality=result,
        melting_point_k=tm_k,
        melting_point_c=tm_k - WATER_MELTING_POINT_K,
        methods={"osmolality": result.method, "melting_point": MELTING_POINT_METHOD},
        provenance={p.solute: p.provenance for p in result.parameters},
        sources={p.solute: p.source for p in result.parameters},
        within_range=result.all_within_range,
        warnings=result.warnings,
        ionic=ionic,
    )
