"""The read-only first block of a :class:`~cryoprotect.search.SubstructureIndex`.

A saved index (:mod:`cryoprotect.search.persist`) holds, for every molecule, its pattern
fingerprint and atom-type bits (screened vectorised, like the in-memory block) and its
RDKit molecule pickled into one byte array with an offsets array: a ``Chem.Mol`` is built
only for the rows that pass the screens, and nothing a row holds is a Python object, so
the block can be a read-only memory map shared by every worker process through the page
cache. The pickles are of the molecules the in-memory block matches (RDKit's
``CachedTrustedSmilesMolHolder`` of the canonical SMILES), so both blocks match alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rdkit import Chem
from rdkit.Chem import rdSubstructLibrary

from cryoprotect.science.fingerprints import FP_WORDS
from cryoprotect.search.keys import KeyColumn

__all__ = ["TYPE_WORDS", "LibraryBlock"]

TYPE_WORDS = 4  # atom-type screen: 255 type bits + 1 overflow bit per molecule


@dataclass(frozen=True, slots=True)
class LibraryBlock:
    """Molecules ``0 .. len-1`` of a substructure index, in library order.

    Attributes:
        keys: the rows' ids.
        patterns: (n, 32) pattern fingerprint words.
        types: (n, 4) atom-type bits.
        mols / mol_offsets: row r's pickle is ``mols[mol_offsets[r]:mol_offsets[r + 1]]``.
        smiles / smiles_offsets: its canonical SMILES (UTF-8), the same way.
    """

    keys: KeyColumn
    patterns: NDArray[np.uint64]
    types: NDArray[np.uint64]
    mols: NDArray[np.uint8]
    mol_offsets: NDArray[np.int64]
    smiles: NDArray[np.uint8]
    smiles_offsets: NDArray[np.int64]

    def __post_init__(self) -> None:
        n = len(self.keys)
        if (
            self.patterns.shape != (n, FP_WORDS)
            or self.types.shape != (n, TYPE_WORDS)
            or self.mol_offsets.shape != (n + 1,)
            or self.smiles_offsets.shape != (n + 1,)
            or int(self.mol_offsets[-1]) != self.mols.shape[0]
            or int(self.smiles_offsets[-1]) != self.smiles.shape[0]
        ):
            raise ValueError("the library block's arrays do not fit together")

    @classmethod
    def empty(cls) -> LibraryBlock:
        start = np.zeros(1, dtype=np.int64)
        nothing = np.zeros(0, dtype=np.uint8)
        return cls(
            KeyColumn.empty(),
            np.zeros((0, FP_WORDS), dtype=np.uint64),
            np.zeros((0, TYPE_WORDS), dtype=np.uint64),
            nothing,
            start,
            nothing,
            start,
        )

    def __len__(self) -> int:
        return len(self.keys)

    def mol_bytes(self, row: int) -> bytes:
        return self.mols[int(self.mol_offsets[row]) : int(self.mol_offsets[row + 1])].tobytes()

    def mol(self, row: int) -> Chem.Mol:
        return Chem.Mol(self.mol_bytes(row))  # type: ignore[call-overload,no-any-return]

    def smiles_of(self, row: int) -> str:
        begin, end = int(self.smiles_offsets[row]), int(self.smiles_offsets[row + 1])
        return self.smiles[begin:end].tobytes().decode()

    def matches(
        self, query: Chem.Mol, start: int, stop: int, params: Any, threads: int
    ) -> list[int]:
        """Rows in [start, stop) containing ``query``, matched by ``SubstructLibrary`` on
        ``threads`` threads (each thread unpickles its own molecules)."""
        holder = rdSubstructLibrary.CachedMolHolder()
        for row in range(start, stop):
            holder.AddBinary(self.mol_bytes(row))  # type: ignore[arg-type]
        library = rdSubstructLibrary.SubstructLibrary(holder)
        return sorted(
            start + i for i in library.GetMatches(query, 0, stop - start, params, threads, -1)
        )
