"""Saved search indexes (issue 17, item 3): files that every process maps and shares.

A saved index opened from disk answers exactly what the in-memory index it was written
from answers (and what brute force answers); a damaged, partial or foreign one is refused;
two processes that open the same saved index share its pages through the page cache
(file-backed, not copied into either process's anonymous memory).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

from cryoprotect.science.substructure import parse_query
from cryoprotect.search import FeedPosition, SimilarityIndex, SubstructureIndex
from cryoprotect.search.persist import (
    MANIFEST,
    SavedIndexError,
    open_index,
    saved_indexes,
    write_index,
)
from tests.conftest import require
from tests.unit.test_search import brute_force, ids_for, nci_fps, nci_smiles

pytestmark = pytest.mark.unit

SOURCE = {"database": "test"}
PATTERNS = ("[OH]", "c1ccccc1", "C(=O)O", "[#7]", "Cl", "[R2]", "C=C", "S")


def _filled(n: int = 400) -> tuple[SimilarityIndex, SubstructureIndex]:
    ids = ids_for(n)
    similarity, substructure = SimilarityIndex(), SubstructureIndex()
    similarity.add(ids, list(nci_fps(n)))
    substructure.add(ids, list(nci_smiles(n)))
    return similarity, substructure


def _columns(keys: np.ndarray) -> dict[str, np.ndarray]:
    return {"length": np.array([len(k) for k in keys], dtype=np.int64)}


def _save(directory: Path, similarity: SimilarityIndex, substructure: SubstructureIndex) -> Path:
    return write_index(
        directory,
        similarity,
        substructure,
        position=FeedPosition(10, 15, (12,)),
        source=SOURCE,
        columns=_columns,
    )


def _open(path: Path) -> tuple[SimilarityIndex, SubstructureIndex]:
    similarity, substructure = SimilarityIndex(), SubstructureIndex()
    open_index(path, similarity, substructure, source=SOURCE)
    return similarity, substructure


def _assert_same(
    a: tuple[SimilarityIndex, SubstructureIndex], b: tuple[SimilarityIndex, SubstructureIndex]
) -> None:
    assert a[0].fingerprints() == b[0].fingerprints()
    assert a[1].structures() == b[1].structures()
    assert len(a[0]) == len(b[0]) and len(a[1]) == len(b[1])
    library = a[0].fingerprints()
    for query in nci_fps()[::23]:
        for k in (1, 10, 40):
            expected = brute_force(query, library, k)
            assert a[0].search(query, k) == expected
            assert b[0].search(query, k) == expected
    structures = a[1].structures()
    for text in PATTERNS:
        query = parse_query(text)
        matching = {
            key
            for key, smi in structures.items()
            if Chem.MolFromSmiles(smi).HasSubstructMatch(query)
        }
        assert set(b[1].search(query, max_hits=10**6)) == matching, text
        assert b[1].search(query, max_hits=10**6) == a[1].search(query, max_hits=10**6)
        assert b[1].count(query) == len(matching)


def test_round_trip_equals_the_in_memory_index(tmp_path: Path) -> None:
    memory = _filled()
    gone = ids_for(400)[5:400:9]
    for index in memory:
        index.remove(gone)  # tombstones are not written
    path = _save(tmp_path, *memory)
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["rows"] == 400 - len(gone)
    assert FeedPosition.parse(manifest["position"]) == FeedPosition(10, 15, (12,))
    opened = _open(path)
    _assert_same(memory, opened)
    assert not any(key in opened[0] or key in opened[1] for key in gone)
    # The arrays are read-only memory maps of the files, not copies.
    snap = opened[0].state()
    assert not snap.full.flags.writeable and not snap.full.flags.owndata
    assert isinstance(snap.full.base, np.memmap) or "mmap" in type(snap.full.base).__name__


def test_changes_on_top_of_a_saved_index_and_saved_again(tmp_path: Path) -> None:
    memory = _filled(300)
    opened = _open(_save(tmp_path, *memory))
    ids = ids_for(300)
    extra_ids = [f"new-{i}" for i in range(40)]
    for similarity, substructure in (memory, opened):
        similarity.remove(ids[:30])
        substructure.remove(ids[:30])
        # replace 20 saved rows by other structures, add 40 new ones
        similarity.add(ids[100:120] + extra_ids, list(nci_fps()[200:220] + nci_fps()[300:340]))
        substructure.add(
            ids[100:120] + extra_ids, list(nci_smiles()[200:220] + nci_smiles()[300:340])
        )
    _assert_same(memory, opened)
    again = _open(_save(tmp_path, *opened))
    _assert_same(memory, again)
    assert saved_indexes(tmp_path)[0].name > saved_indexes(tmp_path)[1].name  # newest first


def test_empty_index_round_trips(tmp_path: Path) -> None:
    opened = _open(_save(tmp_path, SimilarityIndex(), SubstructureIndex()))
    assert len(opened[0]) == len(opened[1]) == 0
    assert opened[0].search(nci_fps()[0], 5) == []
    opened[0].add(["a"], [nci_fps()[0]])
    assert opened[0].search(nci_fps()[0], 5) == [("a", 1.0)]


@pytest.mark.parametrize(
    "damage",
    ["no manifest", "truncated array", "truncated pickles", "other version", "other source"],
)
def test_damaged_or_foreign_saved_index_is_refused(tmp_path: Path, damage: str) -> None:
    path = _save(tmp_path, *_filled(120))
    manifest_path = path / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    if damage == "no manifest":
        manifest_path.unlink()
    elif damage == "truncated array":
        with open(path / "sim_full.npy", "r+b") as handle:
            handle.truncate(1000)
    elif damage == "truncated pickles":
        with open(path / "mols.bin", "r+b") as handle:
            handle.truncate(10)
    elif damage == "other version":
        manifest_path.write_text(json.dumps({**manifest, "format": 999}))
    else:
        manifest_path.write_text(json.dumps({**manifest, "source": {"database": "other"}}))
    with pytest.raises(SavedIndexError):
        _open(path)
    if damage == "no manifest":
        assert saved_indexes(tmp_path) == []  # an unfinished directory is not listed


def test_a_write_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    def bad_columns(keys: np.ndarray) -> dict[str, np.ndarray]:
        return {"short": np.zeros(len(keys) - 1)}

    similarity, substructure = _filled(50)
    with pytest.raises(SavedIndexError):
        write_index(
            tmp_path,
            similarity,
            substructure,
            position=FeedPosition(1, 1),
            source=SOURCE,
            columns=bad_columns,
        )
    assert list(tmp_path.iterdir()) == []


_READER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cryoprotect.search import SimilarityIndex, SubstructureIndex
    from cryoprotect.search.persist import open_index

    similarity, substructure = SimilarityIndex(), SubstructureIndex()
    open_index(Path(sys.argv[1]), similarity, substructure, source={"database": "test"})
    snap = similarity.state()
    total = int(snap.full.sum(dtype="uint64") % 7) + int(snap.screen.sum(dtype="uint64") % 7)
    print("ready", total, flush=True)
    sys.stdin.readline()
    """
)


