"""Jobs can be stopped (issue 12, finding 7) and training is bounded (finding 3).

* ``POST /api/v1/jobs/{id}/cancel``: the owner or an administrator (202), nobody else (404),
  never an ended job (409); a cancelled training job ends ``cancelled``, its worker process
  is gone and its model is failed, not ``training``.
* A cancel request made through another process (another ``JobService``) reaches the job
  through the database.
* Training beyond its time limit is terminated and the model marked failed with the reason.
* More rows than an algorithm accepts is a 400 naming the field and the cap.
* At startup, jobs whose process has gone end, and the models they left ``training`` fail.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import Job, PredictiveModel
from cryoprotect.services.jobs import JobService

pytestmark = pytest.mark.integration

MODELS = "/api/v1/predictive-models"
JOBS = "/api/v1/jobs"
WAIT_S = 120


def freezing_records(n: int, *, groups: int = 8) -> list[dict[str, Any]]:
    """``n`` glycerol/DMSO solutions with a freezing point each (distinct rows)."""
    return [
        {
            "id": f"r{i}",
            "group": f"batch-{i % groups}",
            "targets": {"tm_c": round(-1.86 * (0.05 * (i % 40) + 0.01 * (i // 40)), 4)},
            "components": [
                {"name": "Glycerol", "amount": round(0.05 * (i % 40) + 0.01, 4), "unit": "mol/kg"},
                {
                    "name": "Dimethyl sulfoxide",
                    "amount": round(0.01 * (i // 40) + 0.01, 4),
                    "unit": "mol/kg",
                },
            ],
        }
        for i in range(n)
    ]


def upload(client: Any, user: Any, n: int) -> str:
    res = client.post(
        "/api/v1/datasets",
        json={"name": f"freezing {uuid.uuid4().hex[:8]}", "records": freezing_records(n)},
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return str(res.json["id"])


def start_training(client: Any, user: Any, dataset_id: str, algorithm: str) -> dict[str, Any]:
    res = client.post(
        MODELS,
        json={"dataset": dataset_id, "target": "tm_c", "algorithm": algorithm},
        headers=user.headers,
    )
    assert res.status_code == 202, res.json
    return dict(res.json)


def wait_for(client: Any, user: Any, job_id: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        job = client.get(f"{JOBS}/{job_id}", headers=user.headers).json
        if job["status"] in statuses:
            return dict(job)
        time.sleep(0.1)
    pytest.fail(f"job {job_id} never reached {statuses}: {job}")


def training_workers() -> list[psutil.Process]:
    """This process's spawned worker processes (multiprocessing 'spawn' children)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.fixture
def slow_dataset(client: Any, make_user: Any) -> tuple[Any, str]:
    """A user and a dataset on which a Gaussian process trains for minutes (600 rows)."""
    user = make_user("slow")
    return user, upload(client, user, 600)


@pytest.fixture
def admin(app: Any, client: Any) -> dict[str, str]:
    email = f"jobs-admin-{uuid.uuid4().hex[:10]}@example.org"
    app.extensions["cryoprotect"].auth.register(email, "administrator password", admin=True)
    login = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "administrator password"}
    )
    assert login.status_code == 200, login.json
    return {"Authorization": f"Bearer {login.json['access_token']}"}


def test_owner_cancels_a_training_job(client, slow_dataset) -> None:
    user, dataset_id = slow_dataset
    started = start_training(client, user, dataset_id, "gaussian_process")
    job_id, model_id = started["job_id"], started["model"]["id"]
    wait_for(client, user, job_id, ("running",))

    res = client.post(f"{JOBS}/{job_id}/cancel", headers=user.headers)
    assert res.status_code == 202, res.json
    assert res.json["id"] == job_id and res.json["status"] in ("running", "cancelled")
    assert res.json["cancel_requested_at"] is not None

    job = wait_for(client, user, job_id, ("done", "failed", "cancelled"))
    assert job["status"] == "cancelled", job
    assert "cancelled by its owner" in job["error"]
    model = client.get(f"{MODELS}/{model_id}", headers=user.headers).json
    assert model["status"] == "failed", model
    assert "cancelled by its owner" in model["error"]
    # The worker process training it was stopped.
    assert psutil.wait_procs(training_workers(), timeout=30)[1] == []
    # Cancelling it again: it has ended.
    again = client.post(f"{JOBS}/{job_id}/cancel", headers=user.headers)
    assert again.status_code == 409, again.json
    assert again.json["error"]["details"]["status"] == "cancelled"


