"""Stopping this process's jobs when the process stops (SIGTERM, worker exit, interpreter exit)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType

import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import Job
from cryoprotect.services.jobs.base import JobServiceBase
from cryoprotect.services.jobs.records import ACTIVE, SHUTDOWN, end_job

logger = logging.getLogger(__package__)


class JobShutdown(JobServiceBase):
    """:meth:`shutdown` and the SIGTERM handler that calls it."""

    def shutdown(self, timeout_s: float | None = None, *, reason: str = SHUTDOWN) -> int:
        """Cancel this process's jobs and wait (bounded) for them to stop.

        New jobs are refused from now on. A job that has not stopped within ``timeout_s``
        (default ``shutdown_timeout_s``) is recorded failed; its thread dies with the
        process. Idempotent.

        Returns:
            How many jobs were running or queued here.
        """
        timeout_s = self.shutdown_timeout_s if timeout_s is None else timeout_s
        with self._lock:
            if self._closed:
                return 0  # the first call did (or is doing) the work
            self._closed = True
            running = dict(self._running)
        self._wake.set()
        if not running:
            return 0
        logger.info("stopping %d background job(s) before exit", len(running))
        for job in running.values():
            job.token.cancel(reason)
        try:
            with self.db.transaction(Identity.service()) as session:
                session.execute(
                    sa.update(Job)
                    .where(
                        Job.id.in_(list(running)),
                        Job.status.in_(ACTIVE),
                        Job.cancel_requested_at.is_(None),
                    )
                    .values(cancel_requested_at=sa.func.now(), cancel_reason=reason)
                )
        except Exception:
            logger.warning("could not record the cancel requests of shutdown", exc_info=True)
        deadline = time.monotonic() + timeout_s
        for job in running.values():
            job.thread.join(max(0.0, deadline - time.monotonic()))
        for job_id, job in running.items():
            if job.thread.is_alive():
                try:
                    end_job(
                        self.db,
                        job_id,
                        "failed",
                        error=f"{reason}; it did not stop within {timeout_s:g} s",
                    )
                except Exception:
                    logger.warning("could not record job %s as stopped", job_id, exc_info=True)
        return len(running)

    def stop_jobs_on_sigterm(self) -> None:
        """On SIGTERM, first :meth:`shutdown`, then whatever handled SIGTERM before.

        For ``serve`` (the development server): the previous handler is the embedded
        server's (stop PostgreSQL, exit 0); without one the process then dies of SIGTERM
        as it would have. Only the main thread can install signal handlers.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            self.shutdown()
            if callable(previous):
                previous(signum, frame)
            else:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGTERM, on_sigterm)
