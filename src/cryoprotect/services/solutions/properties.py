"""Everything physics can say about one solution: composition in every unit, osmolality,
melting point, glass transition, the glass that applies and vitrification — each number
with its method, the provenance of its parameters and validity flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cryoprotect.errors import InvalidCompositionError, NotFound, ValidationError
from cryoprotect.science import composition, electrolytes, glass, thermo, thermo_validity
from cryoprotect.services.solutions.components import (
    SolutionComponent,
    finite_or_none,
    parameter_name,
    solute_for,
)
from cryoprotect.services.solutions.glass_state import glass_and_ice


@dataclass(frozen=True, slots=True)
class SolutionProperties:
    """Everything physics can say about one solution (the API's ``Properties`` schema).

    Each block carries how its numbers were obtained (method, provenance, validity); a
    value that cannot be given is null with the reason and the bound that still holds.
    """

    carrier: str | None
    composition: dict[str, Any]
    osmolality: dict[str, Any]
    melting_point: dict[str, Any]
    glass_transition: dict[str, Any]
    freeze_concentrated: dict[str, Any] | None
    measurements: list[dict[str, Any]]
    glass: dict[str, Any]
    vitrification: dict[str, Any]


def solution_properties(
    components: list[SolutionComponent],
    *,
    name: str | None = None,
    carrier: str | None = None,
    cooling_rate_c_per_min: float | None = None,
    warming_rate_c_per_min: float | None = None,
) -> SolutionProperties:
    """Everything physics can say about one solution, with methods and provenance.

    Args:
        components: mixture and carrier components, already resolved to library molecules.
        name: the solution's name, to attach measured values of named literature solutions.
        carrier: the carrier solution's name as the caller gave it (echoed; its solutes are
            among ``components``).
        cooling_rate_c_per_min, warming_rate_c_per_min: optional rates for the vitrification
            verdict (does the solution stay ice-free at these rates, and by what margin).

    Raises:
        InvalidCompositionError: impossible composition (component named in ``field``).
    """
    if not components:
        raise ValidationError("A solution needs at least one component.", field="components")
    solutes = [solute_for(c, f"components[{i}]") for i, c in enumerate(components)]
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
    thermo_names = [parameter_name(c, virial_table) for c in components]
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
    glass_names = [parameter_name(c, glass_table) for c in components]
    tg = glass.solution_tg(mass_fractions, glass_names)
    tg_k = finite_or_none(float(np.asarray(tg.tg_k)))

    glass_answer, vitrification_block = glass_and_ice(
        components,
        mass_fractions,
        np.array(in_units["amounts"]["mol/L"], dtype=np.float64),
        tg_k,
        tg,
        name=name,
        cooling_rate_c_per_min=cooling_rate_c_per_min,
        warming_rate_c_per_min=warming_rate_c_per_min,
    )
    return SolutionProperties(
        carrier=carrier,
        composition=in_units,
        osmolality={
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
        melting_point={
            **answer_fields(mp_answer),
            **melting_point_values(mp_answer.value),
            "unit": "°C",
        },
        glass_transition={
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
                    "k": finite_or_none(float(k)),
                    "k_provenance": tg.k_provenance.get(p.solute),
                }
                for c, p, k in zip(components, tg.parameters, np.atleast_1d(tg.k_used), strict=True)
            ],
            "warnings": list(tg.warnings),
        },
        freeze_concentrated=_tg_prime(components, glass_names),
        measurements=_measurements(name),
        glass=glass_answer,
        vitrification=vitrification_block,
    )


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
            "published_decimals": m.published_decimals,
            "unit": m.unit,
            "source": m.source,
            "provenance": m.provenance,
            "kind": "measured",
        }
        for m in found
    ]
