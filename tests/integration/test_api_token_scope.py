"""A personal API token cannot mint, list or revoke other API tokens (issue 12, 9c).

API tokens are long-lived credentials for scripts. Were a script's token able to create
more tokens, one leak would outlive its revocation; so managing API tokens needs a
signed-in session (an access token from /auth/login): 403 ``forbidden`` otherwise. A
script may still revoke the very token it uses.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

TOKENS = "/api/v1/users/me/api-tokens"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _new_token(client: Any, user: Any, name: str = "script") -> dict[str, Any]:
    res = client.post(TOKENS, json={"name": name}, headers=user.headers)
    assert res.status_code == 201, res.get_json()
    body: dict[str, Any] = res.get_json()
    return body


def _assert_403(res: Any) -> None:
    assert res.status_code == 403, res.get_data(as_text=True)
    error = res.get_json()["error"]
    assert error["code"] == "forbidden"
    assert "API token" in error["message"] and "sign in" in error["message"]
    assert error["details"] == {"credential": "api_token"}


def test_api_token_cannot_create_api_tokens(make_user: Any, client: Any) -> None:
    user = make_user("mint")
    token = _new_token(client, user)
    _assert_403(client.post(TOKENS, json={"name": "child"}, headers=_bearer(token["token"])))
    listed = client.get(TOKENS, headers=user.headers).get_json()
    assert [t["id"] for t in listed] == [token["id"]]


def test_api_token_cannot_list_or_revoke_other_tokens(make_user: Any, client: Any) -> None:
    user = make_user("list")
    first, second = _new_token(client, user, "first"), _new_token(client, user, "second")
    _assert_403(client.get(TOKENS, headers=_bearer(first["token"])))
    _assert_403(client.delete(f"{TOKENS}/{second['id']}", headers=_bearer(first["token"])))
    assert client.get("/api/v1/users/me", headers=_bearer(second["token"])).status_code == 200


def test_api_token_may_revoke_itself(make_user: Any, client: Any) -> None:
    user = make_user("self")
    token = _new_token(client, user)
    res = client.delete(f"{TOKENS}/{token['id']}", headers=_bearer(token["token"]))
    assert res.status_code == 204
    assert client.get("/api/v1/users/me", headers=_bearer(token["token"])).status_code == 401


def test_api_token_still_does_ordinary_work(make_user: Any, client: Any) -> None:
    user = make_user("work")
    token = _new_token(client, user)
    headers = _bearer(token["token"])
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    res = client.patch("/api/v1/users/me", json={"display_name": "script"}, headers=headers)
    assert res.status_code == 200
    assert client.get("/api/v1/molecules", headers=headers).status_code == 200


def test_signed_in_session_manages_tokens(make_user: Any, client: Any) -> None:
    user = make_user("session")
    token = _new_token(client, user)
    assert client.get(TOKENS, headers=user.headers).status_code == 200
    assert client.delete(f"{TOKENS}/{token['id']}", headers=user.headers).status_code == 204
