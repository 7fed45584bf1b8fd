"""Literature values come through the API with the decimals their source writes them with
(issue 18, "Numbers"): a molecule's measured properties, a named solution's published
properties and the mixture compare's measured-beside-model rows."""

from __future__ import annotations

import pytest

from tests.integration.test_compare_api import _mixture
from tests.integration.test_reference_measured import _dmso_id

pytestmark = pytest.mark.integration


def test_dmso_density_comes_with_the_three_decimals_of_1_100(client) -> None:
    dmso = _dmso_id(client)
    for props in (
        client.get(f"/api/v1/molecules/{dmso}").json["properties"],
        client.get(f"/api/v1/molecules/{dmso}/properties").json,
    ):
        by_name = {p["property_name"]: p for p in props if p["provenance"] == "measured"}
        assert by_name["density"]["value"] == pytest.approx(1.1)
        assert by_name["density"]["published_decimals"] == 3  # "1.100" g/mL in the source
        assert by_name["boiling_point"]["published_decimals"] == 0  # "189" °C
        computed = [p for p in props if p["provenance"] == "computed"]
        assert computed and all(p["published_decimals"] is None for p in computed)


def test_named_solution_properties_and_compare_rows_carry_their_digits(client, make_user) -> None:
    ids = [
        next(m["id"] for m in client.get(f"/api/v1/mixtures?q={n}").json["items"] if m["name"] == n)
        for n in ("DP6", "VS55")
    ]
    res = client.post("/api/v1/mixtures/compare", json={"ids": ids})
    assert res.status_code == 200, res.json
    dp6, vs55 = ({m["property"]: m for m in p["measurements"]} for p in res.json)
    assert dp6["critical_warming_rate"]["published_decimals"] == 0  # "189"
    assert vs55["critical_cooling_rate"]["published_decimals"] == 1  # "2.5"
    rows = {e["property"]: e for e in res.json[1]["measured_vs_model"]}
    assert rows["critical_cooling_rate"]["measured"]["value"] == pytest.approx(2.5)
    assert rows["critical_cooling_rate"]["measured"]["published_decimals"] == 1

    alice = make_user("alice")
    ids = [_mixture(client, alice, f"Glycerol {w:g} % w/w", w)["id"] for w in (20.0, 19.0)]
    res = client.post("/api/v1/mixtures/compare", json={"ids": ids}, headers=alice.headers)
    assert res.status_code == 200, res.json
    tabulated, interpolated = (
        next(e for e in p["measured_vs_model"] if e["property"] == "melting_point")["measured"]
        for p in res.json
    )
    assert tabulated["value"] == pytest.approx(-5.46)
    assert tabulated["published_decimals"] == 2  # "5.46" in the CRC table
    assert interpolated["basis"].startswith("interpolated")
    assert interpolated["published_decimals"] is None  # never published as such


def test_phase_diagram_points_carry_the_crc_digits(client) -> None:
    res = client.get("/api/v1/solutions/phase-diagram?name=Glycerol&max_mass_percent=40")
    assert res.status_code == 200, res.json
    points = {p["mass_percent"]: p for p in res.json["measured_melting_points"]}
    assert points[20.0]["melting_point_c"] == pytest.approx(-5.46)
    assert points[20.0]["published_decimals"] == 2
