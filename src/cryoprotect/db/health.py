"""Database health checks: schema drift, data integrity and performance hints.

Each check takes a SQLAlchemy ``Connection`` (or an ORM ``Session``) and returns the seed's
result shape ``{"status": "passed" | "warning" | "failed", "details": {...}}``. Errors are
logged and reported as status ``failed``, never raised, so an operator's health page always
renders. Each check runs inside a SAVEPOINT, so a failing query cannot poison the caller's
transaction or the checks that follow it.

Identifiers in generated SQL come only from ``Base.metadata`` (rendered by SQLAlchemy Core,
which quotes them with the dialect's identifier preparer) or from the system catalog.

Integrity checks must see every row, so run them as a role that is not filtered by
row-level security, normally the service role on the app engine::

    with db.transaction(Identity.service()) as session:
        report = run_health_checks(session)

(the migration owner, which has BYPASSRLS, also works). Run as an ordinary user, the row
counts only cover that user's visible rows, and the integrity result says so as a warning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db import models
from cryoprotect.db.models import Base
from cryoprotect.db.rls import DEFAULT_APP_ROLE, verify_rls

logger = logging.getLogger(__name__)

Result = dict[str, Any]
_ORDER = {"passed": 0, "warning": 1, "failed": 2}

# (table, column, allowed values) for enumerations other than ``visibility``, which is
# checked on every table that has it.
ENUM_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("molecular_properties", "provenance", models.PROVENANCES),
    ("mixture_components", "unit", models.COMPOSITION_UNITS),
    ("mixture_components", "role", models.COMPONENT_ROLES),
    ("molecules", "molecule_class", models.MOLECULE_CLASSES),
    ("experiments", "verification_status", models.VERIFICATION_STATUSES),
    ("lab_verifications", "status", ("pending", "verified", "rejected")),
    ("predictive_models", "status", models.MODEL_STATUSES),
    ("audit_log", "action", models.AUDIT_ACTIONS),
)
SEQ_SCAN_MIN_ROWS = 1000
SLOW_STATEMENT_LIMIT = 10
SLOW_STATEMENT_WARN_MS = 1000.0
_TYPE_ALIASES = {
    "FLOAT": "DOUBLE PRECISION",
    "DOUBLE": "DOUBLE PRECISION",
    "INT": "INTEGER",
    "CHARACTER VARYING": "VARCHAR",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE",
}


# ----------------------------------------------------------------------- helpers
def _connection(conn: sa.Connection | Session) -> sa.Connection:
    return conn.connection() if isinstance(conn, Session) else conn


def worst(*statuses: str) -> str:
    """The most severe of ``statuses`` (passed < warning < failed)."""
    return max(statuses, key=_ORDER.__getitem__, default="passed")


def _run(
    name: str, conn: sa.Connection | Session, body: Callable[[sa.Connection, Result], None]
) -> Result:
    """Run ``body`` in a savepoint; turn any exception into status ``failed``."""
    result: Result = {"status": "passed", "details": {}}
    try:
        connection = _connection(conn)
        with connection.begin_nested():
            body(connection, result)
    except Exception as exc:
        logger.error("health check %s failed: %s", name, exc, exc_info=True)
        result["status"] = "failed"
        result["details"]["error"] = str(exc)
    return result


def _escalate(result: Result, status: str) -> None:
    result["status"] = worst(result["status"], status)


def _schema_of(table: sa.Table, default: str) -> str:
    return table.schema or default


def _qualified(schema: str | None, table: str, default: str) -> str:
    return f"{schema or default}.{table}"


def _schemas(default: str) -> tuple[str, ...]:
    return tuple(sorted({_schema_of(t, default) for t in Base.metadata.tables.values()}))


def _type_family(type_: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> str:
    """A comparable type name: the dialect's DDL with lengths/precisions removed."""
    try:
        rendered = type_.compile(dialect=dialect)
    except sa.exc.CompileError:
        rendered = type(type_).__name__
    family = re.sub(r"\(\s*\d+(\s*,\s*\d+)?\s*\)", "", rendered.upper()).strip()
    element = family.rstrip("[]")  # an array's element type, aliased like a column's
    return _TYPE_ALIASES.get(element, element) + family[len(element) :]


