"""Structural alerts stored beside each molecule's descriptors (migration 0022).

* Registration and the file import store a molecule's alerts under the current key, equal
  to the alerts found on read; records and list pages read the stored ones (a stored value
  changed in the database is what the API shows), and ignore alerts stored under another
  key (found again on read, so an RDKit or override-table upgrade shows nothing stale).
* ``store_alerts`` (``cryoprotect alerts store``) fills molecules without current alerts
  and leaves the rest alone; running it again stores nothing.
* Row-level security: another user cannot read a private molecule's stored alerts.
* The migration adds and drops the two columns (up, down, up on a server of its own).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cryoprotect.cli import main
from cryoprotect.db.database import Database
from cryoprotect.science.alerts import alerts_for_smiles, alerts_key, encode_alerts
from cryoprotect.services.molecule_io import import_molecules, read_records
from cryoprotect.services.molecules.records import read_stored_alerts
from cryoprotect.services.molecules.stored_alerts import store_alerts
from cryoprotect.settings import Settings
from tests.conftest import UserHandle, server_at, unique_smiles

pytestmark = pytest.mark.integration

MakeUser = Callable[..., UserHandle]


def _alerting() -> str:
    """A unique structure with alerts (an acyl hydrazine: Brenk hydrazine and others)."""
    return "NNC(=O)" + unique_smiles()


def _register(client: Any, user: UserHandle, smiles: str) -> dict[str, Any]:
    res = client.post("/api/v1/molecules", json={"smiles": smiles}, headers=user.headers)
    assert res.status_code == 201, res.json
    return dict(res.json)


def _stored(db: Database, molecule_id: str) -> tuple[Any, str | None]:
    with db.owner_engine.begin() as conn:
        row = conn.execute(
            sa.text("SELECT alerts, alerts_key FROM molecule_descriptors WHERE molecule_id = :id"),
            {"id": molecule_id},
        ).one()
    return row[0], row[1]


def _set(db: Database, molecule_id: str, alerts: Any, key: str | None) -> None:
    with db.owner_engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE molecule_descriptors SET alerts = CAST(:a AS jsonb), alerts_key = :k "
                "WHERE molecule_id = :id"
            ),
            {"a": None if alerts is None else json.dumps(alerts), "k": key, "id": molecule_id},
        )


def _listed_alerts(client: Any, user: UserHandle, molecule_id: str) -> dict[str, Any]:
    res = client.get("/api/v1/molecules?visibility=private&per_page=100", headers=user.headers)
    assert res.status_code == 200, res.json
    return next(m["alerts"] for m in res.json["items"] if m["id"] == molecule_id)


def test_registration_stores_the_alerts_found_on_read(
    client: Any, db: Database, make_user: MakeUser
) -> None:
    user = make_user("alerts")
    created = _register(client, user, _alerting())
    alerts, key = _stored(db, created["id"])
    expected = alerts_for_smiles(created["smiles"])
    assert key == alerts_key()
    assert alerts == encode_alerts(expected) and len(alerts) >= 3
    detail = client.get(f"/api/v1/molecules/{created['id']}", headers=user.headers).json
    assert detail["alerts"]["count"] == expected.count
    assert detail["alerts"]["penalty_factor"] == pytest.approx(expected.penalty_factor)
    assert _listed_alerts(client, user, created["id"]) == detail["alerts"]


def test_records_read_the_stored_alerts_and_ignore_another_keys(
    client: Any, db: Database, make_user: MakeUser
) -> None:
    user = make_user("alerts")
    created = _register(client, user, _alerting())
    found = alerts_for_smiles(created["smiles"])
    brenk_only = [a for a in encode_alerts(found) if a["catalogue"] == "Brenk"][:1]
    # Changed in the database: the API shows what is stored (not found again).
    _set(db, created["id"], brenk_only, alerts_key())
    listed = _listed_alerts(client, user, created["id"])
    detail = client.get(f"/api/v1/molecules/{created['id']}", headers=user.headers).json
    for shown in (listed, detail["alerts"]):
        assert shown["count"] == 1
        assert shown["alerts"][0]["description"] == brenk_only[0]["description"]
        assert shown["penalty_factor"] < 1  # looked up from the shipped penalty table
    # Under another key (an older RDKit or override table), or unreadable: found on read.
    for alerts, key in ((brenk_only, "0:older"), ([{"catalogue": "nope"}], alerts_key())):
        _set(db, created["id"], alerts, key)
        assert _listed_alerts(client, user, created["id"])["count"] == found.count


def test_file_import_stores_alerts(db: Database, make_user: MakeUser) -> None:
    user = make_user("alerts")
    smiles = [_alerting(), unique_smiles()]
    report = import_molecules(db, user.actor, read_records("\n".join(smiles).encode(), "smiles"))
    assert report.created == 2
    for molecule_id in report.created_ids:
        alerts, key = _stored(db, molecule_id)
        with db.owner_engine.begin() as conn:
            parent = conn.scalar(
                sa.text("SELECT smiles FROM molecules WHERE id = :id"), {"id": molecule_id}
            )
        assert key == alerts_key() and alerts == encode_alerts(alerts_for_smiles(parent))


def test_another_user_cannot_read_private_stored_alerts(
    client: Any, db: Database, make_user: MakeUser
) -> None:
    owner, other = make_user("alerts"), make_user("alerts")
    created = _register(client, owner, _alerting())
    molecule_id = uuid.UUID(created["id"])
    with db.transaction(owner.actor.identity) as session:
        assert molecule_id in read_stored_alerts(session, [molecule_id])
    with db.transaction(other.actor.identity) as session:
        assert read_stored_alerts(session, [molecule_id]) == {}


def test_store_alerts_fills_what_is_missing_or_stale(
    client: Any, db: Database, make_user: MakeUser, settings: Settings
) -> None:
    user = make_user("alerts")
    missing, stale, current = (_register(client, user, _alerting()) for _ in range(3))
    _set(db, missing["id"], None, None)
    _set(db, stale["id"], [], "0:older")
    tampered = encode_alerts(alerts_for_smiles(current["smiles"]))[:1]
    _set(db, current["id"], tampered, alerts_key())  # current key: left as stored
    report = store_alerts(db, batch_rows=7, processes=1)
    assert report.stored >= 2 and report.failed == 0
    for created in (missing, stale):
        assert _stored(db, created["id"]) == (
            encode_alerts(alerts_for_smiles(created["smiles"])),
            alerts_key(),
        )
    assert _stored(db, current["id"]) == (tampered, alerts_key())
    # Everything is current now: the command finds nothing left to store.
    env = {"CRYOPROTECT_HOME": str(settings.home), "DATABASE_URL": None}
    result = CliRunner().invoke(main, ["alerts", "store", "--processes", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert "Stored the structural alerts of 0 molecules" in result.output


# ------------------------------------------------------------------ the migration itself
@pytest.fixture(scope="module")
def at_0021() -> Iterator[Database]:
    """A server of its own, migrated to 0021 (the shared one stays at head)."""
    with server_at("0021") as database:
        yield database


def _columns(db: Database) -> list[str]:
    with db.owner_engine.begin() as conn:
        return list(
            conn.scalars(
                sa.text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'molecule_descriptors' ORDER BY ordinal_position"
                )
            )
        )


def test_migration_adds_and_drops_the_columns(at_0021: Database) -> None:
    before = _columns(at_0021)
    assert "alerts" not in before
    at_0021.upgrade("0022")
    assert _columns(at_0021) == [*before, "alerts", "alerts_key"]
    at_0021.downgrade("0021")
    assert _columns(at_0021) == before
    at_0021.upgrade("0022")
    assert _columns(at_0021) == [*before, "alerts", "alerts_key"]
