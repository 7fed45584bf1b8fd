"""Protocol steps as bench recipes: what to measure to make each step's solution.

A designed step is a composition on the molal scale (mol of each solute per kg of water,
the carrier salts included). To make ``V`` mL of it at the bench (:func:`step_recipe`):

1. **The solution.** Its density and the volume that holds 1 kg of water come from the
   project's density model (:func:`cryoprotect.science.composition.density`: CRC measured
   binaries, additive apparent molar volumes for several solutes, ideal mixing for a liquid
   without binary data such as DMSO). ``V`` mL therefore hold ``W = V / V_kg`` kg of water and
   ``n_i = m_i · W`` mol of each solute (``m_i · M_i · W`` g).
2. **The stocks** (:class:`Stock`). A *neat* liquid CPA is measured by volume,
   ``mass / ρ°`` (its pure density at 20 °C, ``params/pure_densities.csv``); a *solid* is
   weighed; a *solution* stock of one solute (e.g. the 10× carrier, 1 mol/L sucrose) at
   molality ``m_s`` and density ``ρ_s`` is measured by volume: it brings ``n_i`` mol of solute
   and ``n_i / m_s`` kg of water, ``(n_i M_i + 1000 n_i / m_s) / ρ_s`` mL.
3. **The diluent.** Water makes up the rest: ``1000 W − Σ`` (water the stocks bring) g,
   given as a mass (exact) and as a volume at 20 °C. Volumes of mixed liquids do not add, so
   the sheet also says "make up to V mL" (the model's sum of parts is given beside it). When
   the stocks would bring more water than the solution holds (a stock too dilute for the
   step), the recipe is refused with :class:`~cryoprotect.errors.ValidationError` naming the
   stock (``field = "stocks.<solute>"``).
4. **The hold time** (:func:`hold_time`) is rounded to what can be timed by hand: to 5 s
   below 1 min, 15 s below 5 min and 1 min above (never below 5 s); a hold under 30 s gets
   the warning "too short to do by hand". :func:`rounding_effect` re-simulates the protocol
   with the rounded holds so the sheet can show what the rounding changes.

Everything is at 20 °C, the temperature of the density data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.science import composition
from cryoprotect.science.cells import CellType
from cryoprotect.science.composition import Solute
from cryoprotect.science.protocols.definitions import Limits
from cryoprotect.science.protocols.evaluation import evaluate_protocol
from cryoprotect.science.records import fields_dict
from cryoprotect.science.transport import Step

DEFAULT_VOLUME_ML = 10.0
"""The volume each step's solution is made up to unless the caller says otherwise, mL."""
MIN_VOLUME_ML = 0.1
MAX_VOLUME_ML = 10_000.0
SHORT_HOLD_S = 30.0
"""Holds shorter than this are flagged as too short to do by hand."""
HOLD_RESOLUTION_S: tuple[tuple[float, float], ...] = ((60.0, 5.0), (300.0, 15.0), (math.inf, 60.0))
"""(holds shorter than, s) → rounded to the nearest (s): what a bench timer is set to."""
MIN_HOLD_S = 5.0
CARRIER_STRENGTHS = (1, 10)
"""The carrier stock: the isotonic carrier itself (1×) or ten times as concentrated (10×)."""
IDEAL_CHECK_SOLUTES = ("Glycerol", "Ethylene glycol", "Methanol", "Ethanol")
"""Liquids with both a pure density and a CRC binary, on which ideal mixing is checked."""

Form = Literal["neat", "solid", "solution"]


