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
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "jobs"


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
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f(f"ck_{TABLE}_status")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["auth.users.id"],
            name=op.f(f"fk_{TABLE}_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(f"ix_{TABLE}_owner_id", TABLE, ["owner_id"])
    op.create_index(f"ix_{TABLE}_created_at", TABLE, ["created_at"])
    op.execute(f"ALTER TABLE public.{TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE public.{TABLE} FORCE ROW LEVEL SECURITY")
    service = "auth.role() = 'service_role'"
    _policy("service_role_policy", "ALL", using=service, check=service)
    _policy("select_policy", "SELECT", using="owner_id = auth.uid()")
    _policy("insert_policy", "INSERT", check="false")
    _policy("update_policy", "UPDATE", using="false")
    _policy("delete_policy", "DELETE", using="false")
    op.execute(
        f"CREATE TRIGGER touch_row BEFORE UPDATE ON public.{TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION public.touch_row()"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON public.{TABLE} TO {_app_role()}")


def downgrade() -> None:
    op.drop_table(TABLE)  # its indexes, policies, trigger and grants go with it