def test_nobody_else_may_cancel_but_an_administrator(
    client, make_user, admin, slow_dataset
) -> None:
    user, dataset_id = slow_dataset
    stranger = make_user("stranger")
    started = start_training(client, user, dataset_id, "gaussian_process")
    job_id, model_id = started["job_id"], started["model"]["id"]
    wait_for(client, user, job_id, ("running",))

    refused = client.post(f"{JOBS}/{job_id}/cancel", headers=stranger.headers)
    assert refused.status_code == 404, refused.json
    assert client.post(f"{JOBS}/{job_id}/cancel").status_code == 401
    assert client.post(f"{JOBS}/{uuid.uuid4()}/cancel", headers=admin).status_code == 404
    assert client.get(f"{JOBS}/{job_id}", headers=user.headers).json["status"] == "running"

    res = client.post(f"{JOBS}/{job_id}/cancel", headers=admin)
    assert res.status_code == 202, res.json
    assert res.json["result"] is None
    job = wait_for(client, user, job_id, ("done", "failed", "cancelled"))
    assert job["status"] == "cancelled" and "administrator" in job["error"]
    model = client.get(f"{MODELS}/{model_id}", headers=user.headers).json
    assert model["status"] == "failed" and "administrator" in model["error"]


def test_an_ended_job_cannot_be_cancelled(app, client, make_user) -> None:
    user = make_user("ended")
    jobs = app.extensions["cryoprotect"].jobs
    job = jobs.wait(user.actor, jobs.submit(user.actor, "sum", lambda: 3).id, timeout_s=30)
    assert job.status == "done"
    res = client.post(f"{JOBS}/{job.id}/cancel", headers=user.headers)
    assert res.status_code == 409, res.json
    assert res.json["error"]["code"] == "conflict"
    assert client.get(f"{JOBS}/{job.id}", headers=user.headers).json["result"] == 3


def test_the_app_role_cannot_mark_a_job_cancelled_itself(db, make_user) -> None:
    """Only public.request_job_cancel changes a job for a user: a direct UPDATE is refused."""
    user = make_user("direct")
    job_id = JobService(db).submit(user.actor, "sum", lambda: 1).id
    with db.transaction(user.actor.identity) as session:
        changed = session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(status="cancelled", cancel_requested_at=sa.func.now())
        ).rowcount
    assert changed == 0  # RLS: no UPDATE policy lets the app role touch a job


def test_a_cancel_request_reaches_the_job_through_the_database(db, make_user) -> None:
    """The job runs in one process (JobService A); the request is made in another (B)."""
    user = make_user("twoprocs")
    running = JobService(db, poll_s=0.1)
    checks: list[int] = []

    def cooperative(cancel: Any) -> dict[str, int]:
        while True:  # a long import, say: checks its token between batches
            checks.append(1)
            cancel.check()
            time.sleep(0.05)

    job_id = running.submit(user.actor, "batches", cooperative).id
    deadline = time.monotonic() + WAIT_S
    while running.get(user.actor, job_id).status != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    other = JobService(db)
    state = other.cancel(user.actor, job_id)
    assert state.status == "running" and state.cancel_requested_at is not None
    job = running.wait(user.actor, job_id, timeout_s=WAIT_S)
    assert job.status == "cancelled" and job.error == "cancelled by its owner"
    assert checks


def test_a_cancelled_queued_job_never_runs(db, make_user) -> None:
    user = make_user("queued")
    jobs = JobService(db, workers=1)
    gate = threading.Event()
    ran: list[str] = []
    first = jobs.submit(user.actor, "blocker", lambda: gate.wait(WAIT_S)).id
    second = jobs.submit(user.actor, "never", lambda: ran.append("ran")).id
    state = jobs.cancel(user.actor, second)
    assert state.status == "cancelled" and state.finished_at is not None
    gate.set()
    assert jobs.wait(user.actor, first, timeout_s=WAIT_S).status == "done"
    assert jobs.wait(user.actor, second, timeout_s=WAIT_S).status == "cancelled"
    time.sleep(0.5)
    assert ran == []


def test_shutdown_cancels_running_jobs(db, make_user) -> None:
    from cryoprotect.errors import Cancelled

    user = make_user("shutdown")
    jobs = JobService(db, shutdown_timeout_s=30)

    def cooperative(cancel: Any) -> None:
        while not cancel.wait(0.05):
            pass
        raise Cancelled(cancel.reason)

    job_id = jobs.submit(user.actor, "loop", cooperative).id
    assert jobs.shutdown() == 1
    job = jobs.get(user.actor, job_id)
    assert job.status == "cancelled" and job.error is not None
    assert "server shut down" in job.error


