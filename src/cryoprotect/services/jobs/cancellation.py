"""Cancelling a job: the owner's request, and this process watching for requests."""

from __future__ import annotations

import logging
import threading
import uuid

import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import Job
from cryoprotect.errors import Conflict, NotFound
from cryoprotect.services.actor import Actor
from cryoprotect.services.jobs.base import JobServiceBase
from cryoprotect.services.jobs.records import JobRecord

logger = logging.getLogger(__package__)


class JobCancellation(JobServiceBase):
    """Cancel requests: :meth:`cancel`, and the thread that polls for them."""

    def cancel(self, actor: Actor, job_id: uuid.UUID) -> JobRecord:
        """Ask a queued or running job to stop (the database decides who may).

        Returns:
            The job's state (a queued job is already ``cancelled``; a running one shows
            ``cancel_requested_at`` and ends ``cancelled`` shortly).

        Raises:
            NotFound: no such job, or not the caller's and the caller is no administrator.
            Conflict: the job has already ended.
        """
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            row = session.execute(
                sa.text("SELECT * FROM public.request_job_cancel(:job)"), {"job": job_id}
            ).first()
        if row is None:
            raise NotFound("Job not found.")
        if not row.accepted:
            raise Conflict(
                f"The job has already ended ({row.status}); there is nothing to cancel.",
                details={"status": row.status},
            )
        with self._lock:
            running = self._running.get(job_id)
        if running is not None:  # ours: stop it now rather than at the next poll
            running.token.cancel(row.cancel_reason or "cancelled")
        return JobRecord.of(row)

    def _ensure_monitor(self) -> None:
        with self._lock:
            if self._monitor is not None and self._monitor.is_alive():
                return
            self._monitor = threading.Thread(
                target=self._watch_cancel_requests, name="cp-job-cancel-watch", daemon=True
            )
            self._monitor.start()

    def _watch_cancel_requests(self) -> None:
        """Poll the database for cancel requests of this process's running jobs."""
        while True:
            self._wake.wait(self.poll_s)
            with self._lock:
                tokens = {k: r.token for k, r in self._running.items() if not r.token.is_set()}
                if not tokens and self._closed:
                    return
            if not tokens:
                continue
            try:
                with self.db.transaction(Identity.service()) as session:
                    requested = session.execute(
                        sa.select(Job.id, Job.cancel_reason).where(
                            Job.id.in_(list(tokens)), Job.cancel_requested_at.is_not(None)
                        )
                    ).all()
            except Exception:  # the database is briefly away: look again later
                logger.warning("could not poll job cancel requests", exc_info=True)
                continue
            for job_id, reason in requested:
                tokens[job_id].cancel(reason or "cancelled")
