"""Predictions that never mislead, through the API (issue 14, item 1).

A ridge model trained on the shipped CryoMN literature (the "train from the page" case of
the issue): 10 % DMSO gets an interval inside 0–100 %, a VS55-like mixture gets no value
but the reason, the nearest rows and the distance (a value only when asked), the model is
marked not better than its baselines in the list, the detail and every prediction, and it
becomes active only with an explicit, recorded override. A model that beats its baselines
is promoted without one.
"""

from __future__ import annotations

import uuid

import pytest

from cryoprotect.ml.synthetic import make_synthetic_dataset
from tests.conftest import train_model_via_api

pytestmark = pytest.mark.integration

URL = "/api/v1/predictive-models"
VS55_LIKE = [
    {"name": "Dimethyl sulfoxide", "amount": 3.1, "unit": "mol/L"},
    {"name": "Formamide", "amount": 3.1, "unit": "mol/L"},
    {"name": "Propylene glycol", "amount": 2.2, "unit": "mol/L"},
]


@pytest.fixture(scope="module")
def trained(app):
    return train_model_via_api(app, "f14")


def test_ten_percent_dmso_interval_stays_inside_0_100(client, trained) -> None:
    headers, model_id = trained
    res = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}]},
        headers=headers,
    )
    assert res.status_code == 200, res.json
    p = res.json
    assert 0.0 <= p["lower"] <= p["value"] <= p["upper"] <= 100.0
    assert p["target_transform"] == "logit(p/100), ε = 0.5 %" and p["clipped"] is False
    assert p["target_domain"]["low"] == 0 and p["target_domain"]["high"] == 100
    assert p["reason"] is None and p["extrapolated"] is False and p["prediction_id"]


def test_vs55_like_mixture_returns_no_value_with_reason(client, trained) -> None:
    headers, model_id = trained
    res = client.post(f"{URL}/{model_id}/predict", json={"components": VS55_LIKE}, headers=headers)
    assert res.status_code == 200, res.json
    p = res.json
    assert p["value"] is None and p["lower"] is None and p["upper"] is None
    assert p["reason"] == "outside applicability domain" and p["in_domain"] is False
    assert p["domain_score"] > p["domain_threshold"] > 0
    assert p["nearest"] and all(n["row_id"].startswith("lit:") for n in p["nearest"])
    assert all(n["group"] and n["measured"] is not None for n in p["nearest"])
    assert "prediction_id" not in p  # nothing to store
    asked = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": VS55_LIKE, "extrapolate": True},
        headers=headers,
    ).json
    assert asked["extrapolated"] is True and asked["reason"] is None
    assert 0.0 <= asked["lower"] <= asked["value"] <= asked["upper"] <= 100.0
    batch = client.post(
        f"{URL}/{model_id}/predict/batch",
        json={"items": [{"components": VS55_LIKE}]},
        headers=headers,
    ).json
    assert batch[0]["value"] is None and batch[0]["reason"] == "outside applicability domain"


def test_not_better_than_baseline_is_marked_and_promotion_needs_override(client, trained) -> None:
    headers, model_id = trained
    model = client.get(f"{URL}/{model_id}", headers=headers).json
    assert model["not_better_than_baseline"] is True
    assert model["baseline_statement"].startswith("This model does not predict better than")
    assert model["metrics"]["baseline_verdict"]["comparison"]["n_groups"] > 20
    listed = client.get(f"{URL}?per_page=100", headers=headers).json["items"]
    assert next(m for m in listed if m["id"] == model_id)["not_better_than_baseline"] is True
    p = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}]},
        headers=headers,
    ).json
    assert p["not_better_than_baseline"] is True and p["baseline_statement"]

    refused = client.post(f"{URL}/{model_id}/promote", headers=headers)
    assert refused.status_code == 409, refused.json
    assert refused.json["error"]["details"]["not_better_than_baseline"] is True
    assert client.get(f"{URL}/{model_id}", headers=headers).json["is_active"] is False
    no_reason = client.post(f"{URL}/{model_id}/promote", json={"force": True}, headers=headers)
    assert no_reason.status_code == 422, no_reason.json
    forced = client.post(
        f"{URL}/{model_id}/promote",
        json={"force": True, "reason": "only viability model for this cell line; compared by hand"},
        headers=headers,
    )
    assert forced.status_code == 200, forced.json
    assert forced.json["is_active"] is True
    override = forced.json["promotion_override"]
    assert override["forced"] is True and override["reason"].startswith("only viability model")
    assert override["by"] == str(model["created_by"])


def test_model_that_beats_its_baselines_is_promoted_without_override(
    client, make_user, app
) -> None:
    user = make_user("f14better")
    records = [
        {k: r[k] for k in ("id", "group", "targets", "components")}
        for r in make_synthetic_dataset(n_groups=30, rows_per_group=8, noise_sd=1.0).to_records()
    ]
    ds = client.post(
        "/api/v1/datasets",
        json={"name": f"synthetic {uuid.uuid4().hex[:6]}", "records": records},
        headers=user.headers,
    )
    assert ds.status_code == 201, ds.json
    job = client.post(
        URL,
        json={"dataset": ds.json["id"], "target": "synthetic_response", "algorithm": "ridge"},
        headers=user.headers,
    )
    assert job.status_code == 202, job.json
    done = app.extensions["cryoprotect"].jobs.wait(
        user.actor, uuid.UUID(job.json["job_id"]), timeout_s=300
    )
    assert done.status == "done", done
    model_id = job.json["model"]["id"]
    model = client.get(f"{URL}/{model_id}", headers=user.headers).json
    assert model["not_better_than_baseline"] is False
    assert model["target_transform"] == "none (no declared domain)"
    promoted = client.post(f"{URL}/{model_id}/promote", headers=user.headers)
    assert promoted.status_code == 200, promoted.json
    assert promoted.json["is_active"] is True and promoted.json["promotion_override"] is None
