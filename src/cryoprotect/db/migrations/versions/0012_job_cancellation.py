"""Cancellable jobs; jobs name the model version they train.

* ``jobs.status`` may be ``cancelled``. ``cancel_requested_at`` and ``cancel_reason`` record a
  request to stop a running job; the process running it polls them, stops the work (a
  training run's worker process is terminated) and ends the job ``cancelled``.
* ``jobs.model_id`` names the model version a training job trains, so a job that ends
  without finishing its model (cancelled, timed out, its process gone) fails the model too
  instead of leaving it ``training`` for good.
* ``public.request_job_cancel(job uuid)`` (SECURITY DEFINER) is the only way the app role
  may change a job: it acts for the job's owner or an active platform administrator and
  for nobody else (no row comes back, as for a job that does not exist). A queued job ends
  ``cancelled`` at once and its model is marked failed; a running job gets
  ``cancel_requested_at``; an ended job is returned unchanged with ``accepted`` false (the
  API answers 409). It returns the job's state without its result. All other writes stay with the service role
  (the policies of 0009 are unchanged).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

from cryoprotect.db.migration_helpers import app_role

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_STATUSES = "('queued', 'running', 'done', 'failed')"
NEW_STATUSES = "('queued', 'running', 'done', 'failed', 'cancelled')"

REQUEST_CANCEL = """
CREATE OR REPLACE FUNCTION public.request_job_cancel(job uuid)
RETURNS TABLE (
    id uuid, kind varchar, status varchar, error text, created_at timestamptz,
    finished_at timestamptz, cancel_requested_at timestamptz, cancel_reason text,
    accepted boolean
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    caller uuid := auth.uid();
    is_admin boolean;
    j public.jobs%ROWTYPE;
    reason text;
    accepted boolean := true;
BEGIN
    IF caller IS NULL THEN
        RETURN;
    END IF;
    SELECT u.is_admin AND u.is_active INTO is_admin FROM auth.users u WHERE u.id = caller;
    SELECT * INTO j FROM public.jobs WHERE jobs.id = job FOR UPDATE;
    IF NOT FOUND OR (j.owner_id IS DISTINCT FROM caller AND NOT coalesce(is_admin, false)) THEN
        RETURN;  -- someone else's job looks exactly like no job
    END IF;
    reason := CASE WHEN j.owner_id = caller THEN 'cancelled by its owner'
                   ELSE 'cancelled by an administrator' END;
    IF j.status = 'queued' THEN
        UPDATE public.jobs SET status = 'cancelled', error = reason, finished_at = now(),
               cancel_requested_at = now(), cancel_reason = reason
        WHERE jobs.id = job RETURNING * INTO j;
        UPDATE public.predictive_models SET status = 'failed', error = reason
        WHERE predictive_models.id = j.model_id
          AND predictive_models.status IN ('queued', 'training');
    ELSIF j.status = 'running' THEN
        IF j.cancel_requested_at IS NULL THEN  -- asking twice is not an error
            UPDATE public.jobs SET cancel_requested_at = now(), cancel_reason = reason
            WHERE jobs.id = job RETURNING * INTO j;
        END IF;
    ELSE
        accepted := false;  -- it has ended: nothing to cancel
    END IF;
    RETURN QUERY SELECT j.id, j.kind, j.status, j.error, j.created_at, j.finished_at,
                        j.cancel_requested_at, j.cancel_reason, accepted;
END $$;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE public.jobs ADD COLUMN cancel_requested_at timestamptz")
    op.execute("ALTER TABLE public.jobs ADD COLUMN cancel_reason text")
    op.execute(
        "ALTER TABLE public.jobs ADD COLUMN model_id uuid "
        "CONSTRAINT fk_jobs_model_id_predictive_models "
        "REFERENCES public.predictive_models (id) ON DELETE SET NULL"
    )
    op.execute("CREATE INDEX ix_jobs_model_id ON public.jobs (model_id)")
    op.execute("ALTER TABLE public.jobs DROP CONSTRAINT ck_jobs_status")
    op.execute(
        f"ALTER TABLE public.jobs ADD CONSTRAINT ck_jobs_status CHECK (status IN {NEW_STATUSES})"
    )
    op.execute(REQUEST_CANCEL)
    op.execute("REVOKE ALL ON FUNCTION public.request_job_cancel(uuid) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION public.request_job_cancel(uuid) TO {app_role()}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS public.request_job_cancel(uuid)")
    # 0009 knows no 'cancelled': such jobs are recorded as failed, with their reason.
    op.execute(
        "UPDATE public.jobs SET status = 'failed', "
        "error = coalesce(error, cancel_reason, 'cancelled') WHERE status = 'cancelled'"
    )
    op.execute("ALTER TABLE public.jobs DROP CONSTRAINT ck_jobs_status")
    op.execute(
        f"ALTER TABLE public.jobs ADD CONSTRAINT ck_jobs_status CHECK (status IN {OLD_STATUSES})"
    )
    op.execute("DROP INDEX IF EXISTS public.ix_jobs_model_id")
    for column in ("model_id", "cancel_reason", "cancel_requested_at"):
        op.execute(f"ALTER TABLE public.jobs DROP COLUMN {column}")
