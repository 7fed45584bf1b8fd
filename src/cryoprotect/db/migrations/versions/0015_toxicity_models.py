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
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLE = "toxicity_models"


def _app_role() -> str:
    role = str(context.config.attributes.get("app_role", "cryoprotect_app"))
    if not role.replace("_", "").isalnum():
        raise ValueError(f"invalid app role name {role!r}")
    return role


def _policy(name: str, command: str, *, using: str | None = None, check: str | None = None) -> None:
    sql = f"CREATE POLICY {TABLE}_{name} ON public.{TABLE} FOR {command}"
    if using is not None:
        sql += f" USING ({using})"
    if check is not None:
        sql += f" WITH CHECK ({check})"
    op.execute(f"DROP POLICY IF EXISTS {TABLE}_{name} ON public.{TABLE}")
    op.execute(sql)


def _json_column(name: str) -> sa.Column[dict[str, object]]:
    return sa.Column(name, JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False)


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("status", sa.String(16), server_default="queued", nullable=False),
        _json_column("spec"),
        _json_column("model"),
        _json_column("fit"),
        _json_column("training_data"),
        sa.Column("verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("training_seconds", sa.Float(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("visibility", sa.String(16), server_default="private", nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
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
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["auth.users.id"],
            name=op.f(f"fk_{TABLE}_created_by_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f(f"fk_{TABLE}_team_id_teams"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint(
            "created_by", "name", "version", name=op.f(f"uq_{TABLE}_created_by_name_version")
        ),
    )
    for column in ("created_by", "team_id", "visibility", "name"):
        op.create_index(op.f(f"ix_{TABLE}_{column}"), TABLE, [column])

    # Row-level security: exactly the owned-table policies of 0002 (as predictive_models).
    op.execute(f"ALTER TABLE public.{TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE public.{TABLE} FORCE ROW LEVEL SECURITY")
    service = "auth.role() = 'service_role'"
    _policy("service_role_policy", "ALL", using=service, check=service)
    _policy("select_policy", "SELECT", using="auth.can_view_row(created_by, team_id, visibility)")
    _policy("insert_policy", "INSERT", check="auth.can_insert_row(created_by, team_id)")
    _policy(
        "update_policy",
        "UPDATE",
        using="auth.can_edit_row(created_by, team_id, visibility)",
        check="auth.can_edit_row(created_by, team_id, visibility) "
        "AND (team_id IS NULL OR auth.team_can(team_id, 'create'))",
    )
    _policy("delete_policy", "DELETE", using="auth.can_delete_row(created_by, team_id, visibility)")
    op.execute(
        f"CREATE TRIGGER touch_row BEFORE UPDATE ON public.{TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION public.touch_row()"
    )
    op.execute(
        f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON public.{TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION public.audit_row()"
    )
    op.execute(
        f"CREATE TRIGGER scope_change_guard BEFORE UPDATE OF team_id, visibility "
        f"ON public.{TABLE} FOR EACH ROW EXECUTE FUNCTION public.scope_change_guard()"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON public.{TABLE} TO {_app_role()}")

    op.execute(
        "ALTER TABLE public.jobs ADD COLUMN IF NOT EXISTS progress double precision "
        "CONSTRAINT ck_jobs_progress_range CHECK (progress IS NULL OR "
        "(progress >= 0 AND progress <= 1))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public.jobs DROP COLUMN IF EXISTS progress")
    op.drop_table(TABLE)  # its indexes, policies, triggers and grants go with it
