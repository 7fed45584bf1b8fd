"""The two small endpoints the molecule web pages need: structure check and descriptor catalogue.

``POST /api/v1/molecules/validate`` standardises a structure without saving it (live
validation on the register page); ``GET /api/v1/molecules/descriptors`` says what each
computed property means (labels and units on the molecule page).
"""

from __future__ import annotations

import pytest

from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration

URL = "/api/v1/molecules/validate"
DMSO_INCHIKEY = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
L_PROLINE_INCHIKEY = "ONIBWKKTOPOVIA-BYPYZUCNSA-N"


def test_salt_is_standardised_to_its_parent_and_drawn(client) -> None:
    res = client.post(URL, json={"structure": "Cl.OC(=O)[C@@H]1CCCN1"})
    assert res.status_code == 200, res.json
    body = res.json
    assert body["inchikey"] == L_PROLINE_INCHIKEY
    assert body["formula"] == "C5H9NO2"
    assert body["molecular_weight"] == pytest.approx(115.13, abs=0.01)  # C5H9NO2, g/mol
    assert any("Cl" in step for step in body["changes"]), body["changes"]
    assert "ChEMBL" in body["method"]
    assert body["svg"].startswith("<svg") and body["svg"].rstrip().endswith("</svg>")
    # The shipped library holds L-proline as a public record: the page can link to it.
    assert [m["name"] for m in body["existing"]] == ["L-Proline"]
    assert body["existing"][0]["visibility"] == "public"


def test_changes_list_the_standardisation_steps(client) -> None:
    ethanol = client.post(URL, json={"structure": "CCO", "width": 120, "height": 90}).json
    assert ethanol["changes"] == []  # already in standard form
    assert "width='120px'" in ethanol["svg"] or 'width="120px"' in ethanol["svg"]
    dmso = client.post(URL, json={"structure": "CS(C)=O"}).json
    assert dmso["inchikey"] == DMSO_INCHIKEY
    assert dmso["smiles"] == "C[S+](C)[O-]"  # ChEMBL's charge-separated sulfoxide
    assert dmso["changes"] == ["normalised functional groups (ChEMBL rules)"]


def test_invalid_structure_names_the_field_and_gives_rdkits_reason(client) -> None:
    res = client.post(URL, json={"structure": "C1CC"})
    assert res.status_code == 400
    error = res.json["error"]
    assert error["code"] == "invalid_structure"
    assert error["details"]["field"] == "structure"
    assert "ring" in error["message"].lower()
    unknown = client.post(URL, json={"structure": "CCO", "smiles": "CCO"})
    assert unknown.status_code == 422
    assert "smiles" in unknown.json["error"]["details"]["fields"]


def test_existing_matches_respect_visibility(client, make_user) -> None:
    owner, other = make_user("validate-owner"), make_user("validate-other")
    smiles = unique_smiles()
    created = client.post(
        "/api/v1/molecules", json={"structure": smiles, "name": "mine"}, headers=owner.headers
    )
    assert created.status_code == 201, created.json
    seen = client.post(URL, json={"structure": smiles}, headers=owner.headers).json["existing"]
    assert [m["id"] for m in seen] == [created.json["id"]]
    assert (
        client.post(URL, json={"structure": smiles}, headers=other.headers).json["existing"] == []
    )
    assert client.post(URL, json={"structure": smiles}).json["existing"] == []


def test_validation_saves_nothing(client, make_user) -> None:
    user = make_user("validate-nosave")
    smiles = unique_smiles()
    assert client.post(URL, json={"structure": smiles}, headers=user.headers).status_code == 200
    mine = client.get("/api/v1/molecules?visibility=private", headers=user.headers).json
    assert mine["total"] == 0


def test_descriptor_catalogue_covers_every_computed_property(client, make_user) -> None:
    res = client.get("/api/v1/molecules/descriptors")
    assert res.status_code == 200
    catalogue = {d["name"]: d for d in res.json}
    assert catalogue["molecular_weight"]["unit"] == "g/mol"
    assert catalogue["tpsa"]["unit"] == "Å²"
    assert "Ertl" in catalogue["tpsa"]["method"]
    assert all(d["label"] and d["description"] for d in catalogue.values())
    user = make_user("validate-catalogue")
    mol = client.post(
        "/api/v1/molecules", json={"structure": unique_smiles()}, headers=user.headers
    ).json
    detail = client.get(f"/api/v1/molecules/{mol['id']}", headers=user.headers).json
    computed = {p["property_name"] for p in detail["properties"] if p["provenance"] == "computed"}
    assert computed == set(catalogue)
    units = {p["property_name"]: p["unit"] for p in detail["properties"]}
    assert units["tpsa"] == catalogue["tpsa"]["unit"]
