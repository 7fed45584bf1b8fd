"""Verifying a backup without a database: size, SHA-256, table of contents, every data block."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryoprotect.errors import BackupError
from cryoprotect.ops.backup.archive import (
    TOC_DATA,
    Backup,
    sha256_of,
)
from cryoprotect.ops.backup.tools import PgTools

logger = logging.getLogger(__name__)


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


def toc_lines(backup: Backup, tools: PgTools) -> list[str]:
    listing = tools.run(
        "pg_restore", ["--list", str(backup.dump_path)], what="reading the dump's contents"
    )
    return [line for line in listing.stdout.splitlines() if line and not line.startswith(";")]


def toc_data_entries(lines: Iterable[str]) -> dict[tuple[str, str], str]:
    """``(kind, schema.name) -> TOC line`` for TABLE DATA and SEQUENCE SET entries."""
    found: dict[tuple[str, str], str] = {}
    for line in lines:
        match = TOC_DATA.match(line)
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
    digest = sha256_of(dump)
    if digest != expected["sha256"]:
        raise BackupError(
            f"{backup.name}: checksum mismatch: the dump's sha256 is {digest}, the metadata "
            f"says {expected['sha256']}; the backup is corrupted",
            details={"backup": backup.name, "sha256": digest},
        )
    lines = toc_lines(backup, tools)
    data = toc_data_entries(lines)
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
