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

Modules: :mod:`.records` (states, :class:`JobRecord`, ending a job), :mod:`.process` (which
process runs a job), :mod:`.token` (:class:`CancelToken`), :mod:`.runner` (submit and run),
:mod:`.cancellation` (cancel requests), :mod:`.shutdown`, :mod:`.recovery`
(:func:`recover_interrupted`) and :mod:`.service` (:class:`JobService`: all of them).
"""

from cryoprotect.services.jobs.base import JobServiceBase, Running
from cryoprotect.services.jobs.cancellation import JobCancellation
from cryoprotect.services.jobs.process import process_gone, start_ticks, this_worker
from cryoprotect.services.jobs.records import (
    ACTIVE,
    ENDED,
    MODEL_ORPHANED,
    ORPHANED,
    SHUTDOWN,
    STALE_GRACE_S,
    JobRecord,
    end_job,
    error_result,
    fail_model,
)
from cryoprotect.services.jobs.recovery import recover_interrupted
from cryoprotect.services.jobs.runner import JobRunner, accepts
from cryoprotect.services.jobs.service import JobService
from cryoprotect.services.jobs.shutdown import JobShutdown
from cryoprotect.services.jobs.token import CancelToken

__all__ = [
    "ACTIVE",
    "ENDED",
    "MODEL_ORPHANED",
    "ORPHANED",
    "SHUTDOWN",
    "STALE_GRACE_S",
    "CancelToken",
    "JobCancellation",
    "JobRecord",
    "JobRunner",
    "JobService",
    "JobServiceBase",
    "JobShutdown",
    "Running",
    "accepts",
    "end_job",
    "error_result",
    "fail_model",
    "process_gone",
    "recover_interrupted",
    "start_ticks",
    "this_worker",
]
