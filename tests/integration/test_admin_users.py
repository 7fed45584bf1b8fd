"""Account administration and the audit log through the API (issue 18, "Administration"):
administrators list, deactivate, reactivate, promote and demote accounts, issue one-time
password-reset links (written to the server log, never answered), and read the audit log
with filters. Runs on the session's embedded database."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cryoprotect.cli import main
from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.settings import Settings

pytestmark = pytest.mark.integration

ADMIN = "/api/v1/admin"
USERS = f"{ADMIN}/users"
AUDIT = f"{ADMIN}/audit-log"
RESET = "/api/v1/password-reset"
PASSWORD = "correct horse battery"
LINK_RE = re.compile(r"https?://\S+/reset/([A-Za-z0-9_-]{20,})")


class Admin:
    def __init__(self, user_id: str, email: str, headers: dict[str, str]) -> None:
        self.id, self.email, self.headers = user_id, email, headers


@pytest.fixture
def admin(app: Any, client: Any) -> Admin:
    email = f"root-{uuid.uuid4().hex[:10]}@example.org"
    user = app.extensions["cryoprotect"].auth.register(email, PASSWORD, admin=True)
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.json
    return Admin(str(user.id), email, {"Authorization": f"Bearer {login.json['access_token']}"})


@pytest.fixture
def responses(client: Any) -> Iterator[list[str]]:
    """Every response body the test client returns during the test (to search for secrets)."""
    seen: list[str] = []
    original = client.open

    def recording(*args: Any, **kwargs: Any) -> Any:
        res = original(*args, **kwargs)
        seen.append(res.get_data(as_text=True))
        return res

    client.open = recording
    yield seen
    client.open = original


def _login(client: Any, email: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def _issue_link(client: Any, admin: Admin, user_id: Any, caplog: Any) -> tuple[Any, str]:
    """Ask for a reset link; return the response and the token the server logged."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="cryoprotect.accounts"):
        res = client.post(f"{USERS}/{user_id}/password-reset", headers=admin.headers)
    records = [r for r in caplog.records if r.name == "cryoprotect.accounts"]
    assert len(records) == 1, caplog.text
    assert records[0].levelno == logging.WARNING
    match = LINK_RE.search(records[0].getMessage())
    assert match, records[0].getMessage()
    return res, match.group(1)


# ------------------------------------------------------------------ access
def test_only_administrators_reach_the_admin_api(client: Any, make_user: Any, admin: Admin) -> None:
    user = make_user()
    calls = (
        ("get", USERS, None),
        ("get", f"{USERS}/{user.id}", None),
        ("patch", f"{USERS}/{user.id}", {"is_active": False}),
        ("post", f"{USERS}/{user.id}/password-reset", None),
        ("get", AUDIT, None),
        ("get", f"{AUDIT}/tables", None),
    )
    for method, url, body in calls:
        anonymous = getattr(client, method)(url, json=body)
        assert anonymous.status_code == 401, (method, url, anonymous.json)
        refused = getattr(client, method)(url, json=body, headers=user.headers)
        assert refused.status_code == 403, (method, url, refused.json)
        assert refused.json["error"]["code"] == "forbidden"
    # the refused PATCH changed nothing: the user still signs in
    assert _login(client, user.email, user.password).status_code == 200
    assert client.get(f"{USERS}/{uuid.uuid4()}", headers=admin.headers).status_code == 404
    assert client.get(f"{USERS}/{SYSTEM_USER_ID}", headers=admin.headers).status_code == 404


