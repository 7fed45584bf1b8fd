"""The design problem and its search: step molalities and times optimised by Nelder-Mead
from several starts, steps inserted until the limits hold, infeasibility explained.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from cryoprotect.errors import InfeasibleProtocolError, OutOfDomainError
from cryoprotect.science.cells import CellType
from cryoprotect.science.protocols.definitions import (
    DESIGN_MARGIN,
    IMPROVEMENT,
    MAX_BUFFER_MOL_PER_KG,
    MAX_EVALUATIONS,
    MAX_OVERSHOOT,
    MIN_FINAL_STEP_S,
    MIN_STEP_S,
    PENALTY,
    FloatArray,
    Limits,
    Phase,
    ProtocolEvaluation,
)
from cryoprotect.science.protocols.validation import StepSettings
from cryoprotect.science.transport import (
    BUFFER_SOLUTE,
    CARRIER_SOLUTE,
    GAS_CONSTANT_L_ATM_PER_MOL_K,
    ZERO_CELSIUS_K,
    State,
    Step,
    Summary,
    effective_ps,
    lp_at,
    ps_at,
    summarize,
)
from cryoprotect.science.transport.summary import IntegrandFactory

# --- the design problem ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    cell: CellType
    target: dict[str, float]
    settings: StepSettings
    powers: dict[str, float]
    # The toxicity functional: None is the Benson cost ∫ Σ m^α dt (``powers``); otherwise the
    # running integral of this integrand (e.g. a kinetic toxicity rate: −ln survival).
    integrand: IntegrandFactory | None = None
    budgets: Mapping[int, int] = field(default_factory=lambda: dict(MAX_EVALUATIONS))

    def loaded(self, state: State) -> float:
        """≥ 0 once every CPA is at ≥ equilibration × target inside."""
        return (
            min(state.molality(n) / t for n, t in self.target.items()) - self.settings.equilibration
        )

    def unloaded(self, state: State) -> float:
        """≥ 0 once every CPA is at ≤ (1 − equilibration) × target inside."""
        return (1.0 - self.settings.equilibration) - max(
            state.molality(n) / t for n, t in self.target.items()
        )

    def solution(
        self, cpa_fraction: float, carrier_fraction: float, buffer: float
    ) -> dict[str, float]:
        solutes = {CARRIER_SOLUTE: self.settings.carrier[CARRIER_SOLUTE] * carrier_fraction}
        solutes.update({n: t * cpa_fraction for n, t in self.target.items()})
        if buffer > 0:
            solutes[BUFFER_SOLUTE] = buffer
        return {n: v for n, v in solutes.items() if v > 0}

    def violation(self, summary: Summary, margin: float) -> float:
        low = self.settings.limits.min_volume_fraction + margin
        high = self.settings.limits.max_volume_fraction - margin
        return max(0.0, low - summary.min_volume_fraction) + max(
            0.0, summary.max_volume_fraction - high
        )


def _time_constant_s(cell: CellType, target: Mapping[str, float], temperature_c: float) -> float:
    """The slowest of the water and CPA exchange time constants (sets duration bounds)."""
    water = cell.isotonic_water_volume_um3
    area = cell.surface_area_um2
    rt = GAS_CONSTANT_L_ATM_PER_MOL_K * (temperature_c + ZERO_CELSIUS_K)
    tau_water = water / (
        lp_at(cell, temperature_c) / 60.0 * area * rt * cell.isotonic_osmolality_osmol_per_kg
    )
    # A saturable (carrier) flux is slowest near the target on both sides of the membrane.
    tau_cpa = max(
        water / (effective_ps(p, ps_at(cell, p, temperature_c), m, m) * area)
        for p, m in ((cell.permeability(n), m) for n, m in target.items())
        if p is not None
    )
    return max(tau_water, tau_cpa)


@dataclass
class _Search:
    """Bookkeeping of one phase's optimisation."""

    phase: Phase
    problem: _Problem
    temperature_c: float
    initial: State
    horizon_s: float
    max_duration_s: float
    j_ref: float = 1.0
    evaluations: int = 0
    best_min: float = -math.inf
    best_max: float = math.inf
    cache: dict[tuple[float, ...], tuple[float, Summary | None]] = field(default_factory=dict)

    def steps(self, z: FloatArray) -> list[Step]:
        """Decode [0, 1]-scaled variables (3 per intermediate step) into steps."""
        steps: list[Step] = []
        span = math.log(self.max_duration_s / MIN_STEP_S)
        for k in range(len(z) // 3):
            a, b, c = (float(np.clip(v, 0.0, 1.0)) for v in z[3 * k : 3 * k + 3])
            duration = MIN_STEP_S * math.exp(c * span)
            if self.phase == "addition":
                low = self.problem.settings.min_carrier_fraction
                solutes = self.problem.solution(a * MAX_OVERSHOOT, low + (1.0 - low) * b, 0.0)
            else:
                buffer = (
                    b * MAX_BUFFER_MOL_PER_KG if self.problem.settings.allow_osmotic_buffer else 0.0
                )
                solutes = self.problem.solution(a, 1.0, buffer)
            steps.append(Step(solutes, duration, self.temperature_c, f"{self.phase} {k + 1}"))
        steps.append(self.final_step(self.horizon_s, len(steps) + 1))
        return steps

    def final_step(self, duration: float, number: int) -> Step:
        fraction = 1.0 if self.phase == "addition" else 0.0
        return Step(
            self.problem.solution(fraction, 1.0, 0.0),
            duration,
            self.temperature_c,
            f"{self.phase} {number}",
        )

    def run(self, steps: Sequence[Step]) -> Summary | None:
        condition = self.problem.loaded if self.phase == "addition" else self.problem.unloaded
        try:
            summary = summarize(
                self.problem.cell,
                steps,
                initial=self.initial,
                until=condition,
                powers=None if self.problem.integrand is not None else self.problem.powers,
                integrand=self.problem.integrand,
            )
        except OutOfDomainError:  # e.g. a hypotonic step that would freeze
            return None
        self.evaluations += 1
        self.best_min = max(self.best_min, summary.min_volume_fraction)
        self.best_max = min(self.best_max, summary.max_volume_fraction)
        return summary

    def objective(self, z: FloatArray) -> float:
        key = tuple(round(float(v), 6) for v in z)
        if key not in self.cache:
            summary = self.run(self.steps(np.asarray(z)))
            if summary is None or summary.last_step_duration_s is None:
                value = 1e3 * self.j_ref
            else:
                penalty = PENALTY * self.j_ref * self.problem.violation(summary, DESIGN_MARGIN)
                value = summary.power_integral + penalty
            self.cache[key] = (value, summary)
        return self.cache[key][0]

    def finalize(self, z: FloatArray) -> tuple[list[Step], Summary | None]:
        """The steps for ``z`` with the last step cut at its end criterion."""
        steps = self.steps(z)
        summary = self.run(steps)
        if summary is None or summary.last_step_duration_s is None:
            return steps, summary
        final = max(math.ceil(summary.last_step_duration_s), MIN_FINAL_STEP_S)
        steps[-1] = Step(steps[-1].solutes, final, steps[-1].temperature_c, steps[-1].label)
        return steps, summary


def _simplex(z0: FloatArray, size: float = 0.2) -> FloatArray:
    points = [z0]
    for i in range(z0.size):
        point = z0.copy()
        point[i] = point[i] + size if point[i] + size <= 1.0 else point[i] - size
        points.append(point)
    return np.array(points)


def _optimise(search: _Search, z0: FloatArray, budget: int) -> FloatArray:
    result = minimize(
        search.objective,
        z0,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * z0.size,
        options={
            "initial_simplex": _simplex(z0),
            "maxfev": budget,
            "xatol": 1e-3,
            "fatol": 1e-4 * search.j_ref,
        },
    )
    return np.asarray(result.x, dtype=np.float64)


def _starts(phase: Phase, search: _Search, tau: float) -> list[FloatArray]:
    span = math.log(search.max_duration_s / MIN_STEP_S)

    def scaled_time(seconds: float) -> float:
        return float(np.clip(math.log(max(seconds, MIN_STEP_S) / MIN_STEP_S) / span, 0.0, 1.0))

    if phase == "addition":
        return [
            np.array([0.5, 0.0, scaled_time(tau)]),  # target CPA, no salt: swell while loading
            np.array([0.75, 1.0, scaled_time(tau / 2)]),  # 1.5 × target overshoot
            np.array([0.25, 1.0, scaled_time(tau)]),  # half strength, isotonic carrier
        ]
    return [
        np.array([0.5, 0.5, scaled_time(tau)]),  # half CPA + sucrose buffer
        np.array([0.0, 0.5, scaled_time(tau)]),  # sucrose dilution without CPA
        np.array([0.5, 0.0, scaled_time(tau)]),  # half strength
    ]


def _insert_step(search: _Search, z: FloatArray) -> FloatArray | None:
    """A (K+1)-step starting point that is the same protocol as ``z``, if there is one.

    The longest intermediate step is split into two identical halves, so the optimiser
    starts from the K-step optimum. ``None`` when the halves would be shorter than
    :data:`MIN_STEP_S`.
    """
    span = math.log(search.max_duration_s / MIN_STEP_S)
    index = int(np.argmax(z[2::3]))
    step = z[3 * index : 3 * index + 3].copy()
    step[2] = step[2] - math.log(2.0) / span
    if step[2] < 0.0:
        return None
    return np.concatenate([z[: 3 * index], step, step, z[3 * index + 3 :]])


@dataclass(frozen=True)
class _PhaseResult:
    steps: list[Step]
    summary: Summary
    cost: float


def _design_phase(search: _Search, max_steps: int, tau: float) -> _PhaseResult:
    """Best feasible protocol of one phase (one-step included); raises if none is feasible."""
    one_steps, one = search.finalize(np.zeros(0))
    candidates: list[tuple[float, list[Step], Summary]] = []
    if one is not None and one.last_step_duration_s is not None:
        search.j_ref = max(one.power_integral, 1e-12)
        if search.problem.violation(one, 0.0) == 0.0:
            candidates.append((one.power_integral, one_steps, one))
    best_z: FloatArray | None = None
    best_value = math.inf
    if max_steps >= 2:
        first = min(_starts(search.phase, search, tau), key=search.objective)
        budgets = search.problem.budgets
        best_z = _optimise(search, first, budgets[2])
        best_value = search.objective(best_z)
        for k in range(3, max_steps + 1):
            start = _insert_step(search, best_z)
            if start is None:
                break
            z = _optimise(search, start, budgets.get(k, budgets[max(budgets)]))
            value = search.objective(z)
            improved = value < best_value * (1.0 - IMPROVEMENT)
            if value < best_value:
                best_z, best_value = z, value
            if not improved:
                break
    if best_z is not None:
        steps, summary = search.finalize(best_z)
        if (
            summary is not None
            and summary.last_step_duration_s is not None
            and search.problem.violation(summary, 0.0) == 0.0
        ):
            candidates.append((summary.power_integral, steps, summary))
    if not candidates:
        raise _infeasible(search)
    cost, steps, summary = min(candidates, key=lambda c: c[0])
    return _PhaseResult(steps, summary, cost)


def _infeasible(search: _Search) -> InfeasibleProtocolError:
    limits = search.problem.settings.limits
    short_low = limits.min_volume_fraction - search.best_min
    short_high = search.best_max - limits.max_volume_fraction
    if short_low >= short_high:
        constraint, limit, best = "min_volume_fraction", limits.min_volume_fraction, search.best_min
        words = f"no {search.phase} protocol tried kept the volume above {limit:g} × isotonic"
    else:
        constraint, limit, best = "max_volume_fraction", limits.max_volume_fraction, search.best_max
        words = f"no {search.phase} protocol tried kept the volume below {limit:g} × isotonic"
    if not math.isfinite(best):
        constraint, limit, best = "equilibration", search.problem.settings.equilibration, 0.0
        words = f"no {search.phase} protocol reached the equilibration criterion"
    return InfeasibleProtocolError(
        f"{words} (best achieved: {best:.3f}); relax the limit or change the target",
        details={
            "constraint": constraint,
            "limit": limit,
            "best_achievable": best,
            "phase": search.phase,
        },
    )


def _details_from(evaluation: ProtocolEvaluation, limits: Limits) -> dict[str, Any]:
    short_low = limits.min_volume_fraction - evaluation.min_volume_fraction
    short_high = evaluation.max_volume_fraction - limits.max_volume_fraction
    low = short_low >= short_high
    index = int(
        np.argmin(evaluation.trajectory.volume_fraction)
        if low
        else np.argmax(evaluation.trajectory.volume_fraction)
    )
    step = int(evaluation.trajectory.step_index[index])
    return {
        "constraint": "min_volume_fraction" if low else "max_volume_fraction",
        "limit": limits.min_volume_fraction if low else limits.max_volume_fraction,
        "best_achievable": evaluation.min_volume_fraction
        if low
        else evaluation.max_volume_fraction,
        "phase": "addition" if step < len(evaluation.addition) else "removal",
    }
