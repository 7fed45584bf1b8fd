"""Cell types and protocol design through the API (issue 6's "done means")."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

DMSO_1_4_M = {
    "components": [{"name": "Dimethyl sulfoxide", "amount": 1.4, "unit": "mol/L"}],
}
PUBLISHED = "rhesus_mii_oocyte"  # DMSO Lp and Ps measured (Karlsson et al. 2009)


def _design(client, headers=None, **extra):
    body = {"cell_type": PUBLISHED, "target": DMSO_1_4_M, "temperature_c": 22.0, **extra}
    return client.post("/api/v1/protocols/design", json=body, headers=headers or {})


def test_shipped_cell_types_are_public_with_sources(client):
    res = client.get("/api/v1/cell-types?per_page=100")
    assert res.status_code == 200
    builtin = [c for c in res.json["items"] if c["builtin"]]
    keys = {c["parameters"]["key"] for c in builtin}
    assert {"human_rbc", "human_msc", "human_sperm", "generic_mammalian", PUBLISHED} <= keys
    for cell in builtin:
        assert cell["sources"], cell["name"]
        assert all(s["citation"] for s in cell["sources"])
    one = client.get(f"/api/v1/cell-types/{builtin[0]['id']}")
    assert one.status_code == 200 and one.json["name"] == builtin[0]["name"]


def test_users_add_private_cell_types_with_validation(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    shipped = client.get("/api/v1/cell-types?q=generic").json["items"][0]["parameters"]
    mine = {**shipped, "name": f"My fibroblast {uuid.uuid4().hex[:6]}", "key": "my_fibroblast"}
    res = client.post("/api/v1/cell-types", json={"parameters": mine}, headers=alice.headers)
    assert res.status_code == 201, res.json
    cell_id = res.json["id"]
    assert res.json["builtin"] is False
    assert client.get(f"/api/v1/cell-types/{cell_id}", headers=bob.headers).status_code == 404
    bad = {**mine, "inactive_volume_fraction": 1.5}
    res = client.post("/api/v1/cell-types", json={"parameters": bad}, headers=alice.headers)
    assert res.status_code == 422, res.json
    assert "inactive_volume_fraction" in res.json["error"]["details"]["field"]
    # The user's own cell type designs protocols like a shipped one.
    res = client.post(
        "/api/v1/protocols/design",
        json={"cell_type": cell_id, "target": DMSO_1_4_M, "temperature_c": 22.0},
        headers=alice.headers,
    )
    assert res.status_code == 200, res.json


def test_dmso_design_stays_within_limits_and_beats_one_step(client):
    res = _design(client)
    assert res.status_code == 200, res.json
    design = res.json
    designed = design["protocols"]["designed"]
    one_step = design["protocols"]["one_step"]
    limits = design["limits"]
    volumes = designed["chart"]["volume_fraction"]
    assert min(volumes) >= limits["min_volume_fraction"] - 1e-6
    assert max(volumes) <= limits["max_volume_fraction"] + 1e-6
    assert designed["within_limits"] is True
    assert designed["toxicity"]["total"] < one_step["toxicity"]["total"]
    # Addition and removal are both designed, with concentrations and durations.
    phases = {s.get("phase") for s in designed["steps"]}
    assert {"addition", "removal"} <= phases, designed["steps"]
    names = [c["name"] for c in design["comparison"]]
    assert names == ["designed", "one_step", "equal_steps"]
    assert design["target"]["Dimethyl sulfoxide"] > 1.4  # molality > molarity for DMSO


def test_infeasible_limits_are_a_422_naming_the_constraint(client):
    res = _design(client, osmotic_limits={"min_volume_fraction": 0.99, "max_volume_fraction": 1.01})
    assert res.status_code == 422, res.json
    assert res.json["error"]["code"] == "infeasible_protocol"
    assert res.json["error"]["details"]["constraint"] in (
        "min_volume_fraction",
        "max_volume_fraction",
    )


def test_unknown_cell_type_and_non_permeating_target(client):
    res = client.post(
        "/api/v1/protocols/design",
        json={"cell_type": "no-such-cell", "target": DMSO_1_4_M, "temperature_c": 22.0},
    )
    assert res.status_code == 404
    assert res.json["error"]["details"]["field"] == "cell_type"


def test_save_list_compare_and_attach_to_an_experiment(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    request = {"cell_type": PUBLISHED, "target": DMSO_1_4_M, "temperature_c": 22.0}
    saved = []
    for steps in (2, 3):
        res = client.post(
            "/api/v1/protocols",
            json={
                "name": f"DMSO 1.4 M, {steps} steps",
                "design_request": {**request, "max_steps": steps},
            },
            headers=alice.headers,
        )
        assert res.status_code == 201, res.json
        assert res.json["toxicity_cost"] > 0
        assert res.json["design"]["protocols"]["designed"]["chart"]["time_s"]
        saved.append(res.json["id"])
    listed = client.get("/api/v1/protocols", headers=alice.headers).json
    assert set(saved) <= {p["id"] for p in listed["items"]}
    assert client.get(f"/api/v1/protocols/{saved[0]}", headers=bob.headers).status_code == 404
    compared = client.post("/api/v1/protocols/compare", json={"ids": saved}, headers=alice.headers)
    assert compared.status_code == 200
    assert [p["id"] for p in compared.json] == saved
    assert all(p["summary"]["within_limits"] for p in compared.json)
    exp = client.post(
        "/api/v1/experiments",
        json={"title": "with protocol", "protocol_id": saved[0]},
        headers=alice.headers,
    )
    assert exp.status_code == 201, exp.json
    assert exp.json["protocol_name"] == "DMSO 1.4 M, 2 steps"


def test_keeping_full_strength_carrier_is_honoured(client):
    res = _design(client, min_carrier_fraction=1.0)
    assert res.status_code == 200, res.json
    design = res.json
    salt = design["settings"]["carrier"]["Sodium chloride"]
    additions = [s for s in design["protocols"]["designed"]["steps"] if s["phase"] == "addition"]
    assert additions
    assert all(s["solutes"]["Sodium chloride"] == pytest.approx(salt) for s in additions)
    bad = _design(client, min_carrier_fraction=2)
    assert bad.status_code == 422
    assert bad.json["error"]["details"]["field"] == "min_carrier_fraction"


def test_a_saved_mixture_can_be_the_target(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    mixture = client.post(
        "/api/v1/mixtures",
        json={"name": f"dmso-{uuid.uuid4().hex[:6]}", **DMSO_1_4_M},
        headers=alice.headers,
    ).json
    by_components = _design(client).json
    res = _design(client, alice.headers, target={"mixture_id": mixture["id"]})
    assert res.status_code == 200, res.json
    assert res.json["mixture_id"] == mixture["id"]
    assert res.json["target"] == pytest.approx(by_components["target"])
    hidden = _design(client, bob.headers, target={"mixture_id": mixture["id"]})
    assert hidden.status_code == 404
    assert hidden.json["error"]["details"]["field"] == "target.mixture_id"