def test_list_accounts_filters_and_pages(client: Any, make_user: Any, admin: Admin) -> None:
    tag = uuid.uuid4().hex[:8]
    users = [make_user(f"list{tag}") for _ in range(3)]
    res = client.get(USERS, query_string={"q": f"list{tag}", "per_page": 2}, headers=admin.headers)
    assert res.status_code == 200, res.json
    assert res.json["total"] == 3 and res.json["page"] == 1 and res.json["per_page"] == 2
    assert res.headers["X-Total-Count"] == "3"
    assert len(res.json["items"]) == 2
    item = res.json["items"][0]
    assert set(item) == {
        "id",
        "email",
        "display_name",
        "is_admin",
        "is_active",
        "created_at",
        "last_login_at",
    }
    assert "password" not in res.get_data(as_text=True)
    second = client.get(
        USERS, query_string={"q": f"LIST{tag}", "per_page": 2, "page": 2}, headers=admin.headers
    )
    emails = {i["email"] for i in res.json["items"]} | {i["email"] for i in second.json["items"]}
    assert emails == {u.email for u in users}
    # newest first
    assert [i["email"] for i in res.json["items"]] == [users[2].email, users[1].email]

    client.patch(f"{USERS}/{users[0].id}", json={"is_active": False}, headers=admin.headers)
    client.patch(f"{USERS}/{users[1].id}", json={"is_admin": True}, headers=admin.headers)
    inactive = client.get(
        USERS, query_string={"q": f"list{tag}", "active": "false"}, headers=admin.headers
    ).json
    assert [i["email"] for i in inactive["items"]] == [users[0].email]
    admins = client.get(
        USERS, query_string={"q": f"list{tag}", "admin": "true"}, headers=admin.headers
    ).json
    assert [i["email"] for i in admins["items"]] == [users[1].email]
    # the reference-data owner is not an account to administer
    everyone = client.get(USERS, query_string={"q": "cryoprotect.invalid"}, headers=admin.headers)
    assert everyone.json["total"] == 0


def test_update_validation_names_the_field(client: Any, make_user: Any, admin: Admin) -> None:
    user = make_user()
    res = client.patch(f"{USERS}/{user.id}", json={"is_active": "maybe"}, headers=admin.headers)
    assert res.status_code == 422, res.json
    assert res.json["error"]["details"]["field"] == "is_active"
    res = client.patch(f"{USERS}/{user.id}", json={"email": "x@y.org"}, headers=admin.headers)
    assert res.status_code == 422, res.json
    assert res.json["error"]["details"]["field"] == "email"
    res = client.patch(f"{USERS}/{user.id}", json={}, headers=admin.headers)
    assert res.status_code == 422 and res.json["error"]["details"]["field"] == "is_active"
    # wildcards in the text filter are taken literally
    listed = client.get(USERS, query_string={"q": "%"}, headers=admin.headers)
    assert listed.status_code == 200 and listed.json["total"] == 0
    res = client.patch(f"{USERS}/{uuid.uuid4()}", json={"is_active": False}, headers=admin.headers)
    assert res.status_code == 404


# ----------------------------------------------------------- deactivation
def test_deactivated_account_cannot_sign_in_and_its_tokens_stop(
    client: Any, make_user: Any, admin: Admin
) -> None:
    user = make_user()
    api_token = client.post(
        "/api/v1/users/me/api-tokens", json={"name": "script"}, headers=user.headers
    ).json["token"]
    team = client.post(
        "/api/v1/teams", json={"name": f"t-{uuid.uuid4().hex[:6]}"}, headers=user.headers
    )
    assert team.status_code == 201
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 200

    res = client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.headers)
    assert res.status_code == 200, res.json
    assert res.json["is_active"] is False and res.json["email"] == user.email

    assert _login(client, user.email, user.password).status_code == 401
    assert client.get("/api/v1/users/me", headers=user.headers).status_code == 401
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 401
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert refresh.status_code == 401

    # reactivated: a new sign-in works; what was revoked stays revoked; the data stayed
    res = client.patch(f"{USERS}/{user.id}", json={"is_active": True}, headers=admin.headers)
    assert res.status_code == 200 and res.json["is_active"] is True
    login = _login(client, user.email, user.password)
    assert login.status_code == 200
    fresh = {"Authorization": f"Bearer {login.json['access_token']}"}
    assert client.get("/api/v1/users/me", headers=fresh).status_code == 200
    assert client.get("/api/v1/users/me", headers=user.headers).status_code == 401
    assert client.get("/api/v1/users/me", headers=bearer).status_code == 401
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert again.status_code == 401
    teams = client.get("/api/v1/teams", headers=fresh).json
    assert team.json["id"] in {t["id"] for t in teams["items"]}


def test_grant_and_revoke_admin(client: Any, make_user: Any, admin: Admin) -> None:
    user = make_user()
    assert client.get(USERS, headers=user.headers).status_code == 403
    res = client.patch(f"{USERS}/{user.id}", json={"is_admin": True}, headers=admin.headers)
    assert res.status_code == 200 and res.json["is_admin"] is True
    assert client.get(USERS, headers=user.headers).status_code == 200
    res = client.patch(f"{USERS}/{user.id}", json={"is_admin": False}, headers=admin.headers)
    assert res.status_code == 200 and res.json["is_admin"] is False
    assert client.get(USERS, headers=user.headers).status_code == 403


