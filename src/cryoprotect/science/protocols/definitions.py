"""What a protocol design takes and returns: the design constants, :class:`Limits`,
:class:`ProtocolEvaluation` and :class:`ProtocolDesign`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cryoprotect.science.cells import CellType
from cryoprotect.science.toxicity import ToxicityCost
from cryoprotect.science.transport import (
    Step,
    Trajectory,
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
