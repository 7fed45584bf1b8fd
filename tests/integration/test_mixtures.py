"""Mixtures through the API: create from library names, versions, clone, access rules."""

from __future__ import annotations

import pytest

from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration

URL = "/api/v1/mixtures"


def _dp6(**extra):
    return {
        "name": "DP6 test",
        "carrier": "Euro-Collins",
        "components": [
            {"name": "DMSO", "amount": 3, "unit": "mol/L", "role": "cpa"},
            {"name": "propylene glycol", "amount": 3, "unit": "mol/L", "role": "cpa"},
        ],
        **extra,
    }


def test_create_from_library_names_and_read(client, make_user) -> None:
    user = make_user()
    res = client.post(URL, json=_dp6(), headers=user.headers)
    assert res.status_code == 201, res.json
    body = res.json
    assert body["version"] == 1
    names = {c["name"] for c in body["components"]}
    assert names == {"Dimethyl sulfoxide", "Propylene glycol"}
    assert all(c["molar_mass"] > 0 for c in body["components"])
    assert client.get(f"{URL}/{body['id']}", headers=user.headers).json["name"] == "DP6 test"


def test_edit_keeps_history_and_clone(client, make_user) -> None:
    user = make_user()
    mixture = client.post(URL, json=_dp6(), headers=user.headers).json
    edited = client.patch(
        f"{URL}/{mixture['id']}",
        json={"components": [{"name": "DMSO", "amount": 10, "unit": "% v/v"}], "name": "10% DMSO"},
        headers=user.headers,
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["version"] == 2 and edited.json["name"] == "10% DMSO"
    versions = client.get(f"{URL}/{mixture['id']}/versions", headers=user.headers).json
    assert [v["version"] for v in versions] == [1, 2]
    assert len(versions[0]["components"]) == 2 and versions[0]["name"] == "DP6 test"
    assert versions[1]["components"][0]["unit"] == "% v/v"
    other = client.post(f"{URL}/{mixture['id']}/clone", json={}, headers=user.headers)
    assert other.status_code == 201 and other.json["id"] != mixture["id"]
    assert other.json["name"] == "10% DMSO (copy)" and other.json["version"] == 1


def test_bad_components_store_nothing(client, make_user) -> None:
    user = make_user()
    before = client.get(f"{URL}?per_page=100&visibility=private", headers=user.headers).json[
        "total"
    ]
    unknown = client.post(
        URL,
        json={"name": "x", "components": [{"name": "unobtainium", "amount": 1, "unit": "mol/L"}]},
        headers=user.headers,
    )
    assert (
        unknown.status_code == 404
        and unknown.json["error"]["details"]["field"] == "components[0].name"
    )
    negative = client.post(
        URL,
        json={"name": "x", "components": [{"name": "DMSO", "amount": -1, "unit": "mol/L"}]},
        headers=user.headers,
    )
    assert negative.status_code == 422
    twice = client.post(
        URL,
        json={
            "name": "x",
            "components": [
                {"name": "DMSO", "amount": 1, "unit": "mol/L"},
                {"name": "Me2SO", "amount": 1, "unit": "mol/L"},
            ],
        },
        headers=user.headers,
    )
    assert twice.status_code == 422 and "twice" in twice.json["error"]["message"]
    after = client.get(f"{URL}?per_page=100&visibility=private", headers=user.headers).json["total"]
    assert after == before


def test_private_mixtures_and_molecules_stay_private(client, make_user) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    secret = client.post(
        "/api/v1/molecules",
        json={"structure": unique_smiles(), "name": "secret"},
        headers=alice.headers,
    ).json
    mixture = client.post(
        URL,
        json={
            "name": "alice mix",
            "components": [{"molecule_id": secret["id"], "amount": 1, "unit": "mol/kg"}],
        },
        headers=alice.headers,
    )
    assert mixture.status_code == 201, mixture.json
    mid = mixture.json["id"]
    assert client.get(f"{URL}/{mid}", headers=bob.headers).status_code == 404
    assert client.get(f"{URL}/{mid}/versions", headers=bob.headers).status_code == 404
    assert (
        client.patch(f"{URL}/{mid}", json={"name": "hijack"}, headers=bob.headers).status_code
        == 404
    )
    # Bob cannot use Alice's private molecule in his own mixture (no probing by id).
    probe = client.post(
        URL,
        json={
            "name": "probe",
            "components": [{"molecule_id": secret["id"], "amount": 1, "unit": "mol/kg"}],
        },
        headers=bob.headers,
    )
    assert probe.status_code == 404
    public = client.post(
        URL, json={**_dp6(name="public dp6"), "visibility": "public"}, headers=alice.headers
    ).json
    assert client.get(f"{URL}/{public['id']}").status_code == 200
    assert (
        client.patch(f"{URL}/{public['id']}", json={"name": "x"}, headers=bob.headers).status_code
        == 403
    )
    assert client.delete(f"{URL}/{public['id']}", headers=bob.headers).status_code == 403
    assert client.delete(f"{URL}/{public['id']}", headers=alice.headers).status_code == 204


def test_a_molecule_used_by_a_mixture_cannot_be_deleted(client, make_user):
    from tests.conftest import unique_smiles

    alice = make_user("alice")
    mol = client.post(
        "/api/v1/molecules",
        json={"smiles": unique_smiles(), "name": "in use"},
        headers=alice.headers,
    )
    assert mol.status_code == 201, mol.json
    mix = client.post(
        "/api/v1/mixtures",
        json={
            "name": "uses it",
            "components": [{"molecule_id": mol.json["id"], "amount": 1, "unit": "mol/kg"}],
        },
        headers=alice.headers,
    )
    assert mix.status_code == 201, mix.json
    res = client.delete(f"/api/v1/molecules/{mol.json['id']}", headers=alice.headers)
    assert res.status_code == 422, res.json  # FK violation: translate_db_error maps it to 422
    assert "in use" in res.json["error"]["message"]
    assert (
        client.get(f"/api/v1/molecules/{mol.json['id']}", headers=alice.headers).status_code == 200
    )
