"""Background jobs for work that must not block a request (full substructure counts, model
training, …): run, cancel, shut down, recover.

A job runs in a thread of the process that accepted it (at most ``workers`` at a time); its
status (queued, running, done, failed, cancelled), result and error are kept in the ``jobs``
table, so with several web workers a client polling ``/api/v1/jobs/{id}`` gets the same
answer from any of them. Only the job's owner can read it (row-level security); the job's
thread writes it as the service role.

Stopping a job:

* **Cancel.** ``POST /api/v1/jobs/{id}/cancel`` calls ``public.request_job_cancel`` (the
  database decides: the owner or an administrator): a queued job ends ``cancelled`` at
  once, a running one gets ``cancel_requested_at``. The process running it polls that flag
  and sets the job's :class:`CancelToken`; a job function that takes a ``cancel`` argument
  receives the token and stops at its next check (training terminates its worker process),
  and the job ends ``cancelled`` with the reason.
* **Shutdown.** :meth:`JobService.shutdown` (SIGTERM of ``serve``, gunicorn's
  ``worker_exit``, interpreter exit) cancels every job of this process and waits for them at
  most ``job_shutdown_timeout_s``; a job that has not stopped by then is recorded failed.
  Job threads never keep the process alive.
* **Recovery.** A job whose process has gone (a killed worker) is reported failed by
  :meth:`JobService.get`; at startup :func:`recover_interrupted` ends such jobs and fails the
  model versions left ``queued``/``training`` without a live job. A job names the model it
  trains (``model_id``), so ending a job unfinished fails its model too.
"""

from __future__ import annotations

import atexit
import inspect
import json
import logging
import os
import signal
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from types import FrameType
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Job, PredictiveModel, ToxicityModel
from cryoprotect.errors import Cancelled, Conflict, CryoprotectError, NotFound
from cryoprotect.services.actor import Actor

logger = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled")
ORPHANED = "the process running this job has exited; start the job again"
MODEL_ORPHANED = "the process training it stopped before it finished; train it again"
SHUTDOWN = "cancelled: the server shut down while this job was running"
#: Grace added to the training time limit before a model still ``training`` with no live
#: job is considered abandoned (when another process may share the database).
STALE_GRACE_S = 300.0


# ------------------------------------------------------------------ process identity
def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        stat = open(f"/proc/{pid}/stat", encoding="ascii").read()  # noqa: SIM115
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def _this_worker() -> str:
    ticks = _start_ticks(os.getpid())
    base = f"{socket.gethostname()}:{os.getpid()}"
    return f"{base}:{ticks}" if ticks else base


