"""Background jobs kept in the database: owner-only, readable from any process, and a job
whose process died is reported as failed instead of running forever."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import Job
from cryoprotect.errors import NotFound
from cryoprotect.services.jobs import JobService

pytestmark = pytest.mark.integration


def test_a_job_is_its_owners_only_and_survives_in_the_database(db, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    jobs = JobService(db)
    started = jobs.submit(alice.actor, "sum", lambda: {"total": sum(range(10))})
    done = jobs.wait(alice.actor, started.id, timeout_s=30)
    assert done.status == "done" and done.result == {"total": 45}
    assert done.finished_at is not None
    # Another JobService (another worker process) reads the same job from the database.
    assert JobService(db).get(alice.actor, started.id).result == {"total": 45}
    with pytest.raises(NotFound):
        jobs.get(bob.actor, started.id)


def test_a_failing_job_reports_its_error(db, make_user):
    from cryoprotect.errors import ValidationError

    alice = make_user("alice")
    jobs = JobService(db)

    def fails() -> None:
        raise ValidationError("no such pattern", field="query")

    state = jobs.wait(alice.actor, jobs.submit(alice.actor, "bad", fails).id, timeout_s=30)
    assert state.status == "failed" and state.error == "no such pattern"


def test_a_job_whose_process_died_is_reported_failed(db, make_user):
    alice = make_user("alice")
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(finished.stdout)  # that process has exited
    job_id = uuid.uuid4()
    with db.transaction(Identity.service()) as session:
        session.add(
            Job(
                id=job_id,
                kind="orphan",
                owner_id=alice.id,
                status="running",
                worker=f"{socket.gethostname()}:{dead_pid}",
            )
        )
    state = JobService(db).get(alice.actor, job_id)
    assert state.status == "failed"
    assert state.error is not None and "exited" in state.error
    with db.transaction(Identity.service()) as session:
        assert session.scalar(sa.select(Job.status).where(Job.id == job_id)) == "failed"


def test_the_app_role_cannot_write_jobs_directly(db, make_user):
    from cryoprotect.errors import PermissionDenied

    alice = make_user("alice")
    with pytest.raises(PermissionDenied):
        with db.transaction(alice.actor.identity) as session:
            session.add(Job(id=uuid.uuid4(), kind="forged", owner_id=alice.id, status="done"))
            session.flush()
