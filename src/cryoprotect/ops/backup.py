"""Backups of the CryoProtect database: create, list, verify, restore and prune.

It owns the backup format and every step that reads or writes it; ``cryoprotect backup``
only parses arguments and calls the functions here.

**Format.** A backup is one directory ``<backup_dir>/<name>/`` holding ``cryoprotect.dump``
(``pg_dump --format=custom``, compressed) and ``metadata.json``: creation time, app
version, Alembic revision, PostgreSQL server and pg_dump versions, the app role the dump
grants privileges to, the dump's SHA-256 and size, and the row count and content checksum
of every table. The directory is assembled under a hidden ``.incomplete-*`` name and
renamed into place only when both files are complete and flushed, so a failed or
interrupted backup never leaves anything that looks like a backup.

**Consistency.** The row counts and checksums describe exactly the rows in the dump: one
``REPEATABLE READ`` transaction locks every table against DDL (``ACCESS SHARE``), exports
its snapshot, runs ``pg_dump --snapshot`` on it, then checksums the same snapshot.

**Checksums.** Per table, ``md5`` over the ordered concatenation of ``md5(row::text)``,
ordered by primary key, computed by the server with fixed output settings (UTC, ISO
dates, shortest-exact floats, hex bytea) and ``row_security = off`` (an error, rather than
a silently filtered sum, if the role could not read every row). A restore is verified
by recomputing them on the target, independently of the dump's bytes.

**Roles and RLS.** Roles are cluster objects, outside any dump. The restore connects as
the target's owner (migration) role, creates the app role if it is missing (as migration
0002 does: LOGIN, NOBYPASSRLS), and restores with ``--no-owner``, so every object is owned
by the owner role and the app role keeps only the grants recorded in the dump. The
policies are restored with their tables; :func:`cryoprotect.db.rls.verify_rls` must come
back clean before a restore is reported as done.

**Older revisions.** A backup from an older schema revision is verified at that revision,
then migrated forward to this code's head with Alembic (``Database.upgrade``).

**One transaction.** Every restore streams ``pg_restore --file=-`` into ``psql`` inside
one transaction, and COMMIT is sent only after pg_restore has read the whole archive and
psql has stopped on no error: a failed restore leaves the target as it was, including
the ``DROP OWNED`` with which ``clean`` empties a non-empty target.

**Partial restore** loads the data of chosen tables, plus the foreign-key parents (from
the metadata) that have rows in the backup and none in the target. Into an empty target
it restores the whole schema with only that data, in the archive's order (data before
constraints and triggers). Into a database at the backup's revision it loads only the
data, parents first, with the tables' own triggers disabled inside the transaction so
that the audit-log and team-creator triggers do not fire for restored rows (foreign keys
are still checked). Tables to be filled must be empty unless ``clean`` asks to TRUNCATE
them; PostgreSQL refuses to truncate a table that others reference unless those are
restored too, and tables referencing each other in a cycle cannot be restored alone.

**Rotation** (:func:`plan_prune`): keep the newest backup of each of the ``keep_daily``
most recent UTC days that have backups, and of each of the ``keep_weekly`` most recent
ISO weeks that have backups (days and weeks without backups do not count, so a stopped
schedule never ages every backup out); everything else is removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy.engine import URL

from cryoprotect.db.database import MIGRATIONS_DIR, Database, head_revision
from cryoprotect.db.embedded import _bin_path
from cryoprotect.db.rls import format_report, verify_rls
from cryoprotect.errors import BackupError, ValidationError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
DUMP_FILE = "cryoprotect.dump"
METADATA_FILE = "metadata.json"
INCOMPLETE_PREFIX = ".incomplete-"
NAME_PREFIX = "cryoprotect-"
DEFAULT_COMPRESSION = 6
LOCK_TIMEOUT = "60s"
# Incomplete directories younger than this may belong to a backup still running.
STALE_INCOMPLETE_AFTER = timedelta(hours=24)
ALEMBIC_TABLE = "public.alembic_version"
CHECKSUM_METHOD = (
    "md5(string_agg(md5(row::text), '' ORDER BY primary key)) per table, with TimeZone=UTC, "
    "DateStyle='ISO, YMD', IntervalStyle=postgres, extra_float_digits=1, bytea_output=hex"
)
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
_REQUIRED_KEYS = ("created_at", "schema_revision", "app_role", "dump", "tables")
_REQUIRED_DUMP_KEYS = ("file", "size_bytes", "sha256")
_TOC_DATA = re.compile(r"^\d+; \d+ \d+ (TABLE DATA|SEQUENCE SET) (\S+) (\S+) \S+$")

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
_OBJECTS_SQL = sa.text(
    r"""
    SELECT n.nspname || '.' || c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
    UNION ALL
    SELECT n.nspname FROM pg_namespace n
    WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
    ORDER BY 1
    """
)
# Objects in the app's schemas that the current (owner) role does not own: DROP OWNED
# would leave them behind, so a --clean restore refuses up front.
_NOT_OWNED_SQL = sa.text(
    r"""
    SELECT n.nspname || '.' || c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
      AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
    UNION ALL
    SELECT n.nspname FROM pg_namespace n
    WHERE n.nspname NOT IN ('public', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
      AND n.nspowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)
    ORDER BY 1
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


