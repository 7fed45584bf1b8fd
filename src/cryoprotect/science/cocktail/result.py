"""What a cocktail design returns: :class:`CocktailPoint` (one composition with its designed
protocol) and :class:`CocktailDesign` (the chosen point and the Pareto front).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryoprotect.science.cells import CellType
from cryoprotect.science.cocktail.rate import Survival
from cryoprotect.science.cocktail.vitrification import VitrificationCheck, VitrificationTarget
from cryoprotect.science.protocols import Limits, ProtocolEvaluation
from cryoprotect.science.records import FieldsAsDict


@dataclass(frozen=True)
class Binding(FieldsAsDict):
    """A constraint that is active at a design: its value sits at (or within tolerance of)
    its limit. ``as_dict()``: the four fields."""

    constraint: str
    value: float
    limit: float
    note: str


@dataclass(frozen=True, eq=False)
class CocktailPoint:
    """One composition with its designed loading/unloading protocol.

    Attributes:
        label: how the point was found (``"designed"``, ``"pareto level 2"``, a fixed
            solution's name, ...).
        molality: CPA → molality in the final solution (in the isotonic carrier), mol/kg.
        mass_percent: CPA → % w/w of the final solution (carrier salt included).
        vitrification: the composition judged against the vitrification target.
        protocol: the designed steps simulated (volume extremes, limits, trajectory).
        survival: predicted surviving fraction with its uncertainty band.
        binding: the constraints active at this point.
        max_steps_used: the protocol step budget this point was designed with.
        within_time: whether the protocol respects the maximum total time.
    """

    label: str
    molality: dict[str, float]
    mass_percent: dict[str, float]
    vitrification: VitrificationCheck
    protocol: ProtocolEvaluation
    survival: Survival
    binding: tuple[Binding, ...]
    max_steps_used: int
    within_time: bool = True

    @property
    def feasible(self) -> bool:
        """Every constraint met."""
        return self.vitrification.met and self.protocol.within_limits and self.within_time

    def as_dict(self, max_points: int = 200) -> dict[str, Any]:
        """Composition, protocol steps and chart, prediction with band, binding constraints."""
        return {
            "label": self.label,
            "composition": {
                "molality_mol_per_kg": dict(self.molality),
                "mass_percent": dict(self.mass_percent),
                "total_molality_mol_per_kg": sum(self.molality.values()),
                "total_mass_percent": sum(self.mass_percent.values()),
            },
            "vitrification": self.vitrification.as_dict(),
            "prediction": self.survival.as_dict(),
            "binding_constraints": [b.as_dict() for b in self.binding],
            "steps": self.protocol.steps_table(),
            "protocol": self.protocol.as_dict(max_points),
            "total_duration_s": self.protocol.total_duration_s,
            "feasible": self.feasible,
            "max_steps": self.max_steps_used,
        }


@dataclass(frozen=True, eq=False)
class CocktailDesign:
    """The chosen cocktail and the Pareto front of surviving fraction vs. vitrification margin.

    Attributes:
        best: the feasible point with the highest predicted surviving fraction.
        pareto: the feasible points no other point beats on both surviving fraction and
            vitrification margin (same criterion), by increasing margin.
        cell: the cell type.
        candidates: the candidate CPAs (canonical names).
        toxicity_model: the toxicity model's description (``as_dict``).
        temperature_c: addition temperature (removal temperature in ``settings``).
        vitrification: the vitrification target.
        limits: osmotic tolerance limits.
        method: how the design was found.
        settings: options and the work done (compositions screened, designs run, seconds).
        warnings: caveats (e.g. toxicity model fitted to another cell type).
    """

    best: CocktailPoint
    pareto: tuple[CocktailPoint, ...]
    cell: CellType
    candidates: tuple[str, ...]
    toxicity_model: dict[str, Any]
    temperature_c: float
    vitrification: VitrificationTarget
    limits: Limits
    method: str
    settings: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())
    screened: tuple[dict[str, Any], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the chosen design with its steps, the Pareto front, inputs and method."""
        return {
            "cell_type": self.cell.key,
            "cell_name": self.cell.name,
            "candidates": list(self.candidates),
            "toxicity_model": dict(self.toxicity_model),
            "temperature_c": self.temperature_c,
            "vitrification": self.vitrification.as_dict(),
            "limits": self.limits.as_dict(),
            "best": self.best.as_dict(),
            "steps": self.best.protocol.steps_table(),
            "pareto": [p.as_dict(max_points=60) for p in self.pareto],
            "screened": [dict(s) for s in self.screened],
            "method": self.method,
            "settings": dict(self.settings),
            "warnings": list(self.warnings),
        }


def pareto_front(points: Sequence[CocktailPoint]) -> tuple[CocktailPoint, ...]:
    """The feasible points that no other feasible point (judged by the same vitrification
    criterion) beats on both margin and −ln S, by increasing margin."""
    feasible = [p for p in points if p.feasible]
    front = []
    for p in feasible:
        dominated = False
        for q in feasible:
            if q is p or q.vitrification.criterion != p.vitrification.criterion:
                continue
            qm, pm = q.vitrification.margin or 0.0, p.vitrification.margin or 0.0
            qs, ps = q.survival.log_survival, p.survival.log_survival
            if qm >= pm and qs >= ps and (qm > pm or qs > ps):
                dominated = True
                break
        if not dominated:
            front.append(p)
    front.sort(key=lambda p: (p.vitrification.criterion or "", p.vitrification.margin or 0.0))
    return tuple(front)
