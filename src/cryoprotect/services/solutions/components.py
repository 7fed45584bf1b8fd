"""Solution components and what the physics needs of them: the conversion's solute, the
parameter-set name, and the check that a composition is physically possible.

A library molecule is matched to a parameter set by its name or any synonym, exactly
(case-insensitive): never by substring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.science import composition


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


def component_names(c: SolutionComponent) -> list[str]:
    """A component's names to match against parameter tables: its name, then its synonyms."""
    return [n for n in (c.name, *c.synonyms) if n]


def solute_for(c: SolutionComponent, path: str) -> composition.Solute:
    """The conversion's solute: shipped density data when any name matches, else molar mass only.

    Args:
        c: the resolved component.
        path: where the component sits in the request (``components[0]``), for errors.

    Raises:
        InvalidCompositionError: the component has neither shipped data nor a molar mass.
    """
    for name in component_names(c):
        try:
            known = composition.get_solute(name)
        except InvalidCompositionError:
            continue
        # Keep the library's display name; density data and molar mass come from the table.
        return replace(known, name=c.name)
    if not c.molar_mass_g_per_mol or c.molar_mass_g_per_mol <= 0:
        raise InvalidCompositionError(
            f"{c.name} has no molar mass, so its amount cannot be converted; "
            "give the component a molar mass (average molar mass for polymers).",
            field=f"{path}.molecule_id",
        )
    return composition.Solute(name=c.name, molar_mass_g_per_mol=c.molar_mass_g_per_mol)


def parameter_name(c: SolutionComponent, known: dict[str, Any]) -> str:
    """The parameter set's name for the first of the component's names found in ``known``.

    ``known`` is a parameter table keyed by lower-case solute name (virial, glass); a
    component none of whose names is in it keeps its own name.
    """
    for name in component_names(c):
        if name.strip().lower() in known:
            return str(known[name.strip().lower()].solute)
    return c.name


def name_in(c: SolutionComponent, keys: set[str]) -> str | None:
    """The first of a component's names (exact, case-insensitive) that is in ``keys``."""
    return next((n for n in component_names(c) if n.strip().lower() in keys), None)


def finite_or_none(value: float) -> float | None:
    """``value`` as a float, or None when it is missing, infinite or NaN."""
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
    solutes = [solute_for(c, f"components[{i}]") for i, c in convertible]
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
    return any(_known_solute(name) for name in component_names(c))


def _known_solute(name: str) -> bool:
    try:
        composition.get_solute(name)
    except InvalidCompositionError:
        return False
    return True
