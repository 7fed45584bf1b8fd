"""Creating a backup: pg_dump and the checksums on one exported snapshot, written under
a hidden ``.incomplete-*`` name and renamed into place only when complete."""

from __future__ import annotations

import errno
import importlib.metadata
import json
import logging
import os
import secrets
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cryoprotect.db.database import Database
from cryoprotect.errors import BackupError, ValidationError
from cryoprotect.ops.backup.archive import (
    ALEMBIC_TABLE,
    CHECKSUM_METHOD,
    DEFAULT_COMPRESSION,
    DUMP_FILE,
    FORMAT_VERSION,
    INCOMPLETE_PREFIX,
    LOCK_TIMEOUT,
    METADATA_FILE,
    NAME_PREFIX,
    Backup,
    sha256_of,
)
from cryoprotect.ops.backup.checksums import (
    owned_sequences,
    table_keys,
    table_references,
    table_states,
)
from cryoprotect.ops.backup.tools import PgTools, libpq_env, qualified_name

logger = logging.getLogger(__name__)


def _app_version() -> str:
    try:
        return importlib.metadata.version("cryoprotect")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        from cryoprotect import __version__

        return __version__


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
                "sha256": sha256_of(dump),
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
    uri, env = libpq_env(db.owner_url())
    try:
        with db.owner_engine.connect() as conn:
            conn = conn.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with conn.begin():
                conn.execute(
                    sa.text("SELECT set_config('lock_timeout', :t, true)"), {"t": LOCK_TIMEOUT}
                )
                keys = table_keys(conn)
                if keys:
                    conn.execute(
                        sa.text(
                            "LOCK TABLE "
                            + ", ".join(qualified_name(t) for t in keys)
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
                references = table_references(conn)
                sequences = owned_sequences(conn)
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
