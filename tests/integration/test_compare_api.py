"""The compare endpoints' additions (issue 18, "Comparisons"): protocols compared with their
designs (conditions, steps, time courses) and mixtures with their measured values beside
the model's; a row the caller cannot see stays a 404."""

from __future__ import annotations

import json

import pytest

from cryoprotect.science import glass, thermo

pytestmark = pytest.mark.integration

DMSO_1_4_M = {"components": [{"name": "Dimethyl sulfoxide", "amount": 1.4, "unit": "mol/L"}]}
CELL = "rhesus_mii_oocyte"


def _protocol(client, user, name, max_steps):
    request = {"cell_type": CELL, "target": DMSO_1_4_M, "temperature_c": 22.0}
    res = client.post(
        "/api/v1/protocols",
        json={"name": name, "design_request": {**request, "max_steps": max_steps}},
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return res.json


def _mixture(client, user, name, percent):
    res = client.post(
        "/api/v1/mixtures",
        json={
            "name": name,
            "components": [{"name": "Glycerol", "amount": percent, "unit": "% w/w"}],
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return res.json


def test_protocol_compare_returns_each_design_with_its_time_course(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    saved = [_protocol(client, alice, f"DMSO {n} steps", n) for n in (2, 3)]
    ids = [p["id"] for p in saved]
    res = client.post("/api/v1/protocols/compare", json={"ids": ids}, headers=alice.headers)
    assert res.status_code == 200, res.json
    assert [p["id"] for p in res.json] == ids
    for got, stored in zip(res.json, saved, strict=True):
        assert got["design"] == stored["design"]  # the same design the item endpoint returns
        chart = got["design"]["protocols"]["designed"]["chart"]
        assert len(chart["time_s"]) == len(chart["volume_fraction"]) > 10
        assert len(chart["intracellular_molality"]["Dimethyl sulfoxide"]) == len(chart["time_s"])
        assert got["design"]["limits"]["min_volume_fraction"] == pytest.approx(0.6)
        assert got["design"]["settings"]["addition_temperature_c"] == pytest.approx(22.0)
        designed = got["design"]["protocols"]["designed"]
        assert got["toxicity_cost"] == pytest.approx(designed["toxicity"]["total"])
    # RLS: bob sees neither; one invisible id makes the whole comparison a 404.
    denied = client.post("/api/v1/protocols/compare", json={"ids": ids}, headers=bob.headers)
    assert denied.status_code == 404


def test_mixture_compare_puts_the_measured_melting_point_beside_the_model(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    tabulated = _mixture(client, alice, "Glycerol 20 % w/w", 20.0)
    between = _mixture(client, alice, "Glycerol 19 % w/w", 19.0)
    ids = [tabulated["id"], between["id"]]
    res = client.post("/api/v1/mixtures/compare", json={"ids": ids}, headers=alice.headers)
    assert res.status_code == 200, res.json
    crc = thermo.measured_freezing_points("Glycerol")
    assert crc is not None
    points = dict(zip(crc.mass_percent.tolist(), (-crc.delta_t_c).tolist(), strict=True))

    first = [e for e in res.json[0]["measured_vs_model"] if e["property"] == "melting_point"]
    assert len(first) == 1
    entry = first[0]
    assert entry["measured"]["value"] == pytest.approx(points[20.0])  # -5.46 °C (CRC)
    assert entry["measured"]["source"] == thermo.CRC_SOURCE
    assert entry["measured"]["basis"] == "tabulated at 20 % w/w"
    model = res.json[0]["melting_point"]
    assert entry["model"]["value"] == model["value_c"]
    assert entry["model"]["status"] == model["status"]
    # Glycerol at 20 % w/w is inside the fitted range: a number, with the fit's RMSE as the
    # model's stated uncertainty, and the flag set from it.
    assert model["status"] == "within_range"
    diff = model["value_c"] - points[20.0]
    assert entry["difference"] == pytest.approx(diff)
    assert entry["relative_difference"] == pytest.approx(diff / abs(points[20.0]))
    rmse = json.loads(thermo.FITS_JSON.read_text())
    rmse = next(f["rmse_c"] for f in rmse["fits"] if f["solute"] == "Glycerol")
    assert entry["model"]["uncertainty"] == pytest.approx(rmse)
    assert entry["disagrees"] is (abs(diff) > rmse)

    second = [e for e in res.json[1]["measured_vs_model"] if e["property"] == "melting_point"]
    w = sorted(p for p in points if p < 19.0)[-1], sorted(p for p in points if p > 19.0)[0]
    expected = points[w[0]] + (points[w[1]] - points[w[0]]) * (19.0 - w[0]) / (w[1] - w[0])
    assert second[0]["measured"]["value"] == pytest.approx(expected)
    assert second[0]["measured"]["basis"].startswith("interpolated")

    denied = client.post("/api/v1/mixtures/compare", json={"ids": ids}, headers=bob.headers)
    assert denied.status_code == 404


def test_named_solutions_put_published_rates_beside_the_vitrification_answer(client):
    found = {}
    for name in ("DP6", "VS55"):
        items = client.get(f"/api/v1/mixtures?q={name}&per_page=50").json["items"]
        found[name] = next(m["id"] for m in items if m["name"] == name)
    res = client.post("/api/v1/mixtures/compare", json={"ids": list(found.values())})
    assert res.status_code == 200, res.json
    published = {
        (m.solution, m.property): m.value for m in glass.load_measured_solution_properties()
    }
    for name, props in zip(found, res.json, strict=True):
        entries = {e["property"]: e for e in props["measured_vs_model"]}
        for prop in ("critical_cooling_rate", "critical_warming_rate"):
            entry = entries[prop]
            assert entry["measured"]["value"] == published[(name, prop)]
            model = props["vitrification"][prop]
            assert entry["model"]["value"] == model["value"]
            assert entry["model"]["status"] == model["status"]
            if model["value"] is None:  # no number: the reason, and the bound checked instead
                assert entry["difference"] is None and entry["model"]["reason"]
            else:
                assert entry["difference"] == pytest.approx(
                    model["value"] - published[(name, prop)]
                )
