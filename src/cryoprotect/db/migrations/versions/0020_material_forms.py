"""Material forms (issue 18, "Hydrates and salts"): the hydrate or salt a scientist weighs.

* ``material_forms``: one weighed form of a library molecule (the parent, which stays the
  identity): ``kind`` (hydrate, salt, salt hydrate, solvate, free form), ``label``
  ("dihydrate"), ``components`` (the counter-ions / solvent as canonical SMILES with their
  count per parent, e.g. ``[{"smiles": "O", "count": 2}]``) and their text key
  ``components_key`` (``"O*2"``), ``formula`` (Hill order) and ``molar_mass`` computed by
  RDKit from the parent and the components (``science/material_forms.py``; never typed by
  the user), ``water_per_parent`` (water of crystallisation, counted as solvent water in a
  mixture), optional ``supplier`` and ``cas``, and the owner columns of every owned table.
  One form per (molecule, components) per scope: public, per owner (private), per team.
* RLS: the owned-table policies of 0002 (``auth.can_view_row`` … ``auth.can_delete_row``),
  and in addition SELECT and INSERT need the molecule to be visible to the caller (the
  ``EXISTS`` runs under the caller's own RLS on ``molecules``): nobody sees or adds a form
  of a molecule they cannot see. ``scope_change_guard``, ``touch_row`` and the audit
  trigger as on every owned table; the app role gets DML grants only.
* ``mixture_components.material_form_id`` (nullable, ON DELETE RESTRICT: a form a
  mixture was weighed with cannot vanish under it): the form the component's amount was
  weighed as.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    foreign_key,
    indexes,
    jsonb,
    owned_checks,
    owned_columns,
    primary_key,
    secure_owned_table,
    unique_per_scope_indexes,
    uuid_id,
)

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLE = "material_forms"
KINDS = ("hydrate", "salt", "salt hydrate", "solvate", "free form")
MOLECULE_VISIBLE = "EXISTS (SELECT 1 FROM public.molecules m WHERE m.id = molecule_id)"


def upgrade() -> None:
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    op.create_table(
        TABLE,
        uuid_id(),
        sa.Column("molecule_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        jsonb("components", "[]"),
        sa.Column("components_key", sa.Text(), nullable=False),
        sa.Column("formula", sa.String(200), nullable=False),
        sa.Column("molar_mass", sa.Float(), nullable=False),
        sa.Column("water_per_parent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=True),
        sa.Column("cas", sa.String(20), nullable=True),
        *owned_columns(),
        *owned_checks(TABLE),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f(f"ck_{TABLE}_kind")),
        sa.CheckConstraint("molar_mass > 0", name=op.f(f"ck_{TABLE}_molar_mass_positive")),
        sa.CheckConstraint(
            "water_per_parent >= 0", name=op.f(f"ck_{TABLE}_water_per_parent_non_negative")
        ),
        sa.CheckConstraint(
            r"cas IS NULL OR cas ~ '^[0-9]{2,7}-[0-9]{2}-[0-9]$'", name=op.f(f"ck_{TABLE}_cas")
        ),
        foreign_key(TABLE, "molecule_id", "molecules", "CASCADE"),
        foreign_key(TABLE, "created_by", "auth.users", "RESTRICT"),
        foreign_key(TABLE, "team_id", "teams", "RESTRICT"),
        primary_key(TABLE),
    )
    indexes(TABLE, "molecule_id", "created_by", "team_id", "visibility")
    unique_per_scope_indexes(TABLE, "components", ["molecule_id", "components_key"])

    secure_owned_table(TABLE, parent_visible=MOLECULE_VISIBLE)

    op.add_column("mixture_components", sa.Column("material_form_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_mixture_components_material_form_id_material_forms"),
        "mixture_components",
        TABLE,
        ["material_form_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    indexes("mixture_components", "material_form_id")


def downgrade() -> None:
    op.drop_column("mixture_components", "material_form_id")  # its index and FK go with it
    op.drop_table(TABLE)  # its indexes, policies, triggers and grants go with it
