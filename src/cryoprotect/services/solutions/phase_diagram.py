"""Binary phase diagrams: melting point, Tg and the glass layers against % w/w of one
solute in water, with the published measurements alongside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cryoprotect.science import composition, glass, thermo, thermo_validity, vitrification
from cryoprotect.services.solutions.components import (
    SolutionComponent,
    finite_or_none,
    name_in,
    parameter_name,
    solute_for,
)
from cryoprotect.services.solutions.properties import melting_point_values


@dataclass(frozen=True, slots=True)
class PhaseDiagram:
    """A binary phase diagram (the API's ``PhaseDiagram`` schema): per-point lists against
    ``mass_percent``, each null where the number cannot be given, with reasons and sources."""

    solute: str
    mass_percent: list[float]
    melting_point_c: list[float | None]
    melting_point_within_range: list[bool | None]
    melting_point_status: list[str]
    melting_point_reason: list[str | None]
    melting_point_upper_bound_c: list[float | None]
    tg_c: list[float | None]
    methods: dict[str, str]
    warnings: list[str]
    measured_melting_points: list[dict[str, Any]]
    phase_boundaries: list[dict[str, Any]]
    tg_applies: list[str]
    homogeneous_glass_min_percent: float | None
    homogeneous_glass_min_source: str | None
    tg_prime: dict[str, Any] | None
    tg_prime_reason: str | None
    nucleation_c: list[float | None]
    nucleation_points: list[dict[str, Any]]
    nucleation_reason: str | None
    devitrification_c: list[float | None]
    devitrification_reason: str | None
    critical_rates: dict[str, Any]


def binary_phase_diagram(
    component: SolutionComponent, *, max_mass_percent: float = 80.0, points: int = 41
) -> PhaseDiagram:
    """Melting point and Tg against % w/w of one solute in water (vectorised).

    The melting point is null wherever it cannot be given (outside the fitted range, past
    the eutectic), with the reason and the upper bound that still holds per point, and the
    published solid–liquid equilibria of the solute (its liquidus, eutectic) alongside.
    """
    solute = solute_for(component, "components[0]")
    w = np.linspace(0.0, max_mass_percent / 100.0, points)
    molality = w / (1.0 - w) * 1000.0 / solute.molar_mass_g_per_mol
    virial_name = parameter_name(component, thermo.default_virial_parameters())
    assessed = thermo_validity.assess(
        molality[:, None], [virial_name], [solute.molar_mass_g_per_mol]
    )
    th = assessed.thermo
    answers = assessed.melting_point
    glass_name = parameter_name(component, glass.default_glass_parameters())
    tg = glass.solution_tg(w[:, None], [glass_name])
    phase = thermo_validity.default_phase_boundaries().get(virial_name.lower())
    return PhaseDiagram(
        solute=component.name,
        mass_percent=(w * 100).round(4).tolist(),
        melting_point_c=[melting_point_values(a.value)["value_c"] for a in answers],
        melting_point_within_range=[a.within_range for a in answers],
        melting_point_status=[a.status for a in answers],
        melting_point_reason=[a.reason for a in answers],
        melting_point_upper_bound_c=[a.ice_upper_bound_c for a in answers],
        tg_c=[finite_or_none(v - 273.15) for v in np.asarray(tg.tg_k).tolist()],
        methods={
            "melting_point": th.methods["melting_point"],
            "melting_point_bound": thermo_validity.MONOTONIC_BOUND_METHOD,
            "osmolality": th.methods["osmolality"],
            "glass_transition": tg.method,
        },
        warnings=list(th.warnings) + list(tg.warnings),
        measured_melting_points=_measured_melting_points(solute, max_mass_percent),
        phase_boundaries=[] if phase is None else [p.as_dict() for p in phase.points],
        **_glass_layers(component, glass_name, w),
    )


def _glass_layers(
    component: SolutionComponent,
    glass_name: str,
    w: npt.NDArray[np.float64],
) -> dict[str, Any]:
    """Tg′, which glass applies, Th, Td and the critical rates along a binary diagram (the
    :class:`PhaseDiagram` fields from ``tg_applies`` on)."""
    params = glass.default_glass_parameters().get(glass_name.strip().lower())
    hmin = params.homogeneous_min.value if params and params.homogeneous_min else None
    applies = [
        "unknown" if hmin is None else ("homogeneous" if x >= hmin else "freeze_concentrated")
        for x in w.tolist()
    ]
    published = vitrification.tg_prime(glass_name)
    nucleation = vitrification.nucleation_curve(glass_name)
    rate_solutes = {p.solute.lower() for p in vitrification.rate_table_solutes()}
    rate_name = name_in(component, rate_solutes) or component.name
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
    decimals = series.delta_t_decimals or (None,) * len(series.mass_percent)
    return [
        {
            "mass_percent": float(w),
            "melting_point_c": -float(dt),
            "published_decimals": d,
            "molality_mol_per_kg": float(m),
            "provenance": "measured",
            "source": thermo.CRC_SOURCE,
        }
        for w, m, dt, d in zip(
            series.mass_percent, series.molality, series.delta_t_c, decimals, strict=True
        )
        if w <= max_mass_percent
    ]
