"""The vitrification constraint of a cocktail design: which criterion answers for a
composition, its margin, and the least total concentration that meets it.

Criteria, in order of preference for each composition:

* **critical rates** (``cooling_rate_c_per_min`` and/or ``warming_rate_c_per_min``): the
  critical cooling/warming rate models of :mod:`cryoprotect.science.vitrification` — a
  one-CPA solution inside its published points (log-linear interpolation), or a named
  solution (DP6, VS55, M22) recognised by its molarities. The margin is
  log10(rate / critical rate), the smaller of cooling and warming, in decades. Where those
  models give no answer (every other mixture) the rates cannot be judged, and
* **the user's bound** applies: ``min_total_molality_mol_per_kg`` (margin: total CPA
  molality − bound, mol/kg), ``min_total_mass_percent`` (total CPA % w/w of the solution,
  carrier salt included, − bound) or ``max_melting_point_c`` (bound − the solution's ice
  melting point, °C, where :mod:`~cryoprotect.science.thermo_validity` stands behind it;
  otherwise bound − the upper bound it gives, i.e. a margin of at least that much).

A composition no criterion answers for is not admissible ("unknown, because …").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.science import composition
from cryoprotect.science.records import FieldsAsDict, keys_dict
from cryoprotect.science.transport import melting_guard
from cryoprotect.science.vitrification import (
    CCR,
    CWR,
    RateAnswer,
    critical_rate,
    match_named_solution,
    named_solution_rate,
    verdict,
)

Criterion = Literal[
    "critical_rates", "min_total_molality", "min_total_mass_percent", "max_melting_point"
]
UNITS: dict[str, str] = {
    "critical_rates": "decades (log10 of rate / critical rate)",
    "min_total_molality": "mol/kg",
    "min_total_mass_percent": "% w/w",
    "max_melting_point": "°C",
}
LEVEL_STEPS: dict[str, float] = {
    "critical_rates": 0.25,
    "min_total_molality": 0.5,
    "min_total_mass_percent": 2.0,
    "max_melting_point": 5.0,
}
"""Spacing of the Pareto front's vitrification levels (margin ≥ k × step, k = 0, 1, ...)."""


