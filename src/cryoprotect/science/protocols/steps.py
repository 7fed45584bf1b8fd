"""Designing loading and unloading steps against any toxicity functional (:func:`design_steps`).

The same search as :func:`~cryoprotect.science.protocols.design_protocol` (see the package
docstring: the same decision variables, starting points, step insertion, penalty and
infeasibility reports), with the objective generalised: instead of the Benson cost
∫ Σ m_i^α_i dt, the running integral of a caller's integrand f(m_i) over the intracellular
molality path — for a first-order toxicity model f is the rate k(m, T), so the objective is
−ln(surviving fraction) of the whole protocol. No comparison protocols and no sensitivity
band are computed (callers that want them simulate the steps themselves), so the function
is cheap enough to sit inside a search over compositions. ``design_protocol`` (the Benson
path) is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Unpack

from cryoprotect.science.cells import CellType
from cryoprotect.science.protocols.design import _design, checked_problem
from cryoprotect.science.protocols.validation import StepOptions
from cryoprotect.science.transport import Step, summarize
from cryoprotect.science.transport.summary import IntegrandFactory


@dataclass(frozen=True)
class DesignedSteps:
    """Addition and removal steps designed against a toxicity functional.

    Attributes:
        addition: the addition steps (the last one ends when the loading criterion is met).
        removal: the removal steps (likewise for the unloading criterion).
        objective: ∫ f dt over both phases (with the optimiser's tolerance, rtol 1e-6).
        duration_s: total duration of the steps, s.
        min_volume_fraction: smallest V/V_iso over both phases (optimiser's integration).
        max_volume_fraction: largest V/V_iso.
        settings: the options used and the evaluation counts.
    """

    addition: tuple[Step, ...]
    removal: tuple[Step, ...]
    objective: float
    duration_s: float
    min_volume_fraction: float
    max_volume_fraction: float
    settings: dict[str, Any]


def design_steps(
    cell: CellType,
    target_molality: Mapping[str, float],
    *,
    integrand: IntegrandFactory,
    evaluations: Mapping[int, int] | None = None,
    **options: Unpack[StepOptions],
) -> DesignedSteps:
    """Design addition and removal steps that minimise ∫ integrand dt within the limits.

    Args:
        cell: the cell type (with a permeability for every target CPA).
        target_molality: extracellular molality of each CPA in the final solution, mol/kg.
        temperature_c: temperature of the addition steps, °C.
        integrand: (permeating solute names, step temperature °C) → f(intracellular
            molality vector); see :func:`cryoprotect.science.transport.summarize`.
        limits: osmotic tolerance limits (default: the cell's own).
        removal_temperature_c: temperature of the removal steps (default: ``temperature_c``).
        max_steps: most steps per phase.
        allow_osmotic_buffer: allow sucrose in the removal steps.
        equilibration: loading/unloading end criterion (as in ``design_protocol``).
        min_carrier_fraction: least share of the carrier's salts in an addition step.
        evaluations: Nelder–Mead evaluation budget by number of steps K (default
            :data:`~cryoprotect.science.protocols.MAX_EVALUATIONS`).

    Raises:
        ValidationError: as ``design_protocol`` (field named).
        InfeasibleProtocolError: no protocol keeps the cell within the limits (``details``
            names the constraint, its limit, the best value achieved and the phase).
    """
    problem = checked_problem(
        cell, target_molality, options, integrand=integrand, evaluations=evaluations
    )
    (addition, removal), settings = _design(problem)
    steps = [*addition, *removal]
    summary = summarize(cell, steps, integrand=integrand)
    return DesignedSteps(
        addition=tuple(addition),
        removal=tuple(removal),
        objective=summary.power_integral,
        duration_s=float(sum(s.duration_s for s in steps)),
        min_volume_fraction=summary.min_volume_fraction,
        max_volume_fraction=summary.max_volume_fraction,
        settings=settings,
    )
