"""Membrane transport: Boyle–van 't Hoff equilibria, CPA equilibria, mass balance, Arrhenius."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import trapezoid

from cryoprotect.errors import OutOfDomainError, ValidationError
from cryoprotect.science import transport as tr
from cryoprotect.science.cells import CellType, Permeability, get_cell_type
from cryoprotect.science.transport import State, Step

pytestmark = pytest.mark.unit

DMSO = "Dimethyl sulfoxide"
NACL = "Sodium chloride"


@pytest.fixture(scope="module")
def oocyte() -> CellType:
    return get_cell_type("rhesus_mii_oocyte")


@pytest.fixture(scope="module")
def generic() -> CellType:
    return get_cell_type("generic_mammalian")


def carrier(cell: CellType, scale: float = 1.0) -> dict[str, float]:
    return {NACL: tr.isotonic_carrier(cell)[NACL] * scale}


# --- carrier and isotonic rest ------------------------------------------------------------


def test_isotonic_carrier_has_the_isotonic_osmolality(oocyte: CellType) -> None:
    step = Step(carrier(oocyte), 1.0, 22.0)
    assert tr.extracellular_osmolality(step) == pytest.approx(0.29, rel=1e-10)
    # Physiological saline is ~0.154 mol/L; the virial equation gives ~0.16 mol/kg for 0.29 osmol/kg.
    assert 0.14 < carrier(oocyte)[NACL] < 0.17


def test_a_cell_in_its_isotonic_medium_does_not_move(oocyte: CellType) -> None:
    trajectory = tr.simulate(oocyte, [Step(carrier(oocyte), 600.0, 22.0)])
    assert np.allclose(trajectory.volume_fraction, 1.0, atol=1e-9)


# --- Boyle–van 't Hoff --------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.5, 0.8, 1.5, 3.0])
def test_non_permeating_equilibrium_is_boyle_vant_hoff(generic: CellType, scale: float) -> None:
    step = Step(carrier(generic, scale), 2000.0, 22.0)
    trajectory = tr.simulate(generic, [step])
    expected = tr.boyle_vant_hoff_volume_fraction(generic, tr.extracellular_osmolality(step))
    assert trajectory.volume_fraction[-1] == pytest.approx(expected, rel=1e-6)
    assert tr.equilibrium_state(generic, step).volume_fraction(generic) == pytest.approx(
        expected, rel=1e-10
    )


def test_sucrose_is_non_permeating(oocyte: CellType) -> None:
    step = Step({**carrier(oocyte), "Sucrose": 0.5}, 20000.0, 22.0)
    trajectory = tr.simulate(oocyte, [step])
    expected = tr.boyle_vant_hoff_volume_fraction(oocyte, tr.extracellular_osmolality(step))
    assert expected < 0.7
    assert trajectory.volume_fraction[-1] == pytest.approx(expected, rel=1e-6)


def test_boyle_vant_hoff_formula(generic: CellType) -> None:
    vb = generic.inactive_volume_fraction
    assert tr.boyle_vant_hoff_volume_fraction(generic, 0.29) == pytest.approx(1.0)
    assert tr.boyle_vant_hoff_volume_fraction(generic, 0.58) == pytest.approx(vb + (1 - vb) / 2)
    with pytest.raises(ValidationError):
        tr.boyle_vant_hoff_volume_fraction(generic, 0.0)


# --- permeating CPA -----------------------------------------------------------------------


def test_permeating_cpa_equilibrates_and_returns_to_the_boyle_vant_hoff_volume(
    generic: CellType,
) -> None:
    # With every solute ideal-dilute (empty virial table) the osmolality splits exactly into
    # a non-permeating and a CPA part, and at equilibrium the water volume is the
    # Boyle–van 't Hoff volume of the non-permeating part.
    ideal: dict[str, object] = {}
    salt = tr.isotonic_carrier(generic, osmotic_parameters=ideal)[NACL] * 1.2  # type: ignore[arg-type]
    step = Step({NACL: salt, DMSO: 1.5}, 3000.0, 22.0)
    trajectory = tr.simulate(generic, [step], osmotic_parameters=ideal)  # type: ignore[arg-type]
    assert trajectory.intracellular_molality[DMSO][-1] == pytest.approx(1.5, rel=1e-6)
    water_plus_inactive = trajectory.water_volume_fraction[-1] + generic.inactive_volume_fraction
    assert water_plus_inactive == pytest.approx(
        tr.boyle_vant_hoff_volume_fraction(generic, salt), rel=1e-6
    )


def test_permeating_equilibrium_matches_the_solved_equilibrium(oocyte: CellType) -> None:
    step = Step({**carrier(oocyte), DMSO: 1.557}, 20000.0, 22.0)
    trajectory = tr.simulate(oocyte, [step])
    state = tr.equilibrium_state(oocyte, step)
    assert trajectory.intracellular_molality[DMSO][-1] == pytest.approx(1.557, rel=1e-5)
    assert trajectory.volume_fraction[-1] == pytest.approx(state.volume_fraction(oocyte), rel=1e-5)
    # Shrink–swell: the cell first shrinks (water leaves faster than DMSO enters).
    assert trajectory.volume_fraction.min() < 0.7


def test_equilibrium_needs_a_non_permeating_solute(oocyte: CellType) -> None:
    with pytest.raises(OutOfDomainError):
        tr.equilibrium_state(oocyte, Step({DMSO: 1.0}, 1.0, 22.0))


def test_cpa_amount_changes_only_by_membrane_flux(oocyte: CellType) -> None:
    step = Step({**carrier(oocyte), DMSO: 1.0}, 400.0, 22.0)
    trajectory = tr.simulate(oocyte, [step], points_per_step=4000)
    water = trajectory.water_volume_fraction * oocyte.isotonic_volume_um3
    inside = trajectory.intracellular_molality[DMSO]
    amount = inside * water
    permeability = oocyte.permeabilities[DMSO]
    flux = tr.ps_at(oocyte, permeability, 22.0) * oocyte.surface_area_um2 * (1.0 - inside)
    assert amount[-1] - amount[0] == pytest.approx(trapezoid(flux, trajectory.time_s), rel=1e-4)
    # The non-permeating osmoles inside are conserved: π_np · V_w is constant (ideal solute).
    final = trajectory.final_state()
    assert final.solute_amount_fmol[DMSO] == pytest.approx(amount[-1], rel=1e-12)


# --- temperature --------------------------------------------------------------------------


def test_arrhenius_scaling() -> None:
    assert tr.arrhenius(2.0, 50.0, 22.0, 22.0) == 2.0
    expected = 2.0 * math.exp(-50e3 / 8.314462618 * (1 / 283.15 - 1 / 295.15))
    assert tr.arrhenius(2.0, 50.0, 22.0, 10.0) == pytest.approx(expected, rel=1e-12)
    assert tr.arrhenius(2.0, 0.0, 22.0, 4.0) == 2.0


def test_lp_and_ps_use_their_own_reference_temperatures(oocyte: CellType) -> None:
    assert tr.lp_at(oocyte, oocyte.reference_temperature_c) == oocyte.lp_um_per_min_atm
    dmso = oocyte.permeabilities[DMSO]
    assert tr.ps_at(oocyte, dmso, 23.5) == dmso.ps_um_per_s
    assert tr.ps_at(oocyte, dmso, 4.0) < dmso.ps_um_per_s / 5  # 97 kJ/mol over 19.5 K


def test_colder_is_slower(oocyte: CellType) -> None:
    def time_of_minimum(temperature_c: float) -> float:
        step = Step({**carrier(oocyte), DMSO: 1.0}, 3000.0, temperature_c)
        trajectory = tr.simulate(oocyte, [step])
        return float(trajectory.time_s[np.argmin(trajectory.volume_fraction)])

    assert time_of_minimum(4.0) > 2 * time_of_minimum(22.0)


# --- Kedem–Katchalsky -----------------------------------------------------------------------


def test_kk_with_unit_reflection_coefficient_is_the_two_parameter_model(oocyte: CellType) -> None:
    dmso = replace(oocyte.permeabilities[DMSO], reflection_coefficient=1.0)
    cell = replace(oocyte, permeabilities={DMSO: dmso})
    steps = [Step({**carrier(cell), DMSO: 1.5}, 300.0, 22.0), Step(carrier(cell), 300.0, 22.0)]
    two = tr.simulate(cell, steps, model="2p")
    kk = tr.simulate(cell, steps, model="kk")
    assert np.allclose(two.volume_fraction, kk.volume_fraction, rtol=1e-6)


def test_kk_reflection_coefficient_changes_the_response(oocyte: CellType) -> None:
    dmso = replace(oocyte.permeabilities[DMSO], reflection_coefficient=0.8)
    cell = replace(oocyte, permeabilities={DMSO: dmso})
    step = Step({**carrier(cell), DMSO: 1.5}, 300.0, 22.0)
    kk = tr.simulate(cell, [step], model="kk")
    two = tr.simulate(cell, [step], model="2p")
    # Solvent drag and σ < 1 soften the initial shrinkage.
    assert kk.volume_fraction.min() > two.volume_fraction.min() + 0.01
    assert "Kedem" in kk.method


def test_kk_without_reflection_coefficient_warns(oocyte: CellType) -> None:
    trajectory = tr.simulate(oocyte, [Step({**carrier(oocyte), DMSO: 1.0}, 10.0, 22.0)], model="kk")
    assert any("σ = 1" in w for w in trajectory.warnings)


# --- inputs, chaining, outputs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "field"),
    [
        (Step({NACL: 0.16}, 0.0, 22.0), "steps[0].duration_s"),
        (Step({NACL: 0.16}, math.nan, 22.0), "steps[0].duration_s"),
        (Step({NACL: 0.16}, 10.0, 80.0), "steps[0].temperature_c"),
        (Step({NACL: -0.1}, 10.0, 22.0), f"steps[0].solutes.{NACL}"),
    ],
)
def test_bad_steps_are_rejected(oocyte: CellType, step: Step, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        tr.simulate(oocyte, [step])
    assert raised.value.field == field


def test_empty_protocol_and_unknown_model_are_rejected(oocyte: CellType) -> None:
    with pytest.raises(ValidationError):
        tr.simulate(oocyte, [])
    with pytest.raises(ValidationError):
        tr.simulate(oocyte, [Step(carrier(oocyte), 1.0, 22.0)], model="3p")  # type: ignore[arg-type]


def test_a_step_below_the_melting_point_is_out_of_domain(oocyte: CellType) -> None:
    with pytest.raises(OutOfDomainError):
        tr.simulate(oocyte, [Step(carrier(oocyte), 10.0, -5.0)])
    # With enough CPA of validated melting point the same temperature is fine
    # (3 mol/kg ethylene glycol in the carrier melts at about -6.6 °C).
    tr.simulate(oocyte, [Step({**carrier(oocyte), "Ethylene glycol": 3.0}, 10.0, -5.0)])


def test_the_frozen_guard_uses_only_melting_points_we_stand_behind(oocyte: CellType) -> None:
    # DMSO's virial coefficients record no validated range, so its raw melting point
    # (-7.9 °C for 3 mol/kg in the carrier) is not used: below the bound that still holds
    # (the carrier alone, -0.52 °C) whether the solution is liquid is unknown.
    step = Step({**carrier(oocyte), DMSO: 3.0}, 10.0, -5.0)
    guard = tr.melting_guard(step.solutes)
    assert guard.melting_point_c is None and guard.status == "range_unknown"
    assert guard.upper_bound_c == pytest.approx(-0.52, abs=0.02)
    with pytest.raises(OutOfDomainError) as caught:
        tr.simulate(oocyte, [step])
    assert caught.value.details["melting_point_c"] is None
    assert "unknown" in str(caught.value)
    # At 0 °C or above no aqueous solution freezes: no model number is needed.
    tr.simulate(oocyte, [Step({**carrier(oocyte), DMSO: 3.0}, 10.0, 0.0)])


def test_chaining_with_final_state_equals_one_simulation(oocyte: CellType) -> None:
    first = Step({**carrier(oocyte), DMSO: 1.0}, 200.0, 22.0)
    second = Step({**carrier(oocyte), "Sucrose": 0.3}, 200.0, 22.0)
    both = tr.simulate(oocyte, [first, second])
    part = tr.simulate(oocyte, [first])
    rest = tr.simulate(oocyte, [second], initial=part.final_state())
    assert rest.volume_fraction[-1] == pytest.approx(both.volume_fraction[-1], rel=1e-6)
    assert rest.intracellular_molality[DMSO][-1] == pytest.approx(
        both.intracellular_molality[DMSO][-1], rel=1e-6
    )


def test_initial_cpa_the_cell_cannot_hold_is_rejected(oocyte: CellType) -> None:
    with pytest.raises(ValidationError):
        tr.simulate(
            oocyte, [Step(carrier(oocyte), 1.0, 22.0)], initial=State(5e5, {"Glycerol": 1.0})
        )


def test_summary_agrees_with_the_simulation(oocyte: CellType) -> None:
    steps = [
        Step({**carrier(oocyte), DMSO: 1.557}, 300.0, 22.0),
        Step(carrier(oocyte), 300.0, 22.0),
    ]
    trajectory = tr.simulate(oocyte, steps, points_per_step=2000)
    summary = tr.summarize(oocyte, steps, powers={DMSO: 1.6}, rtol=1e-8)
    assert summary.min_volume_fraction == pytest.approx(trajectory.volume_fraction.min(), rel=1e-6)
    assert summary.max_volume_fraction == pytest.approx(trajectory.volume_fraction.max(), rel=1e-6)
    integral = trapezoid(trajectory.intracellular_molality[DMSO] ** 1.6, trajectory.time_s)
    assert summary.power_integral == pytest.approx(integral, rel=1e-4)


def test_until_stops_the_last_step(oocyte: CellType) -> None:
    step = Step({**carrier(oocyte), DMSO: 1.557}, 5000.0, 22.0)
    summary = tr.summarize(oocyte, [step], until=lambda s: s.molality(DMSO) - 0.95 * 1.557)
    assert summary.last_step_duration_s is not None
    assert summary.final_state.molality(DMSO) == pytest.approx(0.95 * 1.557, rel=1e-4)
    found = tr.time_to_condition(
        oocyte, step, State.isotonic(oocyte), lambda s: s.molality(DMSO) - 1.48
    )
    assert found is not None and 0 < found < 5000
    never = tr.time_to_condition(
        oocyte, step, State.isotonic(oocyte), lambda s: s.molality(DMSO) - 2.0
    )
    assert never is None


def test_chart_data_is_json_and_keeps_the_extremes(oocyte: CellType) -> None:
    steps = [
        Step({**carrier(oocyte), DMSO: 1.557}, 300.0, 22.0),
        Step(carrier(oocyte), 300.0, 22.0),
    ]
    trajectory = tr.simulate(oocyte, steps)
    data = trajectory.as_dict(max_points=50)
    json.dumps(data)
    assert len(data["time_s"]) <= 60
    assert min(data["volume_fraction"]) == pytest.approx(trajectory.volume_fraction.min())
    assert max(data["volume_fraction"]) == pytest.approx(trajectory.volume_fraction.max())
    assert set(data["intracellular_molality"]) == {DMSO}
    assert len(trajectory.as_dict()["time_s"]) == trajectory.time_s.size


# --- invariants ---------------------------------------------------------------------------

small_cell = CellType(
    key="test",
    name="test",
    species=None,
    lp_um_per_min_atm=0.5,
    lp_activation_energy_kj_per_mol=50.0,
    reference_temperature_c=22.0,
    inactive_volume_fraction=0.3,
    isotonic_volume_um3=1000.0,
    surface_area_um2=480.0,
    isotonic_osmolality_osmol_per_kg=0.29,
    min_volume_fraction=0.6,
    max_volume_fraction=1.4,
    permeabilities={
        DMSO: Permeability(DMSO, 0.3, 90.0, None, {}, {}),
        "Glycerol": Permeability("Glycerol", 0.05, 50.0, None, {}, {}),
    },
    sources={},
    provenance={},
)

step_strategy = st.builds(
    lambda salt, dmso, glycerol, sucrose, duration, temperature: Step(
        {NACL: salt, DMSO: dmso, "Glycerol": glycerol, "Sucrose": sucrose}, duration, temperature
    ),
    st.floats(min_value=0.02, max_value=0.6),
    st.floats(min_value=0.0, max_value=3.0),
    st.floats(min_value=0.0, max_value=2.0),
    st.floats(min_value=0.0, max_value=0.8),
    st.floats(min_value=1.0, max_value=300.0),
    st.floats(min_value=2.0, max_value=37.0),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(step_strategy, min_size=1, max_size=3))
def test_volume_stays_above_the_inactive_volume_and_amounts_stay_non_negative(
    steps: list[Step],
) -> None:
    trajectory = tr.simulate(small_cell, steps, points_per_step=20)
    assert np.all(trajectory.volume_fraction > small_cell.inactive_volume_fraction)
    assert np.all(trajectory.water_volume_fraction > 0)
    for values in trajectory.intracellular_molality.values():
        assert np.all(values >= 0)
        # Intracellular molality never exceeds the highest extracellular molality offered
        # by much (concentration by water loss is bounded by the osmotic balance).
    assert np.all(np.diff(trajectory.time_s) >= 0)


@settings(max_examples=20, deadline=None)
@given(st.floats(min_value=0.3, max_value=3.0))
def test_any_non_permeating_solution_reaches_boyle_vant_hoff(scale: float) -> None:
    step = Step({NACL: 0.16 * scale}, 20000.0, 22.0)
    trajectory = tr.simulate(small_cell, [step], points_per_step=5)
    expected = tr.boyle_vant_hoff_volume_fraction(small_cell, tr.extracellular_osmolality(step))
    assert trajectory.volume_fraction[-1] == pytest.approx(expected, rel=1e-6)
