"""Verification that row-level security really protects every table.

DESIGN.md principle 3 puts authorization in the database. That only holds if every table
has RLS enabled *and* forced, a permissive policy for each of SELECT, INSERT, UPDATE and
DELETE that applies to the app's login role, and that role itself can neither bypass RLS
(superuser, BYPASSRLS) nor escape it as a table owner. :func:`verify_rls` reads the
catalog and lists every gap; an empty list means the model holds. It only reads the
catalog, so it may run as any role (owner or the app role).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

logger = logging.getLogger(__name__)

DEFAULT_SCHEMAS: tuple[str, ...] = ("public", "auth")
DEFAULT_APP_ROLE = "cryoprotect_app"
COMMANDS: tuple[str, ...] = ("SELECT", "INSERT", "UPDATE", "DELETE")
EXEMPT_TABLES: frozenset[tuple[str, str]] = frozenset({("public", "alembic_version")})

# pg_policy.polcmd: r=SELECT, a=INSERT, w=UPDATE, d=DELETE, *=ALL. Only permissive
# policies that apply to PUBLIC or to a role the app role is a member of grant access.
_TABLES_SQL = sa.text(
    """
    SELECT n.nspname AS schema, c.relname AS table, c.relrowsecurity AS enabled,
           c.relforcerowsecurity AS forced,
           coalesce(array_agg(DISTINCT p.polcmd::text) FILTER (WHERE p.polcmd IS NOT NULL), '{}')
               AS commands
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polpermissive AND EXISTS (
        SELECT 1 FROM unnest(p.polroles) AS pr(oid)
        WHERE pr.oid = 0 OR pg_has_role(
            (SELECT r.oid FROM pg_roles r WHERE r.rolname = :app_role), pr.oid, 'MEMBER'))
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas)
    GROUP BY n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity
    ORDER BY n.nspname, c.relname
    """
)
_ROLE_SQL = sa.text("SELECT oid, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :app_role")
# Objects the app role owns directly or through membership in the owning role.
_OWNED_SQL = sa.text(
    """
    SELECT n.nspname AS schema, '*' AS object, 'schema' AS kind
    FROM pg_namespace n
    WHERE n.nspname = ANY(:schemas) AND pg_has_role(:role_oid, n.nspowner, 'MEMBER')
    UNION ALL
    SELECT n.nspname, c.relname, 'table'
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas)
      AND pg_has_role(:role_oid, c.relowner, 'MEMBER')
    ORDER BY 1, 2
    """
)
_POLCMD = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}


@dataclass(frozen=True)
class RlsProblem:
    """One gap in row-level security.

    Attributes:
        schema: the table's schema; ``"*"`` for a role attribute (missing, superuser,
            BYPASSRLS), which is not tied to a schema.
        table: the table name, or ``"*"`` for a problem with the app role itself.
        problem: a human-readable description.
    """

    schema: str
    table: str
    problem: str


def _covered(polcmds: Iterable[str]) -> set[str]:
    codes = set(polcmds)
    if "*" in codes:
        return set(COMMANDS)
    return {_POLCMD[c] for c in codes if c in _POLCMD}


def verify_rls(
    conn: sa.Connection,
    schemas: tuple[str, ...] = DEFAULT_SCHEMAS,
    app_role: str = DEFAULT_APP_ROLE,
) -> list[RlsProblem]:
    """List every row-level-security gap in ``schemas``.

    For every ordinary (or partitioned) table except ``public.alembic_version``: RLS must be
    enabled and forced, and each of SELECT/INSERT/UPDATE/DELETE must be covered by a
    permissive policy (``FOR ALL`` covers all four) that applies to ``app_role``. The app
    role must exist, must not be superuser or BYPASSRLS, and must own no table or schema
    in ``schemas``, directly or through membership in the owning role; those problems
    carry ``table="*"``.

    Args:
        conn: any connection; only the catalog is read.
        schemas: the schemas to inspect.
        app_role: the login role the application uses.

    Returns:
        The table problems sorted by schema and table, then the role problems; empty when
        RLS is complete.
    """
    params = {"schemas": list(schemas), "app_role": app_role}
    problems: list[RlsProblem] = []
    for row in conn.execute(_TABLES_SQL, params).mappings():
        schema, table = row["schema"], row["table"]
        if (schema, table) in EXEMPT_TABLES:
            continue
        if not row["enabled"]:
            problems.append(RlsProblem(schema, table, "row level security is not enabled"))
        if not row["forced"]:
            problems.append(RlsProblem(schema, table, "row level security is not forced"))
        covered = _covered(row["commands"])
        problems.extend(
            RlsProblem(schema, table, f"no policy covers {cmd}")
            for cmd in COMMANDS
            if cmd not in covered
        )

    role = conn.execute(_ROLE_SQL, {"app_role": app_role}).mappings().first()
    if role is None:
        problems.append(RlsProblem("*", "*", f"app role {app_role!r} does not exist"))
    else:
        if role["rolsuper"]:
            problems.append(RlsProblem("*", "*", f"app role {app_role!r} is a superuser"))
        if role["rolbypassrls"]:
            problems.append(RlsProblem("*", "*", f"app role {app_role!r} has BYPASSRLS"))
        # (a superuser counts as a member of every role: its ownership would be noise)
        owned = (
            []
            if role["rolsuper"]
            else conn.execute(_OWNED_SQL, {"schemas": list(schemas), "role_oid": role["oid"]}).all()
        )
        for schema, obj, kind in owned:
            what = f"schema {schema}" if kind == "schema" else f"table {schema}.{obj}"
            problems.append(RlsProblem(schema, "*", f"app role {app_role!r} owns {what}"))
    if problems:
        logger.warning("row level security: %d problem(s) found", len(problems))
    return problems


def format_report(problems: Iterable[RlsProblem]) -> str:
    """Render problems as an aligned plain-text table (or a one-line all-clear).

    Args:
        problems: the output of :func:`verify_rls`.

    Returns:
        The report, without a trailing newline.
    """
    rows = [("SCHEMA", "TABLE", "PROBLEM")] + [(p.schema, p.table, p.problem) for p in problems]
    if len(rows) == 1:
        return "Row level security: no problems found."
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{s:<{widths[0]}}  {t:<{widths[1]}}  {p}" for s, t, p in rows]
    lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len('PROBLEM')}")
    lines.append(f"{len(rows) - 1} problem(s).")
    return "\n".join(lines)
