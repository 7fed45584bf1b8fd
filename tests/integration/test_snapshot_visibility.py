"""Snapshots obey the visibility of what they copy (issue 12, finding 6; migration 0011).

* A mixture version stores its components' names and SMILES. Returning it, a component
  whose molecule the caller cannot see *now* (the molecules' RLS decides) is redacted:
  no molecule id, name, SMILES, molar mass or kind; its amount, unit and role stay.
* An experiment's history shows the changes of an audit entry only to callers who could
  see the row before and after that change: notes written and overwritten while it was
  private stay the owner's (what it held when it was shared, the team saw anyway).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import unique_smiles

pytestmark = pytest.mark.integration

MIXTURES = "/api/v1/mixtures"
EXPERIMENTS = "/api/v1/experiments"


def _private_molecule(client: Any, owner: Any) -> dict[str, Any]:
    res = client.post(
        "/api/v1/molecules",
        json={"smiles": unique_smiles(), "name": "secret-cpa-x17", "visibility": "private"},
        headers=owner.headers,
    )
    assert res.status_code == 201, res.json
    return res.get_json()


def test_versions_of_a_public_mixture_redact_private_molecules(client: Any, make_user: Any) -> None:
    owner, stranger = make_user("owner"), make_user("stranger")
    secret = _private_molecule(client, owner)
    created = client.post(
        MIXTURES,
        json={
            "name": "public blend",
            "visibility": "public",
            "components": [
                {"name": "DMSO", "amount": 1.5, "unit": "mol/kg", "role": "cpa"},
                {"molecule_id": secret["id"], "amount": 0.25, "unit": "mol/kg", "role": "cpa"},
            ],
        },
        headers=owner.headers,
    )
    assert created.status_code == 201, created.json
    mixture_id = created.get_json()["id"]
    # The owner drops the private molecule in version 2; version 1 still holds it.
    edited = client.patch(
        f"{MIXTURES}/{mixture_id}",
        json={"components": [{"name": "DMSO", "amount": 2.0, "unit": "mol/kg"}]},
        headers=owner.headers,
    )
    assert edited.status_code == 200, edited.json

    headers: dict[str, str]
    for headers in ({}, stranger.headers):
        res = client.get(f"{MIXTURES}/{mixture_id}/versions", headers=headers)
        assert res.status_code == 200
        text = res.get_data(as_text=True)
        assert secret["smiles"] not in text and "secret-cpa-x17" not in text
        assert secret["id"] not in text
        first = res.get_json()[0]["components"]
        assert len(first) == 2  # the composition keeps its shape
        hidden = [c for c in first if c["redacted"]]
        assert hidden == [
            {
                "molecule_id": None,
                "name": None,
                "smiles": None,
                "molar_mass": None,
                "kind": None,
                "amount": 0.25,
                "unit": "mol/kg",
                "role": "cpa",
                "redacted": True,
            }
        ]
        shown = [c for c in first if not c["redacted"]]
        assert shown[0]["name"] == "Dimethyl sulfoxide" and shown[0]["smiles"]

    # The owner sees every detail of every version.
    mine = client.get(f"{MIXTURES}/{mixture_id}/versions", headers=owner.headers).get_json()
    names = {c["name"] for c in mine[0]["components"]}
    assert names == {"Dimethyl sulfoxide", "secret-cpa-x17"}
    assert not any(c["redacted"] for v in mine for c in v["components"])


def test_history_hides_what_was_written_while_the_experiment_was_private(
    client: Any, make_user: Any, make_team: Any
) -> None:
    owner, viewer = make_user("owner"), make_user("viewer")
    team = make_team(owner, viewer=[viewer])
    created = client.post(
        EXPERIMENTS,
        json={"title": "private run", "notes": "draft: secret-note-1", "visibility": "private"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.json
    eid = created.get_json()["id"]
    url = f"{EXPERIMENTS}/{eid}"
    for body in (
        {"notes": "secret-note-2, the version that gets shared"},
        {"visibility": "team", "team_id": str(team)},
        {"notes": "shared note for the team"},
        {"visibility": "public"},
        {"notes": "public note"},
    ):
        res = client.patch(url, json=body, headers=owner.headers)
        assert res.status_code == 200, (body, res.json)

    owners = client.get(f"{url}/history", headers=owner.headers).get_json()["changes"]
    assert "secret-note-1" in str(owners) and "secret-note-2" in str(owners)
    viewers = client.get(f"{url}/history", headers=viewer.headers).get_json()["changes"]
    # The draft overwritten while private never reaches the team.
    assert "secret-note-1" not in str(viewers)
    assert len(viewers) == len(owners)  # the timeline keeps every entry
    assert not any(c["redacted"] for c in owners)
    # Entries from the private era are redacted; team-era changes are the team's.
    assert [c["redacted"] for c in viewers] == [True, True, True, False, False, False]
    assert viewers[3]["changes"]["notes"]["new"] == "shared note for the team"
    assert viewers[1]["changes"] == {} and viewers[1]["action"] == "UPDATE"
    # What the team was shown when the experiment became theirs is the old value here.
    assert viewers[3]["changes"]["notes"]["old"] == "secret-note-2, the version that gets shared"

    anonymous = client.get(f"{url}/history").get_json()["changes"]
    assert "secret-note" not in str(anonymous)
    assert [c["redacted"] for c in anonymous] == [True, True, True, True, True, False]
    assert anonymous[5]["changes"]["notes"] == {
        "old": "shared note for the team",
        "new": "public note",
    }
