"""Designing the cocktail: :func:`design_cocktail` (composition and protocol together) and
:func:`design_for_composition` (a fixed composition loaded by the same designer).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Required, Unpack

from cryoprotect.errors import InfeasibleProtocolError, ValidationError
from cryoprotect.science.cells import CellType
from cryoprotect.science.cocktail.rate import path_survival, rate_integrand
from cryoprotect.science.cocktail.result import (
    Binding,
    CocktailDesign,
    CocktailPoint,
    pareto_front,
)
from cryoprotect.science.cocktail.search import (
    PROXY_METHOD,
    Screened,
    SearchContext,
    boundary,
    fraction_grid,
    no_composition_error,
    proxy_cost,
    screen,
)
from cryoprotect.science.cocktail.vitrification import (
    LEVEL_STEPS,
    VitrificationCheck,
    VitrificationTarget,
    check_vitrification,
    mass_percents,
)
from cryoprotect.science.protocols import (
    MAX_TARGET_MOL_PER_KG,
    design_steps,
    evaluate_protocol,
)
from cryoprotect.science.protocols.validation import (
    StepOptions,
    StepSettings,
    check_keywords,
    check_step_options,
)
from cryoprotect.science.toxicity import KineticToxicityModel
from cryoprotect.science.transport import ZERO_CELSIUS_K

Progress = Callable[[float], None]

QUICK_STEPS = 2
QUICK_EVALUATIONS = {2: 30}
"""Protocol budget of the screening designs and the Pareto points other than the chosen one."""
OSMOTIC_TOLERANCE = 0.01
"""A volume limit binds when the protocol comes within this volume fraction of it."""
TIME_TOLERANCE = 0.02
RUNNER_UP_FACTOR = 1.5
"""The second-ranked composition gets a protocol design when its proxy is within this factor."""
HORIZON_S = 1.0e5
MAX_CANDIDATES = 5

METHOD = (
    "composition and protocol searched together: a lattice of CPA proportions (spacing "
    "composition_step), each taken to the least total molality that meets the vitrification "
    "constraint (monotone scan + bisection), ranked by a one-step loading/unloading proxy "
    "(kinetic toxicity integrated along the two-parameter transport path); the best-ranked "
    "compositions get loading and unloading protocols designed against -ln survival = "
    "integral of k(m_i(t), T) dt (protocols.design_steps: bounded Nelder-Mead over piecewise-"
    "constant steps within the osmotic limits); the Pareto front repeats this at vitrification "
    "margins of k x step (k = 1, 2, ...); surviving fraction and its band recomputed on the "
    "fine simulation of the designed steps"
)


class DesignOptions(StepOptions, total=False):
    """The options :func:`design_cocktail` and :func:`design_for_composition` share, by
    keyword: the protocol designer's and the target and time limit (see
    :func:`design_cocktail`'s Args; :func:`_request` holds the defaults)."""

    vitrification: Required[VitrificationTarget]
    max_total_time_s: float | None


@dataclass(frozen=True)
class _Request:
    cell: CellType
    names: tuple[str, ...]
    model: KineticToxicityModel
    context: SearchContext
    settings: StepSettings
    max_total_time_s: float | None


def _candidates(
    cell: CellType, candidates: Sequence[str], model: KineticToxicityModel
) -> tuple[str, ...]:
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        raise ValidationError("candidates must be a list of CPA names", field="candidates")
    if not 1 <= len(candidates) <= MAX_CANDIDATES:
        raise ValidationError(f"give 1 to {MAX_CANDIDATES} candidate CPAs", field="candidates")
    names: list[str] = []
    known = {c.casefold() for c in model.cpas}
    for name in candidates:
        permeability = cell.known_permeability(
            name, field="candidates", advice="the transport model cannot load it"
        )
        if permeability.solute in names:
            raise ValidationError(f"{name} is listed twice", field="candidates")
        if permeability.solute.casefold() not in known:
            raise ValidationError(
                f"the toxicity model {model.name!r} has no parameters for {permeability.solute}",
                field="candidates",
                details={"solute": permeability.solute, "known": list(model.cpas)},
            )
        names.append(permeability.solute)
    return tuple(names)


