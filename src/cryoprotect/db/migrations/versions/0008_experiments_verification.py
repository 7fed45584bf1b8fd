"""Experiments with lab verification; protocol designs.

* ``experiments`` gains the operator, a free-text protocol, the biological system (cell
  type, tissue or organ) and attachment metadata.
* Lab verification is enforced by the database, not only by the service:
  - a verification row can be ``pending`` (a request, by someone who may edit the
    experiment) or ``verified``/``rejected`` (a decision, by a team member with the
    *verify* capability who is **not the author**, on a pending team experiment);
  - the decision is copied to ``experiments.verification_status`` by a trigger; nobody
    can set that column to verified/rejected directly;
  - editing the scientific content of a verified (or rejected) experiment sends it back
    to ``pending`` and records why in ``lab_verifications`` (an edit reopens
    verification), so the history shows who changed what and when (with the audit log);
  - verification rows are never updated or deleted.
* ``protocols`` gains the design it came from (target, temperature, limits, costs and
  the comparison protocols) and its toxicity cost, so protocols can be listed and compared
  without re-simulating.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from cryoprotect.db.migration_helpers import EXPERIMENT_GUARD_0008, EXPERIMENT_HISTORY_0008

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FUNCTIONS = (
    EXPERIMENT_GUARD_0008
    + """
-- Who changed what and when, for anyone who can see the experiment (the audit log itself
-- is readable only by each entry's actor).
CREATE OR REPLACE FUNCTION public.experiment_history(exp uuid)
"""
    + EXPERIMENT_HISTORY_0008
    + """
CREATE OR REPLACE FUNCTION public.apply_lab_verification() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF current_setting('cryoprotect.verification_write', true) = 'on' THEN
        RETURN NEW;  -- written by experiment_guard, which sets the status itself
    END IF;
    PERFORM set_config('cryoprotect.verification_write', 'on', true);
    UPDATE public.experiments SET verification_status = NEW.status
    WHERE id = NEW.experiment_id;
    PERFORM set_config('cryoprotect.verification_write', 'off', true);
    RETURN NEW;
END $$;
"""
)

VERIFICATION_INSERT_CHECK = """
created_by = auth.uid() AND EXISTS (
    SELECT 1 FROM public.experiments e
    WHERE e.id = lab_verifications.experiment_id
      AND e.visibility <> 'private'
      AND (
        (lab_verifications.status = 'pending'
         AND lab_verifications.verifier_id IS NULL
         AND auth.can_edit_row(e.created_by, e.team_id, e.visibility))
        OR
        (lab_verifications.status IN ('verified', 'rejected')
         AND lab_verifications.verifier_id = auth.uid()
         AND e.created_by <> auth.uid()
         AND e.verification_status = 'pending'
         AND auth.team_can(e.team_id, 'verify'))
      )
)
"""

OLD_VERIFIER = (
    "EXISTS (SELECT 1 FROM public.experiments e WHERE e.id = lab_verifications.experiment_id "
    "AND e.visibility <> 'private' AND auth.team_can(e.team_id, 'verify'))"
)


def upgrade() -> None:
    op.add_column("experiments", sa.Column("operator", sa.String(200), nullable=True))
    op.add_column("experiments", sa.Column("protocol_text", sa.Text(), nullable=True))
    op.add_column(
        "experiments",
        sa.Column(
            "biological_system", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
    )
    op.add_column(
        "experiments",
        sa.Column("attachments", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.add_column(
        "protocols",
        sa.Column("design", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.add_column("protocols", sa.Column("toxicity_cost", sa.Float(), nullable=True))
    op.add_column("protocols", sa.Column("temperature_c", sa.Float(), nullable=True))
    op.create_index(
        "ix_lab_verifications_experiment_created",
        "lab_verifications",
        ["experiment_id", "created_at"],
    )
    op.execute(FUNCTIONS)
    op.execute(
        "CREATE TRIGGER experiment_guard BEFORE UPDATE ON public.experiments "
        "FOR EACH ROW EXECUTE FUNCTION public.experiment_guard()"
    )
    op.execute(
        "CREATE TRIGGER apply_lab_verification AFTER INSERT ON public.lab_verifications "
        "FOR EACH ROW EXECUTE FUNCTION public.apply_lab_verification()"
    )
    # New experiments start unverified whatever the client sends.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION public.experiment_insert_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF auth.role() <> 'service_role' THEN
                NEW.verification_status := 'unverified';
            END IF;
            RETURN NEW;
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER experiment_insert_guard BEFORE INSERT ON public.experiments "
        "FOR EACH ROW EXECUTE FUNCTION public.experiment_insert_guard()"
    )
    op.execute("DROP POLICY IF EXISTS lab_verifications_insert_policy ON public.lab_verifications")
    op.execute("DROP POLICY IF EXISTS lab_verifications_update_policy ON public.lab_verifications")
    op.execute(
        f"CREATE POLICY lab_verifications_insert_policy ON public.lab_verifications FOR INSERT "
        f"WITH CHECK ({VERIFICATION_INSERT_CHECK})"
    )
    op.execute(
        "CREATE POLICY lab_verifications_update_policy ON public.lab_verifications FOR UPDATE USING (false)"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS lab_verifications_insert_policy ON public.lab_verifications")
    op.execute("DROP POLICY IF EXISTS lab_verifications_update_policy ON public.lab_verifications")
    op.execute(
        f"CREATE POLICY lab_verifications_insert_policy ON public.lab_verifications FOR INSERT "
        f"WITH CHECK (created_by = auth.uid() AND {OLD_VERIFIER})"
    )
    op.execute(
        f"CREATE POLICY lab_verifications_update_policy ON public.lab_verifications FOR UPDATE "
        f"USING (created_by = auth.uid() AND {OLD_VERIFIER}) "
        f"WITH CHECK (created_by = auth.uid() AND {OLD_VERIFIER})"
    )
    op.execute("DROP TRIGGER IF EXISTS experiment_insert_guard ON public.experiments")
    op.execute("DROP TRIGGER IF EXISTS apply_lab_verification ON public.lab_verifications")
    op.execute("DROP TRIGGER IF EXISTS experiment_guard ON public.experiments")
    op.execute("DROP FUNCTION IF EXISTS public.experiment_insert_guard()")
    op.execute("DROP FUNCTION IF EXISTS public.apply_lab_verification()")
    op.execute("DROP FUNCTION IF EXISTS public.experiment_history(uuid)")
    op.execute("DROP FUNCTION IF EXISTS public.experiment_guard()")
    op.drop_index("ix_lab_verifications_experiment_created", table_name="lab_verifications")
    for column in ("temperature_c", "toxicity_cost", "design"):
        op.drop_column("protocols", column)
    for column in ("attachments", "biological_system", "protocol_text", "operator"):
        op.drop_column("experiments", column)
