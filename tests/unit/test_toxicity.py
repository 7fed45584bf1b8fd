"""The cumulative toxicity cost (Benson, Kearsley & Higgins 2012 form)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryoprotect.errors import ValidationError
from cryoprotect.science import toxicity
from cryoprotect.science import transport as tr
from cryoprotect.science.cells import get_cell_type
from cryoprotect.science.toxicity import toxicity_cost, toxicity_parameter
from cryoprotect.science.transport import Step

pytestmark = pytest.mark.unit

DMSO = "Dimethyl sulfoxide"
EG = "Ethylene glycol"


def test_default_exponent_is_benson_1_6_with_its_source() -> None:
    parameter = toxicity_parameter(DMSO)
    assert parameter.exponent == 1.6
    assert "Benson" in parameter.source and "Cryobiology 64" in parameter.source
    assert parameter.provenance == "fitted"
    assert parameter.verified is False  # only the abstract could be read


def equilibrated(molality: dict[str, float], duration_s: float) -> tr.Trajectory:
    """A cell already at equilibrium with the solution: constant intracellular molality."""
    cell = get_cell_type("generic_mammalian")
    step = Step({**tr.isotonic_carrier(cell), **molality}, duration_s, 22.0)
    state = tr.equilibrium_state(cell, step)
    return tr.simulate(cell, [step], initial=state, points_per_step=50)


def test_constant_concentration_gives_m_to_the_alpha_times_time() -> None:
    trajectory = equilibrated({DMSO: 1.5}, 600.0)
    cost = toxicity_cost(trajectory)
    assert cost.total == pytest.approx(1.5**1.6 * 600.0, rel=1e-6)
    assert cost.per_solute == {DMSO: pytest.approx(cost.total)}
    assert cost.exponent == {DMSO: 1.6}
    assert cost.unit == "(mol/kg)^1.6·s"
    json.dumps(cost.as_dict())


def test_several_cpas_add_up() -> None:
    trajectory = equilibrated({DMSO: 1.0, EG: 0.5}, 300.0)
    cost = toxicity_cost(trajectory)
    assert cost.per_solute[DMSO] == pytest.approx(1.0 * 300.0, rel=1e-6)
    assert cost.per_solute[EG] == pytest.approx(0.5**1.6 * 300.0, rel=1e-6)
    assert cost.total == pytest.approx(sum(cost.per_solute.values()))
    only = toxicity_cost(trajectory, solutes=[EG])
    assert only.total == pytest.approx(cost.per_solute[EG])


def test_unknown_solute_is_rejected() -> None:
    with pytest.raises(ValidationError):
        toxicity_cost(equilibrated({DMSO: 1.0}, 10.0), solutes=["Glycerol"])


def test_no_cpa_costs_nothing() -> None:
    cell = get_cell_type("generic_mammalian")
    trajectory = tr.simulate(cell, [Step(tr.isotonic_carrier(cell), 100.0, 22.0)])
    assert toxicity_cost(trajectory).total == 0.0


@settings(max_examples=20, deadline=None)
@given(
    molality=st.floats(min_value=0.1, max_value=3.0),
    duration=st.floats(min_value=10.0, max_value=1000.0),
)
def test_cost_scales_with_time_and_concentration(molality: float, duration: float) -> None:
    short = toxicity_cost(equilibrated({DMSO: molality}, duration)).total
    long = toxicity_cost(equilibrated({DMSO: molality}, 2 * duration)).total
    assert long == pytest.approx(2 * short, rel=1e-6)
    stronger = toxicity_cost(equilibrated({DMSO: 2 * molality}, duration)).total
    assert stronger / short == pytest.approx(2**1.6, rel=1e-5)


def test_a_loading_cell_costs_less_than_an_equilibrated_one() -> None:
    cell = get_cell_type("generic_mammalian")
    step = Step({**tr.isotonic_carrier(cell), DMSO: 1.5}, 120.0, 22.0)
    loading = toxicity_cost(tr.simulate(cell, [step])).total
    assert 0 < loading < 1.5**1.6 * 120.0


def test_table_needs_a_default_row(tmp_path: Path) -> None:
    path = tmp_path / "toxicity.csv"
    path.write_text(
        "solute,parameter,value,unit,source,provenance,verified\n"
        "Glycerol,exponent_alpha,1.5,1,somewhere,fitted,false\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match="default"):
        toxicity.load_toxicity_table(path)


def test_table_rejects_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "toxicity.csv"
    path.write_text(
        "solute,parameter,value,unit,source,provenance,verified\n*,exponent_alpha,-1,1,x,fitted,false\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError):
        toxicity.load_toxicity_table(path)
    assert np.isfinite(toxicity_parameter("Glycerol").exponent)
