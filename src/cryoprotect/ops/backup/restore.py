"""Restoring a backup, in full or by table, in one transaction, verified against the
backup's checksums and the RLS policies, then migrated to head."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from cryoprotect.db.database import Database
from cryoprotect.db.rls import format_report, verify_rls
from cryoprotect.errors import BackupError
from cryoprotect.ops.backup.archive import (
    ALEMBIC_TABLE,
    LOCK_TIMEOUT,
    TOC_DATA,
    Backup,
)
from cryoprotect.ops.backup.checksums import (
    table_states,
)
from cryoprotect.ops.backup.target import (
    check_cleanable,
    check_revision_known,
    dependency_order,
    ensure_app_role,
    existing_objects,
    parents_closure,
    target_revision,
)
from cryoprotect.ops.backup.tools import PgTools, libpq_env, qualified_name
from cryoprotect.ops.backup.verify import toc_data_entries, toc_lines, verify_backup

logger = logging.getLogger(__name__)


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
    check_revision_known(backup)
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
            report.revision_now = target_revision(conn)
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
    uri, env = libpq_env(target.owner_url())
    with target.owner_engine.connect() as conn, conn.begin():
        existing = existing_objects(conn)
        if existing and not clean:
            raise BackupError(
                f"the target database is not empty ({len(existing)} tables, sequences or "
                f"schemas, e.g. {', '.join(existing[:3])}). Pass --clean to replace its "
                "contents, or restore into an empty database (--target-url) or a new data "
                "directory (--data-dir).",
                details={"objects": len(existing)},
            )
        if existing:
            check_cleanable(conn)
        ensure_app_role(conn, backup.app_role, target.settings.app_db_role)
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
    uri, env = libpq_env(target.owner_url())
    with target.owner_engine.connect() as conn, conn.begin():
        empty_target = not existing_objects(conn)
        if empty_target:
            ensure_app_role(conn, backup.app_role, target.settings.app_db_role)
            target_rows = {t: 0 for t in backup.tables}
        else:
            revision = target_revision(conn)
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
    load = parents_closure(set(chosen), backup.foreign_keys, fillable)
    order = dependency_order(load, backup.foreign_keys)
    report.added_parents = sorted(load - set(chosen))
    wanted = [("TABLE DATA", t) for t in order]
    wanted += [("SEQUENCE SET", s) for s in backup.sequences_of(order)]
    recount = _recounts(backup, order)
    with tempfile.TemporaryDirectory(prefix="cryoprotect-restore-") as tmp:
        listing = Path(tmp) / "entries.list"
        if empty_target:
            # The whole schema, but only the chosen data: pg_restore keeps the archive's
            # order (tables, data, then constraints, indexes, triggers, policies, grants).
            lines = _entries_except_data(toc_lines(backup, tools), keep=set(wanted))
            listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
            _restore_in_one_transaction(
                tools, uri, env, backup.dump_path, use_list=listing, epilogue=recount
            )
        else:
            toc = toc_data_entries(toc_lines(backup, tools))
            listing.write_text("\n".join(toc[w] for w in wanted if w in toc) + "\n", "utf-8")
            qualified = [qualified_name(t) for t in order]
            prologue = (
                [f"TRUNCATE TABLE {', '.join(qualified_name(t) for t in chosen)};"] if clean else []
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
                    epilogue=[f"ALTER TABLE {q} ENABLE TRIGGER USER;" for q in qualified] + recount,
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


def _recounts(backup: Backup, order: Sequence[str]) -> list[str]:
    """Statements that rebuild what triggers keep in step with the loaded tables.

    A partial restore loads rows with the tables' own triggers off (or before they exist),
    so ``molecule_counts`` (migration 0017: the exact per-scope totals of the molecule list)
    would not count the restored molecules; ``recount_molecules()`` rebuilds it from the
    table, in the restore's transaction. Backups from before 0017 have neither.
    """
    if "public.molecules" in order and "public.molecule_counts" in backup.tables:
        return ["SELECT public.recount_molecules();"]
    return []


def _entries_except_data(lines: Iterable[str], *, keep: set[tuple[str, str]]) -> list[str]:
    """TOC lines minus the TABLE DATA / SEQUENCE SET entries not in ``keep``."""
    result = []
    for line in lines:
        match = TOC_DATA.match(line)
        if match and (match.group(1), f"{match.group(2)}.{match.group(3)}") not in keep:
            continue
        result.append(line)
    return result
