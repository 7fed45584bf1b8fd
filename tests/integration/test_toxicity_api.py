"""Toxicity models from exposure experiments and cocktail design, through the API (issue 16).

The exposure data are SYNTHETIC, generated here by the pure simulator
(``science/toxicity/synthetic.py``) from ILLUSTRATIVE parameters made up for this test
(never shipped, not published values): a new user imports them as CSV, fits a model as a
job, a teammate sees it and an outsider does not, and a 3-CPA cocktail is designed for a
shipped cell type with it.
"""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import pytest

from tests.exposure_data import CPAS, HEADER, TRUTH, synthetic_exposure_csv


def _synthetic_csv() -> bytes:
    return synthetic_exposure_csv(n_groups=4, seed=16)


def _upload(client: Any, user: Any, content: bytes, **form: Any) -> Any:
    data = {"title": "synthetic exposure plate", **form, "file": (io.BytesIO(content), "e.csv")}
    return client.post(
        "/api/v1/toxicity-models/exposure-import",
        data=data,
        headers=user.headers,
        content_type="multipart/form-data",
    )


def _wait(client: Any, user: Any, job_id: str, timeout_s: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    seen_progress = []
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=user.headers)
        assert job.status_code == 200, job.json
        seen_progress.append(job.json.get("progress"))
        if job.json["status"] in ("done", "failed", "cancelled"):
            body: dict[str, Any] = job.json
            body["seen_progress"] = seen_progress
            return body
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end within {timeout_s} s")


@pytest.fixture
def fitted(client: Any, make_user: Any, make_team: Any) -> dict[str, Any]:
    owner, teammate, outsider = make_user("tox"), make_user("mate"), make_user("out")
    team = make_team(owner, viewer=[teammate])
    imported = _upload(client, owner, _synthetic_csv(), visibility="team", team_id=str(team))
    assert imported.status_code == 201, imported.json
    assert sorted(imported.json["cpas"]) == sorted(CPAS)
    assert imported.json["rows"] == 7 * 3 * 4
    started = client.post(
        "/api/v1/toxicity-models",
        json={
            "name": "synthetic plate model",
            "experiment_ids": [imported.json["experiment_id"]],
            "terms": {"nonspecific": False, "interactions": False, "temperature": False},
            "n_bootstrap": 60,
            "visibility": "team",
            "team_id": str(team),
        },
        headers=owner.headers,
    )
    assert started.status_code == 202, started.json
    assert started.json["model"]["status"] == "queued"
    job = _wait(client, owner, started.json["job_id"])
    assert job["status"] == "done", job
    model_id = started.json["model"]["id"]
    return {
        "owner": owner,
        "teammate": teammate,
        "outsider": outsider,
        "team": team,
        "model_id": model_id,
        "experiment_id": imported.json["experiment_id"],
    }


