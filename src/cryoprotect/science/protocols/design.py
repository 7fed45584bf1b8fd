"""Designing a loading and unloading protocol (:func:`design_protocol`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from cryoprotect.errors import InfeasibleProtocolError, ValidationError
from cryoprotect.science.cells import CellType, ParameterRange
from cryoprotect.science.protocols.comparison import _equal_steps
from cryoprotect.science.protocols.definitions import (
    DESIGN_MARGIN,
    MAX_EVALUATIONS,
    METHOD,
    ProtocolDesign,
    ProtocolEvaluation,
)
from cryoprotect.science.protocols.evaluation import evaluate_protocol
from cryoprotect.science.protocols.optimiser import (
    _design_phase,
    _details_from,
    _Problem,
    _Search,
    _time_constant_s,
)
from cryoprotect.science.protocols.sensitivity import sensitivity_band
from cryoprotect.science.protocols.validation import (
    StepOptions,
    _check_target,
    check_keywords,
    check_step_options,
)
from cryoprotect.science.toxicity import toxicity_parameter
from cryoprotect.science.transport import (
    BUFFER_SOLUTE,
    State,
    Step,
    summarize,
)
from cryoprotect.science.transport.summary import IntegrandFactory

# --- design ---------------------------------------------------------------------------------


def design_protocol(
    cell: CellType,
    target_molality: Mapping[str, float],
    *,
    parameter_ranges: Sequence[ParameterRange] | None = None,
    **options: Unpack[StepOptions],
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
    problem = checked_problem(cell, target_molality, options)
    target, limits = problem.target, problem.settings.limits
    temperature_c, removal_c = (
        problem.settings.temperature_c,
        problem.settings.removal_temperature_c,
    )
    max_steps = problem.settings.max_steps
    designed, settings = _design(problem)
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


def checked_problem(
    cell: CellType,
    target_molality: Mapping[str, float],
    options: StepOptions,
    *,
    integrand: IntegrandFactory | None = None,
    evaluations: Mapping[int, int] | None = None,
) -> _Problem:
    """A design request checked (in this order) and made a problem (its ``settings`` hold the
    checked step options).

    The arguments are those of :func:`design_protocol` and
    :func:`~cryoprotect.science.protocols.steps.design_steps`: no ``integrand`` is the Benson
    cost (the CPAs' published exponents), an ``integrand`` its running integral instead.

    Raises:
        ValidationError: as ``design_protocol`` (field named); ``evaluations`` without a
            positive budget for K = 2.
        TypeError: an option :class:`StepOptions` does not name.
    """
    check_keywords(options, StepOptions)
    target = _check_target(cell, target_molality)
    checked = check_step_options(cell, options, max_steps=4)
    budgets = dict(MAX_EVALUATIONS if evaluations is None else evaluations)
    if 2 not in budgets or any(v < 1 for v in budgets.values()):
        raise ValidationError("evaluations needs a positive budget for K = 2", field="evaluations")
    powers = {} if integrand is not None else {n: toxicity_parameter(n).exponent for n in target}
    return _Problem(cell, target, checked, powers, integrand, budgets)


def _design(problem: _Problem) -> tuple[tuple[list[Step], list[Step]], dict[str, Any]]:
    cell, target, checked = problem.cell, problem.target, problem.settings
    temperature_c, removal_c = checked.temperature_c, checked.removal_temperature_c
    max_steps = checked.max_steps
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
        "equilibration": checked.equilibration,
        "allow_osmotic_buffer": checked.allow_osmotic_buffer,
        "min_carrier_fraction": checked.min_carrier_fraction,
        "addition_temperature_c": temperature_c,
        "removal_temperature_c": removal_c,
        "carrier": dict(checked.carrier),
        "osmotic_buffer": BUFFER_SOLUTE if checked.allow_osmotic_buffer else None,
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
    return evaluate_protocol(
        problem.cell, addition, removal, limits=problem.settings.limits, name=name
    )
