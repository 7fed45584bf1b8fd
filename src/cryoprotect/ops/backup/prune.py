"""Rotation: which backups a daily/weekly policy keeps, and deleting the rest."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryoprotect.errors import ValidationError
from cryoprotect.ops.backup.archive import (
    INCOMPLETE_PREFIX,
    Backup,
)
from cryoprotect.ops.backup.catalog import (
    list_backups,
)

logger = logging.getLogger(__name__)


# Incomplete directories younger than this may belong to a backup still running.
STALE_INCOMPLETE_AFTER = timedelta(hours=24)


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
