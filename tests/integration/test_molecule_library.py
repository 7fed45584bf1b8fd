"""The molecule library through the API: registration rules, search under RLS, import."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration

POLYOLS = {
    "glycerol": "OCC(O)CO",
    "ethylene glycol": "OCCO",
    "propylene glycol": "CC(O)CO",
    "1,3-propanediol": "OCCCO",
    "erythritol": "OC[C@@H](O)[C@@H](O)CO",
}
OTHERS = {"dmso": "CS(C)=O", "benzene": "c1ccccc1", "toluene": "Cc1ccccc1", "acetone": "CC(C)=O"}


def _register(client, user, smiles, **extra):
    return client.post(
        "/api/v1/molecules", json={"structure": smiles, **extra}, headers=user.headers
    )


def _prop(detail: dict[str, Any], name: str) -> float:
    values = [p["value"] for p in detail["properties"] if p["property_name"] == name]
    assert values, f"{name} missing from {[p['property_name'] for p in detail['properties']]}"
    return values[0]


def test_register_dmso_identifiers_descriptors_and_score(client, make_user) -> None:
    user = make_user()
    created = _register(client, user, "CS(C)=O", name="DMSO")
    assert created.status_code == 201, created.json
    body = created.json
    assert body["inchikey"] == "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
    assert body["formula"] == "C2H6OS"
    assert "ChEMBL" in body["standardization"]["method"]
    detail = client.get(f"/api/v1/molecules/{body['id']}", headers=user.headers).json
    assert _prop(detail, "sulfoxide_groups") == 1
    assert _prop(detail, "hydroxyl_groups") == 0
    methods = {p["method"] for p in detail["properties"]}
    assert all("RDKit" in m for m in methods)
    assert {p["provenance"] for p in detail["properties"]} == {"computed"}
    assert any(p["property_name"] == "clogp_crippen" for p in detail["properties"])
    score = detail["cpa_score"]
    assert 0 <= score["score"] <= 1
    assert score["components"] and all(
        c["citation"] and c["rationale"] for c in score["components"]
    )
    assert sum(c["contribution"] for c in score["components"]) == pytest.approx(
        score["score"], abs=1e-6
    )
    again = _register(client, user, "CS(C)=O")
    assert again.status_code == 409
    assert again.json["error"]["details"]["existing_id"] == body["id"]


def test_invalid_structure_is_400_with_reason(client, make_user) -> None:
    user = make_user()
    res = _register(client, user, "C1CC")
    assert res.status_code == 400
    assert "ring" in res.json["error"]["message"].lower()


@pytest.mark.parametrize(
    ("salt_or_hydrate", "parent_inchikey"),
    [
        ("Cl.OC(=O)[C@@H]1CCCN1", "ONIBWKKTOPOVIA-BYPYZUCNSA-N"),  # L-proline hydrochloride
        (  # alpha,alpha-trehalose dihydrate
            "O.O.OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O",
            "HDTRYLNUVZCQOY-LIZSDCNHSA-N",
        ),
    ],
)
def test_salts_and_hydrates_register_their_parent(
    client, make_user, salt_or_hydrate, parent_inchikey
) -> None:
    user = make_user()
    res = _register(client, user, salt_or_hydrate)
    assert res.status_code == 201, res.json
    assert res.json["inchikey"] == parent_inchikey
    assert res.json["standardization"]["changes"]


def test_inchi_and_molblock_input(client, make_user) -> None:
    user = make_user()
    res = _register(client, user, "InChI=1S/C3H8O3/c4-1-3(6)2-5/h3-6H,1-2H2")
    assert res.status_code == 201, res.json
    assert res.json["inchikey"] == "PEDCQBHIVMGVHV-UHFFFAOYSA-N"
    from rdkit import Chem

    block = Chem.MolToMolBlock(Chem.MolFromSmiles("OCCO"))
    res = _register(client, user, block)
    assert res.status_code == 201, res.json
    assert res.json["inchikey"] == "LYCAIKOWRPUZTN-UHFFFAOYSA-N"


def test_component_without_structure(client, make_user) -> None:
    user = make_user()
    res = client.post(
        "/api/v1/molecules",
        json={
            "kind": "no_structure",
            "name": f"PEG 400 lot {unique_smiles()}",
            "molecule_class": "polymer",
            "average_molar_mass": 400,
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    assert res.json["kind"] == "no_structure" and res.json["smiles"] is None
    assert res.json["average_molar_mass"] == 400
    assert (
        client.get(
            f"/api/v1/molecules/{res.json['id']}/depiction", headers=user.headers
        ).status_code
        == 404
    )


def test_merge_synonyms_on_duplicate(client, make_user) -> None:
    user = make_user()
    smiles = unique_smiles()
    first = _register(client, user, smiles, name="Compound A")
    merged = _register(
        client, user, smiles, name="Compound A-prime", synonyms=["CA'"], on_duplicate="merge"
    )
    assert merged.status_code == 200
    assert merged.json["id"] == first.json["id"]
    assert {"Compound A-prime", "CA'"} <= set(merged.json["synonyms"])


def test_depiction_svg_with_highlight(client, make_user) -> None:
    user = make_user()
    mol = _register(client, user, unique_smiles()).json
    res = client.get(
        f"/api/v1/molecules/{mol['id']}/depiction?highlight=[OX2H]", headers=user.headers
    )
    assert res.status_code == 200 and res.mimetype == "image/svg+xml"
    assert b"<svg" in res.data
    bad = client.get(f"/api/v1/molecules/{mol['id']}/depiction?highlight=[C", headers=user.headers)
    assert bad.status_code == 400


@pytest.fixture
def chemist(client, make_user):
    user = make_user("chemist")
    ids = {}
    for name, smiles in {**POLYOLS, **OTHERS}.items():
        res = _register(client, user, smiles, name=name)
        assert res.status_code == 201, res.json
        ids[name] = res.json["id"]
    return user, ids


def test_similarity_glycerol_finds_polyols_first(client, chemist) -> None:
    user, ids = chemist
    res = client.post(
        "/api/v1/molecules/search/similarity",
        json={"structure": "OCC(O)CO", "k": 6},
        headers=user.headers,
    )
    assert res.status_code == 200, res.json
    hits = res.json["items"]
    assert hits[0]["inchikey"] == "PEDCQBHIVMGVHV-UHFFFAOYSA-N" and hits[0]["similarity"] == 1.0
    from rdkit import Chem

    def is_polyol(smiles: str) -> bool:
        mol = Chem.MolFromSmiles(smiles)
        return len(
            mol.GetSubstructMatches(Chem.MolFromSmarts("[OX2H][CX4]"))
        ) >= 2 and not mol.HasSubstructMatch(Chem.MolFromSmarts("[#16]"))

    assert all(is_polyol(h["smiles"]) for h in hits[1:4]), hits
    scores = [h["similarity"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    near = client.get(
        f"/api/v1/molecules/{ids['glycerol']}/similar?k=3", headers=user.headers
    ).json["items"]
    assert ids["glycerol"] not in {h["id"] for h in near}


def test_substructure_hydroxyl_on_sp3_carbon(client, chemist) -> None:
    user, ids = chemist
    res = client.post(
        "/api/v1/molecules/search/substructure",
        json={"query": "[OX2H][CX4]", "max_hits": 1000},
        headers=user.headers,
    )
    assert res.status_code == 200, res.json
    found = {h["id"] for h in res.json["items"]}
    assert {ids[n] for n in POLYOLS} <= found
    assert not {ids["dmso"], ids["benzene"], ids["acetone"]} & found
    bad = client.post(
        "/api/v1/molecules/search/substructure", json={"query": "[C"}, headers=user.headers
    )
    assert bad.status_code == 400 and bad.json["error"]["details"]["field"] == "query"


def test_substructure_sulfoxide_drawn_either_way_finds_dmso(client, chemist) -> None:
    """DMSO is stored charge-separated (C[S+](C)[O-], the ChEMBL convention); a query drawn
    S=O, as chemists and the structure editor draw it, must still find it."""
    user, ids = chemist
    stored = client.get(f"/api/v1/molecules/{ids['dmso']}", headers=user.headers).json
    assert stored["smiles"] == "C[S+](C)[O-]"
    for query in ("CS(C)=O", "S=O", "C[S+](C)[O-]", "[#6][SX3](=O)[#6]"):
        res = client.post(
            "/api/v1/molecules/search/substructure",
            json={"query": query, "max_hits": 1000},
            headers=user.headers,
        )
        assert res.status_code == 200, res.json
        found = {h["id"] for h in res.json["items"]}
        assert ids["dmso"] in found, query
        assert not {ids["glycerol"], ids["acetone"]} & found, query


def test_substructure_count_job(client, chemist, app) -> None:
    user, _ = chemist
    res = client.post(
        "/api/v1/molecules/search/substructure/count",
        json={"query": "[OX2H][CX4]"},
        headers=user.headers,
    )
    assert res.status_code == 202
    job = app.extensions["cryoprotect"].jobs.wait(
        user.actor, __import__("uuid").UUID(res.json["id"])
    )
    assert job.status == "done" and job.result["count"] >= len(POLYOLS)
    polled = client.get(f"/api/v1/jobs/{res.json['id']}", headers=user.headers)
    assert polled.status_code == 200 and polled.json["status"] == "done"


def test_searches_never_show_private_molecules(client, chemist, make_user) -> None:
    owner, ids = chemist
    secret = _register(client, owner, unique_smiles(), name="secret").json
    snoop = make_user("snoop")
    queries = [
        ("post", "/api/v1/molecules/search/similarity", {"structure": "OCC(O)CO", "k": 1000}),
        ("post", "/api/v1/molecules/search/similarity", {"structure": secret["smiles"], "k": 1000}),
        (
            "post",
            "/api/v1/molecules/search/substructure",
            {"query": "[OX2H][CX4]", "max_hits": 1000},
        ),
        ("post", "/api/v1/molecules/search/substructure", {"query": "[#6]", "max_hits": 1000}),
    ]
    private = set(ids.values()) | {secret["id"]}
    who: dict[str, str]
    for who in (snoop.headers, {}):
        for method, url, body in queries:
            res = getattr(client, method)(url, json=body, headers=who)
            assert res.status_code == 200, res.json
            assert not private & {h["id"] for h in res.json["items"]}
        listed = client.get("/api/v1/molecules?q=secret&per_page=100", headers=who).json["items"]
        assert secret["id"] not in {m["id"] for m in listed}
    assert (
        client.get(f"/api/v1/molecules/{secret['id']}/similar", headers=snoop.headers).status_code
        == 404
    )


def test_property_range_and_text_filters(client, chemist) -> None:
    user, ids = chemist
    res = client.get(
        "/api/v1/molecules?mw_min=60&mw_max=80&per_page=100&visibility=private",
        headers=user.headers,
    )
    assert res.status_code == 200
    names = {m["name"] for m in res.json["items"]}
    assert {"ethylene glycol", "propylene glycol", "1,3-propanediol", "dmso"} <= names
    assert "glycerol" not in names and "erythritol" not in names


def _upload(client, user, content: bytes, filename: str, **form):
    data = {"file": (io.BytesIO(content), filename), **form}
    return client.post(
        "/api/v1/molecules/import",
        data=data,
        headers=user.headers,
        content_type="multipart/form-data",
    )


def test_import_reports_bad_rows_and_is_idempotent(client, make_user) -> None:
    user = make_user("importer")
    good = [unique_smiles() for _ in range(5)]
    lines = [
        "smiles,name",
        f"{good[0]},first",
        "C1CC,broken ring",
        f"{good[1]},second",
        "not_a_smiles,garbage",
        f"{good[2]},third",
        f"{good[0]},dup in file",
        f"{good[3]},fourth",
        f"{good[4]},fifth",
    ]
    content = "\n".join(lines).encode()
    first = _upload(client, user, content, "batch.csv")
    assert first.status_code == 200, first.json
    report = first.json
    assert report["total"] == 8 and report["created"] == 5 and report["duplicates"] == 1
    assert report["rejected_count"] == 2
    assert {r["row"] for r in report["rejected"]} == {3, 5}
    assert all(r["reason"] for r in report["rejected"])
    again = _upload(client, user, content, "batch.csv").json
    assert again["created"] == 0 and again["duplicates"] == 6 and again["rejected_count"] == 2
    mine = client.get(
        "/api/v1/molecules?per_page=100&visibility=private", headers=user.headers
    ).json
    assert mine["total"] == 5


def test_import_sdf_and_export_formats(client, make_user) -> None:
    from rdkit import Chem

    user = make_user("sdf")
    smiles = [unique_smiles() for _ in range(3)]
    blocks = []
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        mol.SetProp("_Name", f"sd-{i}")
        blocks.append(Chem.MolToMolBlock(mol) + "$$$$\n")
    blocks.insert(1, "garbage record\n\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n")
    res = _upload(client, user, "".join(blocks).encode(), "lib.sdf")
    assert res.status_code == 200, res.json
    assert (
        res.json["created"] == 3
        and res.json["rejected_count"] == 1
        and res.json["rejected"][0]["row"] == 2
    )
    for fmt, marker in (("csv", b"inchikey"), ("json", b'"inchikey"'), ("sdf", b"$$$$")):
        out = client.get(f"/api/v1/molecules/export?format={fmt}&q=sd-", headers=user.headers)
        assert out.status_code == 200 and marker in out.data
    exported = client.get("/api/v1/molecules/export?format=json&q=sd-", headers=user.headers).json
    assert {m["name"] for m in exported} == {"sd-0", "sd-1", "sd-2"}
    assert client.get("/api/v1/molecules/export?format=json&q=sd-").json == []
