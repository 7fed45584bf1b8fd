"""Solution physics through the API: properties with provenance, unit invariance, rejection."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

MIXTURES = "/api/v1/mixtures"
SOLUTIONS = "/api/v1/solutions/properties"


def _check_quantities(body: dict) -> None:  # type: ignore[type-arg]
    for key in ("osmolality", "melting_point", "glass_transition"):
        quantity = body[key]
        assert quantity["unit"] and quantity["method"], key
    assert body["osmolality"]["unit"] == "osmol/kg"
    assert body["osmolality"]["provenance"] in ("measured", "fitted", "estimated")
    for p in body["osmolality"]["parameters"]:
        assert p["source"] and p["provenance"]
    assert body["composition"]["density_method"]


def test_dp6_and_dmso_properties_through_the_api(client, make_user) -> None:
    user = make_user()
    dp6 = client.post(
        MIXTURES,
        json={
            "name": "DP6",
            "components": [
                {"name": "DMSO", "amount": 3, "unit": "mol/L"},
                {"name": "propylene glycol", "amount": 3, "unit": "mol/L"},
            ],
        },
        headers=user.headers,
    )
    assert dp6.status_code == 201, dp6.json
    props = client.get(f"{MIXTURES}/{dp6.json['id']}/properties", headers=user.headers)
    assert props.status_code == 200, props.json
    body = props.json
    _check_quantities(body)
    # 3 M + 3 M of CPAs: several osmol/kg and a melting point far below 0 °C. DMSO's
    # coefficients are quoted and unchecked (no recorded range), so no number is given;
    # the bounds (propylene glycol alone, inside its fitted range) already say as much.
    osm, mp = body["osmolality"], body["melting_point"]
    assert osm["value"] is None and mp["value_c"] is None
    assert osm["status"] == mp["status"] == "range_unknown"
    assert "Dimethyl sulfoxide" in osm["reason"] and "Dimethyl sulfoxide" in mp["reason"]
    assert osm["bound"]["relation"] == "above" and osm["bound"]["value"] > 6
    assert mp["bound"]["relation"] == "below" and mp["bound"]["value"] < -10
    assert body["composition"]["amounts"]["mol/L"] == pytest.approx([3, 3])
    measured = {m["property"] for m in body["measurements"]}
    assert all(m["kind"] == "measured" for m in body["measurements"])
    assert not measured or "critical_cooling_rate" in " ".join(measured)


def test_units_do_not_change_the_answer(client) -> None:
    by_mass = client.post(
        SOLUTIONS, json={"components": [{"name": "Glycerol", "amount": 20, "unit": "% w/w"}]}
    )
    assert by_mass.status_code == 200, by_mass.json
    molar = by_mass.json["composition"]["amounts"]["mol/L"][0]
    w_v = by_mass.json["composition"]["amounts"]["% w/v"][0]
    by_molarity = client.post(
        SOLUTIONS, json={"components": [{"name": "Glycerol", "amount": molar, "unit": "mol/L"}]}
    )
    by_wv = client.post(
        SOLUTIONS, json={"components": [{"name": "Glycerol", "amount": w_v, "unit": "% w/v"}]}
    )
    for other in (by_molarity.json, by_wv.json):
        assert other["osmolality"]["value"] == pytest.approx(
            by_mass.json["osmolality"]["value"], rel=1e-9
        )
        assert other["melting_point"]["value_c"] == pytest.approx(
            by_mass.json["melting_point"]["value_c"], abs=1e-9
        )
        assert other["glass_transition"]["value_k"] == pytest.approx(
            by_mass.json["glass_transition"]["value_k"], abs=1e-9
        )
    # Against the CRC table (20 % w/w glycerol freezes at −5.46 °C).
    assert by_mass.json["melting_point"]["value_c"] == pytest.approx(-5.46, abs=0.3)


def test_impossible_compositions_are_rejected_and_nothing_stored(client, make_user) -> None:
    user = make_user()
    before = client.get(f"{MIXTURES}?visibility=private", headers=user.headers).json["total"]
    over = client.post(
        MIXTURES,
        json={
            "name": "over",
            "components": [
                {"name": "Glycerol", "amount": 70, "unit": "% w/w"},
                {"name": "DMSO", "amount": 40, "unit": "% w/w"},
            ],
        },
        headers=user.headers,
    )
    assert over.status_code == 422, over.json
    assert over.json["error"]["details"]["field"].startswith("components[")
    assert (
        "Glycerol" in over.json["error"]["message"] or "Dimethyl" in over.json["error"]["message"]
    )
    vv = client.post(
        MIXTURES,
        json={
            "name": "vv",
            "components": [
                {"name": "DMSO", "amount": 80, "unit": "% v/v"},
                {"name": "Ethylene glycol", "amount": 40, "unit": "% v/v"},
            ],
        },
        headers=user.headers,
    )
    assert vv.status_code == 422, vv.json
    assert (
        client.get(f"{MIXTURES}?visibility=private", headers=user.headers).json["total"] == before
    )
    bad_carrier = client.post(
        SOLUTIONS,
        json={
            "components": [{"name": "DMSO", "amount": 1, "unit": "mol/L"}],
            "carrier": "unicorn broth",
        },
    )
    assert (
        bad_carrier.status_code == 422
        and bad_carrier.json["error"]["details"]["field"] == "carrier"
    )


def test_compare_and_phase_diagram(client, make_user) -> None:
    user = make_user()
    ids = []
    for pct in (10, 30):
        res = client.post(
            MIXTURES,
            json={
                "name": f"{pct}% glycerol",
                "components": [{"name": "Glycerol", "amount": pct, "unit": "% w/w"}],
            },
            headers=user.headers,
        )
        ids.append(res.json["id"])
    both = client.post(f"{MIXTURES}/compare", json={"ids": ids}, headers=user.headers)
    assert both.status_code == 200
    assert both.json[0]["melting_point"]["value_c"] > both.json[1]["melting_point"]["value_c"]
    curve = client.get("/api/v1/solutions/phase-diagram?name=Glycerol&max_mass_percent=70")
    assert curve.status_code == 200, curve.json
    tm = [t for t in curve.json["melting_point_c"] if t is not None]
    assert tm == sorted(tm, reverse=True) and tm[0] == pytest.approx(0.0, abs=1e-9)
    tg = [t for t in curve.json["tg_c"] if t is not None]
    assert tg == sorted(tg)


def test_reference_solutions_carry_measurements_and_carrier(client) -> None:
    listed = client.get(f"{MIXTURES}?q=VS55").json["items"]
    vs55 = next(m for m in listed if m["name"] == "VS55")
    assert vs55["visibility"] == "public" and vs55["carrier"] == "Euro-Collins"
    assert all(s.get("citation") for s in vs55["sources"])
    props = client.get(f"{MIXTURES}/{vs55['id']}/properties").json
    solutes = set(props["composition"]["solutes"])
    assert {
        "Dimethyl sulfoxide",
        "Formamide",
        "Propylene glycol",
        "D-Glucose",
        "Potassium chloride",
    } <= solutes
    rates = {m["property"]: m for m in props["measurements"]}
    assert rates["critical_cooling_rate"]["provenance"] == "measured"
    assert rates["critical_cooling_rate"]["source"]
    # Model output never masquerades as a measurement.
    assert props["glass_transition"]["kind"] == "model"


def test_ten_percent_dmso_in_saline(client, make_user) -> None:
    user = make_user()
    res = client.post(
        MIXTURES,
        json={
            "name": "10% DMSO in saline",
            "carrier": "isotonic saline",
            "components": [{"name": "DMSO", "amount": 10, "unit": "% v/v"}],
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    props = client.get(f"{MIXTURES}/{res.json['id']}/properties", headers=user.headers).json
    _check_quantities(props)
    # ~1.4 mol/L DMSO plus saline: DMSO's coefficients are quoted and unchecked, so no
    # number; what holds is saline's osmolality (~0.29 osmol/kg) and melting point (~−0.5 °C)
    # as bounds.
    osm, mp = props["osmolality"], props["melting_point"]
    assert osm["value"] is None and mp["value_c"] is None
    assert osm["status"] == mp["status"] == "range_unknown"
    assert osm["bound"]["relation"] == "above" and 0.25 < osm["bound"]["value"] < 0.32
    assert mp["bound"]["relation"] == "below" and -0.6 < mp["bound"]["value"] < -0.45
    same = client.post(
        SOLUTIONS,
        json={
            "carrier": "saline",
            "components": [
                {
                    "name": "Dimethyl sulfoxide",
                    "amount": props["composition"]["amounts"]["mol/L"][0],
                    "unit": "mol/L",
                }
            ],
        },
    )
    assert same.json["osmolality"]["value"] is None
    assert same.json["osmolality"]["bound"]["value"] == pytest.approx(
        osm["bound"]["value"], rel=1e-6
    )
    assert same.json["melting_point"]["bound"]["value"] == pytest.approx(
        mp["bound"]["value"], abs=1e-6
    )


def test_phase_diagram_carries_the_measured_crc_freezing_points(client):
    res = client.get("/api/v1/solutions/phase-diagram?name=Glycerol&max_mass_percent=50")
    assert res.status_code == 200, res.json
    measured = res.json["measured_melting_points"]
    assert len(measured) > 20
    assert all(p["mass_percent"] <= 50 and p["provenance"] == "measured" for p in measured)
    assert "CRC Handbook" in measured[0]["source"]
    # CRC: 10 % w/w glycerol freezes at -2.32 degC; the model curve passes within 0.3 degC.
    ten = next(p for p in measured if p["mass_percent"] == 10)
    assert ten["melting_point_c"] == pytest.approx(-2.32, abs=0.005)
    curve = dict(zip(res.json["mass_percent"], res.json["melting_point_c"], strict=True))
    nearest = min(curve, key=lambda w: abs(w - 10))
    assert abs(curve[nearest] - ten["melting_point_c"]) < 0.5


def test_carriers_are_listed_with_their_solutes_and_sources(client):
    res = client.get("/api/v1/solutions/carriers")
    assert res.status_code == 200
    names = [c["name"] for c in res.json]
    assert len(names) == len(set(names)) >= 3
    saline = next(c for c in res.json if c["name"].lower() == "isotonic saline")
    assert [s["name"] for s in saline["components"]] == ["Sodium chloride"]
    assert saline["sources"]
    # every listed carrier is accepted by the properties endpoint
    for name in names:
        props = client.post(
            "/api/v1/solutions/properties",
            json={
                "components": [{"name": "Glycerol", "amount": 5, "unit": "% w/w"}],
                "carrier": name,
            },
        )
        assert props.status_code == 200, (name, props.json)


def test_pbs_osmolality_counts_the_phosphate_ions(client):
    # Issue 13, item 3: PBS came out 0.268 osmol/kg with Na2HPO4 counted as one particle.
    # Its cited value: Gibco PBS specification 280-315 mOsm/kg
    # (science/params/measured_carrier_osmolality.csv).
    salts = [
        ("Sodium chloride", 137),
        ("Potassium chloride", 2.7),
        ("Disodium hydrogen phosphate", 10),
        ("Potassium dihydrogen phosphate", 1.8),
    ]
    res = client.post(
        "/api/v1/solutions/properties",
        json={"components": [{"name": n, "amount": a, "unit": "mmol/L"} for n, a in salts]},
    )
    assert res.status_code == 200, res.json
    osmolality = res.json["osmolality"]
    assert 0.280 <= osmolality["value"] <= 0.315
    assert "Pitzer" in osmolality["method"]
    ions = osmolality["electrolytes"]
    assert {s["species"] for s in ions["species"]} == {"Na+", "K+", "Cl-", "HPO4 2-", "H2PO4-"}
    assert ions["within_range"] is True and 0.15 < ions["ionic_strength_mol_per_kg"] < 0.2
    # The same solution as the shipped carrier (with a little glycerol) gives the same ions.
    carrier = client.post(
        "/api/v1/solutions/properties",
        json={
            "components": [{"name": "Glycerol", "amount": 1, "unit": "% w/w"}],
            "carrier": "PBS",
        },
    )
    assert carrier.status_code == 200, carrier.json
    assert carrier.json["osmolality"]["value"] > osmolality["value"]
    assert carrier.json["osmolality"]["electrolytes"]["species"]


def test_isotonic_saline_matches_its_measured_osmolality(client):
    # 0.9 % NaCl measured 286 mOsm/kg by freezing-point osmometry (Williams, Anesth Analg
    # 1999, doi:10.1213/00000539-199912000-00072); target within 3 %.
    res = client.post(
        "/api/v1/solutions/properties",
        json={"components": [{"name": "Sodium chloride", "amount": 0.9, "unit": "% w/v"}]},
    )
    assert res.status_code == 200, res.json
    assert res.json["osmolality"]["value"] == pytest.approx(0.286, rel=0.03)
    assert res.json["osmolality"]["electrolytes"]["osmotic_coefficient"] == pytest.approx(
        0.926, abs=0.005
    )
