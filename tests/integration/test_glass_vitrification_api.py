"""POST /solutions/properties: the glass a user sees, and whether ice forms (issue 13, item 5).

Published data (params/tg_prime_published.csv, critical_rates.csv):
- glycerol–water: mixtures below 55 % w/w crystallise ice on cooling; the freeze-concentrated
  phase vitrifies at Tg′ = 164 K (Inaba & Andersson, Thermochim Acta 461:44, 2007) or 170 K
  (Zhao, Cao & Wang, Sci Rep 5:15714, 2015). The homogeneous Gordon–Taylor Tg of 20 % w/w
  (~145 K) is never observed.
- VS55: CCR 2.5 °C/min, CWR 50 °C/min (as quoted from Han et al., Cryobiology 2022;
  verified=false).
- ethylene glycol: CCR 569 K/min at 40 % w/w and 11 K/min at 50 % w/w (Baudot & Odagescu,
  Cryobiology 48:283, 2004); nothing published below 40 % w/w in the table.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

SOLUTIONS = "/api/v1/solutions/properties"


def _post(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    res = client.post(SOLUTIONS, json=body)
    assert res.status_code == 200, res.json
    return res.json


def test_twenty_percent_glycerol_headline_is_tg_prime(client) -> None:
    body = _post(client, {"components": [{"name": "Glycerol", "amount": 20, "unit": "% w/w"}]})
    glass = body["glass"]
    assert glass["applies"] == "freeze_concentrated"
    assert "55 % w/w" in glass["why"]
    # Within 5 K of both published values (164 K adiabatic calorimetry, 170 K DSC).
    assert abs(glass["value_k"] - 164.0) <= 5.0 and abs(glass["value_k"] - 170.0) <= 5.0
    assert glass["spread_k"] == [164.0, 170.0]
    assert glass["within_range"] is True and len(glass["sources"]) == 2
    # The homogeneous model value is kept, but it is not the headline.
    assert body["glass_transition"]["value_k"] < 150.0
    assert glass["value_k"] - body["glass_transition"]["value_k"] > 15.0
    # No critical rates published for glycerol in the table: null with the reason.
    ccr = body["vitrification"]["critical_cooling_rate"]
    assert ccr["value"] is None and ccr["status"] == "no_data" and "Glycerol" in ccr["reason"]


def test_seventy_percent_glycerol_vitrifies_homogeneously(client) -> None:
    body = _post(client, {"components": [{"name": "Glycerol", "amount": 70, "unit": "% w/w"}]})
    glass = body["glass"]
    assert glass["applies"] == "homogeneous"
    assert glass["value_k"] == pytest.approx(body["glass_transition"]["value_k"])
    assert glass["within_range"] is True


VS55 = {
    "carrier": "Euro-Collins",
    "components": [
        {"name": "Dimethyl sulfoxide", "amount": 3.1, "unit": "mol/L"},
        {"name": "Formamide", "amount": 3.1, "unit": "mol/L"},
        {"name": "Propylene glycol", "amount": 2.2, "unit": "mol/L"},
    ],
}


def test_vs55_rates_and_verdict(client) -> None:
    body = _post(client, {**VS55, "cooling_rate_c_per_min": 10, "warming_rate_c_per_min": 100})
    vit = body["vitrification"]
    assert vit["named_solution"] == "VS55"
    assert vit["critical_cooling_rate"]["value"] == pytest.approx(2.5)
    assert vit["critical_warming_rate"]["value"] == pytest.approx(50.0)
    # Secondary-source values say so.
    assert vit["critical_cooling_rate"]["verified"] is False
    assert vit["critical_cooling_rate"]["warnings"]
    assert vit["cooling"]["outcome"] == "ice_free"
    assert vit["cooling"]["margin"] == pytest.approx(4.0)
    assert vit["warming"]["outcome"] == "ice_free"
    assert vit["warming"]["margin"] == pytest.approx(2.0)
    assert vit["vitrifies"] == "ice_free"
    # It vitrifies without ice, so the homogeneous glass applies; its Gordon–Taylor
    # parameters are not all recorded, so the value is null with the reason.
    glass = body["glass"]
    assert glass["applies"] == "homogeneous"
    assert glass["value_k"] is None and "Gordon–Taylor" in glass["reason"]

    slow = _post(client, {**VS55, "cooling_rate_c_per_min": 1, "warming_rate_c_per_min": 20})
    assert slow["vitrification"]["cooling"]["outcome"] == "ice_forms"
    assert slow["vitrification"]["cooling"]["margin"] == pytest.approx(0.4)
    assert slow["vitrification"]["warming"]["outcome"] == "ice_forms"
    assert slow["vitrification"]["vitrifies"] == "ice_forms"
    # Ice forms and the mixture's Tg′ is not published: null with the reason.
    assert slow["glass"]["applies"] == "unknown" and slow["glass"]["value_k"] is None
    assert "Tg′" in slow["glass"]["reason"]


def test_out_of_range_rate_is_null_with_reason_and_bound(client) -> None:
    body = _post(
        client,
        {
            "components": [{"name": "Ethylene glycol", "amount": 30, "unit": "% w/w"}],
            "cooling_rate_c_per_min": 100,
            "warming_rate_c_per_min": 100,
        },
    )
    ccr = body["vitrification"]["critical_cooling_rate"]
    assert ccr["value"] is None
    assert ccr["status"] == "outside_range" and ccr["within_range"] is False
    assert "outside the published data (40–50 % w/w)" in ccr["reason"]
    assert ccr["bound"]["relation"] == "above" and ccr["bound"]["value_c_per_min"] == 569.0
    # The bound decides the verdict: the CCR is above 569 °C/min, so 100 °C/min forms ice.
    cooling = body["vitrification"]["cooling"]
    assert cooling["outcome"] == "ice_forms" and cooling["margin_relation"] == "at_most"

    inside = _post(
        client,
        {
            "components": [{"name": "Ethylene glycol", "amount": 50, "unit": "% w/w"}],
            "cooling_rate_c_per_min": 22,
        },
    )["vitrification"]
    assert inside["critical_cooling_rate"]["value"] == pytest.approx(11.0)
    assert inside["cooling"]["margin"] == pytest.approx(2.0)


def test_rates_must_be_positive(client) -> None:
    res = client.post(
        SOLUTIONS,
        json={
            "components": [{"name": "Glycerol", "amount": 20, "unit": "% w/w"}],
            "cooling_rate_c_per_min": 0,
        },
    )
    assert res.status_code == 422


def test_phase_diagram_carries_the_glass_layers(client) -> None:
    res = client.get("/api/v1/solutions/phase-diagram?name=Glycerol&max_mass_percent=80")
    assert res.status_code == 200, res.json
    d = res.json
    applies = dict(zip(d["mass_percent"], d["tg_applies"], strict=True))
    assert applies[20.0] == "freeze_concentrated" and applies[60.0] == "homogeneous"
    assert d["tg_prime"]["value_k"] == pytest.approx(167.0)
    assert [p["tg_prime_k"] for p in d["tg_prime"]["published"]] == [164.0, 170.0]
    assert all(t is None for t in d["nucleation_c"]) and "Glycerol" in d["nucleation_reason"]
    assert all(t is None for t in d["devitrification_c"]) and d["devitrification_reason"]
    eg = client.get("/api/v1/solutions/phase-diagram?name=Ethylene%20glycol&max_mass_percent=60")
    rates = dict(
        zip(eg.json["mass_percent"], eg.json["critical_rates"]["ccr_c_per_min"], strict=True)
    )
    assert rates[40.5] is not None and rates[30.0] is None
