"""Shared fixtures: one throwaway embedded PostgreSQL per test session.

Integration tests get a migrated database (``db``), connected as the app role, and
factories for users and teams. Data created by a test is isolated by unique e-mails
and names rather than by rollback, because the API under test commits its own
transactions exactly as in production.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cryoprotect.db.database import Database
from cryoprotect.settings import Settings

if TYPE_CHECKING:
    from cryoprotect.ml.train import Prediction
    from cryoprotect.services.actor import Actor

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, reason: str) -> None:
    """Skip when an optional external dependency is missing, but fail under CI=true."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI (CI=true): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def home() -> Iterator[Path]:
    # A short path: the PostgreSQL socket lives inside it.
    path = Path(tempfile.mkdtemp(prefix="cpt-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(home: Path) -> Settings:
    # Rate limits off: the suite sends bursts from one address. tests/integration/
    # test_rate_limits.py builds its own apps with tight limits.
    return Settings(
        home=home,
        secret_key="test-secret-key-" + "x" * 32,
        testing=True,
        log_json=False,
        ratelimit_enabled=False,
    )


@pytest.fixture(scope="session")
def db(settings: Settings) -> Iterator[Database]:
    from cryoprotect.services.reference_data import load_reference_data

    database = Database(settings).start()
    database.upgrade()
    load_reference_data(database)  # as `make run` does: tests see the shipped library
    yield database
    database.stop()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def app(settings: Settings, db: Database) -> Flask:
    from cryoprotect.app import create_app

    return create_app(settings, db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class UserHandle:
    """A registered, signed-in test user."""

    def __init__(
        self,
        client: FlaskClient,
        email: str,
        password: str,
        body: dict[str, Any],
        tokens: dict[str, Any],
    ) -> None:
        self.client = client
        self.email = email
        self.password = password
        self.id = uuid.UUID(body["id"])
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def actor(self) -> Actor:
        from cryoprotect.services.actor import Actor

        return Actor(user_id=self.id, email=self.email)


@pytest.fixture
def make_user(client: Any) -> Callable[..., UserHandle]:
    """Factory: ``make_user()`` registers and signs in a fresh account."""

    def _make(prefix: str = "user", password: str = "correct horse battery") -> UserHandle:
        email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"
        reg = client.post("/api/v1/auth/register", json={"email": email, "password": password})
        assert reg.status_code == 202, reg.json  # the same answer for new and taken addresses
        login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.json
        me = client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {login.json['access_token']}"}
        )
        assert me.status_code == 200, me.json
        return UserHandle(client, email, password, me.json, login.json)

    return _make


@pytest.fixture
def make_team(client: Any) -> Callable[..., uuid.UUID]:
    """Factory: ``make_team(admin, viewer=[u], editor=[u], ...)`` returns the team id.

    Members join as in production: the admin invites each by e-mail and each accepts.
    """

    def _make(admin: UserHandle, **members: list[UserHandle]) -> uuid.UUID:
        res = client.post(
            "/api/v1/teams", json={"name": f"team-{uuid.uuid4().hex[:8]}"}, headers=admin.headers
        )
        assert res.status_code == 201, res.json
        team_id = uuid.UUID(res.json["id"])
        for role, users in members.items():
            for user in users:
                invite = client.post(
                    f"/api/v1/teams/{team_id}/members",
                    json={"email": user.email, "role": role},
                    headers=admin.headers,
                )
                assert invite.status_code == 202, invite.json
                accept = client.post(
                    f"/api/v1/teams/invitations/{invite.json['id']}/accept", headers=user.headers
                )
                assert accept.status_code == 200, accept.json
        return team_id

    return _make


def interval(p: Prediction) -> tuple[float, float, float]:
    """``(lower, value, upper)`` of a prediction that must have all three (none is None)."""
    assert p.lower is not None and p.value is not None and p.upper is not None, p
    return p.lower, p.value, p.upper


def unique_smiles() -> str:
    """A valid SMILES whose standardised structure (and InChIKey) is unique to this call.

    Isotope labels would not do: the ChEMBL parent drops them. A chain of 24 carbons whose
    substituents (H or F) spell random bits, anchored by a hydroxyl so that reading the
    chain backwards gives a different molecule.
    """
    import random

    bits = random.getrandbits(24)  # noqa: S311 - test data, not secrets
    return "O" + "".join("C(F)" if bits >> i & 1 else "C" for i in range(24))


def train_model_via_api(app, prefix: str) -> tuple[dict[str, str], str]:
    """Register a user and train a ridge model on the shipped CryoMN literature data through
    the API's background job; returns (auth headers, model id)."""
    from cryoprotect.services.actor import Actor

    client = app.test_client()
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"
    client.post("/api/v1/auth/register", json={"email": email, "password": "long enough pw"})
    token = client.post(
        "/api/v1/auth/login", json={"email": email, "password": "long enough pw"}
    ).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    res = client.post(
        "/api/v1/predictive-models",
        json={"dataset": "cryomn-literature", "target": "viability_percent", "algorithm": "ridge"},
        headers=headers,
    )
    assert res.status_code == 202, res.json
    actor = Actor(user_id=uuid.UUID(res.json["model"]["created_by"]))
    job = app.extensions["cryoprotect"].jobs.wait(
        actor, uuid.UUID(res.json["job_id"]), timeout_s=300
    )
    assert job.status == "done", job
    return headers, res.json["model"]["id"]


@contextmanager
def server_at(revision: str) -> Iterator[Database]:
    """An embedded server of its own migrated to ``revision`` (for a migration's own test;
    the shared one stays at head), stopped and removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix=f"cp-{revision}-", dir="/tmp"))
    settings = Settings(home=home, secret_key="x" * 40, testing=True, log_json=False)
    database = Database(settings).start()
    try:
        database.upgrade(revision)
        yield database
    finally:
        database.stop()
        shutil.rmtree(home, ignore_errors=True)
