"""Molecule library: components without structure, standardisation record, fingerprints.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from cryoprotect.db.migration_helpers import (
    partial_unique_index,
)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_CLASSES = "('permeating', 'non-permeating', 'polymer', 'protein', 'salt', 'other')"
NEW_CLASSES = (
    "('permeating', 'non-permeating', 'polymer', 'protein', 'salt', 'biological', 'other')"
)


def upgrade() -> None:
    op.add_column(
        "molecules", sa.Column("kind", sa.String(16), nullable=False, server_default="structure")
    )
    op.add_column("molecules", sa.Column("average_molar_mass", sa.Float(), nullable=True))
    op.add_column(
        "molecules",
        sa.Column(
            "standardization",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.add_column("molecules", sa.Column("morgan_fp", sa.LargeBinary(), nullable=True))
    op.create_check_constraint("kind", "molecules", "kind IN ('structure', 'no_structure')")
    op.create_check_constraint(
        "structure_has_identifiers",
        "molecules",
        "kind <> 'structure' OR (smiles IS NOT NULL AND inchikey IS NOT NULL)",
    )
    op.create_check_constraint(
        "no_structure_is_named",
        "molecules",
        "kind <> 'no_structure' OR (name IS NOT NULL AND smiles IS NULL)",
    )
    op.create_check_constraint(
        "average_molar_mass_positive",
        "molecules",
        "average_molar_mass IS NULL OR average_molar_mass > 0",
    )
    op.drop_constraint(op.f("ck_molecules_molecule_class"), "molecules", type_="check")
    op.create_check_constraint(
        "molecule_class", "molecules", f"molecule_class IS NULL OR molecule_class IN {NEW_CLASSES}"
    )
    partial_unique_index(
        "uq_molecules_public_no_structure_name",
        "molecules",
        [sa.literal_column("lower(name)")],
        "kind = 'no_structure' AND visibility = 'public'",
    )

    # Property-range search: WHERE property_name = … AND value BETWEEN … .
    op.create_index(
        "ix_molecular_properties_property_name_value",
        "molecular_properties",
        ["property_name", "value"],
    )


def downgrade() -> None:
    op.drop_index("ix_molecular_properties_property_name_value", table_name="molecular_properties")
    op.drop_index("uq_molecules_public_no_structure_name", table_name="molecules")
    op.execute("DELETE FROM molecules WHERE kind = 'no_structure'")
    op.execute("UPDATE molecules SET molecule_class = 'other' WHERE molecule_class = 'biological'")
    op.drop_constraint(op.f("ck_molecules_molecule_class"), "molecules", type_="check")
    op.create_check_constraint(
        "molecule_class", "molecules", f"molecule_class IS NULL OR molecule_class IN {OLD_CLASSES}"
    )
    for name in (
        "average_molar_mass_positive",
        "no_structure_is_named",
        "structure_has_identifiers",
        "kind",
    ):
        op.drop_constraint(op.f(f"ck_molecules_{name}"), "molecules", type_="check")
    for column in ("morgan_fp", "standardization", "average_molar_mass", "kind"):
        op.drop_column("molecules", column)
