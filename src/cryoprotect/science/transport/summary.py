"""Fast summaries of a protocol for optimisers (:func:`summarize`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.cells import CellType
from cryoprotect.science.transport.integrate import (
    _extremum_times,
    _initial_vector,
    _integrate,
    _Rates,
)
from cryoprotect.science.transport.melting import _check_not_frozen
from cryoprotect.science.transport.setup import (
    _canonical,
    _check_steps,
    _setup_step,
    _Solutes,
    _solutes,
)
from cryoprotect.science.transport.state import ATOL_FRACTION, FloatArray, Model, State, Step

IntegrandFactory = Callable[[tuple[str, ...], float], Callable[[FloatArray], float]]
"""(permeating solute names, step temperature °C) → f(intracellular molality vector)."""

# --- fast summaries for optimisers ------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What an optimiser needs from a simulated protocol, without the sampled series.

    Attributes:
        final_state: the state at the end.
        min_volume_fraction: smallest V/V_iso reached (extrema located on the interpolant).
        max_volume_fraction: largest V/V_iso reached.
        power_integral: ∫ Σ_j m_j(t)^p_j dt over the solutes given ``powers`` (0 if none),
            or ∫ f(m(t)) dt when an ``integrand`` f was given.
        duration_s: total simulated time, s.
        last_step_duration_s: duration of the last step; with ``until``, the time the
            condition was met, or ``None`` if it was not met within the step's duration.
    """

    final_state: State
    min_volume_fraction: float
    max_volume_fraction: float
    power_integral: float
    duration_s: float
    last_step_duration_s: float | None


def summarize(
    cell: CellType,
    steps: Sequence[Step],
    *,
    initial: State | None = None,
    model: Model = "2p",
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
    until: Callable[[State], float] | None = None,
    powers: Mapping[str, float] | None = None,
    integrand: IntegrandFactory | None = None,
    rtol: float = 1e-6,
) -> Summary:
    """Integrate a protocol for its extrema, end state and a power-law integral only.

    The same equations as :func:`simulate`, without sampling, for use inside optimisers.

    Args:
        cell: the cell.
        steps: the solutions in order.
        initial: starting state (default: isotonic, no CPA).
        model: ``"2p"`` or ``"kk"``.
        osmotic_parameters: virial table (default: the shipped one).
        until: ends the last step early when ``until(state)`` becomes ≥ 0 (its
            ``duration_s`` is then the horizon searched).
        powers: solute → exponent p_j of the running integral ∫ Σ_j m_j^p_j dt (solutes
            the cell does not let in are ignored).
        integrand: instead of ``powers``: called once per step with the permeating solutes
            (state-vector order) and the step's temperature (°C), it returns f(m_i), whose
            running integral ∫ f dt over the intracellular molality vector m_i is then
            ``power_integral`` (e.g. a toxicity rate, so that the integral is −ln survival).
        rtol: relative tolerance of the integrator (looser than :func:`simulate`'s).

    Returns:
        The summary.
    """
    if model not in ("2p", "kk"):
        raise ValidationError("model must be '2p' or 'kk'", field="model")
    if powers and integrand is not None:
        raise ValidationError("give powers or an integrand, not both", field="powers")
    _check_steps(steps)
    state = initial if initial is not None else State.isotonic(cell)
    notes: list[str] = []
    solutes = _solutes(cell, steps, state, osmotic_parameters, notes)
    power_array = np.zeros(len(solutes.names))
    for name, exponent in (powers or {}).items():
        canonical = _canonical(cell, name)
        if canonical in solutes.names:
            power_array[solutes.names.index(canonical)] = exponent
    y = np.append(_initial_vector(cell, state, solutes), 0.0)
    atol = ATOL_FRACTION * cell.isotonic_volume_um3
    low = high = _Rates(
        cell, solutes, _setup_step(cell, steps[0], solutes, model, osmotic_parameters, notes)
    ).volume_fraction(cell, y)
    elapsed = 0.0
    last: float | None = steps[-1].duration_s
    for index, step in enumerate(steps):
        setup = _setup_step(cell, step, solutes, model, osmotic_parameters, notes)
        _check_not_frozen(step, index, osmotic_parameters)
        step_integrand = None if integrand is None else integrand(solutes.names, step.temperature_c)
        rates = _Rates(cell, solutes, setup, powers=power_array, integrand=step_integrand)
        stop = None
        if until is not None and index == len(steps) - 1:
            if until(_state_of(solutes, y)) >= 0:
                last = 0.0
                break

            def stop(v: FloatArray, rates: _Rates = rates) -> float:
                return until(_state_of(solutes, v))

        solution = _integrate(rates, y, step.duration_s, atol, stop=stop, rtol=rtol)
        extremes = [
            rates.volume_fraction(cell, solution.sol(t))
            for t in _extremum_times(solution, rates, cell)
        ]
        y = solution.y[:, -1].copy()
        extremes.append(rates.volume_fraction(cell, y))
        low, high = min(low, *extremes), max(high, *extremes)
        elapsed += float(solution.t[-1])
        if stop is not None:
            last = solution.stopped_at
    return Summary(
        final_state=_state_of(solutes, y),
        min_volume_fraction=low,
        max_volume_fraction=high,
        power_integral=float(y[-1]),
        duration_s=elapsed,
        last_step_duration_s=last,
    )


def _state_of(solutes: _Solutes, y: FloatArray) -> State:
    water = max(float(y[0]), 1e-12)
    amounts = np.maximum(y[1 : 1 + len(solutes.names)], 0.0)
    return State(water, dict(zip(solutes.names, amounts.tolist(), strict=True)))