@dataclass(frozen=True)
class Stock:
    """What the bench takes a solute from.

    Attributes:
        solute: the solute it supplies.
        form: ``"neat"`` (pure liquid, by volume), ``"solid"`` (weighed) or ``"solution"``
            (a solution of the solute in water, by volume).
        label: what the sheet calls it, e.g. ``"Dimethyl sulfoxide (neat)"``.
        molality_mol_per_kg: a solution's molality (mol per kg of its water).
        density_g_per_ml: a neat liquid's or a solution's density at 20 °C, g/mL.
        how_obtained: where its density (and concentration) come from.
    """

    solute: Solute
    form: Form
    label: str
    molality_mol_per_kg: float | None = None
    density_g_per_ml: float | None = None
    how_obtained: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the solute by name)."""
        return fields_dict(self, solute=self.solute.name)


def neat_stock(solute: Solute) -> Stock:
    """The pure liquid, measured by volume with its density at 20 °C.

    Raises:
        ValidationError: the solute has no pure-liquid density (``field = "stocks.<name>"``).
    """
    if solute.pure_density_g_per_ml is None:
        raise ValidationError(
            f"{solute.name} has no pure-liquid density: weigh it or give a stock solution",
            field=f"stocks.{solute.name}",
        )
    return Stock(
        solute,
        "neat",
        f"{solute.name} (neat)",
        density_g_per_ml=solute.pure_density_g_per_ml,
        how_obtained=f"pure {solute.name} {solute.pure_density_g_per_ml:g} g/mL at 20 °C: "
        f"{solute.density_source or 'params/pure_densities.csv'}",
    )


def solid_stock(solute: Solute) -> Stock:
    """The solid, weighed (anhydrous form, molar mass as in the density tables)."""
    return Stock(
        solute,
        "solid",
        f"{solute.name} (solid, anhydrous)",
        how_obtained=f"weighed; molar mass {solute.molar_mass_g_per_mol:g} g/mol",
    )


def default_stock(solute: Solute) -> Stock:
    """A liquid with a known pure density neat, anything else weighed as a solid."""
    return neat_stock(solute) if solute.pure_density_g_per_ml is not None else solid_stock(solute)


def solution_stock(solute: Solute, amount: float, unit: str, *, label: str | None = None) -> Stock:
    """A solution of ``solute`` in water at ``amount`` ``unit`` (any composition unit).

    Raises:
        ValidationError: a non-positive amount, an unknown unit or one the density data
            cannot convert (``field = "stocks.<name>"``).
    """
    where = f"stocks.{solute.name}"
    if isinstance(amount, bool) or not (math.isfinite(amount) and amount > 0):
        raise ValidationError(f"the {solute.name} stock needs a positive amount", field=where)
    try:
        state = composition.to_molality([[amount]], [unit], [solute])
        rho = composition.density(state.molality_mol_per_kg, [solute])
    except InvalidCompositionError as exc:
        raise ValidationError(f"{solute.name} stock {amount:g} {unit}: {exc}", field=where) from exc
    molality = float(state.molality_mol_per_kg[0, 0])
    return Stock(
        solute,
        "solution",
        label or f"{solute.name} {amount:g} {unit}",
        molality_mol_per_kg=molality,
        density_g_per_ml=float(rho.density_g_per_ml[0]),
        how_obtained=f"{amount:g} {unit} = {molality:.6g} mol/kg; density "
        f"{float(rho.density_g_per_ml[0]):.5g} g/mL at 20 °C ({rho.method[0]}; {rho.source})",
    )


def carrier_stock(solute: Solute, isotonic_molality: float, strength: int = 10) -> Stock:
    """The carrier salt as a solution: the isotonic carrier itself (``strength`` 1) or one
    ``strength`` times as concentrated per litre (10×).

    Raises:
        ValidationError: a strength other than 1 or 10 (``field = "carrier_strength"``).
    """
    if strength not in CARRIER_STRENGTHS:
        raise ValidationError("carrier_strength must be 1 or 10", field="carrier_strength")
    molar = composition.from_molality([[isotonic_molality]], "mol/L", [solute])[0, 0]
    stock = solution_stock(solute, strength * float(molar), "mol/L")
    return Stock(
        solute,
        "solution",
        f"{strength}× carrier ({solute.name} {strength * molar:.4g} mol/L)",
        molality_mol_per_kg=stock.molality_mol_per_kg,
        density_g_per_ml=stock.density_g_per_ml,
        how_obtained=f"{strength} × the isotonic carrier ({isotonic_molality:.5g} mol/kg = "
        f"{molar:.5g} mol/L); {stock.how_obtained}",
    )


# --- hold times -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldTime:
    """A step's hold time as designed and as the bench can time it.

    Attributes:
        model_s: the designed duration, s.
        rounded_s: the duration rounded to ``resolution_s`` (at least 5 s), s.
        resolution_s: the rounding step, s.
        warning: set for a hold under 30 s.
    """

    model_s: float
    rounded_s: float
    resolution_s: float
    warning: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return fields_dict(self)


def hold_time(duration_s: float) -> HoldTime:
    """Round a hold to what can be timed by hand (5 s below 1 min, 15 s below 5 min, 1 min
    above; at least 5 s) and warn when it is under 30 s.

    Raises:
        ValidationError: a non-positive or non-finite duration (``field = "duration_s"``).
    """
    if isinstance(duration_s, bool) or not (math.isfinite(duration_s) and duration_s > 0):
        raise ValidationError("a hold time must be a positive number of s", field="duration_s")
    resolution = next(r for limit, r in HOLD_RESOLUTION_S if duration_s < limit)
    rounded = max(MIN_HOLD_S, resolution * math.floor(duration_s / resolution + 0.5))
    warning = None
    if duration_s < SHORT_HOLD_S:
        warning = (
            f"too short to do by hand: the design holds the cells {duration_s:.3g} s in this "
            f"solution; the sheet says {rounded:g} s (see the rounding's effect on the "
            "protocol)"
        )
    return HoldTime(float(duration_s), float(rounded), float(resolution), warning)


# --- one step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ingredient:
    """One thing to measure for a step.

    Attributes:
        solute: the solute it supplies (``None`` for the diluent water).
        stock: the stock's label.
        form: ``"neat"``, ``"solid"``, ``"solution"`` or ``"water"``.
        mass_g: mass to take, g.
        volume_ml: volume to take at 20 °C, mL (``None`` for a solid).
        measure: ``"volume"`` or ``"mass"``: how the bench measures it.
        water_g: water it brings, g.
    """

    solute: str | None
    stock: str
    form: str
    mass_g: float
    volume_ml: float | None
    measure: str
    water_g: float

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return fields_dict(self)


@dataclass(frozen=True)
class StepRecipe:
    """How to make ``final_volume_ml`` of one step's solution.

    Attributes:
        molality: the step's composition, mol/kg water.
        concentrations: per solute: mol/L, g/L and (liquids) % v/v in the final solution.
        ingredients: the stocks to take, then the water.
        final_volume_ml: the volume made, mL at 20 °C.
        final_mass_g: its mass, g.
        density_g_per_ml: its density at 20 °C, g/mL.
        sum_of_parts_ml: the volumes of the liquid parts added up (≠ the final volume: volumes
            of mixing liquids do not add, and solids occupy volume once dissolved).
        how_obtained: the density method, its sources and the error bound where it is ideal.
    """

    molality: dict[str, float]
    concentrations: dict[str, dict[str, float]]
    ingredients: tuple[Ingredient, ...]
    final_volume_ml: float
    final_mass_g: float
    density_g_per_ml: float
    sum_of_parts_ml: float
    how_obtained: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return fields_dict(
            self,
            ingredients=[i.as_dict() for i in self.ingredients],
            how_obtained=list(self.how_obtained),
        )


def step_recipe(
    molality: Mapping[str, float],
    stocks: Mapping[str, Stock],
    volume_ml: float = DEFAULT_VOLUME_ML,
    *,
    where: str = "step",
) -> StepRecipe:
    """The stocks and water that make ``volume_ml`` of a solution of ``molality``.

    Args:
        molality: mol/kg water of each solute (zero or absent: not in the step).
        stocks: the stock of every solute, by the solute names of ``molality``.
        volume_ml: the volume to make, mL at 20 °C.
        where: the step's name, for messages.

    Raises:
        ValidationError: a volume outside [0.1, 10 000] mL (``volume_ml``), a solute without a
            stock (``stocks``), a solute without density data (``stocks.<name>``), or stocks
            too dilute to make the step (``stocks.<name>`` of the one bringing most water).
    """
    check_volume(volume_ml)
    names = [n for n, m in molality.items() if m > 0]
    for name in names:
        if name not in stocks:
            raise ValidationError(f"{where}: no stock given for {name}", field="stocks")
    solutes = [stocks[n].solute for n in names]
    m = np.array([[float(molality[n]) for n in names]], dtype=np.float64)
    if names:
        try:
            estimate = composition.density(m, solutes)
        except InvalidCompositionError as exc:
            raise ValidationError(f"{where}: {exc}", field=f"stocks.{names[0]}") from exc
        volume_per_kg = float(estimate.volume_ml_per_kg_water[0])
        rho = float(estimate.density_g_per_ml[0])
        how = [
            f"solution density {rho:.5g} g/mL at 20 °C: {estimate.method[0]} ({estimate.source})"
        ]
    else:
        rho = composition.WATER_DENSITY_20C_G_PER_ML
        volume_per_kg = 1000.0 / rho
        how = [f"water {rho:g} g/mL at 20 °C ({composition.WATER_DENSITY_SOURCE})"]
    water_kg = volume_ml / volume_per_kg
    ingredients = [_ingredient(stocks[n], float(molality[n]) * water_kg) for n in names]
    water_g = 1000.0 * water_kg - sum(i.water_g for i in ingredients)
    if water_g < -1e-9 * 1000.0 * water_kg:
        _too_dilute(where, ingredients, 1000.0 * water_kg, volume_ml)
    water_g = max(water_g, 0.0)
    water_ml = water_g / composition.WATER_DENSITY_20C_G_PER_ML
    ingredients.append(Ingredient(None, "water", "water", water_g, water_ml, "volume", water_g))
    concentrations = {
        n: _concentrations(stocks[n].solute, float(molality[n]) * water_kg, volume_ml)
        for n in names
    }
    how.extend(s.how_obtained for s in (stocks[n] for n in names))
    how.extend(_ideal_note(stocks[n].solute, m, solutes) for n in names if _is_ideal(stocks[n]))
    return StepRecipe(
        molality={n: float(molality[n]) for n in names},
        concentrations=concentrations,
        ingredients=tuple(ingredients),
        final_volume_ml=float(volume_ml),
        final_mass_g=rho * volume_ml,
        density_g_per_ml=rho,
        sum_of_parts_ml=sum(i.volume_ml or 0.0 for i in ingredients),
        how_obtained=tuple(how),
    )


def check_volume(volume_ml: float) -> None:
    """Raises ValidationError (``field = "volume_ml"``) outside [0.1, 10 000] mL."""
    if isinstance(volume_ml, bool) or not (
        math.isfinite(volume_ml) and MIN_VOLUME_ML <= volume_ml <= MAX_VOLUME_ML
    ):
        raise ValidationError(
            f"volume_ml must be between {MIN_VOLUME_ML:g} and {MAX_VOLUME_ML:g} mL",
            field="volume_ml",
        )


def _ingredient(stock: Stock, moles: float) -> Ingredient:
    solute = stock.solute
    grams = moles * solute.molar_mass_g_per_mol
    if stock.form == "solid":
        return Ingredient(solute.name, stock.label, "solid", grams, None, "mass", 0.0)
    assert stock.density_g_per_ml is not None  # neat and solution stocks carry one
    water = 0.0
    if stock.form == "solution":
        assert stock.molality_mol_per_kg is not None
        water = 1000.0 * moles / stock.molality_mol_per_kg
    mass = grams + water
    return Ingredient(
        solute.name, stock.label, stock.form, mass, mass / stock.density_g_per_ml, "volume", water
    )


def _too_dilute(
    where: str, ingredients: Sequence[Ingredient], water_g: float, volume_ml: float
) -> None:
    worst = max(ingredients, key=lambda i: i.water_g)
    brought = sum(i.water_g for i in ingredients)
    raise ValidationError(
        f"{where}: the stocks bring {brought:.4g} g of water but {volume_ml:g} mL of this "
        f"solution holds only {water_g:.4g} g (the {worst.stock} stock alone is "
        f"{worst.volume_ml or 0.0:.4g} mL): use a more concentrated stock of {worst.solute}",
        field=f"stocks.{worst.solute}",
    )


def _concentrations(solute: Solute, moles: float, volume_ml: float) -> dict[str, float]:
    grams = moles * solute.molar_mass_g_per_mol
    values = {"mol/L": 1000.0 * moles / volume_ml, "% w/v": 100.0 * grams / volume_ml}
    if solute.pure_density_g_per_ml is not None:
        values["% v/v"] = 100.0 * grams / solute.pure_density_g_per_ml / volume_ml
    return values


def _is_ideal(stock: Stock) -> bool:
    return stock.solute.crc_key is None and stock.solute.pure_density_g_per_ml is not None


def _ideal_note(solute: Solute, molality: Any, solutes: Sequence[Solute]) -> str:
    grams = float(np.sum(molality * np.array([s.molar_mass_g_per_mol for s in solutes])))
    fraction = grams / (1000.0 + grams)
    bound = ideal_mixing_error(fraction)
    return (
        f"{solute.name}: no measured binary density is shipped, so its volume is taken as "
        "ideal mixing (pure-liquid densities add); checked on the liquids with CRC binaries "
        f"({', '.join(IDEAL_CHECK_SOLUTES)}), ideal mixing misstates the solution volume by "
        f"at most {100 * bound:.2g} % at this solute mass fraction ({100 * fraction:.3g} % w/w)"
    )


@lru_cache(maxsize=512)
def ideal_mixing_error(mass_fraction: float) -> float:
    """Largest relative volume error of ideal mixing at a solute mass fraction, over the
    liquids with both a pure density and a CRC measured binary (:data:`IDEAL_CHECK_SOLUTES`).

    Returns:
        max |V_ideal − V_CRC| / V_CRC (a fraction).
    """
    worst = 0.0
    for name in IDEAL_CHECK_SOLUTES:
        measured = composition.get_solute(name)
        ideal = Solute(name, measured.molar_mass_g_per_mol, measured.pure_density_g_per_ml)
        m = [[mass_fraction / (1.0 - mass_fraction) * 1000.0 / measured.molar_mass_g_per_mol]]
        v_crc = composition.density(m, [measured]).volume_ml_per_kg_water[0]
        v_ideal = composition.density(m, [ideal]).volume_ml_per_kg_water[0]
        worst = max(worst, abs(float(v_ideal - v_crc)) / float(v_crc))
    return worst


# --- a whole protocol -------------------------------------------------------------------------


def rounding_effect(
    cell: CellType,
    addition: Sequence[Step],
    removal: Sequence[Step],
    *,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """The protocol simulated as designed and with every hold rounded (:func:`hold_time`):
    toxicity cost, volume extremes and whether the limits hold, for both.
    """
    limits = limits or Limits.of(cell)

    def rounded(steps: Sequence[Step]) -> list[Step]:
        return [
            Step(s.solutes, hold_time(s.duration_s).rounded_s, s.temperature_c, s.label)
            for s in steps
        ]

    runs = {
        "designed": evaluate_protocol(cell, addition, removal, limits=limits, name="designed"),
        "rounded": evaluate_protocol(
            cell, rounded(addition), rounded(removal), limits=limits, name="rounded"
        ),
    }
    result: dict[str, Any] = {
        name: {
            "toxicity_cost": e.toxicity.total,
            "toxicity_unit": e.toxicity.unit,
            "min_volume_fraction": e.min_volume_fraction,
            "max_volume_fraction": e.max_volume_fraction,
            "within_limits": e.within_limits,
            "violations": list(e.violations),
            "total_duration_s": e.total_duration_s,
        }
        for name, e in runs.items()
    }
    before, after = runs["designed"].toxicity.total, runs["rounded"].toxicity.total
    result["toxicity_change"] = (after - before) / before if before > 0 else None
    return result


@dataclass(frozen=True)
class RecipeStep:
    """One step of a protocol as the bench makes and times it."""

    phase: str
    index: int
    label: str
    temperature_c: float
    hold: HoldTime
    recipe: StepRecipe

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return fields_dict(self, hold=self.hold.as_dict(), recipe=self.recipe.as_dict())


@dataclass(frozen=True)
class ProtocolRecipe:
    """Every step's recipe, the stocks used and what the whole protocol takes of each.

    Attributes:
        volume_ml: the volume of each step's solution, mL.
        steps: the steps in order (addition, then removal).
        stocks: the stocks used.
        totals: per stock (and water): the mass and volume over all steps.
        warnings: one sentence per hold too short to do by hand.
    """

    volume_ml: float
    steps: tuple[RecipeStep, ...]
    stocks: tuple[Stock, ...]
    totals: tuple[dict[str, Any], ...]
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "volume_ml": self.volume_ml,
            "steps": [s.as_dict() for s in self.steps],
            "stocks": [s.as_dict() for s in self.stocks],
            "totals": [dict(t) for t in self.totals],
            "warnings": list(self.warnings),
        }


def protocol_recipe(
    steps: Sequence[Mapping[str, Any]],
    stocks: Mapping[str, Stock],
    volume_ml: float = DEFAULT_VOLUME_ML,
) -> ProtocolRecipe:
    """The recipe of every step of a protocol (rows as
    :meth:`~cryoprotect.science.protocols.ProtocolEvaluation.steps_table` gives them:
    ``phase``, ``index``, ``label``, ``solutes``, ``duration_s``, ``temperature_c``).

    Raises:
        ValidationError: as :func:`step_recipe`, the step named in the message.
    """
    check_volume(volume_ml)
    made: list[RecipeStep] = []
    for row in steps:
        label = str(row.get("label") or f"{row.get('phase')} {row.get('index')}")
        recipe = step_recipe(row.get("solutes") or {}, stocks, volume_ml, where=label)
        made.append(
            RecipeStep(
                phase=str(row.get("phase", "")),
                index=int(row.get("index", len(made) + 1)),
                label=label,
                temperature_c=float(row["temperature_c"]),
                hold=hold_time(float(row["duration_s"])),
                recipe=recipe,
            )
        )
    totals: dict[str, dict[str, Any]] = {}
    for step in made:
        for item in step.recipe.ingredients:
            total = totals.setdefault(
                item.stock,
                {
                    "stock": item.stock,
                    "solute": item.solute,
                    "measure": item.measure,
                    "mass_g": 0.0,
                    "volume_ml": None if item.volume_ml is None else 0.0,
                },
            )
            total["mass_g"] += item.mass_g
            if item.volume_ml is not None:
                total["volume_ml"] += item.volume_ml
    used = {i.stock for s in made for i in s.recipe.ingredients}
    return ProtocolRecipe(
        volume_ml=float(volume_ml),
        steps=tuple(made),
        stocks=tuple(s for s in stocks.values() if s.label in used),
        totals=tuple(totals.values()),
        warnings=tuple(f"{s.label}: {s.hold.warning}" for s in made if s.hold.warning),
    )