def _request(
    cell: CellType, names: tuple[str, ...], model: KineticToxicityModel, options: DesignOptions
) -> _Request:
    """The checked request; the defaults of the options absent from ``options`` are here.

    Raises:
        TypeError: an option that is not one of :class:`DesignOptions` (as a misspelt keyword
            argument would, a programming error).
    """
    check_keywords(options, DesignOptions)
    vitrification = options["vitrification"]
    max_total_time_s = options.get("max_total_time_s")
    vitrification.check()
    if max_total_time_s is not None and not (
        isinstance(max_total_time_s, int | float)
        and math.isfinite(max_total_time_s)
        and max_total_time_s > 0
    ):
        raise ValidationError("max_total_time_s must be > 0", field="max_total_time_s")
    checked = check_step_options(cell, options, max_steps=3)
    temperature_c, removal_c = checked.temperature_c, checked.removal_temperature_c
    for where, value in (("temperature_c", temperature_c), ("removal_temperature_c", removal_c)):
        try:
            model.compiled_rate(names, value + ZERO_CELSIUS_K)
        except ValidationError as error:
            raise ValidationError(str(error), field=where) from error
    context = SearchContext(
        cell=cell,
        names=names,
        carrier=checked.carrier,
        target=vitrification,
        integrand=rate_integrand(model),
        temperature_c=temperature_c,
        removal_temperature_c=removal_c,
        equilibration=checked.equilibration,
        horizon_s=max_total_time_s or HORIZON_S,
        max_molality=MAX_TARGET_MOL_PER_KG,
    )
    return _Request(
        cell,
        names,
        model,
        context,
        checked,
        max_total_time_s,
    )


def _design_point(
    request: _Request,
    molality: Mapping[str, float],
    check: VitrificationCheck,
    label: str,
    *,
    quick: bool,
    level: int = 0,
) -> CocktailPoint:
    context = request.context
    settings = request.settings
    max_steps = min(QUICK_STEPS, settings.max_steps) if quick else settings.max_steps
    steps = design_steps(
        request.cell,
        molality,
        integrand=context.integrand,
        evaluations=QUICK_EVALUATIONS if quick else None,
        **settings.as_options(max_steps=max_steps),
    )
    evaluation = evaluate_protocol(
        request.cell, steps.addition, steps.removal, limits=request.settings.limits, name=label
    )
    survival = path_survival(request.model, evaluation.trajectory)
    within_time = (
        request.max_total_time_s is None or evaluation.total_duration_s <= request.max_total_time_s
    )
    point = CocktailPoint(
        label=label,
        molality={n: float(m) for n, m in molality.items()},
        mass_percent=mass_percents(molality, context.carrier),
        vitrification=check,
        protocol=evaluation,
        survival=survival,
        binding=(),
        max_steps_used=max_steps,
        within_time=within_time,
    )
    return _with_binding(point, request, level)


def _with_binding(point: CocktailPoint, request: _Request, level: int) -> CocktailPoint:
    found: list[Binding] = []
    check = point.vitrification
    if check.criterion is not None and check.margin is not None:
        wanted = level * LEVEL_STEPS[check.criterion]
        if check.margin <= wanted + 1e-3 * LEVEL_STEPS[check.criterion]:
            found.append(
                Binding(
                    f"vitrification.{check.criterion}",
                    check.margin,
                    wanted,
                    f"margin {check.margin:.4g} {check.unit} at the requested {wanted:g}: "
                    "less CPA would not meet the constraint",
                )
            )
    protocol, limits = point.protocol, request.settings.limits
    if protocol.min_volume_fraction <= limits.min_volume_fraction + OSMOTIC_TOLERANCE:
        found.append(
            Binding(
                "min_volume_fraction",
                protocol.min_volume_fraction,
                limits.min_volume_fraction,
                "the cell shrinks to (within 0.01 of) its lower volume limit",
            )
        )
    if protocol.max_volume_fraction >= limits.max_volume_fraction - OSMOTIC_TOLERANCE:
        found.append(
            Binding(
                "max_volume_fraction",
                protocol.max_volume_fraction,
                limits.max_volume_fraction,
                "the cell swells to (within 0.01 of) its upper volume limit",
            )
        )
    limit = request.max_total_time_s
    if limit is not None and protocol.total_duration_s >= (1.0 - TIME_TOLERANCE) * limit:
        found.append(
            Binding(
                "max_total_time_s",
                protocol.total_duration_s,
                limit,
                "the protocol takes (nearly) all the time allowed",
            )
        )
    used = max(len(protocol.addition), len(protocol.removal))
    if used >= point.max_steps_used:
        found.append(
            Binding(
                "max_steps",
                float(used),
                float(point.max_steps_used),
                "a phase uses every step allowed",
            )
        )
    return CocktailPoint(
        point.label,
        point.molality,
        point.mass_percent,
        point.vitrification,
        point.protocol,
        point.survival,
        tuple(found),
        point.max_steps_used,
        point.within_time,
    )


def _report(progress: Progress | None, fraction: float) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0))