# ---------------------------------------------------------------------- schema
def validate_schema(conn: sa.Connection | Session, *, app_role: str = DEFAULT_APP_ROLE) -> Result:
    """Compare the live database with ``Base.metadata``.

    Fails on missing tables, missing columns, column type mismatches (compared by type
    family, so VARCHAR lengths are ignored), missing foreign keys (by columns and referred
    table), missing indexes (by name) and row-level-security gaps (:func:`verify_rls`).
    Columns present in the database but not in the models are only a warning.

    Args:
        conn: a connection or session; any role may run it.
        app_role: the application's login role, for the RLS role checks.

    Returns:
        ``{"status", "details"}`` with one list per kind of finding.
    """

    def body(connection: sa.Connection, result: Result) -> None:
        inspector = sa.inspect(connection)
        dialect = connection.dialect
        default = inspector.default_schema_name or "public"
        found: dict[str, list[Any]] = {
            k: []
            for k in (
                "missing_tables",
                "missing_columns",
                "type_mismatches",
                "missing_foreign_keys",
                "missing_indexes",
                "extra_columns",
            )
        }
        for table in Base.metadata.sorted_tables:
            schema = _schema_of(table, default)
            name = f"{schema}.{table.name}"
            if not inspector.has_table(table.name, schema=schema):
                found["missing_tables"].append(name)
                continue
            live = {c["name"]: c for c in inspector.get_columns(table.name, schema=schema)}
            for column in table.columns:
                if column.name not in live:
                    found["missing_columns"].append(f"{name}.{column.name}")
                    continue
                expected = _type_family(column.type, dialect)
                actual = _type_family(live[column.name]["type"], dialect)
                if expected != actual:
                    found["type_mismatches"].append(
                        {"column": f"{name}.{column.name}", "expected": expected, "actual": actual}
                    )
            found["extra_columns"].extend(f"{name}.{c}" for c in live if c not in table.columns)

            live_fks = {
                (
                    tuple(fk["constrained_columns"]),
                    _qualified(fk["referred_schema"], fk["referred_table"], default),
                )
                for fk in inspector.get_foreign_keys(table.name, schema=schema)
            }
            for fk in table.foreign_key_constraints:
                referred = fk.referred_table
                key = (tuple(fk.column_keys), _qualified(referred.schema, referred.name, default))
                if key not in live_fks:
                    found["missing_foreign_keys"].append(
                        {"table": name, "columns": list(key[0]), "referred_table": key[1]}
                    )

            live_indexes = {i["name"] for i in inspector.get_indexes(table.name, schema=schema)}
            found["missing_indexes"].extend(
                f"{schema}.{ix.name}"
                for ix in sorted(table.indexes, key=lambda i: str(i.name))
                if ix.name not in live_indexes
            )

        rls = verify_rls(connection, _schemas(default), app_role)
        result["details"].update(found)
        result["details"]["rls_problems"] = [
            {"schema": p.schema, "table": p.table, "problem": p.problem} for p in rls
        ]
        if rls or any(found[k] for k in found if k != "extra_columns"):
            _escalate(result, "failed")
        elif found["extra_columns"]:
            _escalate(result, "warning")

    return _run("schema", conn, body)


# ------------------------------------------------------------------- integrity
def _sees_all_rows(connection: sa.Connection) -> bool:
    return bool(
        connection.scalar(
            sa.text(
                "SELECT r.rolsuper OR r.rolbypassrls OR "
                "coalesce(current_setting('request.jwt.claim.role', true), '') = 'service_role' "
                "FROM pg_roles r WHERE r.rolname = current_user"
            )
        )
    )


def _orphan_count(connection: sa.Connection, fk: sa.ForeignKeyConstraint) -> int:
    child = fk.parent.alias("child")
    parent = fk.referred_table.alias("parent")
    pairs = [(child.c[e.parent.key], parent.c[e.column.key]) for e in fk.elements]
    query = (
        sa.select(sa.func.count())
        .select_from(child.outerjoin(parent, sa.and_(*(c == p for c, p in pairs))))
        .where(*(c.is_not(None) for c, _ in pairs), pairs[0][1].is_(None))
    )
    return int(connection.scalar(query) or 0)