def test_import_fit_share_and_design(client: Any, fitted: dict[str, Any]) -> None:
    owner, teammate, outsider = fitted["owner"], fitted["teammate"], fitted["outsider"]
    model_id = fitted["model_id"]
    got = client.get(f"/api/v1/toxicity-models/{model_id}", headers=owner.headers)
    assert got.status_code == 200, got.json
    model = got.json
    assert model["status"] == "ready" and model["version"] == 1
    assert model["training_data"]["row_count"] == 84
    assert model["n_draws"] == 60
    by_name = {p["name"]: p for p in model["parameters"]}
    for k, name in enumerate(TRUTH.parameter_names):
        p = by_name[name]
        assert p["unit"]
        assert p["low"] is not None and p["high"] is not None
        assert p["low"] <= p["estimate"] <= p["high"]
        # the fitted value is of the right size (synthetic truth known)
        assert 0.5 * TRUTH.values[k] < p["estimate"] < 2.0 * TRUTH.values[k]
    assert len(model["points"]) == 84
    point = model["points"][0]
    assert point["fitted"] == pytest.approx(point["viability"] - point["residual"])
    assert model["held_out"] and {h["group"].split("/")[0] for h in model["held_out"]} == {
        fitted["experiment_id"]
    }
    assert "exp(" in model["equations"] and "Warner" in model["citations"]
    assert model["aic"] is not None and model["bic"] is not None

    # RLS: the teammate (viewer) sees it; an outsider does not, in the list or by id.
    assert (
        client.get(f"/api/v1/toxicity-models/{model_id}", headers=teammate.headers).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/toxicity-models/{model_id}", headers=outsider.headers).status_code
        == 404
    )
    listed = client.get("/api/v1/toxicity-models?per_page=100", headers=outsider.headers).json
    assert model_id not in {m["id"] for m in listed["items"]}
    mine = client.get("/api/v1/toxicity-models?per_page=100", headers=teammate.headers).json
    assert model_id in {m["id"] for m in mine["items"]}
    assert set(mine) == {"items", "total", "page", "per_page"}
    # A viewer cannot delete it; an outsider's design cannot use it.
    assert (
        client.delete(f"/api/v1/toxicity-models/{model_id}", headers=teammate.headers).status_code
        == 403
    )

    request = {
        "candidates": ["Glycerol", "DMSO", "Propylene glycol"],
        "cell_type": "generic_mammalian",
        "toxicity_model_id": model_id,
        "temperature_c": 22.0,
        "vitrification": {"min_total_molality_mol_per_kg": 3.0},
        "max_steps": 2,
        "composition_step": 0.5,
        "pareto_levels": 2,
    }
    hidden = client.post("/api/v1/cocktails/design", json=request, headers=outsider.headers)
    assert (
        hidden.status_code == 404
        and hidden.json["error"]["details"]["field"] == "toxicity_model_id"
    )

    started = client.post("/api/v1/cocktails/design", json=request, headers=owner.headers)
    assert started.status_code == 202, started.json
    assert [c["solute"] for c in started.json["candidates"]] == list(CPAS)
    job = _wait(client, owner, started.json["job_id"])
    assert job["status"] == "done", job
    result = job["result"]
    assert result["pareto"] and result["best"]["feasible"]
    assert result["steps"] == result["best"]["steps"] and result["steps"]
    composition = result["best"]["composition"]
    assert composition["total_molality_mol_per_kg"] >= 3.0 * (1 - 1e-3)
    assert set(composition["molality_mol_per_kg"]) <= set(CPAS)
    prediction = result["best"]["prediction"]
    assert 0.0 < prediction["surviving_fraction"] < 1.0
    assert prediction["band"] is not None  # propagated from the fit's bootstrap draws
    # each candidate alone at the same target, by the same designer (null + reason if it cannot)
    singles = result["one_cpa"]
    assert [s["cpa"] for s in singles] == list(CPAS)
    for single in singles:
        assert (single["design"] is None) == (single["reason"] is not None), single
        if single["design"] is not None:
            assert set(single["design"]["composition"]["molality_mol_per_kg"]) == {single["cpa"]}
            assert single["ratio"] == pytest.approx(
                prediction["log_survival"] / single["design"]["prediction"]["log_survival"]
            )
    assert job["progress"] == pytest.approx(1.0)


def test_design_request_checks_name_the_field(client: Any, fitted: dict[str, Any]) -> None:
    owner, model_id = fitted["owner"], fitted["model_id"]
    base = {
        "candidates": ["Glycerol", "DMSO"],
        "cell_type": "generic_mammalian",
        "toxicity_model_id": model_id,
        "temperature_c": 22.0,
        "vitrification": {"min_total_molality_mol_per_kg": 3.0},
    }

    def post(**changes: Any) -> Any:
        return client.post(
            "/api/v1/cocktails/design", json={**base, **changes}, headers=owner.headers
        )

    unknown = post(candidates=["Glycerol", "no-such-cpa-xyz"])
    assert (
        unknown.status_code == 422 and unknown.json["error"]["details"]["field"] == "candidates[1]"
    )
    too_many = post(candidates=["Glycerol", "DMSO", "PG", "EG", "1,3-Propanediol", "Trehalose"])
    assert too_many.status_code == 422 and "candidates" in str(too_many.json["error"])
    not_in_model = post(candidates=["Glycerol", "Ethylene glycol"])
    assert not_in_model.status_code == 422
    assert not_in_model.json["error"]["details"]["field"] == "candidates[1]"
    cell = post(cell_type="no such cell type")
    assert cell.status_code == 404 and cell.json["error"]["details"]["field"] == "cell_type"

    # Infeasible: no loading protocol fits in one second; the job fails naming the constraint.
    started = post(max_total_time_s=1.0, composition_step=0.5, pareto_levels=1, max_steps=2)
    assert started.status_code == 202, started.json
    job = _wait(client, owner, started.json["job_id"])
    assert job["status"] == "failed"
    assert "422 infeasible_protocol" in job["error"]
    assert "constraint: max_total_time_s" in job["error"], job["error"]
    # ... and its result says so in structured form.
    failure = job["result"]["error"]
    assert failure["code"] == "infeasible_protocol"
    assert failure["details"]["constraint"] == "max_total_time_s"
    assert failure["details"]["limit"] == pytest.approx(1.0)
    assert {"best_achievable", "phase"} <= set(failure["details"])


