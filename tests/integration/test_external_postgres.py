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
from cryoprotect.services.actor import Actor
from cryoprotect.services.auth import AuthService
from cryoprotect.services.molecules import MoleculeService
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
