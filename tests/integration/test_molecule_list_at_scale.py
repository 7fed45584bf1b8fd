"""The molecule list at scale (migration 0017): its exact total from ``molecule_counts``, its
indexed text search and its page reads give what the plain queries give, under RLS.

Every expected value is computed in the test by the plain SQL the list used before
(``count(*)`` of the visible molecules, ``ILIKE`` on name and joined synonyms, ``OFFSET``),
as the same user, so a count or a text match that leaked or lost a row fails.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database
from cryoprotect.errors import LimitExceeded
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecules import MoleculeService
from cryoprotect.services.molecules.search import SearchBudget
from cryoprotect.services.teams import TeamService
from cryoprotect.settings import Settings
from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration


def _user(db: Database, settings: Settings, prefix: str) -> Actor:
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"
    user = AuthService(db, settings).register(email, "long enough password")
    return Actor(user_id=user.id, email=email)


def _visible(db: Database, actor: Actor, where: str = "true", **params: object) -> int:
    with db.transaction(actor.identity) as session:
        return int(session.scalar(sa.text(f"SELECT count(*) FROM molecules WHERE {where}"), params))


def _names(db: Database, actor: Actor, q: str) -> set[str]:
    """Names the pre-0017 text search finds for ``q`` (plain ILIKE / equality, under RLS)."""
    text = q.strip()
    sql = (
        "SELECT name FROM molecules WHERE name ILIKE :p "
        "OR array_to_string(synonyms, ' ') ILIKE :p OR inchikey = :u OR formula = :t"
    )
    with db.transaction(actor.identity) as session:
        rows = session.scalars(sa.text(sql), {"p": f"%{text}%", "u": text.upper(), "t": text})
        return set(rows)


@pytest.fixture
def people(db: Database, settings: Settings) -> tuple[Actor, Actor, uuid.UUID]:
    """Two users; the first owns a team the second is not in."""
    owner, other = _user(db, settings, "scale-a"), _user(db, settings, "scale-b")
    team = TeamService(db).create(owner, f"scale team {uuid.uuid4().hex[:6]}")
    return owner, other, team.id


def test_total_is_the_exact_visible_count_through_inserts_updates_and_deletes(
    db: Database, people: tuple[Actor, Actor, uuid.UUID]
) -> None:
    owner, other, team = people
    service = MoleculeService(db)
    tag = uuid.uuid4().hex[:8]
    made = [
        service.create(owner, smiles=unique_smiles(), name=f"{tag}-private-{i}") for i in range(3)
    ]
    made.append(
        service.create(
            owner, smiles=unique_smiles(), name=f"{tag}-team", team_id=team, visibility="team"
        )
    )
    made.append(
        service.create(other, smiles=unique_smiles(), name=f"{tag}-public", visibility="public")
    )
    service.update(owner, made[0][0].id, {"visibility": "public"})
    service.delete(owner, made[1][0].id)

    for actor in (owner, other):
        cases: tuple[tuple[dict[str, Any], str], ...] = (
            ({}, "true"),
            ({"visibility": "private"}, "visibility = 'private'"),
            (
                {"visibility": "public", "kind": "structure"},
                "visibility = 'public' AND kind = 'structure'",
            ),
            ({"visibility": "team"}, "visibility = 'team'"),
        )
        for filters, where in cases:
            expected = _visible(db, actor, where)
            assert service.list(actor, per_page=1, **filters).total == expected, (actor, filters)
    # The other user sees neither the owner's private rows nor the team's.
    assert _visible(db, other, "name LIKE :t", t=f"{tag}%") == 2
    assert _visible(db, owner, "name LIKE :t", t=f"{tag}%") == 4


def test_text_search_finds_what_ilike_finds_and_nothing_the_caller_may_not_see(
    db: Database, people: tuple[Actor, Actor, uuid.UUID]
) -> None:
    owner, other, _ = people
    service = MoleculeService(db)
    tag = uuid.uuid4().hex[:6]
    service.create(owner, smiles=unique_smiles(), name=f"Zeta{tag}ol private")
    service.create(
        other,
        smiles=unique_smiles(),
        name=f"plain {tag}",
        synonyms=[f"ZETA{tag}OL-syn"],
        visibility="public",
    )
    service.create(other, smiles=unique_smiles(), name=f"zeta{tag}ol public", visibility="public")
    for q in (f"zeta{tag}", f"  ZETA{tag}OL ", f"{tag}ol-syn", f"eta{tag}o", "ze", f"z_ta{tag}"):
        for actor in (owner, other):
            page = service.list(actor, q=q, per_page=100)
            found = {m.name for m in page.items}
            assert found == _names(db, actor, q) and page.total == len(found), (q, actor)
    assert {m.name for m in service.list(other, q=f"zeta{tag}", per_page=100).items} == {
        f"plain {tag}",
        f"zeta{tag}ol public",
    }
    # Called directly, the indexed search applies the molecules SELECT policy itself.
    with db.transaction(other.identity) as session:
        ids = session.scalars(
            sa.text("SELECT public.molecules_containing(:q)"), {"q": f"Zeta{tag}ol p"}
        )
        assert len(list(ids)) == 1  # the public one, not the owner's private one


def test_pages_are_the_offset_pages_of_the_sorted_list(
    db: Database, people: tuple[Actor, Actor, uuid.UUID]
) -> None:
    owner, _, _ = people
    service = MoleculeService(db)
    tag = uuid.uuid4().hex[:6]
    for i in range(7):
        service.create(owner, smiles=unique_smiles(), name=f"{tag}-{i % 3}")  # repeated names
    with db.transaction(owner.identity) as session:
        ordered = list(
            session.scalars(sa.text("SELECT id FROM molecules ORDER BY name ASC NULLS LAST, id"))
        )
    per_page = 3
    last = (len(ordered) + per_page - 1) // per_page
    for page in sorted({1, 2, last // 2, last, last + 1} - {0}):
        got = service.list(owner, page=page, per_page=per_page)
        assert [m.id for m in got.items] == ordered[(page - 1) * per_page : page * per_page]
        assert got.total == len(ordered)


def test_text_search_pages_and_total_come_from_one_statement(
    db: Database, people: tuple[Actor, Actor, uuid.UUID]
) -> None:
    """The page's ids and the total are read together (the hits found once): every page of
    a text search, the page past the end and a search with no hits keep their totals."""
    owner, other, _ = people
    service = MoleculeService(db)
    tag = uuid.uuid4().hex[:6]
    for i in range(7):
        service.create(owner, smiles=unique_smiles(), name=f"q{tag}-{i % 3}", visibility="public")
    service.create(owner, smiles=unique_smiles(), name=f"q{tag}-private")  # the owner's only
    with db.transaction(owner.identity) as session:
        ordered = list(
            session.scalars(
                sa.text("SELECT id FROM molecules WHERE name ILIKE :p ORDER BY name, id"),
                {"p": f"%q{tag}%"},
            )
        )
    assert len(ordered) == 8
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(db.app_engine, "before_cursor_execute", record)
    try:
        for page in (1, 2, 3, 4):
            got = service.list(owner, q=f"q{tag}", page=page, per_page=3)
            assert [m.id for m in got.items] == ordered[(page - 1) * 3 : page * 3]
            assert got.total == 8
    finally:
        sa.event.remove(db.app_engine, "before_cursor_execute", record)
    searched = [s for s in statements if "molecules_containing" in s]
    assert len(searched) == 4  # the trigram search runs once per page: total and ids together
    assert service.list(other, q=f"q{tag}", per_page=3).total == 7  # not the private one
    nothing = service.list(owner, q=f"absent{tag}", per_page=3)
    assert (nothing.items, nothing.total) == ([], 0)


def test_a_list_page_past_its_database_time_limit_is_refused_naming_the_field(
    db: Database, people: tuple[Actor, Actor, uuid.UUID]
) -> None:
    """The SQL path's statement runs under ``list_deadline_s``: held up (here by a lock, as a
    search matching most of a large library would be by its work) it is cancelled and the
    caller gets 400 limit_exceeded naming ``q`` (or the range), and the next page works."""
    owner, _, _ = people
    service = MoleculeService(db, budget=SearchBudget(list_deadline_s=0.3))
    tag = uuid.uuid4().hex[:6]
    service.create(owner, smiles=unique_smiles(), name=f"slow{tag}")
    with db.owner_engine.connect() as locker:
        locker.execute(sa.text("LOCK TABLE molecules IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(LimitExceeded) as refused:
            service.list(owner, q=f"slow{tag}")
        assert refused.value.details == {"field": "q", "limit_s": 0.3}
        assert "more than 0.3 s" in refused.value.message
        with pytest.raises(LimitExceeded) as ranged:
            service.list(owner, ranges={"molecular_weight": (1.0, 1000.0)})
        assert ranged.value.details["field"] == "molecular_weight"
        locker.rollback()
    assert [m.name for m in service.list(owner, q=f"slow{tag}").items] == [f"slow{tag}"]
