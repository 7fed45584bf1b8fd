"""Physical properties of CPA solutions: composition in every unit, osmolality, melting
point, glass transition — each number with its method, the provenance of its parameters
and validity flags.

This module only maps library molecules onto the pure science modules
(:mod:`~cryoprotect.science.composition`, :mod:`~cryoprotect.science.thermo`,
:mod:`~cryoprotect.science.glass`) and assembles the answer; it computes nothing itself.
A library molecule is matched to a parameter set by its name or any synonym, exactly
(case-insensitive): never by substring.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cryoprotect.errors import InvalidCompositionError, NotFound, ValidationError
from cryoprotect.science import (
    composition,
    electrolytes,
    glass,
    thermo,
    thermo_validity,
    vitrification,
)

PARAMS = Path(composition.__file__).resolve().parent / "params"


@dataclass(frozen=True)
class SolutionComponent:
    """One resolved component: its library names, molar mass, amount and unit."""

    name: str
    synonyms: tuple[str, ...]
    molar_mass_g_per_mol: float | None
    amount: float
    unit: str
    role: str | None = None
    origin: str = "mixture"  # or "carrier"


def _lower_names(c: SolutionComponent) -> list[str]:
    return [n for n in (c.name, *c.synonyms) if n]


def _solute_for(c: SolutionComponent, path: str) -> composition.Solute:
    """The conversion's solute: shipped density data when any name matches, else molar mass only."""
    for name in _lower_names(c):
        try:
            known = composition.get_solute(name)
        except InvalidCompositionError:
            continue
        # Keep the library's display name; density data and molar mass come from the table.
        return composition.Solute(
            name=c.name,
            molar_mass_g_per_mol=known.molar_mass_g_per_mol,
            pure_density_g_per_ml=known.pure_density_g_per_ml,
            density_source=known.density_source,
            crc_key=known.crc_key,
        )
    if not c.molar_mass_g_per_mol or c.molar_mass_g_per_mol <= 0:
        raise InvalidCompositionError(
            f"{c.name} has no molar mass, so its amount cannot be converted; "
            "give the component a molar mass (average molar mass for polymers).",
            field=f"{path}.molecule_id",
        )
    return composition.Solute(name=c.name, molar_mass_g_per_mol=c.molar_mass_g_per_mol)


def _parameter_name(c: SolutionComponent, known: dict[str, Any]) -> str:
    """The first of the component's names that has parameters in ``known`` (lower-case keys)."""
    for name in _lower_names(c):
        if name.strip().lower() in known:
            return str(known[name.strip().lower()].solute)
    return c.name


@lru_cache(maxsize=1)
def carriers() -> dict[str, dict[str, Any]]:
    """Carrier solutions shipped in ``science/params/carriers.csv`` (name → definition)."""
    path = PARAMS / "carriers.csv"
    table: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return table
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            key = row["carrier"].strip()
            entry = table.setdefault(
                key.lower(),
                {
                    "name": key,
                    "synonyms": [
                        s.strip() for s in (row.get("synonyms") or "").split("|") if s.strip()
                    ],
                    "components": [],
                    "sources": [],
                },
            )
            entry["components"].append(
                {
                    "name": row["solute"].strip(),
                    "amount": float(row["amount"]),
                    "unit": row["unit"].strip(),
                }
            )
            if row.get("source") and row["source"] not in entry["sources"]:
                entry["sources"].append(row["source"])
    for entry in list(table.values()):
        for synonym in entry["synonyms"]:
            table.setdefault(synonym.lower(), entry)
    return table


