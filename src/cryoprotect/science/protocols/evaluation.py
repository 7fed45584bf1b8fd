"""Judging a protocol: simulate it and check the volume limits (:func:`evaluate_protocol`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from cryoprotect.science import thermo
from cryoprotect.science.cells import CellType
from cryoprotect.science.protocols.definitions import Limits, ProtocolEvaluation
from cryoprotect.science.toxicity import toxicity_cost
from cryoprotect.science.transport import (
    Step,
    Trajectory,
    simulate,
)

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
