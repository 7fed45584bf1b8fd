"""The transaction that wrote each audit row, for a change feed that cannot miss a change.

``audit_log.xact_id`` (bigint, NOT NULL): the writing transaction's 64-bit id
(``pg_current_xact_id()``, PostgreSQL >= 13; the top-level id inside a savepoint), set by
the column default, so ``public.audit_row()`` — the only writer — is unchanged. The search
indexes' change feed (``services/molecule_index.py``, ``search/feed.py``) keeps the
snapshot it last read (``pg_current_snapshot()``) and asks for the rows of transactions
that snapshot did not show; before, it re-read a fixed window of 5,000 audit ids behind
its cursor and silently missed a transaction held open while more than 5,000 other
changes committed.

Stored as bigint (``pg_current_xact_id()::text::bigint``; an xid8 exceeds bigint only
after 2^63 transactions) so the ORM, the schema health check and backups need no custom
type. Rows written before this migration read 0 (a constant default: no table rewrite):
their transactions ended before any snapshot the feed will take. The index on
``(table_name, xact_id)`` makes the feed's read an index probe.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CURRENT_XACT_ID = "(pg_current_xact_id()::text)::bigint"


def upgrade() -> None:
    op.execute(
        "ALTER TABLE public.audit_log ADD COLUMN IF NOT EXISTS xact_id bigint NOT NULL DEFAULT 0"
    )
    op.execute(f"ALTER TABLE public.audit_log ALTER COLUMN xact_id SET DEFAULT {CURRENT_XACT_ID}")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_audit_log_table_xact "
        "ON public.audit_log (table_name, xact_id)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS public.ix_audit_log_table_xact")
    op.execute("ALTER TABLE public.audit_log DROP COLUMN IF EXISTS xact_id")
