"""Background jobs for work that must not block a request (full substructure counts, model
training, …).

A job runs in a thread of the process that accepted it; its status (queued, running, done,
failed), result and error are kept in the ``jobs`` table, so with several web workers a
client polling ``/api/v1/jobs/{id}`` gets the same answer from any of them. Only the job's
owner can read it (row-level security); the worker thread writes as the service role. A job
whose process has gone (a restarted or killed worker on this machine) is reported as failed
rather than running forever.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Job
from cryoprotect.errors import CryoprotectError, NotFound
from cryoprotect.services.actor import Actor

logger = logging.getLogger(__name__)

ENDED = ("done", "failed")


def _this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(worker: str | None) -> bool:
    """True when ``worker`` names a process of this machine that no longer exists."""
    if not worker or ":" not in worker:
        return False
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: it cannot be checked from here
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _as_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "result": job.result,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


class JobService:
    def __init__(self, db: Database, workers: int = 2) -> None:
        self.db = db
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cp-job")

    def _update(self, job_id: uuid.UUID, **values: Any) -> None:
        with self.db.transaction(Identity.service()) as session:
            session.execute(sa.update(Job).where(Job.id == job_id).values(**values))

    def submit(self, actor: Actor, kind: str, fn: Callable[[], Any]) -> dict[str, Any]:
        """Record the job, start it in this process, and return its (queued) state."""
        job_id = uuid.uuid4()
        with self.db.transaction(Identity.service()) as session:
            job = Job(id=job_id, kind=kind, owner_id=actor.user_id, worker=_this_worker())
            session.add(job)
            session.flush()
            session.refresh(job)
            queued = _as_dict(job)

        def run() -> None:
            self._update(job_id, status="running")
            try:
                result = fn()
            except CryoprotectError as exc:
                self._update(job_id, status="failed", error=exc.message, finished_at=sa.func.now())
            except Exception as exc:
                self._update(
                    job_id,
                    status="failed",
                    error=f"internal error: {type(exc).__name__}",
                    finished_at=sa.func.now(),
                )
                logger.exception("job %s (%s) failed", job_id, kind)
            else:
                self._update(job_id, status="done", result=result, finished_at=sa.func.now())

        self._executor.submit(run)
        return queued

    def get(self, actor: Actor, job_id: uuid.UUID) -> dict[str, Any]:
        """The job if it is the caller's (RLS), else NotFound."""
        with self.db.transaction(actor.identity) as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound("Job not found.")
            state = _as_dict(job)
            worker = job.worker
        if state["status"] not in ENDED and _process_gone(worker):
            message = "the process running this job has exited; start the job again"
            self._update(job_id, status="failed", error=message, finished_at=sa.func.now())
            return self.get(actor, job_id)
        return state

    def wait(self, actor: Actor, job_id: uuid.UUID, timeout_s: float = 30.0) -> dict[str, Any]:
        """Block until the job ends (CLI and tests)."""
        import time

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.get(actor, job_id)
            if job["status"] in ENDED:
                return job
            time.sleep(0.05)
        return self.get(actor, job_id)