@dataclass(frozen=True)
class VitrificationTarget(FieldsAsDict):
    """What the loaded solution must achieve (see the module docstring).

    Attributes:
        cooling_rate_c_per_min: the cooling rate the sample will see, °C/min.
        warming_rate_c_per_min: the warming rate, °C/min.
        min_total_molality_mol_per_kg: user bound: least total CPA molality.
        min_total_mass_percent: user bound: least total CPA % w/w of the solution.
        max_melting_point_c: user bound: highest ice melting point of the solution, °C.
    """

    cooling_rate_c_per_min: float | None = None
    warming_rate_c_per_min: float | None = None
    min_total_molality_mol_per_kg: float | None = None
    min_total_mass_percent: float | None = None
    max_melting_point_c: float | None = None

    def check(self) -> None:
        """Raises ValidationError (field named) for a request that cannot be judged."""
        for name in ("cooling_rate_c_per_min", "warming_rate_c_per_min"):
            value = getattr(self, name)
            if value is not None and not (_number(value) and value > 0):
                raise ValidationError(f"{name} must be > 0", field=f"vitrification.{name}")
        bounds = [
            n
            for n in (
                "min_total_molality_mol_per_kg",
                "min_total_mass_percent",
                "max_melting_point_c",
            )
            if getattr(self, n) is not None
        ]
        if len(bounds) > 1:
            raise ValidationError(
                "give at most one of min_total_molality_mol_per_kg, min_total_mass_percent, "
                "max_melting_point_c",
                field=f"vitrification.{bounds[1]}",
            )
        if (
            not bounds
            and self.cooling_rate_c_per_min is None
            and self.warming_rate_c_per_min is None
        ):
            raise ValidationError(
                "a vitrification constraint is needed: cooling/warming rates, or a minimum "
                "total concentration or melting-point bound",
                field="vitrification",
            )
        total = self.min_total_molality_mol_per_kg
        if total is not None and not (_number(total) and 0 < total <= 60):
            raise ValidationError(
                "min_total_molality_mol_per_kg must be in (0, 60]",
                field="vitrification.min_total_molality_mol_per_kg",
            )
        percent = self.min_total_mass_percent
        if percent is not None and not (_number(percent) and 0 < percent < 100):
            raise ValidationError(
                "min_total_mass_percent must be in (0, 100)",
                field="vitrification.min_total_mass_percent",
            )
        tm = self.max_melting_point_c
        if tm is not None and not (_number(tm) and -150 < tm < 0):
            raise ValidationError(
                "max_melting_point_c must be in (-150, 0) °C",
                field="vitrification.max_melting_point_c",
            )

    @property
    def bound(self) -> str | None:
        """The user bound's criterion, if one is set."""
        if self.min_total_molality_mol_per_kg is not None:
            return "min_total_molality"
        if self.min_total_mass_percent is not None:
            return "min_total_mass_percent"
        if self.max_melting_point_c is not None:
            return "max_melting_point"
        return None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class VitrificationCheck:
    """One composition judged against the target.

    Attributes:
        criterion: the criterion that answered, or None (no answer: not admissible).
        margin: its margin (≥ 0: met), in ``unit``; None without an answer.
        relation: ``"equal"`` or ``"at_least"`` (only a bound on the margin is known).
        unit: the margin's unit.
        reason: how the margin was obtained, or why there is none.
        sources: the data behind it.
    """

    criterion: str | None
    margin: float | None
    relation: str | None
    unit: str | None
    reason: str
    sources: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        """Whether the constraint is met."""
        return self.margin is not None and self.margin >= 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the fields with ``met`` after ``unit``)."""
        keys = ("criterion", "margin", "relation", "unit", "met", "reason", "sources")
        return keys_dict(self, keys, sources=list(self.sources))


@lru_cache(maxsize=64)
def _molar_mass(name: str) -> float:
    try:
        return composition.get_solute(name).molar_mass_g_per_mol
    except InvalidCompositionError as error:
        raise ValidationError(
            f"no molar mass is recorded for {name}", field="candidates"
        ) from error


def mass_percents(molality: Mapping[str, float], carrier: Mapping[str, float]) -> dict[str, float]:
    """% w/w of each CPA in the solution (water, CPAs and the carrier's salts)."""
    masses = {n: m * _molar_mass(n) for n, m in molality.items()}
    total = 1000.0 + sum(masses.values()) + sum(m * _molar_mass(n) for n, m in carrier.items())
    return {n: 100.0 * g / total for n, g in masses.items()}


def _rate_margin(
    target: VitrificationTarget, molality: Mapping[str, float], percents: Mapping[str, float]
) -> VitrificationCheck | None:
    present = {n: m for n, m in molality.items() if m > 0}
    answers: list[tuple[str, RateAnswer, float]] = []
    for quantity, rate in (
        (CCR, target.cooling_rate_c_per_min),
        (CWR, target.warming_rate_c_per_min),
    ):
        if rate is None:
            continue
        if len(present) == 1:
            (name,) = present
            answer = critical_rate(name, quantity, percents[name] / 100.0)
        else:
            named = _named(present)
            if named is None:
                return None
            answer = named_solution_rate(named, quantity)
        answers.append((quantity, answer, rate))
    margins: list[tuple[float, str]] = []
    sources: list[str] = []
    reasons: list[str] = []
    for _quantity, answer, rate in answers:
        judged = verdict(answer, rate)
        if judged.outcome == "unknown" or judged.margin is None:
            return None
        if judged.margin_relation == "at_most" and judged.margin >= 1.0:
            return None
        margins.append((math.log10(judged.margin), judged.margin_relation or "equal"))
        sources.extend(answer.sources)
        reasons.append(judged.reason)
    if not margins:
        return None
    margin, relation = min(margins)
    return VitrificationCheck(
        "critical_rates",
        margin,
        "at_least" if relation == "at_least" else "equal",
        UNITS["critical_rates"],
        "; ".join(reasons),
        tuple(dict.fromkeys(sources)),
    )


def _named(present: Mapping[str, float]) -> str | None:
    names = list(present)
    try:
        solutes = [composition.get_solute(n) for n in names]
        volume = composition.density(
            np.array([[present[n] for n in names]]), solutes
        ).volume_ml_per_kg_water[0]
    except (InvalidCompositionError, ValidationError):
        return None
    cpas = [([n], present[n] * 1000.0 / float(volume)) for n in names]
    found = match_named_solution(cpas)
    return None if found is None else found.name


def check_vitrification(
    target: VitrificationTarget, molality: Mapping[str, float], carrier: Mapping[str, float]
) -> VitrificationCheck:
    """Judge one composition (CPA molalities in the carrier) against the target."""
    percents = mass_percents(molality, carrier)
    if target.cooling_rate_c_per_min is not None or target.warming_rate_c_per_min is not None:
        found = _rate_margin(target, molality, percents)
        if found is not None:
            return found
    bound = target.bound
    total = float(sum(molality.values()))
    if bound == "min_total_molality":
        limit = float(target.min_total_molality_mol_per_kg or 0.0)
        return VitrificationCheck(
            bound,
            total - limit,
            "equal",
            UNITS[bound],
            f"total CPA molality {total:.3f} mol/kg against the user's minimum {limit:g} mol/kg",
        )
    if bound == "min_total_mass_percent":
        limit = float(target.min_total_mass_percent or 0.0)
        percent = float(sum(percents.values()))
        return VitrificationCheck(
            bound,
            percent - limit,
            "equal",
            UNITS[bound],
            f"total CPA {percent:.2f} % w/w (carrier salt included in the solution mass) "
            f"against the user's minimum {limit:g} % w/w",
        )
    if bound == "max_melting_point":
        limit = float(target.max_melting_point_c or 0.0)
        guard = melting_guard({**carrier, **molality})
        if guard.melting_point_c is not None:
            return VitrificationCheck(
                bound,
                limit - guard.melting_point_c,
                "equal",
                UNITS[bound],
                f"melting point {guard.melting_point_c:.2f} °C (osmotic virial model, "
                f"within its validated range) against the user's bound {limit:g} °C",
            )
        if guard.upper_bound_c is not None and guard.upper_bound_c <= limit:
            return VitrificationCheck(
                bound,
                limit - guard.upper_bound_c,
                "at_least",
                UNITS[bound],
                f"the melting point is at most {guard.upper_bound_c:.2f} °C (the bound that "
                f"holds where the value is unknown: {guard.reason}) against {limit:g} °C",
            )
        return VitrificationCheck(
            None,
            None,
            None,
            None,
            f"unknown, because {guard.reason or 'the melting point is not known'}",
        )
    return VitrificationCheck(
        None,
        None,
        None,
        None,
        "unknown, because the critical-rate models cover one-CPA solutions inside their "
        "published points and the named solutions only, and no concentration or melting-point "
        "bound was given for other compositions",
    )


def least_total(
    target: VitrificationTarget,
    fractions: Mapping[str, float],
    carrier: Mapping[str, float],
    level: int,
    max_molality: float,
) -> tuple[float, VitrificationCheck] | None:
    """The least total molality T with margin ≥ level × step for m_i = x_i · T.

    Scans T on a grid up to the largest total that keeps every CPA ≤ ``max_molality``, then
    bisects the first interval where the constraint becomes met (the margins grow with the
    concentration). None when no total meets it.
    """
    top = max_molality / max(fractions.values())

    def met(total: float) -> VitrificationCheck | None:
        check = check_vitrification(target, {n: x * total for n, x in fractions.items()}, carrier)
        if check.margin is None or check.criterion is None:
            return None
        return check if check.margin >= level * LEVEL_STEPS[check.criterion] - 1e-12 else None

    grid = np.linspace(0.0, top, 41)[1:]
    previous = 0.0
    for total in grid:
        found = met(float(total))
        if found is None:
            previous = float(total)
            continue
        low, high, best = previous, float(total), found
        for _ in range(30):
            if high - low <= 1e-4 * high:
                break
            middle = 0.5 * (low + high)
            check = met(middle)
            if check is None:
                low = middle
            else:
                high, best = middle, check
        return high, best
    return None
