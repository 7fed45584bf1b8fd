"""What the osmolality and the ice melting point of a solution can honestly say.

:mod:`cryoprotect.science.thermo` computes model numbers; this module decides, per
composition, whether each number may be returned as a value and, when it may not, says
why and gives the bound that still holds (DESIGN.md principle 7: "unknown, because…").

Rules, in order of precedence (melting point):

1. **Solute crystallises** — a solute is past its solute–water eutectic (or at/above the
   first published point of its solute branch). The liquidus is then the solute's (or its
   hydrate's), not ice's: no ice can form above the eutectic temperature. Value ``None``;
   the bound is the published solute liquidus where shipped (binary solutions) and the
   eutectic bound on ice.
2. **Eutectic region** — no eutectic is recorded, but the composition lies between the last
   published ice point and the first published solute point: which solid forms first is
   not known. Value ``None``; bound: the published ice point below.
3. **Outside the fitted range** — a solute's molality is above its coefficients' recorded
   range. Value ``None``; bound: freezing-point depression is monotonic (adding any solute
   lowers the water activity), so the model's melting point with each such solute capped
   at the top of its range is an upper bound, as is any published ice-liquidus point at a
   lower concentration; the strongest (lowest) bound is given.
4. **Range unknown** — a solute present in the solution has a parameter set that records
   no valid range (coefficients quoted but never checked against measurements, such as
   DMSO's B = 0.108 kg/mol, or the ideal-dilute fallback of a solute without
   coefficients): nothing says the model holds there, so no number is given.
   Value ``None``, ``within_range = None`` ("unknown", never ``True``), the reason naming
   the coefficients, and the monotonic bound that holds without them: the model's
   melting point (osmolality) of the solution with those solutes left out (and any solute
   above its range capped at it) is an upper (lower) bound.
5. Otherwise the value, ``within_range = True``.

Osmolality follows rules 3–5 (a solution past its eutectic is still a liquid at room
temperature, so its osmolality is not affected by rules 1–2); above a fitted range the
bound is a lower one, the model's osmolality with each solute capped at its range
(osmolality rises with every solute's concentration).

Solid–liquid equilibria live in ``params/solute_phase_boundaries.csv`` (one row per
published point: solute, % w/w, °C, the solid that forms, ``kind`` ∈ ``ice_liquidus`` /
``solute_liquidus`` / ``eutectic``, source, provenance, verified). For a multi-solute
solution each solute's concentration is judged by its binary-equivalent mass percent
``100·m·M/(1000 + m·M)`` (its mass fraction in solute + water): ice bounds carry over
(other solutes only lower the ice melting point further), but the solute liquidus does not,
so a mixture past a binary eutectic gets "may crystallise" and the ice bound only.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import thermo

PHASE_TABLE = thermo.PARAMS_DIR / "solute_phase_boundaries.csv"
PHASE_COLUMNS = (
    "solute",
    "mass_percent",
    "temperature_c",
    "solid_phase",
    "kind",
    "source",
    "provenance",
    "verified",
)

PhaseKind = Literal["ice_liquidus", "solute_liquidus", "eutectic"]
_PHASE_KINDS: frozenset[str] = frozenset({"ice_liquidus", "solute_liquidus", "eutectic"})
Status = Literal[
    "within_range", "range_unknown", "outside_range", "eutectic_region", "solute_crystallises"
]
Relation = Literal["below", "at_or_below", "above", "at", "between"]

AT_POINT_TOLERANCE_PERCENT = 0.05
"""Within this many % w/w of a published point, the point's own temperature applies."""

MONOTONIC_BOUND_METHOD = (
    "monotonic freezing-point depression: adding any solute lowers the water activity, so "
    "the melting point only falls (and the osmolality only rises) as a solute's "
    "concentration rises above where the value is known"
)
LIQUIDUS_METHOD = "published solid–liquid equilibrium (solute liquidus / eutectic)"


# --- the phase-boundary table -------------------------------------------------------------


