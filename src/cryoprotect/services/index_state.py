"""One consistent state of the molecule search indexes (:class:`IndexState`).

A state is a saved index (memory-mapped, shared by every worker process; see
:mod:`cryoprotect.search.persist`) or nothing, plus the changes applied on top of it since:
new and replaced rows in the indexes' in-memory blocks, tombstones for removed ones, and
the visibility metadata of the changed ids (``overlay``). The visibility metadata of the
saved rows are columns of the saved index. The molecule list's orders (``listing``, over
every molecule, structures or not) are saved beside them and follow the same changes.
:class:`~cryoprotect.services.molecule_index.MoleculeIndex` swaps a whole state for a
newer one in one assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cryoprotect.search import FeedPosition, SimilarityIndex, SubstructureIndex
from cryoprotect.search.keys import encode_keys
from cryoprotect.search.list_order import ListOrder, ListRow
from cryoprotect.search.persist import SavedIndex

__all__ = ["IndexState", "Meta", "list_row"]

_COLUMNS = ("visibility", "created_by", "team")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def list_row(row: Any) -> ListRow:
    """What the list orders a molecule by, from a row of the index query (or a
    :class:`~cryoprotect.db.models.Molecule`)."""
    return ListRow(
        id=str(row.id),
        name=row.name,
        molecular_weight=row.molecular_weight,
        created_us=(row.created_at - _EPOCH) // _MICROSECOND,
        visibility=row.visibility,
        created_by=str(row.created_by),
        team_id=str(row.team_id) if row.team_id else None,
        kind=row.kind,
        molecule_class=row.molecule_class,
    )


def is_structure(row: Any) -> bool:
    """Whether a row of the index query belongs in the search indexes."""
    return bool(row.kind == "structure" and row.morgan_fp is not None)


@dataclass(frozen=True)
class Meta:
    """What the visibility pre-filter needs of a molecule."""

    visibility: str
    created_by: str
    team_id: str | None


@dataclass
class IndexState:
    """Indexes, visibility metadata and the feed position they reflect.

    Attributes:
        similarity / substructure: the indexes (saved block + in-memory changes).
        position: the change-feed snapshot everything here reflects.
        saved: the saved index under the indexes, if any.
        overlay: metadata of ids changed since ``saved`` (None: removed).
        changed: rows applied since ``saved`` (what decides a rebuild).
        listing: the molecule list's orders (saved part and changes since).
    """

    similarity: SimilarityIndex
    substructure: SubstructureIndex
    position: FeedPosition
    saved: SavedIndex | None = None
    overlay: dict[str, Meta | None] = field(default_factory=dict)
    changed: int = 0
    listing: ListOrder = field(default_factory=ListOrder)

    @classmethod
    def empty(cls, compact_threshold: int = 20_000) -> IndexState:
        """Nothing yet; the similarity index merges its delta block into a main block (in
        memory) at ``compact_threshold`` pending changes."""
        return cls(
            SimilarityIndex(compact_threshold=compact_threshold),
            SubstructureIndex(),
            FeedPosition(0, 0),
        )

    def attach(self, saved: SavedIndex) -> None:
        """Stand on ``saved`` (freshly opened into this state's indexes)."""
        self.saved = saved
        self.position = saved.position
        self.listing = ListOrder(saved.lists)

    def apply_rows(self, rows: Sequence[Any], *, new: bool = False) -> None:
        """Add or replace rows of the index query (``new``: ids known to be absent).

        Every molecule goes into the list orders; structures with a fingerprint also into
        the search indexes (a row that no longer is one leaves them)."""
        if not rows:
            return
        self.listing.apply(list_row(r) for r in rows)
        self.changed += len(rows)
        if not new:
            self._drop([str(r.id) for r in rows if not is_structure(r)])
        rows = [r for r in rows if is_structure(r)]
        if not rows:
            return
        ids = [str(r.id) for r in rows]
        if not new:
            self.similarity.remove(ids)
            self.substructure.remove(ids)
        self.similarity.add(ids, [bytes(r.morgan_fp) for r in rows])
        self.substructure.add(ids, [r.smiles for r in rows])
        for r, i in zip(rows, ids, strict=True):
            self.overlay[i] = Meta(
                r.visibility, str(r.created_by), str(r.team_id) if r.team_id else None
            )

    def remove(self, ids: list[str]) -> None:
        self.listing.remove(ids)
        self.changed += len(self._drop(ids))

    def _drop(self, ids: list[str]) -> list[str]:
        """Take ``ids`` out of the search indexes (those present); return those."""
        present = [i for i in ids if i in self.substructure]
        if present:
            self.similarity.remove(present)
            self.substructure.remove(present)
            for i in present:
                self.overlay[i] = None
        return present

    def metas(self, ids: list[str]) -> list[Meta | None]:
        """The metadata of each id (None: not in the index)."""
        out: list[Meta | None] = [None] * len(ids)
        missing: list[int] = []
        for n, key in enumerate(ids):
            if key in self.overlay:
                out[n] = self.overlay[key]
            else:
                missing.append(n)
        saved = self.saved
        if missing and saved is not None and saved.rows:
            ranks = saved.keys.ranks([ids[n] for n in missing]).tolist()
            vis, owner, team = (saved.columns[name] for name in _COLUMNS)
            for n, rank in zip(missing, ranks, strict=True):
                if rank >= 0:
                    out[n] = Meta(
                        bytes(vis[rank]).decode(),
                        bytes(owner[rank]).decode(),
                        bytes(team[rank]).decode() or None,
                    )
        return out

    def columns(self, sorted_keys: NDArray[np.bytes_]) -> dict[str, NDArray[Any]]:
        """The metadata of ``sorted_keys`` (every id the indexes hold) as saved columns."""
        n = sorted_keys.shape[0]
        out: dict[str, NDArray[Any]] = {
            "visibility": np.zeros(n, dtype="S16"),
            "created_by": np.zeros(n, dtype="S36"),
            "team": np.zeros(n, dtype="S36"),
        }
        saved = self.saved
        if saved is not None and saved.rows and n:
            base = saved.keys.sorted_keys
            at = np.minimum(np.searchsorted(base, sorted_keys), base.shape[0] - 1)
            hit = np.flatnonzero(base[at] == sorted_keys)
            for name in _COLUMNS:
                out[name][hit] = saved.columns[name][at[hit]]
        changed = {key: meta for key, meta in self.overlay.items() if meta is not None}
        if changed:
            keys = encode_keys(list(changed)).astype(sorted_keys.dtype)
            at = np.searchsorted(sorted_keys, keys)
            for position, meta in zip(at.tolist(), changed.values(), strict=True):
                out["visibility"][position] = meta.visibility.encode()
                out["created_by"][position] = meta.created_by.encode()
                out["team"][position] = (meta.team_id or "").encode()
        return out
