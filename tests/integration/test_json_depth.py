"""Deeply nested JSON bodies are a 400 in the error envelope, never a 500 (issue 12, 9a).

Python's ``json`` parser recurses once per nesting level, so a 100,000-deep ``[[[…]]]``
body used to raise ``RecursionError`` inside request parsing. Bodies nested deeper than
``MAX_JSON_DEPTH`` are now refused before any parser sees them.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cryoprotect.api.json_limits import MAX_JSON_DEPTH, json_depth_exceeds

pytestmark = pytest.mark.integration

DEEP = 100_000
BODIES = {
    "arrays": "[" * DEEP + "]" * DEEP,
    "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
    "unclosed": "[" * DEEP,
}
ENDPOINTS = ("/api/v1/auth/login", "/api/v1/molecules", "/api/v1/mixtures")


def _assert_too_deep(res: Any) -> None:
    assert res.status_code == 400, res.get_data(as_text=True)[:500]
    body = res.get_json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "bad_request"
    assert str(MAX_JSON_DEPTH) in error["message"]
    assert error["details"] == {"field": "body", "max_depth": MAX_JSON_DEPTH}


@pytest.mark.parametrize("shape", sorted(BODIES))
@pytest.mark.parametrize("path", ENDPOINTS)
def test_deeply_nested_body_is_400(client: Any, make_user: Any, path: str, shape: str) -> None:
    user = make_user("deep")
    headers = {} if path.endswith("login") else user.headers
    res = client.post(path, data=BODIES[shape], content_type="application/json", headers=headers)
    _assert_too_deep(res)
    # The app keeps serving: the same user can still read and write.
    assert client.get("/api/v1/users/me", headers=user.headers).status_code == 200
    created = client.post(
        "/api/v1/mixtures",
        json={
            "name": f"after-deep-{uuid.uuid4().hex[:8]}",
            "components": [{"molecule": "glycerol", "amount": 10, "unit": "% w/v"}],
        },
        headers=user.headers,
    )
    assert created.status_code in (201, 422), created.get_data(as_text=True)[:500]


def test_deep_body_with_json_suffix_media_type_is_400(client: Any) -> None:
    res = client.post(
        "/api/v1/auth/login",
        data=BODIES["arrays"],
        content_type="application/merge-patch+json",
    )
    _assert_too_deep(res)


def test_nesting_at_the_limit_is_parsed_normally(client: Any) -> None:
    # MAX_JSON_DEPTH levels: no longer refused for depth; the schema then rejects the shape.
    value = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    body = '{"email": ' + value + ', "password": "x"}'
    res = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert res.status_code == 422, res.get_data(as_text=True)[:500]


@pytest.mark.parametrize(
    ("body", "deep"),
    [
        (b"[]", False),
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', False),
        (b'"\\"' + b"[" * 100 + b'"', False),
        (b"[" * 65 + b"]" * 65, True),
        (b"[]" * 10_000, False),
        (b'["\\\\", ' + b"[" * 70 + b"]" * 70 + b"]", True),
        (b'"unterminated [[[[' + b"[" * 100, False),
    ],
)
def test_depth_scan(body: bytes, deep: bool) -> None:
    assert json_depth_exceeds(body, 64) is deep
