"""Structural alerts in the molecule library API (issue 16, item 4): list items and the
detail carry ``alerts``; the detail also the alert-adjusted CPA score."""

from __future__ import annotations

import pytest

from cryoprotect.science.alerts import default_penalties

pytestmark = pytest.mark.integration


def _register(client, user, smiles: str, name: str) -> str:
    created = client.post(
        "/api/v1/molecules", json={"structure": smiles, "name": name}, headers=user.headers
    )
    assert created.status_code == 201, created.json
    assert created.json["alerts"]["count"] == len(created.json["alerts"]["alerts"])
    return str(created.json["id"])


def test_list_and_detail_carry_alerts(client, make_user) -> None:
    user = make_user()
    hydrazine = _register(client, user, "NN", "hydrazine")
    glycerol = _register(client, user, "OCC(O)CO", "glycerol")
    polymer = client.post(
        "/api/v1/molecules",
        json={"kind": "no_structure", "name": "PVP K30", "average_molar_mass": 40000},
        headers=user.headers,
    )
    assert polymer.status_code == 201, polymer.json

    listed = client.get(
        "/api/v1/molecules?visibility=private&per_page=100", headers=user.headers
    ).json
    by_name = {m["name"]: m for m in listed["items"]}
    alerts = by_name["hydrazine"]["alerts"]
    assert "Brenk" in alerts["catalogues"] and "NIH" in alerts["catalogues"]
    assert {"catalogue": "Brenk", "description": "hydrazine"}.items() <= next(
        a for a in alerts["alerts"] if a["description"] == "hydrazine"
    ).items()
    assert all(a["atoms"] == [0, 1] for a in alerts["alerts"])
    assert all("doi:" in a["reference"] for a in alerts["alerts"])
    assert "FilterCatalog" in alerts["method"] and "estimated" in alerts["ranking_method"]
    expected = (
        default_penalties()["Brenk"].penalty_factor * default_penalties()["NIH"].penalty_factor
    )
    assert alerts["penalty_factor"] == pytest.approx(expected)
    assert by_name["glycerol"]["alerts"]["count"] == 0
    assert by_name["glycerol"]["alerts"]["penalty_factor"] == 1.0
    assert by_name["PVP K30"]["alerts"] is None

    detail = client.get(f"/api/v1/molecules/{hydrazine}", headers=user.headers).json
    assert detail["alerts"] == alerts
    assert detail["alert_adjusted_score"] == pytest.approx(detail["cpa_score"]["score"] * expected)
    clean = client.get(f"/api/v1/molecules/{glycerol}", headers=user.headers).json
    assert clean["alert_adjusted_score"] == pytest.approx(clean["cpa_score"]["score"])
    assert detail["cpa_score"]["score"] > clean["cpa_score"]["score"]
    assert detail["alert_adjusted_score"] < clean["alert_adjusted_score"]


def test_overridden_alerts_are_shown_with_their_reason_but_not_penalised(client, make_user) -> None:
    user = make_user()
    formamide = _register(client, user, "NC=O", "formamide")
    detail = client.get(f"/api/v1/molecules/{formamide}", headers=user.headers).json
    report = detail["alerts"]
    assert report["count"] == 1 and report["catalogues"] == ["Brenk"]
    (alert,) = report["alerts"]
    assert alert["description"] == "aldehyde" and alert["penalised"] is False
    assert "amide" in alert["override_reason"]
    assert report["penalty_factor"] == 1.0
    assert detail["alert_adjusted_score"] == pytest.approx(detail["cpa_score"]["score"])
    hydrazine = client.get(
        f"/api/v1/molecules/{_register(client, user, 'NN', 'hydrazine')}", headers=user.headers
    ).json
    assert all(a["penalised"] and a["override_reason"] == "" for a in hydrazine["alerts"]["alerts"])
