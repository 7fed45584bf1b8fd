"""Molecule (structure–property) models through the API (issue 14, item 5).

A user uploads a molecule dataset (SMILES + a property: a subset of the shipped FreeSolv
hydration free energies), trains a ridge model as a background job (scaffold-grouped
nested CV, conformal intervals, Tanimoto applicability domain), predicts for a library
molecule and for a SMILES; another user cannot see the private model or its predictions.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cryoprotect.ml.molecule_features import FREESOLV_TARGET, load_freesolv

pytestmark = pytest.mark.integration

URL = "/api/v1/predictive-models"


def _records(step: int = 2) -> list[dict[str, Any]]:
    """Every ``step``-th FreeSolv row as an upload (the SMILES as given, no group)."""
    return [
        {"id": r.row_id, "smiles": r.metadata["smiles_given"], "targets": dict(r.targets)}
        for r in load_freesolv().rows[::step]
    ]


def _library_id(client, name: str) -> str:
    items = client.get(f"/api/v1/molecules?q={name}&per_page=50").json["items"]
    return next(m["id"] for m in items if m["name"] == name)


@pytest.fixture(scope="module")
def trained(app):
    from cryoprotect.services.actor import Actor

    client = app.test_client()
    email = f"molmodel-{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": email, "password": "long enough pw"})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "long enough pw"}
    ).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    ds = client.post(
        "/api/v1/datasets",
        json={"name": f"freesolv half {uuid.uuid4().hex[:6]}", "records": _records()},
        headers=headers,
    )
    assert ds.status_code == 201, ds.json
    res = client.post(
        URL,
        json={"dataset": ds.json["id"], "target": FREESOLV_TARGET, "algorithm": "ridge"},
        headers=headers,
    )
    assert res.status_code == 202, res.json
    actor = Actor(user_id=uuid.UUID(res.json["model"]["created_by"]))
    job = app.extensions["cryoprotect"].jobs.wait(
        actor, uuid.UUID(res.json["job_id"]), timeout_s=300
    )
    assert job.status == "done", job
    return headers, res.json["model"]["id"], ds.json


def test_upload_is_a_molecule_dataset_grouped_by_scaffold(client, trained) -> None:
    headers, _, dataset = trained
    assert dataset["kind"] == "molecules" and dataset["row_count"] == len(_records())
    listed = {
        d["id"]: d
        for d in client.get("/api/v1/datasets?per_page=100", headers=headers).json["items"]
    }
    assert listed[dataset["id"]]["kind"] == "molecules"
    assert listed[next(i for i, d in listed.items() if d["name"] == "freesolv")]["sources"]


def test_invalid_smiles_are_reported_per_row(client, make_user) -> None:
    user = make_user("molbad")
    records = _records(step=100)
    records[1]["smiles"] = "C1CC"  # unclosed ring
    records[3]["smiles"] = "not a molecule"
    res = client.post(
        "/api/v1/datasets", json={"name": "bad smiles", "records": records}, headers=user.headers
    )
    assert res.status_code == 422, res.json
    details = res.json["error"]["details"]
    assert details["field"] == "records[1].smiles"
    assert [r["index"] for r in details["rows"]] == [1, 3] and details["invalid_count"] == 2
    assert all(r["reason"] for r in details["rows"])
    mixed = client.post(
        "/api/v1/datasets",
        json={"name": "mixed", "kind": "mixtures", "records": _records(step=100)},
        headers=user.headers,
    )
    assert mixed.status_code == 422 and mixed.json["error"]["details"]["field"] == "kind"


def test_trained_model_is_a_molecule_model_that_beats_the_mean(client, trained) -> None:
    headers, model_id, _ = trained
    model = client.get(f"{URL}/{model_id}", headers=headers).json
    assert model["status"] == "ready" and model["kind"] == "molecules"
    assert model["feature_names"][0].startswith("descriptor[")
    assert any(n.startswith("morgan[") for n in model["feature_names"])
    pooled = model["metrics"]["pooled"]
    assert pooled["model"]["mae"] < pooled["baseline_mean"]["mae"]
    assert model["not_better_than_baseline"] is not None and model["baseline_statement"]
    assert 0 <= model["metrics"]["interval"]["coverage"] <= 1


def test_predict_library_molecule_and_out_of_domain_smiles(client, trained) -> None:
    headers, model_id, _ = trained
    glycerol = _library_id(client, "Glycerol")
    res = client.post(f"{URL}/{model_id}/predict", json={"molecule_id": glycerol}, headers=headers)
    assert res.status_code == 200, res.json
    p = res.json
    assert p["molecule_id"] == glycerol and p["smiles"] == "OCC(O)CO"
    if p["in_domain"]:
        assert p["lower"] <= p["value"] <= p["upper"] and p["reason"] is None
    else:
        assert p["value"] is None and p["reason"] == "outside applicability domain"
    assert p["nearest"] and p["nearest"][0]["row_id"].startswith("freesolv-")
    # a sterol is nothing like the small neutral molecules of FreeSolv
    sterol = "CC(C)CCCC(C)C1CCC2C1(CCC3C2CC=C4C3(CCC(C4)O)C)C"
    far = client.post(f"{URL}/{model_id}/predict", json={"smiles": sterol}, headers=headers).json
    assert far["value"] is None and far["reason"] == "outside applicability domain"
    assert far["domain_score"] > far["domain_threshold"]
    forced = client.post(
        f"{URL}/{model_id}/predict", json={"smiles": sterol, "extrapolate": True}, headers=headers
    ).json
    assert forced["value"] is not None and forced["extrapolated"] is True
    bad = client.post(f"{URL}/{model_id}/predict", json={"smiles": "C1CC"}, headers=headers)
    assert bad.status_code == 400 and bad.json["error"]["details"]["field"] == "items[0].smiles"
    wrong = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": [{"name": "Glycerol", "amount": 10, "unit": "% w/v"}]},
        headers=headers,
    )
    assert wrong.status_code == 422, wrong.json


def test_molecule_page_predictions_and_rls(client, trained, make_user) -> None:
    headers, model_id, _ = trained
    glycerol = _library_id(client, "Glycerol")
    mine = client.get(f"{URL}/molecules/{glycerol}/predictions", headers=headers)
    assert mine.status_code == 200, mine.json
    ours = [p for p in mine.json["predictions"] if p["model_id"] == model_id]
    assert len(ours) == 1 and ours[0]["target"] == FREESOLV_TARGET
    other = make_user("molother")
    theirs = client.get(f"{URL}/molecules/{glycerol}/predictions", headers=other.headers).json
    assert all(p["model_id"] != model_id for p in theirs["predictions"])
    assert client.get(f"{URL}/{model_id}", headers=other.headers).status_code == 404
    denied = client.post(
        f"{URL}/{model_id}/predict", json={"molecule_id": glycerol}, headers=other.headers
    )
    assert denied.status_code == 404
