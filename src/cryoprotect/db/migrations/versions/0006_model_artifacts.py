"""Predictive-model artefacts, training status and the active version per target.

A trained model is an immutable version: its manifest (algorithm, hyperparameters,
feature names, dataset hash, metrics, library versions) is the ``manifest`` JSONB column
and its weights are a skops artefact in ``artifact`` with the SHA-256 checksum that is
verified on every load.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    partial_unique_index,
)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("predictive_models", sa.Column("artifact", sa.LargeBinary(), nullable=True))
    op.add_column("predictive_models", sa.Column("artifact_sha256", sa.String(64), nullable=True))
    op.add_column(
        "predictive_models",
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.add_column("predictive_models", sa.Column("level", sa.Float(), nullable=True))
    op.add_column("predictive_models", sa.Column("progress", sa.Float(), nullable=True))
    op.add_column("predictive_models", sa.Column("error", sa.Text(), nullable=True))
    op.add_column("predictive_models", sa.Column("training_seconds", sa.Float(), nullable=True))
    op.create_check_constraint(
        "level_range", "predictive_models", "level IS NULL OR (level > 0 AND level < 1)"
    )
    op.create_check_constraint(
        "progress_range",
        "predictive_models",
        "progress IS NULL OR (progress >= 0 AND progress <= 1)",
    )
    op.create_check_constraint(
        "ready_has_artifact",
        "predictive_models",
        "status <> 'ready' OR artifact_sha256 IS NOT NULL",
    )
    partial_unique_index(
        "uq_predictive_models_active_target",
        "predictive_models",
        ["created_by", "target"],
        "is_active",
    )
    op.add_column(
        "datasets",
        sa.Column(
            "target_names",
            sa.ARRAY(sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::text[]"),
        ),
    )
    partial_unique_index("uq_datasets_public_name", "datasets", ["name"], "visibility = 'public'")


def downgrade() -> None:
    op.drop_index("uq_datasets_public_name", table_name="datasets")
    op.drop_column("datasets", "target_names")
    op.drop_index("uq_predictive_models_active_target", table_name="predictive_models")
    for name in ("ready_has_artifact", "progress_range", "level_range"):
        op.drop_constraint(op.f(f"ck_predictive_models_{name}"), "predictive_models", type_="check")
    for column in (
        "training_seconds",
        "error",
        "progress",
        "level",
        "is_active",
        "artifact_sha256",
        "artifact",
    ):
        op.drop_column("predictive_models", column)
