"""Checks on a restore target (schema revision, existing objects, ownership, the app role)
and the order in which tables must be loaded (foreign-key parents first)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError

from cryoprotect.db.database import MIGRATIONS_DIR, head_revision
from cryoprotect.errors import BackupError
from cryoprotect.ops.backup.archive import (
    ALEMBIC_TABLE,
    Backup,
)

logger = logging.getLogger(__name__)


def _objects_sql(*, not_owned: bool) -> sa.TextClause:
    """The tables, views, sequences, … (``schema.name``) and the schemas of a database,
    the system's left out; with ``not_owned``, only those the current role does not own."""
    role = "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
    relation_owner = f"AND c.relowner <> {role}" if not_owned else ""
    schema_owner = f"AND n.nspowner <> {role}" if not_owned else ""
    return sa.text(
        rf"""
    SELECT n.nspname || '.' || c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
      {relation_owner}
    UNION ALL
    SELECT n.nspname FROM pg_namespace n
    WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
      {schema_owner}
    ORDER BY 1
    """
    )


_OBJECTS_SQL = _objects_sql(not_owned=False)
# Objects in the app's schemas that the current (owner) role does not own: DROP OWNED
# would leave them behind, so a --clean restore refuses up front.
_NOT_OWNED_SQL = _objects_sql(not_owned=True)


def check_revision_known(backup: Backup) -> None:
    revision = backup.revision
    if revision is None:
        return
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    try:
        known = script.get_revision(revision) is not None
    except (RevisionError, CommandError):
        known = False
    if not known:
        raise BackupError(
            f"{backup.name} is at schema revision {revision}, which this version of CryoProtect "
            f"(head {head_revision()}) does not know. Restore it with CryoProtect "
            f"{backup.metadata.get('app_version')} or newer.",
            details={"revision": revision},
        )


def existing_objects(conn: sa.Connection) -> list[str]:
    return [str(name) for name in conn.scalars(_OBJECTS_SQL)]


def target_revision(conn: sa.Connection) -> str | None:
    if conn.scalar(sa.text("SELECT to_regclass('public.alembic_version')")) is None:
        return None
    revision = conn.scalar(sa.text(f"SELECT max(version_num) FROM {ALEMBIC_TABLE}"))
    return None if revision is None else str(revision)


def check_cleanable(conn: sa.Connection) -> None:
    """Refuse ``--clean`` up front when DROP OWNED would leave objects of other roles behind."""
    foreign = [str(name) for name in conn.scalars(_NOT_OWNED_SQL)]
    if foreign:
        raise BackupError(
            "--clean drops what the owner role owns, but the target also holds objects of "
            "other roles: " + ", ".join(foreign[:20]) + ". Restore into an empty database "
            "instead (--target-url or --data-dir).",
            details={"objects": foreign},
        )


def ensure_app_role(conn: sa.Connection, backup_role: str, target_role: str) -> None:
    """Create the app role the dump grants to, as migration 0002 would (LOGIN, NOBYPASSRLS)."""
    if backup_role != target_role:
        raise BackupError(
            f"the backup grants privileges to the app role {backup_role!r}, but this "
            f"installation's app role is {target_role!r}. Set CRYOPROTECT_APP_DB_ROLE="
            f"{backup_role} for the restore (and the app).",
            details={"backup_role": backup_role, "target_role": target_role},
        )
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", backup_role):
        raise BackupError(f"invalid app role name {backup_role!r} in the backup")
    if conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": backup_role}):
        return
    try:
        conn.execute(
            sa.text(
                f"CREATE ROLE {backup_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            )
        )
    except sa.exc.DBAPIError as exc:
        raise BackupError(
            f"the app role {backup_role!r} does not exist on the target server and the owner "
            f"role could not create it: {exc.orig}"
        ) from exc


def parents_closure(
    chosen: set[str], foreign_keys: list[tuple[str, str]], fillable: dict[str, bool]
) -> set[str]:
    """``chosen`` plus every table they reference, transitively, while it is ``fillable``."""
    parents: dict[str, set[str]] = {}
    for child, parent in foreign_keys:
        if child != parent:
            parents.setdefault(child, set()).add(parent)
    result, stack = set(chosen), list(chosen)
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in result and fillable.get(parent, False):
                result.add(parent)
                stack.append(parent)
    return result


def dependency_order(tables: Iterable[str], foreign_keys: Iterable[tuple[str, str]]) -> list[str]:
    """Order ``tables`` so that every referenced (parent) table comes before its children.

    Self-references are fine (a COPY checks them at the end of the statement).

    Raises:
        BackupError: the tables reference each other in a cycle, which a data-only load
            cannot satisfy with the non-deferrable foreign keys the schema uses.
    """
    remaining = set(tables)
    edges = {(c, p) for c, p in foreign_keys if c != p and c in remaining and p in remaining}
    ordered: list[str] = []
    while remaining:
        ready = sorted(t for t in remaining if not any(c == t for c, _ in edges))
        if not ready:
            raise BackupError(
                "these tables reference each other in a cycle and cannot be restored alone: "
                + ", ".join(sorted(remaining))
                + "; restore the whole backup instead"
            )
        ordered.extend(ready)
        remaining -= set(ready)
        edges = {(c, p) for c, p in edges if p not in ready}
    return ordered