def _process_gone(worker: str | None) -> bool:
    """True when ``worker`` names a process of this machine that no longer exists.

    ``worker`` is ``host:pid`` or ``host:pid:start_ticks``; with the start time a pid
    reused by another process (a restarted container) is recognised as gone.
    """
    if not worker or ":" not in worker:
        return False
    host, pid, *rest = worker.split(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: it cannot be checked from here
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists (another user's process): compare start times below
    if rest and rest[0]:
        ticks = _start_ticks(int(pid))
        return ticks is not None and ticks != rest[0]
    return False


# ------------------------------------------------------------------------ the token
class CancelToken:
    """Set when a job should stop; job functions poll :meth:`is_set` or call :meth:`check`.

    Attributes:
        reason: why (``cancelled by its owner``, ``… the server shut down …``).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        """Ask the job to stop (the first reason is kept)."""
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout_s: float) -> bool:
        return self._event.wait(timeout_s)

    def check(self) -> None:
        """Raise :class:`Cancelled` once the job should stop."""
        if self._event.is_set():
            raise Cancelled(self.reason or "cancelled")


def _accepts(fn: Callable[..., Any], parameter: str) -> bool:
    try:
        return parameter in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _accepts_cancel(fn: Callable[..., Any]) -> bool:
    return _accepts(fn, "cancel")


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job's state as its owner sees it (``result``: the answer once it is ``done``; a
    ``failed`` job's structured error from :func:`error_result`, or None)."""

    id: uuid.UUID
    kind: str
    status: str
    result: Any
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    cancel_requested_at: datetime | None
    progress: float | None = None

    @classmethod
    def of(cls, job: Any) -> JobRecord:
        """From a ``jobs`` row (ORM row or result row of ``request_job_cancel``)."""
        values: dict[str, Any] = {f.name: getattr(job, f.name, None) for f in fields(cls)}
        return cls(**values)


def error_result(exc: CryoprotectError) -> dict[str, Any] | None:
    """A failed job's structured error, ``{"error": {"code", "details"}}``, stored as its
    ``result`` so that clients can read e.g. which constraint binds; None when the error has
    no details or they are not plain JSON."""
    if not exc.details:
        return None
    try:
        json.dumps(exc.details, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return {"error": {"code": exc.code, "details": exc.details}}


def end_job(
    db: Database,
    job_id: uuid.UUID,
    status: str,
    *,
    error: str | None = None,
    result: Any = None,
    model_error: str | None = None,
) -> bool:
    """End a job that is still queued or running, and fail its model unless it is done.

    One transaction as the service role. Returns False when the job had already ended
    (nothing is changed then).
    """
    with db.transaction(Identity.service()) as session:
        model_id = session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status.in_(ACTIVE))
            .values(status=status, error=error, result=result, finished_at=sa.func.now())
            .returning(Job.model_id)
        ).first()
        if model_id is None:
            return False
        if model_id[0] is not None and status != "done":
            _fail_model(session, model_id[0], model_error or error or status)
    return True


def _fail_model(session: Any, model_id: uuid.UUID, error: str) -> int:
    """Mark a model version failed if it is still queued or training; 1 if it was."""
    failed = session.execute(
        sa.update(PredictiveModel)
        .where(PredictiveModel.id == model_id, PredictiveModel.status.in_(("queued", "training")))
        .values(status="failed", error=error[:2000])
        .returning(PredictiveModel.id)
    ).all()
    return len(failed)


def recover_interrupted(
    db: Database, *, exclusive: bool, stale_after_s: float | None = None
) -> dict[str, int]:
    """At startup: end the jobs whose process has gone and fail the models they left behind.

    Args:
        db: the database (written as the service role).
        exclusive: this process owns the database alone (the embedded server it just
            started), so no other process can be running a job: every queued or running
            job is orphaned, and so is every model still ``queued``/``training``.
        stale_after_s: when not exclusive, a model ``queued``/``training`` with no live job
            is failed only once it has not changed for this long (the training time limit
            plus a grace; by then any run of it has ended). Default: this database's
            ``training_timeout_s`` + :data:`STALE_GRACE_S`.

    Returns:
        ``{"jobs": n, "models": m}``: how many were ended / failed.
    """
    if stale_after_s is None:
        stale_after_s = db.settings.training_timeout_s + STALE_GRACE_S
    with db.transaction(Identity.service()) as session:
        active = session.execute(
            sa.select(Job.id, Job.worker, Job.cancel_requested_at, Job.model_id)
            .where(Job.status.in_(ACTIVE))
            .with_for_update(skip_locked=True)
        ).all()
        orphans = [row for row in active if exclusive or _process_gone(row.worker)]
        failed = 0
        for row in orphans:
            cancelled = row.cancel_requested_at is not None
            session.execute(
                sa.update(Job)
                .where(Job.id == row.id)
                .values(
                    status="cancelled" if cancelled else "failed",
                    error=ORPHANED,
                    finished_at=sa.func.now(),
                )
            )
            if row.model_id is not None:
                failed += _fail_model(session, row.model_id, MODEL_ORPHANED)
        live_job = (
            sa.select(Job.id)
            .where(Job.model_id == PredictiveModel.id, Job.status.in_(ACTIVE))
            .exists()
        )
        stale = sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, stale_after_s)

        def fail_stuck(model: type[PredictiveModel | ToxicityModel], *where: Any) -> int:
            """Fail the ``queued``/``training`` rows of ``model`` (when not exclusive: only
            those unchanged for ``stale_after_s``); how many."""
            stuck = sa.update(model).where(model.status.in_(("queued", "training")), *where)
            if not exclusive:
                stuck = stuck.where(model.updated_at < stale)
            values = stuck.values(status="failed", error=MODEL_ORPHANED)
            return len(session.execute(values.returning(model.id)).all())

        failed += fail_stuck(PredictiveModel, ~live_job)
        # Toxicity fits (issue 16) are not linked to their job: the same staleness rule.
        failed += fail_stuck(ToxicityModel)
    if orphans or failed:
        logger.warning(
            "recovered interrupted work: %d job(s) ended, %d model(s) marked failed",
            len(orphans),
            failed,
        )
    return {"jobs": len(orphans), "models": failed}


# ------------------------------------------------------------------------ the service
def _shutdown_at_exit(ref: weakref.ref[JobService]) -> None:
    service = ref()
    if service is not None:
        service.shutdown()


@dataclass
class _Running:
    token: CancelToken
    thread: threading.Thread
    model_id: uuid.UUID | None


class JobService:
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
        self.db = db
        self.shutdown_timeout_s = (
            db.settings.job_shutdown_timeout_s if shutdown_timeout_s is None else shutdown_timeout_s
        )
        self.poll_s = poll_s
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._lock = threading.Lock()
        self._running: dict[uuid.UUID, _Running] = {}
        self._closed = False
        self._wake = threading.Event()
        self._monitor: threading.Thread | None = None
        atexit.register(_shutdown_at_exit, weakref.ref(self))

    # -------------------------------------------------------------- submit and run
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
                worker=_this_worker(),
                model_id=model_id,
            )
            session.add(job)
            session.flush()
            session.refresh(job)
            queued = JobRecord.of(job)
        token = CancelToken()
        thread = threading.Thread(
            target=self._run,
            args=(job_id, kind, fn, token),
            name=f"cp-job-{kind}",
            daemon=True,  # a job never keeps the process alive; shutdown() ends them
        )
        with self._lock:
            self._running[job_id] = _Running(token, thread, model_id)
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
        kwargs: dict[str, Any] = {"cancel": token} if _accepts_cancel(fn) else {}
        if _accepts(fn, "progress"):
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

    # --------------------------------------------------------------- cancellation
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

    # -------------------------------------------------------------------- shutdown
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

    # ---------------------------------------------------------------------- reading
    def get(self, actor: Actor, job_id: uuid.UUID) -> JobRecord:
        """The job if it is the caller's (RLS), else NotFound."""
        with self.db.transaction(actor.identity) as session:
            job = session.get(Job, job_id)
            if job is None:
                raise NotFound("Job not found.")
            state = JobRecord.of(job)
            worker = job.worker
        if state.status not in ENDED and _process_gone(worker):
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
