"""Distributed screening on a Dask cluster (``cryoprotect screen --engine dask``).

The caller's process only plans and merges: each input file is planned into partitions on a
worker (:func:`screening_parts.plan_file`; a bad file fails the run before any scoring, with
the file named), each partition is read and scored on a worker
(:func:`screening_parts.score_partition`, the local engine's per-record function) and written
as one Parquet file and/or as its rows' CSV lines, and only the ranking keys (8 bytes per
molecule; 8 more with a CSV: where each line ends) and the rejected rows come back. The
global rank — best first, equal keys in input order (files in the order given), exactly as the
local engine ranks — is computed here and added to every Parquet partition by a second round
of tasks; the CSV (all rows, or the ``top`` best) is written here by copying the workers'
lines in rank order, each behind its rank (no per-cell work in the caller: it would not
scale with the workers).

Cluster: an existing scheduler (``scheduler``, e.g. ``tcp://host:8786``, or the
``CRYOPROTECT_DASK_SCHEDULER`` environment variable), else a local cluster of worker
processes (one thread each: RDKit holds the GIL) on this machine. Workers and the caller must
see the input and output paths (a shared file system on a real cluster).

Fault tolerance is Dask's: when a worker dies its in-flight and unfetched tasks are run again
on the others; every partition writes its file under a fixed name through an atomic rename,
so a partition computed twice still appears once.
"""

from __future__ import annotations

import csv
import mmap
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cryoprotect.errors import ValidationError
from cryoprotect.services.screening import RANK_BY
from cryoprotect.services.screening_parts import (
    Partition,
    PartResult,
    ScreenInputError,
    columns,
    finish_partition,
    part_name,
    plan_file,
    score_partition,
)

SCHEDULER_ENV = "CRYOPROTECT_DASK_SCHEDULER"
PARTITION_ROWS = 1000
"""Rows (lines, SDF records, Parquet rows) per partition by default."""
LOCAL_CLUSTER_CONFIG = {
    # The event-loop watchdog of every scheduler, nanny and worker: 50 wake-ups a second
    # each by default (20 ms); once a second still reports a blocked loop.
    "distributed.admin.tick.interval": "1s",
    # CPU/memory samples for the dashboard (default 500 ms).
    "distributed.admin.system-monitor.interval": "2s",
    # How often each nanny checks its worker's memory against the limit (default 100 ms).
    "distributed.worker.memory.monitor-interval": "1s",
    # The statistical profiler of the running task (a stack sample every 10 ms, taking the
    # GIL from the task): shown only on the dashboard, on a port this module never prints.
    "distributed.worker.profile.enabled": False,
}
"""Dask settings of the local cluster :func:`dask_client` starts (not of a cluster given by
address). CPU of an idle local cluster of 2 workers over 30 s, at nice 19 on the 2-core VM
under other load (three samples with Dask's defaults, one with these): the caller's process
(scheduler, nannies) 1.7-4.1 % of a core and each worker 1.4-3.2 % with the defaults; 0.7 %
and 0.3 % with these. With as many workers as cores that overhead is taken from them."""


@dataclass(frozen=True)
class DaskScreenSummary:
    total: int
    scored: int
    failed: int
    partitions: int
    workers: int
    csv: str | None
    parquet: str | None
    rejects: str
    seconds: float


def scheduler_address(option: str | None) -> str | None:
    """``--scheduler`` if given, else ``CRYOPROTECT_DASK_SCHEDULER`` (None: a local cluster)."""
    return option or os.environ.get(SCHEDULER_ENV) or None


