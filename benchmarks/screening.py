"""`cryoprotect screen` throughput: 2 worker processes vs 1 (same input, same run).

Input: RDKit's NCI sample repeated to --copies × 5,000 rows (a realistic stream length for
worker start-up costs to amortise). Prints mol/s for each and the speed-up; target ≥ 1.7×.

Usage: python benchmarks/screening.py [--copies 4]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from rdkit import RDConfig

from cryoprotect.services.screening import screen_file

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()
    lines = [ln for ln in NCI.read_text().splitlines() if ln.strip()]
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


if __name__ == "__main__":
    main()
