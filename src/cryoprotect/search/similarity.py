"""Top-k Tanimoto similarity search over Morgan fingerprints (:class:`SimilarityIndex`).

A *main block*, sorted by popcount in the row layout FPSim2's C++ kernel expects, is
screened by that kernel on OR-folded fingerprints and the candidates are rescored exactly;
a small *delta block* of recent inserts is scored with numpy; deletions are tombstones.
The blocks are merged ("compacted") only when the pending changes exceed a threshold, so
a write never rebuilds the index. Results equal a brute-force ``BulkTanimotoSimilarity``.
"""

from __future__ import annotations

import itertools
import math
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from FPSim2.FPSim2lib import GenericSearch
from numpy.typing import NDArray

from cryoprotect.errors import ValidationError
from cryoprotect.science.fingerprints import (
    FP_BITS,
    FP_WORDS,
    check_fingerprint_bytes,
    fingerprint_words,
    popcounts,
    tanimoto_scores,
)
from cryoprotect.search.keys import KeyColumn, encode_keys
from cryoprotect.search.visibility import Allowed, accept_ranked

__all__ = ["SimilarityIndex", "merge_block"]

_TANIMOTO = 0  # FPSim2's calc_type for Tanimoto
_MIN_ROWS_PER_THREAD = 50_000  # below this a thread hand-off costs more than it saves
_EMPTY_ROWS: NDArray[np.int64] = np.empty(0, dtype=np.int64)


def _fold(words: NDArray[np.uint64], screen_words: int) -> NDArray[np.uint64]:
    """OR-fold (n, 32) fingerprint words to (n, screen_words)."""
    folded = words[:, :screen_words].copy()
    for begin in range(screen_words, FP_WORDS, screen_words):
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
    full: NDArray[np.uint64]  # (n, FP_WORDS)
    bin_start: NDArray[np.int64]  # (FP_BITS + 2,): first main row with popcount >= p
    main_ids: KeyColumn
    main_dead: frozenset[int]
    delta: NDArray[np.uint64]  # (capacity, FP_WORDS)
    delta_counts: NDArray[np.int64]  # (capacity,)
    delta_ids: list[str]
    delta_len: int
    delta_dead: frozenset[int]
    size: int

    @property
    def pending(self) -> int:
        return self.delta_len + len(self.main_dead)


def _main_only(
    screen: NDArray[np.uint64],
    full: NDArray[np.uint64],
    bin_start: NDArray[np.int64],
    main_ids: KeyColumn,
) -> _Snapshot:
    """A snapshot whose rows are all in the main block (nothing deleted, no delta)."""
    return _Snapshot(
        screen=screen,
        full=full,
        bin_start=bin_start,
        main_ids=main_ids,
        main_dead=frozenset(),
        delta=np.zeros((0, FP_WORDS), dtype=np.uint64),
        delta_counts=np.zeros(0, dtype=np.int64),
        delta_ids=[],
        delta_len=0,
        delta_dead=frozenset(),
        size=len(main_ids),
    )


