"""Rate limits (``ops/ratelimit.py``) with tight limits, in memory and on Redis.

The session app runs with rate limits off (tests/conftest.py); each test here builds its
own app on the session database with ``RATELIMIT_DEFAULT`` of 4 per 2 seconds and
``RATELIMIT_AUTH`` of 2 per 2 seconds. Users are registered through the unlimited session
app; each test uses fresh users and its own client address, so counters kept in a shared
Redis never leak between tests or runs. Waiting out a window is a sleep for the
``Retry-After`` the app announced, never a timing assertion.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from cryoprotect.db.database import Database
from cryoprotect.settings import Settings
from tests.conftest import require

pytestmark = pytest.mark.integration

DEFAULT_LIMIT, AUTH_LIMIT = 4, 2
REDIS_URI = "redis://127.0.0.1:6379/13"
ME = "/api/v1/users/me"
TEAMS = "/api/v1/teams"
LOGIN = "/api/v1/auth/login"


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URI, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    require(_redis_reachable(), f"no Redis server answers at {REDIS_URI}")
    return REDIS_URI


def _limited_app(settings: Settings, db: Database, storage_uri: str) -> Any:
    from cryoprotect.app import create_app

    limited = replace(
        settings,
        ratelimit_enabled=True,
        ratelimit_default=f"{DEFAULT_LIMIT} per 2 seconds",
        ratelimit_auth=f"{AUTH_LIMIT} per 2 seconds",
        ratelimit_storage_uri=storage_uri,
    )
    return create_app(limited, db)


@pytest.fixture
def limited(settings: Settings, db: Database, storage_uri: str) -> Iterator[Any]:
    """A test client of an app with tight limits, sending from its own loopback address."""
    client = _limited_app(settings, db, storage_uri).test_client()
    client.environ_base["REMOTE_ADDR"] = _address()
    yield client


def _address() -> str:
    return "127.{}.{}.{}".format(*(random.randint(1, 254) for _ in range(3)))  # noqa: S311


def _retry_after_s(res: Any) -> int:
    assert res.status_code == 429, res.get_json()
    value = int(res.headers["Retry-After"])
    assert 1 <= value <= 2  # within the 2-second window
    return value


def test_429_after_the_limit_with_headers_and_envelope_then_reset(
    limited: Any, make_user: Any
) -> None:
    user = make_user()
    remaining = []
    for _ in range(DEFAULT_LIMIT):
        res = limited.get(ME, headers=user.headers)
        assert res.status_code == 200, res.json
        assert res.headers["X-RateLimit-Limit"] == str(DEFAULT_LIMIT)
        assert "Retry-After" not in res.headers  # only where it means "come back later"
        remaining.append(int(res.headers["X-RateLimit-Remaining"]))
    assert remaining == [3, 2, 1, 0]

    res = limited.get(ME, headers=user.headers)
    wait_s = _retry_after_s(res)
    body = res.get_json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["details"] == {"limit": "4 per 2 second", "retry_after_s": wait_s}
    assert "4 per 2 second" in body["error"]["message"]
    assert res.headers["X-RateLimit-Remaining"] == "0"
    assert int(res.headers["X-RateLimit-Reset"]) >= int(time.time())

    time.sleep(wait_s)  # wait out the window the app announced
    res = limited.get(ME, headers=user.headers)
    assert res.status_code == 200, res.json
    assert res.headers["X-RateLimit-Remaining"] == str(DEFAULT_LIMIT - 1)


def test_users_are_counted_separately_and_by_user_not_address(limited: Any, make_user: Any) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    for _ in range(DEFAULT_LIMIT):
        assert limited.get(ME, headers=alice.headers).status_code == 200
    assert limited.get(ME, headers=alice.headers).status_code == 429
    # Bob, and an anonymous caller from the same address, have their own counters.
    assert limited.get(ME, headers=bob.headers).status_code == 200
    assert limited.get(TEAMS).status_code == 200
    # Alice is limited from any address: her key is her user id.
    elsewhere = {"REMOTE_ADDR": _address()}
    res = limited.get(ME, headers=alice.headers, environ_base=elsewhere)
    assert res.status_code == 429
    # The limit is per endpoint: another endpoint has its own counter for Alice.
    assert limited.get(TEAMS, headers=alice.headers).status_code == 200


def test_anonymous_callers_are_counted_by_address(limited: Any) -> None:
    for _ in range(DEFAULT_LIMIT):
        assert limited.get(TEAMS).status_code == 200
    assert limited.get(TEAMS).status_code == 429
    assert limited.get(TEAMS, environ_base={"REMOTE_ADDR": _address()}).status_code == 200


def test_auth_endpoints_have_the_stricter_limit(limited: Any, make_user: Any) -> None:
    user = make_user()
    wrong = {"email": user.email, "password": "not the password"}
    for _ in range(AUTH_LIMIT):
        assert limited.post(LOGIN, json=wrong).status_code == 401
    res = limited.post(LOGIN, json=wrong)
    wait_s = _retry_after_s(res)
    assert res.get_json()["error"]["details"]["limit"] == "2 per 2 second"
    assert res.headers["X-RateLimit-Limit"] == str(AUTH_LIMIT)
    # Even the right password waits: the limit is on attempts, not failures.
    right = {"email": user.email, "password": user.password}
    assert limited.post(LOGIN, json=right).status_code == 429
    # Registration and refresh have the same limit, each with its own counter.
    for _ in range(AUTH_LIMIT):
        res = limited.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 40})
        assert res.status_code == 401
    assert limited.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 40}).status_code == 429
    email = f"limited-{uuid.uuid4().hex[:8]}@example.org"
    for i in range(AUTH_LIMIT):
        body = {"email": f"{i}{email}", "password": "long enough pw"}
        assert limited.post("/api/v1/auth/register", json=body).status_code == 202
    body = {"email": f"x{email}", "password": "long enough pw"}
    assert limited.post("/api/v1/auth/register", json=body).status_code == 429
    time.sleep(wait_s)
    assert limited.post(LOGIN, json=right).status_code == 200


def test_health_and_metrics_are_never_limited(limited: Any) -> None:
    for path in ("/health", "/health/ready", "/metrics"):
        for _ in range(DEFAULT_LIMIT * 3):
            res = limited.get(path)
            assert res.status_code == 200, (path, res.status_code)
        assert "X-RateLimit-Limit" not in res.headers, path


def test_unreachable_redis_falls_back_to_memory_counters(
    settings: Settings, db: Database, make_user: Any
) -> None:
    # Nothing listens on port 1 of the loopback interface: every Redis call is refused.
    client = _limited_app(settings, db, "redis://127.0.0.1:1/0").test_client()
    user = make_user()
    for _ in range(DEFAULT_LIMIT):
        assert client.get(ME, headers=user.headers).status_code == 200
    assert client.get(ME, headers=user.headers).status_code == 429


def test_the_test_suite_runs_without_limits(client: Any, make_user: Any) -> None:
    user = make_user()
    for _ in range(DEFAULT_LIMIT + 2):
        res = client.get(ME, headers=user.headers)
        assert res.status_code == 200
    assert "X-RateLimit-Limit" not in res.headers


def test_openapi_documents_429_outside_the_health_checks(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            if path.startswith("/health"):
                assert "429" not in responses, path
                continue
            assert "429" in responses, (method, path)
            assert {"Retry-After", "X-RateLimit-Limit"} <= set(responses["429"]["headers"])
            schema = responses["429"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}


def test_invalid_rate_limit_settings_are_rejected_naming_the_variable(settings: Settings) -> None:
    from cryoprotect.errors import ValidationError

    home = str(settings.home)

    with pytest.raises(ValidationError) as excinfo:
        Settings.from_env({"CRYOPROTECT_HOME": home, "RATELIMIT_AUTH": "lots"})
    assert excinfo.value.field == "RATELIMIT_AUTH"
    parsed = Settings.from_env(
        {
            "CRYOPROTECT_HOME": home,
            "RATELIMIT_DEFAULT": "10/second;100/hour",
            "RATELIMIT_ENABLED": "false",
            "RATELIMIT_STORAGE_URI": REDIS_URI,
        }
    )
    assert (parsed.ratelimit_default, parsed.ratelimit_enabled) == ("10/second;100/hour", False)
    assert parsed.ratelimit_storage_uri == REDIS_URI
    assert Settings.from_env({"CRYOPROTECT_HOME": home}).ratelimit_auth == "20 per minute"
