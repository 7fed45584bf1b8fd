"""`cryoprotect screen` on Dask vs today's local engine (issue 17, item 1), same input, one run.

Input: RDKit's NCI sample (5,000 SMILES) repeated to --molecules rows (default 200,000; the
structural-alert cache therefore hits for repeats, in both engines alike). Runs:
- local: today's engine (`screen_file`, 2 worker processes), ranked CSV;
- dask-1 / dask-2: a local Dask cluster of 1 / 2 single-threaded worker processes, ranked
  CSV + partitioned Parquet. The cluster's start-up is timed apart from the screen.
Prints mol/s, parallel efficiency from 1 to 2 Dask workers (rate2 / (2 x rate1); target
>= 85 %), and the cost per molecule (worker-process seconds per molecule) of each engine.
On a shared machine the other processes' load is printed too: it skews every figure.

Usage: python benchmarks/screening_dask.py [--molecules 200000] [--partition-rows 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from rdkit import RDConfig

from cryoprotect.services.screening import screen_file
from cryoprotect.services.screening_dask import dask_client, screen_files_dask

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def _dask(source: Path, out: Path, workers: int, partition_rows: int) -> tuple[float, float]:
    started = time.perf_counter()
    with dask_client(None, workers) as client:
        client.wait_for_workers(workers)
        ready = time.perf_counter()
        summary = screen_files_dask(
            [source],
            csv_output=out / f"dask{workers}.csv",
            parquet_dir=out / f"dask{workers}",
            partition_rows=partition_rows,
            client=client,
        )
        rate = summary.total / (time.perf_counter() - ready)
    return rate, ready - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--molecules", type=int, default=200_000)
    parser.add_argument("--partition-rows", type=int, default=1000)
    args = parser.parse_args()
    lines = [ln for ln in NCI.read_text().splitlines() if ln.strip()]
    rows = (lines * (args.molecules // len(lines) + 1))[: args.molecules]
    work = Path(tempfile.mkdtemp(prefix="screen-dask-bench-"))
    try:
        source = work / "library.smi"
        source.write_text("\n".join(rows) + "\n")
        print(f"input: {len(rows)} molecules; {os.cpu_count()} cores; load {os.getloadavg()}")
        start = time.perf_counter()
        local = screen_file(source, work / "local.csv", processes=2)
        local_rate = local.total / (time.perf_counter() - start)
        print(f"local engine, 2 processes: {local_rate:8.1f} mol/s (start-up included)")
        rates = {}
        for workers in (1, 2):
            rates[workers], startup = _dask(source, work, workers, args.partition_rows)
            print(
                f"dask, {workers} worker(s):        {rates[workers]:8.1f} mol/s "
                f"(cluster start-up {startup:.1f} s apart)"
            )
        efficiency = rates[2] / (2 * rates[1])
        print(f"parallel efficiency 1 -> 2 workers: {efficiency:.1%} (target >= 85 %)")
        for label, rate, procs in (("local", local_rate, 2), ("dask-2", rates[2], 2)):
            print(f"cost per molecule, {label}: {procs / rate * 1000:.2f} worker-ms/mol")
        same = (work / "local.csv").read_text().splitlines()[1:] == [
            ln.rsplit(",", 1)[0] for ln in (work / "dask2.csv").read_text().splitlines()[1:]
        ]
        print(f"dask-2 CSV equals the local engine's (source column aside): {same}")
        print(f"load after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
