"""Backup and restore of the reference database: time and size.

The database: a throwaway embedded PostgreSQL, migrated to head, with the shipped
reference library loaded (what `make run` serves on first start); `--nci N` adds the first
N molecules of RDKit's NCI sample through the import pipeline, for a larger database.

Ours (same run, same server): `create_backup` = pg_dump --format=custom --compress=6 on
an exported snapshot + per-table row counts and md5 checksums + metadata, written
atomically; `restore_backup` into a new data directory = sha256 + full archive read,
pg_restore --single-transaction, recomputed counts and checksums, migration check and the
RLS verification.
Baselines (same run, same server): plain `pg_dump | gzip -6` restored with `psql`
(--single-transaction), and an uncompressed custom dump (`--compress=0`) restored with bare
`pg_restore --single-transaction` — neither verifies anything.

Each figure is the median of --repeat runs; every restore goes into its own fresh data
directory (server start-up is not timed).

Usage: python benchmarks/backup.py [--repeat 5] [--nci 0]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from rdkit import RDConfig

from cryoprotect.db.database import Database
from cryoprotect.ops.backup import PgTools, create_backup, restore_backup
from cryoprotect.services.reference_data import load_reference_data
from cryoprotect.settings import Settings

SECRET = "benchmark-" + "x" * 40


def _settings(home: Path) -> Settings:
    return Settings(home=home, secret_key=SECRET, log_json=False)


def _home() -> Path:
    return Path(tempfile.mkdtemp(prefix="cpb-", dir="/tmp"))


def build_source(nci: int) -> tuple[Database, Path]:
    home = _home()
    db = Database(_settings(home)).start()
    db.upgrade()
    load_reference_data(db)
    if nci:
        from cryoprotect.services.auth import AuthService
        from cryoprotect.services.molecule_io import import_molecules, read_records

        auth = AuthService(db, db.settings)
        auth.register("bench@example.org", "benchmark password")
        actor = auth.actor_by_email("bench@example.org")
        path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()][:nci]
        import_molecules(db, actor, read_records(("\n".join(lines) + "\n").encode(), "smiles"))
    return db, home


def database_size(db: Database) -> int:
    with db.owner_engine.connect() as conn:
        return int(conn.scalar(sa.text("SELECT pg_database_size(current_database())")))


def schema_only_size(db: Database, out: Path, tools: PgTools) -> int:
    """Size of a custom-format dump without data: the part pg_dump leaves uncompressed."""
    tools.run(
        "pg_dump", ["--format=custom", "--schema-only", f"--file={out}", f"--dbname={libpq(db)}"]
    )
    return out.stat().st_size


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def libpq(db: Database) -> str:
    url = db.owner_url()
    return sa.engine.URL.create(
        "postgresql", username=url.username, database=url.database, query=url.query
    ).render_as_string(hide_password=False)


def plain_gzip(db: Database, out: Path, tools: PgTools) -> None:
    with out.open("wb") as handle:
        dump = subprocess.Popen(  # noqa: S603 - fixed tools
            [tools.executable("pg_dump"), "--format=plain", f"--dbname={libpq(db)}"],
            stdout=subprocess.PIPE,
        )
        gzip = subprocess.run(["gzip", "-6"], stdin=dump.stdout, stdout=handle, check=True)  # noqa: S603,S607
        assert dump.stdout is not None
        dump.stdout.close()
        assert dump.wait() == 0 and gzip.returncode == 0


def custom_uncompressed(db: Database, out: Path, tools: PgTools) -> None:
    tools.run(
        "pg_dump", ["--format=custom", "--compress=0", f"--file={out}", f"--dbname={libpq(db)}"]
    )


def fresh_target() -> tuple[Database, Path]:
    home = _home()
    db = Database(_settings(home)).start()
    with db.owner_engine.begin() as conn:  # what the dumps grant to (untimed setup)
        conn.execute(sa.text("CREATE ROLE cryoprotect_app LOGIN NOBYPASSRLS"))
    return db, home


def restore_plain(dump: Path, tools: PgTools) -> float:
    db, home = fresh_target()
    try:

        def run() -> None:
            gunzip = subprocess.Popen(["gzip", "-dc", str(dump)], stdout=subprocess.PIPE)  # noqa: S603,S607
            subprocess.run(  # noqa: S603 - fixed tools
                [
                    tools.executable("psql"),
                    "--no-psqlrc",
                    "--quiet",
                    "--single-transaction",
                    "-v",
                    "ON_ERROR_STOP=1",
                    f"--dbname={libpq(db)}",
                ],
                stdin=gunzip.stdout,
                stdout=subprocess.DEVNULL,
                check=True,
            )
            assert gunzip.wait() == 0

        return timed(run)
    finally:
        db.stop()
        shutil.rmtree(home, ignore_errors=True)


def restore_custom(dump: Path, tools: PgTools) -> float:
    db, home = fresh_target()
    try:
        return timed(
            lambda: tools.run(
                "pg_restore",
                ["--no-owner", "--single-transaction", f"--dbname={libpq(db)}", str(dump)],
            )
        )
    finally:
        db.stop()
        shutil.rmtree(home, ignore_errors=True)


def restore_ours(backup_dir: Path) -> float:
    from cryoprotect.ops.backup import list_backups

    made = list_backups(backup_dir)[-1]
    home = _home()
    db = Database(_settings(home)).start()
    try:
        return timed(lambda: restore_backup(made, db))
    finally:
        db.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--nci", type=int, default=0, help="Also import N NCI molecules.")
    args = parser.parse_args()
    tools = PgTools.embedded()
    db, home = build_source(args.nci)
    work = Path(tempfile.mkdtemp(prefix="cpb-work-", dir="/tmp"))
    try:
        first = create_backup(db, work / "probe")
        print(
            f"reference database{f' + {args.nci} NCI molecules' if args.nci else ''}: "
            f"{len(first.tables)} tables, {first.total_rows} rows, "
            f"{database_size(db) / 1e6:.1f} MB on disk; {tools.version('pg_dump')}; "
            f"median of {args.repeat}"
        )
        schema_kb = schema_only_size(db, work / "schema.dump", tools) / 1e3
        print(
            f"(schema and policies alone, which custom format stores uncompressed: {schema_kb:.1f} kB)"
        )
        ours_t, plain_t, raw_t = [], [], []
        for i in range(args.repeat):
            ours_t.append(timed(lambda: create_backup(db, work / "ours")))
            plain_t.append(timed(lambda i=i: plain_gzip(db, work / f"plain{i}.sql.gz", tools)))
            raw_t.append(timed(lambda i=i: custom_uncompressed(db, work / f"raw{i}.dump", tools)))
        ours_size = sum(p.stat().st_size for p in next((work / "ours").iterdir()).iterdir())
        plain_size = (work / "plain0.sql.gz").stat().st_size
        raw_size = (work / "raw0.dump").stat().st_size
        ours_b, plain_b, raw_b = (statistics.median(x) for x in (ours_t, plain_t, raw_t))
        print("backup")
        print(
            f"  ours      custom -Z6 + checksums + metadata: {ours_b:6.3f} s  {ours_size / 1e3:8.1f} kB"
        )
        print(
            f"  baseline  plain | gzip -6:                   {plain_b:6.3f} s  {plain_size / 1e3:8.1f} kB"
            f"   ours/baseline: time {ours_b / plain_b:4.2f}x, size {ours_size / plain_size:4.2f}x"
        )
        print(
            f"  baseline  custom -Z0 (uncompressed):         {raw_b:6.3f} s  {raw_size / 1e3:8.1f} kB"
            f"   ours/baseline: time {ours_b / raw_b:4.2f}x, size {ours_size / raw_size:4.2f}x"
        )
        ours_r = statistics.median(restore_ours(work / "ours") for _ in range(args.repeat))
        plain_r = statistics.median(
            restore_plain(work / "plain0.sql.gz", tools) for _ in range(args.repeat)
        )
        raw_r = statistics.median(
            restore_custom(work / "raw0.dump", tools) for _ in range(args.repeat)
        )
        print("restore into a new data directory")
        print(f"  ours      verify + pg_restore + checksums + RLS check: {ours_r:6.3f} s")
        print(
            f"  baseline  gunzip | psql --single-transaction:         {plain_r:6.3f} s"
            f"   ours/baseline {ours_r / plain_r:4.2f}x"
        )
        print(
            f"  baseline  pg_restore -Z0 dump, no verification:       {raw_r:6.3f} s"
            f"   ours/baseline {ours_r / raw_r:4.2f}x"
        )
    finally:
        db.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