@contextmanager
def dask_client(scheduler: str | None, processes: int | None) -> Iterator[Any]:
    """A client of ``scheduler``, or of a local cluster of ``processes`` worker processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:  # type: ignore[no-untyped-call]
            yield client
        return
    import dask

    workers = processes or os.cpu_count() or 1
    with (
        dask.config.set(LOCAL_CLUSTER_CONFIG),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # any free port: never clash with another cluster
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _unpickle(data: bytes) -> Any:
    return pickle.loads(data)  # noqa: S301 - our own model, pickled by the caller just before


def _check_request(
    sources: Sequence[Path], csv_output: Path | None, parquet_dir: Path | None, rank_by: str
) -> None:
    if rank_by not in RANK_BY:
        raise ValidationError(f"rank_by must be one of {', '.join(RANK_BY)}.", field="rank_by")
    if not sources:
        raise ValidationError("Give at least one input file.", field="source")
    if csv_output is None and parquet_dir is None:
        raise ValidationError("Give a CSV output, a Parquet directory or both.", field="output")
    if parquet_dir is not None and parquet_dir.exists() and any(parquet_dir.iterdir()):
        raise ValidationError(
            f"{parquet_dir}: the Parquet output directory must be new or empty.", field="parquet"
        )


def _plans(client: Any, sources: Sequence[Path], size: int) -> list[Partition]:
    futures = [client.submit(plan_file, str(p.resolve()), i, size) for i, p in enumerate(sources)]
    try:
        plans = client.gather(futures)
    except ScreenInputError as exc:
        client.cancel(futures)
        raise ValidationError(str(exc), field="source") from exc
    return [part for plan in plans for part in plan]


def _score_all(
    client: Any,
    parts: list[Partition],
    staging: Path,
    rank_by: str,
    model: Any,
    progress: Callable[[int], None] | None,
    *,
    parquet: bool,
    lines: bool,
) -> list[PartResult]:
    from distributed import as_completed

    model_arg = None
    if model is not None:  # one task holding the model: recomputed if its worker dies
        model_arg = client.submit(_unpickle, pickle.dumps(model), pure=False)
    futures = [
        client.submit(
            score_partition,
            part,
            str(staging),
            rank_by,
            model_arg,
            parquet=parquet,
            lines=lines,
            pure=False,
        )
        for part in parts
    ]
    results: list[PartResult] = []
    try:
        for future, result in as_completed(futures, with_results=True):  # type: ignore[no-untyped-call]
            results.append(result)
            future.release()
            if progress is not None:
                progress(len(result.keys))
    except ScreenInputError as exc:
        client.cancel(futures)
        raise ValidationError(str(exc), field="source") from exc
    results.sort(key=lambda r: (r.file_index, r.index))
    return results


def _rank_order(results: list[PartResult]) -> np.ndarray:
    """The rows (numbered across the partitions in order) best key first, ties in input
    order."""
    keys = np.concatenate([r.keys for r in results]) if results else np.zeros(0)
    return np.argsort(-keys, kind="stable")


def _global_ranks(results: list[PartResult], order: np.ndarray) -> list[np.ndarray]:
    """Per partition, the rank of each row (``order``: :func:`_rank_order`)."""
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(1, len(order) + 1)
    bounds = np.cumsum([0, *(len(r.keys) for r in results)])
    return [ranks[bounds[i] : bounds[i + 1]] for i in range(len(results))]


def _write_csv(
    results: list[PartResult],
    order: np.ndarray,
    top: int | None,
    header: list[str],
    out: Path,
    staging: Path,
) -> None:
    """The partitions' CSV lines, ``rank,`` before each, in rank order (the ``top`` best)."""
    chosen = order if top is None else order[:top]
    with out.open("wb") as handle:
        handle.write((",".join(header) + "\n").encode("utf-8"))
        if not len(chosen):
            return
        # One spool of all lines in partition order, read through a memory map: the caller
        # holds two offsets per row, never the rows.
        spool = staging / "lines.csv"
        ends: list[np.ndarray] = []
        with spool.open("wb") as target:
            for result in results:
                assert result.line_ends is not None
                ends.append(result.line_ends + target.tell())
                with open(result.lines, "rb") as piece:
                    shutil.copyfileobj(piece, target)
        stops = np.concatenate(ends)
        starts = np.concatenate([[0], stops[:-1]])
        with (
            spool.open("rb") as source,
            mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as view,
        ):
            for first in range(0, len(chosen), 10_000):
                batch = chosen[first : first + 10_000]
                handle.write(
                    b"".join(
                        b"%d,%s" % (rank, view[start:stop])
                        for rank, start, stop in zip(
                            range(first + 1, first + len(batch) + 1),
                            starts[batch].tolist(),
                            stops[batch].tolist(),
                            strict=True,
                        )
                    )
                )


