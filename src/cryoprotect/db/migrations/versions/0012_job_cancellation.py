"""Cancellable jobs; orphaned models recovered.

(Placeholder created by the integrator so the revision chain is complete; the owner of
this revision fills in upgrade/downgrade.)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
