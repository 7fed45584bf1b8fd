"""Homogeneous nucleation temperature Th against concentration, table-driven; null with the
reason where nothing is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryoprotect.science.vitrification.tables import (
    NUCLEATION_TABLE,
    read_sourced_table,
    sourced_cells,
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
    for where, row in read_sourced_table(NUCLEATION_TABLE, NUCLEATION_COLUMNS):
        p = NucleationPoint(
            mass_fraction=float(row["mass_fraction"]),
            temperature_c=float(row["temperature_c"]),
            **sourced_cells(row, where),
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
