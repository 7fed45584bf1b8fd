"""Saved protocols as bench recipes through the API (issue 18, "Protocols are not recipes"),
and the conventional carrier as the design default."""

from __future__ import annotations

import uuid

import pytest

from cryoprotect.science import composition

pytestmark = pytest.mark.integration

DMSO = "Dimethyl sulfoxide"
REQUEST = {
    "cell_type": "rhesus_mii_oocyte",  # DMSO Lp and Ps measured (Karlsson et al. 2009)
    "target": {"components": [{"name": DMSO, "amount": 1.4, "unit": "mol/L"}]},
    "temperature_c": 22.0,
}


@pytest.fixture(scope="module")
def salt_reduced(app):
    """Alice's saved salt-reduced protocol (its design has a hold under 30 s)."""
    client = app.test_client()
    email, password = f"recipe-{uuid.uuid4().hex[:10]}@example.org", "correct horse battery"
    client.post("/api/v1/auth/register", json={"email": email, "password": password})
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    res = client.post(
        "/api/v1/protocols",
        json={
            "name": "DMSO 1.4 M, 2 steps, salt-reduced",
            "design_request": {**REQUEST, "min_carrier_fraction": 0.0, "max_steps": 2},
        },
        headers=headers,
    )
    assert res.status_code == 201, res.json
    return {"id": res.json["id"], "headers": headers, "protocol": res.json}


def _recipe(client, protocol, query="", headers=None):
    url = f"/api/v1/protocols/{protocol['id']}/recipe{query}"
    return client.get(url, headers=protocol["headers"] if headers is None else headers)


def test_recipe_for_ten_ml_matches_the_conversion_module(client, salt_reduced):
    res = _recipe(client, salt_reduced, "?volume_ml=10")
    assert res.status_code == 200, res.json
    body = res.json
    assert body["volume_ml"] == 10.0 and body["carrier_strength"] == 10
    steps = salt_reduced["protocol"]["steps"]
    assert len(body["steps"]) == len(steps)
    dmso_density = composition.get_solute(DMSO).pure_density_g_per_ml
    assert dmso_density is not None
    assert dmso_density == pytest.approx(1.1004)  # params/pure_densities.csv, 20 °C
    for made, designed in zip(body["steps"], steps, strict=True):
        recipe = made["recipe"]
        parts = recipe["ingredients"]
        assert parts[-1]["form"] == "water" and parts[-1]["mass_g"] >= 0
        assert sum(p["mass_g"] for p in parts) == pytest.approx(recipe["final_mass_g"], rel=1e-9)
        m = designed["solutes"].get(DMSO, 0.0)
        if m > 0:
            # % v/v from the conversion module, independently: 10 mL × % v/v / 100 of neat DMSO.
            others = {k: v for k, v in designed["solutes"].items() if v > 0}
            names = list(others)
            solutes = [composition.get_solute(n) for n in names]
            units = ["% v/v" if n == DMSO else "mol/kg" for n in names]
            pct = composition.from_molality([[others[n] for n in names]], units, solutes)
            expected_ml = 10.0 * float(pct[0, names.index(DMSO)]) / 100.0
            neat = next(p for p in parts if p["solute"] == DMSO)
            assert neat["volume_ml"] == pytest.approx(expected_ml, rel=1e-9)
            assert neat["mass_g"] == pytest.approx(expected_ml * dmso_density, rel=1e-9)
        assert made["hold"]["model_s"] == pytest.approx(designed["duration_s"])
    short = [s for s in body["steps"] if s["hold"]["model_s"] < 30]
    assert short, "the salt-reduced design has a hold under 30 s"
    assert all(s["hold"]["warning"].startswith("too short to do by hand") for s in short)
    assert len(body["warnings"]) == len(short)
    assert body["rounding_effect"]["status"] == "computed"
    assert body["rounding_effect"]["designed"]["toxicity_cost"] == pytest.approx(
        salt_reduced["protocol"]["toxicity_cost"], rel=1e-3
    )
    totals = {t["stock"]: t for t in body["totals"]}
    neat_total = sum(
        p["volume_ml"]
        for s in body["steps"]
        for p in s["recipe"]["ingredients"]
        if p["solute"] == DMSO
    )
    assert totals[f"{DMSO} (neat)"]["volume_ml"] == pytest.approx(neat_total)


