"""Vitrification of aqueous CPA solutions: which glass forms, and will ice form on the way.

This module owns the "glass and ice" picture beside the homogeneous-glass model of
:mod:`~cryoprotect.science.glass`:

* **Tg′** of the maximally freeze-concentrated phase, from every published measurement in
  ``params/tg_prime_published.csv``. Where several measurements exist the answer is their
  mean (tagged ``fitted``) with the spread (lowest, highest) and every source beside it.
* **Which glass applies** (:func:`headline_glass`): the homogeneous glass (Gordon–Taylor Tg)
  when there is evidence that the solution vitrifies without ice — its concentration is at or
  above the measured lowest ice-free concentration, or the stated cooling rate is above the
  critical cooling rate — and otherwise the freeze-concentrated glass Tg′. Never a number
  without its reason; ``null`` with the reason when neither can be given.
* **Critical cooling and warming rates** (CCR, CWR): per solute, log-linear interpolation of
  published points against mass fraction (``params/critical_rates.csv``) inside the range of
  the points only; outside it, no number but the bound that still holds (the published rates
  fall as the concentration rises, so below the lowest point the rate is *above* the published
  one, and above the highest point it is *below*). Named vitrification solutions (DP6, VS55,
  M22) take their published rates from ``params/measured_solution_properties.csv``.
* **The verdict**: does a solution vitrify at x °C/min cooling and stay ice-free at y °C/min
  warming? Answered with the margin (rate / critical rate) or "unknown, because …".
* **Homogeneous nucleation temperature** Th against concentration, table-driven
  (``params/nucleation_temperatures.csv``); null with the reason where nothing is recorded.

Everything here is a pure function over the parameter tables; every number carries its source.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import glass

PARAMS_DIR = Path(__file__).resolve().parent / "params"
TG_PRIME_TABLE = PARAMS_DIR / "tg_prime_published.csv"
CRITICAL_RATES_TABLE = PARAMS_DIR / "critical_rates.csv"
NUCLEATION_TABLE = PARAMS_DIR / "nucleation_temperatures.csv"
NAMED_SOLUTIONS_TABLE = PARAMS_DIR / "named_vitrification_solutions.csv"

CCR = "critical_cooling_rate"
CWR = "critical_warming_rate"
QUANTITIES = (CCR, CWR)
RATE_UNIT = "°C/min"
#: Relative tolerance on each CPA's molarity when recognising a named solution.
NAMED_MATCH_REL_TOL = 0.05

INTERPOLATION_METHOD = (
    "log-linear interpolation of published critical rates against solute mass fraction "
    "(log10 rate linear in w between the two bracketing published points; no extrapolation)"
)
NAMED_METHOD = "published critical rate of the named solution (measured; returned verbatim)"

Applies = Literal["homogeneous", "freeze_concentrated", "unknown"]
Outcome = Literal["ice_free", "ice_forms", "unknown"]


def _bool(text: str, where: str) -> bool:
    value = text.strip().lower()
    if value not in {"true", "false"}:
        raise ValidationError(f"{where}: 'verified' must be true or false, not {text!r}")
    return value == "true"


def _rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(f"{path.name}: missing columns {sorted(missing)}")
        rows = list(reader)
    for line, row in enumerate(rows, start=2):
        if not (row.get("source") or "").strip():
            raise ValidationError(f"{path.name}:{line}: every value needs a source")
        if (row.get("provenance") or "").strip() not in {"measured", "fitted", "estimated"}:
            raise ValidationError(f"{path.name}:{line}: unknown provenance")
    return rows


def _optional_float(text: str | None) -> float | None:
    return float(text) if text and text.strip() else None


# --- Tg′ ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedTgPrime:
    """One published Tg′ (and W′g where given) of a solute–water system."""

    solute: str
    tg_prime_k: float
    wg_prime_mass_fraction: float | None
    method: str
    source: str
    table: str
    provenance: str
    verified: bool


@dataclass(frozen=True)
class TgPrime:
    """Tg′ of a solute: the mean of its published values, with their spread and sources.

    Attributes:
        value_k: the mean of the published values (the only one when there is one).
        low_k, high_k: the lowest and highest published value (the spread).
        wg_prime_mass_fraction: mean of the published W′g (None when none is published).
        provenance: ``measured`` for a single value, ``fitted`` for a mean of several.
        verified: every value was read in its source.
        published: every published value behind it.
    """

    solute: str
    value_k: float
    low_k: float
    high_k: float
    wg_prime_mass_fraction: float | None
    provenance: str
    verified: bool
    published: tuple[PublishedTgPrime, ...]

    @property
    def method(self) -> str:
        if len(self.published) == 1:
            return f"published Tg′ ({self.published[0].method})"
        return f"mean of {len(self.published)} published Tg′ values (spread shown)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "solute": self.solute,
            "value_k": self.value_k,
            "value_c": self.value_k - 273.15,
            "low_k": self.low_k,
            "high_k": self.high_k,
            "wg_prime_mass_fraction": self.wg_prime_mass_fraction,
            "method": self.method,
            "provenance": self.provenance,
            "verified": self.verified,
            "published": [asdict(p) for p in self.published],
        }


TG_PRIME_COLUMNS = (
    "solute",
    "tg_prime_k",
    "wg_prime_mass_fraction",
    "method",
    "source",
    "table",
    "provenance",
    "verified",
)


def load_tg_prime_table(path: Path | str = TG_PRIME_TABLE) -> dict[str, TgPrime]:
    """Read the published Tg′ table and combine each solute's values (keys lower-case)."""
    path = Path(path)
    grouped: dict[str, list[PublishedTgPrime]] = {}
    for line, row in enumerate(_rows(path, TG_PRIME_COLUMNS), start=2):
        value = float(row["tg_prime_k"])
        if not 100.0 < value < 400.0:
            raise ValidationError(f"{path.name}:{line}: Tg′ {value} K is not plausible")
        item = PublishedTgPrime(
            solute=row["solute"].strip(),
            tg_prime_k=value,
            wg_prime_mass_fraction=_optional_float(row["wg_prime_mass_fraction"]),
            method=row["method"].strip(),
            source=row["source"].strip(),
            table=row["table"].strip(),
            provenance=row["provenance"].strip(),
            verified=_bool(row["verified"], f"{path.name}:{line}"),
        )
        grouped.setdefault(item.solute.lower(), []).append(item)
    table: dict[str, TgPrime] = {}
    for key, items in grouped.items():
        values = [p.tg_prime_k for p in items]
        wg = [p.wg_prime_mass_fraction for p in items if p.wg_prime_mass_fraction is not None]
        table[key] = TgPrime(
            solute=items[0].solute,
            value_k=sum(values) / len(values),
            low_k=min(values),
            high_k=max(values),
            wg_prime_mass_fraction=sum(wg) / len(wg) if wg else None,
            provenance="measured" if len(items) == 1 else "fitted",
            verified=all(p.verified for p in items),
            published=tuple(items),
        )
    return table


