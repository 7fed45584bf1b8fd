"""Computed descriptors stored once per molecule (``molecule_descriptors``, migration 0021).

* The API reads exactly as before: a molecule whose descriptors are moved back into
  ``molecular_properties`` rows (the pre-0021 storage, as 0021's downgrade writes them)
  shows the same detail, the same property list and the same range-filter results.
* Row-level security: another scope's descriptors can be neither read nor written; a team
  viewer reads but cannot change them, an editor can.
* The migration moves the rows in and back out (upgrade → downgrade → upgrade on data on
  a server of its own), keeping computed rows the catalogue does not express as rows, and
  audits molecule inserts per statement with the same audit rows as per row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.errors import PermissionDenied
from cryoprotect.science.descriptors import DESCRIPTOR_METHOD, DESCRIPTORS
from cryoprotect.services.chemistry import descriptor_rows, property_rows
from cryoprotect.services.molecules import MoleculeService
from tests.conftest import UserHandle, server_at, unique_smiles

pytestmark = pytest.mark.integration

MakeUser = Callable[..., UserHandle]


def _register(client: Any, user: UserHandle, smiles: str, **extra: Any) -> str:
    res = client.post("/api/v1/molecules", json={"smiles": smiles, **extra}, headers=user.headers)
    assert res.status_code == 201, res.json
    return str(res.json["id"])


def _to_old_storage(db: Database, molecule_id: str) -> None:
    """Move a molecule's descriptors back into computed molecular_properties rows, as they
    were stored before 0021 (and as 0021's downgrade writes them)."""
    with db.owner_engine.begin() as conn:
        stored = conn.execute(
            sa.text(
                "DELETE FROM molecule_descriptors WHERE molecule_id = :id "
                "RETURNING computed_by, descriptor_values"
            ),
            {"id": molecule_id},
        ).one()
        owner = conn.scalar(
            sa.text("SELECT created_by FROM molecules WHERE id = :id"), {"id": molecule_id}
        )
        for row in descriptor_rows(stored[0], stored[1]):
            conn.execute(
                sa.text(
                    "INSERT INTO molecular_properties (molecule_id, property_name, value, unit, "
                    "method, provenance, created_by) VALUES (:m, :property_name, :value, :unit, "
                    ":method, 'computed', :owner)"
                ),
                {**row, "m": molecule_id, "owner": owner},
            )


def test_detail_and_properties_read_as_the_old_storage_did(
    client: Any, db: Database, make_user: MakeUser
) -> None:
    user = make_user("desc")
    new, old = (_register(client, user, unique_smiles()) for _ in range(2))
    measured = {
        "property_name": "density",
        "value": 1.26,
        "unit": "g/mL",
        "method": "pycnometer",
        "provenance": "measured",
        "source": "a lab notebook",
    }
    for molecule in (new, old):
        res = client.post(
            f"/api/v1/molecules/{molecule}/properties", json=measured, headers=user.headers
        )
        assert res.status_code == 201, res.json
    before = {
        m: client.get(f"/api/v1/molecules/{m}", headers=user.headers).json for m in (new, old)
    }
    with db.transaction(Identity.user(user.id)) as session:
        counts = session.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM molecule_descriptors WHERE molecule_id = :m), "
                "(SELECT count(*) FROM molecular_properties WHERE molecule_id = :m)"
            ),
            {"m": new},
        ).one()
    assert tuple(counts) == (1, 1)  # one array, the measured row
    _to_old_storage(db, old)
    after = {m: client.get(f"/api/v1/molecules/{m}", headers=user.headers).json for m in (new, old)}
    assert after == before  # the whole detail, property list and CPA score included
    props = before[new]["properties"]
    assert len(props) == 20 and props == sorted(props, key=lambda p: p["property_name"])
    computed = [p for p in props if p["provenance"] == "computed"]
    assert [p["property_name"] for p in computed] == sorted(d.name for d in DESCRIPTORS)
    tpsa = next(p for p in computed if p["property_name"] == "tpsa")
    assert tpsa["unit"] == "Å²" and tpsa["method"].startswith(f"{DESCRIPTOR_METHOD}: ")
    assert before[new]["cpa_score"] is not None
    listed = client.get(f"/api/v1/molecules/{new}/properties", headers=user.headers).json
    assert listed == props
    # Range filters find both storages alike.
    for query, expected in (
        ("mw_min=1", {new, old}),
        ("mw_max=1", set()),
        ("hbd_min=0&hbd_max=99&tpsa_min=0", {new, old}),
    ):
        res = client.get(
            f"/api/v1/molecules?visibility=private&per_page=100&{query}", headers=user.headers
        )
        assert res.status_code == 200, res.json
        found = {m["id"] for m in res.json["items"]} & {new, old}
        assert found == expected, query


