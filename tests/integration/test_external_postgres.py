"""CryoProtect on an external PostgreSQL (``DATABASE_URL``): 127.0.0.1:5432, user postgres.

Each run creates its own ``cryoprotect_test_<hex>`` database and drops it at the end. The
app role is cluster-wide, so it may already exist from earlier runs; migrations reuse it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, head_revision
from cryoprotect.db.rls import verify_rls
from cryoprotect.errors import NotFound
from cryoprotect.services import molecule_list
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.common import Listing
from cryoprotect.services.molecule_index import MoleculeIndex
from cryoprotect.services.molecule_list import orders_bytewise
from cryoprotect.services.molecules import MoleculeService
from cryoprotect.services.molecules import registry as registry_module
from cryoprotect.settings import Settings
from tests.conftest import require

pytestmark = [pytest.mark.integration, pytest.mark.external]

SERVER = "postgresql://postgres@127.0.0.1:5432"


def _reachable() -> bool:
    try:
        with psycopg.connect(f"{SERVER}/postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="module")
def external_db() -> Iterator[Database]:
    require(_reachable(), "no PostgreSQL on 127.0.0.1:5432")
    name = f"cryoprotect_test_{uuid.uuid4().hex[:12]}"
    home = Path(tempfile.mkdtemp(prefix="cpt-", dir="/tmp"))
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database: Database | None = None
    try:
        settings = Settings(
            home=home,
            database_url=f"{SERVER}/{name}",
            secret_key="x" * 40,
            testing=True,
            log_json=False,
        )
        assert not settings.embedded
        database = Database(settings).start()
        assert database.server is None  # nothing embedded was started
        database.upgrade()
        yield database
    finally:
        if database is not None:
            database.stop()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            assert conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)
            ).fetchone() == (0,)
        shutil.rmtree(home, ignore_errors=True)


def test_migrated_to_head(external_db: Database) -> None:
    assert external_db.current_revision() == head_revision()
    assert external_db.current_revision(as_owner=True) == head_revision()
    assert external_db.at_head()


def test_app_engine_uses_the_app_role_without_bypassrls(external_db: Database) -> None:
    with external_db.app_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT current_user")) == "cryoprotect_app"
        role = conn.execute(
            sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
    assert role.rolsuper is False
    assert role.rolbypassrls is False


def test_private_molecule_is_invisible_to_another_user(external_db: Database) -> None:
    auth = AuthService(external_db, external_db.settings)
    tag = uuid.uuid4().hex[:10]
    alice = auth.register(f"alice-{tag}@example.org", "correct horse battery")
    bob = auth.register(f"bob-{tag}@example.org", "correct horse battery")
    as_alice = Actor(user_id=alice.id, email=alice.email, via="jwt")
    as_bob = Actor(user_id=bob.id, email=bob.email, via="jwt")
    molecules = MoleculeService(external_db)

    molecule, _ = molecules.create(as_alice, smiles="OCC(O)CO", name=f"glycerol-{tag}")
    assert molecule.visibility == "private"
    assert molecules.get(as_alice, molecule.id).id == molecule.id
    with pytest.raises(NotFound):
        molecules.get(as_bob, molecule.id)
    with pytest.raises(NotFound):
        molecules.get(Actor.anonymous(), molecule.id)
    assert all(m.id != molecule.id for m in molecules.list(as_bob, per_page=100).items)


def test_name_pages_come_from_the_index_where_the_server_sorts_by_code_point(
    external_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Debian's clusters default to glibc's C.UTF-8: the server is seen to sort the probes as
    bytes, so name-ordered pages come from the index and equal the SQL path's."""
    with external_db.app_engine.connect() as conn:
        collation = conn.scalar(
            sa.text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        )
        if collation.lower() not in ("c.utf8", "c.utf-8"):
            pytest.fail(f"this check expects a C.UTF-8 cluster, found {collation}")
        assert orders_bytewise(conn, "default")
        assert orders_bytewise(conn, "ucs_basic")
        # ICU's linguistic order (Debian builds PostgreSQL with ICU) is not byte order.
        icu = conn.scalar(sa.text("SELECT collname FROM pg_collation WHERE collname = 'en-x-icu'"))
        assert icu == "en-x-icu"
        assert not orders_bytewise(conn, "en-x-icu")
    auth = AuthService(external_db, external_db.settings)
    tag = uuid.uuid4().hex[:10]
    user = auth.register(f"names-{tag}@example.org", "correct horse battery")
    actor = Actor(user_id=user.id, email=user.email, via="jwt")
    molecules = MoleculeService(external_db, MoleculeIndex(external_db, index_dir=tmp_path / "ix"))
    for n, name in enumerate(["Zeta", "alpha", "Éther", "ether", "a b", "ab", "a-b", None]):
        molecules.create(actor, smiles="C" * (n + 1) + "O", name=f"{name} {tag}" if name else None)
    assert molecule_list._name_order_allowed(molecules)
    fast_pages = []
    for page in (1, 2, 3):
        listing: Listing = {"page": page, "per_page": 3}
        fast = molecule_list.indexed_page(molecules, actor, sort="name", listing=listing)
        assert fast is not None  # the index answered
        fast_pages.append(fast)
    monkeypatch.setattr(registry_module, "indexed_page", lambda *a, **k: None)
    for page, fast in zip((1, 2, 3), fast_pages, strict=True):
        assert fast == molecules.list(actor, sort="name", page=page, per_page=3)


def test_verify_rls_finds_no_problems(external_db: Database) -> None:
    with external_db.owner_engine.connect() as conn:
        assert verify_rls(conn, app_role=external_db.settings.app_db_role) == []


def test_downgrade_to_base_and_upgrade_again(external_db: Database) -> None:
    external_db.downgrade("base")
    assert external_db.current_revision(as_owner=True) is None
    with external_db.owner_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT to_regclass('public.molecules')")) is None
    external_db.upgrade()
    assert external_db.current_revision() == head_revision()
    with external_db.owner_engine.connect() as conn:
        assert verify_rls(conn, app_role=external_db.settings.app_db_role) == []
