"""Structural alerts (RDKit FilterCatalog: Brenk, NIH, PAINS) and the alert-adjusted score
(issue 16, item 4)."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
from rdkit import Chem, RDConfig

import cryoprotect.science.alerts as alerts_module
from cryoprotect.errors import InvalidStructureError, ValidationError
from cryoprotect.science.alerts import (
    CATALOGUES,
    FAMILIES,
    OVERRIDE_COLUMNS,
    OVERRIDE_TABLE,
    PENALTY_COLUMNS,
    PENALTY_TABLE,
    STORED_FORMAT,
    Alert,
    alert_adjusted_score,
    alerts_for_smiles,
    alerts_key,
    decode_alerts,
    default_overrides,
    default_penalties,
    encode_alerts,
    entry_pattern,
    filter_catalog,
    load_overrides,
    load_penalties,
    penalty_factor,
    structural_alerts,
)
from cryoprotect.science.standardize import register_structure

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


# --- per-alert overrides (shown, not penalised) -------------------------------------------

SUCROSE = "OC[C@H]1O[C@@](CO)(O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@@H](O)[C@@H]1O"
TREHALOSE = "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O"
CPAS = {
    "glycerol": ("OCC(O)CO", ()),
    "DMSO": ("CS(C)=O", ()),
    "ethylene glycol": ("OCCO", ()),
    "propylene glycol": ("CC(O)CO", ()),
    "sucrose": (SUCROSE, ("NIH: gte_7_aliphatic_OH",)),
    "trehalose": (TREHALOSE, ("NIH: gte_7_aliphatic_OH",)),
    "formamide": ("NC=O", ("Brenk: aldehyde",)),
    "N-methylformamide": ("CNC=O", ("Brenk: aldehyde",)),
    "betaine": ("C[N+](C)(C)CC(=O)[O-]", ("Brenk: quaternary_nitrogen_2",)),
    "tetraethylene glycol": ("OCCOCCOCCOCCO", ("Brenk: Aliphatic_long_chain",)),
}


@pytest.mark.parametrize("name", list(CPAS))
def test_established_cpas_keep_their_score_and_show_their_alerts(name: str) -> None:
    smiles, shown = CPAS[name]
    # as registered: the standardised parent (DMSO becomes C[S+](C)[O-] and then meets
    # Brenk's charged_oxygen_or_sulfur_atoms)
    parent = register_structure(smiles, "smiles").smiles
    for form in {smiles, parent}:
        report = alerts_for_smiles(form)
        assert set(shown) <= {a.label for a in report.alerts}
        assert report.penalty_factor == 1.0, (form, report.descriptions)
        assert report.adjusted(0.8) == 0.8
        for alert in report.alerts:
            assert not alert.penalised and alert.override_factor == 1.0
            assert alert.override_reason
            assert f"{alert.label} (not penalised)" in report.descriptions


def test_dmso_as_registered_shows_the_charged_sulfur_alert_unpenalised() -> None:
    report = alerts_for_smiles(register_structure("CS(C)=O", "smiles").smiles)
    assert [a.label for a in report.alerts] == ["Brenk: charged_oxygen_or_sulfur_atoms"]
    assert report.penalty_factor == 1.0


@pytest.mark.parametrize(
    "smiles",
    ["NN", "CNN", "NNC(=O)NN", "NNC(=NN)NN"],
    ids=["hydrazine", "methylhydrazine", "carbohydrazide", "triaminoguanidine"],
)
def test_hydrazines_are_still_penalised(smiles: str) -> None:
    report = alerts_for_smiles(register_structure(smiles, "smiles").smiles)
    assert report.penalty_factor <= default_penalties()["Brenk"].penalty_factor < 1
    assert any(a.description == "hydrazine" and a.penalised for a in report.alerts)


@pytest.mark.parametrize(
    ("smiles", "alert"),
    [
        ("CC=O", "Brenk: aldehyde"),  # a real aldehyde
        ("COC=O", "Brenk: aldehyde"),  # a formate ester: the formyl is not on nitrogen
        ("C[N+](C)(C)C", "Brenk: quaternary_nitrogen_2"),  # a permanent cation
        ("C[N+](C)(C)CCO", "Brenk: quaternary_nitrogen_2"),  # choline: no inner salt
        ("CCCCCCCCO", "Brenk: Aliphatic_long_chain"),  # a hydrocarbon chain
        ("NCCNCCN", "Brenk: Aliphatic_long_chain"),  # an amine chain: not an ether chain
        ("C[S+](C)C", "Brenk: charged_oxygen_or_sulfur_atoms"),  # a sulfonium
    ],
)
def test_overrides_leave_what_the_alert_is_about_penalised(smiles: str, alert: str) -> None:
    report = alerts_for_smiles(smiles)
    matched = next(a for a in report.alerts if a.label == alert)
    assert matched.penalised and matched.override_factor is None
    assert report.penalty_factor < 1


def test_a_family_with_an_overridden_and_a_penalised_alert_counts_once_penalised() -> None:
    # TMAO: Brenk quaternary_nitrogen_2 (an N-oxide inner salt: not penalised) and Brenk
    # Oxygen-nitrogen_single_bond (penalised) -> Brenk's factor once
    report = alerts_for_smiles("C[N+](C)(C)[O-]")
    by_label = {a.label: a for a in report.alerts}
    assert not by_label["Brenk: quaternary_nitrogen_2"].penalised
    assert by_label["Brenk: Oxygen-nitrogen_single_bond"].penalised
    assert report.penalty_factor == default_penalties()["Brenk"].penalty_factor
    fake = [Alert("NIH", "NIH", "x", (0,), override_factor=0.9)]
    assert penalty_factor(fake) == pytest.approx(0.9)


def test_shipped_overrides_are_rules_about_alerts_with_reasons() -> None:
    table = default_overrides()
    assert {key[1] for key in table} >= {
        "gte_7_aliphatic_OH",
        "aldehyde",
        "quaternary_nitrogen_2",
        "Aliphatic_long_chain",
    }
    for rule in table.values():
        assert rule.provenance == "estimated" and rule.verified is False
        assert rule.factor == 1.0 and len(rule.reason) > 80
        assert "Our judgement" in rule.source
    with OVERRIDE_TABLE.open(encoding="utf-8", newline="") as handle:
        assert tuple(csv.DictReader(handle).fieldnames or ()) == OVERRIDE_COLUMNS


def _write_overrides(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "overrides.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(OVERRIDE_COLUMNS), *rows])
    return path


def test_bad_override_tables_are_rejected(tmp_path: Path) -> None:
    good = ["Brenk", "aldehyde", "1.0", "[CH1]=O", "why", "src", "estimated", "false"]
    assert load_overrides(_write_overrides(tmp_path, [good]))[("Brenk", "aldehyde")].factor == 1
    cases = [
        (["Brenk", "sucrose", *good[2:]], "no alert 'sucrose'"),
        ([*good[:2], "0", *good[3:]], "factor"),
        ([*good[:3], "[C(", *good[4:]], "SMARTS"),
        ([*good[:4], "", *good[5:]], "reason"),
    ]
    for row, message in cases:
        with pytest.raises(ValidationError, match=message):
            load_overrides(_write_overrides(tmp_path, [row]))
    with pytest.raises(ValidationError, match="twice"):
        load_overrides(_write_overrides(tmp_path, [good, good]))


# --- the fingerprint screen gives RDKit's own answer ---------------------------------------


def test_every_catalogue_pattern_is_read_for_the_screen() -> None:
    catalog = filter_catalog()
    patterns = [entry_pattern(catalog.GetEntryWithIdx(i)) for i in range(catalog.GetNumEntries())]
    assert all(p is not None and p.GetNumAtoms() > 0 for p in patterns)


def test_screened_matching_equals_rdkit_getmatches_on_the_nci_sample() -> None:
    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    lines = [ln.split()[0] for ln in path.read_text().splitlines() if ln.strip()][:400]
    mols = [Chem.MolFromSmiles(s) for s in [*lines, BENZYLIDENE_RHODANINE, "NN", "NC=O"]]
    catalog = filter_catalog()
    alerted = 0
    for mol in (m for m in mols if m is not None):
        expected = [
            (
                str(e.GetProp("FilterSet")),
                str(e.GetDescription()),
                tuple(sorted({p[1] for x in e.GetFilterMatches(mol) for p in x.atomPairs})),
            )
            for e in catalog.GetMatches(mol)
        ]
        got = [(a.catalogue, a.description, a.atoms) for a in structural_alerts(mol)]
        assert sorted(got) == sorted(expected), Chem.MolToSmiles(mol)
        alerted += bool(got)
    assert alerted > 100  # the comparison covers many matches, not only clean molecules


# --- stored alerts (migration 0022) ---------------------------------------------------------


@pytest.mark.parametrize(
    "smiles",
    ["NN", "CS(C)=O", "O=CNC", "OCC(O)CO", "O=C1C(=Cc2ccccc2)SC(=S)N1", "CCCCCCCCCCCCO"],
)
def test_stored_alerts_read_back_as_found(smiles: str) -> None:
    found = alerts_for_smiles(smiles)
    stored = json.loads(json.dumps(encode_alerts(found)))  # as jsonb returns it
    assert decode_alerts(stored) == found  # overrides, atoms and factor included


def test_stored_alerts_take_the_factor_from_the_penalty_table_given() -> None:
    found = alerts_for_smiles("NN")
    halved = {
        family: replace(factor, penalty_factor=0.1)
        for family, factor in default_penalties().items()
    }
    report = decode_alerts(encode_alerts(found), halved)
    assert report is not None and report.alerts == found.alerts
    assert len(found.families) == 2  # Brenk and NIH: one factor each
    assert report.penalty_factor == pytest.approx(0.1**2)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        {"catalogue": "Brenk"},
        [{"catalogue": "Unknown", "description": "x", "atoms": [], "override_factor": None,
          "override_reason": ""}],
        [{"catalogue": "Brenk", "description": "x", "atoms": ["a"], "override_factor": None,
          "override_reason": ""}],
        [{"catalogue": "Brenk", "description": "x"}],
        ["Brenk"],
    ],
)  # fmt: skip
def test_stored_alerts_of_another_shape_are_not_used(stored: object) -> None:
    assert decode_alerts(stored) is None


def test_the_alerts_key_names_the_format_and_changes_with_the_override_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = alerts_key()
    assert key.startswith(f"{STORED_FORMAT}:") and len(key) <= 64
    changed = tmp_path / "overrides.csv"
    changed.write_bytes(OVERRIDE_TABLE.read_bytes() + b"\n")
    monkeypatch.setattr(alerts_module, "OVERRIDE_TABLE", changed)
    alerts_key.cache_clear()
    try:
        assert alerts_key() != key
    finally:
        monkeypatch.undo()
        alerts_key.cache_clear()
    assert alerts_key() == key
