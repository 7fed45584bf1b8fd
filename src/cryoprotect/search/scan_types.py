"""What a substructure scan carries: its plan, its running state, and what it found."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rdkit import Chem

__all__ = ["Plan", "ScanState", "SubstructureHits"]


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
class ScanState:
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


@dataclass(frozen=True, slots=True)
class Plan:
    """What a query needs: its pattern bits, per-atom type masks, ring perception."""

    query: Chem.Mol
    pattern_words: NDArray[np.int64]  # indices of the non-zero pattern words
    pattern: NDArray[np.uint64]  # those words
    type_masks: list[NDArray[np.uint64]]
    needs_rings: bool
    impossible: bool  # a query atom matches no atom type in the library
    vocabulary: int  # atom types known when the masks were computed