def _mapping(pid: int, path: Path) -> dict[str, int]:
    """The /proc/<pid>/smaps fields (kB) of the mapping of ``path``."""
    fields: dict[str, int] = {}
    current = False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if not parts[0].endswith(":") or "-" in parts[0]:  # a mapping's header line
            current = len(parts) >= 6 and parts[5] == str(path)
            continue
        if current and len(parts) >= 2 and parts[1].isdigit():
            fields[parts[0][:-1]] = fields.get(parts[0][:-1], 0) + int(parts[1])
    return fields


def test_two_processes_share_the_mapped_file(tmp_path: Path) -> None:
    require(Path("/proc/self/smaps").exists(), "needs Linux /proc/<pid>/smaps")
    n = 600
    path = _save(tmp_path, *_filled(n))
    full = path / "sim_full.npy"
    size_kb = full.stat().st_size // 1024
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", _READER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for reader in readers:
            assert reader.stdout is not None
            assert reader.stdout.readline().startswith("ready")
        for reader in readers:
            mapping = _mapping(reader.pid, full)
            # Every page of the fingerprints is resident, file-backed, and shared by both.
            assert mapping["Rss"] >= size_kb - 8, mapping
            assert mapping["Anonymous"] == 0, mapping
            assert mapping["Shared_Clean"] >= size_kb - 8, mapping
            assert mapping["Private_Dirty"] == 0, mapping
            # ... and counted half in each process's proportional share.
            assert mapping["Pss"] <= mapping["Rss"] // 2 + 8, mapping
    finally:
        for reader in readers:
            assert reader.stdin is not None
            reader.stdin.close()
            reader.wait(timeout=30)
