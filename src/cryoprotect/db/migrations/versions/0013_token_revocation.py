"""Access-token revocation on logout.

(Placeholder created by the integrator so the revision chain is complete; the owner of
this revision fills in upgrade/downgrade.)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
