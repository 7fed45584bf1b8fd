"""CPA addition and removal protocols: evaluation, comparison and design.

This module owns what a protocol is (a list of addition steps and a list of removal steps,
each a :class:`~cryoprotect.science.transport.Step`), how one is judged — the simulated
cell volume against the cell's osmotic tolerance limits, and the cumulative toxicity cost
of :mod:`cryoprotect.science.toxicity` — and how one is designed.

**Evaluation** (:func:`evaluate_protocol`): the cell starts isotonic without CPA, goes
through the addition steps and then the removal steps (the removal starts from the state
the addition ends in: the time spent cooled, stored and rewarmed is not modelled), all
simulated by :func:`~cryoprotect.science.transport.simulate`.

**Design** (:func:`design_protocol`) for a target CPA solution (molality of each CPA in
the isotonic carrier, :func:`~cryoprotect.science.transport.isotonic_carrier`):

* Addition ends when every CPA's intracellular molality is ≥ ``equilibration`` × its
  target; removal ends when every CPA is ≤ (1 − ``equilibration``) × its target, in the
  isotonic carrier.
* Search space. Addition: up to ``max_steps`` − 1 intermediate steps, each with the CPAs at
  a fraction f ∈ [0, 2] of the target (f > 1 is an overshoot that speeds loading), the
  carrier at a fraction s ∈ [0, 1] of isotonic (s < 1 lets the cell swell while it loads —
  the strategy Benson, Kearsley & Higgins, Cryobiology 64:144–151, 2012, found optimal), and
  a duration of 10 s (a practical handling time) to 20 time constants; then the target
  solution until loaded. Removal: up to ``max_steps`` − 1 intermediate steps with the
  CPAs at a fraction g ∈ [0, 1] of the target, optionally a non-permeating osmotic buffer
  (sucrose, 0–1 mol/kg — the sucrose dilution used for oocytes and embryos, e.g. Leibo,
  Theriogenology 21:767–790, 1984, as recalled) and a duration; then the isotonic carrier
  until unloaded. For several CPAs the fractions apply to all of them (the mixture's ratio
  is kept). The one-step protocol (K = 1) is evaluated as a candidate of its own, so the
  design is never worse than a feasible one-step protocol.
* Objective: the toxicity cost J (exact running integral of Σ m_i^α_i during the
  optimisation, :func:`~cryoprotect.science.transport.summarize`) plus a penalty of
  100 × J_ref per unit of volume fraction outside the tolerance limits shrunk by a design
  margin of 0.002 (so that the final, finer simulation stays inside the true limits).
* Optimiser: ``scipy.optimize.minimize`` with bounded Nelder–Mead in [0, 1]-scaled
  variables — first with one intermediate step, started from the best of three fixed
  points (addition: a swell step in CPA without salt, an overshoot, a half-strength step;
  removal: CPA + sucrose, sucrose alone, half-strength CPA), then with one more step made by
  splitting the longest step of the best solution into two identical halves (the same
  protocol, so the search can only improve), up to ``max_steps``, while each added step
  improves J by more than 1 %. Nothing is random, so the result is deterministic. Addition
  is optimised first; removal is then optimised from the state the designed addition ends
  in (its last step rounded up to whole seconds).
* Infeasibility: cheap necessary conditions are checked first (the protocol starts and ends
  at the isotonic volume, so the limits must bracket it: min < 1 < max); then, if no
  candidate the optimiser tried stays within the limits, :class:`InfeasibleProtocolError`
  names the binding constraint, its limit, the best value any candidate achieved and the
  phase.

The comparison protocols are simulated the same way: **one step** (target solution until
loaded; isotonic carrier until unloaded) and **equal steps** (the peers' practice: the
target split into ``max_steps`` equal increments — and removal into equal decrements — with
one fixed hold time per phase, the longest time any of its steps needs to reach
``equilibration`` of its increment from the previous step's equilibrium; the last step is
extended if the end criterion is not yet met).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from cryoprotect.errors import InfeasibleProtocolError, OutOfDomainError, ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.cells import CellType, ParameterRange, with_parameter
from cryoprotect.science.toxicity import ToxicityCost, toxicity_cost, toxicity_parameter
from cryoprotect.science.transport import (
    BUFFER_SOLUTE,
    CARRIER_SOLUTE,
    GAS_CONSTANT_L_ATM_PER_MOL_K,
    MAX_TEMPERATURE_C,
    ZERO_CELSIUS_K,
    State,
    Step,
    Summary,
    Trajectory,
    effective_ps,
    equilibrium_state,
    isotonic_carrier,
    lp_at,
    melting_guard,
    ps_at,
    simulate,
    summarize,
    time_to_condition,
)

FloatArray = NDArray[np.float64]
Phase = Literal["addition", "removal"]

MAX_OVERSHOOT = 2.0
"""Largest CPA fraction of the target in an addition step."""
MAX_BUFFER_MOL_PER_KG = 1.0
"""Largest sucrose molality in a removal step (the fitted virial range reaches 1.95 mol/kg)."""
MIN_STEP_S = 10.0
"""Shortest intermediate step: a practical handling time."""
MIN_FINAL_STEP_S = 1.0
DESIGN_MARGIN = 0.002
"""Volume-fraction margin inside the limits used while optimising."""
PENALTY = 100.0
"""Penalty per unit volume fraction outside the limits, in units of J_ref."""
IMPROVEMENT = 0.01
"""Relative improvement in J needed to try one more step."""
MAX_EVALUATIONS = {2: 80, 3: 80, 4: 90}
"""Nelder–Mead evaluation budget by number of steps K (beyond 4: 90)."""
MAX_TARGET_MOL_PER_KG = 20.0
METHOD = (
    "toxicity-cost minimisation (Benson, Kearsley & Higgins 2012 cost) over piecewise-"
    "constant steps subject to the osmotic tolerance limits: bounded Nelder-Mead "
    "(scipy.optimize.minimize) with a penalty, fixed starting points, one step added at a "
    "time up to max_steps; two-parameter transport model"
)


@dataclass(frozen=True)
class Limits:
    """Osmotic tolerance limits as fractions of the isotonic volume."""

    min_volume_fraction: float
    max_volume_fraction: float

    @classmethod
    def of(cls, cell: CellType) -> Limits:
        """The cell's own limits."""
        return cls(cell.min_volume_fraction, cell.max_volume_fraction)

    def as_dict(self) -> dict[str, float]:
        """A JSON-ready dict."""
        return {
            "min_volume_fraction": self.min_volume_fraction,
            "max_volume_fraction": self.max_volume_fraction,
        }


