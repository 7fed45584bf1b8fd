"""`cryoprotect screen` on Dask vs today's local engine (issue 17, item 1), same input, one run.

Input: RDKit's NCI sample (5,000 SMILES) repeated to --molecules rows (default 200,000; the
structural-alert cache therefore hits for repeats, in both engines alike — and each worker
process fills its own cache, so 2 processes compute every distinct molecule's alerts twice,
which penalises every parallel run). ``--library distinct`` screens --molecules distinct
molecules instead (``million_library.generate``, or the first lines of ``--smi``), as a
real library is: no cache hits for any process count.
Runs, in this order:
- local-1 / local-2: today's engine (`screen_file`), ranked CSV, with processes=1 (scored in
  the caller's process, no pool) and processes=2 (a pool of 2; the caller writes the CSV);
- dask-1 / dask-2: a local Dask cluster of 1 / 2 single-threaded worker processes, ranked
  CSV + partitioned Parquet. The cluster's start-up is timed apart from the screen.
Prints mol/s and, for each engine, the parallel efficiency from 1 to 2 processes
(rate2 / (2 x rate1); Dask's target >= 85 %). The local engine's efficiency is this
machine's ceiling for the same work (its cores, its caches, the other processes' load):
the Dask figure is read against it (their ratio). Also the cost per molecule (worker-process
seconds per molecule) of each engine, and whether dask-2's CSV equals the local engine's.
On a shared machine the other processes' load is printed too: it skews every figure.

Usage: python benchmarks/screening_dask.py [--molecules 200000] [--partition-rows 1000]
       [--library nci|distinct] [--smi library-1000000.smi]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import tempfile
import time
from pathlib import Path

from rdkit import RDConfig

from cryoprotect.science.alerts import alerts_for_smiles
from cryoprotect.services.screening import screen_file
from cryoprotect.services.screening_dask import PARTITION_ROWS, dask_client, screen_files_dask

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def _local(source: Path, out: Path, processes: int) -> float:
    alerts_for_smiles.cache_clear()  # processes=1 scores here: start cold, as a pool does
    started = time.perf_counter()
    summary = screen_file(source, out / f"local{processes}.csv", processes=processes)
    return float(summary.total / (time.perf_counter() - started))


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
    parser.add_argument("--partition-rows", type=int, default=PARTITION_ROWS)
    parser.add_argument(
        "--library",
        choices=("nci", "distinct"),
        default="nci",
        help="nci: the NCI sample repeated (caches hit); distinct: --molecules distinct "
        "molecules from million_library.generate (seed 17), as a real library is",
    )
    parser.add_argument(
        "--smi", type=Path, help="with --library distinct: the first --molecules lines of this "
        "million_library.py SMILES file instead of generating them",
    )  # fmt: skip
    args = parser.parse_args()
    if args.library == "distinct":
        from million_library import generate  # benchmarks/ is on sys.path when run as a script

        if args.smi is not None:
            with args.smi.open() as handle:
                rows = [line.rstrip("\n") for line in itertools.islice(handle, args.molecules)]
        else:
            rows = list(generate(args.molecules))
    else:
        lines = [ln for ln in NCI.read_text().splitlines() if ln.strip()]
        rows = (lines * (args.molecules // len(lines) + 1))[: args.molecules]
    work = Path(tempfile.mkdtemp(prefix="screen-dask-bench-"))
    try:
        source = work / "library.smi"
        source.write_text("\n".join(rows) + "\n")
        print(f"input: {len(rows)} molecules; {os.cpu_count()} cores; load {os.getloadavg()}")
        local: dict[int, float] = {}
        for processes in (1, 2):
            local[processes] = _local(source, work, processes)
            print(
                f"local engine, {processes} process(es): {local[processes]:8.1f} mol/s "
                "(start-up included)"
            )
        dask: dict[int, float] = {}
        for workers in (1, 2):
            dask[workers], startup = _dask(source, work, workers, args.partition_rows)
            print(
                f"dask, {workers} worker(s):           {dask[workers]:8.1f} mol/s "
                f"(cluster start-up {startup:.1f} s apart)"
            )
        local_eff = local[2] / (2 * local[1])
        dask_eff = dask[2] / (2 * dask[1])
        print(f"parallel efficiency 1 -> 2, local engine (this machine's ceiling): {local_eff:.1%}")
        print(f"parallel efficiency 1 -> 2, dask (target >= 85 %):              {dask_eff:.1%}")
        print(f"dask efficiency / local efficiency: {dask_eff / local_eff:.2f}")
        print(f"dask-2 rate / local-2 rate: {dask[2] / local[2]:.2f}")
        print(f"dask-1 rate / local-1 rate: {dask[1] / local[1]:.2f}")
        for label, rate, procs in (("local-2", local[2], 2), ("dask-2", dask[2], 2)):
            print(f"cost per molecule, {label}: {procs / rate * 1000:.2f} worker-ms/mol")
        reference = (work / "local2.csv").read_text().splitlines()[1:]
        print(
            "local-1 CSV equals local-2's: "
            f"{(work / 'local1.csv').read_text().splitlines()[1:] == reference}"
        )
        same = reference == [
            ln.rsplit(",", 1)[0] for ln in (work / "dask2.csv").read_text().splitlines()[1:]
        ]
        print(f"dask-2 CSV equals the local engine's (source column aside): {same}")
        print(f"load after: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
