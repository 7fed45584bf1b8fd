"""Saved, memory-mapped search indexes vs today's in-memory indexes (issue 17, item 3).

For N distinct molecules (``benchmarks/million_library.py``, seed 17; Morgan radius 2,
2048 bits; ids are UUID text as in the app), in one run:

1. **Start-up.** Baseline: building the in-memory indexes from the rows, as every worker
   did at start-up (``SimilarityIndex.add`` + ``SubstructureIndex.add``; the database
   read, the same for both, is not timed). Ours: opening the saved index
   (``persist.open_index``), cold (its files evicted from the page cache with
   ``posix_fadvise(DONTNEED)`` first) and warm. Writing the saved index (once per library,
   in the background afterwards) is shown too.
2. **Memory per worker.** 1, 2 and 4 worker processes each open the saved index and run
   similarity and substructure searches; each reports ``/proc/self/smaps_rollup``: RSS,
   PSS, anonymous (the process's own memory) and file-backed (the page cache pages of the
   index it maps, shared by all workers). A bare worker (the same imports, no index) is
   the reference, and the baseline is the RSS the in-memory index added to this process
   (every worker held its own copy).
3. **Latency.** Similarity top-10 and substructure first page (25 hits) p50, from the
   memory-mapped index vs the in-memory index, on the same queries; the hits must be equal.

Run: ``.venv/bin/python benchmarks/index_persist.py [--n 1000000] [--workers 1,2,4]
[--smi library.smi]`` (``--smi``: the molecules written by ``million_library.py --smi``,
instead of generating them here).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import psutil
from rdkit import Chem, RDLogger

from cryoprotect.science.fingerprints import morgan_fingerprint
from cryoprotect.science.substructure import parse_query
from cryoprotect.search import FeedPosition, SimilarityIndex, SubstructureIndex
from cryoprotect.search.persist import open_index, write_index

sys.path.insert(0, str(Path(__file__).parent))
from million_library import generate  # noqa: E402

CACHE = Path("/tmp/cryoprotect-bench")  # noqa: S108 - a re-creatable cache, nothing secret
PATTERNS = ("c1ccncc1", "C(=O)N", "OCCO", "[OH]", "C(=O)O", "C#N", "c1ccsc1", "N1CCOCC1")
SOURCE = {"database": "benchmark"}
PAGE = 25

RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]


def _fp_chunk(smiles: list[str]) -> bytes:
    return b"".join(morgan_fingerprint(Chem.MolFromSmiles(s)) for s in smiles)


def library(n: int, smi: Path | None = None) -> tuple[list[str], list[str], np.ndarray]:
    """ids, SMILES and fingerprints (n, 256) of the first n molecules (cached); the SMILES
    from ``smi`` (first field per line, e.g. ``million_library.py --smi``) when given."""
    folder = CACHE / f"index_persist_{n}"
    if not (folder / "fps.npy").exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if smi is not None:
            with smi.open() as handle:
                smiles = [line.split()[0] for line, _ in zip(handle, range(n), strict=False)]
            if len(smiles) < n:
                raise SystemExit(f"{smi} holds {len(smiles)} molecules, not {n}")
        else:
            smiles = list(generate(n, seed=17))
        chunks = [smiles[i : i + 5000] for i in range(0, n, 5000)]
        with Pool(os.cpu_count() or 1) as pool:
            fps = b"".join(pool.map(_fp_chunk, chunks))
        (folder / "smiles.txt").write_text("\n".join(smiles) + "\n")
        np.save(folder / "fps.npy", np.frombuffer(fps, dtype=np.uint8).reshape(n, 256))
        print(f"generated {n} molecules in {time.perf_counter() - started:.0f} s (cached)")
    smiles = (folder / "smiles.txt").read_text().split()
    ids = [str(uuid.UUID(int=i + 1)) for i in range(n)]
    return ids, smiles, np.load(folder / "fps.npy")


def _columns(keys: np.ndarray) -> dict[str, np.ndarray]:
    n = keys.shape[0]
    return {
        "visibility": np.full(n, b"public", dtype="S16"),
        "created_by": np.full(n, str(uuid.UUID(int=7)).encode(), dtype="S36"),
        "team": np.zeros(n, dtype="S36"),
    }


def _evict(path: Path) -> None:
    for entry in path.iterdir():
        fd = os.open(entry, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _p50_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def _queries(
    index: tuple[SimilarityIndex, SubstructureIndex], fps: np.ndarray
) -> tuple[list[float], list[float], list[object]]:
    """Latencies and hits of the similarity and substructure queries."""
    similarity, substructure = index
    sim_times: list[float] = []
    sub_times: list[float] = []
    hits: list[object] = []
    for row in range(0, fps.shape[0], max(1, fps.shape[0] // 40)):
        started = time.perf_counter()
        hits.append(similarity.search(fps[row].tobytes(), 10))
        sim_times.append(time.perf_counter() - started)
    for text in PATTERNS:
        query = parse_query(text)
        started = time.perf_counter()
        hits.append(substructure.search(query, PAGE))
        sub_times.append(time.perf_counter() - started)
    return sim_times, sub_times, hits


WORKER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import numpy as np
    from cryoprotect.science.substructure import parse_query
    from cryoprotect.search import SimilarityIndex, SubstructureIndex
    from cryoprotect.search.persist import open_index

    path, fps_path, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "index":
        similarity, substructure = SimilarityIndex(), SubstructureIndex()
        open_index(path, similarity, substructure, source={"database": "benchmark"})
        fps = np.load(fps_path, mmap_mode="r")
        for row in range(0, fps.shape[0], max(1, fps.shape[0] // 20)):
            similarity.search(fps[row].tobytes(), 10)
        for text in sys.argv[4].split(","):
            substructure.search(parse_query(text), 25)
    rollup = {}
    for line in open("/proc/self/smaps_rollup").read().splitlines()[1:]:
        name, value, *_ = line.split()
        rollup[name[:-1]] = int(value)
    print(json.dumps(rollup), flush=True)
    sys.stdin.readline()
    """
)


