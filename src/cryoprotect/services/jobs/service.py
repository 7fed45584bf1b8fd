"""The job service: running, cancelling, shutting down and reading jobs in one object."""

from __future__ import annotations

import atexit
import weakref

from cryoprotect.db.database import Database
from cryoprotect.services.jobs.runner import JobRunner
from cryoprotect.services.jobs.shutdown import JobShutdown


def _shutdown_at_exit(ref: weakref.ref[JobService]) -> None:
    service = ref()
    if service is not None:
        service.shutdown()


class JobService(JobRunner, JobShutdown):
    """Runs, cancels and reports background jobs.

    Args:
        db: the database.
        workers: jobs run at the same time in this process (others wait, ``queued``).
        shutdown_timeout_s: how long :meth:`shutdown` waits for cancelled jobs to stop;
            default ``db.settings.job_shutdown_timeout_s``.
        poll_s: how often this process looks for cancel requests of its running jobs.
    """

    def __init__(
        self,
        db: Database,
        workers: int = 2,
        *,
        shutdown_timeout_s: float | None = None,
        poll_s: float = 1.0,
    ) -> None:
        super().__init__(db, workers, shutdown_timeout_s=shutdown_timeout_s, poll_s=poll_s)
        atexit.register(_shutdown_at_exit, weakref.ref(self))