def test_descriptor_ranges_select_by_value(db: Database, make_user: MakeUser, client: Any) -> None:
    user = make_user("ranges")
    glycerol = _register(client, user, "OCC(O)CO")  # 92.09 g/mol, 3 donors
    dmso = _register(client, user, "CS(C)=O")  # 78.13 g/mol, no donor
    service = MoleculeService(db)

    def found(**ranges: tuple[float | None, float | None]) -> set[str]:
        page = service.list(user.actor, visibility="private", per_page=100, ranges=ranges)
        return {str(m.id) for m in page.items}

    assert found(molecular_weight=(80, 100)) == {glycerol}
    assert found(molecular_weight=(None, 80)) == {dmso}
    assert found(hbd=(3, 3)) == {glycerol}
    assert found(hbd=(0, 0), molecular_weight=(70, None)) == {dmso}


def test_another_scopes_descriptors_are_neither_read_nor_written(
    client: Any, db: Database, make_user: MakeUser, make_team: Callable[..., uuid.UUID]
) -> None:
    owner, outsider, viewer, editor = (make_user(p) for p in ("own", "out", "view", "edit"))
    team = make_team(owner, viewer=[viewer], editor=[editor])
    private = _register(client, owner, unique_smiles())
    shared = _register(client, owner, unique_smiles(), visibility="team", team_id=str(team))
    public = _register(client, owner, unique_smiles(), visibility="public")
    count = sa.text("SELECT count(*) FROM molecule_descriptors WHERE molecule_id = :m")
    change = sa.text(
        "UPDATE molecule_descriptors SET descriptor_values[1] = 0 WHERE molecule_id = :m"
    )
    remove = sa.text("DELETE FROM molecule_descriptors WHERE molecule_id = :m")

    def run(user: UserHandle, statement: sa.TextClause, molecule: str) -> int:
        with db.transaction(Identity.user(user.id)) as session:
            result: Any = session.execute(statement, {"m": molecule})
            return int(result.scalar_one()) if result.returns_rows else int(result.rowcount)

    assert [run(outsider, count, m) for m in (private, shared, public)] == [0, 0, 1]
    assert [run(owner, count, m) for m in (private, shared, public)] == [1, 1, 1]
    assert (run(viewer, count, shared), run(viewer, count, private)) == (1, 0)
    for statement in (change, remove):
        assert [run(outsider, statement, m) for m in (private, shared, public)] == [0, 0, 0]
        assert run(viewer, statement, shared) == 0
    assert run(editor, change, shared) == 1
    # Nobody writes descriptors for a molecule they cannot edit.
    for user, molecule in ((outsider, public), (outsider, private), (viewer, shared)):
        with pytest.raises(PermissionDenied):
            with db.transaction(Identity.user(user.id)) as session:
                session.execute(
                    sa.text(
                        "INSERT INTO molecule_descriptors (molecule_id, computed_by, "
                        "descriptor_values) VALUES (:m, 'forged', ARRAY[1.0])"
                    ),
                    {"m": molecule},
                )
    # The owner's molecule still reads its own values (nothing above changed it).
    detail = client.get(f"/api/v1/molecules/{public}", headers=outsider.headers).json
    assert all(p["method"] != "forged" for p in detail["properties"])
    assert len([p for p in detail["properties"] if p["provenance"] == "computed"]) == 19


# ------------------------------------------------------------------ the migration itself
@pytest.fixture(scope="module")
def at_0020() -> Iterator[Database]:
    """A server of its own, migrated to 0020 (the shared one stays at head)."""
    with server_at("0020") as database:
        yield database


_PROPERTIES = sa.text(
    "SELECT molecule_id::text, property_name, value, text_value, unit, method, provenance, "
    "source, created_by::text FROM molecular_properties ORDER BY 1, 2, 6"
)


def _molecule(conn: sa.Connection, smiles: str) -> str:
    return str(
        conn.scalar(
            sa.text(
                "INSERT INTO molecules (kind, name, smiles, inchikey, created_by, visibility) "
                "VALUES ('structure', :n, :s, :k, :me, 'public') RETURNING id"
            ),
            {"n": smiles, "s": smiles, "k": uuid.uuid4().hex[:27].upper(), "me": SYSTEM_USER_ID},
        )
    )