def _no_feasible_point(
    points: Sequence[CocktailPoint], request: _Request
) -> InfeasibleProtocolError:
    limit = request.max_total_time_s
    if limit is not None and any(not p.within_time for p in points):
        shortest = min(p.protocol.total_duration_s for p in points)
        return InfeasibleProtocolError(
            f"no designed protocol fits in max_total_time_s = {limit:g} s "
            f"(shortest: {shortest:.0f} s)",
            details={
                "constraint": "max_total_time_s",
                "limit": limit,
                "best_achievable": shortest,
                "phase": "protocol",
            },
        )
    # The fine simulation of every designed protocol crossed a volume limit that the
    # optimiser's coarser integration kept (within its 0.002 design margin).
    limits = request.settings.limits
    low = max(p.protocol.min_volume_fraction for p in points)
    high = min(p.protocol.max_volume_fraction for p in points)
    below = limits.min_volume_fraction - low >= high - limits.max_volume_fraction
    constraint = "min_volume_fraction" if below else "max_volume_fraction"
    violations = "; ".join(v for p in points for v in p.protocol.violations)
    return InfeasibleProtocolError(
        f"every designed protocol leaves the osmotic limits in the final simulation: {violations}",
        details={
            "constraint": constraint,
            "limit": getattr(limits, constraint),
            "best_achievable": low if below else high,
            "phase": "protocol",
        },
    )


def design_cocktail(
    cell: CellType,
    candidates: Sequence[str],
    toxicity: KineticToxicityModel,
    *,
    composition_step: float = 0.1,
    pareto_levels: int = 4,
    progress: Progress | None = None,
    **options: Unpack[DesignOptions],
) -> CocktailDesign:
    """Design a CPA cocktail and its loading/unloading protocol at the least predicted toxicity.

    Args:
        cell: the cell type (a permeability for every candidate).
        candidates: 1–5 CPA names (the cell's permeability names or synonyms).
        toxicity: the kinetic toxicity model (parameters for every candidate).
        temperature_c: addition temperature, °C.
        vitrification: what the loaded solution must achieve
            (:class:`~cryoprotect.science.cocktail.VitrificationTarget`).
        limits: osmotic tolerance limits (default: the cell's own).
        removal_temperature_c: removal temperature (default: ``temperature_c``).
        max_total_time_s: longest protocol (addition + removal) accepted, s.
        max_steps: most steps per phase of the chosen design.
        composition_step: spacing of the lattice of CPA proportions (0.1: 66 proportions
            of three CPAs).
        pareto_levels: vitrification margins of the Pareto front, 0, 1, ... × the criterion's
            step (:data:`~cryoprotect.science.cocktail.vitrification.LEVEL_STEPS`).
        equilibration: loading/unloading end criterion.
        allow_osmotic_buffer: allow sucrose in the removal steps.
        min_carrier_fraction: least share of the carrier's salts in an addition step.
        progress: called with the fraction of the work done (0–1).

    Returns:
        The chosen design (highest predicted surviving fraction among feasible points) and
        the Pareto front.

    Raises:
        ValidationError: bad input (field named), or a vitrification constraint that cannot
            be judged for these CPAs.
        InfeasibleProtocolError: no composition meets the vitrification constraint, or no
            protocol keeps the cell within the osmotic limits / the time limit (``details``
            names the constraint, its limit and the best value achieved).
    """
    started = time.perf_counter()
    names = _candidates(cell, candidates, toxicity)
    if not (isinstance(composition_step, int | float) and 0.01 <= composition_step <= 1.0):
        raise ValidationError("composition_step must be in [0.01, 1]", field="composition_step")
    if (
        isinstance(pareto_levels, bool)
        or not isinstance(pareto_levels, int)
        or not (1 <= pareto_levels <= 8)
    ):
        raise ValidationError("pareto_levels must be an integer from 1 to 8", field="pareto_levels")
    request = _request(cell, names, toxicity, options)
    _report(progress, 0.0)
    vectors = fraction_grid(len(names), composition_step)
    ranked, missed = screen(request.context, vectors, 0)
    ranked = [s for s in ranked if math.isfinite(s.proxy)] or ranked
    if not ranked:
        raise no_composition_error(missed, names)
    _report(progress, 0.35)
    points, _ = _design_level_zero(request, ranked, progress)
    screened: list[Screened] = list(ranked)
    designs = len(points)
    for level in range(1, pareto_levels):
        candidates_k = []
        for s in ranked[:3]:
            found = boundary(request.context, s.fractions, level)
            if found is not None:
                molality, check = found
                candidates_k.append(
                    Screened(
                        s.fractions, molality, check, level, proxy_cost(request.context, molality)
                    )
                )
        screened.extend(candidates_k)
        _report(progress, 0.65 + 0.35 * (level - 1) / max(pareto_levels - 1, 1))
        if not candidates_k:
            continue
        top = min(candidates_k, key=lambda s: s.proxy)
        try:
            points.append(
                _design_point(
                    request,
                    top.molality,
                    top.check,
                    f"pareto level {level}",
                    quick=True,
                    level=level,
                )
            )
            designs += 1
        except InfeasibleProtocolError:
            continue
    feasible = [p for p in points if p.feasible]
    if not feasible:
        raise _no_feasible_point(points, request)
    best = max(feasible, key=lambda p: p.survival.log_survival)
    _report(progress, 1.0)
    settings: dict[str, Any] = {
        "composition_step": composition_step,
        "proportions": len(vectors),
        "proportions_meeting_constraint": len(ranked),
        "protocol_designs": designs,
        "max_steps": request.settings.max_steps,
        "quick_design": {"max_steps": QUICK_STEPS, "evaluations": QUICK_EVALUATIONS},
        "pareto_levels": pareto_levels,
        "level_steps": dict(LEVEL_STEPS),
        "equilibration": request.context.equilibration,
        "removal_temperature_c": request.context.removal_temperature_c,
        "max_total_time_s": request.max_total_time_s,
        "carrier": dict(request.context.carrier),
        "proxy": PROXY_METHOD,
        "seconds": time.perf_counter() - started,
    }
    warnings = (
        f"toxicity parameters from: {toxicity.source or toxicity.name} "
        f"(provenance {toxicity.provenance}, verified={toxicity.verified}); applying them to "
        f"{cell.name} assumes these cells share those toxicity kinetics",
        "the surviving fraction counts CPA toxicity only (osmotic damage is excluded by the "
        "volume limits, not predicted; the time spent cooled, stored and rewarmed is not "
        "modelled)",
    )
    return CocktailDesign(
        best=best,
        pareto=pareto_front(points),
        cell=cell,
        candidates=names,
        toxicity_model=toxicity.as_dict(),
        temperature_c=request.context.temperature_c,
        vitrification=request.context.target,
        limits=request.settings.limits,
        method=METHOD,
        settings=settings,
        warnings=warnings,
        screened=tuple(s.as_dict() for s in screened),
    )


