"""Measured literature values of the reference library, through the API and on reload."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from cryoprotect.db.database import SYSTEM_USER_ID, Identity
from cryoprotect.db.models import MolecularProperty, Molecule
from cryoprotect.services import reference_data

pytestmark = pytest.mark.integration

MEASURED_CSV = reference_data.REFERENCE_DIR / reference_data.MEASURED_FILE


def _csv_counts() -> Counter[str]:
    with MEASURED_CSV.open(encoding="utf-8", newline="") as handle:
        return Counter(row["name"] for row in csv.DictReader(handle))


def _system_measured_counts(db) -> Counter[str]:
    with db.transaction(Identity.service()) as session:
        rows = session.execute(
            sa.select(Molecule.name, sa.func.count())
            .join(MolecularProperty, MolecularProperty.molecule_id == Molecule.id)
            .where(
                MolecularProperty.provenance == "measured",
                MolecularProperty.created_by == SYSTEM_USER_ID,
                Molecule.visibility == "public",
            )
            .group_by(Molecule.name)
        ).all()
    return Counter({name: n for name, n in rows})


def _dmso_id(client) -> str:
    res = client.get("/api/v1/molecules?q=Dimethyl%20sulfoxide")
    assert res.status_code == 200, res.json
    ids = [m["id"] for m in res.json["items"] if m["name"] == "Dimethyl sulfoxide"]
    assert len(ids) == 1, res.json["items"]
    return ids[0]


def test_dmso_shows_computed_and_measured_logp_anonymously(client) -> None:
    res = client.get(f"/api/v1/molecules/{_dmso_id(client)}")
    assert res.status_code == 200, res.json
    props = res.json["properties"]
    computed = [p for p in props if p["property_name"] == "clogp_crippen"]
    measured = [p for p in props if p["property_name"] == "logp_experimental"]
    assert len(computed) == 1 and computed[0]["provenance"] == "computed"
    assert "RDKit" in computed[0]["method"]
    assert len(measured) == 1
    assert measured[0]["provenance"] == "measured"
    assert measured[0]["value"] == pytest.approx(-1.35)
    assert measured[0]["unit"] is None
    assert measured[0]["source"] and "ECHA" in measured[0]["source"]
    by_name = {p["property_name"]: p for p in props if p["provenance"] == "measured"}
    assert by_name["melting_point"]["unit"] == "°C"
    assert by_name["density"]["unit"] == "g/mL"
    # Measured values sit beside the descriptors; the CPA score still comes from computed ones.
    assert res.json["cpa_score"] is not None


def test_properties_endpoint_lists_the_measured_rows(client) -> None:
    res = client.get(f"/api/v1/molecules/{_dmso_id(client)}/properties")
    assert res.status_code == 200, res.json
    measured = [p for p in res.json if p["provenance"] == "measured"]
    assert {p["property_name"] for p in measured} == {
        "logp_experimental",
        "melting_point",
        "boiling_point",
        "density",
    }
    assert all(p["method"] and p["source"] for p in measured)


def test_reloading_does_not_duplicate_measured_rows(db, client) -> None:
    expected = _csv_counts()
    reference_data.load_reference_data(db)
    reference_data.load_reference_data(db)
    assert _system_measured_counts(db) == expected
    props = client.get(f"/api/v1/molecules/{_dmso_id(client)}").json["properties"]
    assert [p["property_name"] for p in props].count("logp_experimental") == 1
    assert [p["property_name"] for p in props].count("clogp_crippen") == 1


def test_counts_report_the_measured_rows(db) -> None:
    counts = reference_data.load_reference_data(db)
    assert counts["measured_properties"] == sum(_csv_counts().values())


def test_a_misspelt_name_fails_before_touching_the_database(
    db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("molecules.csv", "components_without_structure.csv"):
        shutil.copy(reference_data.REFERENCE_DIR / name, tmp_path / name)
    lines = MEASURED_CSV.read_text(encoding="utf-8").splitlines()
    lines.append(
        'Glycerine,density,1.26,g/mL,"pure liquid, 20 °C",typo test row with a long source'
    )
    (tmp_path / reference_data.MEASURED_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _system_measured_counts(db)
    monkeypatch.setattr(reference_data, "REFERENCE_DIR", tmp_path)
    with pytest.raises(ValueError, match="Glycerine"):
        reference_data.load_reference_data(db)
    assert _system_measured_counts(db) == before
