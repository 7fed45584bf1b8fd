"""Experiments through the API: CRUD, visibility, lab verification, history, CSV import,
predicted vs measured and verified datasets."""

from __future__ import annotations

import io
import uuid

import pytest

pytestmark = pytest.mark.integration


def _mixture(client, user, name=None, visibility="private", team_id=None):
    res = client.post(
        "/api/v1/mixtures",
        json={
            "name": name or f"exp-mix-{uuid.uuid4().hex[:8]}",
            "components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}],
            "carrier": "isotonic saline",
            "visibility": visibility,
            "team_id": str(team_id) if team_id else None,
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return res.json


def _experiment(client, user, **extra):
    body = {
        "title": f"exp-{uuid.uuid4().hex[:8]}",
        "results": [{"measure": "viability_percent", "value": 72.5, "replicates": 3, "sd": 4.1}],
        **extra,
    }
    res = client.post("/api/v1/experiments", json=body, headers=user.headers)
    assert res.status_code == 201, res.json
    return res.json


def test_create_records_everything_and_cites_the_mixture_version(client, make_user):
    alice = make_user("alice")
    mixture = _mixture(client, alice)
    exp = _experiment(
        client,
        alice,
        mixture_id=mixture["id"],
        biological_system={"kind": "cell", "name": "HepG2", "species": "human"},
        conditions={
            "cooling_rate_c_per_min": 1.0,
            "warming_rate_c_per_min": 100.0,
            "storage_temperature_c": -196.0,
            "storage_duration_h": 168.0,
            "step_temperatures_c": [22.0, 4.0],
            "method": "slow cooling",
        },
        performed_on="2026-11-01",
        operator="A. Researcher",
        notes="thawed in 37 °C bath",
        attachments=[{"filename": "plate1.csv", "content_type": "text/csv", "size_bytes": 1200}],
        protocol_text="10 % DMSO added in one step at 4 °C, 10 min hold",
    )
    assert exp["mixture_version"] == 1
    assert exp["mixture_name"] == mixture["name"]
    assert exp["verification_status"] == "unverified"
    assert exp["conditions"]["step_temperatures_c"] == [22.0, 4.0]
    assert exp["results"][0] == {
        "measure": "viability_percent",
        "value": 72.5,
        "unit": "%",
        "replicates": 3,
        "sd": 4.1,
    }
    # The mixture changes later; the experiment still cites version 1.
    edit = client.patch(
        f"/api/v1/mixtures/{mixture['id']}",
        json={"components": [{"name": "Dimethyl sulfoxide", "amount": 15, "unit": "% v/v"}]},
        headers=alice.headers,
    )
    assert edit.status_code == 200
    again = client.get(f"/api/v1/experiments/{exp['id']}", headers=alice.headers)
    assert again.json["mixture_version"] == 1


@pytest.mark.parametrize(
    ("result", "field"),
    [
        ({"measure": "viability_percent", "value": 120}, "results[0].value"),
        ({"measure": "viability_percent", "value": 50, "unit": "mg"}, "results[0].unit"),
        ({"measure": "ice_observed", "value": 3}, "results[0].value"),
        ({"measure": "function_assay", "value": 3, "unit": "U/mL"}, "results[0].assay"),
    ],
)
def test_bad_results_are_rejected_with_the_field(client, make_user, result, field):
    alice = make_user("alice")
    res = client.post(
        "/api/v1/experiments", json={"title": "bad", "results": [result]}, headers=alice.headers
    )
    assert res.status_code == 422, res.json
    assert res.json["error"]["details"]["field"] == field
    listed = client.get("/api/v1/experiments?q=bad", headers=alice.headers)
    assert all(e["title"] != "bad" for e in listed.json["items"])


def test_bad_mixture_version_and_condition(client, make_user):
    alice = make_user("alice")
    mixture = _mixture(client, alice)
    res = client.post(
        "/api/v1/experiments",
        json={"title": "x", "mixture_id": mixture["id"], "mixture_version": 7},
        headers=alice.headers,
    )
    assert res.status_code == 422
    assert res.json["error"]["details"]["field"] == "mixture_version"
    res = client.post(
        "/api/v1/experiments",
        json={"title": "x", "conditions": {"storage_temperature_c": -400}},
        headers=alice.headers,
    )
    assert res.status_code == 422
    assert res.json["error"]["details"]["field"] == "conditions.storage_temperature_c"


def test_private_experiments_are_invisible_to_others(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    exp = _experiment(client, alice)
    assert client.get(f"/api/v1/experiments/{exp['id']}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/experiments/{exp['id']}").status_code == 404
    res = client.patch(
        f"/api/v1/experiments/{exp['id']}", json={"title": "stolen"}, headers=bob.headers
    )
    assert res.status_code == 404


def test_verification_workflow(client, make_user, make_team):
    author, verifier, viewer = make_user("author"), make_user("verifier"), make_user("viewer")
    team = make_team(author, verifier=[verifier], viewer=[viewer])
    exp = _experiment(client, author, visibility="team", team_id=str(team))
    eid = exp["id"]

    # Not yet submitted: a verifier cannot decide.
    res = client.post(
        f"/api/v1/experiments/{eid}/verification",
        json={"status": "verified"},
        headers=verifier.headers,
    )
    assert res.status_code == 409

    res = client.post(f"/api/v1/experiments/{eid}/submit", json={}, headers=author.headers)
    assert res.status_code == 200, res.json
    assert res.json["verification_status"] == "pending"

    # The author cannot verify their own experiment (author is the team admin, who can verify).
    res = client.post(
        f"/api/v1/experiments/{eid}/verification",
        json={"status": "verified"},
        headers=author.headers,
    )
    assert res.status_code == 403
    assert "own experiment" in res.json["error"]["message"]
    # A viewer has no verify capability.
    res = client.post(
        f"/api/v1/experiments/{eid}/verification",
        json={"status": "verified"},
        headers=viewer.headers,
    )
    assert res.status_code == 403
    # Nobody can set the status by editing.
    res = client.patch(
        f"/api/v1/experiments/{eid}",
        json={"verification_status": "verified"},
        headers=author.headers,
    )
    assert res.status_code == 422

    # The verification queue shows it to the verifier only.
    queue = client.get("/api/v1/experiments?awaiting_me=true", headers=verifier.headers)
    assert eid in [e["id"] for e in queue.json["items"]]
    queue = client.get("/api/v1/experiments?awaiting_me=true", headers=author.headers)
    assert eid not in [e["id"] for e in queue.json["items"]]

    res = client.post(
        f"/api/v1/experiments/{eid}/verification",
        json={"status": "verified", "notes": "counts re-done", "equipment": "Countess II"},
        headers=verifier.headers,
    )
    assert res.status_code == 200, res.json
    assert res.json["verification_status"] == "verified"
    assert (
        client.get(f"/api/v1/experiments/{eid}/verification", headers=verifier.headers).status_code
        == 405
    )

    # Editing a verified experiment reopens verification.
    res = client.patch(
        f"/api/v1/experiments/{eid}",
        json={"results": [{"measure": "viability_percent", "value": 60.0, "replicates": 3}]},
        headers=author.headers,
    )
    assert res.status_code == 200, res.json
    assert res.json["verification_status"] == "pending"

    history = client.get(f"/api/v1/experiments/{eid}/history", headers=viewer.headers)
    assert history.status_code == 200
    statuses = [v["status"] for v in history.json["verifications"]]
    assert statuses == ["pending", "verified", "pending"]
    decided = history.json["verifications"][1]
    assert decided["verifier_id"] == str(verifier.id)
    assert decided["equipment"] == "Countess II"
    assert decided["verified_at"] is not None
    assert "results" in history.json["verifications"][2]["notes"]
    edits = [c for c in history.json["changes"] if "results" in c["changes"]]
    assert edits and edits[-1]["actor_id"] == str(author.id)
    assert edits[-1]["changes"]["results"]["old"][0]["value"] == 72.5

    # Rejection needs a reason; then the verifier rejects.
    res = client.post(
        f"/api/v1/experiments/{eid}/verification",
        json={"status": "rejected"},
        headers=verifier.headers,
    )
    assert res.status_code == 422
    assert res.json["error"]["details"]["field"] == "notes"
    res = client.post(
        f"/api/v1/experiments/{eid}/verification",
        json={"status": "rejected", "notes": "no replicate data"},
        headers=verifier.headers,
    )
    assert res.json["verification_status"] == "rejected"


def test_private_experiment_cannot_be_submitted(client, make_user):
    alice = make_user("alice")
    exp = _experiment(client, alice)
    res = client.post(f"/api/v1/experiments/{exp['id']}/submit", json={}, headers=alice.headers)
    assert res.status_code == 422
    assert res.json["error"]["details"]["field"] == "visibility"


def test_verified_experiment_cannot_be_deleted(client, make_user, make_team):
    author, verifier = make_user("author"), make_user("verifier")
    team = make_team(author, verifier=[verifier])
    exp = _experiment(client, author, visibility="team", team_id=str(team), submit=True)
    client.post(
        f"/api/v1/experiments/{exp['id']}/verification",
        json={"status": "verified"},
        headers=verifier.headers,
    )
    res = client.delete(f"/api/v1/experiments/{exp['id']}", headers=author.headers)
    assert res.status_code == 409


def test_database_blocks_self_verification_even_without_the_service(app, make_user, make_team):
    """The rule lives in RLS: a direct insert by the author is refused by PostgreSQL."""
    from cryoprotect.db.models import LabVerification
    from cryoprotect.errors import PermissionDenied

    client = app.test_client()
    author = make_user("author")
    team = make_team(author)
    exp = _experiment(client, author, visibility="team", team_id=str(team), submit=True)
    db = app.extensions["cryoprotect"].db
    with pytest.raises(PermissionDenied):
        with db.transaction(author.actor.identity) as session:
            session.add(
                LabVerification(
                    experiment_id=uuid.UUID(exp["id"]),
                    status="verified",
                    verifier_id=author.id,
                    created_by=author.id,
                )
            )
            session.flush()


def test_csv_import_reports_each_row(client, make_user):
    alice = make_user("alice")
    mixture = _mixture(client, alice)
    existing = _experiment(client, alice)
    title = f"import-{uuid.uuid4().hex[:6]}"
    csv_text = (
        "experiment_id,title,mixture,measure,value,unit,replicates,sd,assay\n"
        f"{existing['id']},,,recovery_percent,81,%,3,2.5,\n"
        f",{title},{mixture['name']},viability_percent,64,%,4,,\n"
        f",{title},{mixture['name']},ice_observed,no,,1,,\n"
        f",{title},,viability_percent,140,%,1,,\n"
        f",{title},,function_assay,2.1,ug/h,2,,albumin secretion\n"
        f"{uuid.uuid4()},,,viability_percent,50,%,1,,\n"
    )
    res = client.post(
        "/api/v1/experiments/import",
        data={"file": (io.BytesIO(csv_text.encode()), "results.csv")},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert res.status_code == 200, res.json
    report = res.json
    assert report["total"] == 6
    assert report["rejected_count"] == 2
    assert report["experiments_created"] == 1 and report["experiments_updated"] == 1
    rejected = {r["row"]: r for r in report["rows"] if r["status"] == "rejected"}
    assert rejected[5]["field"] == "value"
    assert rejected[7]["field"] == "experiment_id"
    new_id = next(r["experiment_id"] for r in report["rows"] if r["row"] == 3)
    created = client.get(f"/api/v1/experiments/{new_id}", headers=alice.headers).json
    assert created["mixture_id"] == mixture["id"]
    assert [r["measure"] for r in created["results"]] == [
        "viability_percent",
        "ice_observed",
        "function_assay",
    ]
    updated = client.get(f"/api/v1/experiments/{existing['id']}", headers=alice.headers).json
    assert [r["measure"] for r in updated["results"]] == ["viability_percent", "recovery_percent"]


def test_csv_import_atomic_writes_nothing_on_error(client, make_user):
    alice = make_user("alice")
    title = f"atomic-{uuid.uuid4().hex[:6]}"
    csv_text = (
        "title,measure,value,unit\n"
        f"{title},viability_percent,50,%\n"
        f"{title},viability_percent,abc,%\n"
    )
    res = client.post(
        "/api/v1/experiments/import",
        data={"file": (io.BytesIO(csv_text.encode()), "r.csv"), "atomic": "true"},
        headers=alice.headers,
        content_type="multipart/form-data",
    )
    assert res.status_code == 200
    assert res.json["written"] == 0
    listed = client.get(f"/api/v1/experiments?q={title}", headers=alice.headers)
    assert listed.json["total"] == 0


def test_predicted_vs_measured_and_summary(app, client):
    from tests.conftest import train_model_via_api

    headers, model_id = train_model_via_api(app, "pvm")

    class _User:  # the model's owner, as the helpers above expect
        pass

    owner = _User()
    owner.headers = headers  # type: ignore[attr-defined]
    mixture = _mixture(client, owner)
    pred = client.post(
        f"/api/v1/predictive-models/{model_id}/predict",
        json={"mixture_id": mixture["id"]},
        headers=headers,
    )
    assert pred.status_code == 200, pred.json
    exp = _experiment(client, owner, mixture_id=mixture["id"])
    res = client.get(f"/api/v1/experiments/{exp['id']}/predicted-vs-measured", headers=headers)
    assert res.status_code == 200
    [row] = res.json["comparisons"]
    assert row["measured"] == 72.5
    assert row["predicted"] == pytest.approx(pred.json["value"])
    assert row["error"] == pytest.approx(pred.json["value"] - 72.5)
    assert row["inside_interval"] == (pred.json["lower"] <= 72.5 <= pred.json["upper"])
    summary = client.get("/api/v1/experiments/prediction-summary", headers=headers).json
    mine = [m for m in summary["models"] if m["model_id"] == model_id]
    assert mine and mine[0]["n"] == 1
    assert mine[0]["mae"] == pytest.approx(abs(row["error"]))


def test_only_verified_experiments_feed_a_verified_dataset(client, make_user, make_team):
    author, verifier = make_user("author"), make_user("verifier")
    team = make_team(author, verifier=[verifier])
    # team experiments cite team mixtures: the verifier must see what they verify (0010)
    mixtures = [_mixture(client, author, visibility="team", team_id=team) for _ in range(3)]
    ids = []
    for i, m in enumerate(mixtures):
        exp = _experiment(
            client,
            author,
            mixture_id=m["id"],
            visibility="team",
            team_id=str(team),
            submit=True,
            results=[{"measure": "viability_percent", "value": 50.0 + i}],
        )
        ids.append(exp["id"])
    for eid in ids[:2]:
        client.post(
            f"/api/v1/experiments/{eid}/verification",
            json={"status": "verified"},
            headers=verifier.headers,
        )
    res = client.post(
        "/api/v1/experiments/dataset",
        json={
            "name": f"verified-{uuid.uuid4().hex[:6]}",
            "measure": "viability_percent",
            "team_id": str(team),
        },
        headers=author.headers,
    )
    assert res.status_code == 201, res.json
    assert res.json["row_count"] == 2
    res = client.post(
        "/api/v1/experiments/dataset",
        json={
            "name": f"all-{uuid.uuid4().hex[:6]}",
            "measure": "viability_percent",
            "team_id": str(team),
            "verified_only": False,
        },
        headers=author.headers,
    )
    assert res.json["row_count"] == 3
