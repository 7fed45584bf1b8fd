"""Teams keep an admin under concurrency; invitations; snapshots obey visibility.

(Placeholder created by the integrator so the revision chain is complete; the owner of
this revision fills in upgrade/downgrade.)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
