"""Critical cooling and warming rates: log-linear interpolation of published points inside
their range (the bound that still holds outside it), the named vitrification solutions'
published rates, and the verdict for a given cooling or warming rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import glass
from cryoprotect.science.tables import parse_bool
from cryoprotect.science.vitrification.tables import (
    CCR,
    CRITICAL_RATES_TABLE,
    INTERPOLATION_METHOD,
    NAMED_MATCH_REL_TOL,
    NAMED_METHOD,
    NAMED_SOLUTIONS_TABLE,
    QUANTITIES,
    RATE_UNIT,
    Outcome,
    read_sourced_table,
    sourced_cells,
)

# --- critical rates -----------------------------------------------------------------------


@dataclass(frozen=True)
class RatePoint:
    """One published critical rate of a binary solute–water solution."""

    solute: str
    mass_fraction: float
    quantity: str
    value_c_per_min: float
    method: str
    source: str
    table: str
    provenance: str
    verified: bool


RATE_COLUMNS = (
    "solute",
    "mass_fraction",
    "quantity",
    "value",
    "unit",
    "method",
    "source",
    "table",
    "provenance",
    "verified",
)
# A rate in K/min equals the same rate in °C/min.
_RATE_UNITS = {"K/min": 1.0, "degC/min": 1.0, "°C/min": 1.0, "K/s": 60.0, "degC/s": 60.0}


def load_critical_rates(
    path: Path | str = CRITICAL_RATES_TABLE,
) -> dict[tuple[str, str], tuple[RatePoint, ...]]:
    """Read the published critical rates, keyed by (lower-case solute, quantity), sorted by w."""
    path = Path(path)
    grouped: dict[tuple[str, str], list[RatePoint]] = {}
    for where, row in read_sourced_table(path, RATE_COLUMNS):
        quantity = row["quantity"].strip()
        if quantity not in QUANTITIES:
            raise ValidationError(f"{where}: unknown quantity {quantity!r}")
        unit = row["unit"].strip()
        if unit not in _RATE_UNITS:
            raise ValidationError(f"{where}: unknown unit {unit!r}")
        w = float(row["mass_fraction"])
        value = float(row["value"]) * _RATE_UNITS[unit]
        if not (0.0 < w < 1.0 and value > 0.0):
            raise ValidationError(f"{where}: mass fraction in (0, 1) and a positive rate needed")
        point = RatePoint(
            mass_fraction=w,
            quantity=quantity,
            value_c_per_min=value,
            **sourced_cells(row, where),
        )
        grouped.setdefault((point.solute.lower(), quantity), []).append(point)
    table: dict[tuple[str, str], tuple[RatePoint, ...]] = {}
    for key, points in grouped.items():
        points.sort(key=lambda p: p.mass_fraction)
        fractions = [p.mass_fraction for p in points]
        if len(set(fractions)) != len(fractions):
            raise ValidationError(f"{path.name}: {key} has two points at one concentration")
        table[key] = tuple(points)
    return table


@lru_cache(maxsize=1)
def _rate_table() -> dict[tuple[str, str], tuple[RatePoint, ...]]:
    return load_critical_rates(CRITICAL_RATES_TABLE)


def rate_table_solutes() -> tuple[RatePoint, ...]:
    """The first published point of every (solute, quantity) in the table."""
    return tuple(points[0] for points in _rate_table().values())


def published_rate_points(solute: str, quantity: str) -> tuple[RatePoint, ...]:
    """The published points of one solute and quantity (empty when none)."""
    return _rate_table().get((solute.strip().lower(), quantity), ())


@dataclass(frozen=True)
class RateBound:
    """What still holds when no value can be given: the rate is above/below ``value``."""

    relation: Literal["above", "below"]
    value_c_per_min: float
    text: str
    source: str


@dataclass(frozen=True)
class RateAnswer:
    """A critical rate: a value inside the published data, else null with reason and bound."""

    quantity: str
    system: str
    value_c_per_min: float | None
    status: Literal["within_range", "outside_range", "no_data"]
    method: str
    reason: str | None = None
    bound: RateBound | None = None
    valid_range_mass_fraction: tuple[float, float] | None = None
    sources: tuple[str, ...] = ()
    verified: bool | None = None
    provenance: str | None = None
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "quantity": self.quantity,
            "system": self.system,
            "value": self.value_c_per_min,
            "unit": RATE_UNIT,
            "status": self.status,
            "within_range": {"within_range": True, "outside_range": False}.get(self.status),
            "method": self.method,
            "reason": self.reason,
            "bound": None if self.bound is None else {**asdict(self.bound), "unit": RATE_UNIT},
            "valid_range_mass_fraction": None
            if self.valid_range_mass_fraction is None
            else list(self.valid_range_mass_fraction),
            "sources": list(self.sources),
            "verified": self.verified,
            "provenance": self.provenance,
            "warnings": list(self.warnings),
        }


def _label(quantity: str) -> str:
    return "critical cooling rate" if quantity == CCR else "critical warming rate"


def critical_rate(solute: str, quantity: str, mass_fraction: float) -> RateAnswer:
    """Critical cooling or warming rate of a binary solute–water solution.

    Args:
        solute: the solute's name (case-insensitive exact match).
        quantity: :data:`CCR` or :data:`CWR`.
        mass_fraction: the solute's mass fraction in the solution.

    Returns:
        The interpolated rate (°C/min) inside the published points' range; outside it, or
        without data, a null value with the reason and (outside) the bound that still holds.
    """
    if quantity not in QUANTITIES:
        raise ValidationError(f"unknown quantity {quantity!r}", field="quantity")
    if not 0.0 <= mass_fraction < 1.0:
        raise ValidationError("mass fraction must be in [0, 1)", field="mass_fraction")
    points = published_rate_points(solute, quantity)
    label = _label(quantity)
    if not points:
        return RateAnswer(
            quantity=quantity,
            system=solute,
            value_c_per_min=None,
            status="no_data",
            method=INTERPOLATION_METHOD,
            reason=f"unknown, because no published {label} of {solute} solutions is recorded",
        )
    low, high = points[0], points[-1]
    sources = tuple(dict.fromkeys(p.source for p in points))
    verified = all(p.verified for p in points)
    span = (low.mass_fraction, high.mass_fraction)
    common = {
        "quantity": quantity,
        "system": solute,
        "method": INTERPOLATION_METHOD,
        "valid_range_mass_fraction": span,
        "sources": sources,
        "verified": verified,
        "provenance": "measured" if len(points) == 1 else "fitted",
    }
    if mass_fraction < low.mass_fraction - 1e-9 or mass_fraction > high.mass_fraction + 1e-9:
        below = mass_fraction < low.mass_fraction
        edge = low if below else high
        relation: Literal["above", "below"] = "above" if below else "below"
        text = (
            f"{label} of {solute} at {mass_fraction * 100:.4g} % w/w is {relation} "
            f"{edge.value_c_per_min:.4g} °C/min (its published value at "
            f"{edge.mass_fraction * 100:.4g} % w/w; the published rates fall as the "
            f"concentration rises)"
        )
        return RateAnswer(
            value_c_per_min=None,
            status="outside_range",
            reason=(
                f"unknown, because {mass_fraction * 100:.4g} % w/w {solute} is outside the "
                f"published data ({span[0] * 100:.4g}–{span[1] * 100:.4g} % w/w)"
            ),
            bound=RateBound(relation, edge.value_c_per_min, text, edge.source),
            **common,  # type: ignore[arg-type]
        )
    value = _log_interpolate(points, mass_fraction)
    warnings = () if verified else ("a published point was not checked against its source",)
    return RateAnswer(value_c_per_min=value, status="within_range", warnings=warnings, **common)  # type: ignore[arg-type]


def _log_interpolate(points: Sequence[RatePoint], w: float) -> float:
    for p in points:
        if abs(p.mass_fraction - w) <= 1e-9:
            return p.value_c_per_min
    for a, b in zip(points, points[1:], strict=False):
        if a.mass_fraction <= w <= b.mass_fraction:
            t = (w - a.mass_fraction) / (b.mass_fraction - a.mass_fraction)
            log_rate = (1 - t) * math.log10(a.value_c_per_min) + t * math.log10(b.value_c_per_min)
            return float(10.0**log_rate)
    raise ValidationError("mass fraction outside the published points")  # guarded by caller


def named_solution_rate(solution: str, quantity: str) -> RateAnswer:
    """The published critical rate of a named vitrification solution (DP6, VS55, M22)."""
    label = _label(quantity)
    try:
        measured = glass.measured_properties(solution)
    except NotFound:
        measured = ()
    found = [m for m in measured if m.property == quantity]
    if not found:
        return RateAnswer(
            quantity=quantity,
            system=solution,
            value_c_per_min=None,
            status="no_data",
            method=NAMED_METHOD,
            reason=f"unknown, because no published {label} of {solution} is recorded",
        )
    m = found[0]
    unit_factor = _RATE_UNITS.get(m.unit.replace("degC", "°C"), _RATE_UNITS.get(m.unit))
    if unit_factor is None:
        raise ValidationError(f"unknown rate unit {m.unit!r} for {solution}")
    warnings = []
    if not m.verified:
        warnings.append(
            f"the {label} of {solution} was taken from a secondary source and not checked "
            f"against the primary paper (verified=false)"
        )
    if len(found) > 1:
        warnings.append(f"{len(found)} published values; the first is shown")
    return RateAnswer(
        quantity=quantity,
        system=solution,
        value_c_per_min=m.value * unit_factor,
        status="within_range",
        method=NAMED_METHOD,
        sources=tuple(f.source for f in found),
        verified=m.verified,
        provenance="measured",
        warnings=tuple(warnings),
    )


# --- named solutions ----------------------------------------------------------------------


@dataclass(frozen=True)
class NamedSolution:
    """A published vitrification solution recognised by its CPA molarities."""

    name: str
    molarities: dict[str, float]
    carrier: str | None
    source: str
    verified: bool


@lru_cache(maxsize=1)
def named_solutions() -> tuple[NamedSolution, ...]:
    """The named vitrification solutions whose compositions are recorded."""
    rows = read_sourced_table(
        NAMED_SOLUTIONS_TABLE,
        ("solution", "component", "molarity_mol_per_l", "carrier", "source", "provenance"),
    )
    grouped: dict[str, list[dict[str, str]]] = {}
    for _, row in rows:
        grouped.setdefault(row["solution"].strip(), []).append(row)
    return tuple(
        NamedSolution(
            name=name,
            molarities={r["component"].strip().lower(): float(r["molarity_mol_per_l"]) for r in rs},
            carrier=(rs[0]["carrier"] or "").strip() or None,
            source=rs[0]["source"].strip(),
            verified=all(parse_bool(r["verified"], NAMED_SOLUTIONS_TABLE.name) for r in rs),
        )
        for name, rs in grouped.items()
    )


def match_named_solution(
    cpas: Sequence[tuple[Sequence[str], float]], *, rel_tol: float = NAMED_MATCH_REL_TOL
) -> NamedSolution | None:
    """The named solution whose CPAs and molarities match (each within ``rel_tol``).

    Args:
        cpas: per CPA, its names (name and synonyms) and molarity (mol/L); carrier solutes
            excluded.
    """
    for named in named_solutions():
        if len(cpas) != len(named.molarities):
            continue
        matched: set[str] = set()
        for names, molarity in cpas:
            key = next((n.lower() for n in names if n and n.lower() in named.molarities), None)
            if key is None or key in matched:
                break
            expected = named.molarities[key]
            if abs(molarity - expected) > rel_tol * expected:
                break
            matched.add(key)
        else:
            if len(matched) == len(named.molarities):
                return named
    return None


# --- verdict ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Will ice form at this rate? With the margin (rate / critical rate) when known."""

    process: Literal["cooling", "warming"]
    rate_c_per_min: float
    critical: RateAnswer
    outcome: Outcome
    margin: float | None
    margin_relation: Literal["equal", "at_least", "at_most"] | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "rate_c_per_min": self.rate_c_per_min,
            "critical_rate_c_per_min": self.critical.value_c_per_min,
            "outcome": self.outcome,
            "margin": self.margin,
            "margin_relation": self.margin_relation,
            "reason": self.reason,
        }


