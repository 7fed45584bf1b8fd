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
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryoprotect.db.database import Database
from cryoprotect.settings import Settings

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
    return Settings(home=home, secret_key="test-secret-key-" + "x" * 32, testing=True, log_json=False)


@pytest.fixture(scope="session")
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings).start()
    database.upgrade()
    yield database
    database.stop()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
