"""schema for the whole data model

Revision ID: 0001
Revises:
Create Date: 2026-11-27 06:13:12.926250
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from cryoprotect.db.migration_helpers import (
    drop_indexes,
    indexes,
    jsonb,
    owned_checks,
    owned_columns,
    primary_key,
    timestamp,
    timestamps,
    unique,
    unique_per_scope_indexes,
    uuid_id,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AUTH_TABLES = {"users", "refresh_tokens", "api_tokens"}


def _add_foreign_key(table: str, column: str, referenced_table: str, on_delete: str) -> None:
    """Add the foreign key ``fk_{table}_{column}_{referenced}`` to ``referenced_table(id)``
    unless a constraint of that name already exists (seed pattern)."""
    schema = "auth" if table in AUTH_TABLES else "public"
    name = f"fk_{table}_{column}_{referenced_table.rsplit('.', 1)[-1]}"
    referenced_column = "id"
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (
                SELECT 1 FROM information_schema.table_constraints
                WHERE constraint_type = 'FOREIGN KEY'
                  AND table_schema = '{schema}' AND table_name = '{table}'
                  AND constraint_name = '{name}'
            ) THEN
                ALTER TABLE {schema}.{table}
                    ADD CONSTRAINT {name} FOREIGN KEY ({column})
                    REFERENCES {referenced_table} ({referenced_column}) ON DELETE {on_delete};
            END IF;
        END $$;
        """
    )


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS auth")
    op.create_table(
        "users",
        uuid_id(),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        *timestamps(),
        primary_key("users"),
        schema="auth",
    )
    op.create_index(
        "uq_users_email_lower",
        "users",
        [sa.literal_column("lower(email)")],
        unique=True,
        schema="auth",
    )
    op.create_table(
        "feature_flags",
        uuid_id(),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "rollout_percentage", sa.SmallInteger(), server_default=sa.text("100"), nullable=False
        ),
        *timestamps(),
        sa.CheckConstraint(
            "rollout_percentage BETWEEN 0 AND 100",
            name=op.f("ck_feature_flags_rollout_percentage_range"),
        ),
        primary_key("feature_flags"),
        unique("feature_flags", "key"),
    )
    op.create_table(
        "team_roles",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("can_view", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("can_create", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("can_edit", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("can_delete", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("can_verify", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("can_manage", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *timestamps(),
        primary_key("team_roles"),
        unique("team_roles", "name"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        timestamp("occurred_at"),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("actor_role", sa.String(length=50), nullable=True),
        sa.Column("table_name", sa.String(length=100), nullable=False),
        sa.Column("row_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("old_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("new_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "action IN ('INSERT', 'UPDATE', 'DELETE')", name=op.f("ck_audit_log_action")
        ),
        primary_key("audit_log"),
    )
    indexes("audit_log", "actor_id", "occurred_at")
    op.create_index("ix_audit_log_table_row", "audit_log", ["table_name", "row_id"], unique=False)
    op.create_table(
        "api_tokens",
        uuid_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        timestamp("created_at"),
        primary_key("api_tokens"),
        unique("api_tokens", "token_hash"),
        schema="auth",
    )
    indexes("api_tokens", "user_id", schema="auth")
    op.create_table(
        "refresh_tokens",
        uuid_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.UUID(), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        timestamp("created_at"),
        primary_key("refresh_tokens"),
        unique("refresh_tokens", "token_hash"),
        schema="auth",
    )
    indexes("refresh_tokens", "user_id", schema="auth")
    op.create_table(
        "teams",
        uuid_id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        *timestamps(),
        primary_key("teams"),
    )
    indexes("teams", "created_by", "name")
    op.create_table(
        "cell_types",
        uuid_id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("species", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        jsonb("parameters", "{}"),
        jsonb("sources", "[]"),
        *owned_columns(),
        *owned_checks("cell_types"),
        primary_key("cell_types"),
    )
    indexes("cell_types", "created_by", "name", "team_id", "visibility")
    op.create_table(
        "datasets",
        uuid_id(),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("row_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        jsonb("rows", "[]"),
        jsonb("sources", "[]"),
        *owned_columns(),
        *owned_checks("datasets"),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_datasets_row_count_non_negative")),
        primary_key("datasets"),
    )
    indexes("datasets", "content_hash", "created_by", "name", "team_id", "visibility")
    op.create_table(
        "mixtures",
        uuid_id(),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("carrier", sa.String(length=200), nullable=True),
        jsonb("sources", "[]"),
        *owned_columns(),
        *owned_checks("mixtures"),
        sa.CheckConstraint("version >= 1", name=op.f("ck_mixtures_version_positive")),
        primary_key("mixtures"),
    )
    indexes("mixtures", "created_by", "name", "team_id", "visibility")
    op.create_table(
        "molecules",
        uuid_id(),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column(
            "synonyms",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("smiles", sa.Text(), nullable=True),
        sa.Column("inchi", sa.Text(), nullable=True),
        sa.Column("inchikey", sa.String(length=27), nullable=True),
        sa.Column("formula", sa.String(length=200), nullable=True),
        sa.Column("molecular_weight", sa.Float(), nullable=True),
        sa.Column("pubchem_cid", sa.BigInteger(), nullable=True),
        sa.Column("molecule_class", sa.String(length=32), nullable=True),
        jsonb("sources", "[]"),
        *owned_columns(),
        sa.CheckConstraint(
            "molecule_class IS NULL OR molecule_class IN "
            "('permeating', 'non-permeating', 'polymer', 'protein', 'salt', 'other')",
            name=op.f("ck_molecules_molecule_class"),
        ),
        *owned_checks("molecules"),
        sa.CheckConstraint(
            "molecular_weight IS NULL OR molecular_weight > 0",
            name=op.f("ck_molecules_molecular_weight_positive"),
        ),
        sa.CheckConstraint(
            "pubchem_cid IS NULL OR pubchem_cid > 0", name=op.f("ck_molecules_pubchem_cid_positive")
        ),
        sa.CheckConstraint(
            "smiles IS NOT NULL OR name IS NOT NULL", name=op.f("ck_molecules_named_or_structured")
        ),
        primary_key("molecules"),
    )
    indexes("molecules", "created_by", "inchikey", "name", "pubchem_cid", "team_id", "visibility")
    unique_per_scope_indexes(
        "molecules", "inchikey", ["inchikey"], scopes=("private", "public", "team")
    )
    op.create_table(
        "user_team_membership",
        uuid_id(),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("role_id", sa.SmallInteger(), nullable=False),
        *timestamps(),
        primary_key("user_team_membership"),
        unique("user_team_membership", "user_id", "team_id"),
    )
    indexes("user_team_membership", "role_id", "team_id", "user_id")
    op.create_table(
        "mixture_components",
        uuid_id(),
        sa.Column("mixture_id", sa.UUID(), nullable=False),
        sa.Column("molecule_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        *timestamps(),
        sa.CheckConstraint(
            "role IS NULL OR role IN ('cpa', 'carrier', 'buffer', 'salt', 'additive', 'other')",
            name=op.f("ck_mixture_components_role"),
        ),
        sa.CheckConstraint(
            "unit IN ('mol/L', 'mmol/L', 'mol/kg', '%% w/w', '%% w/v', '%% v/v', 'g/L', 'mole fraction')",
            name=op.f("ck_mixture_components_unit"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_mixture_components_amount_non_negative")),
        primary_key("mixture_components"),
        unique("mixture_components", "mixture_id", "molecule_id"),
    )
    indexes("mixture_components", "created_by", "mixture_id", "molecule_id")
    op.create_table(
        "molecular_properties",
        uuid_id(),
        sa.Column("molecule_id", sa.UUID(), nullable=False),
        sa.Column("property_name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("method", sa.String(length=200), nullable=False),
        sa.Column("provenance", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        *timestamps(),
        sa.CheckConstraint(
            "provenance IN ('measured', 'fitted', 'estimated', 'computed')",
            name=op.f("ck_molecular_properties_provenance"),
        ),
        primary_key("molecular_properties"),
        unique("molecular_properties", "molecule_id", "property_name", "method"),
    )
    indexes("molecular_properties", "created_by", "molecule_id", "property_name")
    op.create_table(
        "predictive_models",
        uuid_id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("algorithm", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("dataset_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        jsonb("metrics", "{}"),
        jsonb("manifest", "{}"),
        *owned_columns(),
        sa.CheckConstraint(
            "status IN ('queued', 'training', 'ready', 'failed', 'archived')",
            name=op.f("ck_predictive_models_status"),
        ),
        *owned_checks("predictive_models"),
        sa.CheckConstraint("version >= 1", name=op.f("ck_predictive_models_version_positive")),
        primary_key("predictive_models"),
        unique("predictive_models", "created_by", "name", "version"),
    )
    indexes("predictive_models", "created_by", "dataset_id", "name", "team_id", "visibility")
    op.create_table(
        "protocols",
        uuid_id(),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("mixture_id", sa.UUID(), nullable=True),
        sa.Column("cell_type_id", sa.UUID(), nullable=True),
        jsonb("steps", "[]"),
        *owned_columns(),
        *owned_checks("protocols"),
        primary_key("protocols"),
    )
    indexes(
        "protocols", "cell_type_id", "created_by", "mixture_id", "name", "team_id", "visibility"
    )
    op.create_table(
        "experiments",
        uuid_id(),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("mixture_id", sa.UUID(), nullable=True),
        sa.Column("mixture_version", sa.Integer(), nullable=True),
        sa.Column("protocol_id", sa.UUID(), nullable=True),
        sa.Column("cell_type_id", sa.UUID(), nullable=True),
        jsonb("conditions", "{}"),
        jsonb("results", "[]"),
        sa.Column("performed_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "verification_status", sa.String(length=16), server_default="unverified", nullable=False
        ),
        *owned_columns(),
        sa.CheckConstraint(
            "verification_status IN ('unverified', 'pending', 'verified', 'rejected')",
            name=op.f("ck_experiments_verification_status"),
        ),
        *owned_checks("experiments"),
        primary_key("experiments"),
    )
    indexes(
        "experiments",
        "cell_type_id",
        "created_by",
        "mixture_id",
        "protocol_id",
        "team_id",
        "title",
        "verification_status",
        "visibility",
    )
    op.create_table(
        "predictions",
        uuid_id(),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("mixture_id", sa.UUID(), nullable=True),
        sa.Column("mixture_version", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("confidence_level", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=True),
        jsonb("details", "{}"),
        *owned_columns(),
        *owned_checks("predictions"),
        sa.CheckConstraint(
            "confidence_level IS NULL OR (confidence_level > 0 AND confidence_level < 1)",
            name=op.f("ck_predictions_confidence_level_range"),
        ),
        sa.CheckConstraint(
            "lower IS NULL OR upper IS NULL OR lower <= upper",
            name=op.f("ck_predictions_interval_ordered"),
        ),
        primary_key("predictions"),
    )
    indexes("predictions", "created_by", "mixture_id", "model_id", "team_id", "visibility")
    op.create_table(
        "lab_verifications",
        uuid_id(),
        sa.Column("experiment_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("verifier_id", sa.UUID(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("equipment", sa.Text(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        *timestamps(),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'rejected')",
            name=op.f("ck_lab_verifications_status"),
        ),
        primary_key("lab_verifications"),
    )
    indexes("lab_verifications", "created_by", "experiment_id", "verifier_id")
    # Foreign keys, each with a deliberate ON DELETE (see db/models.py), added with the
    # seed's idempotent IF NOT EXISTS pattern.
    _add_foreign_key("audit_log", "actor_id", "auth.users", "SET NULL")
    _add_foreign_key("api_tokens", "user_id", "auth.users", "CASCADE")
    _add_foreign_key("refresh_tokens", "user_id", "auth.users", "CASCADE")
    _add_foreign_key("teams", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("cell_types", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("cell_types", "team_id", "teams", "RESTRICT")
    _add_foreign_key("datasets", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("datasets", "team_id", "teams", "RESTRICT")
    _add_foreign_key("mixtures", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("mixtures", "team_id", "teams", "RESTRICT")
    _add_foreign_key("molecules", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("molecules", "team_id", "teams", "RESTRICT")
    _add_foreign_key("user_team_membership", "role_id", "team_roles", "RESTRICT")
    _add_foreign_key("user_team_membership", "team_id", "teams", "CASCADE")
    _add_foreign_key("user_team_membership", "user_id", "auth.users", "CASCADE")
    _add_foreign_key("mixture_components", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("mixture_components", "mixture_id", "mixtures", "CASCADE")
    _add_foreign_key("mixture_components", "molecule_id", "molecules", "RESTRICT")
    _add_foreign_key("molecular_properties", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("molecular_properties", "molecule_id", "molecules", "CASCADE")
    _add_foreign_key("predictive_models", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("predictive_models", "dataset_id", "datasets", "RESTRICT")
    _add_foreign_key("predictive_models", "team_id", "teams", "RESTRICT")
    _add_foreign_key("protocols", "cell_type_id", "cell_types", "SET NULL")
    _add_foreign_key("protocols", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("protocols", "mixture_id", "mixtures", "SET NULL")
    _add_foreign_key("protocols", "team_id", "teams", "RESTRICT")
    _add_foreign_key("experiments", "cell_type_id", "cell_types", "SET NULL")
    _add_foreign_key("experiments", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("experiments", "mixture_id", "mixtures", "RESTRICT")
    _add_foreign_key("experiments", "protocol_id", "protocols", "SET NULL")
    _add_foreign_key("experiments", "team_id", "teams", "RESTRICT")
    _add_foreign_key("predictions", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("predictions", "mixture_id", "mixtures", "CASCADE")
    _add_foreign_key("predictions", "model_id", "predictive_models", "CASCADE")
    _add_foreign_key("predictions", "team_id", "teams", "RESTRICT")
    _add_foreign_key("lab_verifications", "created_by", "auth.users", "RESTRICT")
    _add_foreign_key("lab_verifications", "experiment_id", "experiments", "CASCADE")
    _add_foreign_key("lab_verifications", "verifier_id", "auth.users", "RESTRICT")


def downgrade() -> None:
    drop_indexes("lab_verifications", "verifier_id", "experiment_id", "created_by")
    op.drop_table("lab_verifications")
    drop_indexes("predictions", "visibility", "team_id", "model_id", "mixture_id", "created_by")
    op.drop_table("predictions")
    drop_indexes(
        "experiments",
        "visibility",
        "verification_status",
        "title",
        "team_id",
        "protocol_id",
        "mixture_id",
        "created_by",
        "cell_type_id",
    )
    op.drop_table("experiments")
    drop_indexes(
        "protocols", "visibility", "team_id", "name", "mixture_id", "created_by", "cell_type_id"
    )
    op.drop_table("protocols")
    drop_indexes("predictive_models", "visibility", "team_id", "name", "dataset_id", "created_by")
    op.drop_table("predictive_models")
    drop_indexes("molecular_properties", "property_name", "molecule_id", "created_by")
    op.drop_table("molecular_properties")
    drop_indexes("mixture_components", "molecule_id", "mixture_id", "created_by")
    op.drop_table("mixture_components")
    drop_indexes("user_team_membership", "user_id", "team_id", "role_id")
    op.drop_table("user_team_membership")
    op.drop_index("uq_molecules_team_inchikey", table_name="molecules")
    op.drop_index("uq_molecules_public_inchikey", table_name="molecules")
    op.drop_index("uq_molecules_private_inchikey", table_name="molecules")
    drop_indexes(
        "molecules", "visibility", "team_id", "pubchem_cid", "name", "inchikey", "created_by"
    )
    op.drop_table("molecules")
    drop_indexes("mixtures", "visibility", "team_id", "name", "created_by")
    op.drop_table("mixtures")
    drop_indexes("datasets", "visibility", "team_id", "name", "created_by", "content_hash")
    op.drop_table("datasets")
    drop_indexes("cell_types", "visibility", "team_id", "name", "created_by")
    op.drop_table("cell_types")
    drop_indexes("teams", "name", "created_by")
    op.drop_table("teams")
    drop_indexes("refresh_tokens", "user_id", schema="auth")
    op.drop_table("refresh_tokens", schema="auth")
    drop_indexes("api_tokens", "user_id", schema="auth")
    op.drop_table("api_tokens", schema="auth")
    op.drop_index("ix_audit_log_table_row", table_name="audit_log")
    drop_indexes("audit_log", "occurred_at", "actor_id")
    op.drop_table("audit_log")
    op.drop_table("team_roles")
    op.drop_table("feature_flags")
    op.drop_index("uq_users_email_lower", table_name="users", schema="auth")
    op.drop_table("users", schema="auth")
    op.execute("DROP SCHEMA IF EXISTS auth CASCADE")
