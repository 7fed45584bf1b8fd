"""The list's saved orders answer every page exactly as sorting the visible rows would.

The reference is a plain Python sort of the rows the viewer may see with the list's keys
(name by code point NULL last, weight with NaN after numbers NULL last, newest first; ids
last), i.e. what PostgreSQL returns under the "C" collation.
"""

from __future__ import annotations

import math
import random
import uuid

import numpy as np
import pytest

from cryoprotect.search.list_order import SORTS, ListOrder, ListRow, Viewer

pytestmark = pytest.mark.unit

USERS = [str(uuid.UUID(int=i + 1)) for i in range(4)]
TEAMS = [str(uuid.UUID(int=100 + i)) for i in range(3)]
NAMES = ["glycerol", "Glycerol", "DMSO", "ethylene glycol", "éthanol", "a", "ab", "abc", "Z"]
PREFIXED = ["x" * 20 + tail for tail in ("a", "b", "ab", "")]  # share a 16-byte prefix


def make_row(rng: random.Random, key: str | None = None) -> ListRow:
    vis = rng.choice(["public", "team", "private"])
    team = rng.choice(TEAMS) if vis == "team" or rng.random() < 0.3 else None
    mw = rng.choice([None, 18.015, 92.09, 78.13, 92.09, math.nan, rng.uniform(10, 900)])
    return ListRow(
        id=key or str(uuid.UUID(int=rng.getrandbits(128))),
        name=rng.choice([None, *NAMES, *PREFIXED, f"m{rng.randint(0, 50)}"]),
        molecular_weight=mw,
        created_us=rng.choice([1_000, 2_000, 3_000, rng.randint(0, 10**12)]),
        visibility=vis,
        created_by=rng.choice(USERS),
        team_id=team,
        kind=rng.choice(["structure", "structure", "no_structure"]),
        molecule_class=rng.choice([None, "polyol", "sugar"]),
    )


def expected(rows: dict[str, ListRow], sort: str, viewer: Viewer, filters: dict[str, str]):
    seen = [
        r
        for r in rows.values()
        if viewer.sees(r) and all(getattr(r, c) == v for c, v in filters.items())
    ]
    return sorted(seen, key=lambda r: r.key(sort))


VIEWERS = [
    Viewer(None, frozenset()),
    Viewer(USERS[0], frozenset()),
    Viewer(USERS[1], frozenset(TEAMS[:2])),
    Viewer(str(uuid.uuid4()), frozenset([TEAMS[2], str(uuid.uuid4())])),
]
FILTERS = [{}, {"visibility": "team"}, {"kind": "no_structure"}, {"molecule_class": "sugar"}]


def check(order: ListOrder, rows: dict[str, ListRow], per_page: int = 7) -> None:
    for sort in SORTS:
        for viewer in VIEWERS:
            for filters in FILTERS:
                want = expected(rows, sort, viewer, filters)
                for offset in (0, per_page, len(want) // 2, max(0, len(want) - 3), len(want) + 5):
                    got = order.page(sort, viewer, offset, per_page, filters)
                    assert got.total == len(want)
                    assert [r.id for r in got.rows] == [
                        r.id for r in want[offset : offset + per_page]
                    ], (sort, viewer, filters, offset)
                    for mine, theirs in zip(
                        got.rows, want[offset : offset + per_page], strict=True
                    ):
                        if sort == "molecular_weight" and theirs.molecular_weight is not None:
                            assert mine.key(sort)[:2] == theirs.key(sort)[:2]
                        else:
                            assert mine.key(sort) == theirs.key(sort)
                        assert (mine.visibility, mine.created_by, mine.team_id) == (
                            theirs.visibility,
                            theirs.created_by,
                            theirs.team_id,
                        )


def test_pages_match_a_sort_through_changes_and_folds() -> None:
    rng = random.Random(17)
    rows = {r.id: r for r in (make_row(rng) for _ in range(300))}
    order = ListOrder()
    order.apply(rows.values())
    check(order, rows)  # everything in memory
    order = ListOrder(order.arrays())
    assert order.saved_rows == len(rows) and not order.changed
    check(order, rows)  # everything saved
    for _ in range(3):
        # inserts, updates (new name, scope, weight), deletes on top of the saved part
        added = [make_row(rng) for _ in range(40)]
        updated = [make_row(rng, key) for key in rng.sample(sorted(rows), 30)]
        deleted = rng.sample(sorted(rows), 25)
        order.apply(added + updated)
        order.remove(deleted)
        for r in added + updated:
            rows[r.id] = r
        for key in deleted:
            rows.pop(key, None)
        check(order, rows)
        assert len(order) == len(rows)
        order = ListOrder(order.arrays())  # a rebuild folds the changes in
        check(order, rows)


def test_a_removed_row_never_appears_and_removing_twice_is_harmless() -> None:
    rng = random.Random(3)
    rows = {r.id: r for r in (make_row(rng) for _ in range(50))}
    order = ListOrder()
    order.apply(rows.values())
    order = ListOrder(order.arrays())
    gone = sorted(rows)[:10]
    order.remove(gone)
    order.remove(gone + [str(uuid.uuid4())])
    for key in gone:
        rows.pop(key)
    check(order, rows, per_page=100)


def test_name_order_is_code_point_order() -> None:
    rows = [
        ListRow(
            str(uuid.UUID(int=i + 1)), name, None, 0, "public", USERS[0], None, "structure", None
        )
        for i, name in enumerate(["b", "B", "é", "e", "ab", None, "a"])
    ]
    order = ListOrder()
    order.apply(rows)
    order = ListOrder(order.arrays())
    page = order.page("name", Viewer(None, frozenset()), 0, 10)
    assert [r.name for r in page.rows] == ["B", "a", "ab", "b", "e", "é", None]


def test_arrays_are_plain_numpy() -> None:
    order = ListOrder()
    order.apply([make_row(random.Random(1))])
    assert all(isinstance(a, np.ndarray) for a in order.arrays().values())
