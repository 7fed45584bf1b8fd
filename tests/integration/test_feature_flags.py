"""Feature flags on the session database: the admin API, the caller's evaluated flags, the
row-level security of overrides, the CLI, the cache, and the real gate on API training.

Every test creates flags with its own unique key, so tests never change each other's flags
(nor the shipped ``models.api_training``, which is only overridden for fresh users/teams).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cryoprotect.cli import main
from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import FeatureFlag, FeatureFlagOverride
from cryoprotect.errors import DatabaseUnavailable, PermissionDenied
from cryoprotect.ops import flags as flags_module
from cryoprotect.ops.flags import API_TRAINING, FeatureFlags
from cryoprotect.services.actor import Actor
from cryoprotect.services.flags import FlagService
from cryoprotect.settings import Settings

pytestmark = pytest.mark.integration

FLAGS = "/api/v1/feature-flags"
MINE = f"{FLAGS}/me"


def _key() -> str:
    return f"test.flag_{uuid.uuid4().hex[:10]}"


class Admin:
    def __init__(self, actor: Actor, headers: dict[str, str]) -> None:
        self.actor = actor
        self.id = actor.user_id
        self.headers = headers


@pytest.fixture
def admin(app: Any, client: Any) -> Admin:
    """A platform administrator, signed in."""
    email = f"flags-admin-{uuid.uuid4().hex[:10]}@example.org"
    password = "administrator password"
    user = app.extensions["cryoprotect"].auth.register(email, password, admin=True)
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.json
    actor = Actor(user_id=uuid.UUID(str(user.id)), email=email, is_admin=True)
    return Admin(actor, {"Authorization": f"Bearer {login.json['access_token']}"})


def _mine(client: Any, headers: dict[str, str] | None = None) -> dict[str, tuple[bool, str]]:
    res = client.get(MINE, headers=headers or {})
    assert res.status_code == 200, res.json
    return {f["key"]: (f["enabled"], f["source"]) for f in res.json}


# ---------------------------------------------------------------- admin API
def test_only_administrators_administer_flags(client: Any, make_user: Any, admin: Admin) -> None:
    user = make_user()
    key = _key()
    assert client.get(FLAGS).status_code == 401
    for method, url, body in (
        ("get", FLAGS, None),
        ("post", FLAGS, {"key": key}),
        ("get", f"{FLAGS}/{API_TRAINING}", None),
        ("patch", f"{FLAGS}/{API_TRAINING}", {"enabled": False}),
        ("put", f"{FLAGS}/{API_TRAINING}/overrides/users/{user.id}", {"enabled": True}),
        ("delete", f"{FLAGS}/{API_TRAINING}/overrides/users/{user.id}", None),
    ):
        res = getattr(client, method)(url, json=body, headers=user.headers)
        assert res.status_code == 403, (method, url, res.json)
        assert res.json["error"]["code"] == "forbidden"
    # Nothing was created or changed by the refused calls.
    listed = client.get(FLAGS, headers=admin.headers).json
    assert key not in {f["key"] for f in listed}
    training = next(f for f in listed if f["key"] == API_TRAINING)
    assert training["enabled"] is True and training["rollout_percentage"] == 100


def test_create_update_and_list_flags(client: Any, admin: Admin) -> None:
    key = _key()
    res = client.post(FLAGS, json={"key": key, "description": "a test"}, headers=admin.headers)
    assert res.status_code == 201, res.json
    assert res.json | {"created_at": None, "updated_at": None} == {
        "key": key,
        "description": "a test",
        "enabled": False,
        "rollout_percentage": 100,
        "created_at": None,
        "updated_at": None,
        "overrides": [],
    }
    again = client.post(FLAGS, json={"key": key}, headers=admin.headers)
    assert again.status_code == 409
    res = client.patch(
        f"{FLAGS}/{key}", json={"enabled": True, "rollout_percentage": 30}, headers=admin.headers
    )
    assert res.status_code == 200, res.json
    assert (res.json["enabled"], res.json["rollout_percentage"]) == (True, 30)
    assert res.json["description"] == "a test"
    one = client.get(f"{FLAGS}/{key}", headers=admin.headers)
    assert one.status_code == 200 and one.json["rollout_percentage"] == 30
    listed = client.get(FLAGS, headers=admin.headers).json
    keys = [f["key"] for f in listed]
    assert key in keys and keys == sorted(keys)
    assert (
        client.get(
            f"{FLAGS}/test.missing_{uuid.uuid4().hex[:6]}", headers=admin.headers
        ).status_code
        == 404
    )
    assert (
        client.patch(
            f"{FLAGS}/test.missing_x", json={"enabled": True}, headers=admin.headers
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "NoDots"}, "key"),
        ({"key": "nodots"}, "key"),
        ({"key": "bad key.x"}, "key"),
        ({"key": "test.ok", "rollout_percentage": 101}, "rollout_percentage"),
        ({"key": "test.ok", "rollout_percentage": -1}, "rollout_percentage"),
        ({"key": "test.ok", "enabled": "maybe"}, "enabled"),
        ({"key": "test.ok", "owner": "me"}, "owner"),
    ],
)
def test_invalid_flags_are_rejected_naming_the_field(
    client: Any, admin: Admin, body: dict[str, Any], field: str
) -> None:
    res = client.post(FLAGS, json=body, headers=admin.headers)
    assert res.status_code == 422, res.json
    assert res.json["error"]["details"]["field"] == field


def test_overrides_are_set_replaced_listed_and_deleted(
    client: Any, admin: Admin, make_user: Any, make_team: Any
) -> None:
    key, user = _key(), make_user()
    team = make_team(user)
    assert client.post(FLAGS, json={"key": key}, headers=admin.headers).status_code == 201
    user_url = f"{FLAGS}/{key}/overrides/users/{user.id}"
    team_url = f"{FLAGS}/{key}/overrides/teams/{team}"
    res = client.put(user_url, json={"enabled": True, "note": "beta"}, headers=admin.headers)
    assert res.status_code == 200, res.json
    first_id = res.json["id"]
    assert (res.json["target"], res.json["user_id"], res.json["note"]) == (
        "user",
        str(user.id),
        "beta",
    )
    res = client.put(user_url, json={"enabled": False}, headers=admin.headers)
    assert res.status_code == 200 and res.json["id"] == first_id  # replaced, not added
    assert (res.json["enabled"], res.json["note"]) == (False, None)
    res = client.put(team_url, json={"enabled": True}, headers=admin.headers)
    assert res.status_code == 200 and res.json["target"] == "team"
    overrides = client.get(f"{FLAGS}/{key}", headers=admin.headers).json["overrides"]
    assert [(o["target"], o["enabled"]) for o in overrides] == [("user", False), ("team", True)]

    assert client.delete(user_url, headers=admin.headers).status_code == 204
    assert client.delete(user_url, headers=admin.headers).status_code == 404
    missing_user = f"{FLAGS}/{key}/overrides/users/{uuid.uuid4()}"
    assert (
        client.put(missing_user, json={"enabled": True}, headers=admin.headers).status_code == 404
    )
    missing_flag = f"{FLAGS}/test.nothing_{uuid.uuid4().hex[:6]}/overrides/teams/{team}"
    assert (
        client.put(missing_flag, json={"enabled": True}, headers=admin.headers).status_code == 404
    )
    no_enabled = client.put(team_url, json={"note": "x"}, headers=admin.headers)
    assert (
        no_enabled.status_code == 422 and no_enabled.json["error"]["details"]["field"] == "enabled"
    )
    remaining = client.get(f"{FLAGS}/{key}", headers=admin.headers).json["overrides"]
    assert [o["target"] for o in remaining] == ["team"]


# ------------------------------------------------- evaluation via /me (cache)
def test_precedence_end_to_end_and_changes_are_seen_at_once(
    client: Any, admin: Admin, make_user: Any, make_team: Any
) -> None:
    """Every change goes through the admin API of this process, which invalidates the
    cache, so each one is visible to the very next request."""
    key = _key()
    alice, bob = make_user("alice"), make_user("bob")
    team = make_team(alice)
    assert client.post(FLAGS, json={"key": key}, headers=admin.headers).status_code == 201
    assert _mine(client, alice.headers)[key] == (False, "default")
    assert _mine(client)[key] == (False, "default")  # anonymous callers see the defaults too

    put = client.put(
        f"{FLAGS}/{key}/overrides/teams/{team}", json={"enabled": True}, headers=admin.headers
    )
    assert put.status_code == 200
    assert _mine(client, alice.headers)[key] == (True, "team_override")
    assert _mine(client, bob.headers)[key] == (False, "default")

    put = client.put(
        f"{FLAGS}/{key}/overrides/users/{alice.id}", json={"enabled": False}, headers=admin.headers
    )
    assert put.status_code == 200
    assert _mine(client, alice.headers)[key] == (False, "user_override")

    patch = client.patch(f"{FLAGS}/{key}", json={"enabled": True}, headers=admin.headers)
    assert patch.status_code == 200
    assert _mine(client, bob.headers)[key] == (True, "default")
    assert _mine(client, alice.headers)[key] == (False, "user_override")

    patch = client.patch(f"{FLAGS}/{key}", json={"rollout_percentage": 0}, headers=admin.headers)
    assert patch.status_code == 200
    assert _mine(client, bob.headers)[key] == (False, "rollout")
    assert _mine(client, alice.headers)[key] == (False, "user_override")

    delete = client.delete(f"{FLAGS}/{key}/overrides/users/{alice.id}", headers=admin.headers)
    assert delete.status_code == 204
    assert _mine(client, alice.headers)[key] == (True, "team_override")


def test_changes_behind_the_cache_are_seen_after_the_ttl(db: Database, admin: Admin) -> None:
    """A write the process did not make (another worker, the CLI) is seen once the
    snapshot expires; a write through the service invalidates at once."""

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    flags = FeatureFlags(db, ttl_s=5, clock=clock)
    service = FlagService(db, flags)
    key = _key()
    service.create(admin.actor, key, enabled=False)
    assert flags.is_enabled(key) is False
    with db.transaction(Identity.service()) as session:  # behind the cache's back
        session.execute(sa.update(FeatureFlag).where(FeatureFlag.key == key).values(enabled=True))
    assert flags.is_enabled(key) is False
    clock.now += 5.5
    assert flags.is_enabled(key) is True
    service.update(admin.actor, key, enabled=False)  # through the service: at once
    assert flags.is_enabled(key) is False


def test_database_errors_fall_back_without_failing_requests(
    app: Any, client: Any, admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key()
    assert (
        client.post(FLAGS, json={"key": key, "enabled": True}, headers=admin.headers).status_code
        == 201
    )
    assert _mine(client)[key] == (True, "default")  # read and cached by the app

    def unavailable(db: Database) -> Any:
        raise DatabaseUnavailable("database unavailable: connection refused")

    monkeypatch.setattr(flags_module, "load_snapshot", unavailable)
    app.extensions["cryoprotect"].flags.invalidate()
    assert _mine(client)[key] == (True, "default")  # last known values
    fresh = FeatureFlags(app.extensions["cryoprotect"].db)
    assert fresh.is_enabled(key) is False  # never read: off
    assert fresh.evaluate(API_TRAINING).source == "unavailable"
    monkeypatch.undo()
    app.extensions["cryoprotect"].flags.invalidate()


# ------------------------------------------------------------------ database
def test_overrides_are_invisible_and_unwritable_outside_the_service_role(
    db: Database, admin: Admin, make_user: Any
) -> None:
    user = make_user()
    service = FlagService(db, FeatureFlags(db))
    key = _key()
    service.create(admin.actor, key)
    service.set_override(admin.actor, key, user_id=user.id, enabled=True)
    with db.transaction(Identity.user(user.id)) as session:
        assert session.scalars(sa.select(FeatureFlagOverride)).all() == []
        flag_id = session.scalar(sa.select(FeatureFlag.id).where(FeatureFlag.key == key))
        assert flag_id is not None  # flags themselves are readable by everyone
    with pytest.raises(PermissionDenied), db.transaction(Identity.user(user.id)) as session:
        session.add(FeatureFlagOverride(flag_id=flag_id, user_id=user.id, enabled=False))
        session.flush()
    with pytest.raises(PermissionDenied), db.transaction(Identity.user(user.id)) as session:
        session.add(FeatureFlag(key=_key()))
        session.flush()
    with db.transaction(Identity.service()) as session:
        rows = session.scalars(
            sa.select(FeatureFlagOverride).where(FeatureFlagOverride.flag_id == flag_id)
        ).all()
        assert [(r.user_id, r.enabled) for r in rows] == [(user.id, True)]


def test_non_admin_actor_cannot_use_the_service(db: Database, make_user: Any) -> None:
    user = make_user()
    service = FlagService(db, FeatureFlags(db))
    with pytest.raises(PermissionDenied):
        service.create(user.actor, _key())
    with pytest.raises(PermissionDenied):
        service.list_flags(user.actor)


# ---------------------------------------------------- the real gate: training
def test_api_training_is_gated_by_its_flag(
    client: Any, admin: Admin, make_user: Any, make_team: Any
) -> None:
    """Overrides for fresh users and teams only: the flag stays on for everyone else."""
    blocked, allowed = make_user("blocked"), make_user("allowed")
    team = make_team(allowed)
    url = f"{FLAGS}/{API_TRAINING}/overrides/users/{blocked.id}"
    assert client.put(url, json={"enabled": False}, headers=admin.headers).status_code == 200
    body = {"dataset": f"no-such-dataset-{uuid.uuid4().hex[:6]}", "target": "viability_percent"}

    res = client.post("/api/v1/predictive-models", json=body, headers=blocked.headers)
    assert res.status_code == 403, res.json
    assert res.json["error"]["code"] == "feature_disabled"
    assert res.json["error"]["details"]["flag"] == API_TRAINING
    # Past the gate, the request fails on the (deliberately) unknown dataset instead.
    res = client.post("/api/v1/predictive-models", json=body, headers=allowed.headers)
    assert res.status_code == 404, res.json

    team_url = f"{FLAGS}/{API_TRAINING}/overrides/teams/{team}"
    assert client.put(team_url, json={"enabled": False}, headers=admin.headers).status_code == 200
    in_team = {**body, "team_id": str(team), "visibility": "team"}
    res = client.post("/api/v1/predictive-models", json=in_team, headers=allowed.headers)
    assert res.status_code == 403 and res.json["error"]["code"] == "feature_disabled"
    res = client.post("/api/v1/predictive-models", json=body, headers=allowed.headers)
    assert res.status_code == 404  # outside that team the flag is still on
    assert _mine(client, allowed.headers)[API_TRAINING] == (False, "team_override")
    assert _mine(client, make_user().headers)[API_TRAINING] == (True, "default")


# ----------------------------------------------------------------------- CLI
def test_cli_set_list_and_override(
    settings: Settings, db: Database, admin: Admin, make_user: Any, make_team: Any
) -> None:
    runner = CliRunner()
    env = {"CRYOPROTECT_HOME": str(settings.home), "DATABASE_URL": None}

    def cli(*args: str) -> Any:
        return runner.invoke(main, ["flags", *args], env=env, catch_exceptions=False)

    key, user = _key(), make_user()
    team = make_team(user)
    result = cli("set", key, "--on", "--rollout", "40", "--description", "from the CLI")
    assert result.exit_code == 0, result.output
    assert key in result.output and "rollout  40 %" in result.output
    result = cli("override", key, "--user", user.email, "--off", "--note", "opted out")
    assert result.exit_code == 0, result.output
    result = cli("override", key, "--team", str(team), "--on")
    assert result.exit_code == 0, result.output
    listed = cli("list")
    line = next(line for line in listed.output.splitlines() if line.startswith(key))
    assert "on  rollout  40 %" in line and "overrides: 1 user, 1 team" in line

    flag = FlagService(db, FeatureFlags(db)).get(admin.actor, key)
    assert (flag.enabled, flag.rollout_percentage, flag.description) == (
        True,
        40,
        "from the CLI",
    )
    assert {(o.target, o.enabled, o.note) for o in flag.overrides} == {
        ("user", False, "opted out"),
        ("team", True, None),
    }
    assert cli("set", key, "--off").exit_code == 0
    assert cli("override", key, "--user", str(user.id), "--clear").exit_code == 0
    flag = FlagService(db, FeatureFlags(db)).get(admin.actor, key)
    assert flag.enabled is False and [o.target for o in flag.overrides] == ["team"]

    bad = runner.invoke(main, ["flags", "override", key, "--on"], env=env)
    assert bad.exit_code == 2 and "exactly one of --user and --team" in bad.output
    missing = cli("override", f"test.nothing_{uuid.uuid4().hex[:6]}", "--team", str(team), "--on")
    assert missing.exit_code == 1 and "No feature flag" in missing.output
