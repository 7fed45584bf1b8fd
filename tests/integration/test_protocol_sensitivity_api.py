"""Protocol design answers carry a sensitivity band over the published cell parameters."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

DMSO_1_4_M = {"components": [{"name": "Dimethyl sulfoxide", "amount": 1.4, "unit": "mol/L"}]}


def _design(client, cell_type, headers=None):
    body = {"cell_type": cell_type, "target": DMSO_1_4_M, "temperature_c": 22.0, "max_steps": 2}
    return client.post("/api/v1/protocols/design", json=body, headers=headers or {})


def test_design_reports_the_band_of_the_published_ranges(client, make_user):
    res = _design(client, "rhesus_mii_oocyte")
    assert res.status_code == 200, res.json
    band = res.json["sensitivity"]
    assert band["status"] == "ok"
    designed = res.json["protocols"]["designed"]
    low_min, high_min = band["min_volume_fraction"]
    low_max, high_max = band["max_volume_fraction"]
    assert low_min <= designed["min_volume_fraction"] + 1e-6 <= high_min + 2e-6
    assert low_max - 1e-6 <= designed["max_volume_fraction"] <= high_max + 1e-6
    ranges = {r["name"]: r for r in band["parameter_ranges"]}
    assert set(ranges) == {"lp", "inactive_volume_fraction", "ps (Dimethyl sulfoxide)"}
    for r in ranges.values():
        assert r["sources"] and r["low"] < r["high"]
        for end in ("low_case", "high_case"):
            assert isinstance(r[end]["within_limits"], bool)
    cases = [r[end]["within_limits"] for r in ranges.values() for end in ("low_case", "high_case")]
    assert band["limits_respected_at_extremes"] is all(cases)

    # A user's own cell type has no published range: the band is unknown, not a number.
    alice = make_user("alice")
    shipped = client.get("/api/v1/cell-types?q=rhesus").json["items"][0]["parameters"]
    mine = {**shipped, "name": f"My oocyte {uuid.uuid4().hex[:6]}", "key": "rhesus_mii_oocyte"}
    created = client.post("/api/v1/cell-types", json={"parameters": mine}, headers=alice.headers)
    assert created.status_code == 201, created.json
    res = _design(client, created.json["id"], alice.headers)
    assert res.status_code == 200, res.json
    band = res.json["sensitivity"]
    assert band["status"] == "no_published_range"
    assert band["min_volume_fraction"] is None and band["limits_respected_at_extremes"] is None
    assert band["reason"].startswith("unknown, because")


def test_changed_shipped_values_reach_the_database(client, db):
    # A database loaded before the red-cell inactive fraction was fitted to Zhao et al. 2004
    # (0.40 estimated) is brought up to date by the reference-data load (no migration).
    import sqlalchemy as sa

    from cryoprotect.db.database import SYSTEM_USER_ID, Identity
    from cryoprotect.db.models import CellType as CellTypeRow
    from cryoprotect.services.protocols import load_reference_cell_types

    load_reference_cell_types(db)
    with db.transaction(Identity.service()) as session:
        row = session.scalars(
            sa.select(CellTypeRow).where(
                CellTypeRow.created_by == SYSTEM_USER_ID,
                CellTypeRow.name == "Human red blood cell",
            )
        ).one()
        stale = dict(row.parameters)
        stale["inactive_volume_fraction"] = 0.4
        row.parameters = stale
    load_reference_cell_types(db)
    items = client.get("/api/v1/cell-types?q=red&per_page=100").json["items"]
    rbc = next(c for c in items if c["builtin"] and c["parameters"]["key"] == "human_rbc")
    assert rbc["parameters"]["inactive_volume_fraction"] == 0.527
    glycerol = next(p for p in rbc["parameters"]["permeabilities"] if p["solute"] == "Glycerol")
    assert glycerol["saturation_molality_mol_per_kg"] == 0.136
