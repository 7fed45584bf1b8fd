"""Osmolality (multisolute osmotic virial equation) and the melting point of ice."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryoprotect.errors import InvalidCompositionError, NotFound, ValidationError
from cryoprotect.science import thermo
from cryoprotect.science.thermo import (
    CRYOSCOPIC_CONSTANT_K_KG_PER_MOL,
    VirialParameters,
    fit_virial_from_freezing_points,
    melting_point,
    osmolality,
    osmolality_from_melting_point,
    predict_delta_t_c,
    solution_thermo,
    virial_parameters,
)

pytestmark = pytest.mark.unit

PARAMS = thermo.PARAMS_DIR


def custom(name: str, b: float, c: float = 0.0, k: float = 1.0) -> VirialParameters:
    return VirialParameters(name, b, c, k, None, "test", "estimated", False, "test")


# --- constants and the melting-point relation ---------------------------------------------


def test_pure_water_melts_at_273_15_k() -> None:
    assert melting_point(0.0) == pytest.approx(273.15, abs=1e-12)


def test_dilute_limit_is_the_cryoscopic_constant() -> None:
    # ΔT = R T0² Mw / ΔHfus · π = 1.860 K kg/mol · π for small π.
    assert pytest.approx(1.860, abs=1e-3) == CRYOSCOPIC_CONSTANT_K_KG_PER_MOL
    pi = 1e-4
    assert (273.15 - float(melting_point(pi))) / pi == pytest.approx(
        CRYOSCOPIC_CONSTANT_K_KG_PER_MOL, rel=1e-4
    )


@given(st.floats(min_value=0.0, max_value=60.0))
def test_melting_point_round_trips(pi: float) -> None:
    assert float(osmolality_from_melting_point(melting_point(pi))) == pytest.approx(pi, abs=1e-9)


def test_melting_point_rejects_negative_osmolality() -> None:
    with pytest.raises(ValidationError):
        melting_point([0.1, -0.2])


# --- the equation -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    b=st.floats(-0.2, 0.5),
    c=st.floats(0.0, 0.05),
    k=st.floats(1.0, 3.0),
)
def test_ideal_dilute_limit(b: float, c: float, k: float) -> None:
    # π / Σ k m → 1 as m → 0 (the van 't Hoff limit), with an error of order B·k·m.
    params = [custom("a", b, c, k), custom("b", 0.1, 0.01)]
    for m in (1e-2, 1e-4, 1e-6):
        pi = float(osmolality([m, m], params).osmolality_osmol_per_kg)
        ideal = k * m + m
        assert abs(pi / ideal - 1.0) <= 2.0 * (abs(b) + 0.1) * (k + 1.0) * m + 1e-12


def test_unknown_solute_is_ideal_and_flagged_estimated() -> None:
    result = osmolality([0.5, 0.25], ["Formamide", "Hydroxyethyl starch"])
    assert float(result.osmolality_osmol_per_kg) == pytest.approx(0.75, abs=1e-15)
    assert result.provenance == {"Formamide": "estimated", "Hydroxyethyl starch": "estimated"}
    assert any("ideal-dilute" in w for w in result.warnings)


def test_factorised_sums_equal_the_explicit_double_and_triple_sums() -> None:
    rng = np.random.default_rng(7)
    k = np.array([1.0, 1.8, 1.0])
    b = np.array([0.03, 0.005, -0.016])
    c = np.array([0.0, 0.003, 0.0005])
    m = rng.uniform(0.0, 3.0, size=3)
    x = k * m
    explicit = x.sum()
    for i, j in itertools.product(range(3), repeat=2):
        explicit += (b[i] + b[j]) / 2 * x[i] * x[j]
    for i, j, n in itertools.product(range(3), repeat=3):
        explicit += np.cbrt(c[i] * c[j] * c[n]) * x[i] * x[j] * x[n]
    params = [custom(str(i), b[i], c[i], k[i]) for i in range(3)]
    assert float(osmolality(m, params).osmolality_osmol_per_kg) == pytest.approx(
        explicit, rel=1e-12
    )


def test_single_solute_form() -> None:
    # π = k m + B (k m)² + C (k m)³ (Zielinski et al. 2014, eq. 9).
    p = custom("salt", 0.044, 0.001, 1.678)
    m = 1.3
    x = 1.678 * m
    expected = x + 0.044 * x**2 + 0.001 * x**3
    assert float(osmolality([m], [p]).osmolality_osmol_per_kg) == pytest.approx(expected)


def test_sodium_chloride_dissociates() -> None:
    nacl = virial_parameters("Sodium chloride")
    assert 1.5 < nacl.k_diss < 2.0
    dilute = float(osmolality([0.01], ["Sodium chloride"]).osmolality_osmol_per_kg)
    assert dilute == pytest.approx(nacl.k_diss * 0.01, rel=0.01)
    # Versus a non-electrolyte at the same molality: nearly twice the osmolality.
    glucose = float(osmolality([0.01], ["D-Glucose"]).osmolality_osmol_per_kg)
    assert 1.7 < dilute / glucose < 1.9


def test_sodium_chloride_matches_the_crc_dilute_freezing_points() -> None:
    # CRC Handbook 102nd ed., Concentrative properties of aqueous solutions (Wolf 1966):
    # NaCl 0.5 % w/w = 0.086 mol/kg freezes at −0.30 °C; 1 % w/w = 0.173 mol/kg at −0.59 °C.
    result = solution_thermo([[0.086], [0.173]], ["Sodium chloride"])
    assert result.melting_point_c == pytest.approx([-0.30, -0.59], abs=0.015)


def test_vectorised_equals_scalar() -> None:
    solutes = ["Glycerol", "Ethylene glycol", "Sodium chloride", "Sucrose", "Dimethyl sulfoxide"]
    rng = np.random.default_rng(3)
    compositions = rng.uniform(0.0, 2.0, size=(200, len(solutes)))
    batch = solution_thermo(compositions, solutes)
    assert batch.melting_point_k.shape == (200,)
    for row, expected_pi, expected_tm in zip(
        compositions, batch.osmolality_osmol_per_kg, batch.melting_point_k, strict=True
    ):
        single = solution_thermo(row, solutes)
        assert single.osmolality_osmol_per_kg.shape == ()
        assert float(single.osmolality_osmol_per_kg) == pytest.approx(expected_pi, rel=1e-12)
        assert float(single.melting_point_k) == pytest.approx(expected_tm, rel=1e-12)


def test_ten_thousand_compositions_in_one_call() -> None:
    compositions = np.random.default_rng(1).uniform(0.0, 3.0, size=(10_000, 3))
    result = solution_thermo(compositions, ["Glycerol", "Ethylene glycol", "Sodium chloride"])
    assert result.osmolality_osmol_per_kg.shape == (10_000,)
    assert result.within_range.shape == (10_000,)
    assert np.all(np.isfinite(result.melting_point_k))


MONOTONIC_SOLUTES = ["Glycerol", "Ethylene glycol", "Sodium chloride", "Sucrose", "Urea"]


@settings(max_examples=80, deadline=None)
@given(
    fractions=st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5),
    which=st.integers(0, 4),
    step=st.floats(1e-3, 0.5),
)
def test_freezing_point_depression_is_monotonic(
    fractions: list[float], which: int, step: float
) -> None:
    # Adding any solute (inside every solute's fitted range) lowers the melting point.
    limits = np.array([virial_parameters(s).valid_max_molality or 1.0 for s in MONOTONIC_SOLUTES])
    base = np.array(fractions) * limits * 0.9 / 5
    more = base.copy()
    more[which] += step * limits[which] * 0.1
    tm = solution_thermo(np.vstack([base, more]), MONOTONIC_SOLUTES).melting_point_k
    assert tm[1] < tm[0]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(MONOTONIC_SOLUTES + ["Methanol", "D-Glucose"]))
def test_each_fitted_solute_depresses_monotonically_over_its_range(solute: str) -> None:
    limit = virial_parameters(solute).valid_max_molality
    assert limit is not None
    m = np.linspace(0.0, limit, 200)[:, np.newaxis]
    assert np.all(np.diff(solution_thermo(m, [solute]).melting_point_k) < 0.0)


# --- provenance, ranges and flags ---------------------------------------------------------


def test_out_of_range_compositions_are_flagged() -> None:
    glycerol = virial_parameters("Glycerol")
    assert glycerol.valid_max_molality is not None
    inside, outside = 0.9 * glycerol.valid_max_molality, 1.2 * glycerol.valid_max_molality
    result = solution_thermo([[inside], [outside]], ["Glycerol"])
    assert result.within_range.tolist() == [True, False]
    assert any("above the fitted range" in w for w in result.warnings)
    only_inside = solution_thermo([inside], ["Glycerol"])
    assert bool(only_inside.within_range)
    assert not any("above the fitted range" in w for w in only_inside.warnings)


def test_unverified_published_coefficients_are_flagged() -> None:
    result = solution_thermo([1.0], ["Dimethyl sulfoxide"])
    (params,) = result.osmolality.parameters
    assert params.table == "osmotic_virial.csv" and not params.verified
    assert result.provenance == {"Dimethyl sulfoxide": "fitted"}
    assert any("could not be checked" in w for w in result.warnings)
    assert any("range is not recorded" in w for w in result.warnings)


def test_solution_thermo_reports_methods_provenance_and_sources() -> None:
    result = solution_thermo([1.0, 0.15], ["Glycerol", "Sodium chloride"])
    assert set(result.methods) == {"osmolality", "melting_point"}
    assert "Elliott" in result.methods["osmolality"]
    assert "ΔH_fus" in result.methods["melting_point"]
    assert set(result.provenance) == {"Glycerol", "Sodium chloride"}
    assert all("CRC" in s for s in result.sources.values())
    assert float(result.melting_point_c) == pytest.approx(float(result.melting_point_k) - 273.15)
    assert any("combining rules" in w for w in result.warnings)


def test_names_match_case_insensitively_but_exactly() -> None:
    assert virial_parameters("glycerol") == virial_parameters("GLYCEROL")
    with pytest.raises(NotFound):
        virial_parameters("glyc")


@pytest.mark.parametrize(
    ("molality", "error"),
    [
        ([[-0.1, 1.0]], InvalidCompositionError),
        ([[np.nan, 1.0]], ValidationError),
        ([[1.0, 1.0, 1.0]], ValidationError),
        ([[[1.0, 1.0]]], ValidationError),
    ],
)
def test_bad_input_raises(molality: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        osmolality(molality, ["Glycerol", "Sucrose"])  # type: ignore[arg-type]


def test_a_solute_listed_twice_is_rejected() -> None:
    with pytest.raises(ValidationError):
        osmolality([1.0, 1.0], ["Glycerol", "glycerol"])


@pytest.mark.parametrize(
    "table", ["osmotic_virial.csv", "osmotic_virial_fitted.csv"], ids=lambda name: name
)
def test_every_parameter_row_is_sourced(table: str) -> None:
    with (PARAMS / table).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    extra = thermo.FITTED_EXTRA_COLUMNS if table == thermo.FITTED_TABLE.name else ()
    assert list(rows[0]) == list(thermo.VIRIAL_COLUMNS + extra)
    for row in rows:
        assert row["source"].strip(), row["solute"]
        assert row["provenance"] in {"measured", "fitted", "estimated"}
        b, c = float(row["B_kg_per_mol"]), float(row["C_kg2_per_mol2"])
        if c < 0.0:
            # Only the concentrated-CPA fits may have C < 0: they say so, record their range,
            # and their osmolality still rises at the end of it.
            assert "C free in sign" in row["source"], row["solute"]
            x = float(row["k_diss"]) * float(row["valid_max_molality"])
            assert 1.0 + 2.0 * b * x + 3.0 * c * x**2 > 0.0, row["solute"]
    loaded = thermo.load_virial_table(PARAMS / table)
    assert len(loaded) == len(rows)


def test_verified_fits_take_precedence_over_unchecked_published_values() -> None:
    published = custom("X", 0.1)
    ours = VirialParameters("X", 0.2, 0.0, 1.0, 3.0, "fit", "fitted", True, "fitted")
    checked = VirialParameters("X", 0.3, 0.0, 1.0, 3.0, "paper", "fitted", True, "paper")
    assert thermo.merge_parameter_sets({"x": published}, {"x": ours})["x"] is ours
    assert thermo.merge_parameter_sets({"x": checked}, {"x": ours})["x"] is checked
    assert thermo.merge_parameter_sets({"x": published}, {})["x"] is published


# --- fitting ------------------------------------------------------------------------------


def test_fit_recovers_known_coefficients() -> None:
    m = np.linspace(0.05, 5.0, 25)
    dt = predict_delta_t_c(m, 0.05, 0.002, 1.8)
    fit = fit_virial_from_freezing_points(m, dt, fit_k_diss=True)
    assert (fit.b_kg_per_mol, fit.c_kg2_per_mol2, fit.k_diss) == pytest.approx(
        (0.05, 0.002, 1.8), rel=1e-6
    )
    assert fit.rmse_c < 1e-9
    assert fit.valid_max_molality == pytest.approx(5.0)
    assert fit.residuals_c.shape == fit.molality.shape == (25,)


def test_fit_of_a_non_electrolyte_keeps_the_ideal_limit() -> None:
    m = np.linspace(0.1, 4.0, 20)
    dt = predict_delta_t_c(m, 0.03)
    fit = fit_virial_from_freezing_points(m, dt)
    assert fit.k_diss == 1.0
    assert fit.b_kg_per_mol == pytest.approx(0.03, rel=1e-6)
    assert fit.c_kg2_per_mol2 == pytest.approx(0.0, abs=1e-9)


def test_fit_keeps_c_non_negative() -> None:
    m = np.linspace(0.1, 8.0, 20)
    dt = predict_delta_t_c(m, 0.05) - 0.002 * m**3  # data that would want C < 0
    assert fit_virial_from_freezing_points(m, dt).c_kg2_per_mol2 >= 0.0


def test_fit_needs_enough_points() -> None:
    with pytest.raises(ValidationError):
        fit_virial_from_freezing_points([0.1, 0.2], [0.2, 0.4])