def carrier_definition(name: str | None) -> dict[str, Any] | None:
    """A carrier by name or synonym; None for plain water; NotFound for an unknown carrier."""
    if name is None or not name.strip() or name.strip().lower() == "water":
        return None
    found = carriers().get(name.strip().lower())
    if found is None:
        known = sorted({c["name"] for c in carriers().values()})
        raise ValidationError(
            f"Unknown carrier {name!r}; known carriers: {', '.join(known) or 'none'} (or water).",
            field="carrier",
        )
    return found


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def check_composition(components: list[SolutionComponent]) -> None:
    """Raise InvalidCompositionError when the composition is physically impossible.

    Components without a molar mass (serum, undefined polymers) cannot be converted, but a
    mixture may still hold them: they are checked only against the simple bounds (% v/v and
    % w/w of the whole solution below 100 %), the rest through the full conversion.
    """
    if not components:
        raise ValidationError("A solution needs at least one component.", field="components")
    for unit, limit in (("% v/v", 100.0), ("% w/w", 100.0)):
        total = sum(c.amount for c in components if c.unit == unit)
        if total > limit or (unit == "% w/w" and total >= limit):
            names = ", ".join(c.name for c in components if c.unit == unit)
            last = max(i for i, c in enumerate(components) if c.unit == unit)
            raise InvalidCompositionError(
                f"{unit} amounts add up to {total:g} % ({names}); the solution has no room left.",
                field=f"components[{last}].amount",
            )
    convertible = [(i, c) for i, c in enumerate(components) if _has_molar_mass(c)]
    if not convertible:
        return
    solutes = [_solute_for(c, f"components[{i}]") for i, c in convertible]
    amounts = np.array([[c.amount for _, c in convertible]], dtype=np.float64)
    try:
        composition.to_molality(amounts, [c.unit for _, c in convertible], solutes)
    except InvalidCompositionError as exc:
        # The science reports positions in the list it was given; map them back.
        field = exc.details.get("field") or ""
        for position, (index, _) in enumerate(convertible):
            field = field.replace(f"components[{position}]", f"components[#{index}]")
        exc.details["field"] = field.replace("#", "")
        raise


def _has_molar_mass(c: SolutionComponent) -> bool:
    if c.molar_mass_g_per_mol and c.molar_mass_g_per_mol > 0:
        return True
    return any(_known_solute(name) for name in _lower_names(c))


def _known_solute(name: str) -> bool:
    try:
        composition.get_solute(name)
    except InvalidCompositionError:
        return False
    return True


