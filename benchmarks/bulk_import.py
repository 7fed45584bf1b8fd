"""Bulk import of RDKit's 5,000-molecule NCI sample into PostgreSQL.

Ours: `import_molecules` end to end — read, standardise (fast path where provably
equivalent), identifiers, descriptors, fingerprints, batched multi-row INSERTs under RLS,
with 1 and 2 worker processes — into a throwaway embedded PostgreSQL.
Baseline (same run): the full ChEMBL structure pipeline (standardize_mol + get_parent_mol)
alone on every molecule, without descriptors or any database write.

Usage: python benchmarks/bulk_import.py [--limit N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from chembl_structure_pipeline import get_parent_mol, standardize_mol
from rdkit import Chem, RDConfig, RDLogger

from cryoprotect.db.database import Database
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecule_io import import_molecules, read_records
from cryoprotect.settings import Settings

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def baseline(lines: list[str]) -> float:
    RDLogger.DisableLog("rdApp.*")
    start = time.perf_counter()
    for line in lines:
        mol = Chem.MolFromSmiles(line.split()[0])
        if mol is None:
            continue
        get_parent_mol(standardize_mol(mol))
    return len(lines) / (time.perf_counter() - start)


def ours(lines: list[str], processes: int) -> tuple[float, dict[str, int]]:
    home = Path(tempfile.mkdtemp(prefix="cpb-", dir="/tmp"))
    settings = Settings(home=home, secret_key="benchmark-" + "x" * 40)
    db = Database(settings).start()
    try:
        db.upgrade()
        auth = AuthService(db, settings)
        auth.register("bench@example.org", "benchmark password")
        actor = auth.actor_by_email("bench@example.org")
        data = ("\n".join(lines) + "\n").encode()
        start = time.perf_counter()
        report = import_molecules(db, actor, read_records(data, "smiles"), processes=processes)
        rate = report.total / (time.perf_counter() - start)
        return rate, asdict(report)
    finally:
        db.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=5000)
    args = parser.parse_args()
    lines = [ln for ln in NCI.read_text().splitlines() if ln.strip()][: args.limit]
    print(f"NCI sample: {len(lines)} molecules, {os.cpu_count()} cores")
    base = baseline(lines)
    print(f"baseline  full ChEMBL pipeline only (no descriptors, no DB): {base:8.1f} mol/s")
    for processes in (1, 2):
        rate, report = ours(lines, processes)
        print(
            f"ours      import_molecules, {processes} process(es), into PostgreSQL: {rate:8.1f} mol/s"
            f"  ratio {rate / base:5.2f}x  (created {report['created']}, duplicates "
            f"{report['duplicates']}, rejected {report['rejected_count']})"
        )
    print(f"peak RSS (this process or a worker): {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
