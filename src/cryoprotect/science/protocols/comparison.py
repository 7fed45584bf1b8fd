"""Comparison protocols a design is measured against: one step held to equilibrium, equal
molality steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from cryoprotect.science.protocols.definitions import MIN_FINAL_STEP_S, MIN_STEP_S, Phase
from cryoprotect.science.protocols.optimiser import _Problem
from cryoprotect.science.transport import (
    State,
    Step,
    equilibrium_state,
    summarize,
    time_to_condition,
)

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
        goal = previous + problem.settings.equilibration * (level - previous)
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
