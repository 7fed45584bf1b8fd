"""Background jobs for work that must not block a request (full substructure counts, …).

A small in-process executor: each job has an owner, a status (queued, running, done,
failed), a result and timestamps; only its owner can read it. Jobs live as long as the
process (they are recomputable), which is what a count or a search needs.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryoprotect.errors import CryoprotectError, NotFound
from cryoprotect.services.actor import Actor

_MAX_KEPT = 1000


@dataclass
class Job:
    id: uuid.UUID
    kind: str
    owner: uuid.UUID | None
    status: str = "queued"
    result: Any = None
    error: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


class JobService:
    def __init__(self, workers: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cp-job")
        self._jobs: dict[uuid.UUID, Job] = {}
        self._lock = threading.Lock()

    def submit(self, actor: Actor, kind: str, fn: Callable[[], Any]) -> dict[str, Any]:
        job = Job(id=uuid.uuid4(), kind=kind, owner=actor.user_id)
        with self._lock:
            if len(self._jobs) >= _MAX_KEPT:
                finished = [j for j in self._jobs.values() if j.finished_at is not None]
                for old in sorted(finished, key=lambda j: j.created_at)[: len(finished) // 2]:
                    del self._jobs[old.id]
            self._jobs[job.id] = job

        def run() -> None:
            job.status = "running"
            try:
                job.result = fn()
                job.status = "done"
            except CryoprotectError as exc:
                job.error, job.status = exc.message, "failed"
            except Exception as exc:  # noqa: BLE001 - reported to the job's owner, and logged
                job.error, job.status = f"internal error: {type(exc).__name__}", "failed"
                raise
            finally:
                job.finished_at = datetime.now(UTC)

        self._executor.submit(run)
        return job.as_dict()

    def get(self, actor: Actor, job_id: uuid.UUID) -> dict[str, Any]:
        job = self._jobs.get(job_id)
        if job is None or job.owner != actor.user_id:
            raise NotFound("Job not found.")
        return job.as_dict()

    def wait(self, actor: Actor, job_id: uuid.UUID, timeout_s: float = 30.0) -> dict[str, Any]:
        """Block until the job ends (CLI and tests)."""
        import time

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.get(actor, job_id)
            if job["status"] in ("done", "failed"):
                return job
            time.sleep(0.02)
        return self.get(actor, job_id)