def test_template_is_csv_with_the_columns(client: Any) -> None:
    res = client.get("/api/v1/toxicity-models/exposure-template.csv")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    header = res.data.decode().splitlines()[0].split(",")
    assert {"cpa_1", "amount_1", "exposure_time_min", "temperature_c", "viability"} <= set(header)


def test_bad_rows_are_rejected_row_by_row_and_nothing_is_written(
    client: Any, make_user: Any
) -> None:
    user = make_user("badrows")
    before = client.get("/api/v1/experiments?per_page=1", headers=user.headers).json["total"]
    rows = [
        HEADER,
        "P1,A1,Glycerol,2,,,,,mol/kg,10,22,80,%,1",  # good
        "P1,A2,Glycerol,2,,,,,mol/kg,-5,22,80,%,1",  # negative time
        "P1,A3,Glycerol,2,,,,,mol/kg,10,22,120,%,1",  # viability over 100 %
        "P1,A4,Unobtainium,2,,,,,mol/kg,10,22,80,%,1",  # unknown CPA
        "P1,A5,Glycerol,60,Dimethyl sulfoxide,40,,,% w/w,10,22,80,%,1",  # no room for water
        "P1,A6,Glycerol,-1,,,,,mol/kg,10,22,80,%,1",  # negative amount
        "P1,A7,Glycerol,2,,,,,mol/kg,10,22,1.2,fraction,1",  # fraction over 1
    ]
    res = _upload(client, user, ("\n".join(rows) + "\n").encode())
    assert res.status_code == 422, res.json
    found = {(r["row"], r["field"]) for r in res.json["error"]["details"]["rows"]}
    assert found == {
        (3, "exposure_time_min"),
        (4, "viability"),
        (5, "cpa_1"),
        (6, "amount_2"),
        (7, "amount_1"),
        (8, "viability"),
    }
    after = client.get("/api/v1/experiments?per_page=1", headers=user.headers).json["total"]
    assert after == before
    listed = client.get("/api/v1/toxicity-models", headers=user.headers)
    assert listed.status_code == 200
    # No exposure data of this user: a fit is refused in the request, naming the field.
    fit = client.post(
        "/api/v1/toxicity-models", json={"name": "nothing to fit"}, headers=user.headers
    )
    assert fit.status_code == 422 and fit.json["error"]["details"]["field"] == "experiment_ids"