def _write_rejects(results: list[PartResult], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "row", "input", "reason"])
        for result in results:
            writer.writerows(result.rejects)


def default_rejects(csv_output: Path | None, parquet_dir: Path | None) -> Path:
    """``<csv stem>.rejects.csv`` beside the CSV, else ``<parquet dir>.rejects.csv``."""
    if csv_output is not None:
        return csv_output.with_name(f"{csv_output.stem}.rejects.csv")
    assert parquet_dir is not None
    return parquet_dir.with_name(f"{parquet_dir.name}.rejects.csv")


def screen_files_dask(
    sources: Sequence[Path],
    *,
    csv_output: Path | None = None,
    parquet_dir: Path | None = None,
    rejects: Path | None = None,
    top: int | None = None,
    scheduler: str | None = None,
    processes: int | None = None,
    partition_rows: int = PARTITION_ROWS,
    model: Any = None,
    rank_by: str = RANK_BY[0],
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> DaskScreenSummary:
    """Screen ``sources`` on a Dask cluster into a ranked CSV and/or a Parquet directory.

    Columns: the local engine's (:data:`screening.COLUMNS`, the model's prediction columns)
    and ``source`` (the input file's name). Failed rows stay in the output, ranked last with
    the reason in ``error``, and are listed in ``rejects`` (source, row, input, reason).
    ``client``: an existing Dask client (else one is made from ``scheduler``/``processes``).
    """
    _check_request(sources, csv_output, parquet_dir, rank_by)
    if partition_rows < 1:
        raise ValidationError("partition_rows must be at least 1.", field="partition_rows")
    started = time.perf_counter()
    if client is None:
        with dask_client(scheduler, processes) as made:
            return screen_files_dask(
                sources,
                csv_output=csv_output,
                parquet_dir=parquet_dir,
                rejects=rejects,
                top=top,
                partition_rows=partition_rows,
                model=model,
                rank_by=rank_by,
                progress=progress,
                client=made,
            )
    rejects = rejects or default_rejects(csv_output, parquet_dir)
    parts = _plans(client, sources, partition_rows)
    base = parquet_dir if parquet_dir is not None else csv_output
    assert base is not None
    base.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".screen-staging-", dir=base.parent))
    try:
        results = _score_all(
            client,
            parts,
            staging,
            rank_by,
            model,
            progress,
            parquet=parquet_dir is not None,
            lines=csv_output is not None,
        )
        order = _rank_order(results)
        header = ["rank", *columns(model.target if model is not None else None)[1:]]
        if csv_output is not None:
            _write_csv(results, order, top, header, csv_output, staging)
        if parquet_dir is not None:
            ranks = _global_ranks(results, order)
            parquet_dir.mkdir(parents=True, exist_ok=True)
            finals = [str(parquet_dir / part_name(r.file_index, r.index)) for r in results]
            client.gather(client.map(finish_partition, [r.path for r in results], ranks, finals))
        _write_rejects(results, rejects)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    total = sum(len(r.keys) for r in results)
    failed = sum(len(r.rejects) for r in results)
    return DaskScreenSummary(
        total=total,
        scored=total - failed,
        failed=failed,
        partitions=len(parts),
        workers=len(client.scheduler_info()["workers"]),
        csv=str(csv_output) if csv_output else None,
        parquet=str(parquet_dir) if parquet_dir else None,
        rejects=str(rejects),
        seconds=time.perf_counter() - started,
    )
