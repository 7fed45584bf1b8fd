"""In-memory search over the molecule library: Tanimoto similarity and substructure.

This module owns the two indexes the molecule service keeps beside PostgreSQL:

* :class:`SimilarityIndex` answers "the k most similar molecules" on Morgan fingerprints
  (radius 2, 2048 bits, the bytes stored in ``molecules.morgan_fp``). A *main block*,
  sorted by popcount in the row layout FPSim2's C++ kernel expects, is screened by that
  kernel on OR-folded fingerprints and the candidates are rescored exactly; a small
  *delta block* of recent inserts is scored with numpy; deletions are tombstones. The
  blocks are merged ("compacted") only when the pending changes exceed a threshold, so a
  write never rebuilds the index.
* :class:`SubstructureIndex` wraps RDKit's ``SubstructLibrary`` (trusted canonical SMILES
  plus pattern fingerprints) with a vectorised pattern and atom-type screen, and returns
  the first page of hits quickly. :meth:`SubstructureIndex.find` also stops at a deadline
  (checked before every candidate and, for guarded queries, inside RDKit's matcher) and
  says whether the scan was cut short; an *isolated* find matches in a forked child
  process at idle CPU priority that is killed at the deadline (see
  :meth:`SubstructureIndex.find`).

Both return exactly what a brute-force loop would (``BulkTanimotoSimilarity``,
``HasSubstructMatch``); the unit tests and ``benchmarks/`` check it. Callers pass an
``allowed`` callback to keep only ids the actor may see: visibility is decided by the
service (and PostgreSQL), never here.

Fingerprint bytes: bit ``i`` of the 2048-bit vector is bit ``i % 8`` of byte ``i // 8``
(the FPS format's little-endian order; ``numpy.packbits(..., bitorder="little")``).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import re
import selectors
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from FPSim2.FPSim2lib import GenericSearch
from numpy.typing import NDArray
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator, rdSubstructLibrary

if sys.platform != "win32":
    import resource

from cryoprotect.errors import InvalidStructureError, ValidationError
from cryoprotect.science.molecules import (
    MAX_SMILES_LENGTH,
    capture_rdkit_log,
    rdkit_reason,
    require_ascii,
    to_mol,
)

__all__ = [
    "FP_BITS",
    "FP_BYTES",
    "Allowed",
    "SimilarityIndex",
    "SubstructureHits",
    "SubstructureIndex",
    "fingerprint_to_bitvect",
    "morgan_fingerprint",
    "parse_query",
]

FP_BITS = 2048
FP_BYTES = FP_BITS // 8
MORGAN_RADIUS = 2

Allowed = Callable[[list[str]], list[bool]]
"""Visibility filter: given candidate ids, says for each whether the caller may see it."""

_WORDS = FP_BITS // 64
_TANIMOTO = 0  # FPSim2's calc_type for Tanimoto
_MIN_ROWS_PER_THREAD = 50_000  # below this a thread hand-off costs more than it saves
_EMPTY_ROWS: NDArray[np.int64] = np.empty(0, dtype=np.int64)

_local = threading.local()


# --------------------------------------------------------------------------- fingerprints


def _morgan_generator() -> Any:
    generator = getattr(_local, "morgan", None)
    if generator is None:  # one generator per thread: RDKit generators keep scratch state
        generator = rdFingerprintGenerator.GetMorganGenerator(radius=MORGAN_RADIUS, fpSize=FP_BITS)
        _local.morgan = generator
    return generator


def morgan_fingerprint(mol: Chem.Mol) -> bytes:
    """Morgan fingerprint (radius 2, 2048 bits) packed into 256 bytes.

    Args:
        mol: a sanitised RDKit molecule.

    Returns:
        256 bytes; bit ``i`` is bit ``i % 8`` of byte ``i // 8``.
    """
    bits = _morgan_generator().GetFingerprintAsNumPy(mol)
    return np.packbits(bits, bitorder="little").tobytes()


def fingerprint_to_bitvect(fp: bytes) -> DataStructs.ExplicitBitVect:
    """The RDKit ``ExplicitBitVect`` of packed fingerprint bytes (inverse of the packing)."""
    _check_fp_bytes(fp)
    return DataStructs.CreateFromFPSText(bytes(fp).hex())


def _check_fp_bytes(fp: object) -> None:
    if not isinstance(fp, bytes | bytearray | memoryview) or len(fp) != FP_BYTES:
        size = len(fp) if isinstance(fp, bytes | bytearray | memoryview) else type(fp).__name__
        raise ValidationError(
            f"A fingerprint must be {FP_BYTES} bytes, got {size}.", field="fingerprint"
        )


def _as_words(fps: Sequence[bytes] | NDArray[np.uint8]) -> NDArray[np.uint64]:
    """Packed fingerprints as an (n, 32) array of little-endian 64-bit words."""
    if isinstance(fps, np.ndarray):
        if fps.ndim != 2 or fps.shape[1] != FP_BYTES or fps.dtype != np.uint8:
            raise ValidationError(
                f"Fingerprint arrays must be uint8 of shape (n, {FP_BYTES}).", field="fingerprint"
            )
        raw = np.ascontiguousarray(fps)
    else:
        for fp in fps:
            _check_fp_bytes(fp)
        raw = np.frombuffer(b"".join(fps), dtype=np.uint8).reshape(-1, FP_BYTES)
    return raw.view("<u8").astype(np.uint64, copy=True)


def _popcounts(words: NDArray[np.uint64]) -> NDArray[np.int64]:
    counts: NDArray[np.int64] = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    return counts


def _tanimoto(
    words: NDArray[np.uint64], counts: NDArray[np.int64], query: NDArray[np.uint64], qcount: int
) -> NDArray[np.float64]:
    """Exact Tanimoto (float64 ``common / union``, 0 when both are empty, as RDKit does)."""
    common = np.bitwise_count(words & query).sum(axis=1, dtype=np.int64)
    union = counts + qcount - common
    scores = np.zeros(common.shape[0], dtype=np.float64)
    np.divide(common, union, out=scores, where=union > 0)
    return scores


# --------------------------------------------------------------------------- similarity


def _fold(words: NDArray[np.uint64], screen_words: int) -> NDArray[np.uint64]:
    """OR-fold (n, 32) fingerprint words to (n, screen_words)."""
    folded = words[:, :screen_words].copy()
    for begin in range(screen_words, _WORDS, screen_words):
        folded |= words[:, begin : begin + screen_words]
    return folded


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """One consistent state of a :class:`SimilarityIndex`; searches read only this.

    Main block rows are sorted by popcount. ``screen`` is the FPSim2 kernel's array:
    ``[row number, folded words..., full popcount]``; ``full`` holds the 2048-bit words of
    the same rows for exact rescoring. ``delta``, ``delta_counts`` and ``delta_ids`` may be
    shared with later snapshots that append rows beyond ``delta_len``; rows below
    ``delta_len`` never change.
    """

    screen: NDArray[np.uint64]  # (n, screen_words + 2)
    full: NDArray[np.uint64]  # (n, _WORDS)
    bin_start: NDArray[np.int64]  # (FP_BITS + 2,): first main row with popcount >= p
    main_ids: list[str]
    main_dead: frozenset[int]
    delta: NDArray[np.uint64]  # (capacity, _WORDS)
    delta_counts: NDArray[np.int64]  # (capacity,)
    delta_ids: list[str]
    delta_len: int
    delta_dead: frozenset[int]
    size: int

    @property
    def pending(self) -> int:
        return self.delta_len + len(self.main_dead)


def _empty_snapshot(screen_words: int) -> _Snapshot:
    return _Snapshot(
        screen=np.zeros((0, screen_words + 2), dtype=np.uint64),
        full=np.zeros((0, _WORDS), dtype=np.uint64),
        bin_start=np.zeros(FP_BITS + 2, dtype=np.int64),
        main_ids=[],
        main_dead=frozenset(),
        delta=np.zeros((0, _WORDS), dtype=np.uint64),
        delta_counts=np.zeros(0, dtype=np.int64),
        delta_ids=[],
        delta_len=0,
        delta_dead=frozenset(),
        size=0,
    )


def _popcount_band(qcount: int, threshold: float) -> tuple[int, int]:
    """Popcounts that allow a Tanimoto >= threshold (widened by one bit each side)."""
    if threshold <= 0.0:
        return 0, FP_BITS
    low = max(0, math.floor(threshold * qcount) - 1)
    high = min(FP_BITS, math.ceil(qcount / threshold) + 1)
    return low, high


def _float32_below(value: float) -> float:
    """The float32 just below ``value`` (FPSim2 compares float32 coefficients)."""
    return float(np.nextafter(np.float32(value), np.float32(-np.inf)))


# The screen works on OR-folded fingerprints: x = |fold(q) & fold(d)| and the kernel's
# coefficient is K = x / (|q| + |d| - x), with the full popcounts. The exact common count
# c = |q & d| satisfies c <= x + slack, where slack = |q| - |fold(q)| (a fold merges at
# most that many query bits), and x >= c - slack. Two bounds follow, evaluated for every
# popcount |d| in the scanned band (all in float64, rounded the safe way):


def _screen_floor(qcount: int, slack: int, threshold: float, counts: NDArray[np.int64]) -> float:
    """A kernel threshold K that no row with Tanimoto >= threshold falls below."""
    if threshold <= 0.0:
        return 0.0
    common = np.floor(threshold * (qcount + counts) / (1.0 + threshold))  # <= the least c
    folded = np.maximum(common - slack, 0.0)
    lowest = float(np.min(folded / (qcount + counts - folded)))
    return _float32_below(lowest) if lowest > 0.0 else 0.0


def _score_bound(qcount: int, slack: int, coefficient: float, counts: NDArray[np.int64]) -> float:
    """The highest Tanimoto a row whose kernel coefficient is <= ``coefficient`` can have."""
    loose = coefficient * (1.0 + 1e-6) + 1e-7  # covers the kernel's float32 rounding
    folded = np.floor(loose * (qcount + counts) / (1.0 + loose) + 1e-9)
    common = np.minimum(folded + slack, np.minimum(qcount, counts))
    return float(np.max(common / (qcount + counts - common)))


class SimilarityIndex:
    """Top-k Tanimoto search over Morgan fingerprints, kept in step with inserts and deletes.

    Search is exact. The main block is screened by FPSim2's C++ top-k kernel on
    OR-folded fingerprints (``screen_bits``, default 512: 80 bytes a row instead of 272, so
    a scan reads a third of the memory); the candidates are rescored on the full 2048 bits
    and accepted only above a proven bound for every row the screen left out (see
    ``_score_bound``); if too few pass, the screen is widened. A delta block of recent
    inserts is scored with numpy; deletions are tombstones. Compaction (merging the delta
    and dropping tombstones) runs only when ``compact_threshold`` changes are pending.

    Writers serialise on a lock and publish an immutable snapshot; searches take no lock
    and never see a half-applied write.

    Memory: 336 bytes a compound for the arrays (256 full + 80 screen) plus the Python id
    string, list slot and dict entry (see :meth:`memory_bytes`); a compaction briefly holds
    a second copy of the main block.
    """

    def __init__(
        self, *, compact_threshold: int = 20_000, num_threads: int = 1, screen_bits: int = 512
    ) -> None:
        """Create an empty index.

        Args:
            compact_threshold: pending changes (delta rows + tombstones) that trigger a merge.
            num_threads: threads one search may use on a large main block (FPSim2's kernel
                releases the GIL). 1 keeps every search on the caller's thread.
            screen_bits: width of the folded screening fingerprint (64 to 2048, a power of
                two; 2048 screens on the full fingerprint).
        """
        if compact_threshold < 1:
            raise ValueError("compact_threshold must be positive")
        if num_threads < 1:
            raise ValueError("num_threads must be positive")
        if screen_bits not in {64, 128, 256, 512, 1024, 2048}:
            raise ValueError("screen_bits must be a power of two from 64 to 2048")
        self._compact_threshold = compact_threshold
        self._threads = num_threads
        self._screen_words = screen_bits // 64
        self._pool = (
            ThreadPoolExecutor(max_workers=num_threads - 1, thread_name_prefix="similarity")
            if num_threads > 1
            else None
        )
        self._lock = threading.Lock()
        self._where: dict[str, int] = {}  # id -> main row (>= 0) or ~delta row (< 0)
        self._snap = _empty_snapshot(self._screen_words)

    # ----------------------------------------------------------------- introspection

    def __len__(self) -> int:
        return self._snap.size

    def __contains__(self, item: object) -> bool:
        with self._lock:
            return str(item) in self._where

    @property
    def pending_changes(self) -> int:
        """Delta rows plus main-block tombstones not yet merged by a compaction."""
        return self._snap.pending

    def memory_bytes(self) -> int:
        """Approximate memory held by the index: arrays, id strings, lists and the id map."""
        with self._lock:
            snap = self._snap
            arrays = (
                snap.screen.nbytes
                + snap.full.nbytes
                + snap.bin_start.nbytes
                + snap.delta.nbytes
                + snap.delta_counts.nbytes
            )
            lists = sys.getsizeof(snap.main_ids) + sys.getsizeof(snap.delta_ids)
            strings = sum(map(sys.getsizeof, snap.main_ids)) + sum(
                map(sys.getsizeof, snap.delta_ids[: snap.delta_len])
            )
            mapping = sys.getsizeof(self._where) + len(self._where) * sys.getsizeof(1 << 40)
            tombstones = sys.getsizeof(snap.main_dead) + sys.getsizeof(snap.delta_dead)
            return int(arrays + lists + strings + mapping + tombstones)

    # ----------------------------------------------------------------- writes

    def add(self, ids: Iterable[object], fps: Sequence[bytes] | NDArray[np.uint8]) -> None:
        """Insert (or replace) fingerprints.

        Args:
            ids: molecule ids (converted with ``str``; a repeated id replaces the earlier one).
            fps: one 256-byte fingerprint per id, or a uint8 array of shape (n, 256).

        Raises:
            ValidationError: a fingerprint has the wrong size or the lengths differ.
        """
        keys = [str(key) for key in ids]
        words = _as_words(fps)
        if len(keys) != words.shape[0]:
            raise ValidationError(
                f"Got {len(keys)} ids but {words.shape[0]} fingerprints.", field="fingerprint"
            )
        last = {key: i for i, key in enumerate(keys)}
        if len(last) != len(keys):  # keep the last occurrence of a repeated id
            keep = np.fromiter(sorted(last.values()), dtype=np.int64)
            keys = [keys[i] for i in keep]
            words = words[keep]
        counts = _popcounts(words)
        with self._lock:
            snap = self._snap
            main_dead, delta_dead = self._tombstone(keys, snap)
            if len(keys) >= self._compact_threshold:
                self._compact(main_dead, delta_dead, (words, counts, keys))
                return
            start = snap.delta_len
            stop = start + len(keys)
            delta, delta_counts = snap.delta, snap.delta_counts
            if stop > delta.shape[0]:  # grow: rows below start are copied, never moved in place
                capacity = max(stop, 2 * delta.shape[0], 1024)
                delta = np.zeros((capacity, _WORDS), dtype=np.uint64)
                delta_counts = np.zeros(capacity, dtype=np.int64)
                delta[:start] = snap.delta[:start]
                delta_counts[:start] = snap.delta_counts[:start]
            delta[start:stop] = words
            delta_counts[start:stop] = counts
            delta_ids = snap.delta_ids
            del delta_ids[start:]  # rows past delta_len were never published
            delta_ids.extend(keys)
            for offset, key in enumerate(keys):
                self._where[key] = ~(start + offset)
            self._publish(
                snap,
                main_dead=main_dead,
                delta=delta,
                delta_counts=delta_counts,
                delta_len=stop,
                delta_dead=delta_dead,
            )

    def remove(self, ids: Iterable[object]) -> None:
        """Delete ids (unknown ids are ignored). Effective for every search that starts after."""
        keys = [str(key) for key in ids]
        with self._lock:
            snap = self._snap
            main_dead, delta_dead = self._tombstone(keys, snap)
            self._publish(snap, main_dead=main_dead, delta_dead=delta_dead)

    def compact(self) -> None:
        """Merge the delta block into the main block and drop tombstones now."""
        with self._lock:
            snap = self._snap
            self._compact(snap.main_dead, snap.delta_dead, None)

    def _tombstone(self, keys: list[str], snap: _Snapshot) -> tuple[frozenset[int], frozenset[int]]:
        main_new: list[int] = []
        delta_new: list[int] = []
        for key in keys:
            where = self._where.pop(key, None)
            if where is None:
                continue
            if where >= 0:
                main_new.append(where)
            else:
                delta_new.append(~where)
        main_dead = snap.main_dead | frozenset(main_new) if main_new else snap.main_dead
        delta_dead = snap.delta_dead | frozenset(delta_new) if delta_new else snap.delta_dead
        return main_dead, delta_dead

    def _publish(self, snap: _Snapshot, **changes: Any) -> None:
        fields = {name: getattr(snap, name) for name in _Snapshot.__slots__}
        fields.update(changes)
        fields["size"] = len(self._where)
        new = _Snapshot(**fields)
        self._snap = new
        if new.pending > self._compact_threshold:
            self._compact(new.main_dead, new.delta_dead, None)

    def _compact(
        self,
        main_dead: frozenset[int],
        delta_dead: frozenset[int],
        extra: tuple[NDArray[np.uint64], NDArray[np.int64], list[str]] | None,
    ) -> None:
        """Publish a new main block built from live main rows, live delta rows and ``extra``."""
        snap = self._snap
        main_rows = _alive(snap.full.shape[0], main_dead)
        delta_rows = _alive(snap.delta_len, delta_dead)
        extra_words, extra_counts, extra_ids = (
            extra
            if extra is not None
            else (np.zeros((0, _WORDS), dtype=np.uint64), _EMPTY_ROWS, [])
        )
        counts = np.concatenate(
            [
                snap.screen[main_rows, -1].astype(np.int64),
                snap.delta_counts[delta_rows],
                extra_counts,
            ]
        )
        order = np.argsort(counts, kind="stable")
        n_main, n_delta = main_rows.shape[0], delta_rows.shape[0]
        total = order.shape[0]
        full = np.empty((total, _WORDS), dtype=np.uint64)
        screen = np.empty((total, self._screen_words + 2), dtype=np.uint64)
        screen[:, 0] = np.arange(total, dtype=np.uint64)
        screen[:, -1] = counts[order]
        chunk = 65_536  # gather in chunks: no second full-size temporary
        for begin in range(0, total, chunk):
            source = order[begin : begin + chunk]
            stop = begin + source.shape[0]
            in_main = source < n_main
            in_extra = source >= n_main + n_delta
            in_delta = ~in_main & ~in_extra
            block = full[begin:stop]
            block[in_main] = snap.full[main_rows[source[in_main]]]
            block[in_delta] = snap.delta[delta_rows[source[in_delta] - n_main]]
            block[in_extra] = extra_words[source[in_extra] - n_main - n_delta]
            screen[begin:stop, 1:-1] = _fold(block, self._screen_words)
        ids_before = (
            [snap.main_ids[i] for i in main_rows]
            + [snap.delta_ids[i] for i in delta_rows]
            + list(extra_ids)
        )
        main_ids = [ids_before[i] for i in order]
        self._where = {key: row for row, key in enumerate(main_ids)}
        bin_start = np.searchsorted(screen[:, -1], np.arange(FP_BITS + 2, dtype=np.uint64))
        self._snap = _Snapshot(
            screen=screen,
            full=full,
            bin_start=bin_start.astype(np.int64),
            main_ids=main_ids,
            main_dead=frozenset(),
            delta=np.zeros((0, _WORDS), dtype=np.uint64),
            delta_counts=np.zeros(0, dtype=np.int64),
            delta_ids=[],
            delta_len=0,
            delta_dead=frozenset(),
            size=len(main_ids),
        )

    # ----------------------------------------------------------------- search

    def search(
        self,
        query_fp: bytes,
        k: int = 10,
        threshold: float = 0.0,
        allowed: Allowed | None = None,
    ) -> list[tuple[str, float]]:
        """The k most similar ids by Tanimoto (descending; equal scores by ascending id).

        Args:
            query_fp: 256-byte Morgan fingerprint (see :func:`morgan_fingerprint`).
            k: number of hits wanted.
            threshold: minimum Tanimoto similarity (inclusive), 0 to 1.
            allowed: optional visibility filter; hidden ids are skipped and the candidate
                set is widened until ``k`` visible hits are found or none are left.

        Returns:
            ``(id, similarity)`` pairs; the similarity equals RDKit's ``TanimotoSimilarity``.
        """
        _check_fp_bytes(query_fp)
        if k < 0:
            raise ValidationError("k must not be negative.", field="k")
        if not 0.0 <= threshold <= 1.0:
            raise ValidationError("threshold must be between 0 and 1.", field="threshold")
        if k == 0:
            return []
        snap = self._snap
        query = np.frombuffer(bytes(query_fp), dtype="<u8").astype(np.uint64)
        qcount = int(np.bitwise_count(query).sum())
        delta_scores = _tanimoto(
            snap.delta[: snap.delta_len], snap.delta_counts[: snap.delta_len], query, qcount
        )
        decided: dict[str, bool] = {}
        want = 2 * k + 16
        while True:
            rows, bound, complete = self._main_candidates(snap, query, qcount, threshold, want)
            scores = _tanimoto(
                snap.full[rows], snap.screen[rows, -1].astype(np.int64), query, qcount
            )
            # Every main row outside `rows` scores below `threshold` or at most `bound`, so
            # entries above the bound (from either block) are ranked against the whole index.
            ranked = [
                (-score, snap.main_ids[row])
                for row, score in zip(rows.tolist(), scores.tolist(), strict=True)
                if score >= threshold and score > bound and row not in snap.main_dead
            ]
            delta_rows = np.flatnonzero((delta_scores >= threshold) & (delta_scores > bound))
            ranked += [
                (-float(delta_scores[row]), snap.delta_ids[row])
                for row in delta_rows.tolist()
                if row not in snap.delta_dead
            ]
            ranked.sort()
            hits = _accept(ranked, k, allowed, decided)
            if len(hits) >= k or complete:
                return hits
            want *= 4

    def _main_candidates(
        self,
        snap: _Snapshot,
        query: NDArray[np.uint64],
        qcount: int,
        threshold: float,
        want: int,
    ) -> tuple[NDArray[np.int64], float, bool]:
        """Main rows to rescore, a bound on every other row, and whether none was left out.

        Every main row not returned scores below ``threshold`` or at most the bound
        (``-inf`` when the screen left nothing out).
        """
        n = snap.full.shape[0]
        everything = -math.inf
        if n == 0:
            return _EMPTY_ROWS, everything, True
        if qcount == 0:  # an empty query scores 0 against everything
            rows = np.arange(n, dtype=np.int64) if threshold <= 0.0 else _EMPTY_ROWS
            return rows, everything, True
        low, high = _popcount_band(qcount, threshold)
        start, end = int(snap.bin_start[low]), int(snap.bin_start[high + 1])
        if start >= end:
            return _EMPTY_ROWS, everything, True
        folded = _fold(query[np.newaxis, :], self._screen_words)[0]
        slack = qcount - int(np.bitwise_count(folded).sum())
        qrow = np.zeros(self._screen_words + 2, dtype=np.uint64)
        qrow[1:-1] = folded
        qrow[-1] = qcount
        counts = np.arange(low, high + 1, dtype=np.int64)
        floor = _screen_floor(qcount, slack, threshold, counts)
        parts = self._kernel(qrow, snap.screen, floor, want, start, end)
        # A part that returned `want` rows may have dropped rows with coefficients up to
        # its lowest; one that returned fewer dropped only rows below `floor`.
        lowest = [float(part["coeff"].min()) for part in parts if part.shape[0] >= want]
        rows = _concat_rows([part["idx"] for part in parts])
        if not lowest:
            return rows, everything, True
        return rows, _score_bound(qcount, slack, max(lowest), counts), False

    def _kernel(
        self,
        qrow: NDArray[np.uint64],
        screen: NDArray[np.uint64],
        threshold: float,
        k: int,
        start: int,
        end: int,
    ) -> list[Any]:
        """FPSim2's top-k search over rows [start, end), split across threads when large."""
        parts = self._threads if end - start >= _MIN_ROWS_PER_THREAD * 2 else 1
        if parts == 1:
            return [GenericSearch(qrow, screen, threshold, k, _TANIMOTO, start, end)]
        assert self._pool is not None
        bounds = np.linspace(start, end, parts + 1).astype(np.int64).tolist()
        futures = [
            self._pool.submit(GenericSearch, qrow, screen, threshold, k, _TANIMOTO, lo, hi)
            for lo, hi in itertools.pairwise(bounds[1:])
        ]
        first = GenericSearch(qrow, screen, threshold, k, _TANIMOTO, bounds[0], bounds[1])
        return [first, *(future.result() for future in futures)]


