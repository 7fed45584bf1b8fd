"""Changes of scope through the API (issue 12, findings 1 and 2; migration 0010).

* Moving a row to another team or widening its visibility is decided by PostgreSQL on the
  old and the new scope: an editor of the team may edit a teammate's row but not take it
  out of the team or publish it (403 naming the field; the row unchanged). A verified
  experiment that changes team comes back pending, and the history says why.
* A team record carries its evidence: a team-visible (or public) experiment cannot cite a
  mixture, protocol or cell type its audience cannot see, and a cited record cannot be
  narrowed or moved away from the experiments that cite it (409 naming the item and the
  field).
"""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration


def _mixture(client, user, visibility="private", team_id=None):
    res = client.post(
        "/api/v1/mixtures",
        json={
            "name": f"scope-mix-{uuid.uuid4().hex[:8]}",
            "components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}],
            "carrier": "isotonic saline",
            "visibility": visibility,
            "team_id": str(team_id) if team_id else None,
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    return res.json


def _experiment_body(**extra):
    return {
        "title": f"scope-exp-{uuid.uuid4().hex[:8]}",
        "results": [{"measure": "viability_percent", "value": 70.0, "replicates": 3}],
        **extra,
    }


def _experiment(client, user, **extra):
    res = client.post("/api/v1/experiments", json=_experiment_body(**extra), headers=user.headers)
    assert res.status_code == 201, res.json
    return res.json


@pytest.fixture
def lab(client, make_user, make_team):
    """An owner and an editor in team T; the editor also administers a team of their own."""
    owner, editor = make_user("owner"), make_user("editor")
    team = make_team(owner, editor=[editor])
    elsewhere = make_team(editor)
    return {"owner": owner, "editor": editor, "team": team, "elsewhere": elsewhere}


# ----------------------------------------------------------------------------- finding 1
def test_an_editor_cannot_move_or_publish_a_teammates_molecule(client, lab) -> None:
    owner, editor = lab["owner"], lab["editor"]
    created = client.post(
        "/api/v1/molecules",
        json={
            "smiles": unique_smiles(),
            "name": "team molecule",
            "visibility": "team",
            "team_id": str(lab["team"]),
        },
        headers=owner.headers,
    )
    assert created.status_code == 201, created.json
    url = f"/api/v1/molecules/{created.json['id']}"

    moved = client.patch(url, json={"team_id": str(lab["elsewhere"])}, headers=editor.headers)
    assert moved.status_code == 403, moved.json
    assert moved.json["error"]["details"]["field"] == "team_id"
    assert "owner" in moved.json["error"]["message"]
    published = client.patch(url, json={"visibility": "public"}, headers=editor.headers)
    assert published.status_code == 403, published.json
    assert published.json["error"]["details"]["field"] == "visibility"

    row = client.get(url, headers=owner.headers).json
    assert (row["team_id"], row["visibility"]) == (str(lab["team"]), "team")
    # Editing what the row says is still the editor's job.
    assert client.patch(url, json={"name": "renamed"}, headers=editor.headers).status_code == 200


def test_an_editor_cannot_move_or_publish_a_teammates_experiment(client, lab) -> None:
    owner, editor = lab["owner"], lab["editor"]
    exp = _experiment(client, owner, visibility="team", team_id=str(lab["team"]))
    url = f"/api/v1/experiments/{exp['id']}"

    moved = client.patch(url, json={"team_id": str(lab["elsewhere"])}, headers=editor.headers)
    assert moved.status_code == 403, moved.json
    assert moved.json["error"]["details"]["field"] == "team_id"
    published = client.patch(url, json={"visibility": "public"}, headers=editor.headers)
    assert published.status_code == 403, published.json
    assert published.json["error"]["details"]["field"] == "visibility"
    row = client.get(url, headers=owner.headers).json
    assert (row["team_id"], row["visibility"]) == (str(lab["team"]), "team")
    assert row["updated_at"] == exp["updated_at"]

    # The owner may publish it.
    res = client.patch(url, json={"visibility": "public"}, headers=owner.headers)
    assert res.status_code == 200, res.json


def test_a_verified_experiment_moved_to_another_team_comes_back_pending(
    client, make_user, make_team
) -> None:
    author, verifier = make_user("author"), make_user("verifier")
    team = make_team(author, verifier=[verifier])
    other = make_team(author)
    exp = _experiment(client, author, visibility="team", team_id=str(team), submit=True)
    url = f"/api/v1/experiments/{exp['id']}"
    decided = client.post(
        f"{url}/verification", json={"status": "verified"}, headers=verifier.headers
    )
    assert decided.json["verification_status"] == "verified", decided.json

    moved = client.patch(url, json={"team_id": str(other)}, headers=author.headers)
    assert moved.status_code == 200, moved.json
    assert moved.json["team_id"] == str(other)
    assert moved.json["verification_status"] == "pending"

    history = client.get(f"{url}/history", headers=author.headers).json
    assert [v["status"] for v in history["verifications"]] == ["pending", "verified", "pending"]
    reopened = history["verifications"][-1]
    assert "moved from team" in reopened["notes"]
    assert reopened["created_by"] == str(author.id)
    # And moving it back does not bring the verdict back.
    back = client.patch(url, json={"team_id": str(team)}, headers=author.headers)
    assert back.status_code == 200, back.json
    assert back.json["verification_status"] == "pending"


# ----------------------------------------------------------------------------- finding 2
def test_a_team_experiment_cannot_cite_a_private_mixture(client, lab) -> None:
    owner, team = lab["owner"], lab["team"]
    mixture = _mixture(client, owner)
    body = _experiment_body(mixture_id=mixture["id"], visibility="team", team_id=str(team))
    res = client.post("/api/v1/experiments", json=body, headers=owner.headers)
    assert res.status_code == 409, res.json
    error = res.json["error"]
    assert error["code"] == "conflict"
    assert error["details"]["field"] == "mixture_id"
    assert error["details"]["mixture_id"] == mixture["id"]
    assert mixture["name"] in error["message"] and "private" in error["message"]
    listed = client.get(f"/api/v1/experiments?q={body['title']}", headers=owner.headers)
    assert listed.json["total"] == 0

    # A private experiment may cite it; making that experiment team-visible may not.
    exp = _experiment(client, owner, mixture_id=mixture["id"])
    url = f"/api/v1/experiments/{exp['id']}"
    res = client.patch(
        url, json={"visibility": "team", "team_id": str(team)}, headers=owner.headers
    )
    assert res.status_code == 409, res.json
    assert res.json["error"]["details"]["field"] == "mixture_id"
    assert client.get(url, headers=owner.headers).json["visibility"] == "private"

    # Shared with the team, the mixture is evidence the team can check.
    shared = client.patch(
        f"/api/v1/mixtures/{mixture['id']}",
        json={"visibility": "team", "team_id": str(team)},
        headers=owner.headers,
    )
    assert shared.status_code == 200, shared.json
    res = client.patch(
        url, json={"visibility": "team", "team_id": str(team)}, headers=owner.headers
    )
    assert res.status_code == 200, res.json
    assert (
        client.get(f"/api/v1/mixtures/{mixture['id']}", headers=lab["editor"].headers).status_code
        == 200
    )


def test_a_public_experiment_needs_public_evidence(client, lab) -> None:
    owner, team = lab["owner"], lab["team"]
    team_mixture = _mixture(client, owner, visibility="team", team_id=team)
    res = client.post(
        "/api/v1/experiments",
        json=_experiment_body(mixture_id=team_mixture["id"], visibility="public"),
        headers=owner.headers,
    )
    assert res.status_code == 409, res.json
    assert res.json["error"]["details"]["field"] == "mixture_id"
    assert "public" in res.json["error"]["message"]
    # A team mixture of another team is no evidence for this team either.
    theirs = _mixture(client, lab["editor"], visibility="team", team_id=lab["elsewhere"])
    res = client.post(
        "/api/v1/experiments",
        json=_experiment_body(mixture_id=theirs["id"], visibility="team", team_id=str(team)),
        headers=lab["editor"].headers,
    )
    assert res.status_code == 409, res.json
    assert res.json["error"]["details"]["field"] == "mixture_id"
    public = _mixture(client, owner, visibility="public")
    _experiment(client, owner, mixture_id=public["id"], visibility="public")
    _experiment(client, owner, mixture_id=public["id"], visibility="team", team_id=str(team))


def test_a_cited_mixture_cannot_be_narrowed_or_moved_away(client, lab) -> None:
    owner, team = lab["owner"], lab["team"]
    mixture = _mixture(client, owner, visibility="team", team_id=team)
    exp = _experiment(client, owner, mixture_id=mixture["id"], visibility="team", team_id=str(team))
    url = f"/api/v1/mixtures/{mixture['id']}"
    res = client.patch(url, json={"visibility": "private"}, headers=owner.headers)
    assert res.status_code == 409, res.json
    error = res.json["error"]
    assert error["details"]["field"] == "visibility"
    assert error["details"]["experiments"] == 1
    assert error["details"]["experiment_id"] == exp["id"]
    assert exp["title"] in error["message"]
    row = client.get(url, headers=owner.headers).json
    assert (row["visibility"], row["team_id"], row["version"]) == ("team", str(team), 1)
    # Widening stays possible.
    assert (
        client.patch(url, json={"visibility": "public"}, headers=owner.headers).status_code == 200
    )


def test_a_cited_mixture_cannot_move_to_another_team(client, make_user, make_team) -> None:
    owner = make_user("owner")
    team, other = make_team(owner), make_team(owner)
    mixture = _mixture(client, owner, visibility="team", team_id=team)
    _experiment(client, owner, mixture_id=mixture["id"], visibility="team", team_id=str(team))
    res = client.patch(
        f"/api/v1/mixtures/{mixture['id']}", json={"team_id": str(other)}, headers=owner.headers
    )
    assert res.status_code == 409, res.json
    assert res.json["error"]["details"]["field"] == "team_id"
    row = client.get(f"/api/v1/mixtures/{mixture['id']}", headers=owner.headers).json
    assert row["team_id"] == str(team)


def test_protocols_and_cell_types_are_evidence_too(app, client, lab) -> None:
    from cryoprotect.db.models import Protocol
    from cryoprotect.errors import Conflict

    owner, team = lab["owner"], lab["team"]
    db = app.extensions["cryoprotect"].db
    with db.transaction(owner.actor.identity) as s:
        protocol_id = s.execute(
            sa.insert(Protocol)
            .values(name="my private protocol", created_by=owner.id, visibility="private")
            .returning(Protocol.id)
        ).scalar_one()
    res = client.post(
        "/api/v1/experiments",
        json=_experiment_body(protocol_id=str(protocol_id), visibility="team", team_id=str(team)),
        headers=owner.headers,
    )
    assert res.status_code == 409, res.json
    assert res.json["error"]["details"]["field"] == "protocol_id"
    assert "my private protocol" in res.json["error"]["message"]

    # Shared with the team it can be cited; then it cannot be taken private again.
    with db.transaction(owner.actor.identity) as s:
        s.execute(
            sa.update(Protocol)
            .where(Protocol.id == protocol_id)
            .values(visibility="team", team_id=team)
        )
    _experiment(client, owner, protocol_id=str(protocol_id), visibility="team", team_id=str(team))
    with pytest.raises(Conflict) as refused:
        with db.transaction(owner.actor.identity) as s:
            s.execute(
                sa.update(Protocol).where(Protocol.id == protocol_id).values(visibility="private")
            )
    assert refused.value.details["field"] == "visibility"

    shipped = client.get("/api/v1/cell-types?q=generic").json["items"][0]["parameters"]
    mine = {**shipped, "name": f"My cells {uuid.uuid4().hex[:6]}", "key": "my_cells"}
    cell = client.post("/api/v1/cell-types", json={"parameters": mine}, headers=owner.headers)
    assert cell.status_code == 201, cell.json
    res = client.post(
        "/api/v1/experiments",
        json=_experiment_body(cell_type_id=cell.json["id"], visibility="team", team_id=str(team)),
        headers=owner.headers,
    )
    assert res.status_code == 409, res.json
    assert res.json["error"]["details"]["field"] == "cell_type_id"


def test_a_team_import_refuses_the_experiments_citing_a_private_mixture(client, lab) -> None:
    owner, team = lab["owner"], lab["team"]
    private = _mixture(client, owner)
    shared = _mixture(client, owner, visibility="team", team_id=team)
    blind, checked = f"blind-{uuid.uuid4().hex[:6]}", f"checked-{uuid.uuid4().hex[:6]}"
    csv_text = (
        "title,mixture,measure,value,unit,replicates\n"
        f"{blind},{private['name']},viability_percent,64,%,4\n"
        f"{checked},{shared['name']},viability_percent,70,%,3\n"
        f"{blind},{private['name']},recovery_percent,90,%,4\n"
    )

    def post(atomic: bool):
        return client.post(
            "/api/v1/experiments/import",
            data={
                "file": (io.BytesIO(csv_text.encode()), "results.csv"),
                "visibility": "team",
                "team_id": str(team),
                "atomic": "true" if atomic else "false",
            },
            headers=owner.headers,
            content_type="multipart/form-data",
        )

    # All or nothing: the refusal names the mixture; nothing is written.
    res = post(atomic=True)
    assert res.status_code == 409, res.json
    assert private["name"] in res.json["error"]["message"]
    assert client.get(f"/api/v1/experiments?q={checked}", headers=owner.headers).json["total"] == 0

    res = post(atomic=False)
    assert res.status_code == 200, res.json
    report = res.json
    assert (report["written"], report["rejected_count"], report["experiments_created"]) == (1, 2, 1)
    rejected = {r["row"]: r for r in report["rows"] if r["status"] == "rejected"}
    assert set(rejected) == {2, 4}
    assert rejected[2]["field"] == "mixture" and private["name"] in rejected[2]["reason"]
    assert client.get(f"/api/v1/experiments?q={blind}", headers=owner.headers).json["total"] == 0
    assert client.get(f"/api/v1/experiments?q={checked}", headers=owner.headers).json["total"] == 1
