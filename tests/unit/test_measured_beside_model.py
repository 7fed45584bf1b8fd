"""Measured beside model (services.mixtures.measured): the CRC lookup, the difference and
the disagreement flag, and the bound check when the model gives no number."""

from __future__ import annotations

import pytest

from cryoprotect.science import thermo
from cryoprotect.services.mixtures.measured import compared, crc_melting_point

pytestmark = pytest.mark.unit


def test_crc_point_tabulated_interpolated_or_none():
    crc = thermo.measured_freezing_points("Glycerol")
    assert crc is not None
    at = dict(zip(crc.mass_percent.tolist(), (-crc.delta_t_c).tolist(), strict=True))
    exact = crc_melting_point("Glycerol", 10.0)
    assert exact is not None and exact["value"] == pytest.approx(at[10.0])
    half = crc_melting_point("Glycerol", 11.0)  # between 10 and 12 % w/w
    assert half is not None
    assert half["value"] == pytest.approx((at[10.0] + at[12.0]) / 2)
    assert half["basis"].startswith("interpolated")
    assert crc_melting_point("Glycerol", 22.0) is None  # 20 → 24 % w/w: too wide a gap
    assert crc_melting_point("Glycerol", 75.0) is None  # beyond the table
    assert crc_melting_point("Unobtainium", 10.0) is None


def test_difference_and_flag_use_the_stated_uncertainties():
    model = {"value": -5.0, "uncertainty": 0.3}
    near = compared(model, {"value": -5.2, "uncertainty": 0.1}, reference=-5.2)
    assert near["difference"] == pytest.approx(0.2)
    assert near["relative_difference"] == pytest.approx(0.2 / 5.2)
    assert near["tolerance"] == pytest.approx((0.3**2 + 0.1**2) ** 0.5)
    assert near["disagrees"] is False
    far = compared(model, {"value": -6.0, "uncertainty": None}, reference=-6.0)
    assert far["disagrees"] is True
    silent = compared({"value": -5.0, "uncertainty": None}, {"value": -9.0}, reference=-9.0)
    assert silent["disagrees"] is None  # no uncertainty stated: no verdict


def test_no_model_number_checks_the_bound_instead():
    bound = {"relation": "at_or_below", "value": -20.0, "unit": "°C"}
    model = {"value": None, "bound": bound, "reason": "unknown, because …"}
    kept = compared(model, {"value": -25.0}, reference=-25.0)
    assert kept["difference"] is None and kept["bound_holds"] is True and kept["disagrees"] is False
    broken = compared(model, {"value": -10.0}, reference=-10.0)
    assert broken["bound_holds"] is False and broken["disagrees"] is True


def test_rate_bounds_are_read_by_their_own_field_name():
    bound = {"relation": "below", "value_c_per_min": 10.0, "text": "CCR is below 10 °C/min"}
    model = {"value": None, "bound": bound}
    assert compared(model, {"value": 2.5}, reference=2.5)["bound_holds"] is True
    assert compared(model, {"value": 40.0}, reference=40.0)["disagrees"] is True