def _enum_columns() -> list[tuple[sa.Column[Any], tuple[str, ...]]]:
    tables = {t.name: t for t in Base.metadata.tables.values()}
    checks: list[tuple[sa.Column[Any], tuple[str, ...]]] = [
        (t.c.visibility, models.VISIBILITIES)
        for t in Base.metadata.sorted_tables
        if "visibility" in t.c
    ]
    checks += [
        (tables[t].c[c], allowed)
        for t, c, allowed in ENUM_COLUMNS
        if t in tables and c in tables[t].c
    ]
    return checks


def check_integrity(conn: sa.Connection | Session) -> Result:
    """Count orphaned rows and enumeration values outside their allowed set.

    One LEFT JOIN query per foreign key in ``Base.metadata`` counts child rows whose
    non-null key has no parent; one query per enumeration column (``visibility`` on every
    table that has it, provenance, composition unit, verification and model status, …)
    counts rows outside the allowed values. CHECK and FOREIGN KEY constraints normally make
    both impossible; this finds data loaded with constraints disabled or triggers off.

    Run it as the service role (see the module docstring): under row-level security the
    counts cover only visible rows and the result is at best a warning.

    Args:
        conn: a connection or session that bypasses RLS.

    Returns:
        ``{"status", "details": {"orphaned_rows": [...], "invalid_enumerations": [...]}}``.
    """

    def body(connection: sa.Connection, result: Result) -> None:
        details = result["details"]
        details["orphaned_rows"] = []
        details["invalid_enumerations"] = []
        details["sees_all_rows"] = _sees_all_rows(connection)
        if not details["sees_all_rows"]:
            # Under RLS a visible child's parent may simply be hidden: orphan counts would
            # be false alarms, so they are not computed at all.
            details["note"] = (
                "row level security hides rows: orphan checks skipped; run as the service role"
            )
            _escalate(result, "warning")
        for table in Base.metadata.sorted_tables if details["sees_all_rows"] else ():
            for fk in sorted(table.foreign_key_constraints, key=lambda f: str(f.name)):
                count = _orphan_count(connection, fk)
                if count:
                    details["orphaned_rows"].append(
                        {
                            "table": table.fullname,
                            "columns": list(fk.column_keys),
                            "referred_table": fk.referred_table.fullname,
                            "count": count,
                        }
                    )
        for column, allowed in _enum_columns():
            query = (
                sa.select(column, sa.func.count())
                .where(column.is_not(None), column.not_in(allowed))
                .group_by(column)
                .order_by(column)
            )
            bad = {str(value): int(n) for value, n in connection.execute(query)}
            if bad:
                details["invalid_enumerations"].append(
                    {
                        "table": column.table.fullname,
                        "column": column.name,
                        "count": sum(bad.values()),
                        "values": bad,
                    }
                )
        if details["orphaned_rows"] or details["invalid_enumerations"]:
            _escalate(result, "failed")

    return _run("integrity", conn, body)


# ----------------------------------------------------------------- performance
_UNINDEXED_FK_SQL = sa.text(
    """
    SELECT n.nspname AS schema, c.relname AS table, con.conname AS constraint, a.attname AS column
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
    WHERE con.contype = 'f' AND n.nspname = ANY(:schemas)
      AND NOT EXISTS (
          SELECT 1 FROM pg_index i WHERE i.indrelid = con.conrelid AND i.indkey[0] = con.conkey[1]
      )
    ORDER BY 1, 2, 4
    """
)
_SEQ_SCAN_SQL = sa.text(
    """
    SELECT schemaname AS schema, relname AS table, seq_scan, coalesce(idx_scan, 0) AS idx_scan,
           n_live_tup
    FROM pg_stat_user_tables
    WHERE schemaname = ANY(:schemas) AND seq_scan > coalesce(idx_scan, 0) AND n_live_tup > :min_rows
    ORDER BY seq_scan DESC
    """
)
_PGSS_SCHEMA_SQL = sa.text(
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'pg_stat_statements'"
)


