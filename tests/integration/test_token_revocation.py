"""Signing out revokes the access token at once, not when it expires (issue 12, 9b).

Logout records the access token's ``jti`` in ``auth.revoked_tokens`` (migration 0013) and
revokes the refresh token of the same sign-in session; every request authenticated by an
access token checks the ``jti``. Rows are visible to their owner only (RLS) and are pruned
once the token they name has expired.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity
from cryoprotect.db.models import RevokedToken

pytestmark = pytest.mark.integration

ME = "/api/v1/users/me"
LOGOUT = "/api/v1/auth/logout"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _login(client: Any, user: Any) -> dict[str, str]:
    res = client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    assert res.status_code == 200, res.get_json()
    tokens: dict[str, str] = res.get_json()
    return tokens


def _refresh(client: Any, token: str) -> Any:
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def _assert_401(res: Any) -> dict[str, Any]:
    assert res.status_code == 401, res.get_data(as_text=True)
    error: dict[str, Any] = res.get_json()["error"]
    assert error["code"] == "unauthorized"
    assert res.headers["WWW-Authenticate"].startswith("Bearer")
    return error


def test_access_token_is_refused_after_logout(make_user: Any, client: Any) -> None:
    user = make_user("revoke")
    assert client.get(ME, headers=user.headers).status_code == 200
    assert client.post(LOGOUT, headers=user.headers).status_code == 204
    error = _assert_401(client.get(ME, headers=user.headers))
    assert "revoked" in error["message"].lower()
    # Every authenticated endpoint, not only /users/me, and writes as well as reads.
    _assert_401(client.get("/api/v1/molecules", headers=user.headers))
    _assert_401(
        client.post("/api/v1/users/me/api-tokens", json={"name": "x"}, headers=user.headers)
    )
    _assert_401(client.post(LOGOUT, headers=user.headers))


def test_logout_ends_only_its_own_session(make_user: Any, client: Any) -> None:
    user = make_user("sessions")
    other = _login(client, user)  # a second sign-in, e.g. another browser
    res = client.post(LOGOUT, json={"refresh_token": user.refresh_token}, headers=user.headers)
    assert res.status_code == 204
    _assert_401(client.get(ME, headers=user.headers))
    _assert_401(_refresh(client, user.refresh_token))
    assert client.get(ME, headers=_bearer(other["access_token"])).status_code == 200
    assert _refresh(client, other["refresh_token"]).status_code == 200


def test_logout_without_body_revokes_the_sessions_refresh_token(
    make_user: Any, client: Any
) -> None:
    user = make_user("nobody")
    assert client.post(LOGOUT, headers=user.headers).status_code == 204
    _assert_401(_refresh(client, user.refresh_token))


def test_logout_naming_another_refresh_token_still_ends_this_session(
    make_user: Any, client: Any
) -> None:
    user = make_user("named")
    other = _login(client, user)
    res = client.post(LOGOUT, json={"refresh_token": other["refresh_token"]}, headers=user.headers)
    assert res.status_code == 204
    _assert_401(_refresh(client, other["refresh_token"]))
    _assert_401(_refresh(client, user.refresh_token))  # this session's refresh token too
    _assert_401(client.get(ME, headers=user.headers))


def test_refreshed_access_token_belongs_to_the_new_session(make_user: Any, client: Any) -> None:
    user = make_user("rotated")
    pair = _refresh(client, user.refresh_token).get_json()
    assert client.post(LOGOUT, headers=_bearer(pair["access_token"])).status_code == 204
    _assert_401(client.get(ME, headers=_bearer(pair["access_token"])))
    _assert_401(_refresh(client, pair["refresh_token"]))


def test_other_users_tokens_are_unaffected(make_user: Any, client: Any) -> None:
    leaving, staying = make_user("leaving"), make_user("staying")
    assert client.post(LOGOUT, headers=leaving.headers).status_code == 204
    assert client.get(ME, headers=staying.headers).status_code == 200
    assert _refresh(client, staying.refresh_token).status_code == 200


def test_access_token_without_jti_is_refused(app: Any, make_user: Any, client: Any) -> None:
    # A token that could never be revoked is not accepted.
    user = make_user("nojti")
    now = datetime.now(UTC)
    claims = {"sub": str(user.id), "type": "access", "iat": now, "exp": now + timedelta(minutes=5)}
    key = app.extensions["cryoprotect"].settings.resolved_secret_key()
    _assert_401(client.get(ME, headers=_bearer(jwt.encode(claims, key, algorithm="HS256"))))


def test_revocation_rows_are_private_and_pruned(make_user: Any, client: Any, db: Database) -> None:
    alice, bob = make_user("rowa"), make_user("rowb")
    assert client.post(LOGOUT, headers=alice.headers).status_code == 204
    with db.transaction(Identity.user(alice.id)) as session:
        mine = session.scalars(sa.select(RevokedToken)).all()
        assert [r.user_id for r in mine] == [alice.id]
        assert mine[0].expires_at > datetime.now(UTC)
    with db.transaction(Identity.user(bob.id)) as session:
        assert session.scalars(sa.select(RevokedToken)).all() == []
        # Nobody records a revocation in someone else's name (RLS WITH CHECK).
        with pytest.raises(sa.exc.ProgrammingError), session.begin_nested():
            session.add(
                RevokedToken(
                    jti=uuid.uuid4().hex,
                    user_id=alice.id,
                    expires_at=datetime.now(UTC) + timedelta(minutes=5),
                )
            )
            session.flush()
    # An expired row is pruned by the next sign-out (of anyone).
    stale = uuid.uuid4().hex
    with db.transaction(Identity.service()) as session:
        session.add(
            RevokedToken(
                jti=stale, user_id=alice.id, expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    assert client.post(LOGOUT, headers=bob.headers).status_code == 204
    with db.transaction(Identity.service()) as session:
        assert session.get(RevokedToken, stale) is None
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(RevokedToken)
                .where(RevokedToken.user_id == bob.id)
            )
            == 1
        )