def _empty_snapshot(screen_words: int) -> _Snapshot:
    return _main_only(
        np.zeros((0, screen_words + 2), dtype=np.uint64),
        np.zeros((0, FP_WORDS), dtype=np.uint64),
        np.zeros(FP_BITS + 2, dtype=np.int64),
        KeyColumn.empty(),
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
        self._where: dict[str, int] = {}  # id -> ~delta row (< 0); main rows: main_ids
        self._snap = _empty_snapshot(self._screen_words)

    @property
    def screen_bits(self) -> int:
        return 64 * self._screen_words

    def state(self) -> _Snapshot:
        """The current consistent state (immutable; what :mod:`.persist` writes)."""
        return self._snap

    def attach(
        self,
        screen: NDArray[np.uint64],
        full: NDArray[np.uint64],
        bin_start: NDArray[np.int64],
        main_ids: KeyColumn,
    ) -> None:
        """Replace the whole index by a main block (e.g. read-only memory maps of a saved
        index): rows sorted by popcount, ``screen`` in the kernel's layout for this index's
        ``screen_bits``, ``bin_start[p]`` the first row with popcount >= p."""
        n = full.shape[0]
        if (
            screen.shape != (n, self._screen_words + 2)
            or full.shape != (n, FP_WORDS)
            or bin_start.shape != (FP_BITS + 2,)
            or len(main_ids) != n
        ):
            raise ValueError("the main block's arrays do not fit this index")
        with self._lock:
            self._where = {}
            self._snap = _main_only(screen, full, bin_start, main_ids)

    # ----------------------------------------------------------------- introspection

    def __len__(self) -> int:
        return self._snap.size

    def __contains__(self, item: object) -> bool:
        key = str(item)
        with self._lock:
            if key in self._where:
                return True
            row = self._snap.main_ids.row(key)
            return row >= 0 and row not in self._snap.main_dead

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
            keys = snap.main_ids
            lists = (
                keys.sorted_keys.nbytes + keys.rank_of_row.nbytes + keys.row_of_rank.nbytes
            ) + sys.getsizeof(snap.delta_ids)
            strings = sum(map(sys.getsizeof, snap.delta_ids[: snap.delta_len]))
            mapping = sys.getsizeof(self._where) + len(self._where) * sys.getsizeof(1 << 40)
            tombstones = sys.getsizeof(snap.main_dead) + sys.getsizeof(snap.delta_dead)
            return int(arrays + lists + strings + mapping + tombstones)

    def fingerprints(self) -> dict[str, bytes]:
        """Every id the index holds and its fingerprint (the 256 bytes given to :meth:`add`)."""
        with self._lock:
            snap = self._snap
            held = {
                key: snap.delta[~row].astype("<u8").tobytes() for key, row in self._where.items()
            }
            for row in _alive(snap.full.shape[0], snap.main_dead).tolist():
                held[snap.main_ids[row]] = snap.full[row].astype("<u8").tobytes()
            return held

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
        words = fingerprint_words(fps)
        if len(keys) != words.shape[0]:
            raise ValidationError(
                f"Got {len(keys)} ids but {words.shape[0]} fingerprints.", field="fingerprint"
            )
        last = {key: i for i, key in enumerate(keys)}
        if len(last) != len(keys):  # keep the last occurrence of a repeated id
            keep = np.fromiter(sorted(last.values()), dtype=np.int64)
            keys = [keys[i] for i in keep]
            words = words[keep]
        counts = popcounts(words)
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
                delta = np.zeros((capacity, FP_WORDS), dtype=np.uint64)
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
        delta_new: list[int] = []
        for key in keys:
            where = self._where.pop(key, None)
            if where is not None:
                delta_new.append(~where)
        main_new = [
            row
            for row in snap.main_ids.rows(keys).tolist()
            if row >= 0 and row not in snap.main_dead
        ]
        main_dead = snap.main_dead | frozenset(main_new) if main_new else snap.main_dead
        delta_dead = snap.delta_dead | frozenset(delta_new) if delta_new else snap.delta_dead
        return main_dead, delta_dead

    def _publish(self, snap: _Snapshot, **changes: Any) -> None:
        fields = {name: getattr(snap, name) for name in _Snapshot.__slots__}
        fields.update(changes)
        fields["size"] = snap.full.shape[0] - len(fields["main_dead"]) + len(self._where)
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
        screen, full, keys = merge_block(
            self._snap, main_dead, delta_dead, self._screen_words, extra=extra
        )
        self._where = {}
        bin_start = np.searchsorted(screen[:, -1], np.arange(FP_BITS + 2, dtype=np.uint64))
        self._snap = _main_only(screen, full, bin_start.astype(np.int64), KeyColumn.of(keys))

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
            query_fp: 256-byte Morgan fingerprint (:func:`~cryoprotect.science.fingerprints.morgan_fingerprint`).
            k: number of hits wanted.
            threshold: minimum Tanimoto similarity (inclusive), 0 to 1.
            allowed: optional visibility filter; hidden ids are skipped and the candidate
                set is widened until ``k`` visible hits are found or none are left.

        Returns:
            ``(id, similarity)`` pairs; the similarity equals RDKit's ``TanimotoSimilarity``.
        """
        check_fingerprint_bytes(query_fp)
        if k < 0:
            raise ValidationError("k must not be negative.", field="k")
        if not 0.0 <= threshold <= 1.0:
            raise ValidationError("threshold must be between 0 and 1.", field="threshold")
        if k == 0:
            return []
        snap = self._snap
        query = np.frombuffer(bytes(query_fp), dtype="<u8").astype(np.uint64)
        qcount = int(np.bitwise_count(query).sum())
        delta_scores = tanimoto_scores(
            snap.delta[: snap.delta_len], snap.delta_counts[: snap.delta_len], query, qcount
        )
        decided: dict[str, bool] = {}
        want = 2 * k + 16
        while True:
            rows, bound, complete = self._main_candidates(snap, query, qcount, threshold, want)
            scores = tanimoto_scores(
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
            hits = accept_ranked(ranked, k, allowed, decided)
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


Allocate = Callable[[str, tuple[int, int]], NDArray[np.uint64]]


def _in_memory(_name: str, shape: tuple[int, int]) -> NDArray[np.uint64]:
    return np.empty(shape, dtype=np.uint64)


def merge_block(
    snap: _Snapshot,
    main_dead: frozenset[int],
    delta_dead: frozenset[int],
    screen_words: int,
    *,
    extra: tuple[NDArray[np.uint64], NDArray[np.int64], list[str]] | None = None,
    allocate: Allocate = _in_memory,
) -> tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.bytes_]]:
    """One main block (sorted by popcount) of the live main rows, live delta rows and
    ``extra``: its ``screen`` and ``full`` arrays (from ``allocate(name, shape)``: memory,
    or a file for :mod:`.persist`) and its ids, encoded, in row order."""
    main_rows = _alive(snap.full.shape[0], main_dead)
    delta_rows = _alive(snap.delta_len, delta_dead)
    extra_words, extra_counts, extra_ids = (
        extra if extra is not None else (np.zeros((0, FP_WORDS), dtype=np.uint64), _EMPTY_ROWS, [])
    )
    counts = np.concatenate(
        [snap.screen[main_rows, -1].astype(np.int64), snap.delta_counts[delta_rows], extra_counts]
    )
    order = np.argsort(counts, kind="stable")
    n_main, n_delta = main_rows.shape[0], delta_rows.shape[0]
    total = order.shape[0]
    full = allocate("full", (total, FP_WORDS))
    screen = allocate("screen", (total, screen_words + 2))
    screen[:, 0] = np.arange(total, dtype=np.uint64)
    screen[:, -1] = counts[order]
    chunk = 65_536  # gather in chunks: no second full-size temporary
    for begin in range(0, total, chunk):
        source = order[begin : begin + chunk]
        stop = begin + source.shape[0]
        in_main = source < n_main
        in_extra = source >= n_main + n_delta
        in_delta = ~in_main & ~in_extra
        block = np.empty((source.shape[0], FP_WORDS), dtype=np.uint64)
        block[in_main] = snap.full[main_rows[source[in_main]]]
        block[in_delta] = snap.delta[delta_rows[source[in_delta] - n_main]]
        block[in_extra] = extra_words[source[in_extra] - n_main - n_delta]
        full[begin:stop] = block
        screen[begin:stop, 1:-1] = _fold(block, screen_words)
    added = encode_keys([snap.delta_ids[i] for i in delta_rows.tolist()] + list(extra_ids))
    kept = snap.main_ids.rows_keys(main_rows)
    width = max(kept.dtype.itemsize, added.dtype.itemsize)
    ids_before = np.concatenate([kept.astype(f"S{width}"), added.astype(f"S{width}")])
    return screen, full, ids_before[order]
