"""Protocol steps as bench recipes (science.protocols.recipe), checked by hand.

Densities used by hand below:
- DMSO 1.1004 g/mL at 20 °C (params/pure_densities.csv: Gaylord Chemical, ChemicalBook);
- glycerol 20 % w/w in water: 1.0459 g/mL at 20 °C, and pure glycerol 1.2611 g/mL (CRC
  Handbook 102nd ed., 'Concentrative properties of aqueous solutions', Wolf 1966);
- water 0.998203 g/mL at 20 °C (Kell 1975, ITS-90).
"""

from __future__ import annotations

import math

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.science import cells, composition, protocols
from cryoprotect.science.protocols import recipe
from cryoprotect.science.transport import Step

pytestmark = pytest.mark.unit

DMSO = composition.get_solute("Dimethyl sulfoxide")
NACL = composition.get_solute("Sodium chloride")
SUCROSE = composition.get_solute("Sucrose")
GLYCEROL = composition.get_solute("Glycerol")
ISOTONIC_NACL = 0.1599  # mol/kg, the order of the carriers the designer uses


def _stocks(strength: int = 10) -> dict[str, recipe.Stock]:
    return {
        DMSO.name: recipe.default_stock(DMSO),
        NACL.name: recipe.carrier_stock(NACL, ISOTONIC_NACL, strength),
        SUCROSE.name: recipe.default_stock(SUCROSE),
        GLYCEROL.name: recipe.default_stock(GLYCEROL),
    }


def _dmso_10_percent_v_v() -> dict[str, float]:
    state = composition.to_molality([[10.0, ISOTONIC_NACL]], ["% v/v", "mol/kg"], [DMSO, NACL])
    m = state.molality_mol_per_kg[0]
    return {DMSO.name: float(m[0]), NACL.name: float(m[1])}


def _by_stock(step: recipe.StepRecipe) -> dict[str, recipe.Ingredient]:
    return {i.stock: i for i in step.ingredients}


def test_ten_ml_of_ten_percent_dmso_in_isotonic_saline_takes_one_ml_of_dmso() -> None:
    step = recipe.step_recipe(_dmso_10_percent_v_v(), _stocks(), 10.0)
    dmso = _by_stock(step)["Dimethyl sulfoxide (neat)"]
    assert dmso.volume_ml == pytest.approx(1.000, abs=5e-4)
    # 1.00 mL × 1.1004 g/mL = 1.1004 g = 14.08 mmol (M = 78.13 g/mol) in 10 mL: 1.408 mol/L.
    assert dmso.mass_g == pytest.approx(1.1004, rel=1e-9)
    assert step.concentrations[DMSO.name]["% v/v"] == pytest.approx(10.0, rel=1e-9)
    assert step.concentrations[DMSO.name]["mol/L"] == pytest.approx(1.1004 / 78.13 * 100, rel=1e-9)
    # 10× carrier: a tenth of the solution's NaCl per litre, so ~0.9 mL of stock per 10 mL.
    carrier = next(i for i in step.ingredients if i.form == "solution")
    nacl_mol = step.concentrations[NACL.name]["mol/L"] * 0.010
    assert carrier.mass_g - carrier.water_g == pytest.approx(nacl_mol * 58.443, rel=1e-9)
    assert carrier.volume_ml == pytest.approx(0.9, rel=0.01)
    water = step.ingredients[-1]
    assert water.form == "water"
    assert water.volume_ml == pytest.approx(water.mass_g / 0.998203, rel=1e-12)
    # Mass balance: stocks + water = ρ·V.
    assert sum(i.mass_g for i in step.ingredients) == pytest.approx(step.final_mass_g, rel=1e-12)


def test_glycerol_volume_against_the_crc_density_row() -> None:
    # CRC 20 °C: glycerol 20 % w/w, ρ = 1.0459 g/mL. 10 mL weigh 10.459 g: 2.0918 g glycerol
    # (= 2.0918 / 1.2611 = 1.6587 mL neat) and 8.3672 g water.
    m = 0.20 / 0.80 * 1000.0 / 92.094
    step = recipe.step_recipe({GLYCEROL.name: m}, _stocks(), 10.0)
    glycerol, water = step.ingredients
    assert step.density_g_per_ml == pytest.approx(1.0459, abs=1e-9)
    assert glycerol.mass_g == pytest.approx(2.0918, abs=1e-9)
    assert glycerol.volume_ml == pytest.approx(1.6587, abs=1e-4)
    assert water.mass_g == pytest.approx(8.3672, abs=1e-9)
    assert step.concentrations[GLYCEROL.name]["% v/v"] == pytest.approx(16.587, abs=1e-3)
    # Liquid volumes do not add: 1.6587 + 8.3823 mL of parts make 10 mL.
    assert step.sum_of_parts_ml == pytest.approx(1.6587 + 8.3672 / 0.998203, abs=1e-4)