def workers(path: Path, fps_path: Path, count: int, mode: str = "index") -> list[dict[str, int]]:
    """``count`` processes opened at once; each one's smaps_rollup (kB) while all are up."""
    procs = [
        subprocess.Popen(  # noqa: S603 - this interpreter, this script's code
            [sys.executable, "-c", WORKER, str(path), str(fps_path), mode, ",".join(PATTERNS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        readings = [json.loads(p.stdout.readline()) for p in procs]  # type: ignore[union-attr]
        # Read again once all are up: PSS divides shared pages among the processes mapping them.
        return [_rollup(p.pid) for p in procs] if readings else []
    finally:
        for p in procs:
            p.stdin.close()  # type: ignore[union-attr]
            p.wait(timeout=60)


def _rollup(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        out[name[:-1]] = int(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--smi", type=Path, help="read the SMILES from this file instead")
    args = parser.parse_args()
    ids, smiles, fps = library(args.n, args.smi)
    fps_path = CACHE / f"index_persist_{args.n}" / "fps.npy"
    me = psutil.Process()
    print(f"N = {args.n} molecules; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}")

    # --- baseline: the in-memory build every worker did at start-up
    gc.collect()
    rss_before = me.memory_info().rss
    started = time.perf_counter()
    memory = (SimilarityIndex(), SubstructureIndex())
    memory[0].add(ids, fps)
    memory[1].add(ids, smiles)
    build_s = time.perf_counter() - started
    baseline_rss = me.memory_info().rss - rss_before

    directory = Path(tempfile.mkdtemp(prefix="cpt-index-", dir="/tmp"))
    started = time.perf_counter()
    path = write_index(
        directory, *memory, position=FeedPosition(1, 1), source=SOURCE, columns=_columns
    )
    write_s = time.perf_counter() - started
    size = sum(f.stat().st_size for f in path.iterdir())

    mem_sim, mem_sub, mem_hits = _queries(memory, fps)

    # --- ours: open the saved index, cold and warm
    _evict(path)
    started = time.perf_counter()
    cold = (SimilarityIndex(), SubstructureIndex())
    open_index(path, *cold, source=SOURCE)
    open_cold_s = time.perf_counter() - started
    started = time.perf_counter()
    _queries(cold, fps[:1])
    first_query_cold_s = time.perf_counter() - started
    started = time.perf_counter()
    mapped = (SimilarityIndex(), SubstructureIndex())
    open_index(path, *mapped, source=SOURCE)
    open_warm_s = time.perf_counter() - started
    map_sim, map_sub, map_hits = _queries(mapped, fps)
    assert map_hits == mem_hits, "the memory-mapped index answered differently"
    del memory, cold
    gc.collect()

    print("\n-- start-up (index only; the database read is the same for both and not timed)")
    print(f"baseline: in-memory build          {build_s:10.2f} s")
    print(
        f"ours:     open saved index (cold)  {open_cold_s * 1000:10.1f} ms   ratio {build_s / open_cold_s:,.0f}x"
    )
    print(
        f"ours:     open saved index (warm)  {open_warm_s * 1000:10.1f} ms   ratio {build_s / open_warm_s:,.0f}x"
    )
    print(f"          first search after a cold open  {first_query_cold_s * 1000:.0f} ms")
    print(
        f"          writing the saved index (once, in the background)  {write_s:.1f} s, {size / 2**20:.0f} MiB"
    )

    print("\n-- query latency p50 (same queries, same hits)")
    sim_base, sim_ours = _p50_ms(mem_sim), _p50_ms(map_sim)
    sub_base, sub_ours = _p50_ms(mem_sub), _p50_ms(map_sub)
    print(
        f"similarity top-10:        in-memory {sim_base:7.2f} ms  mapped {sim_ours:7.2f} ms"
        f"  ratio {sim_base / sim_ours:.2f}"
    )
    print(
        f"substructure first {PAGE}:  in-memory {sub_base:7.2f} ms  mapped {sub_ours:7.2f} ms"
        f"  ratio {sub_base / sub_ours:.2f}"
    )

    print("\n-- memory per worker process (MiB; smaps_rollup while all workers are up)")
    bare = workers(path, fps_path, 1, mode="bare")[0]
    print(
        f"bare worker (imports, no index): RSS {bare['Rss'] / 1024:.0f}, anonymous {bare['Anonymous'] / 1024:.0f}"
    )
    print(
        f"baseline: the in-memory index added {baseline_rss / 2**20:.0f} MiB RSS to its process, in every worker"
    )
    print(
        "workers  RSS/worker  anon/worker  file-backed/worker  PSS/worker  sum PSS  index anon/worker"
    )
    previous = None
    for count in (int(c) for c in args.workers.split(",")):
        rollups = workers(path, fps_path, count)
        rss = statistics.mean(r["Rss"] for r in rollups) / 1024
        anon = statistics.mean(r["Anonymous"] for r in rollups) / 1024
        pss = statistics.mean(r["Pss"] for r in rollups) / 1024
        total = sum(r["Pss"] for r in rollups) / 1024
        print(
            f"{count:7d}  {rss:10.0f}  {anon:11.0f}  {rss - anon:18.0f}  {pss:10.0f}  {total:7.0f}"
            f"  {anon - bare['Anonymous'] / 1024:17.0f}"
        )
        if previous is not None:
            added = (total - previous[1]) / (count - previous[0])
            print(f"         sum of PSS grows {added:.0f} MiB per added worker")
        previous = (count, total)
    print(
        "\nPer added worker: ours = its anonymous memory (the mapped pages are shared); "
        f"baseline = {baseline_rss / 2**20:.0f} MiB more for its own in-memory index."
    )


if __name__ == "__main__":
    main()
