"""The ``cryoprotect`` command against the session's embedded server.

The session ``db`` fixture owns the data directory, so every command here *attaches* to
the running server (and must leave it running).
"""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cryoprotect.cli import main
from cryoprotect.db.database import Database, Identity, head_revision
from cryoprotect.db.models import User
from cryoprotect.services.auth import AuthService
from cryoprotect.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(settings: Settings, db: Database):
    """``cli("db", "current")`` runs the command with CRYOPROTECT_HOME set to the session home."""
    runner = CliRunner()
    env = {"CRYOPROTECT_HOME": str(settings.home), "DATABASE_URL": None}

    def _invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return _invoke


def _user(db: Database, email: str) -> User | None:
    with db.transaction(Identity.service()) as session:
        return session.scalar(sa.select(User).where(User.email == email))


def _server_still_up(db: Database) -> None:
    assert db.server is not None and db.server.owner and db.server.is_running()
    with db.owner_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT 1")) == 1


def test_db_current_shows_head(cli, db: Database) -> None:
    result = cli("db", "current")
    assert result.exit_code == 0, result.output
    head = head_revision()
    assert f"current: {head}" in result.output
    assert f"head: {head}" in result.output
    _server_still_up(db)


def test_db_verify_rls_clean(cli, db: Database) -> None:
    result = cli("db", "verify-rls")
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output
    assert "problem(s)." not in result.output
    _server_still_up(db)


def test_db_verify_rls_names_an_unprotected_table(cli, db: Database) -> None:
    table = f"tmp_cli_norls_{uuid.uuid4().hex[:10]}"
    with db.owner_engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE public.{table} (id int)"))
    try:
        result = cli("db", "verify-rls")
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if table in line]
        problems = {line.split(table, 1)[1].strip() for line in lines}
        assert problems == {
            "row level security is not enabled",
            "row level security is not forced",
            "no policy covers SELECT",
            "no policy covers INSERT",
            "no policy covers UPDATE",
            "no policy covers DELETE",
        }, result.output
        assert all(line.startswith("public") for line in lines)
        assert "6 problem(s)." in result.output
    finally:
        with db.owner_engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS public.{table}"))
    assert cli("db", "verify-rls").exit_code == 0


def test_db_health_json(cli, db: Database) -> None:
    result = cli("db", "health", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"status", "checked_at", "checks"}
    assert set(report["checks"]) == {"schema", "integrity", "performance"}
    assert report["checks"]["schema"]["status"] == "passed", report["checks"]["schema"]
    assert report["checks"]["integrity"]["status"] == "passed", report["checks"]["integrity"]
    # The performance check reads workload statistics (sequential scans of tables that have
    # grown past 1000 rows, slow statements), which depend on what ran before in this
    # session: it may warn, but never fail, on a healthy database.
    assert report["checks"]["performance"]["status"] in ("passed", "warning"), report
    assert report["status"] == report["checks"]["performance"]["status"], report
    _server_still_up(db)


def test_users_create_admin_creates_an_administrator(cli, db: Database, settings: Settings) -> None:
    email = f"admin-{uuid.uuid4().hex[:10]}@example.org"
    result = cli("users", "create-admin", "--email", email, "--password", "longenough1")
    assert result.exit_code == 0, result.output
    user = _user(db, email)
    assert user is not None
    assert user.is_admin is True
    assert f"Administrator: {email} ({user.id})" in result.output
    assert AuthService(db, settings).login(email, "longenough1").access_token

    # Running it again for the same e-mail is not an error (the account stays an admin).
    again = cli("users", "create-admin", "--email", email, "--password", "longenough1")
    assert again.exit_code == 0, again.output
    assert _user(db, email).is_admin is True  # type: ignore[union-attr]
    _server_still_up(db)


def test_users_create_admin_promotes_an_existing_user(
    cli, db: Database, settings: Settings
) -> None:
    email = f"member-{uuid.uuid4().hex[:10]}@example.org"
    created = AuthService(db, settings).register(email, "original password", admin=False)
    assert _user(db, email).is_admin is False  # type: ignore[union-attr]

    result = cli("users", "create-admin", "--email", email, "--password", "longenough1")
    assert result.exit_code == 0, result.output
    user = _user(db, email)
    assert user is not None
    assert user.id == created.id  # promoted, not a second account
    assert user.is_admin is True
    assert AuthService(db, settings).login(email, "longenough1").access_token


def test_users_create_admin_rejects_a_short_password(cli, db: Database, settings: Settings) -> None:
    email = f"short-{uuid.uuid4().hex[:10]}@example.org"
    result = cli("users", "create-admin", "--email", email, "--password", "short")
    assert result.exit_code != 0
    assert "Password must be at least 8 characters." in result.stderr
    assert _user(db, email) is None

    # An existing account is not promoted when the new password is refused.
    AuthService(db, settings).register(email, "original password", admin=False)
    result = cli("users", "create-admin", "--email", email, "--password", "short")
    assert result.exit_code != 0
    assert "Password must be at least 8 characters." in result.stderr
    assert _user(db, email).is_admin is False  # type: ignore[union-attr]
