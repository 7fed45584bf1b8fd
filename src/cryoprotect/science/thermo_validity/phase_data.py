"""Published solid–liquid phase boundaries of CPA–water systems (ice liquidus, solute
liquidus, eutectic) from ``params/solute_phase_boundaries.csv``, checked on loading, and
the names of the statuses, relations and methods the answers use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.records import FieldsAsDict
from cryoprotect.science.tables import PROVENANCES, parse_bool, read_table

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
class PhasePoint(FieldsAsDict):
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
    for where, row in read_table(path, PHASE_COLUMNS, comments=True):
        kind, provenance = row["kind"].strip(), row["provenance"].strip()
        if kind not in _PHASE_KINDS:
            raise ValidationError(f"{where}: unknown kind {kind!r}")
        if provenance not in PROVENANCES:
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
            verified=parse_bool(row["verified"], where, lenient=True),
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
