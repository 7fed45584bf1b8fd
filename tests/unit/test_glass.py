"""Glass transition of CPA solutions (Gordon–Taylor model) and measured solution properties."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryoprotect.errors import InvalidCompositionError, NotFound, ValidationError
from cryoprotect.science import glass
from cryoprotect.science.glass import (
    freeze_concentrated_glass,
    glass_parameters,
    gordon_taylor,
    gordon_taylor_multicomponent,
    load_measured_solution_properties,
    measured_properties,
    solution_tg,
    water_tg,
)

pytestmark = pytest.mark.unit

PARAMS = Path(glass.__file__).resolve().parent / "params"


# --- Gordon–Taylor limits and identities --------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(tg_s=st.floats(150.0, 450.0), k=st.floats(0.2, 10.0))
def test_gordon_taylor_limits(tg_s: float, k: float) -> None:
    # w → 0 gives the Tg of water; w → 1 gives the Tg of the solute.
    assert float(gordon_taylor(0.0, tg_s, k)) == pytest.approx(water_tg().value)
    assert float(gordon_taylor(1.0, tg_s, k)) == pytest.approx(tg_s)
    assert float(gordon_taylor(1e-9, tg_s, k)) == pytest.approx(water_tg().value, abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(tg_s=st.floats(150.0, 450.0), k=st.floats(0.2, 10.0), w=st.floats(0.0, 1.0))
def test_gordon_taylor_lies_between_the_pure_components(tg_s: float, k: float, w: float) -> None:
    tg = float(gordon_taylor(w, tg_s, k))
    low, high = sorted((water_tg().value, tg_s))
    assert low - 1e-9 <= tg <= high + 1e-9


@settings(max_examples=60, deadline=None)
@given(tg_s=st.floats(150.0, 450.0), k=st.floats(0.2, 10.0), w=st.floats(0.0, 1.0))
def test_multicomponent_form_reduces_to_binary(tg_s: float, k: float, w: float) -> None:
    multi = gordon_taylor_multicomponent([w, 0.0], [tg_s, 200.0], [k, 2.0])
    assert float(multi) == pytest.approx(float(gordon_taylor(w, tg_s, k)), rel=1e-12)


def test_fox_estimate_is_the_fox_equation() -> None:
    w = 0.6
    result = solution_tg([w], ["Ethylene glycol"], allow_estimate=True)
    tg_eg = glass_parameters("Ethylene glycol").tg
    assert tg_eg is not None
    fox = 1.0 / (w / tg_eg.value + (1 - w) / water_tg().value)
    assert float(result.tg_k) == pytest.approx(fox, rel=1e-12)
    assert result.k_provenance == {"Ethylene glycol": "estimated"}
    assert "Fox" in result.method


def test_missing_k_gives_no_number_unless_an_estimate_is_allowed() -> None:
    result = solution_tg([0.6], ["Sucrose"])
    assert np.isnan(result.tg_k)
    assert result.k_provenance == {"Sucrose": "unavailable"}
    assert any("no Gordon–Taylor k" in w for w in result.warnings)


def test_solute_without_tg_gives_no_number_even_as_estimate() -> None:
    result = solution_tg([0.3, 0.0], ["Dimethyl sulfoxide", "Glycerol"], allow_estimate=True)
    assert np.isnan(result.tg_k)
    absent = solution_tg([0.0, 0.7], ["Dimethyl sulfoxide", "Glycerol"])
    assert float(absent.tg_k) == pytest.approx(float(solution_tg([0.7], ["Glycerol"]).tg_k))


def test_vectorised_equals_scalar() -> None:
    w = np.random.default_rng(5).uniform(0.0, 1.0, size=(100, 1))
    batch = solution_tg(w, ["Glycerol"]).tg_k
    assert batch.shape == (100,)
    for row, expected in zip(w, batch, strict=True):
        assert float(solution_tg(row, ["Glycerol"]).tg_k) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("fractions", [[1.2], [-0.1], [0.7, 0.4]])
def test_impossible_compositions_raise(fractions: list[float]) -> None:
    solutes = ["Glycerol", "Sucrose"][: len(fractions)]
    with pytest.raises(InvalidCompositionError):
        solution_tg(fractions, solutes)


def test_wrong_shape_raises() -> None:
    with pytest.raises(ValidationError):
        solution_tg([[0.1, 0.2]], ["Glycerol"])


# --- glycerol–water against published behaviour ------------------------------------------
# Reference: Inaba A, Andersson O, Thermochim Acta 461:44–49 (2007), adiabatic calorimetry.
# Above 55 % w/w glycerol the mixtures form homogeneous glasses whose Tg follows the
# Gordon–Taylor equation and extrapolates to the Tg of pure water (135 K); the maximally
# freeze-concentrated solution (76 % w/w) has its glass transition at 164 K.
# Caveat: the stored k was derived so the curve passes through (76 % w/w, 164 K), so the
# second check is a consistency check of the table, not an independent validation.


def test_glycerol_water_follows_gordon_taylor_above_55_percent() -> None:
    w = np.linspace(0.55, 1.0, 46)[:, np.newaxis]
    result = solution_tg(w, ["Glycerol"])
    assert np.all(result.homogeneous)
    assert result.k_provenance == {"Glycerol": "fitted"}
    assert np.all(np.diff(result.tg_k) > 0.0)
    assert float(solution_tg([0.76], ["Glycerol"]).tg_k) == pytest.approx(164.0, abs=0.5)
    tg_glycerol = glass_parameters("Glycerol").tg
    assert tg_glycerol is not None
    assert result.tg_k[-1] == pytest.approx(tg_glycerol.value)
    # Extrapolated to no glycerol, the curve meets Tg(water): 135 K in Inaba & Andersson.
    assert float(solution_tg([0.0], ["Glycerol"]).tg_k) == pytest.approx(135.0, abs=1.0)


def test_below_55_percent_the_homogeneous_glass_is_flagged() -> None:
    result = solution_tg([[0.40], [0.60]], ["Glycerol"])
    assert result.homogeneous.tolist() == [False, True]
    assert any("freeze-concentrated" in w for w in result.warnings)


def test_glycerol_tg_prime_is_the_published_measurement() -> None:
    tg_prime = freeze_concentrated_glass("glycerol")
    assert (tg_prime.tg_prime_k, tg_prime.wg_prime_mass_fraction) == (164.0, 0.76)
    assert tg_prime.provenance == "measured" and tg_prime.verified
    assert "Inaba" in tg_prime.source
    with pytest.raises(NotFound):
        freeze_concentrated_glass("Dimethyl sulfoxide")


def test_pure_component_values() -> None:
    assert water_tg().value == 136.0 and "Johari" in water_tg().source
    for solute, kelvin in [("Trehalose", 379.15), ("Sucrose", 333.15), ("Glycerol", 191.0)]:
        tg = glass_parameters(solute).tg
        assert tg is not None and tg.value == kelvin and tg.provenance == "measured"


# --- parameter tables and measured values -------------------------------------------------


def test_every_glass_parameter_is_sourced() -> None:
    with (PARAMS / "glass_transition.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(glass.GLASS_COLUMNS)
    for row in rows:
        assert row["source"].strip() and row["unit"].strip()
        assert row["provenance"] in {"measured", "fitted", "estimated"}
        assert row["parameter"] in glass.GLASS_PARAMETERS
    assert len(glass.load_glass_parameters()) == len({r["solute"].lower() for r in rows})


def test_measured_values_are_kept_apart_from_the_model() -> None:
    rows = load_measured_solution_properties()
    assert rows and all(r.provenance == "measured" and r.source for r in rows)
    vs55 = {r.property: r for r in measured_properties("vs55")}
    assert vs55["critical_cooling_rate"].value == 2.5
    assert vs55["critical_warming_rate"].value == 50.0
    assert vs55["critical_cooling_rate"].unit == "degC/min"
    assert solution_tg([0.8], ["Glycerol"]).kind == "model"
    with pytest.raises(NotFound):
        measured_properties("Unknown solution")


def test_measured_table_rejects_model_values(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "solution,property,value,unit,source,provenance,verified\n"
        "X,glass_transition_temperature,150,K,a model,fitted,false\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError):
        load_measured_solution_properties(bad)
