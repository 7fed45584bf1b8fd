"""The molecule list's three orders, kept beside the search indexes: any page in a few ms.

PostgreSQL answers ``LIMIT 25 OFFSET k`` by walking ``k`` rows (with the row-level
security predicate on each), so a page 80 % through a million molecules costs hundreds of
milliseconds however good the index. :class:`ListOrder` holds every molecule (all kinds)
in each order the list offers, as arrays saved with the search index and memory-mapped by
every worker process:

* ``name``: name ascending, NULL last, then id (names compared as UTF-8 bytes, i.e. by code
  point: the ``"C"`` collation; the service uses this order only on a database that sorts
  ``name`` that way, see :mod:`cryoprotect.services.molecule_list`);
* ``molecular_weight``: ascending, NULL last (``NaN`` after every number, as PostgreSQL
  sorts float8), then id;
* ``created_at``: newest first (microseconds since the epoch), then id.

Ids compare as their lower-case text, which is PostgreSQL's ``uuid`` order (bytes).

For each order the saved arrays hold, position by position, the id, the columns the
visibility rule and the list filters read (visibility, owner, team, kind, class, as small
integer codes) and the sort key. A page is then: the caller's visible mask over one order
(vectorised, the same rule as the SELECT policy), minus the saved rows changed since the
save, merged with the changed rows (kept in memory, sorted, each with its insertion
position among the saved rows), and the ranks ``[offset, offset + n)`` read off. Visibility
is still the database's: the service re-reads the page's rows under the caller's identity
and falls back to SQL if they differ from what this predicted.

Pure numpy; no database access here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["SORTS", "ListOrder", "ListPage", "ListRow", "Viewer"]

SORTS = ("name", "molecular_weight", "created_at")
_SHORT = {"name": "name", "molecular_weight": "mw", "created_at": "created"}
_VIS = ("public", "team", "private")
_OTHER_VIS = len(_VIS)
_PREFIX = 16  # bytes of a name kept as a fixed-width searchable prefix
_ID = "S36"


@dataclass(frozen=True, slots=True)
class ListRow:
    """What the list orders and filters a molecule by.

    Attributes:
        created_us: ``created_at`` in microseconds since 1970-01-01 UTC.
    """

    id: str
    name: str | None
    molecular_weight: float | None
    created_us: int
    visibility: str
    created_by: str
    team_id: str | None
    kind: str
    molecule_class: str | None

    def key(self, sort: str) -> tuple[Any, ...]:
        """The row's place in ``sort`` as a Python-comparable tuple (unique: ends in the id)."""
        if sort == "name":
            name = self.name.encode() if self.name is not None else b""
            return (self.name is None, name, self.id)
        if sort == "molecular_weight":
            mw = self.molecular_weight
            nan = mw is not None and math.isnan(mw)
            return (mw is None, nan, 0.0 if mw is None or nan else mw, self.id)
        return (-self.created_us, self.id)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks, as the SELECT policy sees them: public rows, their own, their teams'
    (teams where their role can view)."""

    user_id: str | None
    teams: frozenset[str]

    def sees(self, row: ListRow) -> bool:
        return (
            row.visibility == "public"
            or (self.user_id is not None and row.created_by == self.user_id)
            or (row.visibility == "team" and row.team_id in self.teams)
        )


@dataclass(frozen=True, slots=True)
class ListPage:
    """A page as the index predicts it: the rows, in order, and the count of all matches."""

    rows: tuple[ListRow, ...]
    total: int


def _wanted(row: ListRow, filters: Mapping[str, str]) -> bool:
    return all(getattr(row, column) == value for column, value in filters.items())


def _vocab(values: Iterable[str]) -> NDArray[np.bytes_]:
    encoded = sorted({v.encode() for v in values})
    width = max((len(v) for v in encoded), default=1) or 1
    return np.array(encoded, dtype=f"S{width}")


def _codes(vocab: NDArray[np.bytes_], values: Sequence[str | None], dtype: str) -> NDArray[Any]:
    out = np.full(len(values), -1, dtype=dtype)
    given = [(n, v.encode()) for n, v in enumerate(values) if v is not None]
    if given and vocab.shape[0]:
        keys = np.array([v for _, v in given], dtype=vocab.dtype)
        out[[n for n, _ in given]] = np.searchsorted(vocab, keys)
    return out


def _code_of(vocab: NDArray[np.bytes_], value: str) -> int:
    """The code of ``value`` in ``vocab``, -2 (matches nothing) when absent."""
    encoded = value.encode()
    if not vocab.shape[0] or len(encoded) > vocab.dtype.itemsize:
        return -2
    at = int(np.searchsorted(vocab, np.array([encoded], dtype=vocab.dtype))[0])
    return at if at < vocab.shape[0] and bytes(vocab[at]) == encoded else -2


class _Saved:
    """The saved orders (read-only arrays, usually memory maps), with lookups into them."""

    def __init__(self, arrays: Mapping[str, NDArray[Any]]) -> None:
        self.a = dict(arrays)
        self.n = int(self.a["ids"].shape[0])
        self.named = int(self.a["name_named"][0])  # rows with a name (first in name order)
        self.weighed = int(self.a["mw_weighed"][0])  # rows with a weight (first in mw order)
        for sort in SORTS:
            s = _SHORT[sort]
            for column in ("ids", "vis", "owner", "team", "kind", "class", "pos"):
                if self.a[f"{s}_{column}"].shape[0] != self.n:
                    raise ValueError(f"list column {s}_{column} has the wrong length")
        if self.a["name_offsets"].shape[0] != self.n + 1:
            raise ValueError("list name offsets have the wrong length")
        if self.a["name_prefix"].shape[0] != self.named:
            raise ValueError("list name prefixes have the wrong length")

    @classmethod
    def empty(cls) -> _Saved:
        return cls(_empty_arrays())

    def positions(self, ids: Sequence[str]) -> dict[str, NDArray[np.int64]]:
        """For each sort, the saved position of each id (-1 where not saved)."""
        out = {sort: np.full(len(ids), -1, dtype=np.int64) for sort in SORTS}
        if not ids or not self.n:
            return out
        keys = np.array([i.encode() for i in ids], dtype=_ID)
        at = np.minimum(np.searchsorted(self.a["ids"], keys), self.n - 1)
        hit = np.flatnonzero(self.a["ids"][at] == keys)
        for sort in SORTS:
            out[sort][hit] = self.a[f"{_SHORT[sort]}_pos"][at[hit]]
        return out

    def name_at(self, q: int) -> bytes:
        off = self.a["name_offsets"]
        return bytes(self.a["name_blob"][int(off[q]) : int(off[q + 1])])

    def row(self, sort: str, q: int) -> ListRow:
        """The saved row at position ``q`` of ``sort`` (its key from that order only: the
        other sort keys of a row are read from their own orders)."""
        a, s = self.a, _SHORT[sort]
        key = bytes(a[f"{s}_ids"][q]).decode()
        found = self.positions([key])
        qn, qm, qc = (int(found[other][0]) for other in SORTS)
        team = int(a[f"{s}_team"][q])
        klass = int(a[f"{s}_class"][q])
        vis = int(a[f"{s}_vis"][q])
        unknown = "unknown"  # not a scope the schema allows: matches no caller's row
        return ListRow(
            id=key,
            name=self.name_at(qn).decode() if qn < self.named else None,
            molecular_weight=float(a["mw_key"][qm]) if qm < self.weighed else None,
            created_us=-int(a["created_key"][qc]),
            visibility=_VIS[vis] if vis < len(_VIS) else unknown,
            created_by=bytes(a["owners"][int(a[f"{s}_owner"][q])]).decode(),
            team_id=bytes(a["teams"][team]).decode() if team >= 0 else None,
            kind=bytes(a["kinds"][int(a[f"{s}_kind"][q])]).decode(),
            molecule_class=bytes(a["classes"][klass]).decode() if klass >= 0 else None,
        )

    def insertion(self, sort: str, rows: Sequence[ListRow]) -> NDArray[np.int64]:
        """How many saved rows come before each of ``rows`` in ``sort``."""
        out = np.zeros(len(rows), dtype=np.int64)
        if not rows or not self.n:
            return out
        a, s = self.a, _SHORT[sort]
        ids = a[f"{s}_ids"]
        lo = np.zeros(len(rows), dtype=np.int64)
        hi = np.zeros(len(rows), dtype=np.int64)
        if sort == "created_at":
            keys = np.array([-r.created_us for r in rows], dtype=np.int64)
            lo[:] = np.searchsorted(a["created_key"], keys, "left")
            hi[:] = np.searchsorted(a["created_key"], keys, "right")
        elif sort == "molecular_weight":
            valued = [n for n, r in enumerate(rows) if r.molecular_weight is not None]
            lo[:], hi[:] = self.weighed, self.n
            if valued:
                column = a["mw_key"][: self.weighed]
                keys = np.array([rows[n].molecular_weight for n in valued], dtype=np.float64)
                lo[valued] = np.searchsorted(column, keys, "left")
                hi[valued] = np.searchsorted(column, keys, "right")
        else:
            named = [n for n, r in enumerate(rows) if r.name is not None]
            lo[:], hi[:] = self.named, self.n
            if named:
                column = a["name_prefix"]
                keys = np.array(
                    [rows[n].name.encode()[:_PREFIX] for n in named],  # type: ignore[union-attr]
                    dtype=column.dtype if column.shape[0] else f"S{_PREFIX}",
                )
                lo[named] = np.searchsorted(column, keys, "left")
                hi[named] = np.searchsorted(column, keys, "right")
        for n in range(len(rows)):
            begin, end = int(lo[n]), int(hi[n])
            if begin == end:
                out[n] = begin
            elif sort == "name" and len((rows[n].name or "").encode()) >= _PREFIX:
                out[n] = self._name_place(begin, end, rows[n])
            else:  # equal sort keys (a name shorter than the prefix is all of it): by id
                encoded = np.array([rows[n].id.encode()], dtype=_ID)
                out[n] = begin + int(np.searchsorted(ids[begin:end], encoded)[0])
        return out

    def _name_place(self, begin: int, end: int, row: ListRow) -> int:
        """Binary search among saved positions ``[begin, end)`` sharing the name's prefix."""
        target = (row.name.encode(), row.id.encode())  # type: ignore[union-attr]
        ids = self.a["name_ids"]
        while begin < end:
            middle = (begin + end) // 2
            if (self.name_at(middle), bytes(ids[middle])) < target:
                begin = middle + 1
            else:
                end = middle
        return begin


