"""Predictive models through the API: train on the shipped CryoMN data, predict with an interval."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import PredictiveModel
from tests.conftest import train_model_via_api

pytestmark = pytest.mark.integration

URL = "/api/v1/predictive-models"


@pytest.fixture(scope="module")
def trained(app):
    return train_model_via_api(app, "ml")


def test_training_registers_a_version_with_metrics_and_baselines(client, trained) -> None:
    headers, model_id = trained
    model = client.get(f"{URL}/{model_id}", headers=headers).json
    assert model["status"] == "ready" and model["version"] >= 1
    pooled = model["metrics"]["pooled"]
    assert {"model", "baseline_mean", "baseline_one_feature"} <= set(pooled)
    assert {"mae", "rmse", "r2", "spearman"} <= set(pooled["model"])
    assert model["feature_names"] and model["artifact_sha256"] and model["dataset_hash"]
    assert 0 <= model["metrics"]["interval"]["coverage"] <= 1
    datasets = {d["name"] for d in client.get("/api/v1/datasets?per_page=100").json["items"]}
    assert {"cryomn-literature", "cryomn-wetlab"} <= datasets


def test_predict_ten_percent_dmso_with_interval_and_neighbours(client, trained) -> None:
    headers, model_id = trained
    res = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}]},
        headers=headers,
    )
    assert res.status_code == 200, res.json
    p = res.json
    assert p["lower"] <= p["value"] <= p["upper"] and p["level"] == pytest.approx(0.9)
    assert p["nearest"] and all("row_id" in n for n in p["nearest"])
    stored = client.get("/api/v1/predictions", headers=headers).json["items"]  # newest first
    assert any(s["id"] == p["prediction_id"] for s in stored)


def test_unknown_component_and_bad_unit_are_422(client, trained) -> None:
    headers, model_id = trained
    unknown = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": [{"name": "unobtainium", "amount": 1, "unit": "mol/L"}]},
        headers=headers,
    )
    assert unknown.status_code == 422, unknown.json
    bad_unit = client.post(
        f"{URL}/{model_id}/predict",
        json={"components": [{"name": "Dimethyl sulfoxide", "amount": 1, "unit": "furlongs"}]},
        headers=headers,
    )
    assert bad_unit.status_code == 422


def test_tampered_artifact_fails_clearly(client, trained, db) -> None:
    headers, model_id = trained
    with db.transaction(Identity.service()) as s:
        row = s.get(PredictiveModel, uuid.UUID(model_id))
        original = bytes(row.artifact)
        tampered = bytearray(original)
        tampered[-10] ^= 0xFF
        s.execute(
            sa.update(PredictiveModel)
            .where(PredictiveModel.id == row.id)
            .values(artifact=bytes(tampered))
        )
    try:
        from cryoprotect.ml.artifacts import ArtifactIntegrityError
        from cryoprotect.services.actor import Actor
        from cryoprotect.services.models import ModelService

        with pytest.raises(ArtifactIntegrityError, match="checksum"):
            ModelService(db).load(Actor(user_id=row.created_by), row.id)
    finally:
        with db.transaction(Identity.service()) as s:
            s.execute(
                sa.update(PredictiveModel)
                .where(PredictiveModel.id == uuid.UUID(model_id))
                .values(artifact=original)
            )


def test_cli_trains_registers_and_versions_compare(settings, db, client, trained) -> None:
    from click.testing import CliRunner

    from cryoprotect.cli import main

    env = {"CRYOPROTECT_HOME": str(settings.home), "DATABASE_URL": None}
    runs = [
        CliRunner().invoke(
            main,
            [
                "models",
                "train",
                "--dataset",
                "cryomn-literature",
                "--target",
                "viability_percent",
                "--algorithm",
                "ridge",
            ],
            env=env,
            catch_exceptions=False,
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.exit_code == 0, run.output
        assert (
            "Registered viability_percent-ridge v" in run.output and "baseline_mean" in run.output
        )
    listed = client.get(f"{URL}?target=viability_percent&per_page=100").json["items"]
    public = [
        m for m in listed if m["visibility"] == "public" and m["name"] == "viability_percent-ridge"
    ]
    assert len(public) >= 2 and len({m["version"] for m in public}) == len(public)
    compared = client.post(f"{URL}/compare", json={"ids": [public[0]["id"], public[1]["id"]]})
    assert compared.status_code == 200, compared.json
    assert all({"model", "baseline_mean"} <= set(c["pooled"]) for c in compared.json)
    headers, model_id = trained
    # A ridge on the literature does not beat its baselines: active only with an override
    # (tests/integration/test_model_predictions_api.py covers the refusal).
    promoted = client.post(
        f"{URL}/{model_id}/promote",
        json={"force": True, "reason": "integration test of the registry"},
        headers=headers,
    )
    assert promoted.status_code == 200 and promoted.json["is_active"] is True


def test_user_dataset_upload_and_training(client, make_user, app) -> None:
    user = make_user("data")
    records = [
        {
            "id": f"r{i}",
            "group": f"batch-{i % 6}",
            "targets": {"tm_c": -1.86 * 0.1 * i},
            "components": [{"name": "Glycerol", "amount": 0.1 * i, "unit": "mol/kg"}],
        }
        for i in range(1, 37)
    ]
    res = client.post(
        "/api/v1/datasets",
        json={"name": f"my freezing points {uuid.uuid4().hex[:6]}", "records": records},
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    assert res.json["row_count"] == 36 and res.json["target_names"] == ["tm_c"]
    bad = client.post(
        "/api/v1/datasets",
        json={
            "name": "bad",
            "records": [
                {
                    "components": [{"name": "Glycerol", "amount": 1, "unit": "mol/kg"}],
                    "targets": {"x": 1},
                },
                {
                    "components": [{"name": "Glycerol", "amount": 1, "unit": "parsecs"}],
                    "targets": {"x": 2},
                },
            ],
        },
        headers=user.headers,
    )
    assert bad.status_code == 422
    job = client.post(
        URL,
        json={"dataset": res.json["id"], "target": "tm_c", "algorithm": "ridge"},
        headers=user.headers,
    )
    assert job.status_code == 202, job.json
    done = app.extensions["cryoprotect"].jobs.wait(
        user.actor, uuid.UUID(job.json["job_id"]), timeout_s=120
    )
    assert done.status == "done", done
    assert (
        client.get(f"{URL}/{job.json['model']['id']}", headers=user.headers).json["status"]
        == "ready"
    )
