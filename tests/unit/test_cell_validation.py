"""Shipped cell types against published measurements (issue 13, item 6).

Published data: Zhao et al., Chin Sci Bull 49 (2004) — human red cells at equilibrium in
3,186 mOsm/kg reach 0.57 of their isotonic volume (electronic particle counter); Jay &
Rowlands, J Physiol 252:817 (1975) — red-cell glycerol permeability 0.0179 µm/s in
haemolysis, far below the 0.137 µm/s of Campos et al. (2011) at low concentration.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.science import cells, transport
from cryoprotect.science.transport import Step

ROOT = Path(__file__).resolve().parents[2]


def _validation() -> Any:
    spec = importlib.util.spec_from_file_location("validation_cells", ROOT / "validation/cells.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rbc_boyle_vant_hoff_reproduces_zhao_2004() -> None:
    # 0.57 ± 0.03 of isotonic at 3.186 osmol/kg (the estimated vb = 0.40 gave 0.455).
    rbc = cells.get_cell_type("human_rbc")
    assert transport.boyle_vant_hoff_volume_fraction(rbc, 3.186) == pytest.approx(0.57, abs=0.03)


def test_rbc_glycerol_flux_saturates_and_spans_jay_rowlands() -> None:
    rbc = cells.get_cell_type("human_rbc")
    glycerol = rbc.permeability("Glycerol")
    assert glycerol is not None and glycerol.saturation_molality_mol_per_kg is not None
    ps0 = glycerol.ps_um_per_s
    # Isosmotic glycerol (~0.3 mol/kg): the effective Ps over the loading spans 0.0179 µm/s.
    first = transport.effective_ps(glycerol, ps0, 0.3, 0.0)
    last = transport.effective_ps(glycerol, ps0, 0.3, 0.3)
    assert last < 0.0179 < first < ps0
    # Low concentration: the carrier is not saturated, Ps -> Ps0 (Campos et al. 2011).
    assert transport.effective_ps(glycerol, ps0, 1e-6, 1e-6) == pytest.approx(ps0, rel=1e-4)


def test_saturable_flux_slows_glycerol_loading_in_the_ode() -> None:
    rbc = cells.get_cell_type("human_rbc")
    plain = cells.with_parameter(rbc, "ps_saturation", "Glycerol", math.inf)
    carrier = transport.isotonic_carrier(rbc)
    step = Step({**carrier, "Glycerol": 1.0}, 120.0, 23.0)
    saturable = transport.simulate(rbc, [step])
    simple = transport.simulate(plain, [step])
    t = saturable.time_s
    m_sat = np.interp(10.0, t, saturable.intracellular_molality["Glycerol"])
    m_simple = np.interp(10.0, simple.time_s, simple.intracellular_molality["Glycerol"])
    assert m_sat < 0.5 * m_simple  # 0.43 vs 0.95 mol/kg after 10 s
    # A deeper shrink: water leaves while glycerol enters slowly.
    assert saturable.volume_fraction.min() < simple.volume_fraction.min()
    # Same equilibrium: saturation changes the rate, not the end state.
    long = Step(step.solutes, 5000.0, 23.0)
    end = transport.simulate(rbc, [long]).intracellular_molality["Glycerol"][-1]
    assert end == pytest.approx(1.0, rel=1e-3)


def test_solutes_without_saturation_keep_the_two_parameter_flux() -> None:
    rhesus = cells.get_cell_type("rhesus_mii_oocyte")
    dmso = rhesus.permeability("Dimethyl sulfoxide")
    assert dmso is not None and dmso.saturation_molality_mol_per_kg is None
    assert transport.effective_ps(dmso, 0.24, 2.0, 1.0) == 0.24


def test_saturation_constant_must_be_positive() -> None:
    data = cells.get_cell_type("human_rbc").as_dict()
    data["permeabilities"][0]["saturation_molality_mol_per_kg"] = 0.0
    with pytest.raises(ValidationError) as caught:
        cells.CellType.from_dict(data)
    assert "saturation_molality_mol_per_kg" in caught.value.details["field"]


def test_every_shipped_value_is_the_chosen_published_value() -> None:
    for key, cell in cells.builtin_cell_types().items():
        for value in cells.published_values(key):
            if value.chosen:
                shipped = cells.shipped_value(cell, value.parameter, value.solute)
                assert shipped == pytest.approx(value.value, rel=1e-9), (key, value.parameter)
                assert value.choice_reason, (key, value.parameter)
            assert value.source


def test_mouse_oocyte_lp_and_vb_come_from_one_fit() -> None:
    mouse = cells.get_cell_type("mouse_mii_oocyte")
    lp, vb = (
        next(
            v
            for v in cells.published_values("mouse_mii_oocyte")
            if v.parameter == name and v.chosen
        )
        for name in ("lp", "inactive_volume_fraction")
    )
    assert lp.source == vb.source and "Litkouhi" in lp.source
    assert mouse.lp_um_per_min_atm == 0.64
    ranges = {r.name: r for r in cells.parameter_ranges(mouse)}
    assert (ranges["lp"].low, ranges["lp"].high) == (0.36, 0.64)  # Bernard 1988 .. Litkouhi


def test_validation_rows_meet_their_targets() -> None:
    rows = _validation().rows()
    keys = {"section", "system", "source", "quantity", "published", "computed", "unit", "passes"}
    assert rows and all(keys <= set(r) for r in rows)
    assert {r["section"] for r in rows} == {"cells"}
    judged = [r for r in rows if r["passes"] is not None]
    failing = [(r["system"], r["quantity"]) for r in judged if not r["passes"]]
    assert not failing
    assert {r["system"] for r in rows} == set(cells.builtin_cell_types())
    # Every cell type without a published time course says so instead of passing.
    for row in rows:
        if row["passes"] is None:
            assert row["status"] == "no_data" and row["reason"]