def solution_properties(
    components: list[SolutionComponent],
    *,
    name: str | None = None,
    cooling_rate_c_per_min: float | None = None,
    warming_rate_c_per_min: float | None = None,
) -> dict[str, Any]:
    """Everything physics can say about one solution, with methods and provenance.

    Args:
        components: mixture and carrier components, already resolved to library molecules.
        name: the solution's name, to attach measured values of named literature solutions.
        cooling_rate_c_per_min, warming_rate_c_per_min: optional rates for the vitrification
            verdict (does the solution stay ice-free at these rates, and by what margin).

    Raises:
        InvalidCompositionError: impossible composition (component named in ``field``).
    """
    if not components:
        raise ValidationError("A solution needs at least one component.", field="components")
    solutes = [_solute_for(c, f"components[{i}]") for i, c in enumerate(components)]
    if len({s.name.lower() for s in solutes}) != len(solutes):
        raise InvalidCompositionError(
            "A solute appears twice (perhaps both in the mixture and in its carrier).",
            field="components",
        )
    comps = [
        composition.Component(s, c.amount, c.unit) for s, c in zip(solutes, components, strict=True)
    ]
    units = [c.unit for c in components]
    amounts = np.array([[c.amount for c in components]], dtype=np.float64)
    state = composition.to_molality(amounts, units, solutes)
    molality = state.molality_mol_per_kg[0]
    in_units = composition.all_units(comps).as_dict()

    virial_table = thermo.default_virial_parameters()
    thermo_names = [_parameter_name(c, virial_table) for c in components]
    assessed = thermo_validity.assess(
        molality, thermo_names, [s.molar_mass_g_per_mol for s in solutes], ions=True
    )
    thermo_result = assessed.thermo
    osm = thermo_result.osmolality
    ionic = thermo_result.ionic
    parameters = [
        {
            "component": c.name,
            "parameter_set": p.solute,
            "B_kg_per_mol": p.b_kg_per_mol,
            "C_kg2_per_mol2": getattr(p, "c_kg2_per_mol2", None),
            "k_diss": p.k_diss,
            "valid_max_molality": p.valid_max_molality,
            "molality_mol_per_kg": float(m),
            "within_range": w,
            "source": p.source,
            "provenance": p.provenance,
            "verified": p.verified,
            "model": _model_of(p.solute, ionic),
        }
        for c, p, m, w in zip(
            components, osm.parameters, molality, assessed.solute_within_range[0], strict=True
        )
    ]
    osm_answer, mp_answer = assessed.osmolality[0], assessed.melting_point[0]

    mass_fractions = np.array(in_units["amounts"]["% w/w"], dtype=np.float64) / 100.0
    glass_table = glass.default_glass_parameters()
    glass_names = [_parameter_name(c, glass_table) for c in components]
    tg = glass.solution_tg(mass_fractions, glass_names)
    tg_k = _finite(float(np.asarray(tg.tg_k)))

    result: dict[str, Any] = {
        "composition": in_units,
        "osmolality": {
            **answer_fields(osm_answer),
            # How the number was obtained: the virial equation, with the electrolytes' own
            # contribution from the ion model where the solution has salts.
            "method": osm.method
            if osm_answer.method == thermo.VIRIAL_METHOD
            else osm_answer.method,
            "value": osm_answer.value,
            "unit": "osmol/kg",
            "parameters": parameters,
            "electrolytes": None if ionic is None else ionic.describe(0),
        },
        "melting_point": {
            **answer_fields(mp_answer),
            **melting_point_values(mp_answer.value),
            "unit": "°C",
        },
        "glass_transition": {
            "value_k": tg_k,
            "value_c": None if tg_k is None else tg_k - 273.15,
            "unit": "K",
            "method": tg.method,
            "kind": tg.kind,
            "homogeneous": bool(np.asarray(tg.homogeneous)),
            "parameters": [
                {
                    "component": c.name,
                    "parameter_set": p.solute,
                    "tg_k": p.tg.value if p.tg else None,
                    "tg_source": p.tg.source if p.tg else None,
                    "k": _finite(float(k)),
                    "k_provenance": tg.k_provenance.get(p.solute),
                }
                for c, p, k in zip(components, tg.parameters, np.atleast_1d(tg.k_used), strict=True)
            ],
            "warnings": list(tg.warnings),
        },
        "freeze_concentrated": _tg_prime(components, glass_names),
        "measurements": _measurements(name),
    }
    glass_answer, vitrification_block = _glass_and_ice(
        components,
        mass_fractions,
        np.array(in_units["amounts"]["mol/L"], dtype=np.float64),
        tg_k,
        tg,
        name=name,
        cooling_rate_c_per_min=cooling_rate_c_per_min,
        warming_rate_c_per_min=warming_rate_c_per_min,
    )
    result["glass"] = glass_answer
    result["vitrification"] = vitrification_block
    return result


def _names_in(c: SolutionComponent, keys: set[str]) -> str | None:
    """The first of a component's names (exact, case-insensitive) that is in ``keys``."""
    return next((n for n in _lower_names(c) if n.strip().lower() in keys), None)


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
        solute = _names_in(c, solutes) or c.name
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


