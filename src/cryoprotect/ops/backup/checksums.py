"""Row counts and content checksums of tables, computed by the server on one snapshot
(see the package docstring for the method), and the foreign keys and owned sequences
recorded beside them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from cryoprotect.errors import BackupError
from cryoprotect.ops.backup.tools import qualified_name, quote_ident

logger = logging.getLogger(__name__)
# Session settings that make ``row::text`` deterministic; row_security=off makes a role
# that RLS would filter fail loudly instead of checksumming a subset.
_OUTPUT_SETTINGS = {
    "TimeZone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "extra_float_digits": "1",
    "bytea_output": "hex",
    "row_security": "off",
}

_TABLES_SQL = sa.text(
    r"""
    SELECT n.nspname AS schema, c.relname AS name,
           coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord)
                     FROM pg_index i
                     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE i.indrelid = c.oid AND i.indisprimary), '{}') AS primary_key
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
    ORDER BY 1, 2
    """
)

_FOREIGN_KEYS_SQL = sa.text(
    """
    SELECT DISTINCT cn.nspname || '.' || c.relname AS child, pn.nspname || '.' || p.relname AS parent
    FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
    JOIN pg_class p ON p.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
    WHERE k.contype = 'f'
    """
)
# Sequences owned by a table column (serial: deptype 'a'; identity: deptype 'i').
_OWNED_SEQUENCES_SQL = sa.text(
    """
    SELECT sn.nspname || '.' || s.relname AS sequence, tn.nspname || '.' || t.relname AS owner
    FROM pg_class s
    JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
         AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
    WHERE s.relkind = 'S'
    """
)


# ------------------------------------------------------------------ table checksums
@dataclass(frozen=True)
class TableState:
    """Row count and content checksum of one table.

    Attributes:
        rows: number of rows.
        md5: hex md5 over the table's rows in primary-key order (see the module docstring).
    """

    rows: int
    md5: str


def table_keys(conn: sa.Connection) -> dict[str, list[str]]:
    """Every user table (``schema.name``) and its primary-key columns, in name order."""
    return {f"{row.schema}.{row.name}": list(row.primary_key) for row in conn.execute(_TABLES_SQL)}


def table_references(conn: sa.Connection) -> dict[str, list[str]]:
    """``table -> tables its foreign keys reference`` (itself included when self-referencing)."""
    found: dict[str, list[str]] = {}
    for row in conn.execute(_FOREIGN_KEYS_SQL):
        found.setdefault(row.child, []).append(row.parent)
    return {t: sorted(parents) for t, parents in found.items()}


def owned_sequences(conn: sa.Connection) -> dict[str, list[str]]:
    """``table -> sequences owned by its columns`` (serial and identity columns)."""
    found: dict[str, list[str]] = {}
    for row in conn.execute(_OWNED_SEQUENCES_SQL):
        found.setdefault(row.owner, []).append(row.sequence)
    return {t: sorted(seqs) for t, seqs in found.items()}


def _use_deterministic_output(conn: sa.Connection) -> None:
    for name, value in _OUTPUT_SETTINGS.items():
        conn.execute(
            sa.text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
        )


def _checksum(conn: sa.Connection, table: str, primary_key: Sequence[str]) -> TableState:
    alias = "_cryoprotect_row"
    order = ", ".join(f"{alias}.{quote_ident(c)}" for c in primary_key) or f"{alias}::text"
    row = conn.execute(
        sa.text(
            f"SELECT count(*) AS n, "
            f"md5(coalesce(string_agg(md5({alias}::text), '' ORDER BY {order}), '')) AS digest "
            f"FROM {qualified_name(table)} AS {alias}"
        )
    ).one()
    return TableState(rows=int(row.n), md5=str(row.digest))


def table_states(conn: sa.Connection, tables: Iterable[str] | None = None) -> dict[str, TableState]:
    """Row counts and checksums of ``tables`` (default: every user table), in ``conn``'s
    current transaction.

    Args:
        conn: a connection inside a transaction, as a role that may read every row
            (the owner role, which has BYPASSRLS).
        tables: ``schema.name`` of the tables to check; every one must exist.

    Raises:
        BackupError: a requested table does not exist.
    """
    _use_deterministic_output(conn)
    keys = table_keys(conn)
    wanted = list(keys) if tables is None else list(tables)
    missing = [t for t in wanted if t not in keys]
    if missing:
        raise BackupError(
            f"tables missing from the database: {', '.join(missing)}",
            details={"missing": missing},
        )
    return {t: _checksum(conn, t, keys[t]) for t in wanted}