def test_exposure_results_survive_an_edit_through_the_experiments_api(
    client: Any, fitted: dict[str, Any]
) -> None:
    owner, experiment_id = fitted["owner"], fitted["experiment_id"]
    url = f"/api/v1/experiments/{experiment_id}"
    results = client.get(url, headers=owner.headers).json["results"]
    assert all(r["exposure"]["molality_mol_per_kg"] is not None for r in results)
    # The owner corrects one viability and PATCHes the results back, exposures included.
    edited = [dict(r) for r in results]
    edited[0]["value"] = max(edited[0]["value"] - 1.0, 0.0)
    res = client.patch(url, json={"results": edited}, headers=owner.headers)
    assert res.status_code == 200, res.json
    assert [r["exposure"] for r in res.json["results"]] == [r["exposure"] for r in results]
    assert res.json["results"][0]["value"] == pytest.approx(edited[0]["value"])

    # A bad exposure object is a 422 naming the field, and nothing is changed.
    def bad(**exposure: Any) -> Any:
        wrong = [dict(r) for r in edited]
        wrong[2] = {**wrong[2], "exposure": {**wrong[2]["exposure"], **exposure}}
        return client.patch(url, json={"results": wrong}, headers=owner.headers)

    cases: dict[str, dict[str, Any]] = {
        "results[2].exposure.time_s": {"time_s": -1.0},
        "results[2].exposure.temperature_c": {"temperature_c": 95.0},
        "results[2].exposure.molality_mol_per_kg.Unobtainium": {
            "molality_mol_per_kg": {"Unobtainium": 1.0}
        },
        "results[2].exposure.molality_mol_per_kg.Glycerol": {
            "molality_mol_per_kg": {"Glycerol": -0.5}
        },
        "results[2].exposure.plate": {"plate": "P" * 101},
    }
    for field, exposure in cases.items():
        refused = bad(**exposure)
        assert refused.status_code == 422, (field, refused.json)
        assert refused.json["error"]["details"]["field"] == field, refused.json
    wrong_measure = [dict(r) for r in edited]
    wrong_measure[1] = {**wrong_measure[1], "measure": "recovery_percent"}
    refused = client.patch(url, json={"results": wrong_measure}, headers=owner.headers)
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["field"] == "results[1].exposure"
    assert client.get(url, headers=owner.headers).json["results"] == res.json["results"]

    # The edited experiment is still toxicity data: a new fit uses every row.
    started = client.post(
        "/api/v1/toxicity-models",
        json={
            "name": "after the edit",
            "experiment_ids": [experiment_id],
            "terms": {"nonspecific": False, "interactions": False, "temperature": False},
            "n_bootstrap": 20,
        },
        headers=owner.headers,
    )
    assert started.status_code == 202, started.json
    job = _wait(client, owner, started.json["job_id"])
    assert job["status"] == "done", job
    model = client.get(
        f"/api/v1/toxicity-models/{started.json['model']['id']}", headers=owner.headers
    ).json
    assert model["status"] == "ready" and model["training_data"]["row_count"] == 84


def test_a_cancelled_fit_stops_and_fails_its_model(app: Any, client: Any, make_user: Any) -> None:
    from cryoprotect.errors import Cancelled

    owner = make_user("cancelfit")
    imported = _upload(client, owner, _synthetic_csv())
    assert imported.status_code == 201, imported.json
    svc = app.extensions["cryoprotect"]
    pending = svc.toxicity.create_pending(
        owner.actor,
        name="to be cancelled",
        experiment_ids=[uuid.UUID(imported.json["experiment_id"])],
    )
    calls = []

    def cancel() -> None:  # the job's CancelToken.check once the owner asked to stop
        calls.append(1)
        if len(calls) > 3:
            raise Cancelled("cancelled by its owner")

    with pytest.raises(Cancelled):
        svc.toxicity.run_fit(owner.actor, pending.id, cancel=cancel)
    assert len(calls) == 4  # the solver checked between iterations and stopped at once
    model = client.get(f"/api/v1/toxicity-models/{pending.id}", headers=owner.headers).json
    assert model["status"] == "failed" and "cancelled by its owner" in model["error"]


def test_startup_recovery_fails_toxicity_fits_left_training(app: Any, make_user: Any) -> None:
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from cryoprotect.db.database import Identity
    from cryoprotect.db.models import ToxicityModel
    from cryoprotect.services.jobs import MODEL_ORPHANED, recover_interrupted

    db = app.extensions["cryoprotect"].db
    user = make_user("stuckfit")
    old = datetime.now(UTC) - timedelta(days=1)
    with db.transaction(Identity.service()) as session:
        rows = {
            label: ToxicityModel(
                name=f"stuck {label}",
                status=status,
                created_by=user.id,
                visibility="private",
                **({"updated_at": old} if label.startswith("old") else {}),
            )
            for label, status in (
                ("old training", "training"),
                ("old queued", "queued"),
                ("recent training", "training"),
            )
        }
        session.add_all(rows.values())
        session.flush()
        ids = {label: row.id for label, row in rows.items()}

    recovered = recover_interrupted(db, exclusive=False, stale_after_s=3600)
    assert recovered["models"] >= 2
    with db.transaction(Identity.service()) as session:
        found = {
            row.id: (row.status, row.error)
            for row in session.scalars(
                sa.select(ToxicityModel).where(ToxicityModel.id.in_(list(ids.values())))
            )
        }
        session.execute(sa.delete(ToxicityModel).where(ToxicityModel.id.in_(list(ids.values()))))
    assert found[ids["old training"]] == ("failed", MODEL_ORPHANED)
    assert found[ids["old queued"]] == ("failed", MODEL_ORPHANED)
    # recent: another process may still be fitting it (fits are not linked to their job)
    assert found[ids["recent training"]] == ("training", None)