def test_salt_reduced_design_shows_the_conventional_cost(client, salt_reduced):
    body = _recipe(client, salt_reduced).json
    carrier = body["carrier"]
    assert carrier["salt_reduced"] is True and carrier["min_carrier_fraction"] == 0.0
    comparison = carrier["comparison"]
    chosen = comparison["salt_reduced"]["toxicity_cost"]
    conventional = comparison["conventional"]["toxicity_cost"]
    assert chosen == pytest.approx(salt_reduced["protocol"]["toxicity_cost"])
    assert comparison["difference"] == pytest.approx(chosen - conventional)
    assert comparison["ratio"] == pytest.approx(chosen / conventional)
    assert conventional > chosen  # the salt-poor steps are what lowers the cost


def test_conventional_carrier_is_the_design_default(client):
    res = client.post("/api/v1/protocols/design", json=REQUEST)
    assert res.status_code == 200, res.json
    settings = res.json["settings"]
    assert settings["min_carrier_fraction"] == 1.0
    assert "carrier_comparison" not in settings
    salt = settings["carrier"]["Sodium chloride"]
    for step in res.json["protocols"]["designed"]["steps"]:
        assert step["solutes"]["Sodium chloride"] == pytest.approx(salt)


def test_bad_volume_stock_and_carrier_are_422_naming_the_field(client, salt_reduced):
    bad = _recipe(client, salt_reduced, "?volume_ml=0")
    assert bad.status_code == 422
    assert "volume_ml" in str(bad.json["error"]["details"])
    bad = _recipe(client, salt_reduced, "?carrier_strength=5")
    assert bad.status_code == 422
    assert "carrier_strength" in str(bad.json["error"]["details"])
    bad = _recipe(client, salt_reduced, "?carrier_strength=1&stock=Sucrose%3D0.001%20mol%2FL")
    assert bad.status_code == 422, bad.json
    assert bad.json["error"]["details"]["field"] == "stocks.Sucrose"
    assert "more concentrated stock of Sucrose" in bad.json["error"]["message"]
    bad = _recipe(client, salt_reduced, "?stock=Trehalose%3D1%20mol%2FL")
    assert bad.status_code == 422
    assert bad.json["error"]["details"]["field"] == "stocks.Trehalose"
    bad = _recipe(client, salt_reduced, "?stock=Sucrose")
    assert bad.status_code == 422
    assert bad.json["error"]["details"]["field"] == "stock"


def test_chosen_stocks_change_what_is_measured(client, salt_reduced):
    res = _recipe(client, salt_reduced, "?volume_ml=25&carrier_strength=1&stock=Sucrose%3Dsolid")
    assert res.status_code == 200, res.json
    body = res.json
    assert body["volume_ml"] == 25.0
    sucrose = [
        p for s in body["steps"] for p in s["recipe"]["ingredients"] if p["solute"] == "Sucrose"
    ]
    assert sucrose and all(p["measure"] == "mass" and p["volume_ml"] is None for p in sucrose)
    # With the 1× carrier, a full-strength carrier step needs no added water.
    last = body["steps"][-1]["recipe"]
    assert set(last["molality"]) == {"Sodium chloride"}
    assert last["ingredients"][-1]["mass_g"] == pytest.approx(0.0, abs=1e-9)
    assert last["ingredients"][0]["volume_ml"] == pytest.approx(25.0, rel=1e-9)


def test_another_users_private_protocol_is_404(client, make_user, salt_reduced):
    bob = make_user("bob")
    assert _recipe(client, salt_reduced, headers=bob.headers).status_code == 404
    assert _recipe(client, salt_reduced, headers={}).status_code == 404
