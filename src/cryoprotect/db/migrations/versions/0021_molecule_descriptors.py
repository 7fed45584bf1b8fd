"""Computed descriptors stored once per molecule; molecule inserts audited per statement.

Issue 17 (bulk import of the screen's Parquet at >= 5,000 molecules/s). Measured on 5,000
pre-standardised rows (``EXPLAIN (ANALYZE, BUFFERS)``, ``track_functions = all``): the
19 computed ``molecular_properties`` rows per molecule took ~83 % of the import (95,000
rows, each with six index entries, two foreign-key checks and the RLS check of its
parent), and of the molecules INSERT itself the per-row ``audit_row`` trigger took ~56 %.

* ``molecule_descriptors``: one row per molecule, ``descriptor_values float8[]`` in the
  order of the descriptor catalogue in code (``services/chemistry.py``, names, units and
  methods of ``science/descriptors.py``), ``computed_by`` (the method prefix,
  ``RDKit <version>``) and ``created_at``. Primary key and foreign key (ON DELETE CASCADE)
  on ``molecule_id``. RLS through the parent (``child_rls_policies``): seen with the
  molecule, written by whoever may edit it, plus the service role. Not audited (computed
  descriptors have not been since 0004). DML for the app role.
* Data: every molecule's computed rows that the catalogue expresses exactly (known name,
  the catalogue's unit, ``method = prefix || ': ' || catalogue method`` with one prefix
  per molecule, a value, no text value or source, created by the molecule's owner) move
  into one ``molecule_descriptors`` row (``created_at`` = their earliest) and leave
  ``molecular_properties``; a molecule with any other computed row keeps all of its
  computed rows where they are (the services read both). ``molecular_properties`` keeps
  measured, fitted and estimated values. The downgrade writes the rows back
  (``created_at``/``updated_at`` = the descriptor row's ``created_at``, owner = the
  molecule's owner) and drops the table.
* ``molecules``: INSERTs audited by one statement-level trigger (``audit_row_inserts``,
  transition table, ``public.audit_inserted_rows()``) writing the same audit rows as the
  per-row ``audit_row`` did (the search indexes' change feed reads them); UPDATE and
  DELETE stay per row under the name ``audit_row``.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cryoprotect.db.migration_helpers import (
    AUDIT_INSERTED_ROWS_FUNCTION,
    app_role,
    audit_inserts_per_row,
    audit_inserts_per_statement,
    child_rls_policies,
    foreign_key,
    grant_dml,
    timestamp,
)
from cryoprotect.science.descriptors import DESCRIPTORS

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLE = "molecule_descriptors"


def _array(values: list[str | None]) -> str:
    quoted = ", ".join("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]::text[]"


def _catalogue() -> str:
    """The catalogue as rows (name, unit, method, i) for SQL (literals: offline SQL works)."""
    names = _array([d.name for d in DESCRIPTORS])
    units = _array([d.unit or None for d in DESCRIPTORS])
    methods = _array([d.method for d in DESCRIPTORS])
    return (
        f"SELECT c.name, c.unit, c.method, c.i::integer AS i "
        f"FROM unnest({names}, {units}, {methods}) WITH ORDINALITY AS c(name, unit, method, i)"
    )


def _move_in() -> str:
    return f"""
WITH cat AS ({_catalogue()}),
fits AS (
    SELECT p.molecule_id, c.i, p.value, p.created_at,
           left(p.method, length(p.method) - length(c.method) - 2) AS computed_by
    FROM public.molecular_properties p
    JOIN public.molecules m ON m.id = p.molecule_id AND m.created_by = p.created_by
    JOIN cat c ON c.name = p.property_name
    WHERE p.provenance = 'computed' AND p.value IS NOT NULL
      AND p.text_value IS NULL AND p.source IS NULL
      AND p.unit IS NOT DISTINCT FROM c.unit
      AND length(p.method) > length(c.method) + 2
      AND right(p.method, length(c.method) + 2) = ': ' || c.method
),
movable AS (
    SELECT f.molecule_id, min(f.computed_by) AS computed_by, min(f.created_at) AS created_at
    FROM fits f
    GROUP BY f.molecule_id
    HAVING count(DISTINCT f.computed_by) = 1
       AND count(*) = (SELECT count(*) FROM public.molecular_properties q
                       WHERE q.molecule_id = f.molecule_id AND q.provenance = 'computed')
)
INSERT INTO public.{TABLE} (molecule_id, computed_by, descriptor_values, created_at)
SELECT m.molecule_id, m.computed_by,
       (SELECT array_agg(f.value ORDER BY c.i)
        FROM cat c LEFT JOIN fits f ON f.molecule_id = m.molecule_id AND f.i = c.i),
       m.created_at
FROM movable m
"""


def _move_out() -> str:
    return f"""
WITH cat AS ({_catalogue()})
INSERT INTO public.molecular_properties
    (molecule_id, property_name, value, unit, method, provenance, created_by,
     created_at, updated_at)
SELECT d.molecule_id, c.name, d.descriptor_values[c.i], c.unit,
       d.computed_by || ': ' || c.method, 'computed', m.created_by, d.created_at, d.created_at
FROM public.{TABLE} d
JOIN public.molecules m ON m.id = d.molecule_id
CROSS JOIN cat c
WHERE d.descriptor_values[c.i] IS NOT NULL
ORDER BY d.molecule_id, c.i
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("molecule_id", sa.UUID(), nullable=False),
        sa.Column("computed_by", sa.String(200), nullable=False),
        sa.Column("descriptor_values", sa.ARRAY(sa.Float()), nullable=False),
        timestamp("created_at"),
        foreign_key(TABLE, "molecule_id", "molecules", "CASCADE"),
        sa.PrimaryKeyConstraint("molecule_id", name=op.f(f"pk_{TABLE}")),
    )
    child_rls_policies(TABLE, "molecules", "molecule_id")
    grant_dml(TABLE, app_role())
    op.execute(_move_in())
    op.execute(
        f"DELETE FROM public.molecular_properties p USING public.{TABLE} d "
        "WHERE p.molecule_id = d.molecule_id AND p.provenance = 'computed'"
    )
    op.execute(AUDIT_INSERTED_ROWS_FUNCTION)
    audit_inserts_per_statement("molecules")


def downgrade() -> None:
    audit_inserts_per_row("molecules")
    op.execute("DROP FUNCTION IF EXISTS public.audit_inserted_rows()")
    op.execute(_move_out())
    op.drop_table(TABLE)  # its policies and grants go with it
