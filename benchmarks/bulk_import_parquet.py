"""Import of pre-standardised molecules: the screen's Parquet through COPY vs the full import.

Molecules: RDKit's NCI sample (first_5K.smi) plus distinct drug/CPA-like structures from
``million_library.generate`` (cores x fragments, seed 17) up to --molecules rows. The file
is screened once (`screen --engine dask`, 2 worker processes) into Parquet (timed, as
context). Then, into one throwaway embedded PostgreSQL, three users import the same
molecules, each into their own private scope (RLS applies):

- full: `import_molecules` on the SMILES file (standardise, descriptors, fingerprints,
  batched INSERTs), 2 worker processes, as `cryoprotect import` does by default;
- COPY: `import_screen_parquet` on the screen's Parquet directory (no RDKit; COPY into a
  staging table, INSERT … SELECT under RLS), with 1 and with 2 connections (the default).

All count every input row (mol/s = rows / wall seconds of the import call) and must land
the same InChIKeys. Then where the COPY import's time goes: one more batch of 5,000 rows
(a fourth user) through the same statements, each timed (read + check the rows, COPY into
staging, INSERT molecules with its triggers, INSERT molecule_descriptors, commit). The load
average is printed before and after (the figures mean little on a busy machine).
Usage: python benchmarks/bulk_import_parquet.py [--molecules 20000] [--cache DIR]
[--baseline-molecules N] (N: time the full import, a rate, on the first N rows only; at
100,000 molecules it alone takes over ten minutes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from million_library import generate  # benchmarks/ is on sys.path when run as a script
from rdkit import RDConfig

from cryoprotect.db.database import Database
from cryoprotect.science.alerts import alerts_key
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecule_io import ImportReport, import_molecules, read_records
from cryoprotect.services.molecules import bulk
from cryoprotect.services.molecules.bulk import import_screen_parquet
from cryoprotect.services.screening_dask import screen_files_dask
from cryoprotect.settings import Settings

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def molecules(count: int) -> list[str]:
    lines = [ln.split()[0] for ln in NCI.read_text().splitlines() if ln.strip()][:count]
    rows = [f"{smiles} nci-{i}" for i, smiles in enumerate(lines)]
    rows += [f"{s} gen-{i}" for i, s in enumerate(generate(count - len(rows), seed=17))]
    return rows


def keys(db: Database, actor: Actor) -> set[str]:
    with db.transaction(actor.identity) as session:
        return set(
            session.scalars(
                sa.text("SELECT inchikey FROM molecules WHERE created_by = :me"),
                {"me": actor.user_id},
            )
        )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def breakdown(db: Database, actor: Actor, ranked: Path, rows: int = 5000) -> str:
    """Seconds of each step of one COPY batch of ``rows`` (the first rows of the Parquet)."""
    start = time.perf_counter()
    files = bulk.screen_files(ranked)
    batch, _ = next(bulk._Batcher(ImportReport(), rows).batches(files))
    read = time.perf_counter()
    params = {
        "visibility": "private",
        "team_id": None,
        "owner": actor.user_id,
        "computed_by": "RDKit (benchmark)",
        "alerts_key": alerts_key(),
    }
    insert = bulk._INSERT_MOLECULES.replace("{scope}", bulk._SCOPES["private"])
    with db.transaction(actor.identity) as session:
        connection = session.connection().connection.driver_connection
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            bulk._stage(cursor, batch)
            t1 = time.perf_counter()
            cursor.execute(insert, params)
            ids = [row[0] for row in cursor.fetchall()]
            t2 = time.perf_counter()
            cursor.execute(bulk._INSERT_DESCRIPTORS, {**params, "ids": ids})
            t3 = time.perf_counter()
    done = time.perf_counter()
    return (
        f"one batch of {len(batch)} rows, seconds: read+check {read - start:.3f}, "
        f"COPY to staging {t1 - t0:.3f}, INSERT molecules (indexes, FK, audit and count "
        f"triggers) {t2 - t1:.3f}, INSERT molecule_descriptors {t3 - t2:.3f}, "
        f"commit {done - t3:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--molecules", type=int, default=20_000)
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the screened library in CACHE/library-N.smi and CACHE/screen-N (made on "
        "the first run, reused after; benchmarks/million.py writes the same layout)",
    )
    parser.add_argument(
        "--baseline-molecules",
        type=int,
        default=None,
        help="time the full import on the first N input rows only (its mol/s is a rate; "
        "default: all rows)",
    )
    args = parser.parse_args()
    print(f"load average (1, 5, 15 min) at start: {_load()}")
    work = Path(tempfile.mkdtemp(prefix="cpbp-", dir="/tmp"))
    try:
        source, ranked = work / "library.smi", work / "ranked"
        if args.cache is not None:
            source = args.cache / f"library-{args.molecules}.smi"
            ranked = args.cache / f"screen-{args.molecules}"
        if args.cache is not None and ranked.exists():
            print(f"{args.molecules} molecules screened before ({ranked}), {os.cpu_count()} cores")
        else:
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_text("\n".join(molecules(args.molecules)) + "\n")
            start = time.perf_counter()
            summary = screen_files_dask([source], parquet_dir=ranked, processes=2)
            screened = time.perf_counter() - start
            print(
                f"{summary.total} molecules ({summary.failed} failed to standardise), "
                f"{os.cpu_count()} cores; screen to Parquet (dask, 2 workers): "
                f"{summary.total / screened:8.1f} mol/s (context, not part of either import)"
            )
        baseline = source.read_bytes()
        if args.baseline_molecules is not None:
            lines = baseline.decode().splitlines()[: args.baseline_molecules]
            baseline = ("\n".join(lines) + "\n").encode()
        settings = Settings(home=work / "home", secret_key="benchmark-" + "x" * 40)
        db = Database(settings).start()
        try:
            db.upgrade()
            auth = AuthService(db, settings)
            actors = []
            for who in ("full", "copy1", "copy2", "breakdown"):
                user = auth.register(f"{who}@example.org", "benchmark password")
                actors.append(Actor(user_id=user.id, email=f"{who}@example.org"))
            start = time.perf_counter()
            full = import_molecules(db, actors[0], read_records(baseline, "smiles"), processes=2)
            full_rate = full.total / (time.perf_counter() - start)
            start = time.perf_counter()
            one = import_screen_parquet(db, actors[1], ranked, connections=1)
            one_rate = one.total / (time.perf_counter() - start)
            start = time.perf_counter()
            two = import_screen_parquet(db, actors[2], ranked, connections=2)
            two_rate = two.total / (time.perf_counter() - start)
            for label, report, rate in (
                ("full import (SMILES, 2 processes)     ", full, full_rate),
                ("COPY import (screen Parquet), 1 conn. ", one, one_rate),
                ("COPY import (screen Parquet), 2 conns.", two, two_rate),
            ):
                print(
                    f"{label}: {rate:8.1f} mol/s  ({report.total} rows: {report.created} added, "
                    f"{report.duplicates} duplicates, {report.rejected_count} rejected)"
                )
            print(
                f"ratio COPY / full: {one_rate / full_rate:.1f}x (1 connection), "
                f"{two_rate / full_rate:.1f}x (2 connections); target: COPY >= 5,000 mol/s"
            )
            landed = [keys(db, actor) for actor in actors[:3]]
            if args.baseline_molecules is None:
                print(f"same InChIKeys landed by both: {landed[0] == landed[1] == landed[2]}")
            else:
                print(
                    f"same InChIKeys landed by both COPY imports: {landed[1] == landed[2]}; "
                    f"the full import's (first {args.baseline_molecules} rows) all among them: "
                    f"{landed[0] <= landed[1]}"
                )
            print("where the COPY import's time goes:", breakdown(db, actors[3], ranked))
        finally:
            db.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average (1, 5, 15 min) at end: {_load()}")


if __name__ == "__main__":
    main()
