"""The composition search: a lattice of CPA proportions, each taken to the least total that
meets the vitrification constraint, ranked by a cheap protocol proxy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryoprotect.errors import InfeasibleProtocolError, OutOfDomainError, ValidationError
from cryoprotect.science.cells import CellType
from cryoprotect.science.cocktail.vitrification import (
    VitrificationCheck,
    VitrificationTarget,
    check_vitrification,
    least_total,
)
from cryoprotect.science.protocols import MAX_TARGET_MOL_PER_KG
from cryoprotect.science.transport import State, Step, summarize
from cryoprotect.science.transport.summary import IntegrandFactory

PROXY_METHOD = (
    "one-step loading (the final solution until every CPA is at the equilibration fraction "
    "inside) and one-step unloading (the isotonic carrier until every CPA is below 1 - "
    "equilibration), the toxicity rate integrated along the intracellular path; the osmotic "
    "limits are not applied to the proxy"
)


def fraction_grid(n: int, step: float) -> list[tuple[float, ...]]:
    """Every vector of n proportions (summing to 1) on a lattice of spacing ``step``."""
    divisions = max(1, round(1.0 / step))
    found = []
    for combo in itertools.product(range(divisions + 1), repeat=n - 1):
        if sum(combo) <= divisions:
            last = divisions - sum(combo)
            found.append(tuple(c / divisions for c in (*combo, last)))
    return found


@dataclass(frozen=True)
class Screened:
    """One composition on the constraint boundary with its proxy cost."""

    fractions: tuple[float, ...]
    molality: dict[str, float]
    check: VitrificationCheck
    level: int
    proxy: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "molality_mol_per_kg": dict(self.molality),
            "vitrification_margin": self.check.margin,
            "criterion": self.check.criterion,
            "level": self.level,
            "proxy_log_survival": -self.proxy if math.isfinite(self.proxy) else None,
        }


@dataclass(frozen=True)
class SearchContext:
    """What every screened composition shares."""

    cell: CellType
    names: tuple[str, ...]
    carrier: dict[str, float]
    target: VitrificationTarget
    integrand: IntegrandFactory
    temperature_c: float
    removal_temperature_c: float
    equilibration: float
    horizon_s: float
    max_molality: float


def proxy_cost(context: SearchContext, molality: Mapping[str, float]) -> float:
    """−ln survival of one-step loading and unloading (see :data:`PROXY_METHOD`); inf when
    a step leaves the transport model's domain or an end criterion is not met."""
    present = {n: m for n, m in molality.items() if m > 0}
    eq = context.equilibration

    def loaded(state: State) -> float:
        return min(state.molality(n) / m for n, m in present.items()) - eq

    def unloaded(state: State) -> float:
        return (1.0 - eq) - max(state.molality(n) / m for n, m in present.items())

    cell = context.cell
    try:
        add = summarize(
            cell,
            [Step({**context.carrier, **present}, context.horizon_s, context.temperature_c)],
            until=loaded,
            integrand=context.integrand,
        )
        if add.last_step_duration_s is None:
            return math.inf
        remove = summarize(
            cell,
            [Step(dict(context.carrier), context.horizon_s, context.removal_temperature_c)],
            initial=add.final_state,
            until=unloaded,
            integrand=context.integrand,
        )
    except OutOfDomainError:
        return math.inf
    if remove.last_step_duration_s is None:
        return math.inf
    return add.power_integral + remove.power_integral


def boundary(
    context: SearchContext, fractions: Sequence[float], level: int
) -> tuple[dict[str, float], VitrificationCheck] | None:
    """The composition with these proportions at the least total meeting ``level``."""
    shares = {n: x for n, x in zip(context.names, fractions, strict=True) if x > 0}
    found = least_total(context.target, shares, context.carrier, level, context.max_molality)
    if found is None:
        return None
    total, check = found
    return {n: x * total for n, x in shares.items()}, check


def screen(
    context: SearchContext, vectors: Sequence[tuple[float, ...]], level: int
) -> tuple[list[Screened], list[VitrificationCheck]]:
    """Every vector taken to its boundary and costed; also the checks of vectors that
    cannot meet the constraint at any total (for the infeasibility report)."""
    found: list[Screened] = []
    missed: list[VitrificationCheck] = []
    for fractions in vectors:
        point = boundary(context, fractions, level)
        if point is None:
            shares = {n: x for n, x in zip(context.names, fractions, strict=True) if x > 0}
            top = context.max_molality / max(shares.values())
            missed.append(
                check_vitrification(
                    context.target, {n: x * top for n, x in shares.items()}, context.carrier
                )
            )
            continue
        molality, check = point
        found.append(
            Screened(tuple(fractions), molality, check, level, proxy_cost(context, molality))
        )
    found.sort(key=lambda s: s.proxy)
    return found, missed


def no_composition_error(missed: Sequence[VitrificationCheck], names: Sequence[str]) -> Exception:
    """The error for a lattice none of whose proportions meets the vitrification constraint."""
    answered = [c for c in missed if c.margin is not None]
    if answered:
        best = max(answered, key=lambda c: c.margin or -math.inf)
        return InfeasibleProtocolError(
            f"no composition of {', '.join(names)} up to {MAX_TARGET_MOL_PER_KG:g} mol/kg each "
            f"meets the vitrification constraint (best margin {best.margin:.3g} {best.unit})",
            details={
                "constraint": f"vitrification.{best.criterion}",
                "limit": 0.0,
                "best_achievable": best.margin,
                "phase": "composition",
            },
        )
    reason = missed[0].reason if missed else "no composition was tried"
    return ValidationError(
        f"the vitrification constraint cannot be judged for {', '.join(names)}: {reason}",
        field="vitrification",
    )
