"""Saved search indexes: files every worker process maps read-only and shares.

A saved index is one directory under the index directory (``CRYOPROTECT_INDEX_DIR``,
default ``$CRYOPROTECT_HOME/indexes``) named ``index-<time ns>-<pid>``:

* ``keys.npy``: the ids, sorted (fixed-width UTF-8); ``sim_rank``/``sim_row`` and
  ``sub_rank``/``sub_row`` map each index's rows to positions in it and back;
* similarity: ``sim_full.npy`` (2048-bit fingerprints as 32 words a row, sorted by
  popcount), ``sim_screen.npy`` (FPSim2's row layout of the folded screen) and
  ``sim_bins.npy`` (first row of each popcount);
* substructure: ``sub_patterns.npy``, ``sub_types.npy`` (the screens), ``mols.bin`` with
  ``mol_offsets.npy`` (RDKit pickles, unpickled only for screened candidates),
  ``smiles.bin`` with ``smiles_offsets.npy``, and ``types.json`` (the atom-type vocabulary
  the type bits were computed with, each type with pickled example atoms);
* ``col_<name>.npy``: columns the caller keeps beside the ids (in ``keys`` order);
* ``lst_<name>.npy``: the molecule list's orders over every molecule, structures or not
  (:mod:`cryoprotect.search.list_order`; format 2 on);
* ``manifest.json``, written last: format version, row count, the change-feed position
  the files reflect (:class:`~cryoprotect.search.FeedPosition`), the caller's ``source``
  (which database), the screen width and every file's size.

Arrays are ``.npy`` files opened with ``mmap_mode="r"``: opening costs the same for ten or
a million molecules, the pages live once in the page cache whichever process reads them,
and they are never copied into a process's own (anonymous) memory. A saved index is
written into a temporary directory and renamed into place, so a reader sees it whole or
not at all; a reader checks the manifest, the sizes and the shapes and refuses (raises
:class:`SavedIndexError`) anything else. Directories are immutable once written; newer
ones replace older ones (:func:`prune` keeps a few; a process that still maps a removed
one keeps reading it until it moves on).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.format import open_memmap
from numpy.typing import NDArray
from rdkit import Chem

from cryoprotect.search.feed import FeedPosition
from cryoprotect.search.keys import KeyColumn, encode_keys
from cryoprotect.search.library_block import TYPE_WORDS, LibraryBlock
from cryoprotect.search.list_order import ListOrder
from cryoprotect.search.similarity import SimilarityIndex, merge_block
from cryoprotect.search.substructure import SubstructureIndex

__all__ = [
    "MANIFEST",
    "FORMAT_VERSION",
    "SavedIndex",
    "SavedIndexError",
    "building",
    "open_index",
    "prune",
    "saved_indexes",
    "write_index",
]

FORMAT_VERSION = 2  # 2: the list orders (lst_*.npy)
MANIFEST = "manifest.json"
_PREFIX = "index-"
_CHUNK = 65_536

Columns = Callable[[NDArray[np.bytes_]], dict[str, NDArray[Any]]]


class SavedIndexError(ValueError):
    """A saved index that cannot be used (missing, partial, corrupt, other version/source)."""


@dataclass(frozen=True)
class SavedIndex:
    """A saved index opened into a similarity and a substructure index.

    Attributes:
        path: its directory.
        position: the change-feed position its contents reflect.
        rows: molecules in it.
        keys: its ids with the substructure rows (``keys.sorted_keys`` orders ``columns``).
        columns: the caller's columns, memory-mapped, in ``keys.sorted_keys`` order.
        lists: the list orders' arrays (:class:`~cryoprotect.search.list_order.ListOrder`).
    """

    path: Path
    position: FeedPosition
    rows: int
    keys: KeyColumn
    columns: dict[str, NDArray[Any]]
    lists: dict[str, NDArray[Any]]


def saved_indexes(directory: Path) -> list[Path]:
    """Complete saved indexes in ``directory`` (those with a manifest), newest first."""
    if not directory.is_dir():
        return []
    found = [
        entry
        for entry in directory.iterdir()
        if entry.name.startswith(_PREFIX) and (entry / MANIFEST).is_file()
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)


@contextlib.contextmanager
def building(directory: Path, *, wait: bool) -> Iterator[bool]:
    """Hold the directory's build lock (``flock``, across processes); yields whether it was
    taken (with ``wait=False`` another process may hold it: False)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".build.lock", "a+b") as handle:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prune(directory: Path, keep: int = 2) -> None:
    """Remove all but the ``keep`` newest saved indexes and stale temporary directories."""
    for old in saved_indexes(directory)[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    hour_ago = time.time() - 3600
    for entry in directory.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime < hour_ago:
                shutil.rmtree(entry, ignore_errors=True)


# ------------------------------------------------------------------------- writing


def write_index(
    directory: Path,
    similarity: SimilarityIndex,
    substructure: SubstructureIndex,
    *,
    position: FeedPosition,
    source: dict[str, str],
    columns: Columns,
    lists: ListOrder | None = None,
) -> Path:
    """Save both indexes (which must hold the same ids) as a new directory; returns it.

    ``columns(sorted_keys)`` gives the caller's per-id arrays in that order; ``lists`` the
    list orders (saved and changed rows folded into one; none: no molecules). Reads the
    indexes' current states without blocking their searches.

    Raises:
        SavedIndexError: the two indexes hold different ids.
        OSError: the directory cannot be written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        sub_keys, type_info = _write_substructure(tmp, substructure)
        screen_words = similarity.screen_bits // 64
        snap = similarity.state()

        def allocate(name: str, shape: tuple[int, int]) -> NDArray[np.uint64]:
            return open_memmap(tmp / f"sim_{name}.npy", "w+", np.uint64, shape)

        screen, full, sim_keys = merge_block(
            snap, snap.main_dead, snap.delta_dead, screen_words, allocate=allocate
        )
        bins = np.searchsorted(screen[:, -1], np.arange(full.shape[1] * 64 + 2, dtype=np.uint64))
        np.save(tmp / "sim_bins.npy", bins.astype(np.int64))
        for array in (screen, full):
            if isinstance(array, np.memmap):
                array.flush()
        del screen, full
        keys = KeyColumn.of(sub_keys)
        sim_rank = _ranks(keys.sorted_keys, sim_keys)
        sim_row = np.empty_like(sim_rank)
        sim_row[sim_rank] = np.arange(sim_rank.shape[0], dtype=np.int64)
        arrays: dict[str, NDArray[Any]] = {
            "keys": keys.sorted_keys,
            "sub_rank": keys.rank_of_row,
            "sub_row": keys.row_of_rank,
            "sim_rank": sim_rank,
            "sim_row": sim_row,
        }
        for name, column in columns(keys.sorted_keys).items():
            if column.shape[0] != len(keys):
                raise SavedIndexError(f"column {name} has {column.shape[0]} rows, not {len(keys)}")
            arrays[f"col_{name}"] = column
        for name, array in (lists if lists is not None else ListOrder()).arrays().items():
            arrays[f"lst_{name}"] = array
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array)
        (tmp / "types.json").write_text(json.dumps(type_info))
        manifest = {
            "format": FORMAT_VERSION,
            "rows": len(keys),
            "position": str(position),
            "source": source,
            "screen_bits": similarity.screen_bits,
            "columns": sorted(
                columns_name for columns_name in arrays if columns_name[:4] == "col_"
            ),
            "lists": sorted(name for name in arrays if name[:4] == "lst_"),
            "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": {f.name: f.stat().st_size for f in sorted(tmp.iterdir())},
        }
        for entry in tmp.iterdir():
            _fsync(entry)
        _write_durably(tmp / MANIFEST, json.dumps(manifest, indent=1).encode())
        final = directory / f"{_PREFIX}{time.time_ns():020d}-{os.getpid()}"
        os.rename(tmp, final)
        _fsync(directory)
        return final
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _ranks(sorted_keys: NDArray[np.bytes_], keys: NDArray[np.bytes_]) -> NDArray[np.int64]:
    if sorted_keys.shape[0] != keys.shape[0]:
        raise SavedIndexError("the similarity and substructure indexes hold different ids")
    ranks = np.searchsorted(sorted_keys, keys)
    if keys.shape[0] and (
        ranks.max() >= sorted_keys.shape[0] or not bool((sorted_keys[ranks] == keys).all())
    ):
        raise SavedIndexError("the similarity and substructure indexes hold different ids")
    return ranks.astype(np.int64)


def _write_substructure(
    tmp: Path, substructure: SubstructureIndex
) -> tuple[NDArray[np.bytes_], dict[str, Any]]:
    """Write the live rows (the block's, then the in-memory ones) in library order."""
    with substructure.reading():
        base, ids, dead, type_bits, type_examples = substructure.state()
        nb = len(base)
        dead_set = set(dead)
        memory_rows = [nb + i for i in range(len(ids)) if nb + i not in dead_set]
        patterns, types, pickles, smiles = substructure.row_data(memory_rows)
        memory_keys = encode_keys([ids[row - nb] for row in memory_rows])
        type_info = {
            "bits": [[list(kind), bit] for kind, bit in type_bits.items()],
            "examples": [
                [[base64.b64encode(mol.ToBinary()).decode(), index] for mol, index in examples]
                for examples in type_examples
            ],
        }
    base_rows = np.flatnonzero(
        ~np.isin(np.arange(nb), np.fromiter((d for d in dead if d < nb), dtype=np.int64))
    )
    n = base_rows.shape[0] + len(memory_rows)
    out_patterns = open_memmap(tmp / "sub_patterns.npy", "w+", np.uint64, (n, patterns.shape[1]))
    out_types = open_memmap(tmp / "sub_types.npy", "w+", np.uint64, (n, TYPE_WORDS))
    for begin in range(0, base_rows.shape[0], _CHUNK):
        rows = base_rows[begin : begin + _CHUNK]
        out_patterns[begin : begin + rows.shape[0]] = base.patterns[rows]
        out_types[begin : begin + rows.shape[0]] = base.types[rows]
    out_patterns[base_rows.shape[0] :] = patterns
    out_types[base_rows.shape[0] :] = types
    out_patterns.flush()
    out_types.flush()
    del out_patterns, out_types
    _write_blob(tmp, "mols", base.mols, base.mol_offsets, base_rows, pickles)
    _write_blob(tmp, "smiles", base.smiles, base.smiles_offsets, base_rows, smiles)
    kept = base.keys.rows_keys(base_rows)
    width = max(kept.dtype.itemsize, memory_keys.dtype.itemsize)
    keys = np.concatenate([kept.astype(f"S{width}"), memory_keys.astype(f"S{width}")])
    return keys, type_info


def _write_blob(
    tmp: Path,
    name: str,
    blob: NDArray[np.uint8],
    offsets: NDArray[np.int64],
    rows: NDArray[np.int64],
    extra: list[bytes] | list[str],
) -> None:
    """``<name>.bin`` and ``<name>_offsets.npy``: ``rows`` of an existing blob, then ``extra``."""
    lengths = np.concatenate(
        [
            (offsets[rows + 1] - offsets[rows]).astype(np.int64),
            np.array([len(_as_bytes(item)) for item in extra], dtype=np.int64),
        ]
    )
    new_offsets = np.zeros(lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    with open(tmp / f"{name}.bin", "wb") as handle:
        # Copy runs of consecutive rows as one slice each (one run when nothing was deleted).
        if rows.shape[0]:
            breaks = np.flatnonzero(np.diff(rows) != 1) + 1
            for run in np.split(rows, breaks):
                begin, end = int(offsets[run[0]]), int(offsets[run[-1] + 1])
                for start in range(begin, end, 1 << 26):
                    handle.write(blob[start : min(end, start + (1 << 26))].tobytes())
        for item in extra:
            handle.write(_as_bytes(item))
    np.save(tmp / f"{name}_offsets.npy", new_offsets)


def _mapped(array: NDArray[Any]) -> NDArray[Any]:
    """A plain read-only ndarray over a memory map (``np.memmap`` indexing costs a Python
    call each time; the view keeps the map alive and reads the same shared pages)."""
    return np.asarray(array)


def _unpickle(text: str) -> Chem.Mol:
    return Chem.Mol(base64.b64decode(text))  # type: ignore[call-overload,no-any-return]


def _as_bytes(item: bytes | str) -> bytes:
    return item.encode() if isinstance(item, str) else item


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


# ------------------------------------------------------------------------- reading


def _lists(
    path: Path, arrays: dict[str, NDArray[Any]], manifest: dict[str, Any]
) -> dict[str, NDArray[Any]]:
    """The list orders' arrays, checked against the manifest and against each other."""
    lists = {name[4:]: array for name, array in arrays.items() if name.startswith("lst_")}
    if sorted(f"lst_{name}" for name in lists) != manifest.get("lists"):
        raise SavedIndexError(f"{path.name}: list orders differ from the manifest")
    ListOrder(lists)  # checks the arrays fit together (ValueError, KeyError)
    return lists


def open_index(
    path: Path,
    similarity: SimilarityIndex,
    substructure: SubstructureIndex,
    *,
    source: dict[str, str],
) -> SavedIndex:
    """Map a saved index read-only into two fresh indexes (replacing their contents).

    Raises:
        SavedIndexError: no manifest, another format version, source or screen width,
            a file missing or of another size, or arrays that do not fit together.
    """
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise SavedIndexError(f"{path.name}: no readable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise SavedIndexError(f"{path.name}: not format version {FORMAT_VERSION}")
    if manifest.get("source") != source:
        raise SavedIndexError(f"{path.name}: written for another database")
    if manifest.get("screen_bits") != similarity.screen_bits:
        raise SavedIndexError(f"{path.name}: another screen width")
    try:
        for name, size in dict(manifest["files"]).items():
            if (path / name).stat().st_size != size:
                raise SavedIndexError(f"{path.name}: {name} is not {size} bytes")
        rows = int(manifest["rows"])
        position = FeedPosition.parse(str(manifest["position"]))
        a = {
            f.name[:-4]: _mapped(np.load(f, mmap_mode="r", allow_pickle=False))
            for f in path.iterdir()
            if f.suffix == ".npy"
        }
        mols = (
            _mapped(np.memmap(path / "mols.bin", dtype=np.uint8, mode="r"))
            if rows
            else np.zeros(0, np.uint8)
        )
        smiles = (
            _mapped(np.memmap(path / "smiles.bin", dtype=np.uint8, mode="r"))
            if rows
            else np.zeros(0, np.uint8)
        )
        keys = a["keys"]
        sub_keys = KeyColumn(keys, a["sub_rank"], a["sub_row"])
        sim_keys = KeyColumn(keys, a["sim_rank"], a["sim_row"])
        if len(sub_keys) != rows:
            raise SavedIndexError(f"{path.name}: {len(sub_keys)} ids, the manifest says {rows}")
        block = LibraryBlock(
            sub_keys,
            a["sub_patterns"],
            a["sub_types"],
            mols,
            a["mols_offsets"],
            smiles,
            a["smiles_offsets"],
        )
        types = json.loads((path / "types.json").read_text())
        type_bits = {tuple(kind): int(bit) for kind, bit in types["bits"]}
        examples = [
            [(_unpickle(pickle), int(index)) for pickle, index in bit] for bit in types["examples"]
        ]
        columns = {name[4:]: array for name, array in a.items() if name.startswith("col_")}
        if sorted(f"col_{name}" for name in columns) != manifest.get("columns"):
            raise SavedIndexError(f"{path.name}: columns differ from the manifest")
        if any(column.shape[0] != rows for column in columns.values()):
            raise SavedIndexError(f"{path.name}: a column has the wrong length")
        lists = _lists(path, a, manifest)
        similarity.attach(a["sim_screen"], a["sim_full"], a["sim_bins"], sim_keys)
        substructure.attach(block, type_bits, examples)
    except SavedIndexError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, IndexError) as exc:
        raise SavedIndexError(f"{path.name}: unreadable ({type(exc).__name__}: {exc})") from exc
    return SavedIndex(path, position, rows, sub_keys, columns, lists)