def _feasible_designs(
    request: _Request, ranked: Sequence[Screened], label: str, *, quick: bool
) -> Iterator[tuple[Screened, CocktailPoint]]:
    """The designs of the (up to) four best-ranked compositions, lazily, skipping those whose
    protocol cannot stay within the osmotic limits; if none can, the last
    InfeasibleProtocolError is raised."""
    error: InfeasibleProtocolError | None = None
    designed = False
    for s in ranked[:4]:
        try:
            point = _design_point(request, s.molality, s.check, label, quick=quick)
        except InfeasibleProtocolError as caught:
            error = caught
            continue
        designed = True
        yield s, point
    if not designed:
        assert error is not None
        raise error


def _design_level_zero(
    request: _Request, ranked: Sequence[Screened], progress: Progress | None
) -> tuple[list[CocktailPoint], CocktailPoint]:
    """The full design of the best-ranked composition (or of the better of the two best by
    quick designs, when the proxy cannot tell them apart: within :data:`RUNNER_UP_FACTOR`).

    A composition whose protocol cannot stay within the osmotic limits is skipped (up to the
    fourth-ranked); if none can, the last InfeasibleProtocolError is raised.
    """
    close = [s for s in ranked[:2] if s.proxy <= RUNNER_UP_FACTOR * ranked[0].proxy]
    if len(close) < 2:
        _, full = next(_feasible_designs(request, ranked, "designed", quick=False))
        _report(progress, 0.65)
        return [full], full
    quick: list[tuple[Screened, CocktailPoint]] = []
    for found in _feasible_designs(request, ranked, "screening", quick=True):
        quick.append(found)
        _report(progress, 0.35 + 0.1 * len(quick))
        if len(quick) == 2:
            break
    winner, _ = max(quick, key=lambda q: q[1].survival.log_survival)
    full = _design_point(request, winner.molality, winner.check, "designed", quick=False)
    _report(progress, 0.65)
    return [full] + [p for s, p in quick if s is not winner], full


def design_for_composition(
    cell: CellType,
    molality: Mapping[str, float],
    toxicity: KineticToxicityModel,
    *,
    label: str = "fixed",
    **options: Unpack[DesignOptions],
) -> CocktailPoint:
    """A fixed composition (e.g. VS55, DP6) loaded and unloaded by the same designer.

    Raises:
        ValidationError, InfeasibleProtocolError: as :func:`design_cocktail`.
    """
    names = _candidates(cell, list(molality), toxicity)
    canonical = dict(zip(names, (float(v) for v in molality.values()), strict=True))
    request = _request(cell, names, toxicity, options)
    check = check_vitrification(request.context.target, canonical, request.context.carrier)
    return _design_point(request, canonical, check, label, quick=False)
