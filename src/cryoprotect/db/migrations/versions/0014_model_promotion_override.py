"""A model version records why it was made active despite not beating its baselines.

* ``predictive_models.promotion_override`` (JSONB, nullable): set when a version whose
  cross-validated error is not better than its baselines (or has no such comparison) is
  made active with an explicit override — ``{"forced": true, "reason", "by", "at",
  "not_better_than_baseline", "statement"}``; cleared when a version that beats its
  baselines is promoted. The row's update is also in the audit log (the table's
  ``audit_row`` trigger), so every override stays on record.

The column inherits the table's grants and row-level security policies (a user can set
it only where they may update the row).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE public.predictive_models ADD COLUMN IF NOT EXISTS promotion_override JSONB"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public.predictive_models DROP COLUMN IF EXISTS promotion_override")