@dataclass(frozen=True)
class _Overlay:
    """The rows changed since the save, as one sort sees them (immutable; rebuilt on change).

    Attributes:
        dead: saved positions (in this sort) of rows changed or removed since the save.
        rows: the changed rows that exist now, in sort order.
        at: for each of ``rows``, how many saved rows come before it.
    """

    dead: NDArray[np.int64]
    rows: tuple[ListRow, ...]
    at: NDArray[np.int64]


class ListOrder:
    """The list's orders: a saved part (arrays) and the rows changed since (in memory).

    Not thread-safe for writers (the owner applies changes under its lock); :meth:`page`
    may run beside a writer: it reads an immutable view.
    """

    def __init__(self, saved: Mapping[str, NDArray[Any]] | None = None) -> None:
        self._saved = _Saved(saved) if saved is not None else _Saved.empty()
        self.changed: dict[str, ListRow | None] = {}
        self._places: dict[tuple[str, str], int] = {}  # (sort, id) -> insertion position
        self._views: dict[str, _Overlay] = {}
        self._owner_codes: dict[str, int] = {}

    def __len__(self) -> int:
        dead = self._saved.positions(list(self.changed))["name"]
        alive = sum(1 for row in self.changed.values() if row is not None)
        return self._saved.n - int((dead >= 0).sum()) + alive

    @property
    def saved_rows(self) -> int:
        return self._saved.n

    # ----------------------------------------------------------------- changes
    def apply(self, rows: Iterable[ListRow]) -> None:
        """Add or replace rows."""
        for row in rows:
            self.changed[row.id] = row
            for sort in SORTS:
                self._places.pop((sort, row.id), None)
        self._views = {}

    def remove(self, ids: Iterable[str]) -> None:
        for key in ids:
            self.changed[key] = None
            for sort in SORTS:
                self._places.pop((sort, key), None)
        self._views = {}

    def _view(self, sort: str) -> _Overlay:
        view = self._views.get(sort)
        if view is not None:
            return view
        changed = list(self.changed)
        dead = self._saved.positions(changed)[sort]
        dead = np.sort(dead[dead >= 0])
        alive = [row for row in self.changed.values() if row is not None]
        missing = [row for row in alive if (sort, row.id) not in self._places]
        for row, place in zip(missing, self._saved.insertion(sort, missing).tolist(), strict=True):
            self._places[(sort, row.id)] = place
        placed = sorted(alive, key=lambda row: row.key(sort))
        at = np.array([self._places[(sort, row.id)] for row in placed], dtype=np.int64)
        view = _Overlay(dead, tuple(placed), at)
        self._views[sort] = view
        return view

    # ------------------------------------------------------------------ paging
    def page(
        self,
        sort: str,
        viewer: Viewer,
        offset: int,
        limit: int,
        filters: Mapping[str, str] | None = None,
    ) -> ListPage:
        """Rows ``[offset, offset + limit)`` of ``sort`` that ``viewer`` may see and that
        match ``filters`` (``{"visibility" | "kind" | "molecule_class": value}``), and the
        count of all of them."""
        filters = dict(filters or {})
        view = self._view(sort)
        mask = self._mask(sort, viewer, filters)
        if view.dead.shape[0]:
            mask[view.dead] = False
        visible = np.flatnonzero(mask)
        chosen = [
            n for n, row in enumerate(view.rows) if viewer.sees(row) and _wanted(row, filters)
        ]
        added_at = view.at[chosen] if chosen else np.zeros(0, dtype=np.int64)
        # Rank of each visible changed row in the merged order.
        ranks = np.searchsorted(visible, added_at, "left") + np.arange(len(chosen))
        total = int(visible.shape[0]) + len(chosen)
        wanted = np.arange(offset, min(offset + limit, total), dtype=np.int64)
        before = np.searchsorted(ranks, wanted, "left")  # changed rows ranked before
        is_added = (before < ranks.shape[0]) & (
            ranks[np.minimum(before, max(ranks.shape[0] - 1, 0))] == wanted
            if ranks.shape[0]
            else np.zeros(wanted.shape[0], dtype=bool)
        )
        out: list[ListRow] = []
        for rank, added, n in zip(wanted.tolist(), is_added.tolist(), before.tolist(), strict=True):
            if added:
                out.append(view.rows[chosen[n]])
            else:
                out.append(self._saved.row(sort, int(visible[rank - n])))
        return ListPage(tuple(out), total)

    def _mask(self, sort: str, viewer: Viewer, filters: Mapping[str, str]) -> NDArray[np.bool_]:
        saved = self._saved
        if not saved.n:
            return np.zeros(0, dtype=bool)
        a, s = saved.a, _SHORT[sort]
        vis = a[f"{s}_vis"]
        mask: NDArray[np.bool_] = vis == 0
        if viewer.user_id is not None:
            me = _code_of(a["owners"], viewer.user_id)
            if me >= 0:
                mask |= a[f"{s}_owner"] == me
        teams = [c for c in (_code_of(a["teams"], t) for t in sorted(viewer.teams)) if c >= 0]
        if teams:
            team = a[f"{s}_team"]
            member = team == teams[0]
            for code in teams[1:]:
                member |= team == code
            mask |= (vis == 1) & member
        for column, value in filters.items():
            if column == "visibility":
                code = _VIS.index(value) if value in _VIS else -2
                mask &= vis == code
            elif column == "kind":
                mask &= a[f"{s}_kind"] == _code_of(a["kinds"], value)
            elif column == "molecule_class":
                mask &= a[f"{s}_class"] == _code_of(a["classes"], value)
            else:
                raise ValueError(f"the list index cannot filter on {column}")
        return mask

    # ------------------------------------------------------------------ saving
    def arrays(self) -> dict[str, NDArray[Any]]:
        """Everything as one saved part (the saved rows not changed, plus the changed rows):
        the arrays :class:`ListOrder` opens. Vectorised: each order is the saved order
        without its dead positions, with the changed rows inserted at their places."""
        saved = self._saved
        a, n = saved.a, saved.n
        alive = [row for row in self.changed.values() if row is not None]
        vocabularies = {
            "owner": _widened(a["owners"], [r.created_by for r in alive]),
            "team": _widened(a["teams"], [r.team_id for r in alive if r.team_id]),
            "kind": _widened(a["kinds"], [r.kind for r in alive]),
            "class": _widened(a["classes"], [r.molecule_class for r in alive if r.molecule_class]),
        }
        live_ids = np.ones(n, dtype=bool)
        if n and self.changed:
            keys = np.array([k.encode() for k in self.changed], dtype=_ID)
            at = np.minimum(np.searchsorted(a["ids"], keys), n - 1)
            live_ids[at[a["ids"][at] == keys]] = False
        added_ids = np.array([r.id.encode() for r in alive], dtype=_ID)
        out: dict[str, NDArray[Any]] = {
            "ids": np.sort(np.concatenate([a["ids"][live_ids], added_ids])),
            "owners": vocabularies["owner"][0],
            "teams": vocabularies["team"][0],
            "kinds": vocabularies["kind"][0],
            "classes": vocabularies["class"][0],
        }
        for sort in SORTS:
            out.update(_Merge(saved, sort, self._view(sort)).arrays(out["ids"], vocabularies))
        return out