def _concat_rows(parts: list[Any]) -> NDArray[np.int64]:
    if len(parts) == 1:
        return np.asarray(parts[0], dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


def _alive(n: int, dead: frozenset[int]) -> NDArray[np.int64]:
    mask = np.ones(n, dtype=bool)
    if dead:
        mask[np.fromiter(dead, dtype=np.int64, count=len(dead))] = False
    return np.flatnonzero(mask)


def _accept(
    ranked: list[tuple[float, str]], k: int, allowed: Allowed | None, decided: dict[str, bool]
) -> list[tuple[str, float]]:
    """The first k ranked entries the filter allows (asking it in small batches, once per id)."""
    if allowed is None:
        return [(key, -negated) for negated, key in ranked[:k]]
    hits: list[tuple[str, float]] = []
    position = 0
    while position < len(ranked) and len(hits) < k:
        window = ranked[position : position + max(2 * (k - len(hits)), 16)]
        position += len(window)
        _decide([key for _, key in window], allowed, decided)
        for negated, key in window:
            if decided[key]:
                hits.append((key, -negated))
                if len(hits) == k:
                    break
    return hits


def _decide(keys: list[str], allowed: Allowed, decided: dict[str, bool]) -> None:
    pending = list(dict.fromkeys(key for key in keys if key not in decided))
    if not pending:
        return
    verdicts = list(allowed(pending))
    if len(verdicts) != len(pending):
        raise ValueError(f"allowed() returned {len(verdicts)} answers for {len(pending)} ids")
    decided.update(zip(pending, map(bool, verdicts), strict=True))


# --------------------------------------------------------------------------- substructure


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers (no writer starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_PATTERNS = rdSubstructLibrary.PatternHolder()  # only used to compute pattern fingerprints
_TYPE_WORDS = 4  # atom-type screen: 255 type bits + 1 overflow bit per molecule
_OVERFLOW_BIT = 64 * _TYPE_WORDS - 1
_WORD_MASK = (1 << 64) - 1
# Atom query primitives whose truth depends only on the atom-type key below, so a query
# atom made of them matches some atom of a molecule only if it matches the example atom
# of one of the molecule's types. Any other primitive (ring size, recursion, valence,
# isotope, chirality...) leaves that query atom out of the type screen.
_TYPE_PRIMITIVES = frozenset(
    {
        "AtomAtomicNum",
        "AtomType",
        "AtomIsAromatic",
        "AtomIsAliphatic",
        "AtomHCount",
        "AtomExplicitDegree",
        "AtomTotalDegree",
        "AtomFormalCharge",
        "AtomNegativeFormalCharge",
        "AtomAnd",
        "AtomOr",
        "AtomXor",
        "AtomNull",
    }
)
_RING_WORDS = ("Ring", "Recursive")  # query primitives that read ring information
_PRIMITIVE = re.compile(r"^\s*([A-Za-z]+)", re.MULTILINE)

AtomType = tuple[int, bool, int, int, int, int]


def _atom_type(atom: Any) -> AtomType:
    """Atom-type key: element, aromaticity, H counts, explicit degree, formal charge."""
    return (
        atom.GetAtomicNum(),
        atom.GetIsAromatic(),
        atom.GetTotalNumHs(),
        atom.GetTotalNumHs(includeNeighbors=True),
        atom.GetDegree(),
        atom.GetFormalCharge(),
    )


def _pattern_words(mol: Chem.Mol) -> NDArray[np.uint64]:
    """RDKit's 2048-bit pattern fingerprint as 32 little-endian words."""
    text = DataStructs.BitVectToFPSText(_PATTERNS.MakeFingerprint(mol))
    return np.frombuffer(bytes.fromhex(text), dtype="<u8").astype(np.uint64)


def _match_parameters() -> Any:
    # HasSubstructMatch's defaults (no chirality, recursive SMARTS allowed); GetMatches'
    # own defaults differ (useChirality=True), so they are always passed explicitly.
    return Chem.SubstructMatchParameters()


def deadline_parameters(deadline: float, clock: Callable[[], float] = time.monotonic) -> Any:
    """Match parameters that give up once ``clock()`` reaches ``deadline``.

    RDKit has no match timeout, and ``maxMatches`` / ``maxRecursiveMatches`` do not shorten
    a search that finds nothing. Instead an extra atom check (called by the matcher for
    every candidate atom pair, recursive SMARTS included) answers False from the deadline
    on, which ends the search within one atom comparison. A match found before the deadline
    is a real match; a "no match" answered after it means "unknown" (check the clock).
    It costs a Python call per atom pair (1.1-8x on typical queries), so it is meant for
    queries that are not small (:class:`cryoprotect.science.query_cost.QueryCost`).
    """
    params = _match_parameters()

    def before_deadline(_query_atom: Any, _atom: Any) -> bool:
        return clock() < deadline

    params.setExtraAtomCheckFunc(before_deadline)
    return params


def parse_query(text: str) -> Chem.Mol:
    """Parse a substructure query: SMARTS, or SMILES when it parses only as SMILES.

    Raises:
        InvalidStructureError: empty, too long or unparsable (``field="query"``, RDKit's reason).
    """
    source = (text or "").strip()
    if not source:
        raise InvalidStructureError("The query is empty.", field="query")
    require_ascii(source, "query")
    if len(source) > MAX_SMILES_LENGTH:
        raise InvalidStructureError(
            f"The query is longer than {MAX_SMILES_LENGTH} characters.", field="query"
        )
    with capture_rdkit_log() as smarts_log:
        query = Chem.MolFromSmarts(source)
    if query is None:
        with capture_rdkit_log() as smiles_log:
            query = Chem.MolFromSmiles(source)
        if query is None:
            reason = rdkit_reason(smarts_log, rdkit_reason(smiles_log, "RDKit could not parse it"))
            raise InvalidStructureError(f"Invalid SMARTS or SMILES: {reason}", field="query")
    if query.GetNumAtoms() == 0:
        raise InvalidStructureError("The query has no atoms.", field="query")
    query.UpdatePropertyCache(strict=False)
    return query


@dataclass(frozen=True, slots=True)
class SubstructureHits:
    """What :meth:`SubstructureIndex.find` found.

    Attributes:
        ids: matching ids, in library order (at most ``max_hits``).
        truncated: the deadline passed before the scan could finish; more hits may exist
            among the molecules not checked.
        checked: candidates (molecules that passed the screens) matched before stopping.
    """

    ids: list[str]
    truncated: bool
    checked: int


@dataclass
class _ScanState:
    deadline: float | None = None
    clock: Callable[[], float] = time.monotonic
    params: Any = None
    truncated: bool = False
    checked: int = 0
    on_checked: Callable[[int, bool], None] | None = None  # told each row matched, and how

    def expired(self) -> bool:
        if self.deadline is not None and self.clock() >= self.deadline:
            self.truncated = True
        return self.truncated


ISOLATION_AVAILABLE = hasattr(os, "fork")
"""Whether :meth:`SubstructureIndex.find` can isolate a scan in a child process (POSIX)."""
_ISOLATION_GRACE_S = 0.1  # how long past the deadline a child gets to send its last hits
_PROGRESS_S = 0.05  # a scan child reports how many molecules it checked this often


def _lower_priority(cpu_limit_s: int) -> None:
    """Make the calling (child) process run only on CPU time others leave free, and cap
    its CPU time so it ends even if its parent dies without killing it."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):  # not Linux
        with contextlib.suppress(OSError):
            os.nice(19)
    if sys.platform == "win32":  # no fork there: never called
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit_s, cpu_limit_s + 1))


def _end_child(pid: int) -> None:
    """Kill (if still running) and reap a scan child; tolerate one already reaped."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):
        pass


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a query needs: its pattern bits, per-atom type masks, ring perception."""

    query: Chem.Mol
    pattern_words: NDArray[np.int64]  # indices of the non-zero pattern words
    pattern: NDArray[np.uint64]  # those words
    type_masks: list[NDArray[np.uint64]]
    needs_rings: bool
    impossible: bool  # a query atom matches no atom type in the library
    vocabulary: int  # atom types known when the masks were computed


class SubstructureIndex:
    """Substructure search over an RDKit ``SubstructLibrary`` kept in step with writes.

    Molecules live in a ``SubstructLibrary`` of canonical SMILES
    (``CachedTrustedSmilesMolHolder``) with a 2048-bit ``PatternHolder``. Beside it, numpy
    arrays hold each molecule's pattern fingerprint and an atom-type bitset (element,
    aromaticity, H count, degree, charge); a query is screened on both, vectorised, and
    only the survivors are parsed and matched, in library (insertion) order, so a page
    search stops as soon as it is full. ``count`` scans everything, handing dense chunks
    to ``SubstructLibrary.GetMatches`` on ``num_threads`` threads. Deletions are
    tombstones; the library is rebuilt from live entries (reusing stored SMILES and
    fingerprints) when tombstones exceed ``rebuild_threshold`` and ``rebuild_fraction``.

    Matching uses ``HasSubstructMatch``'s defaults (no chirality); queries that read ring
    information get RDKit's symmetrised SSSR, as sanitised molecules have.

    Reads share a lock, writes take it exclusively; the ``allowed`` callback runs outside it.
    """

    def __init__(
        self,
        *,
        num_threads: int | None = None,
        rebuild_threshold: int = 10_000,
        rebuild_fraction: float = 0.1,
        first_chunk: int = 4_096,
        max_chunk: int = 65_536,
    ) -> None:
        """Create an empty index.

        Args:
            num_threads: RDKit matcher threads for counts (default: all CPUs).
            rebuild_threshold: tombstones needed before a rebuild is considered.
            rebuild_fraction: ... and the fraction of the library they must exceed.
            first_chunk: molecules screened by a page search's first step (it then doubles).
            max_chunk: largest step of a page search or count.
        """
        self._threads = num_threads or os.cpu_count() or 1
        self._rebuild_threshold = rebuild_threshold
        self._rebuild_fraction = rebuild_fraction
        self._first_chunk = max(1, first_chunk)
        self._max_chunk = max(self._first_chunk, max_chunk)
        self._rw = _ReadWriteLock()
        self._generation = 0
        self._type_bits: dict[AtomType, int] = {}
        self._type_examples: list[list[tuple[Chem.Mol, int]]] = [
            [] for _ in range(64 * _TYPE_WORDS)
        ]
        self._reset(capacity=1024)

    def _reset(self, capacity: int) -> None:
        self._mols = rdSubstructLibrary.CachedTrustedSmilesMolHolder()
        self._fps = rdSubstructLibrary.PatternHolder()
        self._library = rdSubstructLibrary.SubstructLibrary(self._mols, self._fps)
        self._ids: list[str] = []
        self._smiles: list[str] = []
        self._patterns = np.zeros((capacity, _WORDS), dtype=np.uint64)
        self._types = np.zeros((capacity, _TYPE_WORDS), dtype=np.uint64)
        self._dead: set[int] = set()
        self._where: dict[str, int] = {}
        self._generation += 1

    # ----------------------------------------------------------------- introspection

    def __len__(self) -> int:
        with self._rw.read():
            return len(self._where)

    def __contains__(self, item: object) -> bool:
        with self._rw.read():
            return str(item) in self._where

    def memory_bytes(self) -> int:
        """Approximate memory: SMILES (ours and RDKit's), fingerprints, type bits, ids, maps."""
        with self._rw.read():
            n = len(self._ids)
            smiles = sum(map(sys.getsizeof, self._smiles)) + sum(len(s) + 33 for s in self._smiles)
            strings = sum(map(sys.getsizeof, self._ids))
            lists = sys.getsizeof(self._ids) + sys.getsizeof(self._smiles)
            mapping = sys.getsizeof(self._where) + len(self._where) * sys.getsizeof(1 << 40)
            rdkit_patterns = n * (FP_BYTES + 48)  # ExplicitBitVect payload + header
            arrays = self._patterns.nbytes + self._types.nbytes
            return int(smiles + strings + lists + mapping + rdkit_patterns + arrays)

    # ----------------------------------------------------------------- writes

    def add(self, ids: Iterable[object], smiles: Iterable[str]) -> None:
        """Insert (or replace) molecules; the whole batch is parsed before anything changes.

        Raises:
            InvalidStructureError: a SMILES does not parse (``field="smiles"``).
        """
        keys = [str(key) for key in ids]
        texts = list(smiles)
        if len(keys) != len(texts):
            raise ValidationError(f"Got {len(keys)} ids but {len(texts)} SMILES.", field="smiles")
        # Keep only light data per molecule; a parsed molecule is kept only as the example
        # of an atom type the index has not seen (bulk loads stay small in memory).
        prepared = []
        examples: dict[AtomType, tuple[Chem.Mol, int]] = {}
        for key, text in zip(keys, texts, strict=True):
            mol = to_mol(text)
            kinds = set()
            for atom in mol.GetAtoms():
                kind = _atom_type(atom)
                kinds.add(kind)
                if kind not in self._type_bits and kind not in examples:
                    examples[kind] = (mol, atom.GetIdx())
            pattern = _PATTERNS.MakeFingerprint(mol)
            prepared.append((key, Chem.MolToSmiles(mol), pattern, kinds))
        with self._rw.write():
            self._reserve(len(self._ids) + len(prepared))
            for key, canonical, pattern, kinds in prepared:
                old = self._where.get(key)
                if old is not None:
                    self._dead.add(old)
                row = len(self._ids)
                self._where[key] = row
                self._mols.AddSmiles(canonical)
                self._fps.AddFingerprint(pattern)
                self._ids.append(key)
                self._smiles.append(canonical)
                self._patterns[row] = np.frombuffer(
                    bytes.fromhex(DataStructs.BitVectToFPSText(pattern)), dtype="<u8"
                )
                bits = 0
                for kind in kinds:
                    bits |= 1 << self._type_bit(kind, examples)
                self._types[row] = [(bits >> (64 * w)) & _WORD_MASK for w in range(_TYPE_WORDS)]
            self._maybe_rebuild()

    def _type_bit(self, kind: AtomType, examples: dict[AtomType, tuple[Chem.Mol, int]]) -> int:
        bit = self._type_bits.get(kind)
        if bit is None:
            bit = min(len(self._type_bits), _OVERFLOW_BIT)
            self._type_bits[kind] = bit
            self._type_examples[bit].append(examples[kind])
        return bit

    def _reserve(self, rows: int) -> None:
        if rows <= self._patterns.shape[0]:
            return
        capacity = max(rows, 2 * self._patterns.shape[0])
        for name in ("_patterns", "_types"):
            old = getattr(self, name)
            new = np.zeros((capacity, old.shape[1]), dtype=np.uint64)
            new[: old.shape[0]] = old
            setattr(self, name, new)

    def remove(self, ids: Iterable[object]) -> None:
        """Delete ids (unknown ids are ignored)."""
        with self._rw.write():
            for key in ids:
                index = self._where.pop(str(key), None)
                if index is not None:
                    self._dead.add(index)
            self._maybe_rebuild()

    def rebuild(self) -> None:
        """Drop tombstoned entries now."""
        with self._rw.write():
            self._rebuild()

    def _maybe_rebuild(self) -> None:
        dead = len(self._dead)
        if dead > self._rebuild_threshold and dead > self._rebuild_fraction * len(self._ids):
            self._rebuild()

    def _rebuild(self) -> None:
        old_ids, old_smiles, old_fps, dead = self._ids, self._smiles, self._fps, self._dead
        alive = np.array([i for i in range(len(old_ids)) if i not in dead], dtype=np.int64)
        patterns, types = self._patterns[alive], self._types[alive]
        self._reset(capacity=max(1024, alive.shape[0]))
        self._patterns[: alive.shape[0]] = patterns
        self._types[: alive.shape[0]] = types
        for index in alive.tolist():
            self._where[old_ids[index]] = len(self._ids)
            self._mols.AddSmiles(old_smiles[index])
            self._fps.AddFingerprint(old_fps.GetFingerprint(index))
            self._ids.append(old_ids[index])
            self._smiles.append(old_smiles[index])

    # ----------------------------------------------------------------- search

    def _plan(self, query: Chem.Mol) -> _Plan:
        pattern = _pattern_words(query)
        nonzero = np.flatnonzero(pattern)
        masks: list[NDArray[np.uint64]] = []
        needs_rings = False
        for bond in query.GetBonds():
            needs_rings |= bond.HasQuery() and any(w in bond.DescribeQuery() for w in _RING_WORDS)
        for atom in query.GetAtoms():
            if not atom.HasQuery():
                continue
            description = atom.DescribeQuery()
            needs_rings |= any(word in description for word in _RING_WORDS)
            if not set(_PRIMITIVE.findall(description)) <= _TYPE_PRIMITIVES:
                continue
            mask = np.zeros(_TYPE_WORDS, dtype=np.uint64)
            for bit, examples in enumerate(self._type_examples):
                if any(atom.Match(mol.GetAtomWithIdx(i)) for mol, i in examples):
                    mask[bit // 64] |= np.uint64(1 << (bit % 64))
            masks.append(mask)
        return _Plan(
            query=query,
            pattern_words=nonzero,
            pattern=pattern[nonzero],
            type_masks=masks,
            needs_rings=needs_rings,
            impossible=any(not mask.any() for mask in masks),
            vocabulary=len(self._type_bits),
        )

    def _screen(self, plan: _Plan, start: int, stop: int) -> NDArray[np.int64]:
        """Rows in [start, stop) that pass the pattern and atom-type screens."""
        keep = np.ones(stop - start, dtype=bool)
        if plan.pattern_words.shape[0]:
            words = self._patterns[start:stop, plan.pattern_words]
            keep &= ((words & plan.pattern) == plan.pattern).all(axis=1)
        types = self._types[start:stop]
        for mask in plan.type_masks:
            keep &= (types & mask).any(axis=1)
        return start + np.flatnonzero(keep)

    def _matches(self, plan: _Plan, row: int, params: Any) -> bool:
        mol = self._mols.GetMol(row)
        if plan.needs_rings:
            Chem.GetSymmSSSR(mol)  # the ring information a sanitised molecule carries
        return bool(mol.HasSubstructMatch(plan.query, params))

    def _scan(
        self, query: Chem.Mol, first: int, limit: int | None, state: _ScanState | None = None
    ) -> Generator[list[str], None, None]:
        """Live matching ids in library order, a chunk at a time (read lock held per chunk).

        With ``limit`` a chunk stops after that many matches (the caller's page); without,
        dense chunks go to ``SubstructLibrary.GetMatches`` on several threads. If a rebuild
        renumbers the library between chunks the scan restarts and skips ids already seen.
        With a ``state`` deadline, the clock is read before every candidate and the scan
        ends (``state.truncated``) once it has passed.
        """
        timed = state is not None and state.deadline is not None
        params = state.params if state is not None and state.params is not None else None
        if params is None:
            params = _match_parameters()
        position, chunk = 0, first
        generation: int | None = None
        seen: set[str] = set()
        plan: _Plan | None = None
        while True:
            with self._rw.read():
                if generation != self._generation:
                    position = 0 if generation is not None else position
                    generation = self._generation
                    plan = None
                if plan is None or plan.vocabulary != len(self._type_bits):
                    plan = self._plan(query)  # new atom types may widen the masks
                if plan.impossible:
                    return
                size = len(self._ids)
                if position >= size:
                    return
                stop = min(size, position + chunk)
                candidates = self._screen(plan, position, stop)
                found: list[int] = []
                if (
                    limit is None
                    and not timed
                    and not plan.needs_rings
                    and self._threads > 1
                    and (4 * candidates.shape[0] >= stop - position)
                ):
                    found = sorted(
                        self._library.GetMatches(query, position, stop, params, self._threads, -1)
                    )
                else:
                    for row in candidates.tolist():
                        if row in self._dead:
                            continue
                        if timed and state.expired():  # type: ignore[union-attr]
                            break
                        matched = self._matches(plan, row, params)
                        if state is not None:
                            if timed and not matched and state.expired():
                                break  # the matcher may have given up at the deadline
                            state.checked += 1
                            if state.on_checked is not None:
                                state.on_checked(row, matched)
                        if matched:
                            found.append(row)
                            if limit is not None and len(found) >= limit:
                                stop = row + 1
                                break
                matches = [self._ids[row] for row in found if row not in self._dead]
            position, chunk = stop, min(2 * chunk, self._max_chunk)
            fresh = [key for key in matches if key not in seen]
            seen.update(fresh)
            yield fresh
            if state is not None and state.truncated:
                return

    def search(
        self, query: Chem.Mol, max_hits: int = 100, allowed: Allowed | None = None
    ) -> list[str]:
        """The first ``max_hits`` live ids (in insertion order) whose molecule contains ``query``.

        Args:
            query: from :func:`parse_query`.
            max_hits: page size.
            allowed: optional visibility filter, asked once per matching id.
        """
        return self.find(query, max_hits, allowed).ids

    def find(
        self,
        query: Chem.Mol,
        max_hits: int = 100,
        allowed: Allowed | None = None,
        *,
        deadline: float | None = None,
        guarded: bool = False,
        isolated: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> SubstructureHits:
        """:meth:`search` that stops at a deadline and reports whether it did.

        Args:
            query: from :func:`parse_query`.
            max_hits: page size.
            allowed: optional visibility filter, asked once per matching id.
            deadline: ``clock()`` value at which matching stops; the hits found so far are
                returned with ``truncated=True``. None: no deadline.
            guarded: also check the deadline inside each match (see
                :func:`deadline_parameters`), so one pathological molecule cannot overrun
                it; without it the clock is read between molecules only.
            isolated: match in a child process forked for this call (a copy-on-write
                snapshot of the index) that runs at idle CPU priority (``SCHED_IDLE``, or
                nice 19), streams its hits back as it finds them and is killed shortly after
                ``deadline``. Matching there is plain RDKit matching, which releases the GIL,
                instead of the guarded matcher's Python call per atom comparison, which
                holds it: an expensive scan then neither slows this process's other threads
                nor takes CPU time from other requests. Needs a ``deadline`` on
                ``time.monotonic`` and ``os.fork``; otherwise (or when a fork fails)
                ``guarded`` applies.
            clock: the monotonic clock ``deadline`` refers to.
        """
        isolate = isolated and ISOLATION_AVAILABLE and clock is time.monotonic
        if isolate and deadline is not None and max_hits > 0:
            found = self._find_isolated(query, max_hits, allowed, deadline)
            if found is not None:
                return found
        state = _ScanState(deadline=deadline, clock=clock)
        if deadline is not None and guarded:
            state.params = deadline_parameters(deadline, clock)
        if max_hits <= 0:
            return SubstructureHits([], False, 0)
        hits: list[str] = []
        scan = self._scan(query, self._first_chunk, max_hits, state)
        for matches in scan:
            if allowed is not None and matches:
                decided: dict[str, bool] = {}
                _decide(matches, allowed, decided)
                matches = [key for key in matches if decided[key]]
            hits.extend(matches[: max_hits - len(hits)])
            if len(hits) >= max_hits:
                break
        scan.close()
        return SubstructureHits(hits, state.truncated and len(hits) < max_hits, state.checked)

    def _find_isolated(
        self, query: Chem.Mol, max_hits: int, allowed: Allowed | None, deadline: float
    ) -> SubstructureHits | None:
        """:meth:`find` with ``isolated``: fork, let the child scan, collect, kill, reap.
        None when no process can be forked now (out of memory or processes)."""
        read_fd, write_fd = os.pipe()
        # The read lock keeps writers out while the child's snapshot is taken.
        with self._rw.read():
            try:
                pid = os.fork()
            except OSError:
                os.close(read_fd)
                os.close(write_fd)
                return None
            if pid == 0:  # pragma: no cover - the child; its outcome is read by the parent
                os.close(read_fd)
                self._scan_in_child(query, deadline, write_fd)
        os.close(write_fd)
        try:
            return self._collect(pid, read_fd, max_hits, allowed, deadline)
        finally:
            os.close(read_fd)
            _end_child(pid)

    def _scan_in_child(self, query: Chem.Mol, deadline: float, fd: int) -> None:
        """Scan in a forked child, writing ``H <id> <checked>`` per hit, ``C <checked>``
        every 50 ms without one and ``E <checked> <truncated>`` at the end; never returns.

        Only the forking thread exists here: locks other threads held at the fork stay held,
        so the index gets a fresh lock (nothing else runs in this process), nothing is
        logged, and the process ends with ``os._exit`` (no atexit handlers, no database
        connections closed on the parent's behalf). If the child hangs anyway, its parent
        kills it at the deadline.
        """
        code = 1
        try:
            _lower_priority(max(1, math.ceil(deadline - time.monotonic())) + 1)
            self._rw = _ReadWriteLock()
            state = _ScanState(deadline=deadline)
            reported = [time.monotonic()]

            def report(row: int, matched: bool) -> None:
                if matched:
                    os.write(fd, f"H {self._ids[row]} {state.checked}\n".encode())
                elif time.monotonic() - reported[0] >= _PROGRESS_S:
                    os.write(fd, f"C {state.checked}\n".encode())
                    reported[0] = time.monotonic()

            state.on_checked = report
            for _ in self._scan(query, self._first_chunk, None, state):
                pass
            os.write(fd, f"E {state.checked} {int(state.truncated)}\n".encode())
            code = 0
        finally:
            os._exit(code)

    def _collect(
        self, pid: int, fd: int, max_hits: int, allowed: Allowed | None, deadline: float
    ) -> SubstructureHits:
        """Read a scan child's hits until the page is full, it ends, or the deadline."""
        hits: list[str] = []
        decided: dict[str, bool] = {}
        checked = 0
        finished = truncated = False
        pending = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while len(hits) < max_hits and not finished:
                remaining = deadline + _ISOLATION_GRACE_S - time.monotonic()
                if remaining <= 0:
                    truncated = True  # the child is stuck inside one match: killed
                    break
                if not selector.select(remaining):
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    break  # the child exited without its end line
                *lines, pending = (pending + data).split(b"\n")
                fresh: list[str] = []
                for line in lines:
                    kind, *fields = line.decode().split()
                    if kind == "H":
                        fresh.append(fields[0])
                        checked = int(fields[1])
                    elif kind == "C":
                        checked = int(fields[0])
                    elif kind == "E":
                        checked, truncated, finished = int(fields[0]), fields[1] == "1", True
                if allowed is not None and fresh:
                    _decide(fresh, allowed, decided)
                    fresh = [key for key in fresh if decided[key]]
                hits.extend(fresh[: max_hits - len(hits)])
        if not finished and not truncated and len(hits) < max_hits:
            _end_child(pid)
            raise RuntimeError(f"The substructure scan process {pid} ended without a result.")
        return SubstructureHits(hits, truncated and len(hits) < max_hits, checked)

    def count(self, query: Chem.Mol) -> int:
        """Number of live molecules containing ``query`` (a full scan; run it in the background)."""
        return sum(len(matches) for matches in self._scan(query, self._max_chunk, None))
