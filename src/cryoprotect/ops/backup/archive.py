"""The backup format on disk: names and version, the :class:`Backup` a directory holds and
how its metadata is read."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryoprotect.errors import BackupError
from cryoprotect.ops.backup.checksums import (
    TableState,
)

logger = logging.getLogger(__name__)


FORMAT_VERSION = 1
DUMP_FILE = "cryoprotect.dump"
METADATA_FILE = "metadata.json"
INCOMPLETE_PREFIX = ".incomplete-"
NAME_PREFIX = "cryoprotect-"
DEFAULT_COMPRESSION = 6
LOCK_TIMEOUT = "60s"
ALEMBIC_TABLE = "public.alembic_version"
CHECKSUM_METHOD = (
    "md5(string_agg(md5(row::text), '' ORDER BY primary key)) per table, with TimeZone=UTC, "
    "DateStyle='ISO, YMD', IntervalStyle=postgres, extra_float_digits=1, bytea_output=hex"
)
_REQUIRED_KEYS = ("created_at", "schema_revision", "app_role", "dump", "tables")
_REQUIRED_DUMP_KEYS = ("file", "size_bytes", "sha256")
TOC_DATA = re.compile(r"^\d+; \d+ \d+ (TABLE DATA|SEQUENCE SET) (\S+) (\S+) \S+$")


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
