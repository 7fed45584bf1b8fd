"""Team membership by consent, and no account enumeration through it (issue 12, finding 9;
migration 0011's ``team_invitations``).

A team admin invites an e-mail address; the answer does not depend on whether an account
exists for it. Only the person signed in with that address sees the invitation and can
accept (joining with the invited role) or decline it; invitations expire.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity, rows_changed

pytestmark = pytest.mark.integration

MINE = "/api/v1/teams/invitations"


def _email() -> str:
    return f"invitee-{uuid.uuid4().hex[:10]}@example.org"


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """What an invitation answer reveals, minus the values that are unique to each."""
    return {
        k: (type(v).__name__ if k in {"id", "created_at", "expires_at", "email"} else v)
        for k, v in body.items()
    }


def test_inviting_answers_the_same_with_or_without_an_account(
    client: Any, make_user: Any, make_team: Any
) -> None:
    admin, existing = make_user("admin"), make_user("existing")
    team = make_team(admin)
    url = f"/api/v1/teams/{team}/members"
    known = client.post(
        url, json={"email": existing.email, "role": "editor"}, headers=admin.headers
    )
    unknown = client.post(url, json={"email": _email(), "role": "editor"}, headers=admin.headers)
    assert known.status_code == unknown.status_code == 202
    assert _shape(known.get_json()) == _shape(unknown.get_json())
    assert known.get_json()["status"] == "pending"
    # Nobody joined yet.
    members = client.get(url, headers=admin.headers).get_json()
    assert [m["email"] for m in members] == [admin.email]


def test_only_the_invitee_sees_and_answers_an_invitation(
    client: Any, make_user: Any, make_team: Any
) -> None:
    admin, invitee, stranger = make_user("admin"), make_user("invitee"), make_user("stranger")
    team = make_team(admin)
    invited = client.post(
        f"/api/v1/teams/{team}/members",
        json={"email": invitee.email.upper(), "role": "verifier"},
        headers=admin.headers,
    ).get_json()
    assert invited["email"] == invitee.email  # normalised

    mine = client.get(MINE, headers=invitee.headers).get_json()
    assert [(i["id"], i["team_id"], i["role"]) for i in mine] == [
        (invited["id"], str(team), "verifier")
    ]
    assert mine[0]["team_name"] and mine[0]["invited_by"] == str(admin.id)
    assert client.get(MINE, headers=stranger.headers).get_json() == []
    assert client.get(MINE).status_code == 401

    # Someone else cannot accept it (not even the admin who sent it).
    for other in (stranger, admin):
        res = client.post(f"{MINE}/{invited['id']}/accept", headers=other.headers)
        assert res.status_code == 404, res.get_json()
    assert client.get(f"/api/v1/teams/{team}", headers=stranger.headers).status_code == 404

    accepted = client.post(f"{MINE}/{invited['id']}/accept", headers=invitee.headers)
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    team_view = client.get(f"/api/v1/teams/{team}", headers=invitee.headers).get_json()
    assert team_view["my_role"] == "verifier"
    again = client.post(f"{MINE}/{invited['id']}/decline", headers=invitee.headers)
    assert again.status_code == 409
    assert client.get(MINE, headers=invitee.headers).get_json() == []


def test_declining_joins_nothing(client: Any, make_user: Any, make_team: Any) -> None:
    admin, invitee = make_user("admin"), make_user("invitee")
    team = make_team(admin)
    invited = client.post(
        f"/api/v1/teams/{team}/members",
        json={"email": invitee.email, "role": "admin"},
        headers=admin.headers,
    ).get_json()
    declined = client.post(f"{MINE}/{invited['id']}/decline", headers=invitee.headers)
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert client.get(f"/api/v1/teams/{team}", headers=invitee.headers).status_code == 404
    assert client.post(f"{MINE}/{invited['id']}/accept", headers=invitee.headers).status_code == 409


def test_an_invitation_waits_for_an_account_made_later(
    client: Any, make_user: Any, make_team: Any
) -> None:
    admin = make_user("admin")
    team = make_team(admin)
    address = _email()
    client.post(
        f"/api/v1/teams/{team}/members",
        json={"email": address, "role": "viewer"},
        headers=admin.headers,
    )
    password = "correct horse battery"
    assert client.post(
        "/api/v1/auth/register", json={"email": address, "password": password}
    ).status_code in (201, 202)
    login = client.post("/api/v1/auth/login", json={"email": address, "password": password})
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    mine = client.get(MINE, headers=headers).get_json()
    assert [i["team_id"] for i in mine] == [str(team)]
    assert client.post(f"{MINE}/{mine[0]['id']}/accept", headers=headers).status_code == 200


def test_admins_list_replace_and_withdraw_invitations(
    client: Any, make_user: Any, make_team: Any
) -> None:
    admin, viewer, invitee = make_user("admin"), make_user("viewer"), make_user("invitee")
    team = make_team(admin, viewer=[viewer])
    url = f"/api/v1/teams/{team}/invitations"
    members = f"/api/v1/teams/{team}/members"
    first = client.post(
        members, json={"email": invitee.email, "role": "viewer"}, headers=admin.headers
    )
    second = client.post(
        members, json={"email": invitee.email, "role": "editor"}, headers=admin.headers
    )
    assert first.status_code == second.status_code == 202
    pending = client.get(url, headers=admin.headers).get_json()
    assert [(i["email"], i["role"]) for i in pending] == [(invitee.email, "editor")]  # replaced
    assert client.get(url, headers=viewer.headers).status_code == 403
    assert (
        client.post(f"{MINE}/{first.get_json()['id']}/accept", headers=invitee.headers).status_code
        == 404
    )
    withdrawn = client.delete(f"{url}/{second.get_json()['id']}", headers=viewer.headers)
    assert withdrawn.status_code == 404
    assert (
        client.delete(f"{url}/{second.get_json()['id']}", headers=admin.headers).status_code == 204
    )
    assert client.get(MINE, headers=invitee.headers).get_json() == []
    res = client.post(f"{MINE}/{second.get_json()['id']}/accept", headers=invitee.headers)
    assert res.status_code == 404


def test_an_expired_invitation_cannot_be_accepted(
    db: Database, client: Any, make_user: Any, make_team: Any
) -> None:
    admin, invitee = make_user("admin"), make_user("invitee")
    team = make_team(admin)
    invited = client.post(
        f"/api/v1/teams/{team}/members",
        json={"email": invitee.email, "role": "editor"},
        headers=admin.headers,
    ).get_json()
    with db.transaction(Identity.service()) as session:
        session.execute(
            sa.text(
                "UPDATE public.team_invitations SET expires_at = now() - interval '1 second' "
                "WHERE id = :id"
            ),
            {"id": invited["id"]},
        )
    assert client.get(MINE, headers=invitee.headers).get_json() == []
    res = client.post(f"{MINE}/{invited['id']}/accept", headers=invitee.headers)
    assert res.status_code == 409 and "expired" in res.get_json()["error"]["message"]
    assert client.get(f"/api/v1/teams/{team}", headers=invitee.headers).status_code == 404


def test_the_database_refuses_answers_and_invitations_by_anyone_else(
    db: Database, make_user: Any, make_team: Any, client: Any
) -> None:
    """Below the API: an app-role session cannot mark an invitation accepted or invite
    for a team it does not manage."""
    admin, invitee, editor = make_user("admin"), make_user("invitee"), make_user("editor")
    team = make_team(admin, editor=[editor])
    invited = client.post(
        f"/api/v1/teams/{team}/members",
        json={"email": invitee.email, "role": "admin"},
        headers=admin.headers,
    ).get_json()
    with db.transaction(Identity.user(invitee.id)) as session:
        updated = session.execute(
            sa.text("UPDATE public.team_invitations SET status = 'accepted' WHERE id = :id"),
            {"id": invited["id"]},
        )
        assert rows_changed(updated) == 0
    from cryoprotect.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        with db.transaction(Identity.user(editor.id)) as session:
            session.execute(
                sa.text(
                    "INSERT INTO public.team_invitations (team_id, email, role_id, invited_by) "
                    "VALUES (:team, :email, 4, :me)"
                ),
                {"team": team, "email": _email(), "me": editor.id},
            )
