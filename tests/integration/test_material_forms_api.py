"""Material forms (issue 18, "Hydrates and salts"): registration records the weighed form,
forms are added, listed and deleted per molecule, and RLS decides who sees them.

Reference molar masses: trehalose C12H22O11 342.30 g/mol and its dihydrate
C12H22O11·2H2O 378.33 g/mol (The Merck Index monograph "Trehalose", CAS 99-20-7 and
6138-23-4); L-proline hydrochloride C5H10ClNO2 151.59 g/mol (L-proline 115.13 + HCl 36.46).
"""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.integration

TREHALOSE = "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O"
TREHALOSE_DIHYDRATE = TREHALOSE + ".O.O"
TREHALOSE_INCHIKEY = "HDTRYLNUVZCQOY-LIZSDCNHSA-N"


def _library(client, name: str) -> str:
    page = client.get("/api/v1/molecules", query_string={"q": name, "visibility": "public"}).json
    (found,) = [m for m in page["items"] if m["name"] == name]
    return str(found["id"])


def test_registering_the_dihydrate_stores_the_parent_and_records_the_form(
    client, make_user
) -> None:
    user = make_user("forms-register")
    res = client.post(
        "/api/v1/molecules",
        json={"structure": TREHALOSE_DIHYDRATE, "name": "Trehalose"},
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    body = res.json
    assert body["inchikey"] == TREHALOSE_INCHIKEY
    assert body["formula"] == "C12H22O11"
    assert body["molecular_weight"] == pytest.approx(342.30, abs=0.01)
    form = body["standardization"]["material_form"]
    assert form["label"] == "dihydrate"
    assert form["kind"] == "hydrate"
    assert form["formula"] == "C12H26O13"
    assert form["molar_mass"] == pytest.approx(378.33, abs=0.01)
    assert form["message"] == (
        "stored as Trehalose (parent); material form: dihydrate, C12H26O13, 378.33 g/mol"
    )

    listed = client.get(f"/api/v1/molecules/{body['id']}/forms", headers=user.headers)
    assert listed.status_code == 200, listed.json
    (row,) = listed.json
    assert row["id"] == form["id"]
    assert row["components"] == [{"smiles": "O", "count": 2}]
    assert row["water_per_parent"] == 2
    assert row["molar_mass_method"] == "RDKit average molecular weight from the formula"
    assert row["visibility"] == "private"

    # Registering the anhydrous parent again, merged, records no form; the dihydrate again
    # (merged) reuses the recorded one.
    again = client.post(
        "/api/v1/molecules",
        json={"structure": TREHALOSE_DIHYDRATE, "on_duplicate": "merge"},
        headers=user.headers,
    )
    assert again.status_code == 200, again.json
    assert again.json["standardization"]["material_form"]["id"] == form["id"]
    plain = client.post(
        "/api/v1/molecules",
        json={"structure": TREHALOSE, "on_duplicate": "merge"},
        headers=user.headers,
    )
    assert plain.status_code == 200, plain.json
    assert "material_form" not in plain.json["standardization"]
    assert len(client.get(f"/api/v1/molecules/{body['id']}/forms", headers=user.headers).json) == 1


def test_add_list_and_delete_a_salt_form(client, make_user) -> None:
    user = make_user("forms-add")
    proline = _library(client, "L-Proline")
    res = client.post(
        f"/api/v1/molecules/{proline}/forms",
        json={
            "components": [{"smiles": "Cl", "count": 1}],
            "supplier": "Sigma",
            "cas": "7776-34-9",
        },
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    form = res.json
    assert (form["kind"], form["label"], form["formula"]) == ("salt", "hydrochloride", "C5H10ClNO2")
    assert form["molar_mass"] == pytest.approx(151.59, abs=0.01)
    assert form["cas"] == "7776-34-9"
    # The chloride ion on the neutral amino acid is the same form (a proton balances it).
    ion = client.post(
        f"/api/v1/molecules/{proline}/forms",
        json={"components": [{"smiles": "[Cl-]", "count": 1}], "label": "chloride salt"},
        headers=user.headers,
    )
    assert ion.status_code == 201, ion.json
    assert ion.json["formula"] == "C5H10ClNO2"
    assert ion.json["molar_mass"] == pytest.approx(form["molar_mass"], abs=1e-9)

    duplicate = client.post(
        f"/api/v1/molecules/{proline}/forms",
        json={"components": [{"smiles": "Cl", "count": 1}]},
        headers=user.headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["details"]["existing_id"] == form["id"]

    mine = client.get(f"/api/v1/molecules/{proline}/forms", headers=user.headers).json
    assert {f["id"] for f in mine} >= {form["id"], ion.json["id"]}
    gone = client.delete(f"/api/v1/molecules/{proline}/forms/{form['id']}", headers=user.headers)
    assert gone.status_code == 204, gone.json
    after = client.get(f"/api/v1/molecules/{proline}/forms", headers=user.headers).json
    assert form["id"] not in {f["id"] for f in after}
    assert (
        client.delete(
            f"/api/v1/molecules/{proline}/forms/{form['id']}", headers=user.headers
        ).status_code
        == 404
    )


def test_bad_components_name_the_field(client, make_user) -> None:
    user = make_user("forms-bad")
    proline = _library(client, "L-Proline")
    url = f"/api/v1/molecules/{proline}/forms"
    bad = client.post(
        url, json={"components": [{"smiles": "C1CC", "count": 1}]}, headers=user.headers
    )
    assert bad.status_code == 400, bad.json
    assert bad.json["error"]["details"]["field"] == "components[0].smiles"
    zero = client.post(
        url, json={"components": [{"smiles": "O", "count": 0}]}, headers=user.headers
    )
    assert zero.status_code == 422
    cas = client.post(
        url, json={"components": [{"smiles": "O", "count": 1}], "cas": "12-3"}, headers=user.headers
    )
    assert cas.status_code == 422 and cas.json["error"]["details"]["field"] == "cas"
    signed_out = client.post(url, json={"components": [{"smiles": "O", "count": 1}]})
    assert signed_out.status_code == 401


def test_forms_follow_row_level_security(client, make_user, make_team) -> None:
    owner, teammate, outsider = (
        make_user("forms-owner"),
        make_user("forms-mate"),
        make_user("forms-out"),
    )
    team = make_team(owner, editor=[teammate])
    proline = _library(client, "L-Proline")
    team_form = client.post(
        f"/api/v1/molecules/{proline}/forms",
        json={
            "components": [{"smiles": "O", "count": 1}],
            "visibility": "team",
            "team_id": str(team),
        },
        headers=owner.headers,
    )
    assert team_form.status_code == 201, team_form.json
    form_id = team_form.json["id"]
    seen_by = {
        who: {f["id"] for f in client.get(f"/api/v1/molecules/{proline}/forms", headers=h).json}
        for who, h in (("mate", teammate.headers), ("out", outsider.headers), ("anon", {}))
    }
    assert form_id in seen_by["mate"]
    assert form_id not in seen_by["out"] and form_id not in seen_by["anon"]
    assert (
        client.delete(
            f"/api/v1/molecules/{proline}/forms/{form_id}", headers=outsider.headers
        ).status_code
        == 404
    )

    # A private molecule of the owner: invisible to the outsider, so no forms to read or add.
    private = client.post(
        "/api/v1/molecules", json={"structure": TREHALOSE_DIHYDRATE}, headers=owner.headers
    ).json
    url = f"/api/v1/molecules/{private['id']}/forms"
    assert client.get(url, headers=outsider.headers).status_code == 404
    added = client.post(
        url, json={"components": [{"smiles": "O", "count": 3}]}, headers=outsider.headers
    )
    assert added.status_code == 404, added.json
    assert len(client.get(url, headers=owner.headers).json) == 1


def test_a_mixture_weighed_as_the_dihydrate(client, make_user) -> None:
    """10 g of trehalose dihydrate made up to 100 g with water: 10/378.33 = 0.02643 mol of
    trehalose (9.048 g) and 10 × 36.03/378.33 = 0.952 g of water of crystallisation, which
    joins the 90 g of water added: 0.2906 mol/kg."""
    user = make_user("forms-mixture")
    trehalose = _library(client, "Trehalose")
    form = client.post(
        f"/api/v1/molecules/{trehalose}/forms",
        json={"components": [{"smiles": "O", "count": 2}]},
        headers=user.headers,
    ).json
    components = [
        {"molecule_id": trehalose, "amount": 10.0, "unit": "% w/w", "material_form_id": form["id"]}
    ]
    res = client.post(
        "/api/v1/mixtures",
        json={"name": "trehalose dihydrate 10 g per 100 g", "components": components},
        headers=user.headers,
    )
    assert res.status_code == 201, res.json
    (component,) = res.json["components"]
    assert component["material_form_id"] == form["id"]
    assert component["material_form"]["label"] == "dihydrate"
    assert component["material_form"]["formula"] == "C12H26O13"
    assert component["amount"] == 10.0  # as weighed

    props = client.get(f"/api/v1/mixtures/{res.json['id']}/properties", headers=user.headers)
    assert props.status_code == 200, props.json
    amounts = props.json["composition"]["amounts"]
    assert amounts["% w/w"][0] == pytest.approx(10.0 * 342.30 / 378.33, abs=1e-3)
    molality = (10.0 / 378.33) / ((90.0 + 10.0 * 36.03 / 378.33) / 1000.0)
    assert amounts["mol/kg"][0] == pytest.approx(molality, rel=1e-4)
    assert amounts["mol/kg"][0] == pytest.approx(0.2906, abs=5e-4)
    notes = " ".join(props.json["composition"]["notes"])
    assert "weighed as dihydrate (C12H26O13, 378.33 g/mol" in notes
    assert "water of crystallisation" in notes

    # The export's components table names the form weighed.
    export = client.get(
        f"/api/v1/mixtures/{res.json['id']}/export?format=csv", headers=user.headers
    )
    assert export.status_code == 200, export.data[:300]
    (row,) = csv.DictReader(io.StringIO(export.data.decode("utf-8-sig")))
    assert row["Weighed as (material form)"] == "dihydrate (C12H26O13)"

    # Without the form the same amount is of trehalose itself (behaviour unchanged).
    plain = client.post(
        "/api/v1/solutions/properties",
        json={"components": [{"molecule_id": trehalose, "amount": 10.0, "unit": "% w/w"}]},
    )
    assert plain.status_code == 200, plain.json
    assert plain.json["composition"]["amounts"]["% w/w"][0] == pytest.approx(10.0, abs=1e-9)

    # Moles of the form are moles of trehalose; % v/v of a weighed solid is refused.
    molar = client.post(
        "/api/v1/solutions/properties",
        json={"components": [{**components[0], "amount": 0.3, "unit": "mol/kg"}]},
        headers=user.headers,
    )
    assert molar.status_code == 200, molar.json
    assert molar.json["composition"]["amounts"]["mol/kg"][0] == pytest.approx(0.3, rel=1e-9)
    by_volume = client.post(
        "/api/v1/solutions/properties",
        json={"components": [{**components[0], "unit": "% v/v"}]},
        headers=user.headers,
    )
    assert by_volume.status_code == 422, by_volume.json
    assert by_volume.json["error"]["details"]["field"] == "components[0].unit"
    # A form of another molecule is not this component's form.
    glycerol = _library(client, "Glycerol")
    wrong = client.post(
        "/api/v1/solutions/properties",
        json={"components": [{**components[0], "molecule_id": glycerol}]},
        headers=user.headers,
    )
    assert wrong.status_code == 404, wrong.json
    assert wrong.json["error"]["details"]["field"] == "components[0].material_form_id"
    # A form a mixture was weighed with cannot be deleted under it.
    kept = client.delete(f"/api/v1/molecules/{trehalose}/forms/{form['id']}", headers=user.headers)
    assert kept.status_code == 409, kept.json


def test_a_mixture_cannot_reach_further_than_its_forms(client, make_user, make_team) -> None:
    """A team or public mixture weighed with a private form would hide from its readers how
    its amounts were weighed: refused, naming the component's material_form_id."""
    user = make_user("forms-reach")
    team = make_team(user)
    trehalose = _library(client, "Trehalose")
    form = client.post(
        f"/api/v1/molecules/{trehalose}/forms",
        json={"components": [{"smiles": "O", "count": 2}]},
        headers=user.headers,
    ).json
    component = {
        "molecule_id": trehalose,
        "amount": 5.0,
        "unit": "% w/w",
        "material_form_id": form["id"],
    }
    body = {"name": "reach", "components": [component], "visibility": "team", "team_id": str(team)}
    refused = client.post("/api/v1/mixtures", json=body, headers=user.headers)
    assert refused.status_code == 422, refused.json
    assert refused.json["error"]["details"]["field"] == "components[0].material_form_id"

    private = client.post(
        "/api/v1/mixtures", json={"name": "reach", "components": [component]}, headers=user.headers
    )
    assert private.status_code == 201, private.json
    widened = client.patch(
        f"/api/v1/mixtures/{private.json['id']}",
        json={"visibility": "public"},
        headers=user.headers,
    )
    assert widened.status_code == 422, widened.json
    assert widened.json["error"]["details"]["field"] == "components[0].material_form_id"

    team_form = client.post(
        f"/api/v1/molecules/{trehalose}/forms",
        json={
            "components": [{"smiles": "O", "count": 2}],
            "visibility": "team",
            "team_id": str(team),
        },
        headers=user.headers,
    ).json
    shared = client.post(
        "/api/v1/mixtures",
        json={**body, "components": [{**component, "material_form_id": team_form["id"]}]},
        headers=user.headers,
    )
    assert shared.status_code == 201, shared.json


def test_the_database_refuses_a_form_of_a_molecule_the_caller_cannot_see(
    client, make_user, db
) -> None:
    """RLS itself (migration 0020), not only the service: the INSERT policy needs the
    molecule to be visible, and SELECT hides another user's private form."""
    import sqlalchemy as sa

    from cryoprotect.db.database import Identity
    from cryoprotect.db.models import MaterialForm
    from cryoprotect.errors import PermissionDenied

    owner, outsider = make_user("forms-db-owner"), make_user("forms-db-out")
    molecule = client.post(
        "/api/v1/molecules", json={"structure": TREHALOSE_DIHYDRATE}, headers=owner.headers
    ).json
    form_id = molecule["standardization"]["material_form"]["id"]
    values = {
        "molecule_id": molecule["id"],
        "kind": "hydrate",
        "label": "trihydrate",
        "components": [{"smiles": "O", "count": 3}],
        "components_key": "O*3",
        "formula": "C12H28O14",
        "molar_mass": 396.34,
        "created_by": outsider.id,
    }
    with pytest.raises(PermissionDenied):
        with db.transaction(Identity.user(outsider.id)) as session:
            session.execute(sa.insert(MaterialForm).values(**values))
    # The same row for a molecule the outsider can see (the public library's) is accepted.
    public = {**values, "molecule_id": _library(client, "Trehalose")}
    with db.transaction(Identity.user(outsider.id)) as session:
        session.execute(sa.insert(MaterialForm).values(**public))
    with db.transaction(Identity.user(outsider.id)) as session:
        seen = session.scalar(
            sa.select(sa.func.count()).select_from(MaterialForm).where(MaterialForm.id == form_id)
        )
    assert seen == 0
    with db.transaction(Identity.user(owner.id)) as session:
        assert session.get(MaterialForm, form_id) is not None
