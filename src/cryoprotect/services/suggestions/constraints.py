"""What a candidate must satisfy besides the model: makeable as a real solution, and the
osmolality and melting-point bounds, proven by the validity-checked physics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cryoprotect.errors import InvalidCompositionError
from cryoprotect.ml import datasets as ml_datasets
from cryoprotect.ml.components import ComponentInfo
from cryoprotect.ml.features import CompositionPhysicsFeaturizer
from cryoprotect.services import solutions


def solution_components(
    infos: Sequence[ComponentInfo], amounts: Sequence[tuple[float, str]]
) -> list[solutions.SolutionComponent]:
    """The candidate's components as the solution service takes them (amount, unit)."""
    return [
        solutions.SolutionComponent(
            name=info.name,
            synonyms=info.synonyms,
            molar_mass_g_per_mol=info.molar_mass_g_per_mol,
            amount=amount,
            unit=unit,
        )
        for info, (amount, unit) in zip(infos, amounts, strict=True)
    ]


def makeable(
    featurizer: CompositionPhysicsFeaturizer, row: ml_datasets.DatasetRow
) -> dict[str, Any]:
    """Whether the composition is a real solution, and how that was decided."""
    infos = [featurizer.resolve(c.name) for c in row.composition]
    comps = solution_components(infos, [(c.amount, c.unit) for c in row.composition])
    try:
        solutions.check_composition(comps)
    except InvalidCompositionError as exc:
        field = str(exc.details.get("field") or "")
        if not field.endswith(".unit"):
            return {"ok": False, "method": "solutions.check_composition", "reason": exc.message}
        return {
            "ok": True,
            "method": (
                "the model's unit conversion (ml/features density closure: the sucrose "
                "binary's volume per gram for solids without density data); the exact "
                f"check needs densities it lacks ({exc.message})"
            ),
            "reason": None,
        }
    return {"ok": True, "method": "solutions.check_composition (exact conversion)", "reason": None}


def physics(
    infos: Sequence[ComponentInfo], molality: Sequence[float], mass_percent: Sequence[float]
) -> dict[str, Any]:
    """Osmolality and melting point of a candidate (mol/kg; % w/w for undefined masses)."""
    amounts = [
        (float(m), "mol/kg")
        if info.molar_mass_g_per_mol and math.isfinite(m)
        else (float(w), "% w/w")
        for info, m, w in zip(infos, molality, mass_percent, strict=True)
    ]
    missing = [i.name for i in infos if not i.molar_mass_g_per_mol]
    if missing:
        reason = (
            f"unknown, because {', '.join(missing)} has no defined molar mass, so its "
            "contribution to osmolality and freezing cannot be computed"
        )
        unknown = {"value": None, "status": "range_unknown", "reason": reason, "bound": None}
        return {"osmolality": dict(unknown), "melting_point": dict(unknown)}
    props = solutions.solution_properties(solution_components(infos, amounts))
    osm, mp = props.osmolality, props.melting_point
    return {
        "osmolality": {
            "value": osm["value"],
            "unit": "osmol/kg",
            "status": osm["status"],
            "reason": osm["reason"],
            "bound": osm["bound"],
        },
        "melting_point": {
            "value": mp["value_c"],
            "unit": "°C",
            "status": mp["status"],
            "reason": mp["reason"],
            "bound": mp["bound"],
        },
    }


def satisfies_max_osmolality(answer: Mapping[str, Any], limit: float) -> tuple[bool, str]:
    """Whether an osmolality answer proves ``≤ limit`` (unproven counts as not satisfied)."""
    if answer.get("value") is not None:
        ok = float(answer["value"]) <= limit
        return ok, f"osmolality {answer['value']:.3g} osmol/kg {'≤' if ok else '>'} {limit:g}"
    bound = answer.get("bound") or {}
    if bound.get("relation") == "above" and float(bound["value"]) > limit:
        return False, f"osmolality above {bound['value']:.3g} osmol/kg > {limit:g} (bound)"
    return False, f"osmolality not proven ≤ {limit:g} osmol/kg: {answer.get('reason')}"


def satisfies_max_melting_point(answer: Mapping[str, Any], limit_c: float) -> tuple[bool, str]:
    """Whether a melting-point answer proves ``≤ limit_c`` (unproven counts as not satisfied)."""
    if answer.get("value") is not None:
        ok = float(answer["value"]) <= limit_c
        return ok, f"melting point {answer['value']:.1f} °C {'≤' if ok else '>'} {limit_c:g} °C"
    bound = answer.get("bound") or {}
    if (
        bound.get("quantity") == "ice_melting_point"
        and bound.get("relation") in ("below", "at_or_below")
        and float(bound["value"]) <= limit_c
    ):
        return True, f"melting point at or below {bound['value']:.1f} °C ≤ {limit_c:g} °C (bound)"
    return False, f"melting point not proven ≤ {limit_c:g} °C: {answer.get('reason')}"


def check_candidate(
    featurizer: CompositionPhysicsFeaturizer,
    row: ml_datasets.DatasetRow,
    molality: Mapping[str, float],
    mass_percent: Mapping[str, float],
    max_osm: float | None,
    max_tm: float | None,
) -> dict[str, Any]:
    """Makeable, physics and the asked bounds of one candidate, and which check failed first."""
    made = makeable(featurizer, row)
    infos = [featurizer.resolve(c.name) for c in row.composition]
    result: dict[str, Any] = {
        "makeable": made,
        "physics": None,
        "constraints": [],
        "passed": False,
        "failed": "not_makeable",
    }
    if not made["ok"]:
        return result
    try:
        phys = physics(
            infos,
            [molality[info.name] for info in infos],
            [mass_percent[info.name] for info in infos],
        )
    except InvalidCompositionError as exc:
        result["makeable"] = {
            "ok": False,
            "method": "solution_properties",
            "reason": exc.message,
        }
        return result
    result["physics"] = phys
    constraints = []
    bounds = (
        ("max_osmolality_osmol_per_kg", max_osm, "osmolality", satisfies_max_osmolality),
        ("max_melting_point_c", max_tm, "melting_point", satisfies_max_melting_point),
    )
    for name, limit, quantity, satisfies in bounds:
        if limit is None:
            continue
        ok, text = satisfies(phys[quantity], limit)
        constraints.append({"name": name, "ok": ok, "text": text})
        if not ok:
            result.update(constraints=constraints, failed=name)
            return result
    result.update(constraints=constraints, passed=True, failed=None)
    return result
