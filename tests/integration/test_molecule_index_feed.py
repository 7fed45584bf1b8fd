"""The search indexes' change feed cannot miss a change (issue 17, item 4).

The feed reads the ``audit_log`` by transaction (``xact_id`` and the snapshot of its last
read, migration 0016), not by a window of audit ids. These tests run as the app role
(row-level security on; the feed reads as the service role, the writers as a signed-in
user), each with a fresh :class:`MoleculeIndex` on the session's database:

* a transaction held open while more than 5,000 other changes commit is applied when it
  commits, and the index then equals the table (ids, fingerprints, structures); its audit
  id is more than 5,000 below the newest one the feed had read, so the former feed (which
  re-read 5,000 ids behind its cursor) would have missed it;
* a rolled-back transaction leaves nothing behind, and the position never moves backward.

Each runs on the embedded server and on the external PostgreSQL (127.0.0.1:5432, a
database of its own, dropped at the end).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from rdkit import Chem

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import Molecule
from cryoprotect.science.fingerprints import morgan_fingerprint
from cryoprotect.science.molecules import describe
from cryoprotect.search import FeedPosition
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecule_index import MoleculeIndex
from cryoprotect.settings import Settings
from tests.conftest import require, unique_smiles

pytestmark = pytest.mark.integration

EXTERNAL = "postgresql://postgres@127.0.0.1:5432"

FORMER_WINDOW = 5000  # audit ids the former feed re-read behind its cursor
BULK = FORMER_WINDOW + 200


def _external_reachable() -> bool:
    try:
        with psycopg.connect(f"{EXTERNAL}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def _external_database() -> Iterator[Database]:
    require(_external_reachable(), "no PostgreSQL on 127.0.0.1:5432")
    name = f"cryoprotect_test_{uuid.uuid4().hex[:12]}"
    home = Path(tempfile.mkdtemp(prefix="cpt-", dir="/tmp"))
    with psycopg.connect(f"{EXTERNAL}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database: Database | None = None
    try:
        settings = Settings(
            home=home,
            database_url=f"{EXTERNAL}/{name}",
            secret_key="x" * 40,
            testing=True,
            log_json=False,
        )
        database = Database(settings).start()
        assert database.server is None
        database.upgrade()
        yield database
    finally:
        if database is not None:
            database.stop()
        with psycopg.connect(f"{EXTERNAL}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(
    scope="module", params=["embedded", pytest.param("external", marks=pytest.mark.external)]
)
def server(request: pytest.FixtureRequest) -> Iterator[Database]:
    """The session's embedded database, or a fresh one on the external PostgreSQL."""
    if request.param == "embedded":
        yield request.getfixturevalue("db")
        return
    with _external_database() as database:
        yield database


def _user(db: Database) -> uuid.UUID:
    account = AuthService(db, db.settings).register(
        f"feed-{uuid.uuid4().hex[:10]}@example.org", "correct horse battery"
    )
    return account.id


def _row(smiles: str, owner: uuid.UUID) -> dict[str, object]:
    """A molecule as the registry stores it: identifiers and fingerprint from RDKit."""
    mol = Chem.MolFromSmiles(smiles)
    record = describe(mol)
    return {
        "id": uuid.uuid4(),
        "kind": "structure",
        "smiles": record.smiles,
        "inchi": record.inchi,
        "inchikey": record.inchikey,
        "formula": record.formula,
        "molecular_weight": record.molecular_weight,
        "morgan_fp": morgan_fingerprint(mol),
        "created_by": owner,
        "visibility": "private",
    }


def _bulk_rows(owner: uuid.UUID, count: int) -> list[dict[str, object]]:
    """``count`` distinct structures: amino ethers C(a)-O-C(b)-N (a, b >= 1)."""
    side = int(count**0.5) + 1
    pairs = [(a, b) for a in range(1, side + 1) for b in range(1, side + 1)][:count]
    return [_row("C" * a + "O" + "C" * b + "N", owner) for a, b in pairs]


def _insert(db: Database, owner: uuid.UUID, rows: list[dict[str, object]]) -> None:
    """One committed transaction as the app role, signed in as ``owner``."""
    with db.transaction(Identity.user(owner)) as session:
        session.execute(sa.insert(Molecule), rows)


@contextmanager
def _held(db: Database, owner: uuid.UUID) -> Iterator[tuple[sa.Connection, uuid.UUID, int]]:
    """A transaction on its own connection (app role, signed in as ``owner``) that inserts
    one molecule and stays open; yields (connection, molecule id, transaction id). The
    caller commits or rolls back; leaving the block rolls back whatever is still open."""
    row = _row(unique_smiles(), owner)
    with db.app_engine.connect() as conn:
        conn.begin()
        conn.execute(
            sa.text(
                "SELECT set_config('request.jwt.claim.sub', :sub, true), "
                "set_config('request.jwt.claim.role', 'authenticated', true)"
            ),
            {"sub": str(owner)},
        )
        conn.execute(sa.insert(Molecule), row)
        xid = int(conn.scalar(sa.text("SELECT pg_current_xact_id()::text")) or 0)
        try:
            yield conn, uuid.UUID(str(row["id"])), xid
        finally:
            if conn.in_transaction():
                conn.rollback()


def _table(db: Database) -> dict[str, bytes | None]:
    """What the index must hold: every structure with a fingerprint, read as the service."""
    with db.transaction(Identity.service()) as session:
        return {
            str(i): fp
            for i, fp in session.execute(
                sa.select(Molecule.id, Molecule.morgan_fp).where(
                    Molecule.kind == "structure", Molecule.morgan_fp.is_not(None)
                )
            )
        }


