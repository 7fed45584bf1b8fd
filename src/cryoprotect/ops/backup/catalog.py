"""Finding backups for the command line: the default directory, the list, one backup by
name, path or ``latest``, and human-readable sizes."""

from __future__ import annotations

import logging
from pathlib import Path

from cryoprotect.errors import BackupError
from cryoprotect.ops.backup.archive import (
    Backup,
    read_backup,
)

logger = logging.getLogger(__name__)


def default_backup_dir(home: Path) -> Path:
    """Where backups go unless told otherwise: ``<CRYOPROTECT_HOME>/backups``."""
    return home / "backups"


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
