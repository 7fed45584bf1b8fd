"""What a :class:`~cryoprotect.services.jobs.JobService` holds (its database, worker slots
and this process's running jobs), and reading a job."""

from __future__ import annotations

import atexit
import threading
import time
import uuid
import weakref
from dataclasses import dataclass

from cryoprotect.db.database import Database
from cryoprotect.db.models import Job
from cryoprotect.errors import NotFound
from cryoprotect.services.actor import Actor
from cryoprotect.services.jobs.process import process_gone
from cryoprotect.services.jobs.records import (
    ENDED,
    MODEL_ORPHANED,
    ORPHANED,
    SHUTDOWN,
    JobRecord,
    end_job,
)
from cryoprotect.services.jobs.token import CancelToken


@dataclass
class Running:
    """A job of this process: its token, its thread and the model it trains."""

    token: CancelToken
    thread: threading.Thread
    model_id: uuid.UUID | None


def _shutdown_at_exit(ref: weakref.ref[JobServiceBase]) -> None:
    service = ref()
    if service is not None:
        service.shutdown()


class JobServiceBase:
    """The state the parts of the job service share, and reading a job (the arguments: see
    :class:`~cryoprotect.services.jobs.JobService`). Every instance is shut down at
    interpreter exit."""

    def __init__(
        self,
        db: Database,
        workers: int = 2,
        *,
        shutdown_timeout_s: float | None = None,
        poll_s: float = 1.0,
    ) -> None:
        self.db = db
        self.shutdown_timeout_s = (
            db.settings.job_shutdown_timeout_s if shutdown_timeout_s is None else shutdown_timeout_s
        )
        self.poll_s = poll_s
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._lock = threading.Lock()
        self._running: dict[uuid.UUID, Running] = {}
        self._closed = False
        self._wake = threading.Event()
        self._monitor: threading.Thread | None = None
        atexit.register(_shutdown_at_exit, weakref.ref(self))

    def shutdown(self, timeout_s: float | None = None, *, reason: str = SHUTDOWN) -> int:
        """Stop this process's jobs (:class:`~cryoprotect.services.jobs.shutdown.JobShutdown`)."""
        raise NotImplementedError

    # ---------------------------------------------------------------------- reading
    def get(self, actor: Actor, job_id: uuid.UUID) -> JobRecord:
        """The job if it is the caller's (RLS), else NotFound."""
        with self.db.transaction(actor.identity) as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound("Job not found.")
            state = JobRecord.of(job)
            worker = job.worker
        if state.status not in ENDED and process_gone(worker):
            status = "cancelled" if state.cancel_requested_at is not None else "failed"
            end_job(self.db, job_id, status, error=ORPHANED, model_error=MODEL_ORPHANED)
            return self.get(actor, job_id)
        return state

    def wait(self, actor: Actor, job_id: uuid.UUID, timeout_s: float = 30.0) -> JobRecord:
        """Block until the job ends (CLI and tests)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.get(actor, job_id)
            if job.status in ENDED:
                return job
            time.sleep(0.05)
        return self.get(actor, job_id)
