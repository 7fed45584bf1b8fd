"""The job service: running, cancelling, shutting down and reading jobs in one object."""

from __future__ import annotations

from cryoprotect.services.jobs.runner import JobRunner
from cryoprotect.services.jobs.shutdown import JobShutdown


class JobService(JobRunner, JobShutdown):
    """Runs, cancels and reports background jobs.

    Args:
        db: the database.
        workers: jobs run at the same time in this process (others wait, ``queued``).
        shutdown_timeout_s: how long :meth:`shutdown` waits for cancelled jobs to stop;
            default ``db.settings.job_shutdown_timeout_s``.
        poll_s: how often this process looks for cancel requests of its running jobs.
    """
