"""Distributed screening on a Dask cluster (``cryoprotect screen --engine dask``).

The caller's process only plans and merges: each input file is planned into partitions on a
worker (:func:`screening_parts.plan_file`; a bad file fails the run before any scoring, with
the file named), each partition is read and scored on a worker
(:func:`screening_parts.score_partition`, the local engine's per-record function) and written
as one Parquet file, and only the ranking keys (8 bytes per molecule) and the rejected rows
come back. The global rank — best first, equal keys in input order (files in the order
given), exactly as the local engine ranks — is computed here and added to every partition by
a second round of tasks; the CSV (all rows, or the ``top`` best) is merged here from the
partitions.

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
import pyarrow as pa
import pyarrow.parquet as pq

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
    workers = processes or os.cpu_count() or 1
    with (
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
) -> list[PartResult]:
    from distributed import as_completed

    model_arg = None
    if model is not None:  # one task holding the model: recomputed if its worker dies
        model_arg = client.submit(_unpickle, pickle.dumps(model), pure=False)
    futures = [
        client.submit(score_partition, part, str(staging), rank_by, model_arg, pure=False)
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


def _global_ranks(results: list[PartResult]) -> list[np.ndarray]:
    """Per partition, the rank of each row: best key first, ties in input order."""
    keys = np.concatenate([r.keys for r in results]) if results else np.zeros(0)
    order = np.argsort(-keys, kind="stable")
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(1, len(keys) + 1)
    bounds = np.cumsum([0, *(len(r.keys) for r in results)])
    return [ranks[bounds[i] : bounds[i + 1]] for i in range(len(results))]


def _csv_cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _write_csv(
    results: list[PartResult],
    ranks: list[np.ndarray],
    top: int | None,
    header: list[str],
    out: Path,
) -> None:
    pieces = []
    for result, rank in zip(results, ranks, strict=True):
        keep = rank <= top if top is not None else np.ones(len(rank), dtype=bool)
        if keep.any():
            table = pq.read_table(result.path).filter(pa.array(keep))
            pieces.append(table.add_column(0, "rank", pa.array(rank[keep], type=pa.int64())))
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        if not pieces:
            return
        merged = pa.concat_tables(pieces).sort_by("rank").select(header)
        writer = csv.writer(handle, lineterminator="\n")
        for batch in merged.to_batches(max_chunksize=10_000):
            for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                writer.writerow([_csv_cell(v) for v in row])


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
        results = _score_all(client, parts, staging, rank_by, model, progress)
        ranks = _global_ranks(results)
        header = ["rank", *columns(model.target if model is not None else None)[1:]]
        if csv_output is not None:
            _write_csv(results, ranks, top, header, csv_output)
        if parquet_dir is not None:
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