def _assert_index_equals_table(index: MoleculeIndex, db: Database) -> None:
    table = _table(db)
    held = index.similarity.fingerprints()
    assert held.keys() == table.keys()
    assert held == table  # the same fingerprint bytes for every id
    assert index.substructure.structures().keys() == table.keys()


def _newest_molecule_audit_id(db: Database) -> int:
    with db.transaction(Identity.service()) as session:
        return int(
            session.scalar(
                sa.text("SELECT max(id) FROM public.audit_log WHERE table_name = 'molecules'")
            )
            or 0
        )


def _audit_ids(db: Database, molecule_id: uuid.UUID) -> list[tuple[int, int]]:
    """(audit id, transaction id) of a molecule's entries, read as the service."""
    with db.transaction(Identity.service()) as session:
        return [
            (int(i), int(x))
            for i, x in session.execute(
                sa.text(
                    "SELECT id, xact_id FROM public.audit_log "
                    "WHERE table_name = 'molecules' AND row_id = :row ORDER BY id"
                ),
                {"row": str(molecule_id)},
            )
        ]


def _ordered(positions: list[FeedPosition]) -> bool:
    return all(
        a.xmin <= b.xmin and a.xmax <= b.xmax
        for a, b in zip(positions, positions[1:], strict=False)
    )


def test_held_transaction_is_applied_after_5000_other_changes(
    server: Database,
) -> None:
    db = server
    owner = _user(db)
    index = MoleculeIndex(db)
    index.ensure_loaded()
    index.sync()
    _assert_index_equals_table(index, db)
    positions = [index.position]

    with _held(db, owner) as (conn, held_id, held_xid):
        rows = _bulk_rows(owner, BULK)
        half = len(rows) // 2
        for part in (rows[:half], rows[half:]):  # two commits, a sync after each
            _insert(db, owner, part)
            assert index.sync() == len(part)
            positions.append(index.position)
        # The open transaction pins the feed: its xid is still "running" in the position.
        assert held_xid in index.position.running
        assert index.position.xmin <= held_xid
        assert str(held_id) not in index.similarity
        cursor_at_commit = _newest_molecule_audit_id(db)  # the former feed's cursor by now
        conn.commit()

    [(held_audit_id, recorded_xid)] = _audit_ids(db, held_id)
    assert recorded_xid == held_xid  # the trigger recorded the writing transaction
    # The former feed would next have read ids > cursor - 5000: this one is below that.
    assert held_audit_id <= cursor_at_commit - FORMER_WINDOW, (held_audit_id, cursor_at_commit)

    assert index.sync() == 1
    positions.append(index.position)
    assert str(held_id) in index.similarity and str(held_id) in index.substructure
    assert held_xid not in index.position.running and index.position.shows(held_xid)
    _assert_index_equals_table(index, db)
    assert index.sync() == 0  # nothing is read twice
    positions.append(index.position)
    assert _ordered(positions), positions

    # A fresh index loaded now holds the same.
    fresh = MoleculeIndex(db)
    fresh.ensure_loaded()
    assert fresh.similarity.fingerprints() == index.similarity.fingerprints()


def test_rolled_back_transaction_leaves_nothing_and_position_never_moves_back(
    server: Database,
) -> None:
    db = server
    owner = _user(db)
    index = MoleculeIndex(db)
    index.ensure_loaded()
    positions = [index.position]

    with _held(db, owner) as (conn, rolled_back_id, rolled_back_xid):
        first = _row(unique_smiles(), owner)
        _insert(db, owner, [first])
        assert index.sync() == 1
        positions.append(index.position)
        assert rolled_back_xid in index.position.running
        assert str(first["id"]) in index.similarity
        assert str(rolled_back_id) not in index.similarity
        conn.rollback()

    second = _row(unique_smiles(), owner)
    _insert(db, owner, [second])
    assert index.sync() == 1  # only the committed one
    positions.append(index.position)
    assert index.position.xmin > rolled_back_xid  # moved past the rolled-back transaction
    assert str(second["id"]) in index.similarity
    assert str(rolled_back_id) not in index.similarity
    assert str(rolled_back_id) not in index.substructure
    assert _audit_ids(db, rolled_back_id) == []  # its audit entry went with it
    for _ in range(3):
        assert index.sync() == 0
        positions.append(index.position)
    assert _ordered(positions), positions
    assert positions[-1] != positions[0]
    _assert_index_equals_table(index, db)


def test_entries_from_another_cluster_are_not_read_again_and_again(
    server: Database,
) -> None:
    """A restore brings audit rows whose transaction ids belong to another server (maybe
    far ahead of this one's): the feed must not take them for changes at every sync."""
    db = server
    owner = _user(db)
    row = _row(unique_smiles(), owner)
    _insert(db, owner, [row])
    index = MoleculeIndex(db)
    index.ensure_loaded()
    assert index.sync() == 0
    with db.owner_engine.begin() as migration_owner:  # audit rows are written only by the trigger
        migration_owner.execute(
            sa.text(
                "INSERT INTO public.audit_log (table_name, row_id, action, xact_id) "
                "VALUES ('molecules', :row, 'UPDATE', :far)"
            ),
            {"row": str(row["id"]), "far": 1 << 40},
        )
    assert [index.sync() for _ in range(3)] == [0, 0, 0]
    _assert_index_equals_table(index, db)
