"""Background jobs in the database, so any web worker can answer for any job.

A job (a full substructure count, a model training run, …) still runs in a thread of the
process that accepted it, but its status, result and error live in ``jobs``: with several
gunicorn workers, a client polling ``/api/v1/jobs/{id}`` may reach any of them. Rows are
readable only by the job's owner (RLS); the worker thread writes them as the service role.
``worker`` names the process running it, so a job whose process died can be reported.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from cryoprotect.db.migration_helpers import (
    app_role,
    foreign_key,
    grant_dml,
    indexes,
    primary_key,
    rls_policies,
    timestamps,
    touch_row_trigger,
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "jobs"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        sa.Column("result", JSONB(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        *timestamps(),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f(f"ck_{TABLE}_status")
        ),
        foreign_key(TABLE, "owner_id", "auth.users", "CASCADE"),
        primary_key(TABLE),
    )
    indexes(TABLE, "owner_id", "created_at")
    rls_policies(TABLE, select="owner_id = auth.uid()", insert="false", delete="false")
    touch_row_trigger(TABLE)
    grant_dml(TABLE, app_role())


def downgrade() -> None:
    op.drop_table(TABLE)  # its indexes, policies, trigger and grants go with it