def _rows(conn: sa.Connection, molecule: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        conn.execute(
            sa.text(
                "INSERT INTO molecular_properties (molecule_id, property_name, value, unit, "
                "method, provenance, source, created_by) VALUES (:m, :property_name, :value, "
                ":unit, :method, :provenance, :source, :me)"
            ),
            {**row, "m": molecule, "me": SYSTEM_USER_ID},
        )


def _triggers(conn: sa.Connection) -> list[tuple[str, int]]:
    rows = conn.execute(
        sa.text(
            "SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = 'public.molecules'::regclass "
            "AND tgname LIKE 'audit%' ORDER BY 1"
        )
    )
    return [(str(name), int(kind)) for name, kind in rows]


def test_migration_moves_descriptors_in_and_back_out(at_0020: Database) -> None:
    db = at_0020
    full = property_rows({d.name: float(i) + 0.25 for i, d in enumerate(DESCRIPTORS)})
    old_version = [
        {**r, "method": r["method"].replace(DESCRIPTOR_METHOD, "RDKit 2023.09.5")} for r in full[:5]
    ]
    measured = {
        "property_name": "density",
        "value": 1.1,
        "unit": "g/mL",
        "method": "pycnometer",
        "provenance": "measured",
        "source": "CRC",
    }
    odd = {**full[3], "unit": "nm²"}  # a computed row in a unit the catalogue does not use
    with db.owner_engine.begin() as conn:
        per_row_triggers = _triggers(conn)
        moved = _molecule(conn, "OCC(O)CO")
        _rows(conn, moved, [*full, measured])
        partial = _molecule(conn, "CS(C)=O")
        _rows(conn, partial, old_version)  # five descriptors, an older RDKit
        kept = _molecule(conn, "OCCO")
        _rows(conn, kept, [*full[:3], odd])  # not expressible: all four stay rows
        original = conn.execute(_PROPERTIES).all()
    db.upgrade("0021")
    with db.owner_engine.begin() as conn:
        stored = {
            str(r[0]): (r[1], list(r[2]))
            for r in conn.execute(
                sa.text(
                    "SELECT molecule_id, computed_by, descriptor_values FROM molecule_descriptors"
                )
            )
        }
        left = conn.execute(_PROPERTIES).all()
        statement_triggers = _triggers(conn)
    assert set(stored) == {moved, partial}
    assert stored[moved] == (DESCRIPTOR_METHOD, [float(i) + 0.25 for i in range(19)])
    assert stored[partial] == ("RDKit 2023.09.5", [0.25, 1.25, 2.25, 3.25, 4.25] + [None] * 14)
    assert {(r[0], r[1]) for r in left} == {(moved, "density")} | {
        (kept, r["property_name"]) for r in (*full[:3], odd)
    }
    assert [t[0] for t in statement_triggers] == ["audit_row", "audit_row_inserts"]
    db.downgrade("0020")
    with db.owner_engine.begin() as conn:
        assert conn.execute(_PROPERTIES).all() == original
        assert _triggers(conn) == per_row_triggers
        assert not conn.scalar(
            sa.text("SELECT to_regclass('public.molecule_descriptors') IS NOT NULL")
        )
    db.upgrade("0021")
    with db.owner_engine.begin() as conn:
        again = {
            str(r[0]): (r[1], list(r[2]))
            for r in conn.execute(
                sa.text(
                    "SELECT molecule_id, computed_by, descriptor_values FROM molecule_descriptors"
                )
            )
        }
        assert again == stored and conn.execute(_PROPERTIES).all() == left
        # Molecule inserts, audited per statement, write the rows the per-row trigger wrote.
        conn.execute(sa.text("SELECT set_config('request.jwt.claim.role', 'service_role', true)"))
        ids = [str(_molecule(conn, s)) for s in ("CCO", "CCCO")]
        audit = conn.execute(
            sa.text(
                "SELECT a.row_id, a.action, a.actor_role, a.old_data IS NULL, "
                "a.new_data = to_jsonb(m), a.xact_id = pg_current_xact_id()::text::bigint "
                "FROM audit_log a JOIN molecules m ON m.id::text = a.row_id "
                "WHERE a.table_name = 'molecules' AND a.row_id = ANY(:ids) ORDER BY a.id"
            ),
            {"ids": ids},
        ).all()
    assert audit == [(i, "INSERT", "service_role", True, True, True) for i in ids]
