"""Scope changes are authorization decisions (team moves, widening, verification across teams, evidence of team records).

(Placeholder created by the integrator so the revision chain is complete; the owner of
this revision fills in upgrade/downgrade.)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