class _Merge:
    """One order of a fold: the saved order without its dead positions, the changed rows
    inserted at their places (``merged``: saved positions, and ``-1 - i`` for changed row i)."""

    def __init__(self, saved: _Saved, sort: str, view: _Overlay) -> None:
        self.saved, self.sort, self.view = saved, sort, view
        self.s = _SHORT[sort]
        live = np.ones(saved.n, dtype=bool)
        live[view.dead] = False
        kept = np.flatnonzero(live)
        added = -1 - np.arange(len(view.rows), dtype=np.int64)
        self.merged = np.insert(kept, np.searchsorted(kept, view.at, "left"), added)
        self.old = self.merged >= 0
        self.src = self.merged[self.old]
        self.new = ~self.old

    def column(self, saved_column: NDArray[Any], added: Sequence[Any], dtype: Any) -> NDArray[Any]:
        result = np.empty(self.merged.shape[0], dtype=dtype)
        result[self.old] = saved_column[self.src]
        result[self.new] = np.array(added, dtype=dtype).reshape(-1)
        return result

    def coded(
        self, name: str, vocabulary: tuple[NDArray[np.bytes_], NDArray[np.int64]], values: Any
    ) -> NDArray[Any]:
        vocab, remap = vocabulary
        saved_codes = self.saved.a[f"{self.s}_{name}"]
        result = np.empty(self.merged.shape[0], dtype=saved_codes.dtype)
        codes = saved_codes[self.src].astype(np.int64)
        result[self.old] = np.append(remap, -1)[codes]  # -1 (none) stays -1
        result[self.new] = _codes(vocab, list(values), str(saved_codes.dtype))
        return result

    def arrays(
        self,
        ids: NDArray[np.bytes_],
        vocabularies: Mapping[str, tuple[NDArray[np.bytes_], NDArray[np.int64]]],
    ) -> dict[str, NDArray[Any]]:
        a, s, rows, saved = self.saved.a, self.s, self.view.rows, self.saved
        out = {
            f"{s}_ids": self.column(a[f"{s}_ids"], [r.id.encode() for r in rows], _ID),
            f"{s}_vis": self.column(
                a[f"{s}_vis"], [_vis_code(r.visibility) for r in rows], np.uint8
            ),
            f"{s}_owner": self.coded("owner", vocabularies["owner"], (r.created_by for r in rows)),
            f"{s}_team": self.coded("team", vocabularies["team"], (r.team_id for r in rows)),
            f"{s}_kind": self.coded("kind", vocabularies["kind"], (r.kind for r in rows)),
            f"{s}_class": self.coded(
                "class", vocabularies["class"], (r.molecule_class for r in rows)
            ),
        }
        position = np.empty(self.merged.shape[0], dtype=np.int64)
        position[np.searchsorted(ids, out[f"{s}_ids"])] = np.arange(self.merged.shape[0])
        out[f"{s}_pos"] = position
        dead = self.view.dead
        if self.sort == "name":
            offsets, blob = a["name_offsets"].tolist(), a["name_blob"].tobytes()
            names: list[bytes] = []
            added = iter(rows)
            for q in self.merged.tolist():
                if q >= 0:
                    names.append(blob[offsets[q] : offsets[q + 1]])
                else:
                    name = next(added).name
                    names.append(name.encode() if name is not None else b"")
            named = saved.named - int((dead < saved.named).sum())
            out.update(_name_arrays(names, named + sum(r.name is not None for r in rows)))
        elif self.sort == "molecular_weight":
            weights = [math.nan if r.molecular_weight is None else r.molecular_weight for r in rows]
            out["mw_key"] = self.column(a["mw_key"], weights, np.float64)
            weighed = saved.weighed - int((dead < saved.weighed).sum())
            weighed += sum(r.molecular_weight is not None for r in rows)
            out["mw_weighed"] = np.array([weighed], dtype=np.int64)
        else:
            out["created_key"] = self.column(
                a["created_key"], [-r.created_us for r in rows], np.int64
            )
        return out


