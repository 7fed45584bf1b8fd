"""Structural alerts stored with each molecule's computed descriptors.

Issue 17 (list pages deep in a library of 1,000,000 molecules, p50 <= 50 ms): a profile of
a deep page put 30-40 ms of it in finding the structural alerts of the 25 listed molecules
when their records were serialised (1.2-1.5 ms each, computed on read and cached per
process). Registration, the file import and the screen already standardise and describe
each molecule; they now find its alerts once and store them here.

* ``molecule_descriptors.alerts`` (``jsonb``, NULL allowed): the matched alerts as
  ``cryoprotect.science.alerts.encode_alerts`` writes them (catalogue, description, atoms,
  override factor and reason); the penalty factor is not stored (looked up on read).
* ``molecule_descriptors.alerts_key`` (NULL allowed): ``alerts_key()`` at the time, the
  stored format, RDKit's version and a digest of the override table. Alerts stored under
  another key, or none (every row before this migration), are found again on read, so
  nothing is backfilled here and nothing stale is shown after an upgrade;
  ``cryoprotect molecules store-alerts`` fills or refreshes them in batches.

Both columns are covered by the table's existing row-level security (through the parent
molecule) and grants; not audited, as the descriptors are not.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLE = "molecule_descriptors"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("alerts", postgresql.JSONB(), nullable=True))
    op.add_column(TABLE, sa.Column("alerts_key", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column(TABLE, "alerts_key")
    op.drop_column(TABLE, "alerts")
