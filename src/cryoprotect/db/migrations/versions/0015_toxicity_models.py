"""Kinetic toxicity models (issue 16), and the progress of a background job.

* ``toxicity_models``: one version of a named kinetic toxicity model fitted to exposure
  experiments (``db/models/toxicity.py``). It is an owned table like ``predictive_models``
  and gets exactly its row-level security: the policies of 0002 (select / insert /
  update / delete through ``auth.can_view_row`` … ``auth.can_delete_row`` and
  ``auth.team_can``, the ``service_role`` policy), the ``scope_change_guard`` trigger of
  0010 (moving a row to another team or out of every team, or widening its visibility,
  needs authority over the old and the new scope: a teammate who may edit cannot take a
  row out of its team), ``touch_row`` (``updated_at``, ``created_by`` immutable) and the
  audit trigger; the app role gets DML grants only.
* ``jobs.progress`` (0–1, nullable): how far a running job is (a cocktail design reports
  it from the designer's callback); written by the job's thread as the service role, read
  by the job's owner like the rest of the row.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    foreign_key,
    indexes,
    jsonb,
    owned_columns,
    primary_key,
    secure_owned_table,
    unique,
    uuid_id,
)

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLE = "toxicity_models"


def upgrade() -> None:
    op.create_table(
        TABLE,
        uuid_id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        jsonb("spec", "{}"),
        jsonb("model", "{}"),
        jsonb("fit", "{}"),
        jsonb("training_data", "{}"),
        sa.Column("verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("training_seconds", sa.Float(), nullable=True),
        *owned_columns(),
        # owned_checks() builds these two the other way round: 0015 keeps its own order.
        sa.CheckConstraint(
            "visibility IN ('private', 'team', 'public')", name=op.f(f"ck_{TABLE}_visibility")
        ),
        sa.CheckConstraint(
            "visibility <> 'team' OR team_id IS NOT NULL",
            name=op.f(f"ck_{TABLE}_team_visibility_needs_team"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f(f"ck_{TABLE}_version_positive")),
        sa.CheckConstraint(
            "status IN ('queued', 'training', 'ready', 'failed', 'archived')",
            name=op.f(f"ck_{TABLE}_status"),
        ),
        sa.CheckConstraint(
            "progress IS NULL OR (progress >= 0 AND progress <= 1)",
            name=op.f(f"ck_{TABLE}_progress_range"),
        ),
        sa.CheckConstraint(
            "status <> 'ready' OR model <> '{}'::jsonb", name=op.f(f"ck_{TABLE}_ready_has_model")
        ),
        foreign_key(TABLE, "created_by", "auth.users", "RESTRICT"),
        foreign_key(TABLE, "team_id", "teams", "RESTRICT"),
        primary_key(TABLE),
        unique(TABLE, "created_by", "name", "version"),
    )
    indexes(TABLE, "created_by", "team_id", "visibility", "name")

    # Row-level security: exactly the owned-table policies of 0002 (as predictive_models).
    secure_owned_table(TABLE)

    op.execute(
        "ALTER TABLE public.jobs ADD COLUMN IF NOT EXISTS progress double precision "
        "CONSTRAINT ck_jobs_progress_range CHECK (progress IS NULL OR "
        "(progress >= 0 AND progress <= 1))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public.jobs DROP COLUMN IF EXISTS progress")
    op.drop_table(TABLE)  # its indexes, policies, triggers and grants go with it
