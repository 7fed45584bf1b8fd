"""List pages from the index's list orders equal the SQL path's, row for row (issue 17).

Every expectation is the SQL path itself (``ORDER BY … OFFSET``, the total from
``molecule_counts``) run in the same test as the same caller, with the index hook switched
off; the index path is asserted to have answered (not fallen back) before comparing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cryoprotect.db.database import Database, Identity
from cryoprotect.search.persist import MANIFEST, saved_indexes
from cryoprotect.services import molecule_list
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Listing
from cryoprotect.services.molecule_index import MoleculeIndex
from cryoprotect.services.molecule_list import (
    code_point_candidate,
    indexed_page,
    names_sort_bytewise,
    orders_bytewise,
)
from cryoprotect.services.molecules import MoleculeService
from cryoprotect.services.molecules import registry as registry_module
from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration

SORTS = ("name", "molecular_weight", "created_at")
FILTERS: tuple[dict[str, Any], ...] = ({}, {"visibility": "team"}, {"kind": "no_structure"})
PER_PAGE = 9


@pytest.fixture
def world(make_user: Callable[..., Any], make_team: Callable[..., Any]) -> dict[str, Any]:
    """An admin with a team, a viewer in it, an outsider, and the anonymous caller."""
    admin, viewer, outsider = make_user("li-admin"), make_user("li-viewer"), make_user("li-out")
    team = make_team(admin, viewer=[viewer])
    return {
        "admin": admin.actor,
        "viewer": viewer.actor,
        "outsider": outsider.actor,
        "anonymous": Actor.anonymous(),
        "team": team,
    }


@pytest.fixture
def service(db: Database, tmp_path: Path) -> Iterator[MoleculeService]:
    index = MoleculeIndex(db, index_dir=tmp_path / "indexes")
    yield MoleculeService(db, index)


def populate(service: MoleculeService, world: dict[str, Any], tag: str) -> list[uuid.UUID]:
    """Molecules in every scope, with names that sort differently by code point than by a
    linguistic collation, a missing name, and components without structure."""
    admin, outsider, team = world["admin"], world["outsider"], world["team"]
    made = []
    names = ["Zeta", "alpha", "Éther", "ether", None, "beta beta", "x" * 30 + "1", "x" * 30]
    for n, name in enumerate(names):
        scope: dict[str, Any] = [
            {"visibility": "private"},
            {"visibility": "team", "team_id": team},
            {"visibility": "public"},
        ][n % 3]
        full = f"{name} {tag}" if name else None
        made.append(service.create(admin, smiles=unique_smiles(), name=full, **scope)[0].id)
    made.append(service.create(outsider, smiles=unique_smiles(), name=f"out {tag}")[0].id)
    made.append(
        service.create(
            admin, kind="no_structure", name=f"serum {tag}", visibility="team", team_id=team
        )[0].id
    )
    made.append(service.create(outsider, kind="no_structure", name=f"medium {tag}")[0].id)
    return made


def sql_list(service: MoleculeService, actor: Actor, **kw: Any) -> Any:
    original = registry_module.indexed_page  # type: ignore[attr-defined]
    setattr(registry_module, "indexed_page", lambda *a, **k: None)  # noqa: B010
    try:
        return service.list(actor, **kw)
    finally:
        setattr(registry_module, "indexed_page", original)  # noqa: B010


def check_pages(service: MoleculeService, world: dict[str, Any]) -> int:
    """Every sort, caller and filter: page 1, the middle, the last and past the end."""
    compared = 0
    for sort in SORTS:
        for who in ("admin", "viewer", "outsider", "anonymous"):
            actor = world[who]
            for filters in FILTERS:
                first = sql_list(service, actor, sort=sort, per_page=PER_PAGE, **filters)
                last = max(1, -(-first.total // PER_PAGE))
                for page in sorted({1, (last + 1) // 2, last, last + 1}):
                    kw = {"sort": sort, "page": page, "per_page": PER_PAGE, **filters}
                    expected = sql_list(service, actor, **kw)
                    fast = indexed_page(
                        service,
                        actor,
                        sort=sort,
                        listing={"page": page, "per_page": PER_PAGE},
                        **filters,
                    )
                    assert fast is not None, (who, kw)  # the index answered
                    assert fast.total == expected.total, (who, kw)
                    assert [m.id for m in fast.items] == [m.id for m in expected.items], (who, kw)
                    assert fast.items == expected.items
                    assert (fast.page, fast.per_page) == (expected.page, expected.per_page)
                    assert service.list(actor, **kw) == fast  # through the hook
                    compared += 1
    return compared


def test_index_pages_equal_sql_pages_through_changes_and_a_rebuild(
    service: MoleculeService, world: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = populate(service, world, tag)
    index = service.index
    index.ensure_loaded()
    assert index.saved_path is not None  # built and saved: pages read the saved orders
    assert check_pages(service, world) > 100

    # Inserts, a rename that moves a row, a change of scope, a delete: all on top of the
    # saved orders (from the feed).
    admin = world["admin"]
    populate(service, world, tag + "b")
    service.update(admin, made[1], {"name": f"AAA renamed {tag}", "visibility": "private"})
    service.update(admin, made[0], {"visibility": "public"})
    service.delete(admin, made[2])
    assert index._state.listing.changed  # served from saved orders plus changes
    check_pages(service, world)

    # A background rebuild folds the changes into a new saved index.
    before = index.saved_path
    assert index.rebuild(wait=True) is not None
    assert index.saved_path != before and not index._state.listing.changed
    check_pages(service, world)


def test_a_row_the_caller_may_not_see_never_appears(
    service: MoleculeService, world: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = populate(service, world, tag)
    admin_private = {made[0], made[3], made[6]}  # n % 3 == 0: private to the admin
    team_rows = {made[1], made[4], made[7], made[9]}
    for who in ("outsider", "anonymous", "viewer"):
        seen: set[uuid.UUID] = set()
        page = 1
        while True:
            got = indexed_page(
                service, world[who], sort="created_at", listing={"page": page, "per_page": 100}
            )
            assert got is not None
            seen |= {m.id for m in got.items}
            if page * 100 >= got.total:
                break
            page += 1
        assert not seen & admin_private
        if who == "viewer":
            assert team_rows <= seen
        else:
            assert not seen & team_rows


def test_a_stale_index_falls_back_to_sql(
    db: Database, service: MoleculeService, world: dict[str, Any], tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    made = populate(service, world, tag)
    service.index.ensure_loaded()
    admin = world["admin"]
    other = MoleculeService(db, MoleculeIndex(db, index_dir=False))
    service.index.sync = lambda: 0  # type: ignore[method-assign]  # the feed is not read
    listing: Listing = {"page": 1, "per_page": 100}

    # A row added behind the index's back: the totals differ.
    other.create(admin, smiles=unique_smiles(), name=f"behind {tag}")
    assert indexed_page(service, admin, sort="name", listing=listing) is None
    assert service.list(admin, sort="name", per_page=100) == sql_list(
        service, admin, sort="name", per_page=100
    )
    # A row renamed behind its back (the total is the same): the page's row differs.
    del service.index.sync
    service.index.sync()
    service.index.sync = lambda: 0  # type: ignore[method-assign]
    newest = indexed_page(service, admin, sort="created_at", listing={"page": 1, "per_page": 5})
    assert newest is not None
    other.update(admin, newest.items[0].id, {"name": f"renamed {tag}"})
    assert indexed_page(service, admin, sort="created_at", listing=listing) is None
    assert service.list(admin, sort="created_at", per_page=100) == sql_list(
        service, admin, sort="created_at", per_page=100
    )
    assert made  # (the populated rows are part of both lists)


def test_a_saved_index_of_the_old_format_is_rebuilt_not_used(
    db: Database, service: MoleculeService, world: dict[str, Any], tmp_path: Path
) -> None:
    populate(service, world, uuid.uuid4().hex[:8])
    service.index.ensure_loaded()
    old = service.index.saved_path
    assert old is not None
    manifest = json.loads((old / MANIFEST).read_text())
    manifest["format"] = 1
    (old / MANIFEST).write_text(json.dumps(manifest))
    fresh = MoleculeService(db, MoleculeIndex(db, index_dir=tmp_path / "indexes"))
    fresh.index.ensure_loaded()
    assert fresh.index.saved_path not in (None, old)
    assert len(saved_indexes(tmp_path / "indexes")) >= 2
    assert indexed_page(fresh, world["admin"], sort="name", listing={"per_page": 25}) == (
        sql_list(fresh, world["admin"], sort="name", per_page=25)
    )


def test_names_are_ordered_by_the_index_only_where_the_database_sorts_bytes(
    db: Database, service: MoleculeService, world: dict[str, Any]
) -> None:
    assert names_sort_bytewise("default", "C", "c")
    assert names_sort_bytewise("default", "POSIX", None)
    assert names_sort_bytewise("C", "en_US.UTF-8", "c")
    assert not names_sort_bytewise("default", "en_US.UTF-8", "c")
    assert not names_sort_bytewise("default", "C", "i")  # an ICU default locale
    # Code-point collations are candidates, confirmed by the server's own sort of probes.
    assert code_point_candidate("default", "C.UTF-8", "c")
    assert code_point_candidate("ucs_basic", "en_US.UTF-8", "c")
    assert code_point_candidate("default", "und", "b")  # PostgreSQL 17's builtin provider
    assert not code_point_candidate("default", "C.UTF-8", "i")
    assert not code_point_candidate("default", "en_US.UTF-8", "c")
    with db.transaction(Identity.service()) as session:
        assert orders_bytewise(session, "C")
        assert orders_bytewise(session, "default")  # the embedded server is --locale=C
    # The embedded server is initialised with --locale=C.
    assert molecule_list._name_order_allowed(service)
    service.index.names_bytewise = False  # as on a server with a linguistic collation
    listing: Listing = {"page": 1, "per_page": 5}
    assert indexed_page(service, world["admin"], sort="name", listing=listing) is None
    assert indexed_page(service, world["admin"], sort="created_at", listing=listing) is not None


def test_lists_the_index_cannot_answer_keep_the_sql_path(
    service: MoleculeService, world: dict[str, Any]
) -> None:
    admin = world["admin"]
    listing: Listing = {"page": 1, "per_page": 5, "q": "glycerol"}
    assert indexed_page(service, admin, sort="name", listing=listing) is None
    ranged = {"molecular_weight": (10.0, 100.0)}
    assert indexed_page(service, admin, sort="name", listing={}, ranges=ranged) is None
    assert indexed_page(service, admin, sort="inchikey", listing={}) is None