def _glass_and_ice(
    components: list[SolutionComponent],
    mass_fractions: np.ndarray,  # type: ignore[type-arg]
    molarities: np.ndarray,  # type: ignore[type-arg]
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
        match = vitrification.match_named_solution([(_lower_names(c), m) for c, _, m in cpas])
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
        params = table.get((_names_in(c, set(table)) or c.name).strip().lower())
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


def _model_of(solute: str, ionic: electrolytes.IonicResult | None) -> str:
    """Which model gave a solute's own contribution to the osmolality."""
    if ionic is not None and any(
        s.name.lower() == solute.lower() or solute.lower() in (n.lower() for n in s.synonyms)
        for s in ionic.salts
    ):
        if bool(np.all(ionic.within_range)):
            return "ions (Pitzer osmotic coefficient); cross terms: osmotic virial"
        return "osmotic virial (ionic strength above the ion model's validated range)"
    return "osmotic virial"


def answer_fields(answer: thermo_validity.Answer) -> dict[str, Any]:
    """The fields every computed quantity carries: how it was obtained and whether it holds.

    ``within_range`` is true / false / null (unknown: a parameter set records no range);
    when the value cannot be given, ``reason`` says why and ``bound`` what still holds.
    """
    return {
        "method": answer.method,
        "provenance": answer.provenance,
        "within_range": answer.within_range,
        "status": answer.status,
        "reason": answer.reason,
        "bound": None if answer.bound is None else answer.bound.as_dict(),
        "warnings": list(answer.warnings),
    }


def melting_point_values(value_k: float | None) -> dict[str, float | None]:
    """``value_c`` / ``value_k`` of a melting point (both null when it cannot be given)."""
    if value_k is None:
        return {"value_c": None, "value_k": None}
    return {"value_c": value_k - thermo.WATER_MELTING_POINT_K, "value_k": value_k}


def _tg_prime(components: list[SolutionComponent], names: list[str]) -> dict[str, Any] | None:
    """Tg′ of the maximally freeze-concentrated phase: published values, binary solutions only."""
    cpas = [n for c, n in zip(components, names, strict=True) if c.origin == "mixture"]
    if len(cpas) != 1:
        return None
    try:
        found = glass.freeze_concentrated_glass(cpas[0])
    except NotFound:
        return None
    return {
        "solute": found.solute,
        "tg_prime_k": found.tg_prime_k,
        "wg_prime_mass_fraction": found.wg_prime_mass_fraction,
        "source": found.source,
        "provenance": found.provenance,
        "kind": "measured",
    }


def _measurements(name: str | None) -> list[dict[str, Any]]:
    if not name:
        return []
    try:
        found = glass.measured_properties(name)
    except NotFound:
        return []
    return [
        {
            "property": m.property,
            "value": m.value,
            "unit": m.unit,
            "source": m.source,
            "provenance": m.provenance,
            "kind": "measured",
        }
        for m in found
    ]


def binary_phase_diagram(
    component: SolutionComponent, *, max_mass_percent: float = 80.0, points: int = 41
) -> dict[str, Any]:
    """Melting point and Tg against % w/w of one solute in water (vectorised).

    The melting point is null wherever it cannot be given (outside the fitted range, past
    the eutectic), with the reason and the upper bound that still holds per point, and the
    published solid–liquid equilibria of the solute (its liquidus, eutectic) alongside.
    """
    solute = _solute_for(component, "components[0]")
    w = np.linspace(0.0, max_mass_percent / 100.0, points)
    molality = w / (1.0 - w) * 1000.0 / solute.molar_mass_g_per_mol
    virial_name = _parameter_name(component, thermo.default_virial_parameters())
    assessed = thermo_validity.assess(
        molality[:, None], [virial_name], [solute.molar_mass_g_per_mol]
    )
    th = assessed.thermo
    answers = assessed.melting_point
    glass_name = _parameter_name(component, glass.default_glass_parameters())
    tg = glass.solution_tg(w[:, None], [glass_name])
    phase = thermo_validity.default_phase_boundaries().get(virial_name.lower())
    glass_layers = _glass_layers(component, glass_name, w)
    return {
        "solute": component.name,
        "mass_percent": (w * 100).round(4).tolist(),
        "melting_point_c": [melting_point_values(a.value)["value_c"] for a in answers],
        "melting_point_within_range": [a.within_range for a in answers],
        "melting_point_status": [a.status for a in answers],
        "melting_point_reason": [a.reason for a in answers],
        "melting_point_upper_bound_c": [a.ice_upper_bound_c for a in answers],
        "tg_c": [_finite(v - 273.15) for v in np.asarray(tg.tg_k).tolist()],
        "methods": {
            "melting_point": th.methods["melting_point"],
            "melting_point_bound": thermo_validity.MONOTONIC_BOUND_METHOD,
            "osmolality": th.methods["osmolality"],
            "glass_transition": tg.method,
        },
        "warnings": list(th.warnings) + list(tg.warnings),
        "measured_melting_points": _measured_melting_points(solute, max_mass_percent),
        "phase_boundaries": [] if phase is None else [p.as_dict() for p in phase.points],
        **glass_layers,
    }


def _glass_layers(
    component: SolutionComponent,
    glass_name: str,
    w: np.ndarray,  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Tg′, which glass applies, Th, Td and the critical rates along a binary diagram."""
    params = glass.default_glass_parameters().get(glass_name.strip().lower())
    hmin = params.homogeneous_min.value if params and params.homogeneous_min else None
    applies = [
        "unknown" if hmin is None else ("homogeneous" if x >= hmin else "freeze_concentrated")
        for x in w.tolist()
    ]
    published = vitrification.tg_prime(glass_name)
    nucleation = vitrification.nucleation_curve(glass_name)
    rate_solutes = {p.solute.lower() for p in vitrification.rate_table_solutes()}
    rate_name = _names_in(component, rate_solutes) or component.name
    rates: dict[str, Any] = {"sources": [], "reason": None}
    for quantity, key in (
        (vitrification.CCR, "ccr_c_per_min"),
        (vitrification.CWR, "cwr_c_per_min"),
    ):
        answers = [vitrification.critical_rate(rate_name, quantity, float(x)) for x in w[w < 1.0]]
        rates[key] = [a.value_c_per_min for a in answers] + [None] * int(np.sum(w >= 1.0))
        for a in answers:
            for src in a.sources:
                if src not in rates["sources"]:
                    rates["sources"].append(src)
        if not any(v is not None for v in rates[key]):
            rates["reason"] = next((a.reason for a in answers if a.reason), None)
    return {
        "tg_applies": applies,
        "homogeneous_glass_min_percent": None if hmin is None else hmin * 100,
        "homogeneous_glass_min_source": params.homogeneous_min.source
        if params and params.homogeneous_min
        else None,
        "tg_prime": None if published is None else published.as_dict(),
        "tg_prime_reason": None
        if published is not None
        else f"unknown, because no published Tg′ of {component.name} solutions is recorded",
        "nucleation_c": [nucleation.at(float(x)) for x in w.tolist()],
        "nucleation_points": [
            {
                "mass_percent": p.mass_fraction * 100,
                "temperature_c": p.temperature_c,
                "source": p.source,
            }
            for p in nucleation.points
        ],
        "nucleation_reason": nucleation.reason,
        "devitrification_c": [None for _ in w.tolist()],
        "devitrification_reason": (
            f"unknown, because no published devitrification temperatures (Td) of "
            f"{component.name} solutions are recorded"
        ),
        "critical_rates": rates,
    }


def _measured_melting_points(
    solute: composition.Solute, max_mass_percent: float
) -> list[dict[str, Any]]:
    """The CRC table's measured freezing points of this binary solution (up to the range)."""
    series = thermo.measured_freezing_points(solute.crc_key) if solute.crc_key else None
    if series is None:
        return []
    return [
        {
            "mass_percent": float(w),
            "melting_point_c": -float(dt),
            "molality_mol_per_kg": float(m),
            "provenance": "measured",
            "source": thermo.CRC_SOURCE,
        }
        for w, m, dt in zip(series.mass_percent, series.molality, series.delta_t_c, strict=True)
        if w <= max_mass_percent
    ]
