"""POST /solutions/properties: propylene glycol against its published freezing curve (issue 13).

Published data: Melinder Å., Properties of Secondary Working Fluids for Indirect Systems,
2nd ed., IIR 2010 (the curve CoolProp ships as fluid MPG): 30 % w/w propylene glycol
freezes at −12.79 °C and 40 % w/w at −20.57 °C. Before issue 13 the answer used a quoted,
unchecked B = 0.061 kg/mol (−13.39 and −22.91 °C, with no recorded range).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

SOLUTIONS = "/api/v1/solutions/properties"


@pytest.mark.parametrize(("mass_percent", "published_c"), [(30, -12.79), (40, -20.57)])
def test_propylene_glycol_melting_point_is_within_half_a_degree_of_the_published_curve(
    client: Any, mass_percent: float, published_c: float
) -> None:
    res = client.post(
        SOLUTIONS,
        json={
            "components": [{"name": "Propylene glycol", "amount": mass_percent, "unit": "% w/w"}]
        },
    )
    assert res.status_code == 200, res.json
    body = res.json
    mp = body["melting_point"]
    assert mp["value_c"] == pytest.approx(published_c, abs=0.5)
    assert mp["within_range"] is True
    (params,) = body["osmolality"]["parameters"]
    assert params["provenance"] == "fitted" and params["verified"] is True
    assert "Melinder" in params["source"]
    assert params["within_range"] is True
