"""Accounts and credentials through the REST API: registration, login, bearer access
tokens (expired, tampered, unsigned, malformed), refresh-token rotation with reuse
detection, logout, and personal API tokens.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

pytestmark = pytest.mark.integration

ME = "/api/v1/users/me"
TOKENS = "/api/v1/users/me/api-tokens"


def _email(prefix: str = "auth") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def assert_error(res: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response has ``status`` and the single error envelope; returns ``error``."""
    assert res.status_code == status, res.get_data(as_text=True)
    body = res.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    if status == 401:
        assert res.headers.get("WWW-Authenticate", "").startswith("Bearer"), dict(res.headers)
    return error


def _secret(app: Any) -> str:
    return app.extensions["cryoprotect"].settings.resolved_secret_key()


def _claims(user_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": "authenticated",
        "type": "access",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------ register
def _me(client: Any, email: str, password: str) -> Any:
    login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.json
    return client.get("/api/v1/users/me", headers=_bearer(login.get_json()["access_token"]))


def test_register_creates_account(client: Any) -> None:
    email = _email()
    res = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": "long enough pw", "display_name": "Ada"},
    )
    assert res.status_code == 202, res.json
    body = res.get_json()
    assert set(body) == {"status", "message"} and body["status"] == "accepted"
    me = _me(client, email, "long enough pw").get_json()
    assert me["email"] == email
    assert me["display_name"] == "Ada"
    uuid.UUID(me["id"])
    assert "password" not in me and "password_hash" not in me


def test_second_registration_is_not_admin(client: Any) -> None:
    # Whichever account is first on the session database, the later one is never admin.
    for _ in range(2):
        email = _email()
        res = client.post(
            "/api/v1/auth/register", json={"email": email, "password": "long enough pw"}
        )
        assert res.status_code == 202, res.json
    assert _me(client, email, "long enough pw").get_json()["is_admin"] is False


def test_register_existing_email_answers_like_a_new_one(client: Any) -> None:
    """No account enumeration: registering a taken address (in any spelling) gets the same
    status and body as a new one, and the existing account is left as it was."""
    email = _email()
    first = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": "long enough pw", "display_name": "Ada"},
    )
    fresh = client.post(
        "/api/v1/auth/register", json={"email": _email(), "password": "another pw 123"}
    )
    assert first.status_code == fresh.status_code == 202
    for variant in (email, email.upper(), f"  {email}  "):
        res = client.post(
            "/api/v1/auth/register",
            json={"email": variant, "password": "another pw 123", "display_name": "Mallory"},
        )
        assert res.status_code == 202
        assert res.get_json() == fresh.get_json()
    # The account still has its own password and name; the second password does not work.
    assert _me(client, email, "long enough pw").get_json()["display_name"] == "Ada"
    wrong = client.post("/api/v1/auth/login", json={"email": email, "password": "another pw 123"})
    assert wrong.status_code == 401


@pytest.mark.parametrize("bad", ["not-an-email", "a@b", "two@@example.org", "sp ace@example.org"])
def test_register_bad_email_is_422_naming_email(client: Any, bad: str) -> None:
    res = client.post("/api/v1/auth/register", json={"email": bad, "password": "long enough pw"})
    error = assert_error(res, 422)
    assert error["details"]["field"] == "email"


def test_register_short_password_is_422_naming_password(client: Any) -> None:
    res = client.post("/api/v1/auth/register", json={"email": _email(), "password": "short"})
    error = assert_error(res, 422)
    assert error["details"]["field"] == "password"
    assert "8" in error["message"]


# --------------------------------------------------------------------- login
def test_login_returns_token_pair(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert res.status_code == 200
    body = res.get_json()
    assert body["token_type"] == "Bearer"  # noqa: S105
    assert body["expires_in"] > 0
    assert body["access_token"] and body["refresh_token"]
    assert body["refresh_token"] != user.refresh_token


def test_login_wrong_password_and_unknown_email_are_indistinguishable(
    make_user: Any, client: Any
) -> None:
    user = make_user()
    wrong = client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "wrong password"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": _email("nobody"), "password": "whatever 123"}
    )
    wrong_error = assert_error(wrong, 401, "unauthorized")
    unknown_error = assert_error(unknown, 401, "unauthorized")
    assert wrong_error["message"] == unknown_error["message"]
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


