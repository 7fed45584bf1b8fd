"""Next-experiment suggestions through the API (issue 14, item 4).

A random forest trained on the shipped CryoMN v2 wet-lab data; the suggest endpoint answers
a batch inside the constraints, documents its rule, and refuses what it cannot do with
the field named.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import PredictiveModel

pytestmark = pytest.mark.integration

URL = "/api/v1/predictive-models"
DMSO = "Dimethyl sulfoxide"


@pytest.fixture(scope="module")
def forest(app):
    """(owner headers, model id): a 60-tree random forest on cryomn-v2-wetlab (no nested CV)."""
    from cryoprotect.services.actor import Actor

    client = app.test_client()
    email = f"suggest-{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": email, "password": "long enough pw"})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "long enough pw"}
    ).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = client.get("/api/v1/users/me", headers=headers).json
    model = app.extensions["cryoprotect"].models.train(
        Actor(user_id=uuid.UUID(me["id"])),
        dataset="cryomn-v2-wetlab",
        target="viability_percent",
        algorithm="random_forest",
        options={"nested": False, "params": {"model__n_estimators": 60}, "param_grid": {}},
    )
    return headers, str(model.id)


def _suggest(client, headers, model_id, **body):
    return client.post(f"{URL}/{model_id}/suggest", json=body, headers=headers)


def test_batch_within_constraints_with_rule_prediction_and_reason(client, forest) -> None:
    headers, model_id = forest
    res = _suggest(
        client, headers, model_id, batch_size=4, dmso_free=True, max_ingredients=2, n_candidates=256
    )
    assert res.status_code == 200, res.json
    body = res.json
    assert body["acquisition"]["rule"] == "expected_improvement"
    assert body["acquisition"]["uncertainty_source"] == "random_forest_tree_spread"
    assert body["acquisition"]["parameters"]["batch_strategy"] == "local_penalisation"
    assert body["incumbent"]["value"] == pytest.approx(95.15)  # best of the 106 wet-lab rows
    allowed = {i["name"]: i for i in body["space"]["ingredients"]}
    assert DMSO not in allowed and allowed
    assert 1 <= len(body["suggestions"]) <= 4
    for s in body["suggestions"]:
        names = [c["name"] for c in s["composition"]]
        assert DMSO not in names and 1 <= len(names) <= 2
        for c in s["composition"]:
            spec = allowed[c["name"]]
            assert c["unit"] == spec["unit"] and spec["low"] <= c["amount"] <= spec["high"] * 1.0001
        p = s["prediction"]
        assert p["in_domain"] and 0 <= p["lower"] <= p["value"] <= p["upper"] <= 100
        assert s["picked_for"] in ("exploit", "explore") and s["why"].startswith(s["picked_for"])
        a = s["acquisition"]
        assert a["value"] == pytest.approx(
            max(a["exploitation_term"] + a["exploration_term"], 0.0), abs=1e-9
        )
        assert s["makeable"]["ok"] is True
    values = [s["acquisition"]["value"] for s in body["suggestions"]]
    assert len(
        {tuple(map(tuple, (c.values() for c in s["composition"]))) for s in body["suggestions"]}
    ) == len(values)


def test_melting_point_bound_only_where_validated(client, forest) -> None:
    headers, model_id = forest
    res = _suggest(
        client,
        headers,
        model_id,
        batch_size=3,
        n_candidates=256,
        ingredients=[
            {"name": "Ethylene glycol", "unit": "mol/L", "low": 0.5, "high": 2.0},
            {"name": "Glycerol", "unit": "mol/L", "low": 0.5, "high": 2.0},
            {"name": "Sucrose", "unit": "mol/L", "low": 0.05, "high": 0.3},
        ],
        max_melting_point_c=-3.0,
    )
    assert res.status_code == 200, res.json
    body = res.json
    for s in body["suggestions"]:
        mp = s["physics"]["melting_point"]
        check = next(c for c in s["constraints"] if c["name"] == "max_melting_point_c")
        assert check["ok"] is True
        if mp["value"] is not None:
            assert mp["value"] <= -3.0
        else:  # only a published bound may prove it
            assert mp["bound"]["relation"] in ("below", "at_or_below")
            assert mp["bound"]["value"] <= -3.0
    assert body["candidates"]["physics_checked"] >= len(body["suggestions"])
    assert any("counts as not satisfying" in n for n in body["notes"])


def test_impossible_melting_point_bound_leaves_no_suggestion(client, forest) -> None:
    headers, model_id = forest
    res = _suggest(
        client,
        headers,
        model_id,
        batch_size=2,
        n_candidates=64,
        ingredients=[{"name": "Ethylene glycol", "unit": "mol/L", "low": 0.1, "high": 0.5}],
        max_melting_point_c=-60.0,
    )
    assert res.status_code == 200, res.json
    assert res.json["suggestions"] == []
    assert res.json["candidates"]["rejected"].get("max_melting_point_c", 0) >= 1


def test_caps_are_400_naming_the_field(client, forest) -> None:
    headers, model_id = forest
    for field, value in (("batch_size", 21), ("n_candidates", 1025)):
        res = _suggest(client, headers, model_id, **{field: value})
        assert res.status_code == 400, res.json
        assert res.json["error"]["details"]["field"] == field


def test_422s_name_the_field(client, forest) -> None:
    headers, model_id = forest
    dmso = _suggest(
        client,
        headers,
        model_id,
        dmso_free=True,
        ingredients=[{"name": DMSO, "unit": "mol/L", "low": 0.1, "high": 1.0}],
    )
    assert dmso.status_code == 422, dmso.json
    assert dmso.json["error"]["details"]["field"] == "ingredients[0].name"
    unknown = _suggest(
        client,
        headers,
        model_id,
        ingredients=[{"name": "unobtainium", "unit": "mol/L", "high": 1.0}],
    )
    assert unknown.status_code == 422, unknown.json
    assert unknown.json["error"]["details"]["field"] == "ingredients[0].name"
    bad_range = _suggest(
        client,
        headers,
        model_id,
        ingredients=[{"name": "Glycerol", "unit": "mol/L", "low": 2.0, "high": 1.0}],
    )
    assert bad_range.status_code == 422, bad_range.json
    assert bad_range.json["error"]["details"]["field"] == "ingredients[0].high"


def test_model_not_ready_is_422_naming_the_field(client, forest, db) -> None:
    headers, model_id = forest
    with db.transaction(Identity.service()) as s:
        s.execute(
            sa.update(PredictiveModel)
            .where(PredictiveModel.id == uuid.UUID(model_id))
            .values(status="failed")
        )
    try:
        res = _suggest(client, headers, model_id)
        assert res.status_code == 422, res.json
        assert res.json["error"]["details"]["field"] == "model_id"
    finally:
        with db.transaction(Identity.service()) as s:
            s.execute(
                sa.update(PredictiveModel)
                .where(PredictiveModel.id == uuid.UUID(model_id))
                .values(status="ready")
            )


def test_another_users_private_model_is_404(client, forest, make_user) -> None:
    _, model_id = forest
    stranger = make_user("stranger")
    res = _suggest(client, stranger.headers, model_id, batch_size=1)
    assert res.status_code == 404, res.json
    anonymous = client.post(f"{URL}/{model_id}/suggest", json={"batch_size": 1})
    assert anonymous.status_code == 404
