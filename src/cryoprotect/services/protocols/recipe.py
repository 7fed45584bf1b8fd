"""A saved protocol as a bench recipe: the stocks chosen (defaults: neat liquid CPAs, weighed
solids, the carrier as a 10× solution), every step's recipe for a chosen volume
(:mod:`cryoprotect.science.protocols.recipe`), the holds rounded for the bench with the
rounding's effect re-simulated, and how the carrier choice changed the toxicity cost.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import composition, protocols
from cryoprotect.science.protocols import recipe
from cryoprotect.science.transport import Step
from cryoprotect.services.actor import Actor
from cryoprotect.services.protocols.design import ProtocolService

NEAT, SOLID = "neat", "solid"


def parse_stock(text: str) -> tuple[str, str, float | None, str | None]:
    """``"Sucrose=1 mol/L"``, ``"Sucrose=solid"`` or ``"Dimethyl sulfoxide=neat"`` →
    (solute, form, amount, unit).

    Raises:
        ValidationError: another shape (``field = "stock"``).
    """
    name, sep, rest = (text or "").partition("=")
    name, rest = name.strip(), rest.strip()
    if not sep or not name or not rest:
        raise ValidationError(
            f"stock {text!r}: write 'Solute=neat', 'Solute=solid' or 'Solute=<amount> <unit>'",
            field="stock",
        )
    if rest.lower() in (NEAT, SOLID):
        return name, rest.lower(), None, None
    amount, _, unit = rest.partition(" ")
    try:
        value = float(amount)
    except ValueError:
        raise ValidationError(
            f"stock {text!r}: the amount must be a number", field=f"stocks.{name}"
        ) from None
    if unit.strip() not in composition.UNITS:
        raise ValidationError(
            f"stock {text!r}: the unit must be one of {', '.join(composition.UNITS)}",
            field=f"stocks.{name}",
        )
    return name, "solution", value, unit.strip()


def _stocks(
    solutes: Sequence[str], carrier: dict[str, float], strength: int, given: Sequence[str]
) -> dict[str, recipe.Stock]:
    chosen: dict[str, tuple[str | None, float | None, str | None]] = {}
    for text in given:
        name, form, amount, unit = parse_stock(text)
        match = next((s for s in solutes if s.casefold() == name.casefold()), None)
        if match is None:
            raise ValidationError(
                f"stock {name!r}: the protocol's steps hold {', '.join(solutes)}",
                field=f"stocks.{name}",
            )
        chosen[match] = (form, amount, unit)
    stocks: dict[str, recipe.Stock] = {}
    for name in solutes:
        try:
            solute = composition.get_solute(name)
        except ValidationError as exc:
            raise ValidationError(str(exc), field=f"stocks.{name}") from exc
        kind, amount, unit = chosen.get(name) or (None, None, None)
        if kind == NEAT:
            stocks[name] = recipe.neat_stock(solute)
        elif kind == SOLID:
            stocks[name] = recipe.solid_stock(solute)
        elif amount is not None and unit is not None:
            stocks[name] = recipe.solution_stock(solute, amount, unit)
        elif name in carrier:
            stocks[name] = recipe.carrier_stock(solute, carrier[name], strength)
        else:
            stocks[name] = recipe.default_stock(solute)
    return stocks


def protocol_recipe(
    service: ProtocolService,
    actor: Actor,
    protocol_id: uuid.UUID,
    *,
    volume_ml: float = recipe.DEFAULT_VOLUME_ML,
    carrier_strength: int = 10,
    stock: Sequence[str] = (),
) -> dict[str, Any]:
    """The recipe of a visible saved protocol (:class:`~cryoprotect.errors.NotFound` for one
    the caller cannot see), with the rounding's effect and the carrier choice's cost.

    Raises:
        ValidationError: a bad volume, stock or carrier strength, or a step the stocks cannot
            make (``field`` names it).
    """
    saved = service.get(actor, protocol_id)
    design = saved.design
    settings = design.get("settings") or {}
    carrier = {str(k): float(v) for k, v in (settings.get("carrier") or {}).items()}
    steps = saved.steps
    solutes = sorted(
        {n for s in steps for n, m in (s.get("solutes") or {}).items() if m > 0},
        key=lambda n: (n in carrier, n),
    )
    stocks = _stocks(solutes, carrier, carrier_strength, stock)
    made = recipe.protocol_recipe(steps, stocks, volume_ml)
    fraction = settings.get("min_carrier_fraction")
    return {
        "protocol_id": str(saved.id),
        "protocol_name": saved.name,
        **made.as_dict(),
        "carrier_strength": carrier_strength,
        "carrier": {
            "solutes": carrier,
            "min_carrier_fraction": fraction,
            "salt_reduced": fraction is not None and fraction < 1.0,
            "comparison": settings.get("carrier_comparison"),
        },
        "rounding_effect": _rounding_effect(service, actor, saved.cell_type_id, design, steps),
        "how_obtained": [
            "amounts from each step's molality (mol/kg water) and the solution's density at "
            "20 °C (cryoprotect.science.composition.density); volumes at 20 °C",
            "water to add is exact by mass; by volume, add the stocks and make up to the "
            "final volume (volumes of mixed liquids do not add)",
            "holds rounded to 5 s below 1 min, 15 s below 5 min, 1 min above (at least 5 s); "
            f"holds under {recipe.SHORT_HOLD_S:g} s are flagged",
        ],
    }


def _rounding_effect(
    service: ProtocolService,
    actor: Actor,
    cell_type_id: uuid.UUID | None,
    design: dict[str, Any],
    steps: list[dict[str, Any]],
) -> dict[str, Any]:
    if cell_type_id is None:
        return {"status": "unknown", "reason": "the protocol's cell type was deleted"}
    try:
        with service.db.transaction(actor.identity) as session:
            _, cell = service.cell_types.resolve(session, cell_type_id)
    except NotFound:
        return {"status": "unknown", "reason": "the protocol's cell type is not visible to you"}
    phases: dict[str, list[Step]] = {"addition": [], "removal": []}
    for s in steps:
        phases[str(s["phase"])].append(
            Step(
                dict(s["solutes"]),
                float(s["duration_s"]),
                float(s["temperature_c"]),
                str(s.get("label", "")),
            )
        )
    limits = design.get("limits") or {}
    bounds = (
        protocols.Limits(limits["min_volume_fraction"], limits["max_volume_fraction"])
        if limits
        else None
    )
    effect = recipe.rounding_effect(cell, phases["addition"], phases["removal"], limits=bounds)
    return {"status": "computed", **effect}