def test_the_last_active_administrator_cannot_remove_themselves(
    client: Any, db: Database, admin: Admin
) -> None:
    """With every other administrator of the session database set aside for the test, the
    one left cannot demote or deactivate themselves (409); another admin unblocks it."""
    with db.transaction(Identity.service()) as session:
        others = list(
            session.scalars(
                sa.text(
                    "UPDATE auth.users SET is_admin = false WHERE is_admin AND is_active "
                    "AND id <> :me RETURNING id"
                ),
                {"me": admin.id},
            )
        )
    try:
        for body, field in (({"is_admin": False}, "is_admin"), ({"is_active": False}, "is_active")):
            res = client.patch(f"{USERS}/{admin.id}", json=body, headers=admin.headers)
            assert res.status_code == 409, res.json
            assert res.json["error"]["details"]["field"] == field
            assert "last active administrator" in res.json["error"]["message"]
        me = client.get(f"{USERS}/{admin.id}", headers=admin.headers).json
        assert me["is_admin"] is True and me["is_active"] is True
        # with a second administrator, stepping down is allowed
        second = client.get(
            USERS, query_string={"admin": "false", "active": "true"}, headers=admin.headers
        )
        other_id = second.json["items"][0]["id"]
        assert (
            client.patch(
                f"{USERS}/{other_id}", json={"is_admin": True}, headers=admin.headers
            ).status_code
            == 200
        )
        res = client.patch(f"{USERS}/{admin.id}", json={"is_admin": False}, headers=admin.headers)
        assert res.status_code == 200 and res.json["is_admin"] is False
    finally:
        with db.transaction(Identity.service()) as session:
            session.execute(
                sa.text("UPDATE auth.users SET is_admin = true WHERE id = ANY(:ids)"),
                {"ids": [*others, uuid.UUID(admin.id)]},
            )


# ------------------------------------------------------------ reset links
def test_reset_link_is_logged_not_answered_and_works_once(
    client: Any, make_user: Any, admin: Admin, caplog: Any, responses: list[str]
) -> None:
    user = make_user()
    res, token = _issue_link(client, admin, user.id, caplog)
    assert res.status_code == 202, res.json
    assert res.json["email"] == user.email
    assert "server log" in res.json["message"]
    record = next(r for r in caplog.records if r.name == "cryoprotect.accounts")
    assert record.email == user.email
    assert record.event == "password_reset_link"
    assert user.email in record.getMessage()

    status = client.get(f"{RESET}/{token}")
    assert status.status_code == 200 and status.json["email"] == user.email
    short = client.post(f"{RESET}/{token}", json={"password": "short"})
    assert short.status_code == 422 and short.json["error"]["details"]["field"] == "password"
    done = client.post(f"{RESET}/{token}", json={"password": "a brand new password"})
    assert done.status_code == 200, done.json

    assert _login(client, user.email, user.password).status_code == 401
    assert _login(client, user.email, "a brand new password").status_code == 200
    # the sessions from before the reset have ended
    assert client.get("/api/v1/users/me", headers=user.headers).status_code == 401
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert refresh.status_code == 401
    # spent
    again = client.post(f"{RESET}/{token}", json={"password": "yet another password"})
    assert again.status_code == 410 and again.json["error"]["code"] == "gone"
    assert client.get(f"{RESET}/{token}").status_code == 410
    assert client.get(f"{RESET}/{'x' * 43}").status_code == 404
    # the token and link never appeared in any API response
    assert responses and not [body for body in responses if token in body]


def test_reset_link_expires_and_a_newer_one_replaces_it(
    client: Any, db: Database, make_user: Any, admin: Admin, caplog: Any
) -> None:
    user = make_user()
    _, first = _issue_link(client, admin, user.id, caplog)
    _, second = _issue_link(client, admin, user.id, caplog)
    replaced = client.get(f"{RESET}/{first}")
    assert replaced.status_code == 410 and "newer" in replaced.json["error"]["message"]
    with db.owner_engine.begin() as conn:  # age the link past its hour
        conn.execute(
            sa.text(
                "UPDATE auth.password_reset_tokens SET created_at = now() - interval '2 hours', "
                "expires_at = now() - interval '1 hour' WHERE user_id = :u AND revoked_at IS NULL"
            ),
            {"u": user.id},
        )
    expired = client.post(f"{RESET}/{second}", json={"password": "a brand new password"})
    assert expired.status_code == 410 and "expired" in expired.json["error"]["message"]
    assert _login(client, user.email, user.password).status_code == 200
    # a deactivated account gets no link
    client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.headers)
    res = client.post(f"{USERS}/{user.id}/password-reset", headers=admin.headers)
    assert res.status_code == 409 and res.json["error"]["details"]["field"] == "is_active"