@dataclass(frozen=True, eq=False)
class ProtocolEvaluation:
    """A protocol simulated and judged.

    Attributes:
        name: ``"designed"``, ``"one_step"``, ``"equal_steps"`` or a caller's name.
        addition: the addition steps.
        removal: the removal steps.
        trajectory: the simulated cell response over both phases.
        toxicity: the cumulative toxicity cost over both phases.
        min_volume_fraction: smallest V/V_iso reached.
        max_volume_fraction: largest V/V_iso reached.
        within_limits: whether the volume stayed within the limits throughout.
        violations: human-readable sentences, one per limit crossed.
        total_duration_s: duration of all steps, s.
        limits: the limits judged against.
    """

    name: str
    addition: tuple[Step, ...]
    removal: tuple[Step, ...]
    trajectory: Trajectory
    toxicity: ToxicityCost
    min_volume_fraction: float
    max_volume_fraction: float
    within_limits: bool
    violations: tuple[str, ...]
    total_duration_s: float
    limits: Limits = field(default_factory=lambda: Limits(0.0, math.inf))

    def steps_table(self) -> list[dict[str, Any]]:
        """One row per step: phase, index, label, solutes, duration, temperature, start/end."""
        rows: list[dict[str, Any]] = []
        start = 0.0
        for phase, steps in (("addition", self.addition), ("removal", self.removal)):
            for index, step in enumerate(steps, start=1):
                rows.append(
                    {
                        "phase": phase,
                        "index": index,
                        **step.as_dict(),
                        "start_s": start,
                        "end_s": start + step.duration_s,
                    }
                )
                start += step.duration_s
        return rows

    def as_dict(self, max_points: int = 400) -> dict[str, Any]:
        """Steps table, chart data (thinned to about ``max_points``) and costs, JSON-ready."""
        chart = self.trajectory.as_dict(max_points)
        chart["limits"] = self.limits.as_dict()
        return {
            "name": self.name,
            "steps": self.steps_table(),
            "chart": chart,
            "toxicity": self.toxicity.as_dict(),
            "min_volume_fraction": self.min_volume_fraction,
            "max_volume_fraction": self.max_volume_fraction,
            "within_limits": self.within_limits,
            "violations": list(self.violations),
            "total_duration_s": self.total_duration_s,
            "limits": self.limits.as_dict(),
        }


