"""The group-conditional (Mondrian) interval through the predict API (issue 14, item 3).

A viability model trained through the API on a two-source synthetic set whose wet-lab rows
are 8x noisier (tests/unit/test_ml_mondrian_serving.py): the model's stored coverage shows
the pooled interval missing the wet-lab group, so a prediction given
``source_type: wetlab`` serves that group's own interval (wider, within 0-100 %) and says
so with the measured coverage; without a group, or with a group the model never saw, the
pooled interval, and the answer says which and why.
"""

from __future__ import annotations

import uuid

import pytest

from cryoprotect.ml.datasets import VIABILITY
from tests.unit.test_ml_mondrian_serving import _dataset

pytestmark = pytest.mark.integration

URL = "/api/v1/predictive-models"
QUERY = [
    {"name": "Glycerol", "amount": 1.5, "unit": "mol/kg"},
    {"name": "Sucrose", "amount": 0.2, "unit": "mol/kg"},
]


@pytest.fixture(scope="module")
def trained(app):
    client = app.test_client()
    email = f"r14-{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": email, "password": "long enough pw"})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "long enough pw"}
    ).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = client.get("/api/v1/users/me", headers=headers).json
    from cryoprotect.services.actor import Actor

    actor = Actor(user_id=uuid.UUID(me["id"]))
    # Through the service: the upload API's records carry no conditions (source_type).
    ds = app.extensions["cryoprotect"].models.create_dataset(
        actor, name=f"two-source {uuid.uuid4().hex[:6]}", records=_dataset(0, 30, 15).to_records()
    )
    job = client.post(
        URL,
        json={"dataset": str(ds.id), "target": VIABILITY, "algorithm": "ridge"},
        headers=headers,
    )
    assert job.status_code == 202, job.json
    done = app.extensions["cryoprotect"].jobs.wait(
        actor, uuid.UUID(job.json["job_id"]), timeout_s=300
    )
    assert done.status == "done", done
    return headers, job.json["model"]["id"]


def test_wetlab_query_gets_the_mondrian_interval_with_its_coverage(client, trained) -> None:
    headers, model_id = trained
    model = client.get(f"{URL}/{model_id}", headers=headers).json
    wet = {r["group"]: r for r in model["group_coverage"]["keys"]["source_type"]["pooled"]}
    assert wet["wetlab"]["status"] == "below_target"  # the stored coverage says groups differ

    grouped = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": QUERY, "source_type": "wetlab"},
        headers=headers,
    )
    assert grouped.status_code == 200, grouped.json
    g = grouped.json
    assert g["interval_method"] == "mondrian CV+ (group source_type=wetlab, n=120)"
    cov = g["group_coverage"]
    assert cov["key"] == "source_type" and cov["group"] == "wetlab" and cov["n_held_out"] == 120
    assert cov["pooled"] == pytest.approx(wet["wetlab"]["coverage"])
    assert cov["served"] == cov["mondrian"] and cov["pooled"] < 0.85
    assert "outside the 85%–95% target" in g["interval_reason"]
    assert 0.0 <= g["lower"] <= g["value"] <= g["upper"] <= 100.0

    plain = client.post(f"{URL}/{model_id}/predict", json={"components": QUERY}, headers=headers)
    p = plain.json
    assert p["interval_method"] == "pooled CV+" and p["group_coverage"] is None
    assert "no group given" in p["interval_reason"]
    assert g["upper"] - g["lower"] > p["upper"] - p["lower"]


def test_batch_items_choose_their_own_interval(client, trained) -> None:
    headers, model_id = trained
    res = client.post(
        f"{URL}/{model_id}/predict/batch",
        json={
            "items": [
                {"components": QUERY, "source_type": "wetlab"},
                {"components": QUERY, "source_type": "cryobank"},
                {"components": QUERY},
            ]
        },
        headers=headers,
    )
    assert res.status_code == 200, res.json
    methods = [p["interval_method"] for p in res.json]
    assert methods[0].startswith("mondrian CV+ (group source_type=wetlab")
    assert methods[1:] == ["pooled CV+", "pooled CV+"]
    assert "no training row is of this group" in res.json[1]["interval_reason"]
    stored = client.get("/api/v1/predictions?per_page=100", headers=headers).json
    items = stored["items"] if isinstance(stored, dict) else stored
    mine = [s for s in items if str(s.get("model_id")) == model_id]
    assert any(
        (s.get("details") or {}).get("interval_method", "").startswith("mondrian") for s in mine
    )
