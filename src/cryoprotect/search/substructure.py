"""Substructure search over the molecule library (:class:`SubstructureIndex`).

The index wraps RDKit's ``SubstructLibrary`` (trusted canonical SMILES plus pattern
fingerprints) with a vectorised pattern and atom-type screen, and returns the first page
of hits quickly. :meth:`SubstructureIndex.find` also stops at a deadline (checked before
every candidate and, for guarded queries, inside RDKit's matcher) and says whether the
scan was cut short; an *isolated* find matches in a forked child process at idle CPU
priority that is killed at the deadline (:mod:`cryoprotect.search.isolation`). Results
equal a brute-force ``HasSubstructMatch`` loop.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Generator, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rdkit import Chem
from rdkit.Chem import rdSubstructLibrary

from cryoprotect.errors import ValidationError
from cryoprotect.science.fingerprints import FP_BYTES, FP_WORDS
from cryoprotect.science.molecules import to_mol
from cryoprotect.science.substructure import (
    AtomType,
    atom_type,
    bitvect_words,
    deadline_parameters,
    match_parameters,
    pattern_fingerprint,
    pattern_words,
    reads_rings,
    type_screenable,
)
from cryoprotect.search.isolation import (
    ISOLATION_AVAILABLE,
    PROGRESS_S,
    collect_hits,
    end_child,
    lower_priority,
    report_end,
    report_hit,
    report_progress,
)
from cryoprotect.search.library_block import TYPE_WORDS, LibraryBlock
from cryoprotect.search.locks import ReadWriteLock
from cryoprotect.search.scan_types import Plan as _Plan
from cryoprotect.search.scan_types import ScanState as _ScanState
from cryoprotect.search.scan_types import SubstructureHits
from cryoprotect.search.visibility import Allowed, decide

__all__ = ["SubstructureHits", "SubstructureIndex"]

_TYPE_WORDS = TYPE_WORDS
_OVERFLOW_BIT = 64 * _TYPE_WORDS - 1
_WORD_MASK = (1 << 64) - 1


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
        self._rw = ReadWriteLock()
        self._generation = 0
        self._type_bits: dict[AtomType, int] = {}
        self._type_examples: list[list[tuple[Chem.Mol, int]]] = [
            [] for _ in range(64 * _TYPE_WORDS)
        ]
        self._base = LibraryBlock.empty()  # rows below len(_base); the rest are in memory
        self._nb = 0
        self._reset(capacity=1024)

    def attach(
        self,
        base: LibraryBlock,
        type_bits: dict[AtomType, int],
        type_examples: list[list[tuple[Chem.Mol, int]]],
    ) -> None:
        """Replace the whole index by a read-only block (e.g. memory maps of a saved index)
        and the atom-type vocabulary its type bits were computed with."""
        if len(type_examples) != 64 * _TYPE_WORDS:
            raise ValueError("one list of examples per atom-type bit is needed")
        with self._rw.write():
            self._base, self._nb = base, len(base)
            self._type_bits = dict(type_bits)
            self._type_examples = [list(examples) for examples in type_examples]
            self._reset(capacity=1024)

    def state(
        self,
    ) -> tuple[LibraryBlock, list[str], list[int], dict[AtomType, int], list[list[Any]]]:
        """What :mod:`.persist` writes: the read-only block, the in-memory rows' ids, the
        dead rows and the atom-type vocabulary. Take it under :meth:`reading`."""
        return self._base, self._ids, sorted(self._dead), self._type_bits, self._type_examples

    def reading(self) -> Any:
        """The read lock, for callers reading :meth:`state` and :meth:`row_data`."""
        return self._rw.read()

    def row_data(
        self, rows: list[int]
    ) -> tuple[NDArray[np.uint64], NDArray[np.uint64], list[bytes], list[str]]:
        """Patterns, type bits, molecule pickles and SMILES of in-memory rows (numbered
        from ``len(block)``)."""
        local = np.asarray(rows, dtype=np.int64) - self._nb
        return (
            self._patterns[local],
            self._types[local],
            [self._mols.GetMol(int(r)).ToBinary() for r in local.tolist()],
            [self._smiles[r] for r in local.tolist()],
        )

    def _key(self, row: int) -> str:
        return self._base.keys[row] if row < self._nb else self._ids[row - self._nb]

    def _row_of(self, key: str) -> int | None:
        """The live row holding ``key``, or None."""
        row = self._where.get(key)
        if row is None and self._nb:
            found = self._base.keys.row(key)
            if found >= 0 and found not in self._dead:
                row = found
        return row

    def _reset(self, capacity: int) -> None:
        self._mols = rdSubstructLibrary.CachedTrustedSmilesMolHolder()
        self._fps = rdSubstructLibrary.PatternHolder()
        self._library = rdSubstructLibrary.SubstructLibrary(self._mols, self._fps)
        self._ids: list[str] = []
        self._smiles: list[str] = []
        self._patterns = np.zeros((capacity, FP_WORDS), dtype=np.uint64)
        self._types = np.zeros((capacity, _TYPE_WORDS), dtype=np.uint64)
        self._dead: set[int] = set()
        self._where: dict[str, int] = {}  # in-memory rows; the block's: _base.keys
        self._generation += 1

    # ----------------------------------------------------------------- introspection

    def __len__(self) -> int:
        with self._rw.read():
            return self._nb + len(self._ids) - len(self._dead)

    def __contains__(self, item: object) -> bool:
        with self._rw.read():
            return self._row_of(str(item)) is not None

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
            keys = self._base.keys
            block = keys.sorted_keys.nbytes + keys.rank_of_row.nbytes + keys.row_of_rank.nbytes
            return int(smiles + strings + lists + mapping + rdkit_patterns + arrays + block)

    def structures(self) -> dict[str, str]:
        """Every id the index holds and its SMILES (RDKit canonical, as matched)."""
        with self._rw.read():
            held = {
                self._base.keys[row]: self._base.smiles_of(row)
                for row in range(self._nb)
                if row not in self._dead
            }
            held.update((key, self._smiles[row - self._nb]) for key, row in self._where.items())
            return held

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
                kind = atom_type(atom)
                kinds.add(kind)
                if kind not in self._type_bits and kind not in examples:
                    examples[kind] = (mol, atom.GetIdx())
            pattern = pattern_fingerprint(mol)
            prepared.append((key, Chem.MolToSmiles(mol), pattern, kinds))
        with self._rw.write():
            self._reserve(len(self._ids) + len(prepared))
            for key, canonical, pattern, kinds in prepared:
                old = self._row_of(key)
                if old is not None:
                    self._dead.add(old)
                row = self._nb + len(self._ids)
                self._where[key] = row
                self._mols.AddSmiles(canonical)
                self._fps.AddFingerprint(pattern)
                self._ids.append(key)
                self._smiles.append(canonical)
                self._patterns[row - self._nb] = bitvect_words(pattern)
                bits = 0
                for kind in kinds:
                    bits |= 1 << self._type_bit(kind, examples)
                self._types[row - self._nb] = [
                    (bits >> (64 * w)) & _WORD_MASK for w in range(_TYPE_WORDS)
                ]
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
                index = self._row_of(str(key))
                if index is not None:
                    self._where.pop(str(key), None)
                    self._dead.add(index)
            self._maybe_rebuild()

    def rebuild(self) -> None:
        """Drop tombstoned in-memory entries now (the read-only block's stay tombstones
        until a new saved index is written)."""
        with self._rw.write():
            self._rebuild()

    def _maybe_rebuild(self) -> None:
        dead = sum(1 for row in self._dead if row >= self._nb)
        if dead > self._rebuild_threshold and dead > self._rebuild_fraction * len(self._ids):
            self._rebuild()

    def _rebuild(self) -> None:
        old_ids, old_smiles, old_fps, dead = self._ids, self._smiles, self._fps, self._dead
        nb = self._nb
        alive = np.array([i for i in range(len(old_ids)) if i + nb not in dead], dtype=np.int64)
        patterns, types = self._patterns[alive], self._types[alive]
        self._reset(capacity=max(1024, alive.shape[0]))
        self._dead = {row for row in dead if row < nb}
        self._patterns[: alive.shape[0]] = patterns
        self._types[: alive.shape[0]] = types
        for index in alive.tolist():
            self._where[old_ids[index]] = nb + len(self._ids)
            self._mols.AddSmiles(old_smiles[index])
            self._fps.AddFingerprint(old_fps.GetFingerprint(index))
            self._ids.append(old_ids[index])
            self._smiles.append(old_smiles[index])

    # ----------------------------------------------------------------- search

    def _plan(self, query: Chem.Mol) -> _Plan:
        pattern = pattern_words(query)
        nonzero = np.flatnonzero(pattern)
        masks: list[NDArray[np.uint64]] = []
        needs_rings = False
        for bond in query.GetBonds():
            needs_rings |= bond.HasQuery() and reads_rings(bond.DescribeQuery())
        for atom in query.GetAtoms():
            if not atom.HasQuery():
                continue
            description = atom.DescribeQuery()
            needs_rings |= reads_rings(description)
            if not type_screenable(description):
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
        """Rows in [start, stop) (all in one block) that pass the pattern and type screens."""
        if start < self._nb:
            patterns, types, offset = self._base.patterns, self._base.types, 0
        else:
            patterns, types, offset = self._patterns, self._types, self._nb
        keep = np.ones(stop - start, dtype=bool)
        if plan.pattern_words.shape[0]:
            words = patterns[start - offset : stop - offset, plan.pattern_words]
            keep &= ((words & plan.pattern) == plan.pattern).all(axis=1)
        block = types[start - offset : stop - offset]
        for mask in plan.type_masks:
            keep &= (block & mask).any(axis=1)
        return start + np.flatnonzero(keep)

    def _matches(self, plan: _Plan, row: int, params: Any) -> bool:
        mol = self._base.mol(row) if row < self._nb else self._mols.GetMol(row - self._nb)
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
            params = match_parameters()
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
                size = self._nb + len(self._ids)
                if position >= size:
                    return
                stop = min(size, position + chunk)
                if position < self._nb < stop:  # a chunk lies in one block
                    stop = self._nb
                candidates = self._screen(plan, position, stop)
                found: list[int] = []
                if (
                    limit is None
                    and not timed
                    and not plan.needs_rings
                    and self._threads > 1
                    and (4 * candidates.shape[0] >= stop - position)
                ):
                    found = (
                        self._base.matches(query, position, stop, params, self._threads)
                        if position < self._nb
                        else sorted(
                            self._nb + i
                            for i in self._library.GetMatches(
                                query,
                                position - self._nb,
                                stop - self._nb,
                                params,
                                self._threads,
                                -1,
                            )
                        )
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
                matches = [self._key(row) for row in found if row not in self._dead]
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
                decide(matches, allowed, decided)
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
            return SubstructureHits(*collect_hits(pid, read_fd, max_hits, allowed, deadline))
        finally:
            os.close(read_fd)
            end_child(pid)

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
            lower_priority(max(1, math.ceil(deadline - time.monotonic())) + 1)
            self._rw = ReadWriteLock()
            state = _ScanState(deadline=deadline)
            reported = [time.monotonic()]

            def report(row: int, matched: bool) -> None:
                if matched:
                    report_hit(fd, self._key(row), state.checked)
                elif time.monotonic() - reported[0] >= PROGRESS_S:
                    report_progress(fd, state.checked)
                    reported[0] = time.monotonic()

            state.on_checked = report
            for _ in self._scan(query, self._first_chunk, None, state):
                pass
            report_end(fd, state.checked, state.truncated)
            code = 0
        finally:
            os._exit(code)

    def count(self, query: Chem.Mol) -> int:
        """Number of live molecules containing ``query`` (a full scan; run it in the background)."""
        return sum(len(matches) for matches in self._scan(query, self._max_chunk, None))
