"""Melting points of the common CPAs against published freezing curves, on held-out data.

Issue 13, item 1 and the Targets' melting-point line: MAE ≤ 0.5 °C on held-out data for
each CPA fitted, from 0 to the highest published concentration below the eutectic.

Reference data (read here with the csv module, not with the code under test):
  * CRC Handbook of Chemistry and Physics, 102nd ed. (2021), "Concentrative properties of
    aqueous solutions" (freezing points from Wolf, Aqueous Solutions and Body Fluids, 1966),
    ``data/crc_aqueous_solutions_20c.csv``;
  * Melinder Å., Properties of Secondary Working Fluids for Indirect Systems, 2nd ed., IIR
    2010 — freezing curves as shipped by CoolProp (fluids MPG, MEG, MGL, MMA, MEA), sampled
    into ``science/params/freezing_points_reference.csv``.

Before issue 13 propylene glycol used a quoted, unchecked B = 0.061 kg/mol without C:
30 % w/w came out at −13.39 °C and 40 % w/w at −22.91 °C against Melinder's −12.79 and
−20.57 °C.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.science import freezing_reference, thermo
from tests.conftest import require

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CRC_CSV = ROOT / "data" / "crc_aqueous_solutions_20c.csv"
TARGET_MAE_C = 0.5
PLANS = {p.solute: p for p in thermo.PUBLISHED_FIT_PLAN}
MOLAR_MASS = {f.solute: f.molar_mass_g_per_mol for f in freezing_reference.MELINDER_FLUIDS}


def reference_rows(solute: str) -> list[dict[str, str]]:
    with freezing_reference.REFERENCE_TABLE.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return [r for r in rows if r["solute"] == solute]


def series_of(solute: str) -> list[thermo.FreezingSeries]:
    """The plan's published series, read with the csv module (CRC first, then Melinder)."""
    plan = PLANS[solute]
    found: list[thermo.FreezingSeries] = []
    if plan.crc_name:
        require(CRC_CSV.exists(), f"{CRC_CSV} not found")
        w, m, dt = [], [], []
        with CRC_CSV.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["solute"] != plan.crc_name or not row["freezing_point_depression_c"]:
                    continue
                if float(row["mass_percent"]) <= plan.max_mass_percent:
                    w.append(float(row["mass_percent"]))
                    m.append(float(row["molality_mol_per_kg"]))
                    dt.append(float(row["freezing_point_depression_c"]))
        found.append(thermo.FreezingSeries("crc", "CRC", np.array(w), np.array(m), np.array(dt)))
    rows = [r for r in reference_rows(solute) if float(r["mass_percent"]) <= plan.max_mass_percent]
    found.append(
        thermo.FreezingSeries(
            "melinder2010",
            "Melinder 2010",
            np.array([float(r["mass_percent"]) for r in rows]),
            np.array([float(r["molality_mol_per_kg"]) for r in rows]),
            np.array([float(r["freezing_point_depression_c"]) for r in rows]),
        )
    )
    return found


@pytest.mark.parametrize("solute", list(PLANS))
def test_held_out_melting_point_mae_is_within_half_a_degree_for_every_source(
    solute: str,
) -> None:
    pooled, by_source = thermo.held_out_error_by_source(series_of(solute))
    assert pooled.alternate_mae_c <= TARGET_MAE_C
    assert pooled.loo_mae_c <= TARGET_MAE_C
    for source in by_source:
        assert source.alternate_mae_c <= TARGET_MAE_C, source.source
        assert source.loo_mae_c <= TARGET_MAE_C, source.source


@pytest.mark.parametrize("solute", list(PLANS))
def test_the_shipped_coefficients_are_the_fit_over_the_widest_planned_range(solute: str) -> None:
    params = thermo.virial_parameters(solute)
    assert params.table == thermo.FITTED_TABLE.name
    assert params.provenance == "fitted" and params.verified
    assert "Melinder" in params.source
    assert PLANS[solute].max_mass_percent >= 50.0  # ≥ 40 % w/w wherever data exist
    top = max(float(s.molality.max()) for s in series_of(solute))
    assert params.valid_max_molality is not None
    assert top <= params.valid_max_molality <= top * (1 + 1e-5)
    # The end point of the range is inside it, one step above is not.
    w = PLANS[solute].max_mass_percent / 100.0
    m_end = w / (1 - w) * 1000.0 / MOLAR_MASS[solute]
    assert thermo.solution_thermo([[m_end], [m_end * 1.05]], [solute]).osmolality.within_range[
        :, 0
    ].tolist() == [True, False]


@pytest.mark.parametrize(
    ("mass_percent", "published_c"), [(30.0, -12.79), (40.0, -20.57), (50.0, -32.19)]
)
def test_propylene_glycol_melting_points_match_the_published_curve(
    mass_percent: float, published_c: float
) -> None:
    # Melinder (2010): 30 % w/w −12.79 °C, 40 % −20.57 °C, 50 % −32.19 °C (CoolProp MPG).
    row = next(
        r for r in reference_rows("Propylene glycol") if float(r["mass_percent"]) == mass_percent
    )
    assert float(row["freezing_point_c"]) == pytest.approx(published_c, abs=0.005)
    w = mass_percent / 100.0
    m = w / (1 - w) * 1000.0 / MOLAR_MASS["Propylene glycol"]
    result = thermo.solution_thermo([m], ["Propylene glycol"])
    assert float(result.melting_point_c) == pytest.approx(published_c, abs=TARGET_MAE_C)
    assert bool(result.within_range)


