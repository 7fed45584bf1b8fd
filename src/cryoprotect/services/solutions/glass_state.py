"""Which glass a solution forms and whether ice forms at given rates: the headline glass
(homogeneous or freeze-concentrated, and why) and the vitrification block (critical
cooling and warming rates, named solutions, verdicts with margins)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from cryoprotect.science import glass, vitrification
from cryoprotect.services.solutions.components import (
    SolutionComponent,
    component_names,
    name_in,
)


def _critical_rates(
    cpas: list[tuple[SolutionComponent, float, float]], named: str | None
) -> tuple[dict[str, vitrification.RateAnswer], str]:
    """CCR and CWR of the solution: a named solution's published rates, or a binary curve."""
    if named is not None:
        return (
            {q: vitrification.named_solution_rate(named, q) for q in vitrification.QUANTITIES},
            named,
        )
    if len(cpas) == 1:
        c, w, _ = cpas[0]
        solutes = {p.solute.lower() for p in vitrification.rate_table_solutes()}
        solute = name_in(c, solutes) or c.name
        return (
            {q: vitrification.critical_rate(solute, q, w) for q in vitrification.QUANTITIES},
            solute,
        )
    label = " + ".join(c.name for c, _, _ in cpas) or "this solution"
    reason = (
        "unknown, because no published critical rates are recorded for this multi-solute "
        "composition (it matches no recorded named solution) and the binary rates are not "
        "combined"
    )
    return (
        {
            q: vitrification.RateAnswer(
                quantity=q,
                system=label,
                value_c_per_min=None,
                status="no_data",
                method=vitrification.NAMED_METHOD,
                reason=reason,
            )
            for q in vitrification.QUANTITIES
        },
        label,
    )


def glass_and_ice(
    components: list[SolutionComponent],
    mass_fractions: npt.NDArray[np.float64],
    molarities: npt.NDArray[np.float64],
    tg_k: float | None,
    tg: glass.GlassTransitionResult,
    *,
    name: str | None,
    cooling_rate_c_per_min: float | None,
    warming_rate_c_per_min: float | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The headline glass (which one applies and why) and the vitrification block."""
    cpas = [
        (c, float(w), float(m))
        for c, w, m in zip(components, mass_fractions, molarities, strict=True)
        if c.origin == "mixture" and w > 0
    ]
    carrier_present = any(c.origin == "carrier" for c in components)
    named: str | None = None
    if name and any(
        n.name.lower() == name.strip().lower() for n in vitrification.named_solutions()
    ):
        named = next(
            n.name
            for n in vitrification.named_solutions()
            if n.name.lower() == name.strip().lower()
        )
    if named is None:
        match = vitrification.match_named_solution([(component_names(c), m) for c, _, m in cpas])
        named = None if match is None else match.name
    rates, system = _critical_rates(cpas, named)
    verdicts: dict[str, vitrification.Verdict] = {}
    if cooling_rate_c_per_min is not None:
        verdicts["cooling"] = vitrification.verdict(
            rates[vitrification.CCR], cooling_rate_c_per_min
        )
    if warming_rate_c_per_min is not None:
        verdicts["warming"] = vitrification.verdict(
            rates[vitrification.CWR], warming_rate_c_per_min
        )

    table = glass.default_glass_parameters()
    inputs = []
    for c, w, _ in cpas:
        params = table.get((name_in(c, set(table)) or c.name).strip().lower())
        hmin = params.homogeneous_min if params else None
        glass_name = params.solute if params else c.name
        inputs.append(
            vitrification.SoluteGlassInput(
                name=glass_name,
                mass_fraction=w,
                homogeneous_min=None if hmin is None else hmin.value,
                homogeneous_min_source=None if hmin is None else hmin.source,
            )
        )
    headline = vitrification.headline_glass(
        inputs,
        tg_homogeneous_k=tg_k,
        tg_method=tg.method,
        tg_provenance=_weakest(tg.k_provenance.values()),
        cooling=verdicts.get("cooling"),
    )
    answer = headline.as_dict()
    if carrier_present and headline.applies == "freeze_concentrated" and headline.value_k:
        answer["warnings"].append(
            "the carrier's solutes are not in the published binary Tg′ (they lower it somewhat)"
        )
    nucleation = vitrification.nucleation_curve(inputs[0].name) if len(inputs) == 1 else None
    th = None if nucleation is None else nucleation.at(inputs[0].mass_fraction)
    block: dict[str, Any] = {
        "system": system,
        "named_solution": named,
        "critical_cooling_rate": rates[vitrification.CCR].as_dict(),
        "critical_warming_rate": rates[vitrification.CWR].as_dict(),
        "cooling": None if "cooling" not in verdicts else verdicts["cooling"].as_dict(),
        "warming": None if "warming" not in verdicts else verdicts["warming"].as_dict(),
        "vitrifies": _overall(verdicts),
        "homogeneous_nucleation_c": th,
        "homogeneous_nucleation_reason": (
            "unknown, because the homogeneous nucleation temperature of a multi-solute "
            "solution is not recorded"
            if nucleation is None
            else (nucleation.reason if th is None else None)
        ),
        "warnings": (
            ["binary critical rates applied to a solution that also holds carrier solutes"]
            if carrier_present and named is None and len(cpas) == 1
            else []
        ),
    }
    return answer, block


def _overall(verdicts: dict[str, vitrification.Verdict]) -> str | None:
    """ice_free only when both given rates avoid ice; ice_forms if either forms ice."""
    if not verdicts:
        return None
    outcomes = {v.outcome for v in verdicts.values()}
    if "ice_forms" in outcomes:
        return "ice_forms"
    if outcomes == {"ice_free"} and len(verdicts) == 2:
        return "ice_free"
    return "unknown"


def _weakest(provenances: Any) -> str | None:
    order = ["estimated", "fitted", "measured"]
    found = [p for p in provenances if p in order]
    return min(found, key=order.index) if found else None
