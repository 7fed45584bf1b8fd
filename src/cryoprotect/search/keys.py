"""The ids of an index block kept as arrays (:class:`KeyColumn`), not as Python objects.

A block of a million rows held as a list of id strings and a dict from id to row costs
about 200 bytes a row in every process; a :class:`KeyColumn` costs 8 bytes a row plus the
ids themselves, once, in a sorted fixed-width byte array that may be a read-only memory
map shared by every worker process (:mod:`cryoprotect.search.persist`). Ids are UTF-8
encoded; numpy's ``S`` dtype ignores trailing NUL bytes, which ids never contain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["KeyColumn", "encode_keys"]


def encode_keys(keys: Iterable[str]) -> NDArray[np.bytes_]:
    """Ids as a fixed-width byte array (width of the longest, at least 1)."""
    encoded = [key.encode() for key in keys]
    width = max((len(key) for key in encoded), default=1) or 1
    return np.array(encoded, dtype=f"S{width}")


class KeyColumn:
    """Row -> id and id -> row of one block, over a sorted array of its distinct ids.

    Attributes:
        sorted_keys: the ids, sorted (shared by every block built from the same ids).
        rank_of_row: for each row, the position of its id in ``sorted_keys``.
        row_of_rank: for each position in ``sorted_keys``, the row holding that id.
    """

    __slots__ = ("rank_of_row", "row_of_rank", "sorted_keys")

    def __init__(
        self,
        sorted_keys: NDArray[np.bytes_],
        rank_of_row: NDArray[np.int64] | NDArray[np.int32],
        row_of_rank: NDArray[np.int64] | NDArray[np.int32],
    ) -> None:
        if not sorted_keys.shape[0] == rank_of_row.shape[0] == row_of_rank.shape[0]:
            raise ValueError("a key column needs as many ranks and rows as ids")
        self.sorted_keys = sorted_keys
        self.rank_of_row = rank_of_row
        self.row_of_rank = row_of_rank

    @classmethod
    def of(cls, keys: Sequence[str] | NDArray[np.bytes_]) -> KeyColumn:
        """The column of distinct ids given in row order."""
        encoded = keys if isinstance(keys, np.ndarray) else encode_keys(keys)
        order = np.argsort(encoded, kind="stable")
        rank_of_row = np.empty(order.shape[0], dtype=np.int64)
        rank_of_row[order] = np.arange(order.shape[0], dtype=np.int64)
        sorted_keys = encoded[order]
        if sorted_keys.shape[0] > 1 and bool((sorted_keys[1:] == sorted_keys[:-1]).any()):
            raise ValueError("a key column needs distinct ids")
        return cls(sorted_keys, rank_of_row, order.astype(np.int64))

    @classmethod
    def empty(cls) -> KeyColumn:
        nothing = np.zeros(0, dtype=np.int64)
        return cls(np.zeros(0, dtype="S1"), nothing, nothing)

    def __len__(self) -> int:
        return int(self.sorted_keys.shape[0])

    def __getitem__(self, row: int) -> str:
        return bytes(self.sorted_keys[self.rank_of_row[row]]).decode()

    def rows_keys(self, rows: NDArray[np.int64]) -> NDArray[np.bytes_]:
        """The ids (encoded) of ``rows``."""
        return np.asarray(self.sorted_keys[self.rank_of_row[rows]])

    def ranks(self, keys: Sequence[str]) -> NDArray[np.int64]:
        """Position of each id in ``sorted_keys``, -1 where absent."""
        if not keys or not len(self):
            return np.full(len(keys), -1, dtype=np.int64)
        encoded = np.array([key.encode() for key in keys], dtype=object).astype(
            self.sorted_keys.dtype
        )
        width = self.sorted_keys.dtype.itemsize
        at = np.searchsorted(self.sorted_keys, encoded)
        at = np.minimum(at, len(self) - 1)
        found = (self.sorted_keys[at] == encoded) & np.array(
            [len(key.encode()) <= width for key in keys], dtype=bool
        )
        return np.where(found, at, -1).astype(np.int64)

    def rows(self, keys: Sequence[str]) -> NDArray[np.int64]:
        """Row of each id, -1 where absent."""
        ranks = self.ranks(keys)
        out = np.full(ranks.shape[0], -1, dtype=np.int64)
        hit = ranks >= 0
        out[hit] = self.row_of_rank[ranks[hit]]
        return out

    def row(self, key: str) -> int:
        """Row of ``key``, -1 when absent."""
        return int(self.rows([key])[0])