@dataclass(frozen=True)
class PhasePoint:
    """One published point of a solute–water phase diagram.

    Attributes:
        solute: the solute's name (as in the virial parameter tables).
        mass_percent: % w/w of solute in solute + water.
        temperature_c: the liquidus (or eutectic) temperature, °C.
        solid_phase: the solid that forms there on cooling (``ice``, the solute, a hydrate).
        kind: ``ice_liquidus``, ``solute_liquidus`` or ``eutectic`` (where ice and
            ``solid_phase`` both form).
        source: citation.
        provenance: ``measured``, ``fitted`` or ``estimated``.
        verified: whether the number was checked against its source.
    """

    solute: str
    mass_percent: float
    temperature_c: float
    solid_phase: str
    kind: PhaseKind
    source: str
    provenance: thermo.Provenance
    verified: bool

    def as_dict(self) -> dict[str, Any]:
        """The point as a JSON-serialisable dict (chart data, API)."""
        return {
            "solute": self.solute,
            "mass_percent": self.mass_percent,
            "temperature_c": self.temperature_c,
            "solid_phase": self.solid_phase,
            "kind": self.kind,
            "source": self.source,
            "provenance": self.provenance,
            "verified": self.verified,
        }


@dataclass(frozen=True)
class SolutePhaseData:
    """The published solid–liquid equilibria of one solute–water system (sorted by % w/w)."""

    solute: str
    points: tuple[PhasePoint, ...]

    @property
    def eutectic(self) -> PhasePoint | None:
        """The recorded eutectic, if any."""
        return next((p for p in self.points if p.kind == "eutectic"), None)

    @property
    def ice_points(self) -> tuple[PhasePoint, ...]:
        """Published points where ice is the solid (below the eutectic composition)."""
        return tuple(p for p in self.points if p.kind == "ice_liquidus")

    @property
    def solute_side(self) -> tuple[PhasePoint, ...]:
        """The eutectic (if recorded) and the solute-branch points, by % w/w."""
        return tuple(p for p in self.points if p.kind in ("eutectic", "solute_liquidus"))

    @property
    def solute_solid(self) -> str:
        """The solid that forms on the solute side (the solute or its hydrate)."""
        side = self.solute_side
        return side[0].solid_phase if side else self.solute

    @property
    def crystallisation_onset_percent(self) -> float | None:
        """% w/w from which the solute (not ice) is the first solid: the eutectic when
        recorded, else the first published solute-branch point."""
        side = self.solute_side
        return side[0].mass_percent if side else None

    @property
    def ice_bound_past_onset(self) -> PhasePoint | None:
        """The point whose temperature bounds ice from above past the onset: the eutectic,
        or (eutectic not recorded) the coldest solute-branch point, since the eutectic lies
        below every point of the solute liquidus."""
        if self.eutectic is not None:
            return self.eutectic
        side = self.solute_side
        return min(side, key=lambda p: p.temperature_c) if side else None


def _parse_bool(text: str, where: str) -> bool:
    value = text.strip().lower()
    if value in {"true", "yes", "1"}:
        return True
    if value in {"false", "no", "0"}:
        return False
    raise ValidationError(f"{where}: 'verified' must be true or false, not {text!r}")


