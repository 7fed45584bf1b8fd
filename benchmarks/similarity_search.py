"""Top-10 Tanimoto search over 1,000,000 Morgan fingerprints: SimilarityIndex vs RDKit.

Baseline: ``DataStructs.BulkTanimotoSimilarity`` over a list of ``ExplicitBitVect`` plus a
numpy top-10 selection (ties broken by id). Ours: ``SimilarityIndex.search`` (FPSim2's C++
top-k kernel over a popcount-sorted block of 512-bit folded fingerprints, exact rescoring
on 2048 bits, numpy delta block), single-threaded; also shown: the same split over two
threads, and a 2048-bit screen (FPSim2's plain full-fingerprint scan, as FPSim2Engine does).
All run in the same process on the same queries; hits must be identical (ids and scores).

The library is built from RDKit's NCI sample (``first_5K.smi``) by enumerating substituted
variants (methyl, hydroxyl, fluoro, amino, chloro, bromo at one or two positions), so
structures differ; some fingerprints coincide, which exercises tie-breaking. Fingerprints
are cached under ``/tmp/cryoprotect-bench``.

Run: ``.venv/bin/python benchmarks/similarity_search.py [--n 1000000] [--queries 50]``
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import psutil
import rdkit
from rdkit import Chem, DataStructs, RDLogger
from rdkit.RDConfig import RDDataDir

from cryoprotect.science.fingerprints import morgan_fingerprint
from cryoprotect.search import SimilarityIndex

CACHE = Path("/tmp/cryoprotect-bench")  # noqa: S108 - a re-creatable cache, nothing secret
NCI = os.path.join(RDDataDir, "NCI", "first_5K.smi")
SUBSTITUENTS = (6, 8, 9, 7, 17, 35)  # C, O, F, N, Cl, Br
DATA_VERSION = 1

RDLogger.DisableLog("rdApp.*")


# --------------------------------------------------------------------------- data set


def nci_parents() -> list[Chem.Mol]:
    """The parseable molecules of RDKit's NCI sample, in file order."""
    parents = []
    with open(NCI, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            mol = Chem.MolFromSmiles(fields[0]) if fields else None
            if mol is not None:
                parents.append(mol)
    return parents


def _substitute(parent: Chem.Mol, changes: tuple[tuple[int, int], ...]) -> Chem.Mol | None:
    mol = Chem.RWMol(parent)
    for site, element in changes:
        atom = mol.GetAtomWithIdx(site)
        if atom.GetNumExplicitHs() > 0:
            atom.SetNumExplicitHs(atom.GetNumExplicitHs() - 1)
        new = mol.AddAtom(Chem.Atom(element))
        mol.AddBond(site, new, Chem.BondType.SINGLE)
    try:
        Chem.SanitizeMol(mol)
    except Exception:  # invalid valences are expected: the candidate is skipped
        return None
    return mol.GetMol()


def _candidates(
    parent: Chem.Mol, elements: tuple[int, ...]
) -> Iterator[tuple[tuple[int, int], ...]]:
    """Deterministic edits: none, then one substituent per site, then two at two sites."""
    yield ()
    sites = [
        a.GetIdx() for a in parent.GetAtoms() if a.GetAtomicNum() > 1 and a.GetTotalNumHs() > 0
    ]
    for site in sites:
        for element in elements:
            yield ((site, element),)
    for first, second in itertools.combinations(sites, 2):
        for e1, e2 in itertools.product(elements, repeat=2):
            yield ((first, e1), (second, e2))


def _variants_job(
    args: tuple[int, int, int, str, tuple[int, ...]],
) -> tuple[int, list[bytes | str], int]:
    """Worker: up to `quota` valid variants of parent `index`, from candidate `skip` on."""
    index, skip, quota, kind, elements = args
    parent = _PARENTS[index]
    out: list[bytes | str] = []
    position = skip
    for changes in itertools.islice(_candidates(parent, elements), skip, None):
        position += 1
        mol = parent if not changes else _substitute(parent, changes)
        if mol is None:
            continue
        out.append(morgan_fingerprint(mol) if kind == "fp" else Chem.MolToSmiles(mol))
        if len(out) == quota:
            break
    else:
        position = -1  # exhausted
    return index, out, position


_PARENTS: list[Chem.Mol] = []


def _init_worker() -> None:
    RDLogger.DisableLog("rdApp.*")
    _PARENTS[:] = nci_parents()


def nci_variants(n: int, kind: str, elements: tuple[int, ...] = SUBSTITUENTS) -> list[bytes | str]:
    """n variants of the NCI sample (fingerprints or canonical SMILES), spread over parents."""
    parents = nci_parents()
    per_parent: list[list[bytes | str]] = [[] for _ in parents]
    next_candidate = [0] * len(parents)
    missing = n
    with Pool(processes=os.cpu_count() or 1, initializer=_init_worker) as pool:
        while missing > 0:
            active = [i for i, pos in enumerate(next_candidate) if pos >= 0]
            if not active:
                raise RuntimeError(f"the NCI sample yields fewer than {n} variants")
            quota = -(-missing // len(active))
            jobs = [(i, next_candidate[i], quota, kind, elements) for i in active]
            for index, found, position in pool.imap_unordered(_variants_job, jobs, chunksize=16):
                per_parent[index].extend(found)
                next_candidate[index] = position
            missing = n - sum(map(len, per_parent))
    # Round-robin over parents so any prefix is diverse.
    out: list[bytes | str] = []
    for row in itertools.zip_longest(*per_parent):
        out.extend(item for item in row if item is not None)
    return out[:n]


def cached_fingerprints(n: int) -> np.ndarray:
    """(n, 256) uint8 Morgan fingerprints of NCI variants, cached as .npy."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"nci_morgan_v{DATA_VERSION}_{n}.npy"
    if path.exists():
        return np.load(path)
    fps = nci_variants(n, "fp")
    array = np.frombuffer(b"".join(fps), dtype=np.uint8).reshape(n, 256)  # type: ignore[arg-type]
    np.save(path, array)
    return array


def cached_smiles(n: int) -> list[str]:
    """n canonical SMILES of NCI variants, cached as text."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"nci_smiles_v{DATA_VERSION}_{n}.smi"
    if path.exists():
        return path.read_text(encoding="utf-8").splitlines()
    smiles = [str(s) for s in nci_variants(n, "smiles")]
    path.write_text("\n".join(smiles) + "\n", encoding="utf-8")
    return smiles


def make_ids(n: int, offset: int = 0) -> list[str]:
    """Deterministic UUID strings (the service's id format)."""
    return [str(uuid.UUID(int=offset + i)) for i in range(n)]


# --------------------------------------------------------------------------- measuring


def rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1e3 for s in seconds]
    return f"{label:<37} median {statistics.median(ms):9.2f} ms   worst {max(ms):9.2f} ms"


def brute_force_top_k(
    query: DataStructs.ExplicitBitVect, bitvects: list, ids: list[str], k: int
) -> list[tuple[str, float]]:
    """Baseline: RDKit's bulk Tanimoto, then top-k by score with ties broken by id."""
    scores = np.asarray(DataStructs.BulkTanimotoSimilarity(query, bitvects))
    if len(scores) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(len(scores))
    ranked = sorted((-scores[i], ids[i]) for i in candidates)[:k]
    return [(key, float(-negated)) for negated, key in ranked]


def to_bitvects(fps: np.ndarray) -> list:
    return [DataStructs.CreateFromFPSText(row.tobytes().hex()) for row in fps]


# --------------------------------------------------------------------------- benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="library size")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--writes", type=int, default=1_000, help="inserts and deletes")
    args = parser.parse_args(argv)
    n, k = args.n, args.k
    print(f"similarity search benchmark: n={n:,} queries={args.queries} k={k}")
    print(
        f"rdkit {rdkit.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )

    seconds, fps = timed(lambda: cached_fingerprints(n))
    assert isinstance(fps, np.ndarray)
    print(f"fingerprints ready in {seconds:.1f} s ({len(np.unique(fps, axis=0)):,} distinct)")
    ids = make_ids(n)

    before = rss()
    seconds, index = timed(lambda: _build_index(ids, fps))
    assert isinstance(index, SimilarityIndex)
    index_rss = rss() - before
    print(
        f"ours: index built in {seconds:.2f} s; RSS +{mib(index_rss)}; "
        f"memory_bytes() {mib(index.memory_bytes())} "
        f"({index.memory_bytes() / n:.0f} B/compound)"
    )

    before = rss()
    seconds, bitvects = timed(lambda: to_bitvects(fps))
    assert isinstance(bitvects, list)
    print(f"baseline: {n:,} ExplicitBitVect built in {seconds:.2f} s; RSS +{mib(rss() - before)}")

    rng = random.Random(20260901)  # noqa: S311 - reproducible sampling, not security
    query_rows = rng.sample(range(n), args.queries)
    query_fps = [fps[row].tobytes() for row in query_rows]

    threaded = _build_index(ids, fps, num_threads=2)  # same data, searches split over 2 threads
    unfolded = _build_index(ids, fps, screen_bits=2048)  # FPSim2's full 2048-bit scan
    indexes = {
        "ours SimilarityIndex.search 1 thr": index,
        "ours SimilarityIndex.search 2 thr": threaded,
        "ours, 2048-bit screen (FPSim2 scan)": unfolded,
    }

    def run(label: str, live_ids: list[str], live_bitvects: list) -> None:
        base_times: list[float] = []
        our_times: dict[str, list[float]] = {name: [] for name in indexes}
        mismatches = dict.fromkeys(indexes, 0)
        for query_fp in query_fps:
            query_bv = DataStructs.CreateFromFPSText(query_fp.hex())
            t_base, expected = timed(
                partial(brute_force_top_k, query_bv, live_bitvects, live_ids, k)
            )
            base_times.append(t_base)
            for name, candidate in indexes.items():
                t_ours, got = timed(partial(candidate.search, query_fp, k))
                our_times[name].append(t_ours)
                mismatches[name] += got != expected
        print(f"-- {label}")
        print(summary("baseline BulkTanimoto + top-k", base_times))
        for name, times in our_times.items():
            print(
                summary(name, times)
                + f"   speed-up median {statistics.median(base_times) / statistics.median(times):5.1f}x"
                f", worst {max(base_times) / max(times):5.1f}x"
                f"; identical top-{k}: {args.queries - mismatches[name]}/{args.queries}"
            )

    run("static library", ids, bitvects)

    # Writes: insert new molecules (iodo variants, absent from the library) and delete others.
    writes = args.writes
    new_fps = np.frombuffer(
        b"".join(nci_variants(writes, "fp", elements=(53,))),
        dtype=np.uint8,  # type: ignore[arg-type]
    ).reshape(writes, 256)
    new_ids = make_ids(writes, offset=n)
    doomed_rows = sorted(rng.sample(range(n), writes))
    doomed = [ids[row] for row in doomed_rows]
    t_add, _ = timed(lambda: index.add(new_ids, new_fps))
    t_remove, _ = timed(lambda: index.remove(doomed))
    for other in (threaded, unfolded):
        other.add(new_ids, new_fps)
        other.remove(doomed)
    print(
        f"-- writes: add {writes:,} in {t_add * 1e3:.1f} ms, remove {writes:,} in "
        f"{t_remove * 1e3:.1f} ms (pending changes {index.pending_changes:,}; no rebuild)"
    )
    for i in range(min(5, writes)):  # some queries now find the inserted molecules
        query_fps[i] = new_fps[i].tobytes()
    dead = set(doomed_rows)
    live_ids = [key for row, key in enumerate(ids) if row not in dead] + new_ids
    live_bitvects = [bv for row, bv in enumerate(bitvects) if row not in dead] + to_bitvects(
        new_fps
    )
    run("after writes (delta block + tombstones)", live_ids, live_bitvects)
    hits = [key for query_fp in query_fps for key, _ in index.search(query_fp, 50)]
    print(
        f"deleted ids returned: {len(set(hits) & set(doomed))}; "
        f"inserted ids among hits: {len(set(hits) & set(new_ids))}"
    )
    t_compact, _ = timed(index.compact)
    threaded.compact()
    unfolded.compact()
    print(
        f"-- explicit compaction of {n:,} rows: {t_compact:.2f} s "
        f"(automatic after {20_000:,} pending changes)"
    )
    run("after compaction", live_ids, live_bitvects)
    return 0


def _build_index(
    ids: list[str], fps: np.ndarray, num_threads: int = 1, screen_bits: int = 512
) -> SimilarityIndex:
    index = SimilarityIndex(num_threads=num_threads, screen_bits=screen_bits)
    index.add(ids, fps)
    return index


if __name__ == "__main__":
    sys.exit(main())
