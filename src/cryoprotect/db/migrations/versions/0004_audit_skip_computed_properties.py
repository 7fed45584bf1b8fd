"""Audit user-supplied molecular properties only, not computed descriptors.

Computed descriptors are derived data: they follow from the (audited) structure by a
recorded method and version, and each molecule carries about twenty of them. Auditing
them multiplied the audit log by ~20 per registration and halved bulk-import throughput.
Measured, fitted and estimated values — what people enter — stay audited.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_row ON public.molecular_properties")
    op.execute(
        "CREATE TRIGGER audit_row_insert AFTER INSERT ON public.molecular_properties "
        "FOR EACH ROW WHEN (NEW.provenance <> 'computed') EXECUTE FUNCTION public.audit_row()"
    )
    op.execute(
        "CREATE TRIGGER audit_row_change AFTER UPDATE OR DELETE ON public.molecular_properties "
        "FOR EACH ROW WHEN (OLD.provenance <> 'computed') EXECUTE FUNCTION public.audit_row()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_row_insert ON public.molecular_properties")
    op.execute("DROP TRIGGER IF EXISTS audit_row_change ON public.molecular_properties")
    op.execute(
        "CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON public.molecular_properties "
        "FOR EACH ROW EXECUTE FUNCTION public.audit_row()"
    )
