"""Structural alerts (RDKit FilterCatalog: Brenk, NIH, PAINS) and the alert-adjusted score
(issue 16, item 4)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdkit import Chem

from cryoprotect.errors import InvalidStructureError, ValidationError
from cryoprotect.science.alerts import (
    CATALOGUES,
    FAMILIES,
    PENALTY_COLUMNS,
    PENALTY_TABLE,
    Alert,
    alert_adjusted_score,
    alerts_for_smiles,
    default_penalties,
    filter_catalog,
    load_penalties,
    penalty_factor,
    structural_alerts,
)

pytestmark = pytest.mark.unit

# 5-benzylidene rhodanine: the ene_rhod family of Baell & Holloway's PAINS (family A).
BENZYLIDENE_RHODANINE = "O=C1C(=Cc2ccccc2)SC(=S)N1"


def test_hydrazine_is_flagged_by_brenk_on_its_nn_bond() -> None:
    report = alerts_for_smiles("NN")
    brenk = [a for a in report.alerts if a.catalogue == "Brenk"]
    assert "hydrazine" in {a.description for a in brenk}
    assert all(a.atoms == (0, 1) for a in brenk if a.description == "hydrazine")
    assert "Brenk" in report.catalogues
    assert report.count == len(report.alerts) == len(report.descriptions)
    assert "Brenk: hydrazine" in report.descriptions
    assert "ChemMedChem 3:435" in brenk[0].reference


@pytest.mark.parametrize(
    "smiles", ["OCCO", "OCC(O)CO", "CS(C)=O"], ids=["ethylene glycol", "glycerol", "DMSO"]
)
def test_common_cpas_are_not_flagged(smiles: str) -> None:
    report = alerts_for_smiles(smiles)
    assert report.alerts == () and report.count == 0
    assert report.penalty_factor == 1.0
    assert report.adjusted(0.8) == 0.8


def test_pains_flags_a_benzylidene_rhodanine_with_its_atoms() -> None:
    mol = Chem.MolFromSmiles(BENZYLIDENE_RHODANINE)
    alerts = structural_alerts(mol)
    pains = [a for a in alerts if a.family == "PAINS"]
    assert [a.catalogue for a in pains] == ["PAINS_A"]
    assert pains[0].description.startswith("ene_rhod")
    assert "J Med Chem 53:2719" in pains[0].reference
    # the exocyclic C=C and the rhodanine ring atoms, not the phenyl ring
    ring = set(mol.GetSubstructMatch(Chem.MolFromSmarts("C1(=O)C(=C)SC(=S)N1")))
    assert set(pains[0].atoms) == ring
    phenyl = set(mol.GetSubstructMatch(Chem.MolFromSmarts("c1ccccc1")))
    assert not set(pains[0].atoms) & phenyl


def test_alerts_are_in_catalogue_order_and_the_catalogue_is_built_once() -> None:
    alerts = alerts_for_smiles(BENZYLIDENE_RHODANINE).alerts
    order = [c.name for c in CATALOGUES]
    assert [order.index(a.catalogue) for a in alerts] == sorted(
        order.index(a.catalogue) for a in alerts
    )
    assert filter_catalog() is filter_catalog()
    assert filter_catalog().GetNumEntries() == 105 + 180 + 16 + 55 + 409


def test_penalty_counts_each_family_once() -> None:
    table = default_penalties()
    brenk, nih, pains = (table[f].penalty_factor for f in FAMILIES)
    hydrazine = alerts_for_smiles("NN")  # Brenk twice (hydrazine, O-N/N-N bond) and NIH
    assert sum(a.family == "Brenk" for a in hydrazine.alerts) >= 2
    assert hydrazine.penalty_factor == pytest.approx(brenk * nih)
    rhodanine = alerts_for_smiles(BENZYLIDENE_RHODANINE)  # Brenk, NIH and PAINS_A
    assert rhodanine.penalty_factor == pytest.approx(brenk * nih * pains)
    assert penalty_factor([]) == 1.0


def test_alert_adjusted_score_ranks_a_clean_molecule_above_an_alerted_one() -> None:
    hydrazine = alerts_for_smiles("NN").alerts
    glycerol = alerts_for_smiles("OCC(O)CO").alerts
    # hydrazine outscores glycerol on the CPA score in the NCI screen; not after the alerts
    assert alert_adjusted_score(0.99, hydrazine) < alert_adjusted_score(0.80, glycerol)
    assert alert_adjusted_score(0.8, glycerol) == 0.8
    fake = [Alert("PAINS_B", "PAINS", "x", (0,)), Alert("PAINS_C", "PAINS", "y", (1,))]
    assert alert_adjusted_score(1.0, fake) == pytest.approx(
        default_penalties()["PAINS"].penalty_factor
    )


def test_shipped_penalties_say_they_are_our_choice() -> None:
    with PENALTY_TABLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["family"] for r in rows} == set(FAMILIES)
    for row in rows:
        assert row["provenance"] == "estimated" and row["verified"] == "false"
        assert row["source"].startswith("Our choice")
        assert 0 < float(row["penalty_factor"]) < 1


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "penalties.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(PENALTY_COLUMNS), *rows])
    return path


def test_bad_penalty_tables_are_rejected(tmp_path: Path) -> None:
    good = [
        ["Brenk", "Brenk", "0.5", "1", "s", "estimated", "false"],
        ["NIH", "NIH", "0.5", "1", "s", "estimated", "false"],
        ["PAINS", "PAINS_A|PAINS_B|PAINS_C", "0.8", "1", "s", "estimated", "false"],
    ]
    assert load_penalties(_write(tmp_path, good))["PAINS"].catalogues == (
        "PAINS_A",
        "PAINS_B",
        "PAINS_C",
    )
    with pytest.raises(ValidationError, match="penalty_factor"):
        load_penalties(_write(tmp_path, [good[0], good[1], [*good[2][:2], "1.5", *good[2][3:]]]))
    with pytest.raises(ValidationError, match="no factor for NIH"):
        load_penalties(_write(tmp_path, [good[0], good[2]]))
    with pytest.raises(ValidationError, match="unknown family or catalogue"):
        load_penalties(_write(tmp_path, [good[0], good[1], ["PAINS", "Brenk", *good[2][2:]]]))


def test_unparseable_smiles_is_an_invalid_structure() -> None:
    with pytest.raises(InvalidStructureError):
        alerts_for_smiles("C1CC")
