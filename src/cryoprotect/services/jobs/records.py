"""A job's row: its states, what its owner sees (:class:`JobRecord`), and ending it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Job, PredictiveModel
from cryoprotect.errors import CryoprotectError

ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled")
ORPHANED = "the process running this job has exited; start the job again"
MODEL_ORPHANED = "the process training it stopped before it finished; train it again"
SHUTDOWN = "cancelled: the server shut down while this job was running"
#: Grace added to the training time limit before a model still ``training`` with no live
#: job is considered abandoned (when another process may share the database).
STALE_GRACE_S = 300.0


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
            fail_model(session, model_id[0], model_error or error or status)
    return True


def fail_model(session: Any, model_id: uuid.UUID, error: str) -> int:
    """Mark a model version failed if it is still queued or training; 1 if it was."""
    failed = session.execute(
        sa.update(PredictiveModel)
        .where(PredictiveModel.id == model_id, PredictiveModel.status.in_(("queued", "training")))
        .values(status="failed", error=error[:2000])
        .returning(PredictiveModel.id)
    ).all()
    return len(failed)