@lru_cache(maxsize=1)
def _tg_prime_table() -> dict[str, TgPrime]:
    return load_tg_prime_table(TG_PRIME_TABLE)


def tg_prime(solute: str) -> TgPrime | None:
    """The published Tg′ of a solute (mean and spread), or None when none is recorded."""
    return _tg_prime_table().get(solute.strip().lower())


def tg_prime_solutes() -> tuple[str, ...]:
    """Solutes with at least one published Tg′."""
    return tuple(t.solute for t in _tg_prime_table().values())


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
    for line, row in enumerate(_rows(path, RATE_COLUMNS), start=2):
        where = f"{path.name}:{line}"
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
            solute=row["solute"].strip(),
            mass_fraction=w,
            quantity=quantity,
            value_c_per_min=value,
            method=row["method"].strip(),
            source=row["source"].strip(),
            table=row["table"].strip(),
            provenance=row["provenance"].strip(),
            verified=_bool(row["verified"], where),
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
    rows = _rows(
        NAMED_SOLUTIONS_TABLE,
        ("solution", "component", "molarity_mol_per_l", "carrier", "source", "provenance"),
    )
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        grouped.setdefault(row["solution"].strip(), []).append(row)
    return tuple(
        NamedSolution(
            name=name,
            molarities={r["component"].strip().lower(): float(r["molarity_mol_per_l"]) for r in rs},
            carrier=(rs[0]["carrier"] or "").strip() or None,
            source=rs[0]["source"].strip(),
            verified=all(_bool(r["verified"], NAMED_SOLUTIONS_TABLE.name) for r in rs),
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


# --- homogeneous nucleation temperature ---------------------------------------------------


@dataclass(frozen=True)
class NucleationPoint:
    solute: str
    mass_fraction: float
    temperature_c: float
    method: str
    source: str
    table: str
    provenance: str
    verified: bool


NUCLEATION_COLUMNS = (
    "solute",
    "mass_fraction",
    "temperature_c",
    "method",
    "source",
    "table",
    "provenance",
    "verified",
)


@lru_cache(maxsize=1)
def _nucleation_table() -> dict[str, tuple[NucleationPoint, ...]]:
    grouped: dict[str, list[NucleationPoint]] = {}
    for line, row in enumerate(_rows(NUCLEATION_TABLE, NUCLEATION_COLUMNS), start=2):
        p = NucleationPoint(
            solute=row["solute"].strip(),
            mass_fraction=float(row["mass_fraction"]),
            temperature_c=float(row["temperature_c"]),
            method=row["method"].strip(),
            source=row["source"].strip(),
            table=row["table"].strip(),
            provenance=row["provenance"].strip(),
            verified=_bool(row["verified"], f"{NUCLEATION_TABLE.name}:{line}"),
        )
        grouped.setdefault(p.solute.lower(), []).append(p)
    return {k: tuple(sorted(v, key=lambda p: p.mass_fraction)) for k, v in grouped.items()}


@dataclass(frozen=True)
class NucleationCurve:
    """Th against concentration for one solute (published points; null with reason if none)."""

    solute: str
    points: tuple[NucleationPoint, ...]
    reason: str | None

    def at(self, mass_fraction: float) -> float | None:
        """Linear interpolation inside the published points; None outside."""
        pts = self.points
        if not pts or not pts[0].mass_fraction <= mass_fraction <= pts[-1].mass_fraction:
            return None
        for a, b in zip(pts, pts[1:], strict=False):
            if a.mass_fraction <= mass_fraction <= b.mass_fraction:
                t = (mass_fraction - a.mass_fraction) / (b.mass_fraction - a.mass_fraction)
                return (1 - t) * a.temperature_c + t * b.temperature_c
        return pts[0].temperature_c


def nucleation_curve(solute: str) -> NucleationCurve:
    """The published homogeneous nucleation temperatures of a solute's solutions."""
    points = _nucleation_table().get(solute.strip().lower(), ())
    reason = (
        None
        if points
        else f"unknown, because no published homogeneous nucleation temperatures of {solute} "
        f"solutions are recorded"
    )
    return NucleationCurve(solute=solute, points=points, reason=reason)


# --- which glass applies ------------------------------------------------------------------


@dataclass(frozen=True)
class GlassHeadline:
    """The glass transition a user will see, with which glass it is and why.

    ``applies`` is ``homogeneous`` (the whole solution vitrifies without ice: Tg from the
    Gordon–Taylor model), ``freeze_concentrated`` (ice forms; the remaining phase vitrifies at
    Tg′, a published value) or ``unknown``. ``value_k`` is null when the glass that applies has
    no number we can stand behind; ``reason`` then says why.
    """

    applies: Applies
    why: str
    value_k: float | None
    method: str | None
    provenance: str | None
    verified: bool | None
    within_range: bool | None
    status: str
    reason: str | None = None
    spread_k: tuple[float, float] | None = None
    sources: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applies": self.applies,
            "why": self.why,
            "value_k": self.value_k,
            "value_c": None if self.value_k is None else self.value_k - 273.15,
            "unit": "K",
            "method": self.method,
            "provenance": self.provenance,
            "verified": self.verified,
            "within_range": self.within_range,
            "status": self.status,
            "reason": self.reason,
            "spread_k": None if self.spread_k is None else list(self.spread_k),
            "sources": list(self.sources),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class SoluteGlassInput:
    """What the headline needs to know of one CPA in the solution."""

    name: str
    mass_fraction: float
    homogeneous_min: float | None = None
    homogeneous_min_source: str | None = None


def headline_glass(
    cpas: Sequence[SoluteGlassInput],
    *,
    tg_homogeneous_k: float | None,
    tg_method: str,
    tg_provenance: str | None,
    cooling: Verdict | None = None,
) -> GlassHeadline:
    """Decide which glass applies and give its value (or null with the reason).

    Args:
        cpas: the solution's CPAs (carrier solutes excluded) with their mass fractions and
            measured lowest ice-free concentration where recorded.
        tg_homogeneous_k: the Gordon–Taylor Tg of the whole solution (None when the
            parameters are missing).
        tg_method, tg_provenance: how that Tg was obtained.
        cooling: the cooling verdict, when a cooling rate was given.

    The homogeneous glass applies only with evidence that the solution vitrifies without ice
    (concentration at or above the measured ice-free minimum, or a cooling rate at least the
    critical cooling rate); otherwise ice is assumed to form and Tg′ applies.
    """
    present = [c for c in cpas if c.mass_fraction > 0.0]
    if not present:
        return GlassHeadline(
            applies="unknown",
            why="the solution has no cryoprotectant",
            value_k=None,
            method=None,
            provenance=None,
            verified=None,
            within_range=None,
            status="no_data",
            reason="unknown, because a solution without solute crystallises (ice) on cooling",
        )
    evidence = _ice_free_evidence(present, cooling)
    if evidence is not None:
        return _homogeneous(evidence, tg_homogeneous_k, tg_method, tg_provenance, present)
    if len(present) > 1:
        names = ", ".join(c.name for c in present)
        why = "no evidence that this multi-solute solution vitrifies without ice" + (
            "" if cooling else " (give a cooling rate to compare with its critical rate)"
        )
        return GlassHeadline(
            applies="unknown",
            why=why,
            value_k=None,
            method=None,
            provenance=None,
            verified=None,
            within_range=None,
            status="no_data",
            reason=(
                f"unknown, because the Tg′ of the freeze-concentrated phase of {names} together "
                f"is not published here and is not predicted from the binary values"
            ),
        )
    solute = present[0]
    published = tg_prime(solute.name)
    if published is None:
        return GlassHeadline(
            applies="freeze_concentrated",
            why=_ice_why(solute, cooling),
            value_k=None,
            method=None,
            provenance=None,
            verified=None,
            within_range=None,
            status="no_data",
            reason=f"unknown, because no published Tg′ of {solute.name} solutions is recorded",
        )
    wg = published.wg_prime_mass_fraction
    if wg is not None and solute.mass_fraction >= wg:
        return GlassHeadline(
            applies="unknown",
            why=(
                f"{solute.mass_fraction * 100:.4g} % w/w is at or above W′g "
                f"({wg * 100:.4g} % w/w) but no ice-free concentration is recorded"
            ),
            value_k=None,
            method=None,
            provenance=None,
            verified=None,
            within_range=None,
            status="no_data",
            reason="unknown, because it is not recorded whether this solution forms ice",
        )
    warnings = []
    if solute.homogeneous_min is None:
        warnings.append(
            f"assumes ice forms on cooling: no measured ice-free concentration of {solute.name}"
            + ("" if cooling else " and no cooling rate given")
        )
    if not published.verified:
        warnings.append("a published Tg′ value was not checked against its source")
    return GlassHeadline(
        applies="freeze_concentrated",
        why=_ice_why(solute, cooling),
        value_k=published.value_k,
        method=published.method,
        provenance=published.provenance,
        verified=published.verified,
        within_range=True,
        status="within_range",
        spread_k=(published.low_k, published.high_k),
        sources=tuple(p.source for p in published.published),
        warnings=tuple(warnings),
    )


def _ice_free_evidence(present: Sequence[SoluteGlassInput], cooling: Verdict | None) -> str | None:
    if cooling is not None and cooling.outcome == "ice_free":
        return f"the solution vitrifies without ice at the stated cooling rate ({cooling.reason})"
    if len(present) == 1:
        c = present[0]
        if c.homogeneous_min is not None and c.mass_fraction >= c.homogeneous_min:
            return (
                f"{c.mass_fraction * 100:.4g} % w/w {c.name} is at or above "
                f"{c.homogeneous_min * 100:.4g} % w/w, the lowest concentration measured to "
                f"form an ice-free (homogeneous) glass on cooling ({c.homogeneous_min_source})"
            )
    return None


def _ice_why(solute: SoluteGlassInput, cooling: Verdict | None) -> str:
    if cooling is not None and cooling.outcome == "ice_forms":
        return f"ice forms on cooling: {cooling.reason}; the freeze-concentrated phase vitrifies"
    if solute.homogeneous_min is not None:
        return (
            f"{solute.mass_fraction * 100:.4g} % w/w {solute.name} is below "
            f"{solute.homogeneous_min * 100:.4g} % w/w, below which ice crystallises on cooling "
            f"({solute.homogeneous_min_source}); the freeze-concentrated phase vitrifies at Tg′"
        )
    return (
        "no evidence that the solution vitrifies without ice, so ice is taken to form and the "
        "freeze-concentrated phase to vitrify at Tg′"
    )


def _homogeneous(
    why: str,
    tg_k: float | None,
    method: str,
    provenance: str | None,
    present: Sequence[SoluteGlassInput],
) -> GlassHeadline:
    if tg_k is None or not math.isfinite(tg_k):
        return GlassHeadline(
            applies="homogeneous",
            why=why,
            value_k=None,
            method=method,
            provenance=None,
            verified=None,
            within_range=None,
            status="no_data",
            reason=(
                "unknown, because the Gordon–Taylor parameters (Tg and k with water) of "
                + ", ".join(c.name for c in present)
                + " are not all recorded"
            ),
        )
    in_range = all(
        c.homogeneous_min is not None and c.mass_fraction >= c.homogeneous_min for c in present
    )
    warnings = (
        ()
        if in_range
        else ("the Gordon–Taylor curve is not validated at this composition (range unknown)",)
    )
    return GlassHeadline(
        applies="homogeneous",
        why=why,
        value_k=tg_k,
        method=method,
        provenance=provenance,
        verified=None,
        within_range=True if in_range else None,
        status="within_range" if in_range else "range_unknown",
        warnings=warnings,
    )
