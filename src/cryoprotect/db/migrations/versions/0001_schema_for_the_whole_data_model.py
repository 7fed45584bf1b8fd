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
    jsonb,
    owned_checks,
    owned_columns,
    timestamp,
    timestamps,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

AUTH_TABLES = {"users", "refresh_tokens", "api_tokens"}


def _add_foreign_key(
    table: str,
    name: str,
    column: str,
    referenced_table: str,
    referenced_column: str,
    on_delete: str,
) -> None:
    """Add a foreign key unless a constraint of that name already exists (seed pattern)."""
    schema = "auth" if table in AUTH_TABLES else "public"
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
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
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
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_flags")),
        sa.UniqueConstraint("key", name=op.f("uq_feature_flags_key")),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_roles")),
        sa.UniqueConstraint("name", name=op.f("uq_team_roles_name")),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"], unique=False)
    op.create_index(op.f("ix_audit_log_occurred_at"), "audit_log", ["occurred_at"], unique=False)
    op.create_index("ix_audit_log_table_row", "audit_log", ["table_name", "row_id"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
        schema="auth",
    )
    op.create_index(
        op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"], unique=False, schema="auth"
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.UUID(), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
        schema="auth",
    )
    op.create_index(
        op.f("ix_refresh_tokens_user_id"),
        "refresh_tokens",
        ["user_id"],
        unique=False,
        schema="auth",
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_index(op.f("ix_teams_created_by"), "teams", ["created_by"], unique=False)
    op.create_index(op.f("ix_teams_name"), "teams", ["name"], unique=False)
    op.create_table(
        "cell_types",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("species", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        jsonb("parameters", "{}"),
        jsonb("sources", "[]"),
        *owned_columns(),
        *owned_checks("cell_types"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cell_types")),
    )
    op.create_index(op.f("ix_cell_types_created_by"), "cell_types", ["created_by"], unique=False)
    op.create_index(op.f("ix_cell_types_name"), "cell_types", ["name"], unique=False)
    op.create_index(op.f("ix_cell_types_team_id"), "cell_types", ["team_id"], unique=False)
    op.create_index(op.f("ix_cell_types_visibility"), "cell_types", ["visibility"], unique=False)
    op.create_table(
        "datasets",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("row_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        jsonb("rows", "[]"),
        jsonb("sources", "[]"),
        *owned_columns(),
        *owned_checks("datasets"),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_datasets_row_count_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
    )
    op.create_index(op.f("ix_datasets_content_hash"), "datasets", ["content_hash"], unique=False)
    op.create_index(op.f("ix_datasets_created_by"), "datasets", ["created_by"], unique=False)
    op.create_index(op.f("ix_datasets_name"), "datasets", ["name"], unique=False)
    op.create_index(op.f("ix_datasets_team_id"), "datasets", ["team_id"], unique=False)
    op.create_index(op.f("ix_datasets_visibility"), "datasets", ["visibility"], unique=False)
    op.create_table(
        "mixtures",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("carrier", sa.String(length=200), nullable=True),
        jsonb("sources", "[]"),
        *owned_columns(),
        *owned_checks("mixtures"),
        sa.CheckConstraint("version >= 1", name=op.f("ck_mixtures_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mixtures")),
    )
    op.create_index(op.f("ix_mixtures_created_by"), "mixtures", ["created_by"], unique=False)
    op.create_index(op.f("ix_mixtures_name"), "mixtures", ["name"], unique=False)
    op.create_index(op.f("ix_mixtures_team_id"), "mixtures", ["team_id"], unique=False)
    op.create_index(op.f("ix_mixtures_visibility"), "mixtures", ["visibility"], unique=False)
    op.create_table(
        "molecules",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_molecules")),
    )
    op.create_index(op.f("ix_molecules_created_by"), "molecules", ["created_by"], unique=False)
    op.create_index(op.f("ix_molecules_inchikey"), "molecules", ["inchikey"], unique=False)
    op.create_index(op.f("ix_molecules_name"), "molecules", ["name"], unique=False)
    op.create_index(op.f("ix_molecules_pubchem_cid"), "molecules", ["pubchem_cid"], unique=False)
    op.create_index(op.f("ix_molecules_team_id"), "molecules", ["team_id"], unique=False)
    op.create_index(op.f("ix_molecules_visibility"), "molecules", ["visibility"], unique=False)
    op.create_index(
        "uq_molecules_private_inchikey",
        "molecules",
        ["created_by", "inchikey"],
        unique=True,
        postgresql_where=sa.text("visibility = 'private'"),
    )
    op.create_index(
        "uq_molecules_public_inchikey",
        "molecules",
        ["inchikey"],
        unique=True,
        postgresql_where=sa.text("visibility = 'public'"),
    )
    op.create_index(
        "uq_molecules_team_inchikey",
        "molecules",
        ["team_id", "inchikey"],
        unique=True,
        postgresql_where=sa.text("visibility = 'team'"),
    )
    op.create_table(
        "user_team_membership",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=False),
        sa.Column("role_id", sa.SmallInteger(), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_team_membership")),
        sa.UniqueConstraint(
            "user_id", "team_id", name=op.f("uq_user_team_membership_user_id_team_id")
        ),
    )
    op.create_index(
        op.f("ix_user_team_membership_role_id"), "user_team_membership", ["role_id"], unique=False
    )
    op.create_index(
        op.f("ix_user_team_membership_team_id"), "user_team_membership", ["team_id"], unique=False
    )
    op.create_index(
        op.f("ix_user_team_membership_user_id"), "user_team_membership", ["user_id"], unique=False
    )
    op.create_table(
        "mixture_components",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mixture_components")),
        sa.UniqueConstraint(
            "mixture_id", "molecule_id", name=op.f("uq_mixture_components_mixture_id_molecule_id")
        ),
    )
    op.create_index(
        op.f("ix_mixture_components_created_by"), "mixture_components", ["created_by"], unique=False
    )
    op.create_index(
        op.f("ix_mixture_components_mixture_id"), "mixture_components", ["mixture_id"], unique=False
    )
    op.create_index(
        op.f("ix_mixture_components_molecule_id"),
        "mixture_components",
        ["molecule_id"],
        unique=False,
    )
    op.create_table(
        "molecular_properties",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_molecular_properties")),
        sa.UniqueConstraint(
            "molecule_id",
            "property_name",
            "method",
            name=op.f("uq_molecular_properties_molecule_id_property_name_method"),
        ),
    )
    op.create_index(
        op.f("ix_molecular_properties_created_by"),
        "molecular_properties",
        ["created_by"],
        unique=False,
    )
    op.create_index(
        op.f("ix_molecular_properties_molecule_id"),
        "molecular_properties",
        ["molecule_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_molecular_properties_property_name"),
        "molecular_properties",
        ["property_name"],
        unique=False,
    )
    op.create_table(
        "predictive_models",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictive_models")),
        sa.UniqueConstraint(
            "created_by",
            "name",
            "version",
            name=op.f("uq_predictive_models_created_by_name_version"),
        ),
    )
    op.create_index(
        op.f("ix_predictive_models_created_by"), "predictive_models", ["created_by"], unique=False
    )
    op.create_index(
        op.f("ix_predictive_models_dataset_id"), "predictive_models", ["dataset_id"], unique=False
    )
    op.create_index(op.f("ix_predictive_models_name"), "predictive_models", ["name"], unique=False)
    op.create_index(
        op.f("ix_predictive_models_team_id"), "predictive_models", ["team_id"], unique=False
    )
    op.create_index(
        op.f("ix_predictive_models_visibility"), "predictive_models", ["visibility"], unique=False
    )
    op.create_table(
        "protocols",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("mixture_id", sa.UUID(), nullable=True),
        sa.Column("cell_type_id", sa.UUID(), nullable=True),
        jsonb("steps", "[]"),
        *owned_columns(),
        *owned_checks("protocols"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocols")),
    )
    op.create_index(op.f("ix_protocols_cell_type_id"), "protocols", ["cell_type_id"], unique=False)
    op.create_index(op.f("ix_protocols_created_by"), "protocols", ["created_by"], unique=False)
    op.create_index(op.f("ix_protocols_mixture_id"), "protocols", ["mixture_id"], unique=False)
    op.create_index(op.f("ix_protocols_name"), "protocols", ["name"], unique=False)
    op.create_index(op.f("ix_protocols_team_id"), "protocols", ["team_id"], unique=False)
    op.create_index(op.f("ix_protocols_visibility"), "protocols", ["visibility"], unique=False)
    op.create_table(
        "experiments",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_index(
        op.f("ix_experiments_cell_type_id"), "experiments", ["cell_type_id"], unique=False
    )
    op.create_index(op.f("ix_experiments_created_by"), "experiments", ["created_by"], unique=False)
    op.create_index(op.f("ix_experiments_mixture_id"), "experiments", ["mixture_id"], unique=False)
    op.create_index(
        op.f("ix_experiments_protocol_id"), "experiments", ["protocol_id"], unique=False
    )
    op.create_index(op.f("ix_experiments_team_id"), "experiments", ["team_id"], unique=False)
    op.create_index(op.f("ix_experiments_title"), "experiments", ["title"], unique=False)
    op.create_index(
        op.f("ix_experiments_verification_status"),
        "experiments",
        ["verification_status"],
        unique=False,
    )
    op.create_index(op.f("ix_experiments_visibility"), "experiments", ["visibility"], unique=False)
    op.create_table(
        "predictions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
    )
    op.create_index(op.f("ix_predictions_created_by"), "predictions", ["created_by"], unique=False)
    op.create_index(op.f("ix_predictions_mixture_id"), "predictions", ["mixture_id"], unique=False)
    op.create_index(op.f("ix_predictions_model_id"), "predictions", ["model_id"], unique=False)
    op.create_index(op.f("ix_predictions_team_id"), "predictions", ["team_id"], unique=False)
    op.create_index(op.f("ix_predictions_visibility"), "predictions", ["visibility"], unique=False)
    op.create_table(
        "lab_verifications",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_verifications")),
    )
    op.create_index(
        op.f("ix_lab_verifications_created_by"), "lab_verifications", ["created_by"], unique=False
    )
    op.create_index(
        op.f("ix_lab_verifications_experiment_id"),
        "lab_verifications",
        ["experiment_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_lab_verifications_verifier_id"), "lab_verifications", ["verifier_id"], unique=False
    )
    # Foreign keys, each with a deliberate ON DELETE (see db/models.py), added with the
    # seed's idempotent IF NOT EXISTS pattern.
    _add_foreign_key(
        "audit_log", "fk_audit_log_actor_id_users", "actor_id", "auth.users", "id", "SET NULL"
    )
    _add_foreign_key(
        "api_tokens", "fk_api_tokens_user_id_users", "user_id", "auth.users", "id", "CASCADE"
    )
    _add_foreign_key(
        "refresh_tokens",
        "fk_refresh_tokens_user_id_users",
        "user_id",
        "auth.users",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "teams", "fk_teams_created_by_users", "created_by", "auth.users", "id", "RESTRICT"
    )
    _add_foreign_key(
        "cell_types", "fk_cell_types_created_by_users", "created_by", "auth.users", "id", "RESTRICT"
    )
    _add_foreign_key(
        "cell_types", "fk_cell_types_team_id_teams", "team_id", "teams", "id", "RESTRICT"
    )
    _add_foreign_key(
        "datasets", "fk_datasets_created_by_users", "created_by", "auth.users", "id", "RESTRICT"
    )
    _add_foreign_key("datasets", "fk_datasets_team_id_teams", "team_id", "teams", "id", "RESTRICT")
    _add_foreign_key(
        "mixtures", "fk_mixtures_created_by_users", "created_by", "auth.users", "id", "RESTRICT"
    )
    _add_foreign_key("mixtures", "fk_mixtures_team_id_teams", "team_id", "teams", "id", "RESTRICT")
    _add_foreign_key(
        "molecules", "fk_molecules_created_by_users", "created_by", "auth.users", "id", "RESTRICT"
    )
    _add_foreign_key(
        "molecules", "fk_molecules_team_id_teams", "team_id", "teams", "id", "RESTRICT"
    )
    _add_foreign_key(
        "user_team_membership",
        "fk_user_team_membership_role_id_team_roles",
        "role_id",
        "team_roles",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "user_team_membership",
        "fk_user_team_membership_team_id_teams",
        "team_id",
        "teams",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "user_team_membership",
        "fk_user_team_membership_user_id_users",
        "user_id",
        "auth.users",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "mixture_components",
        "fk_mixture_components_created_by_users",
        "created_by",
        "auth.users",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "mixture_components",
        "fk_mixture_components_mixture_id_mixtures",
        "mixture_id",
        "mixtures",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "mixture_components",
        "fk_mixture_components_molecule_id_molecules",
        "molecule_id",
        "molecules",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "molecular_properties",
        "fk_molecular_properties_created_by_users",
        "created_by",
        "auth.users",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "molecular_properties",
        "fk_molecular_properties_molecule_id_molecules",
        "molecule_id",
        "molecules",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "predictive_models",
        "fk_predictive_models_created_by_users",
        "created_by",
        "auth.users",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "predictive_models",
        "fk_predictive_models_dataset_id_datasets",
        "dataset_id",
        "datasets",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "predictive_models",
        "fk_predictive_models_team_id_teams",
        "team_id",
        "teams",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "protocols",
        "fk_protocols_cell_type_id_cell_types",
        "cell_type_id",
        "cell_types",
        "id",
        "SET NULL",
    )
    _add_foreign_key(
        "protocols", "fk_protocols_created_by_users", "created_by", "auth.users", "id", "RESTRICT"
    )
    _add_foreign_key(
        "protocols", "fk_protocols_mixture_id_mixtures", "mixture_id", "mixtures", "id", "SET NULL"
    )
    _add_foreign_key(
        "protocols", "fk_protocols_team_id_teams", "team_id", "teams", "id", "RESTRICT"
    )
    _add_foreign_key(
        "experiments",
        "fk_experiments_cell_type_id_cell_types",
        "cell_type_id",
        "cell_types",
        "id",
        "SET NULL",
    )
    _add_foreign_key(
        "experiments",
        "fk_experiments_created_by_users",
        "created_by",
        "auth.users",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "experiments",
        "fk_experiments_mixture_id_mixtures",
        "mixture_id",
        "mixtures",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "experiments",
        "fk_experiments_protocol_id_protocols",
        "protocol_id",
        "protocols",
        "id",
        "SET NULL",
    )
    _add_foreign_key(
        "experiments", "fk_experiments_team_id_teams", "team_id", "teams", "id", "RESTRICT"
    )
    _add_foreign_key(
        "predictions",
        "fk_predictions_created_by_users",
        "created_by",
        "auth.users",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "predictions",
        "fk_predictions_mixture_id_mixtures",
        "mixture_id",
        "mixtures",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "predictions",
        "fk_predictions_model_id_predictive_models",
        "model_id",
        "predictive_models",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "predictions", "fk_predictions_team_id_teams", "team_id", "teams", "id", "RESTRICT"
    )
    _add_foreign_key(
        "lab_verifications",
        "fk_lab_verifications_created_by_users",
        "created_by",
        "auth.users",
        "id",
        "RESTRICT",
    )
    _add_foreign_key(
        "lab_verifications",
        "fk_lab_verifications_experiment_id_experiments",
        "experiment_id",
        "experiments",
        "id",
        "CASCADE",
    )
    _add_foreign_key(
        "lab_verifications",
        "fk_lab_verifications_verifier_id_users",
        "verifier_id",
        "auth.users",
        "id",
        "RESTRICT",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lab_verifications_verifier_id"), table_name="lab_verifications")
    op.drop_index(op.f("ix_lab_verifications_experiment_id"), table_name="lab_verifications")
    op.drop_index(op.f("ix_lab_verifications_created_by"), table_name="lab_verifications")
    op.drop_table("lab_verifications")
    op.drop_index(op.f("ix_predictions_visibility"), table_name="predictions")
    op.drop_index(op.f("ix_predictions_team_id"), table_name="predictions")
    op.drop_index(op.f("ix_predictions_model_id"), table_name="predictions")
    op.drop_index(op.f("ix_predictions_mixture_id"), table_name="predictions")
    op.drop_index(op.f("ix_predictions_created_by"), table_name="predictions")
    op.drop_table("predictions")
    op.drop_index(op.f("ix_experiments_visibility"), table_name="experiments")
    op.drop_index(op.f("ix_experiments_verification_status"), table_name="experiments")
    op.drop_index(op.f("ix_experiments_title"), table_name="experiments")
    op.drop_index(op.f("ix_experiments_team_id"), table_name="experiments")
    op.drop_index(op.f("ix_experiments_protocol_id"), table_name="experiments")
    op.drop_index(op.f("ix_experiments_mixture_id"), table_name="experiments")
    op.drop_index(op.f("ix_experiments_created_by"), table_name="experiments")
    op.drop_index(op.f("ix_experiments_cell_type_id"), table_name="experiments")
    op.drop_table("experiments")
    op.drop_index(op.f("ix_protocols_visibility"), table_name="protocols")
    op.drop_index(op.f("ix_protocols_team_id"), table_name="protocols")
    op.drop_index(op.f("ix_protocols_name"), table_name="protocols")
    op.drop_index(op.f("ix_protocols_mixture_id"), table_name="protocols")
    op.drop_index(op.f("ix_protocols_created_by"), table_name="protocols")
    op.drop_index(op.f("ix_protocols_cell_type_id"), table_name="protocols")
    op.drop_table("protocols")
    op.drop_index(op.f("ix_predictive_models_visibility"), table_name="predictive_models")
    op.drop_index(op.f("ix_predictive_models_team_id"), table_name="predictive_models")
    op.drop_index(op.f("ix_predictive_models_name"), table_name="predictive_models")
    op.drop_index(op.f("ix_predictive_models_dataset_id"), table_name="predictive_models")
    op.drop_index(op.f("ix_predictive_models_created_by"), table_name="predictive_models")
    op.drop_table("predictive_models")
    op.drop_index(op.f("ix_molecular_properties_property_name"), table_name="molecular_properties")
    op.drop_index(op.f("ix_molecular_properties_molecule_id"), table_name="molecular_properties")
    op.drop_index(op.f("ix_molecular_properties_created_by"), table_name="molecular_properties")
    op.drop_table("molecular_properties")
    op.drop_index(op.f("ix_mixture_components_molecule_id"), table_name="mixture_components")
    op.drop_index(op.f("ix_mixture_components_mixture_id"), table_name="mixture_components")
    op.drop_index(op.f("ix_mixture_components_created_by"), table_name="mixture_components")
    op.drop_table("mixture_components")
    op.drop_index(op.f("ix_user_team_membership_user_id"), table_name="user_team_membership")
    op.drop_index(op.f("ix_user_team_membership_team_id"), table_name="user_team_membership")
    op.drop_index(op.f("ix_user_team_membership_role_id"), table_name="user_team_membership")
    op.drop_table("user_team_membership")
    op.drop_index(
        "uq_molecules_team_inchikey",
        table_name="molecules",
        postgresql_where=sa.text("visibility = 'team'"),
    )
    op.drop_index(
        "uq_molecules_public_inchikey",
        table_name="molecules",
        postgresql_where=sa.text("visibility = 'public'"),
    )
    op.drop_index(
        "uq_molecules_private_inchikey",
        table_name="molecules",
        postgresql_where=sa.text("visibility = 'private'"),
    )
    op.drop_index(op.f("ix_molecules_visibility"), table_name="molecules")
    op.drop_index(op.f("ix_molecules_team_id"), table_name="molecules")
    op.drop_index(op.f("ix_molecules_pubchem_cid"), table_name="molecules")
    op.drop_index(op.f("ix_molecules_name"), table_name="molecules")
    op.drop_index(op.f("ix_molecules_inchikey"), table_name="molecules")
    op.drop_index(op.f("ix_molecules_created_by"), table_name="molecules")
    op.drop_table("molecules")
    op.drop_index(op.f("ix_mixtures_visibility"), table_name="mixtures")
    op.drop_index(op.f("ix_mixtures_team_id"), table_name="mixtures")
    op.drop_index(op.f("ix_mixtures_name"), table_name="mixtures")
    op.drop_index(op.f("ix_mixtures_created_by"), table_name="mixtures")
    op.drop_table("mixtures")
    op.drop_index(op.f("ix_datasets_visibility"), table_name="datasets")
    op.drop_index(op.f("ix_datasets_team_id"), table_name="datasets")
    op.drop_index(op.f("ix_datasets_name"), table_name="datasets")
    op.drop_index(op.f("ix_datasets_created_by"), table_name="datasets")
    op.drop_index(op.f("ix_datasets_content_hash"), table_name="datasets")
    op.drop_table("datasets")
    op.drop_index(op.f("ix_cell_types_visibility"), table_name="cell_types")
    op.drop_index(op.f("ix_cell_types_team_id"), table_name="cell_types")
    op.drop_index(op.f("ix_cell_types_name"), table_name="cell_types")
    op.drop_index(op.f("ix_cell_types_created_by"), table_name="cell_types")
    op.drop_table("cell_types")
    op.drop_index(op.f("ix_teams_name"), table_name="teams")
    op.drop_index(op.f("ix_teams_created_by"), table_name="teams")
    op.drop_table("teams")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens", schema="auth")
    op.drop_table("refresh_tokens", schema="auth")
    op.drop_index(op.f("ix_api_tokens_user_id"), table_name="api_tokens", schema="auth")
    op.drop_table("api_tokens", schema="auth")
    op.drop_index("ix_audit_log_table_row", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_occurred_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_id"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("team_roles")
    op.drop_table("feature_flags")
    op.drop_index("uq_users_email_lower", table_name="users", schema="auth")
    op.drop_table("users", schema="auth")
    op.execute("DROP SCHEMA IF EXISTS auth CASCADE")
