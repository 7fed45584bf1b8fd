"""Read-only share links (issue 18, migration 0018), through the API and against the RLS
rules: exactly one record shown to a caller without an account, expiry and revocation,
who may make a link, and what the anonymous path can reach (nothing else)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import Database, Identity, rows_changed
from cryoprotect.services.share_links import token_hash
from cryoprotect.settings import Settings
from tests.conftest import UserHandle

pytestmark = pytest.mark.integration

LINKS = "/api/v1/share-links"
SHARED = "/api/v1/shared"


def _mixture(client: Any, user: UserHandle, name: str, **scope: Any) -> str:
    res = client.post(
        "/api/v1/mixtures",
        json={
            "name": name,
            "components": [{"name": "glycerol", "amount": 10, "unit": "% w/v", "role": "cpa"}],
            **scope,
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return str(res.json["id"])


def _experiment(client: Any, user: UserHandle, title: str, mixture_id: str) -> str:
    res = client.post(
        "/api/v1/experiments",
        json={
            "title": title,
            "mixture_id": mixture_id,
            "notes": "thawed at 37 C",
            "results": [{"measure": "viability_percent", "value": 81.5, "replicates": 3}],
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return str(res.json["id"])


def _share(client: Any, user: UserHandle, resource: str, rid: str, days: int = 7) -> Any:
    return client.post(
        LINKS,
        json={"resource": resource, "id": rid, "expires_in_days": days},
        headers=user.headers,
    )


def test_a_link_shows_exactly_its_record_to_anyone(
    client: Any, make_user: Callable[..., UserHandle], unique: str
) -> None:
    owner = make_user("sharer")
    mid = _mixture(client, owner, f"shared mix {unique}")
    other = _mixture(client, owner, f"unshared mix {unique}")
    made = _share(client, owner, "mixture", mid)
    assert made.status_code == 201, made.json
    token = made.json["token"]
    assert made.json["link"]["status"] == "active"
    assert made.json["url"].endswith(f"/shared/{token}")

    anonymous = client.application.test_client()
    res = anonymous.get(f"{SHARED}/{token}")
    assert res.status_code == 200, res.json
    assert res.json["resource_type"] == "mixture"
    record = res.json["record"]
    assert record["name"] == f"shared mix {unique}"
    assert [(c["name"], c["amount"], c["unit"]) for c in record["components"]] == [
        ("Glycerol", 10, "% w/v")
    ]
    # The record's own fields only: no ids, owner, team or scope.
    assert set(record) == {
        "name",
        "description",
        "version",
        "carrier",
        "sources",
        "created_at",
        "updated_at",
        "components",
    }
    assert other not in res.get_data(as_text=True) and mid not in res.get_data(as_text=True)
    assert str(owner.id) not in res.get_data(as_text=True)

    page = anonymous.get(f"/shared/{token}")
    assert page.status_code == 200
    assert f'data-token="{token}"' in page.get_data(as_text=True)
    assert 'name="referrer" content="no-referrer"' in page.get_data(as_text=True)

    # Anyone can read the record through the link, never through the record's own API.
    assert anonymous.get(f"/api/v1/mixtures/{mid}").status_code == 404


def test_an_experiment_link_does_not_reveal_what_it_cites(
    client: Any, make_user: Callable[..., UserHandle], unique: str
) -> None:
    owner = make_user("sharer")
    mid = _mixture(client, owner, f"cited mix {unique}")
    eid = _experiment(client, owner, f"shared exp {unique}", mid)
    token = _share(client, owner, "experiment", eid).json["token"]
    res = client.application.test_client().get(f"{SHARED}/{token}")
    assert res.status_code == 200, res.json
    record = res.json["record"]
    assert record["title"] == f"shared exp {unique}"
    assert record["results"][0]["value"] == 81.5
    body = res.get_data(as_text=True)
    assert f"cited mix {unique}" not in body and mid not in body and eid not in body


def test_revoked_expired_and_unknown_links(
    client: Any, db: Database, make_user: Callable[..., UserHandle], unique: str
) -> None:
    owner = make_user("sharer")
    mid = _mixture(client, owner, f"mix {unique}")
    first, second = (_share(client, owner, "mixture", mid).json for _ in range(2))
    anonymous = client.application.test_client()

    revoked = client.delete(f"{LINKS}/{first['link']['id']}", headers=owner.headers)
    assert revoked.status_code == 200, revoked.json
    assert revoked.json["status"] == "revoked"
    gone = anonymous.get(f"{SHARED}/{first['token']}")
    assert gone.status_code == 410 and gone.json["error"]["details"]["status"] == "revoked"
    # Revoking again changes nothing; the other link still works.
    assert client.delete(f"{LINKS}/{first['link']['id']}", headers=owner.headers).status_code == 200
    assert anonymous.get(f"{SHARED}/{second['token']}").status_code == 200

    with db.owner_engine.begin() as s:  # time passes: the link's window is over
        s.execute(
            sa.text(
                "UPDATE share_links SET created_at = now() - interval '8 days', "
                "expires_at = now() - interval '1 day' WHERE id = :id"
            ),
            {"id": second["link"]["id"]},
        )
    expired = anonymous.get(f"{SHARED}/{second['token']}")
    assert expired.status_code == 410 and expired.json["error"]["details"]["status"] == "expired"
    listed = client.get(f"{LINKS}?resource_id={mid}", headers=owner.headers).json
    assert {i["id"]: i["status"] for i in listed["items"]} == {
        first["link"]["id"]: "revoked",
        second["link"]["id"]: "expired",
    }

    assert anonymous.get(f"{SHARED}/{'A' * 43}").status_code == 404  # well-formed, unknown
    assert anonymous.get(f"{SHARED}/not-a-token").status_code == 404
    assert client.delete(f"{LINKS}/{uuid.uuid4()}", headers=owner.headers).status_code == 404


@pytest.mark.parametrize("days", [0, 91])
def test_expiry_is_1_to_90_days(
    client: Any, make_user: Callable[..., UserHandle], unique: str, days: int
) -> None:
    owner = make_user("sharer")
    mid = _mixture(client, owner, f"mix {unique}")
    res = _share(client, owner, "mixture", mid, days=days)
    assert res.status_code == 422
    assert res.json["error"]["details"]["field"] == "expires_in_days"


def test_who_may_make_see_and_revoke_links(
    client: Any, make_user: Callable[..., UserHandle], make_team: Callable[..., uuid.UUID]
) -> None:
    admin, editor, outsider = make_user("admin"), make_user("editor"), make_user("outsider")
    team = make_team(admin, editor=[editor])
    private = _mixture(client, admin, "admin's private mix")
    team_mix = _mixture(client, editor, "team mix", visibility="team", team_id=str(team))

    # A teammate without access to a private record cannot even name it.
    assert _share(client, editor, "mixture", private).status_code == 404
    assert _share(client, outsider, "mixture", team_mix).status_code == 404
    # The owner of a team record may share it; an editor who does not own it may not.
    editors_own = _share(client, editor, "mixture", team_mix)
    assert editors_own.status_code == 201, editors_own.json
    admins_mix = _mixture(client, admin, "admin's team mix", visibility="team", team_id=str(team))
    refused = _share(client, editor, "mixture", admins_mix)
    assert refused.status_code == 403, refused.json
    # The team's admin may share any team record, and sees (and may revoke) the team's links.
    by_admin = _share(client, admin, "mixture", team_mix)
    assert by_admin.status_code == 201, by_admin.json
    seen_by_admin = {i["id"] for i in client.get(LINKS, headers=admin.headers).json["items"]}
    assert {editors_own.json["link"]["id"], by_admin.json["link"]["id"]} <= seen_by_admin
    seen_by_editor = {i["id"] for i in client.get(LINKS, headers=editor.headers).json["items"]}
    assert seen_by_editor == {editors_own.json["link"]["id"]}
    assert client.get(LINKS, headers=outsider.headers).json["total"] == 0
    outsider_revokes = client.delete(
        f"{LINKS}/{editors_own.json['link']['id']}", headers=outsider.headers
    )
    assert outsider_revokes.status_code == 404
    admin_revokes = client.delete(
        f"{LINKS}/{editors_own.json['link']['id']}", headers=admin.headers
    )
    assert admin_revokes.status_code == 200 and admin_revokes.json["status"] == "revoked"
    assert client.post(LINKS, json={"resource": "mixture", "id": team_mix}).status_code == 401


def test_rls_direct_inserts_and_updates_are_refused(
    client: Any,
    db: Database,
    make_user: Callable[..., UserHandle],
    make_team: Callable[..., uuid.UUID],
) -> None:
    """Straight at the table, as the app role: the policies, not the service, decide."""
    admin, editor = make_user("admin"), make_user("editor")
    team = make_team(admin, editor=[editor])
    private = uuid.UUID(_mixture(client, admin, "private"))
    team_mix = uuid.UUID(_mixture(client, admin, "team", visibility="team", team_id=str(team)))

    def insert(who: UserHandle, rid: uuid.UUID, team_id: uuid.UUID | None) -> int:
        with db.transaction(Identity.user(who.id)) as s:
            return rows_changed(
                s.execute(
                    sa.text(
                        "INSERT INTO share_links (token_hash, resource_type, resource_id, created_by, "
                        "team_id, expires_at) SELECT :h, 'mixture', :rid, :me, :team, "
                        "now() + interval '1 day'"
                    ),
                    {
                        "h": token_hash(uuid.uuid4().hex + "x" * 11),
                        "rid": rid,
                        "me": who.id,
                        "team": team_id,
                    },
                )
            )

    from cryoprotect.errors import PermissionDenied

    for who, rid, team_id in (
        (editor, private, None),  # cannot see it
        (editor, team_mix, team),  # sees it, neither owner nor admin
        (admin, team_mix, None),  # the link's team must be the record's team
    ):
        with pytest.raises(PermissionDenied):
            insert(who, rid, team_id)
    assert insert(admin, team_mix, team) == 1

    link = _share(client, admin, "mixture", str(private)).json
    client.delete(f"{LINKS}/{link['link']['id']}", headers=admin.headers)
    with pytest.raises(PermissionDenied):  # a revoked link stays revoked
        with db.transaction(Identity.user(admin.id)) as s:
            s.execute(
                sa.text("UPDATE share_links SET revoked_at = NULL WHERE id = :id"),
                {"id": link["link"]["id"]},
            )
    with pytest.raises(PermissionDenied):  # nothing but the revocation may change
        with db.transaction(Identity.user(admin.id)) as s:
            s.execute(
                sa.text("UPDATE share_links SET expires_at = now() + interval '80 days'"),
            )
    with pytest.raises(PermissionDenied):  # nor may links be deleted
        with db.transaction(Identity.user(admin.id)) as s:
            s.execute(sa.text("DELETE FROM share_links"))


def test_the_anonymous_path_reaches_nothing_else(
    client: Any, db: Database, make_user: Callable[..., UserHandle], unique: str
) -> None:
    owner = make_user("sharer")
    shared = _mixture(client, owner, f"shared {unique}")
    hidden = _mixture(client, owner, f"hidden {unique}")
    eid = _experiment(client, owner, f"hidden exp {unique}", hidden)
    token = _share(client, owner, "mixture", shared).json["token"]

    with db.transaction(Identity.anonymous()) as s:
        # A live link grants the anonymous role nothing at the tables themselves.
        for table in ("share_links", "mixtures", "mixture_components", "experiments"):
            mine = s.scalar(
                sa.text(f"SELECT count(*) FROM {table} WHERE created_by = :u"), {"u": owner.id}
            )
            assert mine == 0, table
        assert (
            s.scalar(sa.select(sa.func.public.can_share_record("mixture", uuid.UUID(shared), None)))
            is False
        )
        rows = s.execute(
            sa.text("SELECT * FROM public.resolve_share_link(:h)"), {"h": token_hash(token)}
        ).all()
        assert len(rows) == 1 and rows[0].status == "ok"
        assert rows[0].record["name"] == f"shared {unique}"
        text = str(rows[0].record)
        assert f"hidden {unique}" not in text and eid not in text and hidden not in text
        # Any other hash (another token, or a hash-shaped guess) finds nothing.
        for guess in (token_hash(token[:-1] + "A"), "0" * 64, "' OR true --"):
            row = s.execute(
                sa.text("SELECT * FROM public.resolve_share_link(:h)"), {"h": guess}
            ).one()
            assert (row.status, row.record) == ("missing", None)


def test_a_link_dies_with_the_creators_right_to_share(
    client: Any, make_user: Callable[..., UserHandle], make_team: Callable[..., uuid.UUID]
) -> None:
    """A team admin's link to a team record stops working once they no longer administer it."""
    founder, second = make_user("founder"), make_user("second")
    team = make_team(founder, editor=[second])
    promoted = client.patch(
        f"/api/v1/teams/{team}/members/{second.id}", json={"role": "admin"}, headers=founder.headers
    )
    assert promoted.status_code == 200, promoted.json
    mix = _mixture(client, founder, "team mix", visibility="team", team_id=str(team))
    token = _share(client, second, "mixture", mix).json["token"]
    anonymous = client.application.test_client()
    assert anonymous.get(f"{SHARED}/{token}").status_code == 200
    left = client.delete(f"/api/v1/teams/{team}/members/{second.id}", headers=second.headers)
    assert left.status_code in (200, 204), left.json
    assert anonymous.get(f"{SHARED}/{token}").status_code == 404


def test_the_anonymous_endpoint_is_rate_limited(
    settings: Settings, db: Database, client: Any, make_user: Callable[..., UserHandle]
) -> None:
    from cryoprotect.app import create_app

    owner = make_user("sharer")
    token = _share(client, owner, "mixture", _mixture(client, owner, "mix")).json["token"]
    limited = create_app(
        replace(settings, ratelimit_enabled=True, ratelimit_default="3 per minute"), db
    ).test_client()
    limited.environ_base["REMOTE_ADDR"] = "127.0.8.18"
    statuses = [limited.get(f"{SHARED}/{token}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
