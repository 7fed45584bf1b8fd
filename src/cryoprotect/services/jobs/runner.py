"""Running a job: record it, start its thread, wait for a worker slot, call the work and
record how it ended."""

from __future__ import annotations

import inspect
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Identity
from cryoprotect.db.models import Job
from cryoprotect.errors import Cancelled, Conflict, CryoprotectError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import inserted
from cryoprotect.services.jobs.base import Running
from cryoprotect.services.jobs.cancellation import JobCancellation
from cryoprotect.services.jobs.process import this_worker
from cryoprotect.services.jobs.records import JobRecord, end_job, error_result
from cryoprotect.services.jobs.token import CancelToken

logger = logging.getLogger(__package__)


def accepts(fn: Callable[..., Any], parameter: str) -> bool:
    """True when ``fn`` has a parameter named ``parameter``."""
    try:
        return parameter in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class JobRunner(JobCancellation):
    """Submits jobs and runs them in threads of this process."""

    def submit(
        self,
        actor: Actor,
        kind: str,
        fn: Callable[..., Any],
        *,
        model_id: uuid.UUID | None = None,
    ) -> JobRecord:
        """Record the job, start it in this process, and return its (queued) state.

        Args:
            actor: the job's owner.
            kind: what it does (``train_model``, ``substructure_count``, …).
            fn: the work; its return value (JSON) is the job's result. When it has a
                parameter named ``cancel`` it is called with the job's :class:`CancelToken`
                and should stop (raise :class:`~cryoprotect.errors.Cancelled`, e.g. via
                ``cancel.check()``) once it is set — between batches, folds, …
                When it has a parameter named ``progress`` it gets a ``progress(fraction)``
                callable that records how far it is (``jobs.progress``, 0–1).
            model_id: the model version the job trains (failed if the job ends unfinished).
        """
        if self._closed:
            raise Conflict("The server is shutting down; start the job again in a moment.")
        job_id = uuid.uuid4()
        with self.db.transaction(Identity.service()) as session:
            job = Job(
                id=job_id,
                kind=kind,
                owner_id=actor.user_id,
                worker=this_worker(),
                model_id=model_id,
            )
            queued = JobRecord.of(inserted(session, job))
        token = CancelToken()
        thread = threading.Thread(
            target=self._run,
            args=(job_id, kind, fn, token),
            name=f"cp-job-{kind}",
            daemon=True,  # a job never keeps the process alive; shutdown() ends them
        )
        with self._lock:
            self._running[job_id] = Running(token, thread, model_id)
        thread.start()
        self._ensure_monitor()
        return queued

    def _run(
        self, job_id: uuid.UUID, kind: str, fn: Callable[..., Any], token: CancelToken
    ) -> None:
        acquired = False
        try:
            while not (acquired := self._slots.acquire(timeout=0.2)):
                if token.is_set():
                    break
            if token.is_set():
                end_job(self.db, job_id, "cancelled", error=token.reason)
                return
            with self.db.transaction(Identity.service()) as session:
                started = session.execute(
                    sa.update(Job)
                    .where(Job.id == job_id, Job.status == "queued")
                    .values(status="running")
                    .returning(Job.id)
                ).first()
            if started is None:  # cancelled while queued (or recovered as orphaned)
                return
            self._execute(job_id, kind, fn, token)
        except Exception:
            logger.exception("job %s (%s): could not record its state", job_id, kind)
        finally:
            if acquired:
                self._slots.release()
            with self._lock:
                self._running.pop(job_id, None)

    def _execute(
        self, job_id: uuid.UUID, kind: str, fn: Callable[..., Any], token: CancelToken
    ) -> None:
        kwargs: dict[str, Any] = {"cancel": token} if accepts(fn, "cancel") else {}
        if accepts(fn, "progress"):
            kwargs["progress"] = self._progress_writer(job_id)
        try:
            result = fn(**kwargs)
        except Cancelled as exc:
            end_job(self.db, job_id, "cancelled", error=exc.message)
        except CryoprotectError as exc:
            end_job(self.db, job_id, "failed", error=exc.message, result=error_result(exc))
        except Exception as exc:
            end_job(self.db, job_id, "failed", error=f"internal error: {type(exc).__name__}")
            logger.exception("job %s (%s) failed", job_id, kind)
        else:
            end_job(self.db, job_id, "done", result=result)

    def _progress_writer(self, job_id: uuid.UUID) -> Callable[[float], None]:
        """``progress(fraction)`` for a job function: stored in ``jobs.progress`` (0-1) at
        most every 5 % (a failed write is logged, never raised into the work)."""
        last = [-1.0]

        def write(fraction: float) -> None:
            value = min(max(float(fraction), 0.0), 1.0)
            if value - last[0] < 0.05 and value < 1.0:
                return
            last[0] = value
            try:
                with self.db.transaction(Identity.service()) as session:
                    session.execute(
                        sa.update(Job)
                        .where(Job.id == job_id, Job.status == "running")
                        .values(progress=value)
                    )
            except Exception:
                logger.warning("could not record the progress of job %s", job_id, exc_info=True)

        return write
