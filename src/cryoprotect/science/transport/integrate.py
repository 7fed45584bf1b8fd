"""The cell-volume ODEs, their integration step by step (LSODA), volume extrema on the
dense output, and :func:`simulate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

from cryoprotect.errors import OutOfDomainError, ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.cells import CellType
from cryoprotect.science.transport.melting import _check_not_frozen
from cryoprotect.science.transport.setup import (
    _canonical,
    _check_steps,
    _setup_step,
    _Solutes,
    _solutes,
    _StepSetup,
)
from cryoprotect.science.transport.state import (
    ATOL_FRACTION,
    METHOD_2P,
    METHOD_KK,
    RTOL,
    FloatArray,
    IntArray,
    Model,
    State,
    Step,
    Trajectory,
)


class _Rates:
    """Right-hand side of the ODEs for one step (and dV/dt for the extremum event)."""

    def __init__(
        self,
        cell: CellType,
        solutes: _Solutes,
        setup: _StepSetup,
        powers: FloatArray | None = None,
        integrand: Callable[[FloatArray], float] | None = None,
    ) -> None:
        self.n_np = cell.isotonic_osmolality_osmol_per_kg * cell.isotonic_water_volume_um3
        self.solutes = solutes
        self.setup = setup
        self.n = len(solutes.names)
        self.x = np.empty(1 + self.n)
        # Optional running integral of Σ_j w_j · m_j^p_j, appended to the state vector.
        self.powers = powers
        self.weights = None if powers is None else (powers > 0).astype(np.float64)
        # Or any running integral f(m_i) (e.g. a toxicity rate), in the same slot.
        self.integrand = integrand
        # Facilitated flux: the outside factor (1 + m_e/K) is constant within a step.
        self.saturable = bool(np.any(np.isfinite(solutes.saturation)))
        self.inv_k = np.where(np.isfinite(solutes.saturation), 1.0 / solutes.saturation, 0.0)
        self.ps_eff = setup.ps_area / (1.0 + setup.m_e * self.inv_k)

    def osmolality(self, water: float, amounts: FloatArray) -> tuple[float, FloatArray]:
        x = self.x
        x[0] = self.n_np / water
        m_i = amounts / water
        x[1:] = m_i
        pi = float(thermo.virial_osmolality(x, self.solutes.k, self.solutes.b, self.solutes.c))
        return pi, m_i

    def __call__(self, _t: float, y: FloatArray) -> FloatArray:
        water = max(float(y[0]), 1e-12)
        amounts = np.maximum(y[1 : 1 + self.n], 0.0)
        s = self.setup
        pi_i, m_i = self.osmolality(water, amounts)
        out = np.empty_like(y)
        ps_area = self.ps_eff / (1.0 + m_i * self.inv_k) if self.saturable else s.ps_area
        if not s.kk:
            out[0] = s.lp_term * (pi_i - s.pi_e)
            out[1 : 1 + self.n] = ps_area * (s.m_e - m_i)
        else:
            total = float(m_i.sum())
            share = (pi_i - self.x[0]) * m_i / total if total > 0 else np.zeros_like(m_i)
            drag = 1.0 - s.sigma
            water_rate = s.lp_term * ((pi_i - s.pi_e) - float(np.dot(drag, share - s.pi_e_cpa)))
            out[0] = water_rate
            out[1 : 1 + self.n] = ps_area * (s.m_e - m_i) + drag * 0.5 * (s.m_e + m_i) * water_rate
        if self.integrand is not None:
            out[-1] = self.integrand(m_i)
        elif self.powers is not None and self.weights is not None:
            out[-1] = float(np.dot(self.weights, m_i**self.powers))
        return out

    def volume_fraction(self, cell: CellType, y: FloatArray) -> float:
        cpa = float(np.dot(self.solutes.molar_volume, y[1 : 1 + self.n]))
        return (float(y[0]) + cpa + cell.inactive_volume_um3) / cell.isotonic_volume_um3


def _initial_vector(cell: CellType, initial: State, solutes: _Solutes) -> FloatArray:
    y0 = np.zeros(1 + len(solutes.names))
    if not (math.isfinite(initial.water_volume_um3) and initial.water_volume_um3 > 0):
        raise ValidationError(
            "the initial water volume must be > 0", field="initial.water_volume_um3"
        )
    y0[0] = initial.water_volume_um3
    for name, amount in initial.solute_amount_fmol.items():
        canonical = _canonical(cell, name)
        if canonical is None:
            if amount != 0:
                raise ValidationError(
                    f"the cell is not permeable to {name}; it cannot be inside initially",
                    field="initial.solute_amount_fmol",
                )
            continue
        if not (math.isfinite(amount) and amount >= 0):
            raise ValidationError("initial amounts must be ≥ 0", field="initial.solute_amount_fmol")
        y0[1 + solutes.names.index(canonical)] += amount
    return y0


StopCondition = Callable[[FloatArray], float]


@dataclass(frozen=True)
class _Solved:
    """One integrated step: accepted points, the dense interpolant and when it stopped."""

    t: FloatArray
    y: FloatArray
    sol: Any
    stopped_at: float | None


def _integrate(
    rates: _Rates,
    y0: FloatArray,
    duration_s: float,
    atol: float,
    *,
    stop: StopCondition | None = None,
    rtol: float = RTOL,
) -> _Solved:
    """Integrate one step (LSODA); with ``stop``, end where ``stop(y)`` first reaches 0."""
    events: list[Any] | None = None
    if stop is not None:

        def reached(_t: float, y: FloatArray) -> float:
            return stop(y)

        reached.terminal = True  # type: ignore[attr-defined]
        events = [reached]
    options: dict[str, Any] = {"method": "LSODA", "rtol": rtol, "atol": atol, "dense_output": True}
    try:
        solution = solve_ivp(rates, (0.0, duration_s), y0, events=events, **options)
    except ValueError:
        # scipy's event root-finder can meet a sign mismatch between the step ends and its
        # interpolant when the condition hovers at zero; locate the crossing ourselves.
        solution = solve_ivp(rates, (0.0, duration_s), y0, **options)
        return _stop_by_hand(solution, stop)
    if solution.status < 0:
        raise OutOfDomainError(f"the ODE solver failed: {solution.message}")
    stopped = None
    if stop is not None and solution.t_events[0].size:
        stopped = float(solution.t_events[0][0])
    return _Solved(solution.t, solution.y, solution.sol, stopped)


def _stop_by_hand(solution: Any, stop: StopCondition | None) -> _Solved:
    if solution.status < 0:
        raise OutOfDomainError(f"the ODE solver failed: {solution.message}")
    if stop is None:
        return _Solved(solution.t, solution.y, solution.sol, None)
    values = np.array([stop(solution.y[:, i]) for i in range(solution.t.size)])
    crossed = np.flatnonzero(values >= 0)
    if not crossed.size:
        return _Solved(solution.t, solution.y, solution.sol, None)
    i = int(crossed[0])
    t_hit = float(solution.t[i])
    if i > 0 and stop(solution.sol(solution.t[i - 1])) < 0 <= stop(solution.sol(t_hit)):
        t_hit = float(brentq(lambda t: stop(solution.sol(t)), solution.t[i - 1], t_hit, xtol=1e-9))
    keep = solution.t < t_hit
    t = np.append(solution.t[keep], t_hit)
    y = np.column_stack([solution.y[:, keep], solution.sol(t_hit)])
    return _Solved(t, y, solution.sol, t_hit)


def _extremum_times(solved: _Solved, rates: _Rates, cell: CellType) -> list[float]:
    """Times of the local volume extrema inside a step, refined on the interpolant.

    Local extrema are bracketed by the accepted solver points and located by a bounded
    scalar minimisation of ±V(t) on the dense output (no event root-finding, so the result
    does not depend on the sign noise of dV/dt near equilibrium).
    """
    t = solved.t
    if t.size < 3:
        return []
    molar_volume = rates.solutes.molar_volume
    n = rates.n

    def volume(time: float) -> float:
        y = solved.sol(time)
        return float(y[0] + molar_volume @ y[1 : 1 + n])

    v = solved.y[0] + molar_volume @ solved.y[1 : 1 + n]
    rising = np.diff(v)
    scale = max(float(np.max(np.abs(v))), 1e-300)
    times: list[float] = []
    for i in range(1, t.size - 1):
        if rising[i - 1] * rising[i] >= 0 or abs(rising[i - 1]) + abs(rising[i]) < 1e-13 * scale:
            continue
        sign = 1.0 if rising[i - 1] < 0 else -1.0  # minimum: minimise V; maximum: minimise −V
        found = minimize_scalar(
            lambda time, sign=sign: sign * volume(time),
            bounds=(float(t[i - 1]), float(t[i + 1])),
            method="bounded",
            options={"xatol": 1e-9 * max(float(t[-1]), 1.0)},
        )
        times.append(float(found.x))
    return times


@dataclass
class _Pieces:
    """Accumulates the sampled points of consecutive steps."""

    time: list[FloatArray] = field(default_factory=list)
    y: list[FloatArray] = field(default_factory=list)
    pi_i: list[FloatArray] = field(default_factory=list)
    pi_e: list[FloatArray] = field(default_factory=list)
    step: list[IntArray] = field(default_factory=list)


def _sample(
    solution: _Solved,
    extrema: Sequence[float],
    rates: _Rates,
    end: float,
    points: int,
    offset: float,
    index: int,
    pieces: _Pieces,
) -> None:
    grid = np.linspace(0.0, end, max(points, 2))
    extra = np.array(extrema, dtype=np.float64)
    times = np.unique(np.concatenate([grid, extra[(extra > 0) & (extra < end)]]))
    values = solution.sol(times)
    values[0] = np.maximum(values[0], 1e-12)
    values[1:] = np.maximum(values[1:], 0.0)
    pi_i = np.array([rates.osmolality(float(v[0]), v[1:])[0] for v in values.T])
    pieces.time.append(times + offset)
    pieces.y.append(values)
    pieces.pi_i.append(pi_i)
    pieces.pi_e.append(np.full(times.size, rates.setup.pi_e))
    pieces.step.append(np.full(times.size, index, dtype=np.int64))


def simulate(
    cell: CellType,
    steps: Sequence[Step],
    *,
    model: Model = "2p",
    initial: State | None = None,
    points_per_step: int = 200,
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> Trajectory:
    """Simulate a cell through a sequence of extracellular solutions.

    Args:
        cell: the cell's membrane and osmotic parameters.
        steps: the solutions, in order; the state carries over from one step to the next.
        model: ``"2p"`` (two-parameter, Kleinhans 1998) or ``"kk"`` (Kedem–Katchalsky).
        initial: the starting state (default: isotonic, no CPA).
        points_per_step: evenly spaced samples per step (volume extrema are added).
        osmotic_parameters: virial table for osmolalities (default: the shipped one; an
            empty mapping makes every solute ideal-dilute).

    Returns:
        The trajectory.

    Raises:
        ValidationError: an empty protocol, a bad duration, temperature or molality, or an
            unknown model.
        OutOfDomainError: a step below the melting point of its solution.
    """
    if model not in ("2p", "kk"):
        raise ValidationError("model must be '2p' or 'kk'", field="model")
    _check_steps(steps)
    state = initial if initial is not None else State.isotonic(cell)
    notes: list[str] = []
    solutes = _solutes(cell, steps, state, osmotic_parameters, notes)
    y = _initial_vector(cell, state, solutes)
    atol = ATOL_FRACTION * cell.isotonic_volume_um3
    pieces = _Pieces()
    offset = 0.0
    for index, step in enumerate(steps):
        setup = _setup_step(cell, step, solutes, model, osmotic_parameters, notes)
        _check_not_frozen(step, index, osmotic_parameters)
        rates = _Rates(cell, solutes, setup)
        solution = _integrate(rates, y, step.duration_s, atol)
        extrema = _extremum_times(solution, rates, cell)
        _sample(solution, extrema, rates, step.duration_s, points_per_step, offset, index, pieces)
        y = pieces.y[-1][:, -1].copy()
        offset += step.duration_s
    return _trajectory(cell, solutes, pieces, model, notes, tuple(steps))


def _trajectory(
    cell: CellType,
    solutes: _Solutes,
    pieces: _Pieces,
    model: Model,
    notes: list[str],
    steps: tuple[Step, ...],
) -> Trajectory:
    values = np.concatenate(pieces.y, axis=1)
    water = values[0]
    amounts = values[1:]
    cpa_volume = solutes.molar_volume @ amounts if amounts.size else np.zeros_like(water)
    volume = water + cpa_volume + cell.inactive_volume_um3
    v_iso = cell.isotonic_volume_um3
    return Trajectory(
        time_s=np.concatenate(pieces.time),
        volume_fraction=volume / v_iso,
        water_volume_fraction=water / v_iso,
        intracellular_molality={name: amounts[i] / water for i, name in enumerate(solutes.names)},
        intracellular_osmolality=np.concatenate(pieces.pi_i),
        extracellular_osmolality=np.concatenate(pieces.pi_e),
        step_index=np.concatenate(pieces.step),
        method=METHOD_KK if model == "kk" else METHOD_2P,
        warnings=tuple(dict.fromkeys(notes)),
        isotonic_volume_um3=v_iso,
        steps=steps,
    )
