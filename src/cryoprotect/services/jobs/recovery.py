"""At startup: end the jobs whose process has gone and fail the models they left behind."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Job, PredictiveModel, ToxicityModel
from cryoprotect.services.jobs.process import process_gone
from cryoprotect.services.jobs.records import (
    ACTIVE,
    MODEL_ORPHANED,
    ORPHANED,
    STALE_GRACE_S,
    fail_model,
)

logger = logging.getLogger(__package__)


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
        orphans = [row for row in active if exclusive or process_gone(row.worker)]
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
                failed += fail_model(session, row.model_id, MODEL_ORPHANED)
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