def test_cli_reset_link_prints_a_working_link(
    client: Any, settings: Settings, db: Database, make_user: Any
) -> None:
    user = make_user()
    env = {"CRYOPROTECT_HOME": str(settings.home), "DATABASE_URL": None}
    result = CliRunner().invoke(
        main,
        ["users", "reset-link", user.email.upper(), "--base-url", "https://lab.example.org/"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert user.email in result.output
    match = re.search(
        r"^https://lab\.example\.org/reset/([A-Za-z0-9_-]{20,})$", result.output, re.M
    )
    assert match, result.output
    done = client.post(f"{RESET}/{match.group(1)}", json={"password": "set from the console"})
    assert done.status_code == 200, done.json
    assert _login(client, user.email, "set from the console").status_code == 200
    unknown = CliRunner().invoke(
        main, ["users", "reset-link", "nobody-here@example.org"], env=env, catch_exceptions=False
    )
    assert unknown.exit_code == 1 and "No account" in unknown.output


# --------------------------------------------------------------- audit log
def test_audit_log_records_admin_changes_and_filters(
    client: Any, make_user: Any, admin: Admin, caplog: Any
) -> None:
    user = make_user()
    started = datetime.now(UTC) - timedelta(seconds=1)
    client.patch(f"{USERS}/{user.id}", json={"is_active": False}, headers=admin.headers)
    client.patch(
        f"{USERS}/{user.id}", json={"is_active": True, "is_admin": True}, headers=admin.headers
    )
    _issue_link(client, admin, user.id, caplog)

    res = client.get(
        AUDIT, query_string={"table": "users", "row_id": str(user.id)}, headers=admin.headers
    )
    assert res.status_code == 200, res.json
    page = res.json
    # registration (INSERT) + deactivation + reactivation/promotion, newest first
    assert [e["action"] for e in page["items"]] == ["UPDATE", "UPDATE", "INSERT"]
    assert page["total"] == 3 and res.headers["X-Total-Count"] == "3"
    newest, deactivation, created = page["items"]
    assert {c["field"]: (c["old"], c["new"]) for c in deactivation["changes"]} == {
        "is_active": (True, False),
        "credentials_revoked_at": (None, deactivation["new_data"]["credentials_revoked_at"]),
    }
    assert {c["field"] for c in newest["changes"]} == {"is_active", "is_admin"}
    assert deactivation["actor_email"] == admin.email and deactivation["actor_id"] == admin.id
    assert deactivation["label"] == user.email
    assert created["new_data"]["password_hash"] == "[redacted]"
    assert "argon2" not in res.get_data(as_text=True)

    only = client.get(
        AUDIT,
        query_string={"table": "users", "action": "INSERT", "row_id": str(user.id)},
        headers=admin.headers,
    ).json
    assert [e["action"] for e in only["items"]] == ["INSERT"]
    by_admin = client.get(
        AUDIT,
        query_string={"actor": admin.email, "since": started.isoformat(), "per_page": 100},
        headers=admin.headers,
    ).json
    tables = {(e["table_name"], e["row_id"]) for e in by_admin["items"]}
    assert ("users", str(user.id)) in tables
    assert any(t == "password_reset_tokens" for t, _ in tables)
    assert all(e["actor_email"] == admin.email for e in by_admin["items"])
    by_id = client.get(
        AUDIT, query_string={"actor_id": admin.id, "table": "users"}, headers=admin.headers
    ).json
    assert by_id["total"] == 2
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    none = client.get(AUDIT, query_string={"since": future}, headers=admin.headers).json
    assert none["total"] == 0 and none["items"] == []
    bad = client.get(
        AUDIT, query_string={"since": future, "until": started.isoformat()}, headers=admin.headers
    )
    assert bad.status_code == 422 and bad.json["error"]["details"]["field"] == "until"
    bad = client.get(AUDIT, query_string={"action": "TRUNCATE"}, headers=admin.headers)
    assert bad.status_code == 422 and bad.json["error"]["details"]["field"] == "action"
    tables_res = client.get(f"{AUDIT}/tables", headers=admin.headers).json["tables"]
    assert {"users", "password_reset_tokens", "mixtures", "teams"} <= set(tables_res)