# --------------------------------------------------------------------------- tools
@dataclass(frozen=True)
class PgTools:
    """Where ``pg_dump``, ``pg_restore`` and ``psql`` come from.

    Attributes:
        bin_dir: a directory holding them; None looks each one up on ``PATH``.
    """

    bin_dir: Path | None

    @classmethod
    def embedded(cls) -> PgTools:
        """The binaries shipped in the pgserver wheel (the embedded server's own)."""
        return cls(_bin_path())

    @classmethod
    def from_option(cls, value: str | None) -> PgTools:
        """``None`` = the embedded server's binaries, ``"PATH"`` = look up on PATH, else a dir."""
        if value is None:
            return cls.embedded()
        if value == "PATH":
            return cls(None)
        return cls(Path(value).expanduser())

    def executable(self, name: str) -> str:
        """The path of tool ``name``.

        Raises:
            BackupError: the tool is not there (or not executable).
        """
        if self.bin_dir is None:
            found = shutil.which(name)
            if found is None:
                raise BackupError(
                    f"{name} was not found on PATH. Install the PostgreSQL client tools, or "
                    "omit --pg-bin to use the binaries shipped with the embedded server.",
                    details={"tool": name},
                )
            return found
        candidate = self.bin_dir / name
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise BackupError(
                f"{name} was not found in {self.bin_dir}. Pass --pg-bin with the directory "
                "holding the PostgreSQL client tools (or --pg-bin PATH to use those on PATH).",
                details={"tool": name, "bin_dir": str(self.bin_dir)},
            )
        return str(candidate)

    def version(self, name: str) -> str:
        """The tool's ``--version`` line, e.g. ``pg_dump (PostgreSQL) 16.2``."""
        return self.run(name, ["--version"]).stdout.strip()

    def run(
        self,
        name: str,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        what: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a tool; a non-zero exit becomes :class:`BackupError` with its stderr.

        Args:
            name: ``pg_dump``, ``pg_restore`` or ``psql``.
            args: its arguments.
            env: extra environment variables (``PGPASSWORD``, ``PGAPPNAME``).
            what: what the step was doing, for the error message.
        """
        argv = [self.executable(name), *args]
        proc = subprocess.run(  # noqa: S603 - our tool path, arguments built here
            argv,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
            cwd="/",
        )
        if proc.returncode != 0:
            stderr = proc.stderr.strip()[-3000:]
            raise BackupError(
                f"{what or name} failed ({name} exited with {proc.returncode}): {stderr}",
                details={"tool": name, "exit_code": proc.returncode},
            )
        return proc


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it.

    The password goes in ``PGPASSWORD`` so that it never appears in a process list.
    """
    bare = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    env = {"PGAPPNAME": "cryoprotect-backup"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return bare.render_as_string(hide_password=False), env


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{_ident(schema)}.{_ident(name)}"


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


def _table_keys(conn: sa.Connection) -> dict[str, list[str]]:
    """Every user table (``schema.name``) and its primary-key columns, in name order."""
    return {f"{row.schema}.{row.name}": list(row.primary_key) for row in conn.execute(_TABLES_SQL)}


def _references(conn: sa.Connection) -> dict[str, list[str]]:
    """``table -> tables its foreign keys reference`` (itself included when self-referencing)."""
    found: dict[str, list[str]] = {}
    for row in conn.execute(_FOREIGN_KEYS_SQL):
        found.setdefault(row.child, []).append(row.parent)
    return {t: sorted(parents) for t, parents in found.items()}


def _owned_sequences(conn: sa.Connection) -> dict[str, list[str]]:
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
    order = ", ".join(f"{alias}.{_ident(c)}" for c in primary_key) or f"{alias}::text"
    row = conn.execute(
        sa.text(
            f"SELECT count(*) AS n, "
            f"md5(coalesce(string_agg(md5({alias}::text), '' ORDER BY {order}), '')) AS digest "
            f"FROM {_qualified(table)} AS {alias}"
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
    keys = _table_keys(conn)
    wanted = list(keys) if tables is None else list(tables)
    missing = [t for t in wanted if t not in keys]
    if missing:
        raise BackupError(
            f"tables missing from the database: {', '.join(missing)}",
            details={"missing": missing},
        )
    return {t: _checksum(conn, t, keys[t]) for t in wanted}


# ------------------------------------------------------------------------ backups
@dataclass(frozen=True)
class Backup:
    """One complete backup directory and its metadata.

    Attributes:
        path: the backup directory.
        metadata: the parsed ``metadata.json``.
    """

    path: Path
    metadata: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def dump_path(self) -> Path:
        return self.path / str(self.metadata["dump"]["file"])

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(str(self.metadata["created_at"])).astimezone(UTC)

    @property
    def revision(self) -> str | None:
        value = self.metadata.get("schema_revision")
        return None if value is None else str(value)

    @property
    def size_bytes(self) -> int:
        return int(self.metadata["dump"]["size_bytes"])

    @property
    def app_role(self) -> str:
        return str(self.metadata["app_role"])

    @property
    def tables(self) -> dict[str, TableState]:
        return {
            name: TableState(rows=int(t["rows"]), md5=str(t["md5"]))
            for name, t in self.metadata["tables"].items()
        }

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def foreign_keys(self) -> list[tuple[str, str]]:
        """``(child, parent)`` table pairs, from the dumped schema."""
        return [
            (child, parent)
            for child, t in self.metadata["tables"].items()
            for parent in t.get("references", [])
        ]

    def sequences_of(self, tables: Iterable[str]) -> list[str]:
        """The sequences owned by columns of ``tables``."""
        meta = self.metadata["tables"]
        return sorted({s for t in tables for s in meta[t].get("sequences", [])})


def default_backup_dir(home: Path) -> Path:
    """Where backups go unless told otherwise: ``<CRYOPROTECT_HOME>/backups``."""
    return home / "backups"


def _app_version() -> str:
    try:
        return importlib.metadata.version("cryoprotect")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        from cryoprotect import __version__

        return __version__


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unique_name(backup_dir: Path, created_at: datetime) -> str:
    base = NAME_PREFIX + created_at.strftime("%Y%m%dT%H%M%SZ")
    name, n = base, 1
    while (backup_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _publish(staging: Path, backup_dir: Path, created_at: datetime) -> Path:
    """Rename the finished staging directory to its final name (atomic on one filesystem:
    the backup appears complete or not at all); a concurrent backup that took the name
    in the meantime moves this one to the next free name."""
    for _ in range(100):
        final = backup_dir / _unique_name(backup_dir, created_at)
        try:
            staging.rename(final)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            continue
        return final
    raise BackupError(f"could not find a free backup name in {backup_dir}")


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())


def create_backup(
    db: Database,
    backup_dir: Path,
    *,
    tools: PgTools | None = None,
    compression: int = DEFAULT_COMPRESSION,
    now: datetime | None = None,
) -> Backup:
    """Dump the database ``db`` talks to into a new backup under ``backup_dir``.

    Args:
        db: a started :class:`Database`; the dump runs as its owner (migration) role.
        backup_dir: the directory holding backups (created 0700 when missing: dumps hold
            password hashes).
        tools: where pg_dump comes from (default: the embedded server's binaries).
        compression: pg_dump's compression level, 0-9.
        now: the creation time to record (default: the current UTC time).

    Returns:
        The new backup.

    Raises:
        BackupError: pg_dump is missing or failed, or the database could not be read.
        ValidationError: ``compression`` is outside 0-9.
    """
    if not 0 <= compression <= 9:
        raise ValidationError("compression must be between 0 and 9", field="compression")
    tools = tools or PgTools.embedded()
    tools.executable("pg_dump")  # fail before touching anything
    pg_dump_version = tools.version("pg_dump")
    backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    created_at = (now or datetime.now(UTC)).astimezone(UTC)
    staging = backup_dir / (
        f"{INCOMPLETE_PREFIX}{_unique_name(backup_dir, created_at)}-{secrets.token_hex(4)}"
    )
    staging.mkdir(mode=0o700)
    started = time.perf_counter()
    try:
        snapshot = _dump_and_checksum(db, staging / DUMP_FILE, tools, compression)
        dump = staging / DUMP_FILE
        dump.chmod(0o600)
        metadata: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "created_at": created_at.isoformat(),
            "app_version": _app_version(),
            "schema_revision": snapshot["revision"],
            "server_version": snapshot["server_version"],
            "pg_dump_version": pg_dump_version,
            "database": snapshot["database"],
            "app_role": db.settings.app_db_role,
            "duration_s": round(time.perf_counter() - started, 3),
            "dump": {
                "file": DUMP_FILE,
                "format": "custom",
                "compression": compression,
                "size_bytes": dump.stat().st_size,
                "sha256": _sha256(dump),
            },
            "checksum_method": CHECKSUM_METHOD,
            "tables": {
                t: {
                    "rows": s.rows,
                    "md5": s.md5,
                    "primary_key": snapshot["keys"][t],
                    "references": snapshot["references"].get(t, []),
                    "sequences": snapshot["sequences"].get(t, []),
                }
                for t, s in snapshot["states"].items()
            },
        }
        _write_json(staging / METADATA_FILE, metadata)
        _fsync_dir(staging)
        final = _publish(staging, backup_dir, created_at)
        _fsync_dir(backup_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info(
        "backup created",
        extra={"backup": final.name, "size_bytes": metadata["dump"]["size_bytes"]},
    )
    return Backup(final, metadata)


def _dump_and_checksum(
    db: Database, dump: Path, tools: PgTools, compression: int
) -> dict[str, Any]:
    """pg_dump and checksums on one exported snapshot, with every table locked against DDL."""
    uri, env = _libpq(db.owner_url())
    try:
        with db.owner_engine.connect() as conn:
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with conn.begin():
                conn.execute(
                    sa.text("SELECT set_config('lock_timeout', :t, true)"), {"t": LOCK_TIMEOUT}
                )
                keys = _table_keys(conn)
                if keys:
                    conn.execute(
                        sa.text(
                            "LOCK TABLE "
                            + ", ".join(_qualified(t) for t in keys)
                            + " IN ACCESS SHARE MODE"
                        )
                    )
                snapshot_id = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
                tools.run(
                    "pg_dump",
                    [
                        "--format=custom",
                        f"--compress={compression}",
                        f"--file={dump}",
                        f"--snapshot={snapshot_id}",
                        f"--lock-wait-timeout={LOCK_TIMEOUT}",
                        "--no-password",
                        f"--dbname={uri}",
                    ],
                    env=env,
                    what="the dump",
                )
                revision = (
                    conn.scalar(sa.text(f"SELECT version_num FROM {ALEMBIC_TABLE}"))
                    if ALEMBIC_TABLE in keys
                    else None
                )
                info = conn.execute(
                    sa.text(
                        "SELECT current_setting('server_version') AS server_version, "
                        "current_database() AS name, current_user AS role"
                    )
                ).one()
                states = table_states(conn, keys)
                references = _references(conn)
                sequences = _owned_sequences(conn)
    except sa.exc.DBAPIError as exc:
        raise BackupError(f"could not read the database for the backup: {exc.orig}") from exc
    return {
        "keys": keys,
        "states": states,
        "references": references,
        "sequences": sequences,
        "revision": revision,
        "server_version": info.server_version,
        "database": {
            "kind": "embedded" if db.settings.embedded else "external",
            "name": info.name,
            "role": info.role,
        },
    }


def read_backup(path: Path) -> Backup:
    """Load the backup in directory ``path``.

    Raises:
        BackupError: no readable ``metadata.json``, or a format this version cannot read.
    """
    meta_path = path / METADATA_FILE
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a readable backup ({meta_path}: {exc})") from exc
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_VERSION:
        found = metadata.get("format") if isinstance(metadata, dict) else None
        raise BackupError(
            f"{path}: unsupported backup format {found!r} (this version reads format "
            f"{FORMAT_VERSION})"
        )
    missing = [k for k in _REQUIRED_KEYS if k not in metadata]
    missing += [f"dump.{k}" for k in _REQUIRED_DUMP_KEYS if k not in metadata.get("dump", {})]
    if missing:
        raise BackupError(f"{path}: metadata.json lacks {', '.join(missing)}")
    return Backup(path, metadata)


def list_backups(backup_dir: Path) -> list[Backup]:
    """Every complete backup in ``backup_dir``, oldest first.

    Incomplete (``.incomplete-*``) directories are not backups; a directory whose
    metadata cannot be read is logged and skipped (and so never pruned).
    """
    if not backup_dir.is_dir():
        return []
    found = []
    for entry in sorted(backup_dir.iterdir()):
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        try:
            found.append(read_backup(entry))
        except BackupError as exc:
            logger.warning("skipping %s: %s", entry, exc.message)
    return sorted(found, key=lambda b: (b.created_at, b.name))


def find_backup(backup_dir: Path, ref: str) -> Backup:
    """A backup by name (in ``backup_dir``), by path, or ``latest``.

    Raises:
        BackupError: no such backup.
    """
    if ref == "latest":
        backups = list_backups(backup_dir)
        if not backups:
            raise BackupError(f"there are no backups in {backup_dir}")
        return backups[-1]
    candidate = Path(ref).expanduser()
    path = candidate if candidate.is_dir() else backup_dir / ref
    if not path.is_dir():
        raise BackupError(
            f"no backup named {ref!r} in {backup_dir} (see `cryoprotect backup list`)",
            details={"backup": ref},
        )
    return read_backup(path)


# ----------------------------------------------------------------------- verify
@dataclass(frozen=True)
class VerifyReport:
    """What :func:`verify_backup` checked.

    Attributes:
        backup: the backup.
        sha256: the dump's SHA-256 (equal to the metadata's).
        toc_entries: entries in the dump's table of contents.
        data_entries: ``schema.table`` names with a TABLE DATA entry.
    """

    backup: Backup
    sha256: str
    toc_entries: int
    data_entries: list[str]


def _toc(backup: Backup, tools: PgTools) -> list[str]:
    listing = tools.run(
        "pg_restore", ["--list", str(backup.dump_path)], what="reading the dump's contents"
    )
    return [line for line in listing.stdout.splitlines() if line and not line.startswith(";")]


def _toc_data(lines: Iterable[str]) -> dict[tuple[str, str], str]:
    """``(kind, schema.name) -> TOC line`` for TABLE DATA and SEQUENCE SET entries."""
    found: dict[tuple[str, str], str] = {}
    for line in lines:
        match = _TOC_DATA.match(line)
        if match:
            kind, schema, name = match.groups()
            found[(kind, f"{schema}.{name}")] = line
    return found


def verify_backup(backup: Backup, *, tools: PgTools | None = None) -> VerifyReport:
    """Check that a backup is intact and readable, without a database.

    1. the dump's size and SHA-256 match the metadata (any changed byte is caught);
    2. ``pg_restore --list`` reads its table of contents, which holds a TABLE DATA entry for
       every table in the metadata;
    3. ``pg_restore`` reads the whole archive (every compressed data block) to /dev/null.

    Raises:
        BackupError: the first check that failed, with the numbers in its message.
    """
    tools = tools or PgTools.embedded()
    dump = backup.dump_path
    if not dump.is_file():
        raise BackupError(f"{backup.name}: the dump file {dump} is missing")
    expected = backup.metadata["dump"]
    size = dump.stat().st_size
    if size != int(expected["size_bytes"]):
        raise BackupError(
            f"{backup.name}: size mismatch: the dump has {size} bytes, the metadata says "
            f"{expected['size_bytes']}",
            details={"backup": backup.name, "size_bytes": size},
        )
    digest = _sha256(dump)
    if digest != expected["sha256"]:
        raise BackupError(
            f"{backup.name}: checksum mismatch: the dump's sha256 is {digest}, the metadata "
            f"says {expected['sha256']}; the backup is corrupted",
            details={"backup": backup.name, "sha256": digest},
        )
    lines = _toc(backup, tools)
    data = _toc_data(lines)
    present = sorted(name for kind, name in data if kind == "TABLE DATA")
    missing = sorted(set(backup.tables) - set(present))
    if missing:
        raise BackupError(
            f"{backup.name}: the dump has no data for {', '.join(missing)}",
            details={"backup": backup.name, "missing": missing},
        )
    tools.run(
        "pg_restore",
        [f"--file={os.devnull}", str(dump)],
        what=f"reading every data block of {backup.name}",
    )
    return VerifyReport(backup, digest, len(lines), present)


# ---------------------------------------------------------------------- restore
@dataclass
class RestoreReport:
    """What a restore did.

    Attributes:
        backup: the backup restored.
        tables: ``schema.table -> rows`` loaded and verified against the metadata.
        added_parents: tables loaded only because a chosen table references them.
        revision_restored: the schema revision of the backup.
        revision_now: the target's revision afterwards (head unless ``migrate=False``).
        cleaned: whether existing contents were dropped (full restore into a non-empty
            target) or the chosen tables truncated (partial restore with ``clean``).
        seconds: wall time of the whole restore.
    """

    backup: Backup = field(repr=False)
    tables: dict[str, int] = field(default_factory=dict)
    added_parents: list[str] = field(default_factory=list)
    revision_restored: str | None = None
    revision_now: str | None = None
    cleaned: bool = False
    seconds: float = 0.0

    @property
    def migrated(self) -> bool:
        return self.revision_now != self.revision_restored


def _check_revision_known(backup: Backup) -> None:
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


def _existing_objects(conn: sa.Connection) -> list[str]:
    return [str(name) for name in conn.scalars(_OBJECTS_SQL)]


def _target_revision(conn: sa.Connection) -> str | None:
    if conn.scalar(sa.text("SELECT to_regclass('public.alembic_version')")) is None:
        return None
    revision = conn.scalar(sa.text(f"SELECT max(version_num) FROM {ALEMBIC_TABLE}"))
    return None if revision is None else str(revision)


def _check_cleanable(conn: sa.Connection) -> None:
    """Refuse ``--clean`` up front when DROP OWNED would leave objects of other roles behind."""
    foreign = [str(name) for name in conn.scalars(_NOT_OWNED_SQL)]
    if foreign:
        raise BackupError(
            "--clean drops what the owner role owns, but the target also holds objects of "
            "other roles: " + ", ".join(foreign[:20]) + ". Restore into an empty database "
            "instead (--target-url or --data-dir).",
            details={"objects": foreign},
        )


def _ensure_app_role(conn: sa.Connection, backup_role: str, target_role: str) -> None:
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


def _parents_closure(
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


def _normalise_tables(backup: Backup, requested: Sequence[str]) -> list[str]:
    known = backup.tables
    result = []
    for name in requested:
        full = name if "." in name else f"public.{name}"
        if full not in known:
            raise BackupError(
                f"the backup has no table {name!r}; it has: {', '.join(sorted(known))}",
                details={"table": name},
            )
        result.append(full)
    return result


def _restore_in_one_transaction(
    tools: PgTools,
    uri: str,
    env: dict[str, str],
    dump: Path,
    *,
    use_list: Path | None = None,
    prologue: Sequence[str] = (),
    epilogue: Sequence[str] = (),
    what: str = "the restore",
) -> None:
    """Stream ``pg_restore --file=-`` into ``psql`` inside one transaction.

    ``prologue`` runs after BEGIN (e.g. DROP OWNED for --clean), ``epilogue`` before COMMIT.
    COMMIT is sent only when pg_restore read the whole archive and psql has not stopped on
    an error, so a failure at any point leaves the target as it was.

    Raises:
        BackupError: pg_restore or psql failed (their messages included).
    """
    restore_argv = [tools.executable("pg_restore"), "--no-owner", "--file=-"]
    if use_list is not None:
        restore_argv.append(f"--use-list={use_list}")
    restore_argv.append(str(dump))
    psql_argv = [
        tools.executable("psql"),
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--set=ON_ERROR_STOP=1",
        f"--dbname={uri}",
    ]
    head = "\n".join(["BEGIN;", f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}';", *prologue]) + "\n"
    tail = "\n" + "\n".join([*epilogue, "COMMIT;"]) + "\n"
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        restore = subprocess.Popen(  # noqa: S603 - our tool path, arguments built here
            restore_argv, stdout=subprocess.PIPE, stderr=restore_err, cwd="/"
        )
        psql = subprocess.Popen(  # noqa: S603 - our tool path, arguments built here
            psql_argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env={**os.environ, **env},
            cwd="/",
        )
        assert restore.stdout is not None and psql.stdin is not None
        try:
            psql.stdin.write(head.encode())
            shutil.copyfileobj(restore.stdout, psql.stdin, 1 << 20)
            if restore.wait() == 0:
                psql.stdin.write(tail.encode())
        except BrokenPipeError:
            pass  # psql stopped on an error; its stderr says which
        finally:
            restore.stdout.close()
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            if restore.poll() is None:
                restore.kill()
            restore_code, psql_code = restore.wait(), psql.wait()
        for name, code, err in (
            ("psql", psql_code, psql_err),
            ("pg_restore", restore_code, restore_err),
        ):
            if code != 0:
                err.seek(0)
                message = err.read().decode(errors="replace").strip()[-3000:]
                raise BackupError(
                    f"{what} failed ({name} exited with {code}); nothing was changed: {message}",
                    details={"tool": name, "exit_code": code},
                )


def _verify_states(backup: Backup, target: Database, tables: Iterable[str]) -> dict[str, int]:
    """Recompute counts and checksums on the target; raise on any difference."""
    expected = backup.tables
    wanted = list(tables)
    with target.owner_engine.connect() as conn, conn.begin():
        actual = table_states(conn, wanted)
    wrong = [
        f"{t}: {actual[t].rows} rows (md5 {actual[t].md5[:12]}…), backup has {expected[t].rows} "
        f"rows (md5 {expected[t].md5[:12]}…)"
        for t in wanted
        if actual[t] != expected[t]
    ]
    if wrong:
        raise BackupError(
            "the restored data does not match the backup's checksums:\n  " + "\n  ".join(wrong),
            details={"tables": wrong},
        )
    return {t: actual[t].rows for t in wanted}


def restore_backup(
    backup: Backup,
    target: Database,
    *,
    tools: PgTools | None = None,
    clean: bool = False,
    tables: Sequence[str] = (),
    migrate: bool = True,
) -> RestoreReport:
    """Restore ``backup`` into the database ``target`` talks to, verify it, migrate it.

    Args:
        backup: the backup (verified first with :func:`verify_backup`).
        target: a started :class:`Database`; the restore connects as its owner role.
        tools: where pg_restore and psql come from (default: the embedded server's).
        clean: a full restore into a non-empty database first drops everything the owner
            role owns there; a partial restore truncates the chosen tables.
        tables: restore only these tables (``name`` or ``schema.name``), plus their
            empty foreign-key parents; empty = the whole backup.
        migrate: migrate the result to this code's head revision afterwards.

    Returns:
        What was restored and verified.

    Raises:
        BackupError: corrupted backup, unknown revision, non-empty target without
            ``clean``, a failed pg_restore, a checksum mismatch, or RLS gaps afterwards.
    """
    started = time.perf_counter()
    tools = tools or PgTools.embedded()
    for tool in ("pg_restore", "psql"):
        tools.executable(tool)
    verify_backup(backup, tools=tools)
    _check_revision_known(backup)
    report = RestoreReport(
        backup=backup, revision_restored=backup.revision, cleaned=clean and bool(tables)
    )
    try:
        if tables:
            _restore_tables(backup, target, tools, _normalise_tables(backup, tables), clean, report)
        else:
            _restore_full(backup, target, tools, clean, report)
        if migrate:
            target.upgrade()
        app_role = target.settings.app_db_role
        with target.owner_engine.connect() as conn:
            report.revision_now = _target_revision(conn)
            problems = verify_rls(conn, app_role=app_role)
    except sa.exc.DBAPIError as exc:
        raise BackupError(f"the restore failed: {exc.orig}") from exc
    if problems:
        raise BackupError(
            "the restored database has row-level-security gaps:\n" + format_report(problems),
            details={"problems": len(problems)},
        )
    report.seconds = time.perf_counter() - started
    logger.info(
        "backup restored",
        extra={"backup": backup.name, "tables": len(report.tables), "migrated": report.migrated},
    )
    return report


def _restore_full(
    backup: Backup, target: Database, tools: PgTools, clean: bool, report: RestoreReport
) -> None:
    uri, env = _libpq(target.owner_url())
    with target.owner_engine.connect() as conn, conn.begin():
        existing = _existing_objects(conn)
        if existing and not clean:
            raise BackupError(
                f"the target database is not empty ({len(existing)} tables, sequences or "
                f"schemas, e.g. {', '.join(existing[:3])}). Pass --clean to replace its "
                "contents, or restore into an empty database (--target-url) or a new data "
                "directory (--data-dir).",
                details={"objects": len(existing)},
            )
        if existing:
            _check_cleanable(conn)
        _ensure_app_role(conn, backup.app_role, target.settings.app_db_role)
    report.cleaned = bool(existing)
    _restore_in_one_transaction(
        tools,
        uri,
        env,
        backup.dump_path,
        prologue=["DROP OWNED BY CURRENT_USER;"] if existing else [],
    )
    report.tables = _verify_states(backup, target, backup.tables)


def _restore_tables(
    backup: Backup,
    target: Database,
    tools: PgTools,
    chosen: list[str],
    clean: bool,
    report: RestoreReport,
) -> None:
    """Partial restore: see the module docstring."""
    uri, env = _libpq(target.owner_url())
    with target.owner_engine.connect() as conn, conn.begin():
        empty_target = not _existing_objects(conn)
        if empty_target:
            _ensure_app_role(conn, backup.app_role, target.settings.app_db_role)
            target_rows = {t: 0 for t in backup.tables}
        else:
            revision = _target_revision(conn)
            if revision != backup.revision:
                raise BackupError(
                    f"the target database is at schema revision {revision}, the backup at "
                    f"{backup.revision}; a partial restore needs the same revision. Restore "
                    "the whole backup into a new database instead.",
                    details={"target_revision": revision, "backup_revision": backup.revision},
                )
            target_rows = {t: s.rows for t, s in table_states(conn, backup.tables).items()}
    if empty_target and ALEMBIC_TABLE in backup.tables:
        chosen = [*chosen, ALEMBIC_TABLE]
    occupied = [t for t in chosen if target_rows[t] and not clean]
    if occupied:
        raise BackupError(
            "these tables already hold rows in the target: "
            + ", ".join(f"{t} ({target_rows[t]})" for t in occupied)
            + ". Pass --clean to truncate them first.",
            details={"tables": occupied},
        )
    # Parents worth loading: empty in the target, with rows in the backup.
    fillable = {t: target_rows[t] == 0 and state.rows > 0 for t, state in backup.tables.items()}
    load = _parents_closure(set(chosen), backup.foreign_keys, fillable)
    order = dependency_order(load, backup.foreign_keys)
    report.added_parents = sorted(load - set(chosen))
    wanted = [("TABLE DATA", t) for t in order]
    wanted += [("SEQUENCE SET", s) for s in backup.sequences_of(order)]
    with tempfile.TemporaryDirectory(prefix="cryoprotect-restore-") as tmp:
        listing = Path(tmp) / "entries.list"
        if empty_target:
            # The whole schema, but only the chosen data: pg_restore keeps the archive's
            # order (tables, data, then constraints, indexes, triggers, policies, grants).
            lines = _entries_except_data(_toc(backup, tools), keep=set(wanted))
            listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
            _restore_in_one_transaction(tools, uri, env, backup.dump_path, use_list=listing)
        else:
            toc = _toc_data(_toc(backup, tools))
            listing.write_text("\n".join(toc[w] for w in wanted if w in toc) + "\n", "utf-8")
            qualified = [_qualified(t) for t in order]
            prologue = (
                [f"TRUNCATE TABLE {', '.join(_qualified(t) for t in chosen)};"] if clean else []
            )
            # The tables' own triggers (audit log, team creator) must not fire for restored
            # rows; foreign keys are still checked (internal triggers stay on).
            prologue += [f"ALTER TABLE {q} DISABLE TRIGGER USER;" for q in qualified]
            try:
                _restore_in_one_transaction(
                    tools,
                    uri,
                    env,
                    backup.dump_path,
                    use_list=listing,
                    prologue=prologue,
                    epilogue=[f"ALTER TABLE {q} ENABLE TRIGGER USER;" for q in qualified],
                    what="loading " + ", ".join(order),
                )
            except BackupError as exc:
                raise BackupError(
                    exc.message + "\nIf PostgreSQL refused to truncate a referenced table, "
                    "restore the referencing tables too (--table); a foreign-key violation "
                    "means the target lacks rows the restored ones reference: restore those "
                    "tables too, or the whole backup into a new database.",
                    details=exc.details,
                ) from exc
    report.tables = _verify_states(backup, target, order)


def _entries_except_data(lines: Iterable[str], *, keep: set[tuple[str, str]]) -> list[str]:
    """TOC lines minus the TABLE DATA / SEQUENCE SET entries not in ``keep``."""
    result = []
    for line in lines:
        match = _TOC_DATA.match(line)
        if match and (match.group(1), f"{match.group(2)}.{match.group(3)}") not in keep:
            continue
        result.append(line)
    return result


# ------------------------------------------------------------------------ prune
@dataclass(frozen=True)
class PrunePlan:
    """Which backups a rotation policy keeps and removes.

    Attributes:
        keep: kept backups, newest first, with the reasons (``daily 2026-05-01``).
        remove: backups to delete, newest first.
        incomplete: leftover ``.incomplete-*`` directories older than a day.
    """

    keep: list[tuple[Backup, list[str]]]
    remove: list[Backup]
    incomplete: list[Path] = field(default_factory=list)


def plan_prune(
    backups: Iterable[Backup], *, keep_daily: int = 7, keep_weekly: int = 4
) -> PrunePlan:
    """Apply the rotation policy (see the module docstring) to ``backups``.

    Args:
        backups: the backups to consider (their ``created_at`` decides).
        keep_daily: how many most recent days with backups keep their newest backup.
        keep_weekly: how many most recent ISO weeks with backups keep their newest backup.

    Raises:
        ValidationError: a negative count, or both zero (which would remove everything).
    """
    if keep_daily < 0 or keep_weekly < 0:
        raise ValidationError("keep counts must not be negative")
    if keep_daily == 0 and keep_weekly == 0:
        raise ValidationError(
            "keep_daily and keep_weekly are both 0: that would delete every backup"
        )
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.name), reverse=True)
    reasons: dict[str, list[str]] = {}
    rules = (
        ("daily", keep_daily, lambda d: d.strftime("%Y-%m-%d")),
        ("weekly", keep_weekly, lambda d: "{}-W{:02d}".format(*d.isocalendar()[:2])),
    )
    for rule, count, period_of in rules:
        seen: set[str] = set()
        for backup in newest_first:
            period = period_of(backup.created_at)
            if period in seen:
                continue
            if len(seen) == count:
                break
            seen.add(period)
            reasons.setdefault(backup.name, []).append(f"{rule} {period}")
    keep = [(b, reasons[b.name]) for b in newest_first if b.name in reasons]
    remove = [b for b in newest_first if b.name not in reasons]
    return PrunePlan(keep=keep, remove=remove)


def _stale_incomplete(backup_dir: Path, now: datetime) -> list[Path]:
    if not backup_dir.is_dir():
        return []
    cutoff = (now - STALE_INCOMPLETE_AFTER).timestamp()
    return sorted(
        p
        for p in backup_dir.iterdir()
        if p.is_dir() and p.name.startswith(INCOMPLETE_PREFIX) and p.stat().st_mtime < cutoff
    )


def prune_backups(
    backup_dir: Path,
    *,
    keep_daily: int = 7,
    keep_weekly: int = 4,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PrunePlan:
    """Delete the backups the rotation policy does not keep (and stale incomplete ones).

    Args:
        backup_dir: the backup directory.
        keep_daily / keep_weekly: the policy (see :func:`plan_prune`).
        dry_run: only compute the plan.
        now: the current time, for the age of incomplete directories.

    Returns:
        The plan (carried out unless ``dry_run``).
    """
    plan = plan_prune(list_backups(backup_dir), keep_daily=keep_daily, keep_weekly=keep_weekly)
    plan = PrunePlan(
        keep=plan.keep,
        remove=plan.remove,
        incomplete=_stale_incomplete(backup_dir, now or datetime.now(UTC)),
    )
    if not dry_run:
        for backup in plan.remove:
            shutil.rmtree(backup.path)
            logger.info("backup pruned", extra={"backup": backup.name})
        for path in plan.incomplete:
            shutil.rmtree(path, ignore_errors=True)
    return plan


def format_size(size_bytes: int) -> str:
    """``1536`` → ``1.5 KiB``."""
    if size_bytes < 1024:
        return f"{size_bytes} B"
    value = size_bytes / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