def _vis_code(visibility: str) -> int:
    return _VIS.index(visibility) if visibility in _VIS else _OTHER_VIS


def _widened(
    vocab: NDArray[np.bytes_], values: Iterable[str]
) -> tuple[NDArray[np.bytes_], NDArray[np.int64]]:
    """``vocab`` with ``values`` added, and each old code's new code."""
    new = _vocab({bytes(v).decode() for v in vocab} | set(values))
    if not vocab.shape[0]:
        return new, np.zeros(0, dtype=np.int64)
    return new, np.searchsorted(new, vocab.astype(new.dtype)).astype(np.int64)


def _name_arrays(names: list[bytes], named: int) -> dict[str, NDArray[Any]]:
    lengths = np.array([len(x) for x in names], dtype=np.int64)
    offsets = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return {
        "name_blob": np.frombuffer(b"".join(names), dtype=np.uint8).copy(),
        "name_offsets": offsets,
        "name_named": np.array([named], dtype=np.int64),
        "name_prefix": np.array([x[:_PREFIX] for x in names[:named]], dtype=f"S{_PREFIX}"),
    }


def _empty_arrays() -> dict[str, NDArray[Any]]:
    """The saved arrays of no rows."""
    nothing = np.zeros(0, dtype=np.int64)
    out: dict[str, NDArray[Any]] = {
        "ids": np.zeros(0, dtype=_ID),
        **{name: np.zeros(0, dtype="S1") for name in ("owners", "teams", "kinds", "classes")},
    }
    for sort in SORTS:
        s = _SHORT[sort]
        out[f"{s}_ids"] = np.zeros(0, dtype=_ID)
        out[f"{s}_vis"] = np.zeros(0, dtype=np.uint8)
        out[f"{s}_owner"] = np.zeros(0, dtype=np.int32)
        out[f"{s}_team"] = np.zeros(0, dtype=np.int32)
        out[f"{s}_kind"] = np.zeros(0, dtype=np.int16)
        out[f"{s}_class"] = np.zeros(0, dtype=np.int16)
        out[f"{s}_pos"] = nothing
    out.update(_name_arrays([], 0))
    out["mw_key"] = np.zeros(0, dtype=np.float64)
    out["mw_weighed"] = np.zeros(1, dtype=np.int64)
    out["created_key"] = nothing
    return out
