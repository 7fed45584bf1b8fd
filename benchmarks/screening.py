"""`cryoprotect screen` throughput: 2 worker processes vs 1 (same input, same run).

Input: RDKit's NCI sample repeated to --copies × 5,000 rows (a realistic stream length for
worker start-up costs to amortise). Prints mol/s for each and the speed-up; target ≥ 1.7×.

Then the cost of the structural alerts (issue 16, item 4), in one process over the unique
molecules of the sample (no cache hits): ms per molecule to standardise and score without
alerts, the alert check as shipped (pattern-fingerprint screen, then RDKit's matcher on
the remaining patterns), and the baseline — RDKit's ``FilterCatalog.GetMatches`` over all
765 patterns, as the first version did — with the ratios of scoring with alerts on vs off.
With --copies > 1 the screen's per-SMILES alert cache serves the repeats; the alert
figures below do not use it.

Usage: python benchmarks/screening.py [--copies 4] [--alerts-only]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from rdkit import RDConfig

from cryoprotect.errors import CryoprotectError
from cryoprotect.science.alerts import filter_catalog, structural_alerts
from cryoprotect.science.cpa_score import cpa_score
from cryoprotect.science.descriptors import compute_descriptors
from cryoprotect.science.standardize import register_structure
from cryoprotect.services.screening import screen_file

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def alert_cost(lines: list[str]) -> None:
    """ms/molecule: scoring without alerts, the shipped alert check, RDKit's GetMatches."""
    start = time.perf_counter()
    mols = []
    for line in dict.fromkeys(ln.split()[0] for ln in lines):
        try:
            std = register_structure(line, "smiles")
        except CryoprotectError:
            continue
        cpa_score(compute_descriptors(std.mol))
        mols.append(std.mol)
    base = (time.perf_counter() - start) / len(mols) * 1e3
    catalog = filter_catalog()
    structural_alerts(mols[0])  # build the catalogue and its screen outside the timing
    start = time.perf_counter()
    for mol in mols:
        structural_alerts(mol)
    shipped = (time.perf_counter() - start) / len(mols) * 1e3
    start = time.perf_counter()
    for mol in mols:
        for entry in catalog.GetMatches(mol):
            entry.GetFilterMatches(mol)
    baseline = (time.perf_counter() - start) / len(mols) * 1e3
    print(f"alerts, 1 process, {len(mols)} unique molecules (ms per molecule):")
    print(f"  standardise + descriptors + CPA score (alerts off): {base:6.2f}")
    print(f"  alerts as shipped (fingerprint screen + matcher):   {shipped:6.2f}")
    print(f"  baseline: RDKit GetMatches over all 765 patterns:   {baseline:6.2f}")
    print(
        f"  alert check speed-up vs baseline: {baseline / shipped:.1f}x; scoring with alerts "
        f"on/off: {(base + shipped) / base:.2f}x (baseline {(base + baseline) / base:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--alerts-only", action="store_true", help="Only the alert figures.")
    args = parser.parse_args()
    lines = [ln for ln in NCI.read_text().splitlines() if ln.strip()]
    if args.alerts_only:
        alert_cost(lines)
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "library.smi"
        source.write_text("\n".join(lines * args.copies) + "\n")
        n = len(lines) * args.copies
        print(f"input: {n} molecules; {os.cpu_count()} cores")
        rates = {}
        for processes in (1, 2):
            start = time.perf_counter()
            summary = screen_file(source, Path(tmp) / f"ranked{processes}.csv", processes=processes)
            rates[processes] = summary.total / (time.perf_counter() - start)
            print(
                f"screen, {processes} process(es): {rates[processes]:8.1f} mol/s "
                f"({summary.scored} scored, {summary.failed} failed)"
            )
        same = (Path(tmp) / "ranked1.csv").read_bytes() == (Path(tmp) / "ranked2.csv").read_bytes()
        print(
            f"speed-up 2 vs 1 process: {rates[2] / rates[1]:.2f}x (target >= 1.7x); identical output: {same}"
        )
        peak = (
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024
        )
        print(f"peak RSS of the parent or a worker: {peak:.0f} MB")
    alert_cost(lines)


if __name__ == "__main__":
    main()