def _slow_statements(connection: sa.Connection) -> dict[str, Any]:
    schema = connection.scalar(_PGSS_SCHEMA_SQL)
    if schema is None:
        return {"available": False, "reason": "pg_stat_statements extension is not installed"}
    view = f"{connection.dialect.identifier_preparer.quote_schema(schema)}.pg_stat_statements"
    try:
        with connection.begin_nested():
            rows = (
                connection.execute(
                    sa.text(
                        f"SELECT query, calls, mean_exec_time, total_exec_time FROM {view} "
                        "ORDER BY mean_exec_time DESC NULLS LAST LIMIT :limit"
                    ),
                    {"limit": SLOW_STATEMENT_LIMIT},
                )
                .mappings()
                .all()
            )
    except sa.exc.DBAPIError as exc:  # e.g. not in shared_preload_libraries
        return {"available": False, "reason": str(getattr(exc, "orig", exc)).strip()}
    statements = [
        {
            "query": r["query"],
            "calls": int(r["calls"]),
            "mean_exec_time_ms": float(r["mean_exec_time"]),
            "total_exec_time_ms": float(r["total_exec_time"]),
        }
        for r in rows
    ]
    return {"available": True, "statements": statements}


def check_performance(conn: sa.Connection | Session) -> Result:
    """Report foreign keys without an index, scan-heavy tables and slow statements.

    * ``unindexed_foreign_keys``: FKs whose first column leads no index (warning);
    * ``seq_scan_heavy_tables``: tables with more sequential than index scans and more
      than 1000 live rows, from ``pg_stat_user_tables`` (warning);
    * ``slow_statements``: the 10 statements with the highest mean execution time from
      ``pg_stat_statements`` when that extension is installed, otherwise
      ``{"available": False, "reason": ...}`` (not a failure). A mean above one second is a
      warning.

    Args:
        conn: a connection or session; any role may run it.

    Returns:
        ``{"status", "details"}`` with the three keys above.
    """

    def body(connection: sa.Connection, result: Result) -> None:
        details = result["details"]
        schemas = list(_schemas(connection.dialect.default_schema_name or "public"))
        details["unindexed_foreign_keys"] = [
            dict(r) for r in connection.execute(_UNINDEXED_FK_SQL, {"schemas": schemas}).mappings()
        ]
        details["seq_scan_heavy_tables"] = [
            dict(r)
            for r in connection.execute(
                _SEQ_SCAN_SQL, {"schemas": schemas, "min_rows": SEQ_SCAN_MIN_ROWS}
            ).mappings()
        ]
        details["slow_statements"] = slow = _slow_statements(connection)
        slow_found = any(
            s["mean_exec_time_ms"] > SLOW_STATEMENT_WARN_MS for s in slow.get("statements", [])
        )
        if details["unindexed_foreign_keys"] or details["seq_scan_heavy_tables"] or slow_found:
            _escalate(result, "warning")

    return _run("performance", conn, body)


# ------------------------------------------------------------------------- all
def run_health_checks(
    conn: sa.Connection | Session, *, app_role: str = DEFAULT_APP_ROLE
) -> dict[str, Any]:
    """Run the schema, integrity and performance checks.

    Args:
        conn: a connection or session that bypasses RLS (the service role; see the module
            docstring).
        app_role: the application's login role, for the RLS role checks.

    Returns:
        ``{"status": worst of the three, "checked_at": ISO-8601 UTC timestamp,
        "checks": {"schema": ..., "integrity": ..., "performance": ...}}``.
    """
    checked_at = datetime.now(UTC).isoformat()
    checks = {
        "schema": validate_schema(conn, app_role=app_role),
        "integrity": check_integrity(conn),
        "performance": check_performance(conn),
    }
    status = worst(*(c["status"] for c in checks.values()))
    return {"status": status, "checked_at": checked_at, "checks": checks}