# ------------------------------------------------------------- access tokens
def test_me_without_token_is_401(client: Any) -> None:
    assert_error(client.get(ME), 401, "unauthorized")


def test_me_with_valid_token(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.get(ME, headers=user.headers)
    assert res.status_code == 200
    assert res.get_json()["id"] == str(user.id)
    assert res.get_json()["email"] == user.email


def test_expired_token_is_401(app: Any, make_user: Any, client: Any) -> None:
    user = make_user()
    past = datetime.now(UTC) - timedelta(hours=1)
    token = jwt.encode(
        _claims(user.id, iat=past - timedelta(minutes=15), exp=past),
        _secret(app),
        algorithm="HS256",
    )
    error = assert_error(client.get(ME, headers=_bearer(token)), 401, "unauthorized")
    assert "expired" in error["message"].lower()


def test_freshly_signed_token_with_app_secret_is_accepted(
    app: Any, make_user: Any, client: Any
) -> None:
    # Control for the negative cases below: the crafted claims themselves are valid.
    user = make_user()
    token = jwt.encode(_claims(user.id), _secret(app), algorithm="HS256")
    assert client.get(ME, headers=_bearer(token)).status_code == 200


def test_tampered_signature_is_401(make_user: Any, client: Any) -> None:
    user = make_user()
    header, payload, signature = user.access_token.split(".")
    # Flip a character in the middle (the last one may only carry padding bits).
    i = len(signature) // 2
    flipped = signature[:i] + ("A" if signature[i] != "A" else "B") + signature[i + 1 :]
    res = client.get(ME, headers=_bearer(f"{header}.{payload}.{flipped}"))
    assert_error(res, 401, "unauthorized")


def test_tampered_payload_is_401(make_user: Any, client: Any) -> None:
    user, other = make_user(), make_user()
    header, payload, signature = user.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(other.id)
    forged = _b64(json.dumps(claims).encode())
    res = client.get(ME, headers=_bearer(f"{header}.{forged}.{signature}"))
    assert_error(res, 401, "unauthorized")


def test_token_signed_with_another_key_is_401(make_user: Any, client: Any) -> None:
    user = make_user()
    token = jwt.encode(_claims(user.id), "some-other-secret-key-" + "y" * 32, algorithm="HS256")
    assert_error(client.get(ME, headers=_bearer(token)), 401, "unauthorized")


def test_unsigned_alg_none_token_is_401(make_user: Any, client: Any) -> None:
    user = make_user()
    now = int(datetime.now(UTC).timestamp())
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(
        json.dumps(
            {
                "sub": str(user.id),
                "role": "authenticated",
                "type": "access",
                "iat": now,
                "exp": now + 300,
            }
        ).encode()
    )
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        assert_error(client.get(ME, headers=_bearer(token)), 401, "unauthorized")


def test_token_of_other_type_is_401(app: Any, make_user: Any, client: Any) -> None:
    user = make_user()
    token = jwt.encode(_claims(user.id, type="refresh"), _secret(app), algorithm="HS256")
    assert_error(client.get(ME, headers=_bearer(token)), 401, "unauthorized")


@pytest.mark.parametrize(
    "header",
    [
        "Token abc",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "bearer-abc",
        "Bearer not.a.jwt",
        "Bearer cpt_not-a-real-token",
    ],
)
def test_malformed_authorization_header_is_401(client: Any, header: str) -> None:
    assert_error(client.get(ME, headers={"Authorization": header}), 401, "unauthorized")


def test_malformed_header_is_401_even_on_public_endpoint(client: Any) -> None:
    # A present-but-invalid credential is never silently downgraded to anonymous.
    assert client.get("/api/v1/molecules").status_code == 200
    assert_error(client.get("/api/v1/molecules", headers={"Authorization": "Token x"}), 401)


def test_token_for_unknown_user_is_401(app: Any, client: Any) -> None:
    token = jwt.encode(_claims(uuid.uuid4()), _secret(app), algorithm="HS256")
    assert_error(client.get(ME, headers=_bearer(token)), 401, "unauthorized")


def test_token_with_non_uuid_subject_is_401(app: Any, client: Any) -> None:
    token = jwt.encode(_claims("not-a-uuid"), _secret(app), algorithm="HS256")
    assert_error(client.get(ME, headers=_bearer(token)), 401, "unauthorized")


# ---------------------------------------------------------- refresh/logout
def _refresh(client: Any, token: str) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_and_detects_reuse(make_user: Any, client: Any) -> None:
    user = make_user()
    first = _refresh(client, user.refresh_token)
    assert first.status_code == 200, first.json
    pair = first.get_json()
    assert pair["refresh_token"] != user.refresh_token
    assert pair["access_token"] != user.access_token
    assert client.get(ME, headers=_bearer(pair["access_token"])).status_code == 200

    # The rotated token is dead; presenting it again is treated as theft ...
    assert_error(_refresh(client, user.refresh_token), 401, "unauthorized")
    # ... which revokes the whole family, including the pair just issued.
    assert_error(_refresh(client, pair["refresh_token"]), 401, "unauthorized")


def test_refresh_chain_works_without_reuse(make_user: Any, client: Any) -> None:
    user = make_user()
    token = user.refresh_token
    for _ in range(3):
        res = _refresh(client, token)
        assert res.status_code == 200, res.json
        token = res.get_json()["refresh_token"]


def test_refresh_with_unknown_token_is_401(client: Any) -> None:
    assert_error(_refresh(client, "definitely-not-issued"), 401, "unauthorized")


def test_logout_revokes_refresh_token(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.post(
        "/api/v1/auth/logout", json={"refresh_token": user.refresh_token}, headers=user.headers
    )
    assert res.status_code == 204
    assert_error(_refresh(client, user.refresh_token), 401, "unauthorized")


def test_logout_without_token_revokes_all(make_user: Any, client: Any) -> None:
    user = make_user()
    second = client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    other_refresh = second.get_json()["refresh_token"]
    assert client.post("/api/v1/auth/logout", json={}, headers=user.headers).status_code == 204
    assert_error(_refresh(client, user.refresh_token), 401)
    assert_error(_refresh(client, other_refresh), 401)


def test_logout_requires_sign_in(make_user: Any, client: Any) -> None:
    user = make_user()
    res = client.post("/api/v1/auth/logout", json={"refresh_token": user.refresh_token})
    assert_error(res, 401)
    assert _refresh(client, user.refresh_token).status_code == 200


def test_logout_cannot_revoke_someone_elses_refresh_token(make_user: Any, client: Any) -> None:
    victim, attacker = make_user(), make_user()
    res = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": victim.refresh_token},
        headers=attacker.headers,
    )
    assert res.status_code == 204
    assert _refresh(client, victim.refresh_token).status_code == 200


# ---------------------------------------------------------------- API tokens
def test_api_token_lifecycle(make_user: Any, client: Any) -> None:
    user = make_user()
    created = client.post(TOKENS, json={"name": "my script"}, headers=user.headers)
    assert created.status_code == 201, created.json
    body = created.get_json()
    secret = body["token"]
    assert secret.startswith("cpt_")
    assert body["prefix"] == secret[: len(body["prefix"])]
    assert body["revoked_at"] is None

    listed = client.get(TOKENS, headers=user.headers)
    assert listed.status_code == 200
    rows = listed.get_json()
    assert [r["id"] for r in rows] == [body["id"]]
    assert all("token" not in r for r in rows)
    assert secret not in listed.get_data(as_text=True)

    me = client.get(ME, headers=_bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["id"] == str(user.id)
    used = client.get(TOKENS, headers=user.headers).get_json()[0]
    assert used["last_used_at"] is not None

    assert client.delete(f"{TOKENS}/{body['id']}", headers=user.headers).status_code == 204
    assert_error(client.get(ME, headers=_bearer(secret)), 401, "unauthorized")
    assert client.get(TOKENS, headers=user.headers).get_json()[0]["revoked_at"] is not None


def test_api_token_of_another_user_cannot_be_revoked(make_user: Any, client: Any) -> None:
    owner, other = make_user(), make_user()
    body = client.post(TOKENS, json={"name": "mine"}, headers=owner.headers).get_json()
    assert_error(client.delete(f"{TOKENS}/{body['id']}", headers=other.headers), 404, "not_found")
    assert client.get(ME, headers=_bearer(body["token"])).status_code == 200
    assert client.get(TOKENS, headers=other.headers).get_json() == []


def test_api_token_endpoints_require_sign_in(client: Any) -> None:
    assert_error(client.get(TOKENS), 401)
    assert_error(client.post(TOKENS, json={"name": "x"}), 401)
    assert_error(client.delete(f"{TOKENS}/{uuid.uuid4()}"), 401)
