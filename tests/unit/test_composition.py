"""Composition units convert exactly; densities come from measured data or a stated mixing rule.

Reference data: CRC Handbook of Chemistry and Physics, 102nd ed. (2021), "Concentrative
properties of aqueous solutions" (20 °C; Wolf, Aqueous Solutions and Body Fluids, 1966), read
directly from ``../shared/data/crc_aqueous_solutions_20c.csv`` with the csv module — not from
the package's copy, and not through the code under test. The CRC prints molality and
molarity to three decimals, so "within 1 %" allows half a unit of the last printed digit
where that is larger (dilute rows of heavy solutes, e.g. 0.5 % sucrose = 0.015 mol/kg).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryoprotect.errors import InvalidCompositionError, ValidationError
from cryoprotect.science import composition as comp
from cryoprotect.science.composition import (
    UNITS,
    VOLUME_UNITS,
    WATER_DENSITY_20C_G_PER_ML,
    WATER_MOLAR_MASS_G_PER_MOL,
    Component,
    Solute,
    all_units,
    convert,
    density,
    from_molality,
    get_solute,
    known_solutes,
    to_molality,
)
from tests.conftest import require

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CRC_CSV = ROOT / "data" / "crc_aqueous_solutions_20c.csv"
PARAMS = ROOT / "src" / "cryoprotect" / "science" / "params"

LIQUIDS = [
    "Dimethyl sulfoxide",
    "Glycerol",
    "Ethylene glycol",
    "Propylene glycol",
    "Methanol",
    "Ethanol",
    "Formamide",
]
SOLIDS = ["Sodium chloride", "Sucrose", "Urea", "D-Glucose", "Potassium chloride"]
EXACT = 1e-9  # relative tolerance of the exact conversion paths


def crc_rows(crc_name: str) -> list[dict[str, str]]:
    require(CRC_CSV.exists(), f"{CRC_CSV} not found")
    with CRC_CSV.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["solute"] == crc_name]


def close(actual: float, expected: float, rel: float = EXACT) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-300)


# --- the CRC table's own columns ----------------------------------------------------------

CRC_NAMES = [s.crc_key for s in known_solutes() if s.crc_key is not None]


def test_every_crc_solute_is_known() -> None:
    # 65 solutes (shared/data/SOURCES.md says 66; the file itself has 65 distinct names).
    assert len(CRC_NAMES) == 65
    require(CRC_CSV.exists(), f"{CRC_CSV} not found")
    with CRC_CSV.open(newline="", encoding="utf-8") as handle:
        assert {row["solute"] for row in csv.DictReader(handle)} == set(CRC_NAMES)


@pytest.mark.parametrize("crc_name", CRC_NAMES)
def test_mass_percent_to_molality_and_molarity_match_the_crc_table(crc_name: str) -> None:
    rows = [r for r in crc_rows(crc_name) if float(r["mass_percent"]) <= 40.0]
    assert rows
    solute = next(s for s in known_solutes() if s.crc_key == crc_name)
    percent = np.array([[float(r["mass_percent"])] for r in rows])
    state = to_molality(percent, "% w/w", [solute])
    molality = state.molality_mol_per_kg[:, 0]
    molarity = state.amounts("mol/L")[:, 0]
    for row, m, c in zip(rows, molality, molarity, strict=True):
        for computed, printed in ((m, row["molality_mol_per_kg"]), (c, row["molarity_mol_per_l"])):
            if not printed:
                continue
            expected = float(printed)
            tolerance = max(0.01 * expected, 0.0005 + 1e-12)
            assert abs(computed - expected) <= tolerance, (row["mass_percent"], computed, printed)


@pytest.mark.parametrize("crc_name", CRC_NAMES)
def test_binary_density_at_a_crc_row_is_the_measured_density(crc_name: str) -> None:
    rows = crc_rows(crc_name)
    solute = next(s for s in known_solutes() if s.crc_key == crc_name)
    percent = np.array([[float(r["mass_percent"])] for r in rows if float(r["mass_percent"]) < 100])
    measured = [float(r["density_g_per_cm3"]) for r in rows if float(r["mass_percent"]) < 100]
    estimate = to_molality(percent, "% w/w", [solute]).density
    assert estimate is not None
    np.testing.assert_allclose(estimate.density_g_per_ml, measured, rtol=1e-12)
    assert set(estimate.method) == {comp.METHOD_CRC_BINARY}
    assert "CRC Handbook" in estimate.source


def test_binary_density_between_rows_lies_between_the_neighbouring_rows() -> None:
    glycerol = get_solute("Glycerol")
    rows = crc_rows("Glycerol")
    for lower, upper in zip(rows, rows[1:], strict=False):
        mid = 0.5 * (float(lower["mass_percent"]) + float(upper["mass_percent"]))
        rho = all_units([Component(glycerol, mid, "% w/w")]).density_g_per_ml
        assert rho is not None
        low, high = sorted([float(lower["density_g_per_cm3"]), float(upper["density_g_per_cm3"])])
        assert low <= rho <= high


def test_interpolant_is_scipys_pchip() -> None:
    interpolate = pytest.importorskip("scipy.interpolate")
    for crc_name in ("Glycerol", "Ethanol", "Acetic acid", "Sodium chloride", "Sucrose"):
        rows = crc_rows(crc_name)
        x = np.array([0.0, *[float(r["mass_fraction"]) for r in rows]])
        y = np.array([WATER_DENSITY_20C_G_PER_ML, *[float(r["density_g_per_cm3"]) for r in rows]])
        ours = comp._Pchip.fit(x, y)
        theirs = interpolate.PchipInterpolator(x, y)
        grid = np.linspace(0.0, x[-1], 2001)
        np.testing.assert_allclose(ours(grid), theirs(grid), rtol=1e-13, atol=1e-15)


# --- round trips --------------------------------------------------------------------------


@st.composite
def solutions(draw: st.DrawFn, liquids_only: bool) -> tuple[list[Solute], np.ndarray]:
    """1–3 distinct solutes at 0.01–5 mol/kg each (inside the CRC ranges of the solids)."""
    pool = LIQUIDS if liquids_only else LIQUIDS + SOLIDS
    names = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    molality = draw(st.lists(st.floats(0.01, 5.0), min_size=len(names), max_size=len(names)))
    return [get_solute(name) for name in names], np.array(molality)


UNIT_PAIRS = [(a, b) for a in UNITS for b in UNITS]


@pytest.mark.parametrize(("first", "second"), UNIT_PAIRS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_round_trip_through_every_unit_pair(first: str, second: str, data: st.DataObject) -> None:
    needs_liquid = "% v/v" in (first, second)
    solutes, molality = data.draw(solutions(liquids_only=needs_liquid))
    in_first = from_molality(molality, first, solutes)[0]
    in_second = from_molality(molality, second, solutes)[0]

    converted = convert(
        [Component(s, float(a), first) for s, a in zip(solutes, in_first, strict=True)], second
    )
    back = convert(
        [Component(s, float(a), second) for s, a in zip(solutes, in_second, strict=True)], first
    )
    for got, want in zip(converted.amounts[second], in_second, strict=True):
        assert got is not None and close(got, float(want)), (got, want)
    for got, want in zip(back.amounts[first], in_first, strict=True):
        assert got is not None and close(got, float(want)), (got, want)
    recovered = to_molality(in_first, first, solutes).molality_mol_per_kg[0]
    np.testing.assert_allclose(recovered, molality, rtol=EXACT)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mixed_input_units_solve_back_to_the_same_molality(data: st.DataObject) -> None:
    solutes, molality = data.draw(solutions(liquids_only=False))
    units = [
        data.draw(st.sampled_from([u for u in UNITS if u != "% v/v" or s.pure_density_g_per_ml]))
        for s in solutes
    ]
    amounts = from_molality(molality, units, solutes)
    state = to_molality(amounts, units, solutes)
    np.testing.assert_allclose(state.molality_mol_per_kg[0], molality, rtol=EXACT)
    np.testing.assert_allclose(state.amounts(units), amounts, rtol=EXACT)


def test_concentrated_volume_units_still_converge() -> None:
    ethanol, glycerol = get_solute("Ethanol"), get_solute("Glycerol")
    amounts = np.array([[95.0, 0.0], [60.0, 30.0], [1e-9, 1e-9], [0.0, 99.0]])
    state = to_molality(amounts, "% v/v", [ethanol, glycerol])
    np.testing.assert_allclose(state.amounts("% v/v"), amounts, rtol=1e-9, atol=1e-15)


def test_unit_identities() -> None:
    solutes = [get_solute("DMSO"), get_solute("Sodium chloride")]
    molality = np.array([[1.5, 0.15], [3.0, 0.3]])
    mol_per_l = from_molality(molality, "mol/L", solutes)
    molar_mass = np.array([s.molar_mass_g_per_mol for s in solutes])
    np.testing.assert_allclose(from_molality(molality, "mmol/L", solutes), 1000 * mol_per_l)
    np.testing.assert_allclose(from_molality(molality, "g/L", solutes), mol_per_l * molar_mass)
    np.testing.assert_allclose(
        from_molality(molality, "% w/v", solutes), mol_per_l * molar_mass / 10
    )
    fraction = from_molality(molality, "mole fraction", solutes)
    water = 1000 / WATER_MOLAR_MASS_G_PER_MOL
    np.testing.assert_allclose(fraction, molality / (water + molality.sum(axis=1, keepdims=True)))
    percent = from_molality(molality, "% w/w", solutes)
    grams = molality * molar_mass
    np.testing.assert_allclose(percent, 100 * grams / (1000 + grams.sum(axis=1, keepdims=True)))


# --- densities ----------------------------------------------------------------------------


def test_ten_percent_v_v_dmso_in_water() -> None:
    """10 mL DMSO per 100 mL solution, ideal mixing: 90 mL water, 11.004 g DMSO in 100.842 g."""
    dmso = get_solute("DMSO")
    assert dmso.pure_density_g_per_ml == 1.1004
    result = all_units([Component(dmso, 10.0, "% v/v")])
    rho_dmso, rho_water = dmso.pure_density_g_per_ml, WATER_DENSITY_20C_G_PER_ML
    dmso_g, water_g = 10.0 * rho_dmso, 90.0 * rho_water
    expected_w_w = 100 * dmso_g / (dmso_g + water_g)
    expected_mol_per_l = dmso_g / dmso.molar_mass_g_per_mol / 0.1
    (w_w,) = result.amounts["% w/w"]
    (mol_per_l,) = result.amounts["mol/L"]
    assert w_w is not None and mol_per_l is not None
    assert close(w_w, expected_w_w) and close(mol_per_l, expected_mol_per_l)
    assert w_w == pytest.approx(10.912, abs=5e-4)
    assert mol_per_l == pytest.approx(1.4084, abs=5e-5)
    assert result.density_g_per_ml == pytest.approx((dmso_g + water_g) / 100, rel=EXACT)
    assert result.density_method == comp.METHOD_IDEAL
    assert "Gaylord" in (result.density_source or "")


def test_mixed_units_dmso_v_v_with_sodium_chloride_mol_per_l() -> None:
    dmso, nacl = get_solute("DMSO"), get_solute("Sodium chloride")
    result = all_units([Component(dmso, 10.0, "% v/v"), Component(nacl, 0.15, "mol/L")])
    assert result.amounts["% v/v"][0] == pytest.approx(10.0, rel=EXACT)
    assert result.amounts["mol/L"] == pytest.approx([1.4084, 0.15], rel=1e-4)
    assert result.amounts["% v/v"][1] is None  # NaCl is no liquid
    assert any("Sodium chloride" in note for note in result.notes)
    assert result.density_method is not None
    assert result.density_method.startswith(comp.METHOD_ADDITIVE)
    assert "Dimethyl sulfoxide" in result.density_method


def test_additive_volumes_reduce_to_the_binary_when_the_other_solute_is_absent() -> None:
    glycerol, sucrose = get_solute("Glycerol"), get_solute("Sucrose")
    m = np.array([[0.5], [2.0], [5.0]])
    binary = density(m, [glycerol]).density_g_per_ml
    mixture = density(np.hstack([m, np.zeros_like(m)]), [glycerol, sucrose]).density_g_per_ml
    np.testing.assert_allclose(mixture, binary, rtol=1e-14)


def test_beyond_the_crc_table_is_said_in_the_method() -> None:
    eg, nacl = get_solute("Ethylene glycol"), get_solute("Sodium chloride")
    liquid = all_units([Component(eg, 80.0, "% w/w")])
    assert liquid.density_method is not None and "pure-liquid density" in liquid.density_method
    assert liquid.density_g_per_ml is not None
    assert 1.0765 < liquid.density_g_per_ml < 1.1135  # CRC 60 % row < it < pure EG (Merck)
    solid = all_units([Component(nacl, 30.0, "% w/w")])
    assert solid.density_method is not None and "extrapolated" in solid.density_method
    inside = all_units([Component(nacl, 20.0, "% w/w")])
    assert inside.density_method == comp.METHOD_CRC_BINARY


def test_density_method_is_reported_per_composition() -> None:
    nacl = get_solute("Sodium chloride")
    estimate = to_molality(np.array([[10.0], [30.0]]), "% w/w", [nacl]).density
    assert estimate is not None
    assert estimate.method[0] == comp.METHOD_CRC_BINARY
    assert "extrapolated" in estimate.method[1]


# --- impossible compositions --------------------------------------------------------------


def raises(components: list[Component], to_unit: str = "mol/kg") -> InvalidCompositionError:
    with pytest.raises(InvalidCompositionError) as info:
        convert(components, to_unit)
    assert isinstance(info.value, ValidationError)
    return info.value


def test_negative_amount() -> None:
    error = raises(
        [
            Component(get_solute("Glycerol"), 1.0, "mol/kg"),
            Component(get_solute("DMSO"), -2.0, "mol/L"),
        ]
    )
    assert error.field == "components[1].amount"
    assert "Dimethyl sulfoxide" in error.message and error.details["field"] == error.field


def test_non_finite_amount() -> None:
    error = raises([Component(get_solute("Glycerol"), math.nan, "% w/w")])
    assert error.field == "components[0].amount" and "Glycerol" in error.message


def test_mass_fractions_that_leave_no_water() -> None:
    error = raises(
        [
            Component(get_solute("Sodium chloride"), 0.9, "% w/w"),
            Component(get_solute("Glycerol"), 60.0, "% w/w"),
            Component(get_solute("Sucrose"), 45.0, "% w/w"),
        ]
    )
    assert error.field == "components[2].amount"
    assert "Glycerol" in error.message and "Sucrose" in error.message


def test_volume_fractions_beyond_one_hundred_percent() -> None:
    error = raises(
        [
            Component(get_solute("DMSO"), 70.0, "% v/v"),
            Component(get_solute("Glycerol"), 40.0, "% v/v"),
        ]
    )
    assert error.field == "components[1].amount"
    assert "Dimethyl sulfoxide" in error.message and "Glycerol" in error.message


def test_mole_fractions_that_leave_no_water() -> None:
    error = raises(
        [
            Component(get_solute("Glycerol"), 0.6, "mole fraction"),
            Component(get_solute("Ethanol"), 0.5, "mole fraction"),
        ]
    )
    assert error.field == "components[1].amount" and "Ethanol" in error.message


def test_mass_and_mole_fractions_that_together_leave_no_water() -> None:
    # 0.5 mole fraction of glycerol alone is 83.6 % w/w; with 60 % w/w DMSO nothing fits.
    error = raises(
        [
            Component(get_solute("DMSO"), 60.0, "% w/w"),
            Component(get_solute("Glycerol"), 0.5, "mole fraction"),
        ]
    )
    assert error.field == "components[1].amount"
    assert "Dimethyl sulfoxide" in error.message and "Glycerol" in error.message


def test_molar_concentration_heavier_than_the_solution() -> None:
    # Pure DMSO is 14.1 mol/L; 20 mol/L would need more than 1.1 kg of DMSO per litre.
    error = raises([Component(get_solute("DMSO"), 20.0, "mol/L")])
    assert error.field == "components[0].amount" and "Dimethyl sulfoxide" in error.message
    error = raises(
        [
            Component(get_solute("Sodium chloride"), 0.15, "mol/L"),
            Component(get_solute("Glycerol"), 1300.0, "g/L"),
        ]
    )
    assert error.field == "components[1].amount" and "Glycerol" in error.message


def test_a_solute_without_density_cannot_be_given_per_volume() -> None:
    trehalose = Solute("Trehalose", 342.296)
    error = raises(
        [Component(get_solute("Sodium chloride"), 0.9, "% w/w"), Component(trehalose, 0.2, "mol/L")]
    )
    assert error.field == "components[1].unit"
    assert error.message.startswith("no density for Trehalose: give the amount in mol/kg or % w/w")
    # …nor expressed per volume, but the mass- and mole-based units still work.
    error = raises([Component(trehalose, 0.2, "mol/kg")], to_unit="mol/L")
    assert "no density for Trehalose" in error.message
    result = all_units([Component(trehalose, 0.2, "mol/kg")])
    assert result.amounts["mol/L"] == [None] and result.density_g_per_ml is None
    assert result.amounts["% w/w"][0] == pytest.approx(100 * 0.2 * 342.296 / (1000 + 0.2 * 342.296))


def test_v_v_of_a_solid_needs_a_pure_density() -> None:
    error = raises([Component(get_solute("Sodium chloride"), 1.0, "% v/v")])
    assert error.field == "components[0].unit" and "Sodium chloride" in error.message


def test_units_and_solutes_that_cannot_be_resolved() -> None:
    error = raises([Component(get_solute("DMSO"), 1.0, "M")])
    assert error.field == "components[0].unit" and "Dimethyl sulfoxide" in error.message
    error = raises(
        [Component(get_solute("DMSO"), 1.0, "mol/L"), Component(get_solute("Me2SO"), 1.0, "% w/w")]
    )
    assert error.field == "components[1].solute"
    with pytest.raises(InvalidCompositionError) as info:
        convert([Component(get_solute("DMSO"), 1.0, "mol/L")], "molar")
    assert info.value.field == "to_unit"
    with pytest.raises(InvalidCompositionError):
        convert([], "mol/kg")
    with pytest.raises(InvalidCompositionError) as info:
        get_solute("unobtainium")
    assert info.value.field == "solute"


def test_amounts_too_large_to_represent() -> None:
    glycerol, dmso = get_solute("Glycerol"), get_solute("DMSO")
    with pytest.raises(InvalidCompositionError) as info:
        from_molality(np.array([[1e306, 1e306]]), "% w/w", [glycerol, dmso])
    assert info.value.field == "components[0].amount" and "Glycerol" in info.value.message
    with pytest.raises(InvalidCompositionError) as info:
        to_molality(np.array([[1e308, 1e308]]), ["mol/kg", "mol/L"], [glycerol, dmso])
    assert "Dimethyl sulfoxide" in info.value.message


def test_vectorised_errors_name_the_composition() -> None:
    glycerol = get_solute("Glycerol")
    with pytest.raises(InvalidCompositionError) as info:
        to_molality(np.array([[10.0], [120.0], [130.0]]), "% w/w", [glycerol])
    assert info.value.field == "components[0].amount"
    assert info.value.details["rows"] == [1, 2]
    assert info.value.message.startswith("composition 1:")


# --- vectorised = scalar ------------------------------------------------------------------


def test_ten_thousand_compositions_at_once_equal_ten_thousand_scalar_calls() -> None:
    rng = np.random.default_rng(20240604)
    n = 10_000
    solutes = [get_solute("DMSO"), get_solute("Sodium chloride"), get_solute("Glycerol")]
    units = ["% v/v", "mol/L", "% w/w"]
    amounts = np.column_stack(
        [rng.uniform(0, 40, n), rng.uniform(0, 1.0, n), rng.uniform(0, 20, n)]
    )
    state = to_molality(amounts, units, solutes)
    assert state.density is not None
    vector_molality = state.molality_mol_per_kg
    vector_w_w = state.amounts("% w/w")
    scalar_molality = np.empty_like(amounts)
    scalar_w_w = np.empty_like(amounts)
    scalar_density = np.empty(n)
    for i in range(n):
        components = [
            Component(s, float(a), u) for s, a, u in zip(solutes, amounts[i], units, strict=True)
        ]
        result = convert(components, "mol/kg")
        scalar_molality[i] = result.amounts["mol/kg"]
        scalar_density[i] = result.density_g_per_ml
        scalar_w_w[i] = from_molality(scalar_molality[i], "% w/w", solutes)[0]
    np.testing.assert_allclose(vector_molality, scalar_molality, rtol=1e-12, atol=0)
    np.testing.assert_allclose(vector_w_w, scalar_w_w, rtol=1e-12, atol=0)
    np.testing.assert_allclose(state.density.density_g_per_ml, scalar_density, rtol=1e-12, atol=0)


# --- parameter tables ---------------------------------------------------------------------


def test_pure_density_table_has_sources_and_provenance() -> None:
    with (PARAMS / "pure_densities.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames is not None
        assert reader.fieldnames[:5] == [
            "solute",
            "density_g_per_ml",
            "temperature_c",
            "source",
            "provenance",
        ]
        rows = list(reader)
    assert {r["solute"] for r in rows} >= set(LIQUIDS)
    for row in rows:
        assert row["provenance"] in {"measured", "fitted", "estimated"}
        assert float(row["temperature_c"]) == 20.0
        assert 0.7 < float(row["density_g_per_ml"]) < 1.3 and len(row["source"]) > 20


def test_pure_densities_agree_with_the_crc_table_where_it_reaches_100_percent() -> None:
    for name in ("Glycerol", "Methanol", "Ethanol"):
        (pure,) = [r for r in crc_rows(name) if float(r["mass_percent"]) == 100.0]
        assert get_solute(name).pure_density_g_per_ml == float(pure["density_g_per_cm3"])


def test_solute_lookup_is_exact_and_case_insensitive() -> None:
    assert get_solute("dmso") is get_solute("Dimethyl sulfoxide") is get_solute("67-68-5")
    eg = get_solute("1,2-Ethanediol")
    assert eg is get_solute("ethylene glycol") and eg.name == "Ethylene glycol"
    assert eg.crc_key == "1,2-Ethanediol" and eg.pure_density_g_per_ml == 1.1135
    assert get_solute("7647-14-5").name == "Sodium chloride"
    with pytest.raises(InvalidCompositionError):
        get_solute("glycer")  # no substring matches
    with pytest.raises(InvalidCompositionError):
        Solute("Nothing", -1.0)
    with pytest.raises(InvalidCompositionError):
        Solute("Nothing", 10.0, crc_key="Not in the table")


def test_volume_units_are_the_ones_that_need_a_density() -> None:
    assert {"mol/L", "mmol/L", "g/L", "% w/v", "% v/v"} == VOLUME_UNITS
    assert set(UNITS) - VOLUME_UNITS == {"mol/kg", "% w/w", "mole fraction"}