def test_one_x_carrier_is_the_diluent_and_solids_are_weighed() -> None:
    m = {DMSO.name: 1.0, NACL.name: ISOTONIC_NACL, SUCROSE.name: 0.25}
    step = recipe.step_recipe(m, _stocks(strength=1), 10.0)
    parts = _by_stock(step)
    sucrose = parts["Sucrose (solid, anhydrous)"]
    assert sucrose.measure == "mass" and sucrose.volume_ml is None
    # All the water comes from the 1× carrier: the carrier holds exactly the step's NaCl molality.
    assert parts["water"].mass_g == pytest.approx(0.0, abs=1e-9)
    water_kg = step.concentrations[NACL.name]["mol/L"] * 0.010 / ISOTONIC_NACL
    assert sucrose.mass_g == pytest.approx(0.25 * water_kg * 342.296, rel=1e-9)


def test_a_too_dilute_stock_is_refused_naming_it() -> None:
    stocks = _stocks(strength=1)
    stocks[SUCROSE.name] = recipe.solution_stock(SUCROSE, 0.1, "mol/L")
    with pytest.raises(ValidationError) as exc:
        recipe.step_recipe({NACL.name: ISOTONIC_NACL, SUCROSE.name: 0.5}, stocks, 10.0)
    assert exc.value.details["field"] == "stocks.Sucrose"
    assert "more concentrated stock of Sucrose" in str(exc.value)


def test_bad_volume_and_missing_stock_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        recipe.step_recipe(_dmso_10_percent_v_v(), _stocks(), 0.0)
    assert exc.value.details["field"] == "volume_ml"
    with pytest.raises(ValidationError) as exc:
        recipe.step_recipe(_dmso_10_percent_v_v(), {}, 10.0)
    assert exc.value.details["field"] == "stocks"
    with pytest.raises(ValidationError) as exc:
        recipe.carrier_stock(NACL, ISOTONIC_NACL, 5)
    assert exc.value.details["field"] == "carrier_strength"


@pytest.mark.parametrize(
    ("model_s", "rounded_s", "warned"),
    [
        (1.0, 5.0, True),
        (7.0, 5.0, True),
        (8.0, 10.0, True),
        (29.9, 30.0, True),
        (30.0, 30.0, False),
        (62.0, 60.0, False),
        (163.14, 165.0, False),
        (301.0, 300.0, False),
        (4730.84, 4740.0, False),
    ],
)
def test_hold_times_round_to_what_a_hand_can_time(
    model_s: float, rounded_s: float, warned: bool
) -> None:
    hold = recipe.hold_time(model_s)
    assert hold.rounded_s == rounded_s
    assert (hold.warning is not None) is warned
    if warned:
        assert hold.warning is not None and hold.warning.startswith("too short to do by hand")


def test_ideal_mixing_bound_is_measured_on_crc_liquids() -> None:
    assert recipe.ideal_mixing_error(1e-6) < 1e-6
    bound = recipe.ideal_mixing_error(0.11)
    assert 0.0 < bound < 0.05
    note = " ".join(recipe.step_recipe(_dmso_10_percent_v_v(), _stocks(), 10.0).how_obtained)
    assert "ideal mixing" in note and "at most" in note


def test_protocol_recipe_totals_and_rounding_effect() -> None:
    cell = cells.get_cell_type("rhesus_mii_oocyte")
    salt = {NACL.name: ISOTONIC_NACL}
    addition = [
        Step({**salt, DMSO.name: 0.8}, 122.0, 22.0, "add 1"),
        Step({**salt, DMSO.name: 1.6}, 3.0, 22.0, "add 2"),
    ]
    removal = [Step(dict(salt), 400.0, 22.0, "remove 1")]
    rows = protocols.evaluate_protocol(cell, addition, removal).steps_table()
    made = recipe.protocol_recipe(rows, _stocks(), 10.0)
    assert [s.hold.rounded_s for s in made.steps] == [120.0, 5.0, 420.0]
    assert len(made.warnings) == 1 and made.warnings[0].startswith("add 2: too short")
    dmso_total = next(t for t in made.totals if t["solute"] == DMSO.name)
    per_step = [
        i.volume_ml for s in made.steps for i in s.recipe.ingredients if i.solute == DMSO.name
    ]
    assert dmso_total["volume_ml"] == pytest.approx(sum(v for v in per_step if v))
    effect = recipe.rounding_effect(cell, addition, removal)
    assert effect["rounded"]["total_duration_s"] == pytest.approx(545.0)
    assert effect["designed"]["total_duration_s"] == pytest.approx(525.0)
    assert math.isfinite(effect["toxicity_change"]) and effect["toxicity_change"] > 0
