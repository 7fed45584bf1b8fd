"""The security model through the API: 404 for rows you may not see, 403 where you may
see but not change, and team roles doing exactly what their capabilities say."""

from __future__ import annotations

import pytest

from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration


@pytest.fixture
def lab(client, make_user, make_team):
    owner = make_user("owner")
    viewer, editor, outsider = make_user("viewer"), make_user("editor"), make_user("outsider")
    team = make_team(owner, viewer=[viewer], editor=[editor])
    rows = {}
    for vis in ("private", "team", "public"):
        body = {"smiles": unique_smiles(), "name": f"{vis} row", "visibility": vis}
        if vis == "team":
            body["team_id"] = str(team)
        res = client.post("/api/v1/molecules", json=body, headers=owner.headers)
        assert res.status_code == 201, res.json
        rows[vis] = res.json["id"]
    return {
        "owner": owner,
        "viewer": viewer,
        "editor": editor,
        "outsider": outsider,
        "team": team,
        "rows": rows,
    }


def test_read_access(client, lab) -> None:
    expect = {
        "owner": {"private": 200, "team": 200, "public": 200},
        "viewer": {"private": 404, "team": 200, "public": 200},
        "editor": {"private": 404, "team": 200, "public": 200},
        "outsider": {"private": 404, "team": 404, "public": 200},
        "anonymous": {"private": 404, "team": 404, "public": 200},
    }
    for who, by_vis in expect.items():
        headers = {} if who == "anonymous" else lab[who].headers
        got = {
            vis: client.get(f"/api/v1/molecules/{rid}", headers=headers).status_code
            for vis, rid in lab["rows"].items()
        }
        assert got == by_vis, who


def test_edit_access(client, lab) -> None:
    expect = {
        "viewer": {"private": 404, "team": 403, "public": 403},
        "outsider": {"private": 404, "team": 404, "public": 403},
        "editor": {"private": 404, "team": 200, "public": 403},
        "owner": {"private": 200, "team": 200, "public": 200},
    }
    for who, by_vis in expect.items():
        got = {
            vis: client.patch(
                f"/api/v1/molecules/{rid}",
                json={"name": f"renamed by {who}"},
                headers=lab[who].headers,
            ).status_code
            for vis, rid in lab["rows"].items()
        }
        assert got == by_vis, who
    assert (
        client.patch(f"/api/v1/molecules/{lab['rows']['public']}", json={"name": "x"}).status_code
        == 401
    )


def test_delete_access(client, lab) -> None:
    rows = lab["rows"]
    assert (
        client.delete(
            f"/api/v1/molecules/{rows['team']}", headers=lab["editor"].headers
        ).status_code
        == 403
    )
    assert (
        client.delete(
            f"/api/v1/molecules/{rows['private']}", headers=lab["outsider"].headers
        ).status_code
        == 404
    )
    assert (
        client.delete(
            f"/api/v1/molecules/{rows['public']}", headers=lab["outsider"].headers
        ).status_code
        == 403
    )
    for rid in rows.values():
        assert (
            client.delete(f"/api/v1/molecules/{rid}", headers=lab["owner"].headers).status_code
            == 204
        )
        assert (
            client.get(f"/api/v1/molecules/{rid}", headers=lab["owner"].headers).status_code == 404
        )


def test_lists_show_only_visible_rows(client, lab) -> None:
    def ids(headers):
        res = client.get("/api/v1/molecules?per_page=100&q=row", headers=headers)
        assert res.status_code == 200
        assert int(res.headers["X-Total-Count"]) == res.json["total"]
        return {m["id"] for m in res.json["items"]}

    rows = lab["rows"]
    assert {rows["private"], rows["team"], rows["public"]} <= ids(lab["owner"].headers)
    assert rows["team"] in ids(lab["viewer"].headers) and rows["private"] not in ids(
        lab["viewer"].headers
    )
    outsider = ids(lab["outsider"].headers)
    assert rows["public"] in outsider and not {rows["private"], rows["team"]} & outsider
    anonymous = ids({})
    assert rows["public"] in anonymous and not {rows["private"], rows["team"]} & anonymous


def test_private_duplicates_do_not_leak(client, make_user) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    body = {"smiles": unique_smiles(), "visibility": "private"}
    first = client.post("/api/v1/molecules", json=body, headers=alice.headers)
    assert first.status_code == 201
    # Bob registers the same structure privately: allowed, and he learns nothing of Alice's.
    second = client.post("/api/v1/molecules", json=body, headers=bob.headers)
    assert second.status_code == 201 and second.json["id"] != first.json["id"]
    again = client.post("/api/v1/molecules", json=body, headers=alice.headers)
    assert again.status_code == 409
    assert again.json["error"]["details"]["existing_id"] == first.json["id"]


def test_team_member_management(client, make_user, make_team) -> None:
    admin, viewer, newcomer, outsider = (make_user(p) for p in ("admin", "viewer", "new", "out"))
    team = make_team(admin, viewer=[viewer])
    url = f"/api/v1/teams/{team}/members"
    # Only admins invite members; non-members cannot even see the team.
    assert (
        client.post(
            url, json={"email": newcomer.email, "role": "editor"}, headers=viewer.headers
        ).status_code
        == 403
    )
    assert (
        client.post(
            url, json={"email": newcomer.email, "role": "editor"}, headers=outsider.headers
        ).status_code
        == 404
    )
    assert client.get(url, headers=outsider.headers).status_code == 404
    assert client.get(f"/api/v1/teams/{team}", headers=outsider.headers).status_code == 404
    invited = client.post(
        url, json={"email": newcomer.email, "role": "editor"}, headers=admin.headers
    )
    assert invited.status_code == 202 and invited.json["role"] == "editor"
    assert invited.json["status"] == "pending"
    # Invited is not joined: the newcomer accepts, then is a member with that role.
    assert client.get(f"/api/v1/teams/{team}", headers=newcomer.headers).status_code == 404
    accepted = client.post(
        f"/api/v1/teams/invitations/{invited.json['id']}/accept", headers=newcomer.headers
    )
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    assert (
        client.post(
            url, json={"email": newcomer.email, "role": "viewer"}, headers=admin.headers
        ).status_code
        == 409
    )
    bad_role = client.post(
        url, json={"email": outsider.email, "role": "owner"}, headers=admin.headers
    )
    assert bad_role.status_code == 422 and "role" in bad_role.json["error"]["details"]["fields"]
    members = {m["email"]: m["role"] for m in client.get(url, headers=viewer.headers).json}
    assert members == {admin.email: "admin", viewer.email: "viewer", newcomer.email: "editor"}
    # Change a role, protect the last admin, remove and leave.
    member_url = f"{url}/{newcomer.id}"
    assert (
        client.patch(member_url, json={"role": "admin"}, headers=viewer.headers).status_code == 403
    )
    assert (
        client.patch(member_url, json={"role": "viewer"}, headers=admin.headers).json["role"]
        == "viewer"
    )
    last_admin = client.patch(f"{url}/{admin.id}", json={"role": "viewer"}, headers=admin.headers)
    assert last_admin.status_code == 409
    assert client.delete(member_url, headers=viewer.headers).status_code == 403
    assert client.delete(member_url, headers=admin.headers).status_code == 204
    assert client.delete(f"{url}/{viewer.id}", headers=viewer.headers).status_code == 204  # leaving
    assert client.get(f"/api/v1/teams/{team}", headers=viewer.headers).status_code == 404
    mine = client.get("/api/v1/teams?per_page=100", headers=admin.headers).json["items"]
    assert any(t["id"] == str(team) and t["my_role"] == "admin" for t in mine)
