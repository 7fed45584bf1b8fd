"""Who may read ``/metrics`` (issue 12, 9d): client networks and an optional bearer token.

By default loopback and the private ranges may scrape (a Prometheus on the same host or
container network); any other address gets 403. ``CRYOPROTECT_METRICS_TOKEN`` adds a
bearer token (401 without it). Behind trusted proxies the forwarded client address counts.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from cryoprotect.errors import ValidationError
from cryoprotect.ops.metrics_access import client_allowed
from cryoprotect.settings import DEFAULT_METRICS_ALLOW, Settings

pytestmark = pytest.mark.integration

TOKEN = "scrape-" + "t" * 40


def _app(settings: Settings, db: Any, **changes: Any) -> Any:
    from cryoprotect.app import create_app

    return create_app(dataclasses.replace(settings, **changes), db)


def _get(client: Any, address: str, **kwargs: Any) -> Any:
    return client.get("/metrics", environ_base={"REMOTE_ADDR": address}, **kwargs)


def _assert_refused(res: Any, status: int) -> None:
    assert res.status_code == status, res.get_data(as_text=True)[:300]
    error = res.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert "app_request_count" not in res.get_data(as_text=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "172.18.0.5", "192.168.1.9"])
def test_default_allows_loopback_and_private_networks(client: Any, address: str) -> None:
    res = _get(client, address)
    assert res.status_code == 200
    assert "app_request_count" in res.get_data(as_text=True)


@pytest.mark.parametrize("address", ["203.0.113.7", "8.8.8.8", "2001:db8::1", "172.32.0.1"])
def test_default_refuses_public_addresses(client: Any, address: str) -> None:
    res = _get(client, address)
    _assert_refused(res, 403)
    assert res.get_json()["error"]["code"] == "forbidden"
    # Only /metrics is restricted.
    assert client.get("/health", environ_base={"REMOTE_ADDR": address}).status_code == 200


def test_configured_networks_replace_the_default(settings: Settings, db: Any) -> None:
    client = _app(settings, db, metrics_allow=("203.0.113.0/24",)).test_client()
    assert _get(client, "203.0.113.7").status_code == 200
    _assert_refused(_get(client, "127.0.0.1"), 403)


def test_token_is_required_when_set(settings: Settings, db: Any) -> None:
    client = _app(settings, db, metrics_token=TOKEN).test_client()
    missing = _get(client, "127.0.0.1")
    _assert_refused(missing, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    _assert_refused(_get(client, "127.0.0.1", headers={"Authorization": "Bearer wrong"}), 401)
    _assert_refused(_get(client, "127.0.0.1", headers={"Authorization": TOKEN}), 401)
    good = _get(client, "127.0.0.1", headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status_code == 200
    assert "app_request_count" in good.get_data(as_text=True)
    # The token does not open the door to a refused address.
    far = _get(client, "203.0.113.7", headers={"Authorization": f"Bearer {TOKEN}"})
    _assert_refused(far, 403)


def test_forwarded_client_counts_behind_a_trusted_proxy(settings: Settings, db: Any) -> None:
    client = _app(settings, db, trust_proxy=1).test_client()
    via_proxy = {"X-Forwarded-For": "203.0.113.7"}
    _assert_refused(_get(client, "127.0.0.1", headers=via_proxy), 403)
    local = _get(client, "127.0.0.1", headers={"X-Forwarded-For": "10.0.0.4"})
    assert local.status_code == 200


def test_untrusted_forwarded_header_is_ignored(client: Any) -> None:
    # Without CRYOPROTECT_TRUST_PROXY a client cannot claim a private address.
    res = _get(client, "203.0.113.7", headers={"X-Forwarded-For": "127.0.0.1"})
    _assert_refused(res, 403)


def test_client_allowed_edge_cases() -> None:
    import ipaddress

    nets = tuple(ipaddress.ip_network(n) for n in DEFAULT_METRICS_ALLOW)
    assert client_allowed("::ffff:127.0.0.1", nets)
    assert not client_allowed("::ffff:8.8.8.8", nets)
    assert not client_allowed("", nets)
    assert not client_allowed(None, nets)
    assert not client_allowed("not-an-address", nets)
    assert not client_allowed("127.0.0.1", ())


def test_settings_parse_the_allow_list(tmp_path: Path) -> None:
    env = {"CRYOPROTECT_HOME": str(tmp_path)}
    assert Settings.from_env(env).metrics_allow == DEFAULT_METRICS_ALLOW
    parsed = Settings.from_env({**env, "CRYOPROTECT_METRICS_ALLOW": " 10.1.2.3/8, ::1 ,"})
    assert parsed.metrics_allow == ("10.0.0.0/8", "::1/128")
    assert Settings.from_env({**env, "CRYOPROTECT_METRICS_ALLOW": "none"}).metrics_allow == ()
    with pytest.raises(ValidationError, match="CRYOPROTECT_METRICS_ALLOW"):
        Settings.from_env({**env, "CRYOPROTECT_METRICS_ALLOW": "10.0.0.0/33"})
    token = Settings.from_env({**env, "CRYOPROTECT_METRICS_TOKEN": TOKEN})
    assert token.metrics_token == TOKEN
    assert TOKEN not in repr(token)
