"""Equilibria and first-passage times: :func:`equilibrium_state`, :func:`time_to_condition`."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
from scipy.optimize import brentq

from cryoprotect.errors import OutOfDomainError
from cryoprotect.science import thermo
from cryoprotect.science.cells import CellType
from cryoprotect.science.transport.integrate import _initial_vector, _integrate, _Rates
from cryoprotect.science.transport.melting import _check_not_frozen
from cryoprotect.science.transport.setup import _check_steps, _setup_step, _solutes
from cryoprotect.science.transport.state import ATOL_FRACTION, FloatArray, Model, State, Step

# --- equilibria and first-passage times -----------------------------------------------------


def equilibrium_state(
    cell: CellType,
    step: Step,
    *,
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> State:
    """The state a cell reaches after infinite time in a step's solution.

    Permeating CPAs equalise (m_i = m_e) and the water volume makes π_i = π_e; without
    permeating solutes this is the Boyle–van 't Hoff volume.

    Raises:
        OutOfDomainError: the solution has no non-permeating solute (the cell would swell
            without bound).
    """
    notes: list[str] = []
    solutes = _solutes(cell, [step], State.isotonic(cell), osmotic_parameters, notes)
    setup = _setup_step(cell, step, solutes, "2p", osmotic_parameters, notes)
    rates = _Rates(cell, solutes, setup)
    cpa_only = float(
        thermo.virial_osmolality(
            np.concatenate([[0.0], setup.m_e]), solutes.k, solutes.b, solutes.c
        )
    )
    if setup.pi_e <= cpa_only * (1 + 1e-12):
        raise OutOfDomainError(
            "the solution has no non-permeating solute: the cell would swell without bound",
            details={"field": "step.solutes"},
        )

    def excess(log_water: float) -> float:
        water = math.exp(log_water)
        return rates.osmolality(water, setup.m_e * water)[0] - setup.pi_e

    guess = math.log(rates.n_np / max(setup.pi_e - cpa_only, 1e-300))
    low, high = guess - 5.0, guess + 5.0
    while excess(low) < 0:
        low -= 5.0
    while excess(high) > 0:
        high += 5.0
    water = math.exp(brentq(excess, low, high, xtol=1e-14, rtol=1e-14))
    return State(
        water, {name: float(m) * water for name, m in zip(solutes.names, setup.m_e, strict=True)}
    )


def time_to_condition(
    cell: CellType,
    step: Step,
    initial: State,
    condition: Callable[[State], float],
    *,
    model: Model = "2p",
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> float | None:
    """The first time within ``step`` at which ``condition(state)`` crosses zero.

    Args:
        cell: the cell.
        step: the solution; its ``duration_s`` is the horizon searched.
        initial: the state at the start of the step.
        condition: negative before the event, positive after (e.g. "intracellular molality
            minus 95 % of the target").
        model: as in :func:`simulate`.
        osmotic_parameters: as in :func:`simulate`.

    Returns:
        The time in s, or ``None`` if the condition is not met within the horizon.
    """
    _check_steps([step])
    notes: list[str] = []
    solutes = _solutes(cell, [step], initial, osmotic_parameters, notes)
    setup = _setup_step(cell, step, solutes, model, osmotic_parameters, notes)
    _check_not_frozen(step, 0, osmotic_parameters)
    rates = _Rates(cell, solutes, setup)
    y0 = _initial_vector(cell, initial, solutes)

    def stop(y: FloatArray) -> float:
        water = max(float(y[0]), 1e-12)
        return condition(State(water, dict(zip(solutes.names, y[1:].tolist(), strict=True))))

    if stop(y0) >= 0:
        return 0.0
    solution = _integrate(
        rates, y0, step.duration_s, ATOL_FRACTION * cell.isotonic_volume_um3, stop=stop
    )
    return solution.stopped_at