@dataclass(frozen=True, eq=False)
class ProtocolDesign:
    """A designed protocol with the one-step and equal-step protocols for comparison.

    Attributes:
        designed: the optimised protocol.
        one_step: target in one step; back to the isotonic carrier in one step.
        equal_steps: the target in ``max_steps`` equal increments and decrements.
        cell: the cell type designed for.
        target: target extracellular molality of each CPA, mol/kg.
        temperature_c: addition temperature, °C (removal temperature in ``settings``).
        limits: the osmotic tolerance limits.
        method: how the design was found.
        settings: the options used (max_steps, equilibration, buffer, temperatures, ...).
    """

    designed: ProtocolEvaluation
    one_step: ProtocolEvaluation
    equal_steps: ProtocolEvaluation
    cell: CellType
    target: dict[str, float]
    temperature_c: float
    limits: Limits
    method: str
    settings: dict[str, Any]
    sensitivity: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The three protocols with a comparison table, JSON-ready."""
        protocols = {p.name: p for p in (self.designed, self.one_step, self.equal_steps)}
        reference = self.one_step.toxicity.total
        return {
            "cell_type": self.cell.key,
            "cell_name": self.cell.name,
            "target": dict(self.target),
            "temperature_c": self.temperature_c,
            "limits": self.limits.as_dict(),
            "method": self.method,
            "settings": dict(self.settings),
            "protocols": {name: p.as_dict() for name, p in protocols.items()},
            "sensitivity": dict(self.sensitivity),
            "comparison": [
                {
                    "name": name,
                    "toxicity_cost": p.toxicity.total,
                    "toxicity_unit": p.toxicity.unit,
                    "relative_to_one_step": p.toxicity.total / reference if reference > 0 else None,
                    "min_volume_fraction": p.min_volume_fraction,
                    "max_volume_fraction": p.max_volume_fraction,
                    "within_limits": p.within_limits,
                    "total_duration_s": p.total_duration_s,
                    "steps": len(p.addition) + len(p.removal),
                }
                for name, p in protocols.items()
            ],
        }


# --- evaluation -----------------------------------------------------------------------------


def _violations(low: float, high: float, limits: Limits, trajectory: Trajectory) -> tuple[str, ...]:
    found = []
    if low < limits.min_volume_fraction:
        where = _where(trajectory, int(np.argmin(trajectory.volume_fraction)))
        found.append(
            f"volume fell to {low:.3f} × isotonic {where}, {limits.min_volume_fraction - low:.3f} "
            f"below the lower limit {limits.min_volume_fraction:.3f}"
        )
    if high > limits.max_volume_fraction:
        where = _where(trajectory, int(np.argmax(trajectory.volume_fraction)))
        found.append(
            f"volume rose to {high:.3f} × isotonic {where}, {high - limits.max_volume_fraction:.3f} "
            f"above the upper limit {limits.max_volume_fraction:.3f}"
        )
    return tuple(found)


def _where(trajectory: Trajectory, index: int) -> str:
    step = int(trajectory.step_index[index])
    label = trajectory.steps[step].label if step < len(trajectory.steps) else ""
    text = f"in step {step + 1}" + (f" ({label})" if label else "")
    return f"{text} at t = {trajectory.time_s[index]:.0f} s"


def evaluate_protocol(
    cell: CellType,
    addition: Sequence[Step],
    removal: Sequence[Step],
    *,
    limits: Limits | None = None,
    name: str = "custom",
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> ProtocolEvaluation:
    """Simulate a protocol and judge it against the limits.

    Args:
        cell: the cell type.
        addition: addition steps, from isotonic.
        removal: removal steps, continuing from the end of the addition.
        limits: tolerance limits (default: the cell's own).
        name: a label for the protocol.
        osmotic_parameters: virial table (default: the shipped one).

    Returns:
        The evaluation: trajectory, toxicity cost, volume extremes and any violations.

    Raises:
        ValidationError: no steps, or a bad step (see :func:`transport.simulate`).
    """
    limits = limits or Limits.of(cell)
    steps = [*addition, *removal]
    trajectory = simulate(cell, steps, osmotic_parameters=osmotic_parameters)
    low = float(trajectory.volume_fraction.min())
    high = float(trajectory.volume_fraction.max())
    violations = _violations(low, high, limits, trajectory)
    return ProtocolEvaluation(
        name=name,
        addition=tuple(addition),
        removal=tuple(removal),
        trajectory=trajectory,
        toxicity=toxicity_cost(trajectory),
        min_volume_fraction=low,
        max_volume_fraction=high,
        within_limits=not violations,
        violations=violations,
        total_duration_s=float(sum(s.duration_s for s in steps)),
        limits=limits,
    )


# --- validation -----------------------------------------------------------------------------


def _check_target(cell: CellType, target: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(target, Mapping) or not target:
        raise ValidationError("the target needs at least one CPA", field="target.components")
    result: dict[str, float] = {}
    for name, value in target.items():
        permeability = cell.permeability(name) if isinstance(name, str) else None
        if permeability is None:
            raise ValidationError(
                f"{cell.name} has no recorded permeability to {name!r}; add it to the cell type "
                "or choose a CPA it has one for",
                field="target.components",
                details={"solute": name, "known": sorted(cell.permeabilities)},
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValidationError(f"molality of {name} must be a number", field="target.components")
        if not 0 < value <= MAX_TARGET_MOL_PER_KG:
            raise ValidationError(
                f"molality of {name} must be in (0, {MAX_TARGET_MOL_PER_KG:g}] mol/kg",
                field="target.components",
            )
        if permeability.solute in result:
            raise ValidationError(f"{name} is listed twice", field="target.components")
        result[permeability.solute] = float(value)
    return result


def _check_temperature(value: float, carrier: Mapping[str, float], where: str) -> None:
    """The temperature must lie between the carrier's melting point and 45 °C.

    The melting point is the one :mod:`~cryoprotect.science.thermo_validity` stands behind
    (:func:`~cryoprotect.science.transport.melting_guard`); where it gives none, the bound it
    gives is used, and without one only temperatures ≥ 0 °C (where no aqueous solution
    freezes) are accepted.
    """
    guard = melting_guard(carrier)
    if guard.melting_point_c is not None:
        floor, what = guard.melting_point_c, "the carrier's melting point"
    elif guard.upper_bound_c is not None:
        floor, what = guard.upper_bound_c, "the bound on the carrier's melting point"
    else:
        floor, what = 0.0, "0 °C (the carrier's melting point is unknown)"
    if not (math.isfinite(value) and floor <= value <= MAX_TEMPERATURE_C):
        raise ValidationError(
            f"temperature must be between {what} ({floor:.2f} °C) and {MAX_TEMPERATURE_C:g} °C",
            field=where,
        )


def _check_limits(limits: Limits) -> None:
    for name in ("min_volume_fraction", "max_volume_fraction"):
        value = getattr(limits, name)
        if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
            raise ValidationError(
                f"{name} must be a positive number", field=f"osmotic_limits.{name}"
            )
    if limits.min_volume_fraction >= limits.max_volume_fraction:
        raise ValidationError(
            "min_volume_fraction must be below max_volume_fraction",
            field="osmotic_limits.min_volume_fraction",
        )
    # Every protocol starts (and ends) at the isotonic volume, so the trajectory's minimum is
    # at most 1 and its maximum at least 1: the limits must bracket 1 with room to move.
    if limits.min_volume_fraction >= 1.0:
        raise InfeasibleProtocolError(
            f"min_volume_fraction {limits.min_volume_fraction:g} is not below the isotonic volume "
            "(1.0), where every protocol starts and ends",
            details={
                "constraint": "min_volume_fraction",
                "limit": limits.min_volume_fraction,
                "best_achievable": 1.0,
                "phase": "addition",
            },
        )
    if limits.max_volume_fraction <= 1.0:
        raise InfeasibleProtocolError(
            f"max_volume_fraction {limits.max_volume_fraction:g} is not above the isotonic volume "
            "(1.0), where every protocol starts and ends",
            details={
                "constraint": "max_volume_fraction",
                "limit": limits.max_volume_fraction,
                "best_achievable": 1.0,
                "phase": "addition",
            },
        )


# --- the design problem ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    cell: CellType
    target: dict[str, float]
    carrier: dict[str, float]
    limits: Limits
    equilibration: float
    allow_buffer: bool
    powers: dict[str, float]
    min_carrier_fraction: float = 0.0

    def loaded(self, state: State) -> float:
        """≥ 0 once every CPA is at ≥ equilibration × target inside."""
        return min(state.molality(n) / t for n, t in self.target.items()) - self.equilibration

    def unloaded(self, state: State) -> float:
        """≥ 0 once every CPA is at ≤ (1 − equilibration) × target inside."""
        return (1.0 - self.equilibration) - max(
            state.molality(n) / t for n, t in self.target.items()
        )

    def solution(
        self, cpa_fraction: float, carrier_fraction: float, buffer: float
    ) -> dict[str, float]:
        solutes = {CARRIER_SOLUTE: self.carrier[CARRIER_SOLUTE] * carrier_fraction}
        solutes.update({n: t * cpa_fraction for n, t in self.target.items()})
        if buffer > 0:
            solutes[BUFFER_SOLUTE] = buffer
        return {n: v for n, v in solutes.items() if v > 0}

    def violation(self, summary: Summary, margin: float) -> float:
        low = self.limits.min_volume_fraction + margin
        high = self.limits.max_volume_fraction - margin
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
                low = self.problem.min_carrier_fraction
                solutes = self.problem.solution(a * MAX_OVERSHOOT, low + (1.0 - low) * b, 0.0)
            else:
                buffer = b * MAX_BUFFER_MOL_PER_KG if self.problem.allow_buffer else 0.0
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
                powers=self.problem.powers,
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
        best_z = _optimise(search, first, MAX_EVALUATIONS[2])
        best_value = search.objective(best_z)
        for k in range(3, max_steps + 1):
            start = _insert_step(search, best_z)
            if start is None:
                break
            z = _optimise(search, start, MAX_EVALUATIONS.get(k, 90))
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
    limits = search.problem.limits
    short_low = limits.min_volume_fraction - search.best_min
    short_high = search.best_max - limits.max_volume_fraction
    if short_low >= short_high:
        constraint, limit, best = "min_volume_fraction", limits.min_volume_fraction, search.best_min
        words = f"no {search.phase} protocol tried kept the volume above {limit:g} × isotonic"
    else:
        constraint, limit, best = "max_volume_fraction", limits.max_volume_fraction, search.best_max
        words = f"no {search.phase} protocol tried kept the volume below {limit:g} × isotonic"
    if not math.isfinite(best):
        constraint, limit, best = "equilibration", search.problem.equilibration, 0.0
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


# --- comparison protocols -------------------------------------------------------------------


def _hold_time(
    problem: _Problem, levels: Sequence[float], temperature_c: float, horizon_s: float
) -> float:
    """Longest time any step needs to cover ``equilibration`` of its change of level."""
    cell = problem.cell
    hold = MIN_STEP_S
    for previous, level in zip(levels[:-1], levels[1:], strict=True):
        start = equilibrium_state(
            cell, Step(problem.solution(previous, 1.0, 0.0), 1.0, temperature_c)
        )
        goal = previous + problem.equilibration * (level - previous)
        sign = 1.0 if level > previous else -1.0

        def reached(state: State, goal: float = goal, sign: float = sign) -> float:
            fractions = [state.molality(n) / t for n, t in problem.target.items()]
            worst = min(fractions) if sign > 0 else max(fractions)
            return sign * (worst - goal)

        step = Step(problem.solution(level, 1.0, 0.0), horizon_s, temperature_c)
        found = time_to_condition(cell, step, start, reached)
        hold = max(hold, found if found is not None else horizon_s)
    return float(math.ceil(hold))


def _equal_steps(
    problem: _Problem, phase: Phase, initial: State, n: int, temperature_c: float, horizon_s: float
) -> list[Step]:
    condition = problem.loaded if phase == "addition" else problem.unloaded
    if n == 1:  # one step: held exactly until the end criterion is met
        level = 1.0 if phase == "addition" else 0.0
        step = Step(problem.solution(level, 1.0, 0.0), horizon_s, temperature_c, f"{phase} 1")
        needed = time_to_condition(problem.cell, step, initial, condition)
        duration = (
            max(float(math.ceil(needed)), MIN_FINAL_STEP_S) if needed is not None else horizon_s
        )
        return [Step(step.solutes, duration, temperature_c, step.label)]
    rising = phase == "addition"
    levels = [k / n if rising else 1.0 - k / n for k in range(n + 1)]
    hold = _hold_time(problem, levels, temperature_c, horizon_s)
    steps = [
        Step(problem.solution(level, 1.0, 0.0), hold, temperature_c, f"{phase} {k}")
        for k, level in enumerate(levels[1:], start=1)
    ]
    before = summarize(problem.cell, steps[:-1], initial=initial).final_state
    last = steps[-1]
    extend = Step(last.solutes, horizon_s, temperature_c)
    needed = time_to_condition(problem.cell, extend, before, condition)
    if needed is not None and needed > last.duration_s:
        steps[-1] = Step(last.solutes, float(math.ceil(needed)), temperature_c, last.label)
    return steps


# --- design ---------------------------------------------------------------------------------


def design_protocol(
    cell: CellType,
    target_molality: Mapping[str, float],
    *,
    temperature_c: float,
    limits: Limits | None = None,
    removal_temperature_c: float | None = None,
    max_steps: int = 4,
    allow_osmotic_buffer: bool = True,
    equilibration: float = 0.95,
    min_carrier_fraction: float = 0.0,
    parameter_ranges: Sequence[ParameterRange] | None = None,
) -> ProtocolDesign:
    """Design CPA addition and removal steps that minimise toxicity within the limits.

    Args:
        cell: the cell type (with a permeability for every target CPA).
        target_molality: extracellular molality of each CPA in the final solution, mol/kg
            (in the isotonic carrier).
        temperature_c: temperature of the addition steps, °C.
        limits: osmotic tolerance limits (default: the cell's own).
        removal_temperature_c: temperature of the removal steps (default: ``temperature_c``).
        max_steps: most steps per phase (designed protocol; also the number of increments of
            the equal-step protocol).
        allow_osmotic_buffer: allow sucrose in the removal steps.
        equilibration: addition ends at ≥ this fraction of the target inside; removal at
            ≤ 1 − this fraction.
        min_carrier_fraction: the designed addition steps keep at least this share of the
            isotonic carrier's salts (0 lets the optimiser use salt-poor, hypotonic CPA
            solutions that swell the cell, as in Benson et al. 2012; 1 keeps every step
            in full-strength carrier, the conventional practice).
        parameter_ranges: published ranges of the cell's parameters
            (:func:`cryoprotect.science.cells.parameter_ranges`); the designed protocol is
            re-simulated at each end of each range (:func:`sensitivity_band`). ``None``
            or empty: the band is reported as unknown.

    Returns:
        The designed, one-step and equal-step protocols, each simulated and costed, with
        the sensitivity band of the designed one.

    Raises:
        ValidationError: an unknown CPA for the cell (``target.components``), a non-positive
            molality, a temperature outside [carrier melting point, 45 °C], bad limits or
            settings.
        InfeasibleProtocolError: no protocol can keep the cell within the limits
            (``details`` names the constraint, limit, best achievable value and phase).
    """
    target = _check_target(cell, target_molality)
    limits = limits or Limits.of(cell)
    _check_limits(limits)
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or not 1 <= max_steps <= 8:
        raise ValidationError("max_steps must be an integer from 1 to 8", field="max_steps")
    if not (math.isfinite(equilibration) and 0.5 <= equilibration < 1.0):
        raise ValidationError("equilibration must be in [0.5, 1)", field="equilibration")
    if not (math.isfinite(min_carrier_fraction) and 0.0 <= min_carrier_fraction <= 1.0):
        raise ValidationError(
            "min_carrier_fraction must be in [0, 1]", field="min_carrier_fraction"
        )
    carrier = isotonic_carrier(cell)
    _check_temperature(temperature_c, carrier, "temperature_c")
    removal_c = temperature_c if removal_temperature_c is None else removal_temperature_c
    _check_temperature(removal_c, carrier, "removal_temperature_c")
    problem = _Problem(
        cell=cell,
        target=target,
        carrier=carrier,
        limits=limits,
        equilibration=equilibration,
        allow_buffer=allow_osmotic_buffer,
        powers={n: toxicity_parameter(n).exponent for n in target},
        min_carrier_fraction=min_carrier_fraction,
    )
    designed, settings = _design(problem, temperature_c, removal_c, max_steps)
    one = _comparison(problem, "one_step", 1, temperature_c, removal_c, settings)
    equal = _comparison(problem, "equal_steps", max_steps, temperature_c, removal_c, settings)
    designed_eval = evaluate_protocol(
        cell, designed[0], designed[1], limits=limits, name="designed"
    )
    if not designed_eval.within_limits:  # the fine simulation disagrees with the optimiser's
        if not one.within_limits:
            raise InfeasibleProtocolError(
                "the best protocol found leaves the limits in the final simulation: "
                + "; ".join(designed_eval.violations),
                details=_details_from(designed_eval, limits),
            )
        designed_eval = evaluate_protocol(
            cell, one.addition, one.removal, limits=limits, name="designed"
        )
    band = sensitivity_band(
        cell,
        designed_eval.addition,
        designed_eval.removal,
        parameter_ranges or (),
        limits=limits,
        nominal=(designed_eval.min_volume_fraction, designed_eval.max_volume_fraction),
    )
    return ProtocolDesign(
        designed=designed_eval,
        one_step=one,
        equal_steps=equal,
        cell=cell,
        target=target,
        temperature_c=temperature_c,
        limits=limits,
        method=METHOD,
        settings=settings,
        sensitivity=band,
    )


def _design(
    problem: _Problem, temperature_c: float, removal_c: float, max_steps: int
) -> tuple[tuple[list[Step], list[Step]], dict[str, Any]]:
    cell, target = problem.cell, problem.target
    tau_add = _time_constant_s(cell, target, temperature_c)
    tau_rem = _time_constant_s(cell, target, removal_c)
    addition = _Search(
        phase="addition",
        problem=problem,
        temperature_c=temperature_c,
        initial=State.isotonic(cell),
        horizon_s=200.0 * tau_add,
        max_duration_s=20.0 * tau_add,
    )
    added = _design_phase(addition, max_steps, tau_add)
    # The removal starts where the addition really ends: its last step is rounded up to a
    # whole second past the moment the loading criterion is met.
    loaded = summarize(cell, added.steps, rtol=1e-8).final_state
    removal = _Search(
        phase="removal",
        problem=problem,
        temperature_c=removal_c,
        initial=loaded,
        horizon_s=200.0 * tau_rem,
        max_duration_s=20.0 * tau_rem,
    )
    removed = _design_phase(removal, max_steps, tau_rem)
    settings: dict[str, Any] = {
        "max_steps": max_steps,
        "equilibration": problem.equilibration,
        "allow_osmotic_buffer": problem.allow_buffer,
        "min_carrier_fraction": problem.min_carrier_fraction,
        "addition_temperature_c": temperature_c,
        "removal_temperature_c": removal_c,
        "carrier": dict(problem.carrier),
        "osmotic_buffer": BUFFER_SOLUTE if problem.allow_buffer else None,
        "design_margin": DESIGN_MARGIN,
        "evaluations": {"addition": addition.evaluations, "removal": removal.evaluations},
        "time_constant_s": {"addition": tau_add, "removal": tau_rem},
    }
    return (added.steps, removed.steps), settings


def _comparison(
    problem: _Problem,
    name: str,
    n: int,
    temperature_c: float,
    removal_c: float,
    settings: Mapping[str, Any],
) -> ProtocolEvaluation:
    horizons = settings["time_constant_s"]
    isotonic = State.isotonic(problem.cell)
    addition = _equal_steps(
        problem, "addition", isotonic, n, temperature_c, 200.0 * horizons["addition"]
    )
    loaded = summarize(problem.cell, addition).final_state
    removal = _equal_steps(problem, "removal", loaded, n, removal_c, 200.0 * horizons["removal"])
    return evaluate_protocol(problem.cell, addition, removal, limits=problem.limits, name=name)


# --- sensitivity to the published parameter ranges --------------------------------------------

SENSITIVITY_METHOD = (
    "one parameter at a time: the designed steps (unchanged) re-simulated with the cell's "
    "Lp, each Ps (and carrier half-saturation K) and the inactive volume fraction set to the "
    "low and the high end of its published range, all else as shipped "
    "(transport.summarize, extrema located on the interpolant); the band is the envelope of "
    "the minimum and maximum V/V_iso over these cases and the nominal design"
)
_TOLERANCE = 1e-9


def sensitivity_band(
    cell: CellType,
    addition: Sequence[Step],
    removal: Sequence[Step],
    ranges: Sequence[ParameterRange],
    *,
    limits: Limits,
    nominal: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """How the volume excursion of a protocol moves over the cell's published parameter ranges.

    Each parameter with a published spread is set to the low and to the high end of its
    range in turn (the others as shipped) and the same steps are re-simulated.

    Args:
        cell: the cell type as shipped.
        addition: the protocol's addition steps.
        removal: its removal steps.
        ranges: published ranges (:func:`cryoprotect.science.cells.parameter_ranges`).
        limits: the osmotic tolerance limits judged against.
        nominal: (min, max) V/V_iso of the protocol with the shipped parameters (computed
            if not given).

    Returns:
        JSON-ready dict: ``parameter_ranges`` (each with its source, ``spread`` and the
        ``low``/``high`` cases: value, min and max volume fraction, within limits),
        ``min_volume_fraction`` and ``max_volume_fraction`` as ``[lowest, highest]`` over
        the cases, ``limits_respected_at_extremes``, ``not_varied`` (parameters published
        without spread) and ``status``. Without any range with a spread the band is
        unknown: ``status = "no_published_range"``, the volume fields and
        ``limits_respected_at_extremes`` are ``None`` and ``reason`` says why.
    """
    steps = [*addition, *removal]
    if nominal is None:
        summary = summarize(cell, steps)
        nominal = (summary.min_volume_fraction, summary.max_volume_fraction)
    present = {name.casefold() for step in steps for name in step.solutes}
    ranges = [r for r in ranges if not r.solute or r.solute.casefold() in present]
    varied = [r for r in ranges if r.spread]
    out: dict[str, Any] = {
        "method": SENSITIVITY_METHOD,
        "nominal": {"min_volume_fraction": nominal[0], "max_volume_fraction": nominal[1]},
        "limits": limits.as_dict(),
        "parameter_ranges": [],
        "not_varied": [r.name for r in ranges if not r.spread],
    }
    if not varied:
        reason = (
            "no published range is recorded for this cell type's parameters"
            if not ranges
            else "every recorded parameter has a single published value without a spread"
        )
        return {
            **out,
            "status": "no_published_range",
            "reason": f"unknown, because {reason}",
            "min_volume_fraction": None,
            "max_volume_fraction": None,
            "limits_respected_at_extremes": None,
        }
    lows, highs = [nominal[0]], [nominal[1]]
    respected = True
    for r in varied:
        entry = r.as_dict()
        entry["name"] = r.name
        for end, value in (("low", r.low), ("high", r.high)):
            case = _sensitivity_case(cell, steps, r, value, limits)
            entry[f"{end}_case"] = case
            if case["min_volume_fraction"] is None:
                respected = False
                continue
            lows.append(case["min_volume_fraction"])
            highs.append(case["max_volume_fraction"])
            respected = respected and bool(case["within_limits"])
        out["parameter_ranges"].append(entry)
    return {
        **out,
        "status": "ok",
        "reason": None,
        "min_volume_fraction": [min(lows), max(lows)],
        "max_volume_fraction": [min(highs), max(highs)],
        "limits_respected_at_extremes": respected,
    }


def _sensitivity_case(
    cell: CellType, steps: Sequence[Step], r: ParameterRange, value: float, limits: Limits
) -> dict[str, Any]:
    varied = with_parameter(cell, r.parameter, r.solute, value)
    try:
        summary = summarize(varied, steps)
    except OutOfDomainError as exc:
        return {
            "value": value,
            "min_volume_fraction": None,
            "max_volume_fraction": None,
            "within_limits": None,
            "error": str(exc),
        }
    low, high = summary.min_volume_fraction, summary.max_volume_fraction
    within = (
        low >= limits.min_volume_fraction - _TOLERANCE
        and high <= limits.max_volume_fraction + _TOLERANCE
    )
    return {
        "value": value,
        "min_volume_fraction": low,
        "max_volume_fraction": high,
        "within_limits": within,
        "error": None,
    }