def test_training_past_its_time_limit_is_stopped(settings, db, make_user) -> None:
    from cryoprotect.app import create_app

    app = create_app(replace(settings, training_timeout_s=0.5), db)
    client = app.test_client()
    user = make_user("slowpoke")
    dataset_id = upload(client, user, 60)
    started = start_training(client, user, dataset_id, "ridge")
    job = app.extensions["cryoprotect"].jobs.wait(
        user.actor, uuid.UUID(started["job_id"]), timeout_s=WAIT_S
    )
    assert job.status == "failed", job
    assert job.error is not None and "time limit of 0.5 s" in job.error
    model = client.get(f"{MODELS}/{started['model']['id']}", headers=user.headers).json
    assert model is not None
    assert model["status"] == "failed" and "time limit" in model["error"]
    assert psutil.wait_procs(training_workers(), timeout=30)[1] == []


def test_more_rows_than_the_algorithm_accepts_is_a_400(client, make_user) -> None:
    user = make_user("big")
    dataset_id = upload(client, user, 2001)
    res = client.post(
        MODELS,
        json={"dataset": dataset_id, "target": "tm_c", "algorithm": "gaussian_process"},
        headers=user.headers,
    )
    assert res.status_code == 400, res.json
    error = res.json["error"]
    assert error["code"] == "limit_exceeded"
    assert error["details"]["field"] == "dataset"
    assert error["details"]["max_rows"] == 2000 and error["details"]["rows"] == 2001
    assert "2,000" in error["message"]
    listed = client.get(f"{MODELS}?per_page=100", headers=user.headers).json["items"]
    assert [m for m in listed if m["created_by"] == str(user.id)] == [], "nothing registered"


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def _model(session: Any, owner: uuid.UUID, dataset_id: uuid.UUID, **values: Any) -> uuid.UUID:
    row = PredictiveModel(
        name=f"stuck-{uuid.uuid4().hex[:8]}",
        algorithm="ridge",
        target="viability_percent",
        dataset_id=dataset_id,
        status="training",
        created_by=owner,
        visibility="private",
        **values,
    )
    session.add(row)
    session.flush()
    return row.id


def test_startup_recovery_fails_models_left_training(db, make_user) -> None:
    from cryoprotect.db.models import Dataset
    from cryoprotect.services.jobs import recover_interrupted

    user = make_user("orphans")
    host = socket.gethostname()
    with db.transaction(Identity.service()) as session:
        dataset_id = session.scalar(sa.select(Dataset.id).where(Dataset.visibility == "public"))
        orphan_model = _model(session, user.id, dataset_id)
        live_model = _model(session, user.id, dataset_id)
        old = datetime.now(UTC) - timedelta(days=1)
        abandoned_model = _model(session, user.id, dataset_id, updated_at=old)
        recent_model = _model(session, user.id, dataset_id)
        orphan_job, live_job = uuid.uuid4(), uuid.uuid4()
        session.add_all(
            [
                Job(
                    id=orphan_job,
                    kind="train_model",
                    owner_id=user.id,
                    status="running",
                    worker=f"{host}:{_dead_pid()}",
                    model_id=orphan_model,
                ),
                Job(
                    id=live_job,
                    kind="train_model",
                    owner_id=user.id,
                    status="running",
                    worker=f"{host}:{psutil.Process().pid}",  # this process: alive
                    model_id=live_model,
                ),
            ]
        )

    recovered = recover_interrupted(db, exclusive=False, stale_after_s=3600)
    assert recovered["jobs"] >= 1 and recovered["models"] >= 2

    with db.transaction(Identity.service()) as session:
        status = dict(
            session.execute(
                sa.select(PredictiveModel.id, PredictiveModel.status).where(
                    PredictiveModel.id.in_(
                        [orphan_model, live_model, abandoned_model, recent_model]
                    )
                )
            ).all()
        )
        errors = dict(
            session.execute(
                sa.select(PredictiveModel.id, PredictiveModel.error).where(
                    PredictiveModel.id.in_([orphan_model, abandoned_model])
                )
            ).all()
        )
        jobs = dict(
            session.execute(
                sa.select(Job.id, Job.status).where(Job.id.in_([orphan_job, live_job]))
            ).all()
        )
        # leave nothing 'running' behind for other tests
        session.execute(sa.update(Job).where(Job.id == live_job).values(status="failed"))
        session.execute(
            sa.update(PredictiveModel)
            .where(PredictiveModel.id.in_([live_model, recent_model]))
            .values(status="failed")
        )
    assert jobs == {orphan_job: "failed", live_job: "running"}
    assert status[orphan_model] == "failed"  # its job's process is gone
    assert status[abandoned_model] == "failed"  # no job, untouched for longer than the limit
    assert status[live_model] == "training"  # its job's process is alive
    assert status[recent_model] == "training"  # no job, but recent: another process's
    for model_id in (orphan_model, abandoned_model):
        assert "the process training it stopped" in errors[model_id]
