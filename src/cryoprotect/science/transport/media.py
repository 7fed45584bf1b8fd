"""Parameters at temperature (Arrhenius Lp, Ps) and the osmolality of the media: a step's
solution, the isotonic carrier, the Boyle-van 't Hoff equilibrium volume.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scipy.optimize import brentq

from cryoprotect.errors import ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.cells import CellType, Permeability
from cryoprotect.science.transport.state import CARRIER_SOLUTE, ZERO_CELSIUS_K, Step

# --- parameters at temperature ------------------------------------------------------------


def arrhenius(
    value: float, energy_kj_per_mol: float, reference_c: float, temperature_c: float
) -> float:
    """Arrhenius temperature correction of a rate coefficient.

    Args:
        value: the coefficient at ``reference_c``.
        energy_kj_per_mol: activation energy Ea, kJ/mol.
        reference_c: temperature of ``value``, °C.
        temperature_c: the wanted temperature, °C.

    Returns:
        value · exp(−Ea/R · (1/T − 1/T_ref)).
    """
    t = temperature_c + ZERO_CELSIUS_K
    t_ref = reference_c + ZERO_CELSIUS_K
    exponent = (
        -energy_kj_per_mol * 1000.0 / thermo.GAS_CONSTANT_J_PER_MOL_K * (1.0 / t - 1.0 / t_ref)
    )
    return value * math.exp(exponent)


def lp_at(cell: CellType, temperature_c: float) -> float:
    """The cell's hydraulic conductivity at ``temperature_c``, µm/min/atm."""
    return arrhenius(
        cell.lp_um_per_min_atm,
        cell.lp_activation_energy_kj_per_mol,
        cell.reference_temperature_c,
        temperature_c,
    )


def ps_at(cell: CellType, permeability: Permeability, temperature_c: float) -> float:
    """A permeability at ``temperature_c``, µm/s."""
    reference = permeability.reference_temperature_c
    return arrhenius(
        permeability.ps_um_per_s,
        permeability.activation_energy_kj_per_mol,
        cell.reference_temperature_c if reference is None else reference,
        temperature_c,
    )


# --- osmolality helpers ---------------------------------------------------------------------


def _osmolality_of(
    solutes: Mapping[str, float], parameters: Mapping[str, thermo.VirialParameters] | None
) -> tuple[float, tuple[str, ...]]:
    present = {name: value for name, value in solutes.items() if value > 0.0}
    if not present:
        return 0.0, ()
    result = thermo.osmolality(list(present.values()), list(present), parameters=parameters)
    return float(result.osmolality_osmol_per_kg), result.warnings


def extracellular_osmolality(
    step: Step, *, osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None
) -> float:
    """Osmolality of a step's solution (osmotic virial equation), osmol/kg water."""
    return _osmolality_of(step.solutes, osmotic_parameters)[0]


def isotonic_carrier(
    cell: CellType, *, osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None
) -> dict[str, float]:
    """The isotonic medium as a sodium chloride solution.

    Args:
        cell: supplies the isotonic osmolality.
        osmotic_parameters: virial table (default: the shipped one).

    Returns:
        ``{"Sodium chloride": m}`` with m (mol/kg) such that the solution's osmolality equals
        the cell's isotonic osmolality.
    """
    target = cell.isotonic_osmolality_osmol_per_kg

    def excess(m: float) -> float:
        return _osmolality_of({CARRIER_SOLUTE: m}, osmotic_parameters)[0] - target

    molality = brentq(excess, 1e-9, 10.0 * target, xtol=1e-14, rtol=1e-12)
    return {CARRIER_SOLUTE: float(molality)}


def boyle_vant_hoff_volume_fraction(cell: CellType, osmolality_osmol_per_kg: float) -> float:
    """Equilibrium volume in a solution of non-permeating solutes (Boyle–van 't Hoff).

    V/V_iso = vb + (1 − vb) · π_iso/π, exact for the model's ideal intracellular solute.

    Raises:
        ValidationError: a non-positive or non-finite osmolality.
    """
    if not (math.isfinite(osmolality_osmol_per_kg) and osmolality_osmol_per_kg > 0):
        raise ValidationError("osmolality must be a positive number", field="osmolality")
    vb = cell.inactive_volume_fraction
    return vb + (1.0 - vb) * cell.isotonic_osmolality_osmol_per_kg / osmolality_osmol_per_kg