def verdict(critical: RateAnswer, rate_c_per_min: float) -> Verdict:
    """Compare a cooling (CCR) or warming (CWR) rate with its critical rate.

    Ice is avoided when the rate is at least the critical rate. The margin is
    rate / critical rate (> 1: ice-free with that factor to spare). Where only a bound on
    the critical rate is known the verdict is given only if the bound decides it.
    """
    if not rate_c_per_min > 0.0:
        raise ValidationError("a cooling or warming rate must be > 0 °C/min", field="rate")
    process: Literal["cooling", "warming"] = "cooling" if critical.quantity == CCR else "warming"
    label = _label(critical.quantity)
    ice = (
        "ice forms on cooling" if process == "cooling" else "ice forms on warming (devitrification)"
    )
    value = critical.value_c_per_min
    if value is not None:
        margin = rate_c_per_min / value
        if margin >= 1.0:
            reason = f"{rate_c_per_min:g} °C/min is {margin:.3g}× the {label} ({value:.3g} °C/min)"
            return Verdict(process, rate_c_per_min, critical, "ice_free", margin, "equal", reason)
        reason = (
            f"{rate_c_per_min:g} °C/min is below the {label} ({value:.3g} °C/min; "
            f"factor {margin:.3g}): {ice}"
        )
        return Verdict(process, rate_c_per_min, critical, "ice_forms", margin, "equal", reason)
    bound = critical.bound
    if bound is not None:
        edge = bound.value_c_per_min
        if bound.relation == "below" and rate_c_per_min >= edge:
            return Verdict(
                process,
                rate_c_per_min,
                critical,
                "ice_free",
                rate_c_per_min / edge,
                "at_least",
                f"the {label} is below {edge:.3g} °C/min and {rate_c_per_min:g} °C/min exceeds "
                f"that bound (margin at least {rate_c_per_min / edge:.3g}×)",
            )
        if bound.relation == "above" and rate_c_per_min <= edge:
            return Verdict(
                process,
                rate_c_per_min,
                critical,
                "ice_forms",
                rate_c_per_min / edge,
                "at_most",
                f"the {label} is above {edge:.3g} °C/min and {rate_c_per_min:g} °C/min is below "
                f"that bound: {ice}",
            )
    return Verdict(
        process,
        rate_c_per_min,
        critical,
        "unknown",
        None,
        None,
        critical.reason or f"unknown, because the {label} is not known",
    )
