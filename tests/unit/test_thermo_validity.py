"""What the osmolality and the ice melting point may say: values, "unknown, because…", bounds.

Published data used here:
- Lange's Handbook of Chemistry, 15th ed. (1999), Table 5.13, freezing points of
  glycerol–water mixtures: 50 % w/w −22.0 °C, 60 % −33.6 °C (ice); 70 % −37.8 °C,
  80 % −19.2 °C, 90 % −1.6 °C, 100 % 17.0 °C (glycerol crystallises: the freezing point
  rises towards pure glycerol's). Sodium chloride brines: eutectic 23.3 % w/w at −21.1 °C
  (also Thermochim Acta 647:94, 2017: ice–NaCl·2H2O eutectic).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import thermo
from cryoprotect.science import thermo_validity as tv
from cryoprotect.science.thermo import VirialParameters

pytestmark = pytest.mark.unit

GLYCEROL_G_PER_MOL = 92.094
NACL_G_PER_MOL = 58.443
PG_G_PER_MOL = 76.095
DMSO_G_PER_MOL = 78.133


def molality(mass_percent: float, molar_mass: float) -> float:
    """mol/kg water of a binary solution at ``mass_percent`` % w/w (independent of the code)."""
    return mass_percent / (100.0 - mass_percent) * 1000.0 / molar_mass


def glycerol(mass_percent: float) -> tv.Assessment:
    return tv.assess(
        [molality(mass_percent, GLYCEROL_G_PER_MOL)], ["Glycerol"], [GLYCEROL_G_PER_MOL]
    )


# The two rows shipped in osmotic_virial.csv without a recorded range (quoted, unchecked).
UNRANGED = {
    "Propylene glycol": VirialParameters(
        "Propylene glycol",
        0.061,
        0.0,
        1.0,
        None,
        "Zielinski 2014 (quoted)",
        "fitted",
        False,
        "osmotic_virial.csv",
    ),
    "Dimethyl sulfoxide": VirialParameters(
        "Dimethyl sulfoxide",
        0.108,
        0.0,
        1.0,
        None,
        "Elliott 2007 (quoted)",
        "fitted",
        False,
        "osmotic_virial.csv",
    ),
}


# --- glycerol past its eutectic: the 70 % and 80 % w/w ------------------------------


@pytest.mark.parametrize(("percent", "liquidus_c"), [(70.0, -37.8), (80.0, -19.2)])
def test_concentrated_glycerol_crystallises_instead_of_giving_an_ice_melting_point(
    percent: float, liquidus_c: float
) -> None:
    answer = glycerol(percent).melting_point[0]
    # The model alone would say about −65 / −113 °C: never returned.
    assert answer.value is None
    assert answer.status == "solute_crystallises"
    assert answer.within_range is False
    assert answer.reason is not None
    assert answer.reason.startswith("Glycerol crystallises: the liquidus here is the solute's")
    assert "not ice's" in answer.reason and "no ice can form" in answer.reason
    bound = answer.bound
    assert bound is not None
    # The bound that still holds: the published glycerol liquidus at this composition.
    assert bound.quantity == "solute_liquidus"
    assert bound.relation == "at"
    assert bound.value == pytest.approx(liquidus_c)
    assert bound.unit == "°C" and bound.provenance == "measured"
    assert "Lange" in bound.source
    assert f"liquid above {liquidus_c:.1f} °C" in bound.text
    # Ice could coexist only below the eutectic, itself below every glycerol-liquidus point.
    assert answer.ice_upper_bound_c == pytest.approx(-37.8)
    assert "below -37.8 °C" in bound.text


def test_between_published_liquidus_points_the_liquidus_is_bracketed() -> None:
    bound = glycerol(75.0).melting_point[0].bound
    assert bound is not None and bound.relation == "between"
    assert (bound.value, bound.value_high) == pytest.approx((-37.8, -19.2))


def test_between_the_last_ice_point_and_the_first_glycerol_point_the_phase_is_unknown() -> None:
    answer = glycerol(65.0).melting_point[0]
    assert answer.value is None and answer.status == "eutectic_region"
    assert answer.reason is not None and "whether ice or glycerol forms first" in answer.reason
    # Still true: 65 % is more concentrated than the published 60 % point (−33.6 °C); the
    # model at the edge of a fit reaching 60 % may give a tighter bound, never a looser one.
    assert answer.bound is not None and answer.bound.relation in {"below", "at_or_below"}
    assert answer.bound.value <= -33.6 + 1e-9


def test_past_the_glycerol_eutectic_the_osmolality_is_not_a_number_either() -> None:
    # 70 % w/w is far above the fitted range of the coefficients: no osmolality value.
    answer = glycerol(70.0).osmolality[0]
    assert answer.value is None and answer.status == "outside_range"
    assert answer.bound is not None and answer.bound.relation == "above"


# --- sodium chloride past its eutectic (the hydrate crystallises) ---------------------------


def test_sodium_chloride_past_its_eutectic_crystallises_as_the_dihydrate() -> None:
    a = tv.assess([molality(24.0, NACL_G_PER_MOL)], ["Sodium chloride"], [NACL_G_PER_MOL])
    answer = a.melting_point[0]
    assert answer.value is None and answer.status == "solute_crystallises"
    assert answer.reason is not None and "NaCl·2H2O" in answer.reason
    assert "23.3 % w/w, -21.1 °C" in answer.reason
    assert answer.bound is not None and answer.bound.relation == "above"
    assert answer.bound.value == pytest.approx(-21.1)
    assert answer.ice_upper_bound_c == pytest.approx(-21.1)


def test_a_mixture_past_a_binary_eutectic_may_crystallise_and_keeps_the_ice_bound() -> None:
    m = [molality(70.0, GLYCEROL_G_PER_MOL), 0.15]
    answer = tv.assess(m, ["Glycerol", "Sodium chloride"], [GLYCEROL_G_PER_MOL, NACL_G_PER_MOL])
    mp = answer.melting_point[0]
    assert mp.value is None and mp.status == "solute_crystallises"
    assert mp.reason is not None and mp.reason.startswith("Glycerol may crystallise")
    assert mp.bound is not None and mp.bound.quantity == "ice_melting_point"
    assert mp.bound.value == pytest.approx(-37.8)


# --- unknown ranges: null, never true --------------------------------------------------------


@pytest.mark.parametrize("solute", list(UNRANGED))
def test_a_parameter_set_without_a_range_is_unknown_not_true(solute: str) -> None:
    params = UNRANGED[solute]
    raw = thermo.osmolality([1.0], [params])
    assert not bool(raw.all_within_range)  # was True before: "inside an unknown range"
    assert raw.range_verdict() == [None]
    answer = tv.assess([1.0], [params], [PG_G_PER_MOL])
    for quantity in (answer.osmolality[0], answer.melting_point[0]):
        assert quantity.within_range is None
        assert quantity.status == "range_unknown"
        # no number nobody validated (it was a number with a warning beside it): the reason
        # names the coefficients, and the bound is the solution without this solute
        assert quantity.value is None
        assert quantity.reason is not None
        assert quantity.reason.startswith(
            f"no valid concentration range is recorded for the coefficients of {solute} "
            f"(B = {params.b_kg_per_mol:g} kg/mol"
        )
        assert "not checked against published measurements" in quantity.reason
        assert any("no valid concentration range is recorded" in w for w in quantity.warnings)
    osm_bound = answer.osmolality[0].bound
    assert osm_bound is not None and osm_bound.relation == "above"
    assert osm_bound.value == pytest.approx(0.0)  # water alone
    mp_bound = answer.melting_point[0].bound
    assert mp_bound is not None and mp_bound.relation == "below"
    assert mp_bound.value == pytest.approx(0.0)
    assert f"without {solute} (no validated coefficients)" in mp_bound.text
    assert answer.solute_within_range == ((None,),)


def test_an_unranged_solute_in_a_ranged_solution_leaves_the_rest_as_the_bound() -> None:
    # 1.5 mol/kg of a solute with quoted, unchecked coefficients in 0.15 mol/kg NaCl: the
    # melting point lies below that of the NaCl solution alone (CRC fit, inside its range).
    params = UNRANGED["Dimethyl sulfoxide"]
    answer = tv.assess([1.5, 0.15], [params, "Sodium chloride"], [78.13, NACL_G_PER_MOL])
    saline = thermo.solution_thermo([0.15], ["Sodium chloride"])
    mp = answer.melting_point[0]
    assert mp.value is None and mp.within_range is None and mp.status == "range_unknown"
    assert mp.bound is not None
    assert mp.bound.value == pytest.approx(float(saline.melting_point_c))
    assert mp.bound.value < -0.4
    osm = answer.osmolality[0]
    assert osm.value is None and osm.bound is not None
    assert osm.bound.value == pytest.approx(float(saline.osmolality_osmol_per_kg))


def test_a_shipped_parameter_set_without_a_range_is_never_reported_inside_it() -> None:
    for params in thermo.default_virial_parameters().values():
        m = 0.5 * (params.valid_max_molality or 1.0)
        verdict = tv.assess([m], [params], [None]).solute_within_range[0][0]
        assert verdict is (None if params.valid_max_molality is None else True), params.solute


def test_an_ideal_dilute_fallback_has_no_range_either() -> None:
    answer = tv.assess([0.5], ["Not a solute we know"], [100.0])
    assert answer.melting_point[0].within_range is None
    assert answer.osmolality[0].within_range is None


# --- beyond a fitted range: null with the bound that still holds ----------------------------


def test_beyond_the_fitted_range_the_melting_point_is_a_bound_not_a_number() -> None:
    params = VirialParameters(
        "Solute X", 0.03, 0.001, 1.0, 4.0, "fit to X data (test)", "fitted", True, "t"
    )
    answer = tv.assess([[3.0], [6.0]], [params], [100.0])
    inside, beyond = answer.melting_point
    assert inside.value is not None and inside.within_range is True
    assert beyond.value is None and beyond.status == "outside_range"
    assert beyond.reason == (
        "outside the fitted range 0–4 mol/kg (0–28.6 % w/w in water) for Solute X "
        "(fit to X data): here 6 mol/kg"
    )
    edge_c = float(thermo.solution_thermo([4.0], [params]).melting_point_c)
    assert beyond.bound is not None and beyond.bound.relation == "below"
    assert beyond.bound.value == pytest.approx(edge_c)
    assert f"melting point below {edge_c:.1f} °C" in beyond.bound.text
    assert beyond.ice_upper_bound_c == pytest.approx(edge_c)
    osm = answer.osmolality[1]
    assert osm.value is None and osm.reason == beyond.reason
    edge_pi = float(thermo.osmolality([4.0], [params]).osmolality_osmol_per_kg)
    assert osm.bound is not None and osm.bound.relation == "above"
    assert osm.bound.value == pytest.approx(edge_pi)
    assert answer.solute_within_range == ((True,), (False,))


def test_above_the_shipped_glycerol_fit_the_bound_holds_against_published_data() -> None:
    limit = thermo.virial_parameters("Glycerol").valid_max_molality
    assert limit is not None
    # Lange's Table 5.13: 50 % w/w glycerol freezes at −22.0 °C, 60 % at −33.6 °C.
    for percent, measured_c in ((50.0, -22.0), (60.0, -33.6)):
        if molality(percent, GLYCEROL_G_PER_MOL) <= limit:
            continue  # a wider fit covers it: nothing to bound
        answer = glycerol(percent).melting_point[0]
        assert answer.value is None and answer.status == "outside_range"
        assert answer.reason is not None and "outside the fitted range 0–" in answer.reason
        assert "for Glycerol (" in answer.reason
        assert answer.bound is not None and answer.bound.relation in {"below", "at_or_below"}
        assert measured_c <= answer.bound.value


def test_the_strongest_bound_wins_and_a_mixture_caps_only_the_solute_outside() -> None:
    x = VirialParameters("Solute X", 0.02, 0.0, 1.0, 2.0, "fit X", "fitted", True, "t")
    y = VirialParameters("Solute Y", 0.02, 0.0, 1.0, 5.0, "fit Y", "fitted", True, "t")
    answer = tv.assess([3.0, 1.0], [x, y], [100.0, 100.0]).melting_point[0]
    edge = float(thermo.solution_thermo([2.0, 1.0], [x, y]).melting_point_c)
    assert answer.value is None and answer.bound is not None
    assert answer.bound.value == pytest.approx(edge)
    assert "Solute X" in answer.reason if answer.reason else False
    assert "Solute Y" not in (answer.reason or "")


@settings(max_examples=60, deadline=None)
@given(st.floats(1.01, 3.0))
def test_bounds_from_capped_compositions_sit_above_the_monotonic_model(factor: float) -> None:
    # Within a monotonic model, the capped value bounds the (hidden) extrapolation.
    params = thermo.virial_parameters("Sucrose")
    limit = params.valid_max_molality
    assert limit is not None
    answer = tv.assess([limit * factor], ["Sucrose"], [342.3])
    raw_c = float(thermo.solution_thermo([limit * factor], ["Sucrose"]).melting_point_c)
    assert answer.melting_point[0].value is None
    assert answer.melting_point[0].ice_upper_bound_c is not None
    assert raw_c < answer.melting_point[0].ice_upper_bound_c


# --- inside the range nothing changes ---------------------------------------------------------


@pytest.mark.parametrize("percent", [5.0, 10.0, 20.0, 30.0, 40.0])
def test_inside_the_fitted_range_values_are_the_model_values(percent: float) -> None:
    m = molality(percent, GLYCEROL_G_PER_MOL)
    limit = thermo.virial_parameters("Glycerol").valid_max_molality
    assert limit is not None
    if m > limit:
        pytest.skip("outside the shipped fit")
    raw = thermo.solution_thermo([m], ["Glycerol"])
    answer = glycerol(percent)
    assert answer.melting_point[0].value == float(raw.melting_point_k)
    assert answer.osmolality[0].value == float(raw.osmolality_osmol_per_kg)
    assert answer.melting_point[0].status == "within_range"
    assert answer.melting_point[0].within_range is True
    assert answer.melting_point[0].reason is None and answer.melting_point[0].bound is None


def test_vectorised_assessment_equals_one_composition_at_a_time() -> None:
    percents = np.linspace(0.0, 95.0, 39)
    m = np.array([molality(w, GLYCEROL_G_PER_MOL) for w in percents])[:, None]
    batch = tv.assess(m, ["Glycerol"], [GLYCEROL_G_PER_MOL])
    assert len(batch.melting_point) == len(percents)
    for row, mp in zip(m, batch.melting_point, strict=True):
        single = tv.assess(row, ["Glycerol"], [GLYCEROL_G_PER_MOL]).melting_point[0]
        assert single == mp


def test_one_molar_mass_per_solute_is_required() -> None:
    with pytest.raises(ValidationError):
        tv.assess([1.0, 1.0], ["Glycerol", "Sucrose"], [92.0])


# --- the phase-boundary table -----------------------------------------------------------------


def test_every_phase_boundary_row_is_sourced_and_checked() -> None:
    with tv.PHASE_TABLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == list(tv.PHASE_COLUMNS)
    for row in rows:
        assert row["source"].strip() and row["solid_phase"].strip(), row
        assert row["provenance"] == "measured" and row["verified"] == "true", row
    glycerol_data = tv.phase_boundaries("glycerol")
    assert glycerol_data.eutectic is None  # 66.7 % / −46.5 °C could not be checked: not shipped
    assert glycerol_data.crystallisation_onset_percent == 70.0
    nacl = tv.phase_boundaries("Sodium chloride")
    assert nacl.eutectic is not None
    assert (nacl.eutectic.mass_percent, nacl.eutectic.temperature_c) == (23.3, -21.1)
    with pytest.raises(NotFound):
        tv.phase_boundaries("Dimethyl sulfoxide")


HEADER = ",".join(tv.PHASE_COLUMNS)


@pytest.mark.parametrize(
    "rows",
    [
        ["S,30,-20,ice,ice_liquidus,src,measured,true", "S,20,-25,S,eutectic,src,measured,true"],
        ["S,20,-25,S,eutectic,src,measured,true", "S,22,-24,S,eutectic,src,measured,true"],
        ["S,20,-25,S,eutectic,src,measured,true", "S,15,-10,S,solute_liquidus,src,measured,true"],
        ["S,20,-25,S,peritectic,src,measured,true"],
        ["S,20,-25,,eutectic,src,measured,true"],
        ["S,120,-25,S,eutectic,src,measured,true"],
    ],
)
def test_contradictory_phase_tables_are_refused(tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "phases.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        tv.load_phase_boundaries(path)


def test_unchecked_phase_rows_are_not_used(tmp_path: Path) -> None:
    path = tmp_path / "phases.csv"
    path.write_text(
        f"{HEADER}\nGlycerol,66.7,-46.5,glycerol,eutectic,quoted,measured,false\n",
        encoding="utf-8",
    )
    assert tv.load_phase_boundaries(path) == {}


def test_short_source_keeps_a_year_and_drops_the_rest() -> None:
    assert tv.short_source("Lange's Handbook, 15th ed. (1999), Table 5.13") == (
        "Lange's Handbook, 15th ed. (1999)"
    )
    assert tv.short_source("fit to CRC Handbook freezing points (CRC ...; x)") == (
        "fit to CRC Handbook freezing points"
    )


def test_where_the_model_itself_breaks_down_nothing_is_returned() -> None:
    # A negative C with a (wrongly) recorded range: π turns negative at high molality
    # inside it. (Without a recorded range nothing is returned anyway: range_unknown.)
    params = VirialParameters("Solute Z", 0.05, -0.01, 1.0, 40.0, "test", "fitted", False, "t")
    answer = tv.assess([[1.0], [30.0]], [params], [50.0])
    assert answer.melting_point[0].value is not None
    assert answer.melting_point[0].within_range is True
    for quantity in (answer.melting_point[1], answer.osmolality[1]):
        assert quantity.value is None and quantity.within_range is False
        assert quantity.reason is not None and "model gives no" in quantity.reason