@pytest.mark.parametrize("solute", ["Propylene glycol", "Ethylene glycol", "Glycerol"])
def test_fitted_coefficients_beat_the_quoted_ones_on_held_out_data(solute: str) -> None:
    quoted = thermo.load_virial_table(thermo.LITERATURE_TABLE)[solute.lower()]
    assert not quoted.verified
    data = series_of(solute)
    m = np.concatenate([s.molality for s in data])
    dt = np.concatenate([s.delta_t_c for s in data])
    quoted_mae = float(
        np.mean(
            np.abs(thermo.predict_delta_t_c(m, quoted.b_kg_per_mol, quoted.c_kg2_per_mol2) - dt)
        )
    )
    pooled, _ = thermo.held_out_error_by_source(data)
    assert pooled.alternate_mae_c < quoted_mae
    assert pooled.loo_mae_c < quoted_mae


def test_far_above_the_range_no_melting_point_and_no_exception() -> None:
    # 90 % w/w ethylene glycol: the C < 0 fit gives π < 0 there — no number, no crash.
    m = 0.9 / 0.1 * 1000.0 / MOLAR_MASS["Ethylene glycol"]
    result = thermo.solution_thermo([[1.0], [m]], ["Ethylene glycol"])
    assert np.isfinite(result.melting_point_k[0])
    assert np.isnan(result.melting_point_k[1])
    assert not bool(result.osmolality.within_range[1, 0])


def test_the_fit_record_lists_each_source_with_its_held_out_error() -> None:
    record = json.loads(thermo.FITS_JSON.read_text(encoding="utf-8"))
    assert "Melinder" in record["reference_sources"]["melinder2010"]
    fits = {f["solute"]: f for f in record["fits"]}
    for solute, plan in PLANS.items():
        entry = fits[solute]
        sources = {s["source"]: s for s in entry["held_out_by_source"]}
        assert "melinder2010" in sources
        assert ("crc" in sources) == (plan.crc_name is not None)
        for s in sources.values():
            assert s["alternate_points_mae_c"] <= TARGET_MAE_C
            assert s["citation"]
        assert len(entry["data"]["source"]) == entry["n_points"]
        assert max(entry["data"]["mass_percent"]) == plan.max_mass_percent
        assert entry["C_kg2_per_mol2"] < 0.0 and entry["third_coefficient"] == "free in sign"


def test_a_fit_with_free_c_recovers_a_negative_c() -> None:
    m = np.linspace(0.2, 20.0, 30)
    dt = thermo.predict_delta_t_c(m, 0.05, -0.0008)
    fit = thermo.fit_virial_from_freezing_points(m, dt, c_nonnegative=False)
    assert (fit.b_kg_per_mol, fit.c_kg2_per_mol2) == pytest.approx((0.05, -0.0008), rel=1e-6)
    assert not fit.c_nonnegative
    constrained = thermo.fit_virial_from_freezing_points(m, dt)
    assert constrained.c_kg2_per_mol2 == 0.0


def test_a_free_c_fit_whose_osmolality_falls_inside_the_data_is_refused() -> None:
    # Freezing points that stop falling: no two-coefficient fit may pass through them.
    m = np.linspace(0.5, 30.0, 30)
    dt = np.minimum(thermo.predict_delta_t_c(m, 0.04), 25.0)
    with pytest.raises(ValidationError, match="decreases within the data"):
        thermo.fit_virial_from_freezing_points(m, dt, c_nonnegative=False)


def test_the_reference_table_records_the_coolprop_version_and_query() -> None:
    header = [
        line
        for line in freezing_reference.REFERENCE_TABLE.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    ]
    text = "\n".join(header)
    assert re.search(r"CoolProp \d+\.\d+\.\d+", text)
    assert "PropsSI('T_freeze'" in text and "INCOMP::" in text
    assert "Melinder" in text
    for fluid in freezing_reference.MELINDER_FLUIDS:
        assert f"{fluid.solute} = {fluid.coolprop_fluid}" in text


def test_the_reference_table_regenerates_with_coolprop() -> None:
    require(
        importlib.util.find_spec("CoolProp") is not None,
        "CoolProp is not installed (a test dependency: pip install coolprop)",
    )
    from CoolProp.CoolProp import PropsSI

    fresh = freezing_reference.sample_melinder_curves(PropsSI, step_percent=10.0)
    assert {r["solute"] for r in fresh} == set(PLANS)
    for row in fresh:
        shipped = next(
            r
            for r in reference_rows(str(row["solute"]))
            if float(r["mass_percent"]) == row["mass_percent"]
        )
        assert float(shipped["freezing_point_c"]) == pytest.approx(
            row["freezing_point_c"], abs=1e-3
        )
        assert float(shipped["molality_mol_per_kg"]) == pytest.approx(
            row["molality_mol_per_kg"], rel=1e-5
        )


def test_dimethyl_sulfoxide_stays_unverified_and_every_answer_says_so() -> None:
    # No DMSO freezing points could be found offline to fit or check B = 0.108 kg/mol:
    # it is not presented as validated.
    params = thermo.virial_parameters("Dimethyl sulfoxide")
    assert not params.verified and params.valid_max_molality is None
    assert "No tabulated DMSO freezing points" in params.source
    assert "Dimethyl sulfoxide" not in PLANS
    result = thermo.solution_thermo([1.0], ["Dimethyl sulfoxide"])
    assert any("Dimethyl sulfoxide" in w and "could not be checked" in w for w in result.warnings)
