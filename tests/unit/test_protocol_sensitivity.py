"""Sensitivity band of a protocol over the published ranges of the cell's parameters."""

from __future__ import annotations

import pytest

from cryoprotect.science import cells, protocols, transport
from cryoprotect.science.transport import Step

DMSO = "Dimethyl sulfoxide"


def _protocol(cell: cells.CellType) -> tuple[list[Step], list[Step]]:
    carrier = transport.isotonic_carrier(cell)
    addition = [Step({**carrier, DMSO: 1.5}, 900.0, 22.0, "add")]
    removal = [Step(dict(carrier), 900.0, 22.0, "remove")]
    return addition, removal


def test_band_spans_the_published_ranges_of_the_rhesus_oocyte() -> None:
    cell = cells.get_cell_type("rhesus_mii_oocyte")
    addition, removal = _protocol(cell)
    limits = protocols.Limits.of(cell)
    band = protocols.sensitivity_band(
        cell, addition, removal, cells.parameter_ranges(cell), limits=limits
    )
    assert band["status"] == "ok"
    names = {r["name"] for r in band["parameter_ranges"]}
    # Only parameters this protocol uses: Lp, vb and the DMSO permeability (not EG, PROH).
    assert names == {"lp", "inactive_volume_fraction", f"ps ({DMSO})"}
    nominal = band["nominal"]
    low_min, high_min = band["min_volume_fraction"]
    low_max, high_max = band["max_volume_fraction"]
    assert low_min <= nominal["min_volume_fraction"] <= high_min
    assert low_max <= nominal["max_volume_fraction"] <= high_max
    lp = next(r for r in band["parameter_ranges"] if r["name"] == "lp")
    # Karlsson et al. 2009: Lp 0.55 (no CPA) .. 1.01 (in DMSO) µm/min/atm.
    assert (lp["low"], lp["high"]) == (0.55, 1.01)
    assert "Karlsson" in lp["sources"][0]
    # Faster water flow: a deeper shrink on adding DMSO and a larger swell on removing it.
    assert lp["high_case"]["min_volume_fraction"] < lp["low_case"]["min_volume_fraction"]
    assert lp["high_case"]["max_volume_fraction"] > lp["low_case"]["max_volume_fraction"]
    cases = [r[f"{end}_case"] for r in band["parameter_ranges"] for end in ("low", "high")]
    assert band["limits_respected_at_extremes"] == all(c["within_limits"] for c in cases)


def test_limits_at_the_extremes_are_judged_per_case() -> None:
    cell = cells.get_cell_type("rhesus_mii_oocyte")
    addition, removal = _protocol(cell)
    ranges = cells.parameter_ranges(cell)
    nominal = transport.summarize(cell, [*addition, *removal])
    # Limits that the nominal protocol just meets: the fast-water end of Lp breaks them.
    tight = protocols.Limits(nominal.min_volume_fraction - 1e-6, nominal.max_volume_fraction + 1e-6)
    band = protocols.sensitivity_band(cell, addition, removal, ranges, limits=tight)
    assert band["limits_respected_at_extremes"] is False
    wide = protocols.Limits(0.1, 5.0)
    band = protocols.sensitivity_band(cell, addition, removal, ranges, limits=wide)
    assert band["limits_respected_at_extremes"] is True


def test_no_published_range_gives_an_unknown_band_not_a_number() -> None:
    cell = cells.get_cell_type("rhesus_mii_oocyte")
    addition, removal = _protocol(cell)
    band = protocols.sensitivity_band(cell, addition, removal, [], limits=protocols.Limits.of(cell))
    assert band["status"] == "no_published_range"
    assert band["min_volume_fraction"] is None and band["max_volume_fraction"] is None
    assert band["limits_respected_at_extremes"] is None
    assert band["reason"].startswith("unknown, because")


def test_designed_protocol_carries_its_band() -> None:
    cell = cells.get_cell_type("rhesus_mii_oocyte")
    design = protocols.design_protocol(
        cell,
        {DMSO: 1.557},
        temperature_c=22.0,
        max_steps=2,
        parameter_ranges=cells.parameter_ranges(cell),
    )
    band = design.as_dict()["sensitivity"]
    assert band["status"] == "ok"
    designed = design.designed
    assert band["nominal"]["min_volume_fraction"] == pytest.approx(designed.min_volume_fraction)
    assert band["min_volume_fraction"][0] <= designed.min_volume_fraction + 1e-6
    assert band["max_volume_fraction"][1] >= designed.max_volume_fraction - 1e-6


def test_red_cell_glycerol_design_allows_for_the_saturated_carrier() -> None:
    # With the carrier saturated at 1 mol/kg the effective Ps is ~70x below Ps0: the design's
    # time scale must use it, or no protocol reaches the loading criterion in its horizon.
    rbc = cells.get_cell_type("human_rbc")
    design = protocols.design_protocol(
        rbc,
        {"Glycerol": 1.0},
        temperature_c=22.0,
        max_steps=2,
        parameter_ranges=cells.parameter_ranges(rbc),
    )
    assert design.designed.within_limits
    tau = design.settings["time_constant_s"]["addition"]
    glycerol = rbc.permeability("Glycerol")
    assert glycerol is not None
    water_per_area = rbc.isotonic_water_volume_um3 / rbc.surface_area_um2
    assert tau > 10 * water_per_area / transport.ps_at(rbc, glycerol, 22.0)
    names = {r["name"] for r in design.sensitivity["parameter_ranges"]}
    assert "ps_saturation (Glycerol)" in names