def load_phase_boundaries(path: Path | str = PHASE_TABLE) -> dict[str, SolutePhaseData]:
    """Read a solute–water phase-boundary table.

    Only rows checked against their source (``verified = true``) are used: a boundary
    nobody checked must not turn a number into "unknown" or back.

    Args:
        path: a CSV with the columns in :data:`PHASE_COLUMNS`.

    Returns:
        Phase data keyed by lower-cased solute name.

    Raises:
        ValidationError: a column is missing, a value is malformed, a point repeats, or a
            solute's points contradict each other (an ice point at or past its eutectic,
            more than one eutectic, solute points before the eutectic).
    """
    path = Path(path)
    grouped: dict[str, list[PhasePoint]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(line for line in handle if not line.startswith("#"))
        missing = set(PHASE_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(f"{path.name}: missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            kind, provenance = row["kind"].strip(), row["provenance"].strip()
            if kind not in _PHASE_KINDS:
                raise ValidationError(f"{where}: unknown kind {kind!r}")
            if provenance not in {"measured", "fitted", "estimated"}:
                raise ValidationError(f"{where}: unknown provenance {provenance!r}")
            if not row["source"].strip() or not row["solid_phase"].strip():
                raise ValidationError(f"{where}: every row needs a source and a solid phase")
            point = PhasePoint(
                solute=row["solute"].strip(),
                mass_percent=float(row["mass_percent"]),
                temperature_c=float(row["temperature_c"]),
                solid_phase=row["solid_phase"].strip(),
                kind=kind,  # type: ignore[arg-type]  # checked just above
                source=row["source"].strip(),
                provenance=provenance,  # type: ignore[arg-type]  # checked just above
                verified=_parse_bool(row["verified"], where),
            )
            if not 0.0 < point.mass_percent <= 100.0:
                raise ValidationError(f"{where}: mass_percent must be in (0, 100]")
            if point.verified:
                grouped.setdefault(point.solute.lower(), []).append(point)
    table: dict[str, SolutePhaseData] = {}
    for key, points in grouped.items():
        ordered = tuple(sorted(points, key=lambda p: p.mass_percent))
        _check_consistent(ordered, path.name)
        table[key] = SolutePhaseData(ordered[0].solute, ordered)
    return table


def _check_consistent(points: tuple[PhasePoint, ...], name: str) -> None:
    solute = points[0].solute
    percents = [p.mass_percent for p in points]
    if len(set(percents)) != len(percents):
        raise ValidationError(f"{name}: {solute} has two points at the same % w/w")
    eutectics = [p for p in points if p.kind == "eutectic"]
    if len(eutectics) > 1:
        raise ValidationError(f"{name}: {solute} has more than one eutectic")
    ice = [p.mass_percent for p in points if p.kind == "ice_liquidus"]
    side = [p.mass_percent for p in points if p.kind != "ice_liquidus"]
    if ice and side and max(ice) >= min(side):
        raise ValidationError(f"{name}: {solute} has an ice point at or past its solute branch")
    if eutectics and side and min(side) < eutectics[0].mass_percent:
        raise ValidationError(f"{name}: {solute} has a solute point before its eutectic")


@lru_cache(maxsize=1)
def _default_phase_boundaries() -> dict[str, SolutePhaseData]:
    return load_phase_boundaries(PHASE_TABLE)


def default_phase_boundaries() -> dict[str, SolutePhaseData]:
    """The shipped solute–water phase boundaries (verified rows), keyed by lower-cased name."""
    return dict(_default_phase_boundaries())


def phase_boundaries(solute: str) -> SolutePhaseData:
    """The shipped phase boundaries of one solute–water system.

    Raises:
        NotFound: none are shipped for ``solute`` (case-insensitive exact match).
    """
    found = _default_phase_boundaries().get(solute.strip().lower())
    if found is None:
        raise NotFound(f"no solid–liquid equilibria recorded for {solute!r}")
    return found


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """What still holds when a value cannot be given.

    Attributes:
        relation: how the quantity relates to ``value``: ``below`` / ``at_or_below`` (an
            upper bound), ``above`` (a lower bound), ``at`` (a published point) or
            ``between`` ``value`` and ``value_high``.
        value: the bound, in ``unit``.
        unit: ``°C`` for melting points and liquidus temperatures, ``osmol/kg`` otherwise.
        text: the bound as a sentence, with where it comes from.
        method: how the bound was obtained.
        source: the data or parameters behind it.
        provenance: ``measured`` (published points) or the parameters' provenance.
        quantity: ``ice_melting_point``, ``solute_liquidus`` or ``osmolality``.
        value_high: the upper end for ``between``.
    """

    relation: Relation
    value: float
    unit: str
    text: str
    method: str
    source: str
    provenance: str
    quantity: str
    value_high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The bound as a JSON-serialisable dict."""
        return {
            "quantity": self.quantity,
            "relation": self.relation,
            "value": self.value,
            "value_high": self.value_high,
            "unit": self.unit,
            "text": self.text,
            "method": self.method,
            "source": self.source,
            "provenance": self.provenance,
        }


@dataclass(frozen=True)
class Answer:
    """One computed quantity of one composition, as the API and the pages show it.

    Attributes:
        value: the number (osmol/kg, or K for melting points), or ``None`` when it cannot be
            given.
        status: why (``within_range``, ``range_unknown``, ``outside_range``,
            ``eutectic_region``, ``solute_crystallises``).
        within_range: ``True`` inside every recorded range, ``False`` outside one (or past a
            eutectic), ``None`` when a range is not recorded.
        reason: "unknown, because …" when ``value`` is ``None``, else ``None``.
        bound: the bound that still holds when ``value`` is ``None`` (where one does).
        method: how the value is (or would be) computed.
        provenance: weakest provenance of the parameters behind the value.
        warnings: caveats (unknown ranges, unverified coefficients, …).
        ice_upper_bound_c: melting points only — the strongest upper bound on the ice
            melting point (°C) when ``value`` is ``None`` (chart data), else ``None``.
    """

    value: float | None
    status: Status
    within_range: bool | None
    reason: str | None
    bound: Bound | None
    method: str
    provenance: str
    warnings: tuple[str, ...] = ()
    ice_upper_bound_c: float | None = None


@dataclass(frozen=True)
class Assessment:
    """Model numbers of N compositions and what may be said of each.

    Attributes:
        thermo: the raw model results (:func:`thermo.solution_thermo`).
        osmolality: one answer per composition (osmol/kg).
        melting_point: one answer per composition (kelvin).
        solute_within_range: per composition, per solute: ``True`` / ``False`` / ``None``
            (inside / above / no recorded range).
    """

    thermo: thermo.SolutionThermo
    osmolality: tuple[Answer, ...]
    melting_point: tuple[Answer, ...]
    solute_within_range: tuple[tuple[bool | None, ...], ...]


def weakest_provenance(provenances: Sequence[str]) -> str:
    """The weakest tag of ``measured`` < ``fitted`` < ``estimated`` (unknown tags count as
    ``estimated``); ``estimated`` for an empty list."""
    order = ["measured", "fitted", "estimated"]
    ranks = [order.index(p) if p in order else len(order) - 1 for p in provenances]
    return order[max(ranks)] if ranks else "estimated"


def mass_percent_in_water(molality: ArrayLike, molar_mass_g_per_mol: float) -> thermo.FloatArray:
    """Binary-equivalent % w/w of a solute: its mass fraction in solute + water × 100.

    Args:
        molality: mol per kg water, any shape.
        molar_mass_g_per_mol: the solute's molar mass.
    """
    m = np.asarray(molality, dtype=np.float64)
    grams = m * molar_mass_g_per_mol
    result: thermo.FloatArray = 100.0 * grams / (1000.0 + grams)
    return result


def short_source(source: str, *, limit: int = 110) -> str:
    """The head of a citation for a sentence: up to the first " (" or ";", keeping a
    parenthesised year that follows ("Lange's Handbook of Chemistry, 15th ed. (1999)")."""
    cut = len(source)
    for mark in (" (", ";"):
        at = source.find(mark)
        if 0 < at < cut:
            cut = at
    head = source[:cut].strip()
    year = re.match(r" \((\d{4})\)", source[cut:])
    if year:
        head = f"{head} ({year.group(1)})"
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def _c(value: float) -> str:
    return f"{value:.1f} °C"


def _pct(value: float) -> str:
    return f"{value:.3g} % w/w"


@dataclass(frozen=True)
class _Solute:
    params: thermo.VirialParameters
    molality: float
    molar_mass: float | None
    percent: float | None  # binary-equivalent % w/w; None without a molar mass
    phase: SolutePhaseData | None

    @property
    def name(self) -> str:
        return self.params.solute

    @property
    def above_range(self) -> bool:
        limit = self.params.valid_max_molality
        return limit is not None and self.molality > limit

    @property
    def range_unknown(self) -> bool:
        """Present in the solution, with coefficients that record no valid range."""
        return self.params.valid_max_molality is None and self.molality > 0.0

    @property
    def crystallises(self) -> bool:
        if self.phase is None or self.percent is None:
            return False
        eutectic = self.phase.eutectic
        if eutectic is not None:
            return self.percent > eutectic.mass_percent + AT_POINT_TOLERANCE_PERCENT
        onset = self.phase.crystallisation_onset_percent
        return onset is not None and self.percent >= onset - AT_POINT_TOLERANCE_PERCENT

    @property
    def in_eutectic_region(self) -> bool:
        if self.phase is None or self.percent is None or self.phase.eutectic is not None:
            return False
        onset = self.phase.crystallisation_onset_percent
        ice = self.phase.ice_points
        if onset is None or not ice:
            return False
        return ice[-1].mass_percent + AT_POINT_TOLERANCE_PERCENT < self.percent < onset


def _range_text(s: _Solute) -> str:
    limit = s.params.valid_max_molality
    assert limit is not None
    in_mass = ""
    if s.molar_mass is not None:
        in_mass = f" (0–{_pct(float(mass_percent_in_water(limit, s.molar_mass)))} in water)"
    return (
        f"outside the fitted range 0–{limit:.3g} mol/kg{in_mass} for {s.name} "
        f"({short_source(s.params.source)}): here {s.molality:.3g} mol/kg"
    )


def _unknown_range_text(s: _Solute) -> str:
    p = s.params
    checked = (
        "checked against their source"
        if p.verified
        else "not checked against published measurements"
    )
    return (
        f"no valid concentration range is recorded for the coefficients of {s.name} "
        f"(B = {p.b_kg_per_mol:g} kg/mol, C = {p.c_kg2_per_mol2:g} kg²/mol², {p.table}, "
        f"{p.provenance}, {checked}: {short_source(p.source)}), so nothing shows that the "
        f"model holds here ({s.molality:.3g} mol/kg)"
    )


def _edge_names(solutes: Sequence[_Solute]) -> str:
    """How the bound's composition differs from the solution's ("with X at the top of its
    fitted range and without Y")."""
    capped = [s.name for s in solutes if s.above_range]
    dropped = [s.name for s in solutes if s.range_unknown]
    parts = []
    if capped:
        parts.append(f"with {' and '.join(capped)} at the top of the fitted range")
    if dropped:
        parts.append(f"without {' and '.join(dropped)} (no validated coefficients)")
    return " and ".join(parts)


def _eutectic_description(phase: SolutePhaseData) -> str:
    eutectic = phase.eutectic
    if eutectic is not None:
        return (
            f"{_pct(eutectic.mass_percent)}, {_c(eutectic.temperature_c)}; "
            f"{short_source(eutectic.source)}"
        )
    first = phase.solute_side[0]
    ice = phase.ice_points
    if ice:
        return (
            f"between {ice[-1].mass_percent:g} and {first.mass_percent:g} % w/w; "
            f"{short_source(first.source)}"
        )
    return f"at or below {first.mass_percent:g} % w/w; {short_source(first.source)}"


def _edge_percent(s: _Solute) -> float | None:
    """Binary-equivalent % w/w at the top of a solute's fitted range (None if unknown)."""
    limit = s.params.valid_max_molality
    if limit is None or s.molar_mass is None or s.molar_mass <= 0:
        return None
    return float(mass_percent_in_water(limit, s.molar_mass))


def _ice_bounds(
    solutes: Sequence[_Solute], edge_c: float | None, edge_provenance: str
) -> list[Bound]:
    """Every upper bound on the ice melting point that holds for this composition.

    The model's value at the edge of the fitted range carries the fit's own error; where a
    published ice point of the capped solute is at least as concentrated as that edge, the
    measurement bounds the same composition better and the model's bound is left out.
    """
    bounds = _published_ice_bounds(solutes)
    capped = [s for s in solutes if s.above_range]
    dropped = [s for s in solutes if s.range_unknown]
    if edge_c is None or not (capped or dropped):
        return bounds
    if not dropped and len(capped) == 1 and _measured_at_or_past_edge(capped[0]):
        return bounds
    bounds.append(
        Bound(
            relation="below",
            value=edge_c,
            unit="°C",
            text=(
                f"melting point below {_c(edge_c)}: the model's value {_edge_names(solutes)}; "
                "adding solute only lowers the melting point"
            ),
            method=MONOTONIC_BOUND_METHOD,
            source="; ".join(
                f"{s.name}: {short_source(s.params.source)}" for s in (*capped, *dropped)
            ),
            provenance=edge_provenance,
            quantity="ice_melting_point",
        )
    )
    return bounds


def _measured_at_or_past_edge(s: _Solute) -> bool:
    """Whether a published ice point of ``s`` lies between its fitted edge and its composition."""
    edge = _edge_percent(s)
    if edge is None or s.phase is None or s.percent is None:
        return False
    return any(
        edge - AT_POINT_TOLERANCE_PERCENT
        <= p.mass_percent
        <= s.percent + AT_POINT_TOLERANCE_PERCENT
        for p in s.phase.ice_points
    )


def _published_ice_bounds(solutes: Sequence[_Solute]) -> list[Bound]:
    """Upper bounds on the ice melting point from published solid–liquid equilibria."""
    bounds: list[Bound] = []
    for s in solutes:
        if s.phase is None or s.percent is None or s.molality <= 0.0:
            continue
        below = [
            p
            for p in s.phase.ice_points
            if p.mass_percent <= s.percent + AT_POINT_TOLERANCE_PERCENT
        ]
        if below:
            p = below[-1]
            bounds.append(
                Bound(
                    relation="at_or_below",
                    value=p.temperature_c,
                    unit="°C",
                    text=(
                        f"melting point at or below {_c(p.temperature_c)}: the published freezing "
                        f"point of {_pct(p.mass_percent)} {s.name} ({short_source(p.source)}); "
                        "more solute only lowers it"
                    ),
                    method=MONOTONIC_BOUND_METHOD,
                    source=p.source,
                    provenance=p.provenance,
                    quantity="ice_melting_point",
                )
            )
        onset = s.phase.crystallisation_onset_percent
        anchor = s.phase.ice_bound_past_onset
        if (
            onset is not None
            and anchor is not None
            and s.percent >= onset - AT_POINT_TOLERANCE_PERCENT
        ):
            system = f"{s.name.lower()}–water eutectic"
            if anchor.kind == "eutectic":
                text = (
                    f"ice can coexist with this solution only below {_c(anchor.temperature_c)}, "
                    f"the {system} ({_pct(anchor.mass_percent)}; {short_source(anchor.source)})"
                )
            else:
                text = (
                    f"ice can coexist with this solution only below the {system}, which lies "
                    f"below {_c(anchor.temperature_c)} (the coldest published point of the "
                    f"{s.phase.solute_solid} liquidus, {_pct(anchor.mass_percent)}; "
                    f"{short_source(anchor.source)})"
                )
            bounds.append(
                Bound(
                    relation="below",
                    value=anchor.temperature_c,
                    unit="°C",
                    text=text,
                    method=LIQUIDUS_METHOD,
                    source=anchor.source,
                    provenance=anchor.provenance,
                    quantity="ice_melting_point",
                )
            )
    return bounds


def _strongest(bounds: Sequence[Bound]) -> Bound | None:
    """The lowest upper bound (a published one wins a tie)."""
    if not bounds:
        return None
    return min(bounds, key=lambda b: (b.value, b.provenance != "measured"))


def _solute_liquidus(s: _Solute, ice: Bound | None) -> Bound | None:
    """The published solute liquidus at this (binary) composition: at, between or above."""
    assert s.phase is not None and s.percent is not None
    side = s.phase.solute_side
    lo = [p for p in side if p.mass_percent <= s.percent + AT_POINT_TOLERANCE_PERCENT]
    hi = [p for p in side if p.mass_percent >= s.percent - AT_POINT_TOLERANCE_PERCENT]
    if not lo:
        return None
    low = lo[-1]
    solid = s.phase.solute_solid
    ice_text = f" {ice.text[0].upper()}{ice.text[1:]}." if ice is not None else ""
    if hi and abs(hi[0].mass_percent - low.mass_percent) < 1e-9:
        relation: Relation = "at"
        value, value_high = low.temperature_c, None
        text = (
            f"The solution is liquid above {_c(value)}; below it {solid} crystallises at "
            f"equilibrium (published liquidus at {_pct(low.mass_percent)}, "
            f"{short_source(low.source)})."
        )
        sources = [low.source]
    elif hi:
        high = hi[0]
        relation, value, value_high = "between", low.temperature_c, high.temperature_c
        text = (
            f"The liquidus ({solid} crystallising) lies between {_c(value)} and "
            f"{_c(high.temperature_c)}, the published points at {_pct(low.mass_percent)} and "
            f"{_pct(high.mass_percent)} ({short_source(low.source)})."
        )
        sources = [low.source, high.source]
    else:
        relation, value, value_high = "above", low.temperature_c, None
        text = (
            f"The liquidus ({solid} crystallising) lies above {_c(value)}, the published point "
            f"at {_pct(low.mass_percent)} ({short_source(low.source)})."
        )
        sources = [low.source]
    return Bound(
        relation=relation,
        value=value,
        value_high=value_high,
        unit="°C",
        text=text + ice_text,
        method=LIQUIDUS_METHOD,
        source=" | ".join(dict.fromkeys(sources)),
        provenance="measured" if all(p.provenance == "measured" for p in side) else "estimated",
        quantity="solute_liquidus",
    )


def _at(values: thermo.FloatArray | None, row: int) -> float | None:
    return None if values is None else float(values[row])


def _unknown_range_warning(p: thermo.VirialParameters) -> str:
    return (
        f"{p.solute}: no valid concentration range is recorded for these coefficients "
        f"({p.table}), so whether this composition is inside it is unknown"
    )


def assess(
    molality: ArrayLike,
    solutes: Sequence[str | thermo.VirialParameters],
    molar_masses_g_per_mol: Sequence[float | None],
    *,
    parameters: Mapping[str, thermo.VirialParameters] | None = None,
    phase_data: Mapping[str, SolutePhaseData] | None = None,
    ions: bool = False,
) -> Assessment:
    """Osmolality and ice melting point of N compositions, each with what may be said of it.

    The model runs vectorised over all compositions (twice: as given and with every
    solute capped at its fitted range, for the bounds); the verdict and its sentences are
    assembled per composition.

    Args:
        molality: mol/kg water, shape ``(n_solutes,)`` or ``(N, n_solutes)``.
        solutes: names or :class:`thermo.VirialParameters`, in column order.
        molar_masses_g_per_mol: per solute (``None`` when unknown: no % w/w checks).
        parameters: virial table for names (default: the shipped tables).
        phase_data: phase boundaries keyed by lower-cased solute name (default: shipped).
        ions: electrolytes by the ion model (:func:`thermo.with_ion_model`).

    Returns:
        The raw model result and one osmolality and one melting-point answer per composition.

    Raises:
        ValidationError: shapes disagree (see :func:`thermo.osmolality`).
    """
    result = thermo.solution_thermo(molality, solutes, parameters=parameters, ions=ions)
    params = result.osmolality.parameters
    if len(molar_masses_g_per_mol) != len(params):
        raise ValidationError("one molar mass per solute is required", field="molar_masses")
    table = phase_data if phase_data is not None else _default_phase_boundaries()
    m2d = np.atleast_2d(np.asarray(molality, dtype=np.float64))
    # The bound's composition: each solute capped at its range, and solutes whose
    # coefficients record no range left out (nothing is known of them but that they lower
    # the melting point and raise the osmolality).
    limits = np.array(
        [p.valid_max_molality if p.valid_max_molality is not None else 0.0 for p in params]
    )
    capped = thermo.solution_thermo(np.minimum(m2d, limits), list(params), ions=ions)
    pi = np.atleast_1d(result.osmolality_osmol_per_kg)
    tm_k = np.atleast_1d(result.melting_point_k)
    pi_edge = np.atleast_1d(capped.osmolality_osmol_per_kg)
    tm_edge_c = np.atleast_1d(capped.melting_point_c)
    percents: list[thermo.FloatArray | None] = [
        None if mm is None or mm <= 0 else mass_percent_in_water(m2d[:, i], mm)
        for i, mm in enumerate(molar_masses_g_per_mol)
    ]
    provenance = weakest_provenance([p.provenance for p in params])
    # The range notes are rephrased per answer (reason / warning); the rest are kept.
    base_warnings = tuple(
        w
        for w in result.warnings
        if "range is not recorded" not in w and "above the fitted range" not in w
    )
    unknown = [p for p in params if p.valid_max_molality is None]
    unknown_warnings = tuple(_unknown_range_warning(p) for p in unknown)

    osm_answers: list[Answer] = []
    mp_answers: list[Answer] = []
    verdicts: list[tuple[bool | None, ...]] = []
    for row in range(m2d.shape[0]):
        rows = [
            _Solute(
                params=p,
                molality=float(m2d[row, i]),
                molar_mass=molar_masses_g_per_mol[i],
                percent=_at(percents[i], row),
                phase=table.get(p.solute.lower()),
            )
            for i, p in enumerate(params)
        ]
        verdicts.append(
            tuple(None if s.params.valid_max_molality is None else not s.above_range for s in rows)
        )
        outside = [s for s in rows if s.above_range]
        unranged = [s for s in rows if s.range_unknown]
        osm_answers.append(
            _osmolality_answer(
                float(pi[row]),
                float(pi_edge[row]),
                outside,
                unranged,
                provenance,
                base_warnings + unknown_warnings,
            )
        )
        mp_answers.append(
            _melting_answer(
                float(tm_k[row]),
                float(tm_edge_c[row]) if outside or unranged else None,
                rows,
                provenance,
                base_warnings,
                unknown_warnings,
            )
        )
    return Assessment(
        thermo=result,
        osmolality=tuple(osm_answers),
        melting_point=tuple(mp_answers),
        solute_within_range=tuple(verdicts),
    )


def _osmolality_answer(
    value: float,
    edge: float,
    outside: Sequence[_Solute],
    unranged: Sequence[_Solute],
    provenance: str,
    warnings: tuple[str, ...],
) -> Answer:
    if not (outside or unranged) and not (np.isfinite(value) and value >= 0.0):
        reason = (
            "the model gives no osmolality here (it is not positive), so this composition is "
            "outside where the coefficients hold"
        )
        return Answer(
            None, "outside_range", False, reason, None, thermo.VIRIAL_METHOD, provenance, warnings
        )
    if outside or unranged:
        rows = [*outside, *unranged]
        reason = "; ".join(
            [_range_text(s) for s in outside] + [_unknown_range_text(s) for s in unranged]
        )
        bound = Bound(
            relation="above",
            value=edge,
            unit="osmol/kg",
            text=(
                f"osmolality above {edge:.3g} osmol/kg: the model's value {_edge_names(rows)}; "
                "osmolality only rises as solute is added"
            ),
            method=MONOTONIC_BOUND_METHOD,
            source="; ".join(f"{s.name}: {short_source(s.params.source)}" for s in rows),
            provenance=provenance,
            quantity="osmolality",
        )
        status: Status = "outside_range" if outside else "range_unknown"
        within = False if outside else None
        return Answer(
            None, status, within, reason, bound, thermo.VIRIAL_METHOD, provenance, warnings
        )
    return Answer(
        value, "within_range", True, None, None, thermo.VIRIAL_METHOD, provenance, warnings
    )


def _melting_answer(
    value_k: float,
    edge_c: float | None,
    rows: Sequence[_Solute],
    provenance: str,
    base_warnings: tuple[str, ...],
    unknown_warnings: tuple[str, ...],
) -> Answer:
    method = thermo.MELTING_POINT_METHOD
    present = [s for s in rows if s.molality > 0.0]
    binary = len(present) == 1
    crystallising = [s for s in rows if s.crystallises]
    region = [s for s in rows if s.in_eutectic_region]
    outside = [s for s in rows if s.above_range]
    unranged = [s for s in rows if s.range_unknown]
    warnings = base_warnings + unknown_warnings
    if not (crystallising or region or outside or unranged) and not np.isfinite(value_k):
        reason = (
            "the model gives no melting point here (its osmolality is not positive), so this "
            "composition is outside where the coefficients hold"
        )
        return Answer(None, "outside_range", False, reason, None, method, provenance, warnings)
    if not (crystallising or region or outside or unranged):
        return Answer(value_k, "within_range", True, None, None, method, provenance, warnings)
    ice = _strongest(_ice_bounds(rows, edge_c, provenance))
    ice_c = None if ice is None else ice.value
    notes = tuple(_range_text(s) for s in outside) + warnings
    if crystallising:
        reasons = []
        for s in crystallising:
            assert s.phase is not None and s.percent is not None
            desc = _eutectic_description(s.phase)
            if binary:
                reasons.append(
                    f"{s.name} crystallises: the liquidus here is the solute's "
                    f"({s.phase.solute_solid}), not ice's. At {_pct(s.percent)} the solution is "
                    f"past the {s.name.lower()}–water eutectic ({desc}), so no ice can form above the "
                    "eutectic temperature"
                )
            else:
                reasons.append(
                    f"{s.name} may crystallise: at {_pct(s.percent)} in water it is past the "
                    f"{s.name.lower()}–water eutectic ({desc}); the phase diagram of this multi-solute "
                    "solution is not modelled, so the ice melting point is unknown"
                )
        bound = _solute_liquidus(crystallising[0], ice) if binary else ice
        return Answer(
            None,
            "solute_crystallises",
            False,
            "; ".join(reasons),
            bound or ice,
            method,
            provenance,
            notes,
            ice_c,
        )
    if region:
        reasons = []
        for s in region:
            assert s.phase is not None and s.percent is not None
            last, first = s.phase.ice_points[-1], s.phase.solute_side[0]
            reasons.append(
                f"{s.name} at {_pct(s.percent)} in water lies between the last published ice "
                f"point ({_pct(last.mass_percent)}, {_c(last.temperature_c)}) and the first "
                f"published {s.phase.solute_solid} point ({_pct(first.mass_percent)}, "
                f"{_c(first.temperature_c)}; {short_source(first.source)}): the eutectic lies in "
                f"between, so whether ice or {s.phase.solute_solid} forms first is not known"
            )
        return Answer(
            None,
            "eutectic_region",
            False,
            "; ".join(reasons),
            ice,
            method,
            provenance,
            notes,
            ice_c,
        )
    reason = "; ".join(
        [_range_text(s) for s in outside] + [_unknown_range_text(s) for s in unranged]
    )
    status: Status = "outside_range" if outside else "range_unknown"
    within = False if outside else None
    return Answer(None, status, within, reason, ice, method, provenance, warnings, ice_c)
