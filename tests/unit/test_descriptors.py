"""The documented descriptor set: values pinned to PubChem and to chemistry facts."""

from __future__ import annotations

import pytest
from rdkit import Chem

from cryoprotect.science.descriptors import (
    DESCRIPTOR_METHOD,
    DESCRIPTORS,
    DESCRIPTORS_BY_NAME,
    compute_descriptors,
)
from cryoprotect.science.standardize import register_structure

pytestmark = pytest.mark.unit


def describe(smiles: str) -> dict[str, float]:
    return compute_descriptors(Chem.MolFromSmiles(smiles))


def test_table_documents_every_value_in_order() -> None:
    names = [spec.name for spec in DESCRIPTORS]
    assert len(names) == len(set(names))
    assert list(describe("OCC(O)CO")) == names
    assert set(DESCRIPTORS_BY_NAME) == set(names)
    for spec in DESCRIPTORS:
        assert spec.unit and spec.description and spec.method and spec.label
    required = {
        "molecular_weight", "exact_mass", "clogp_crippen", "tpsa", "hbd", "hba",
        "rotatable_bonds", "heavy_atoms", "rings", "fsp3", "formal_charge",
        "hydroxyl_groups", "amide_groups", "sulfoxide_groups", "ether_groups",
        "amine_groups", "carboxylic_acid_groups",
    }  # fmt: skip
    assert required <= set(names)
    assert DESCRIPTOR_METHOD.startswith("RDKit ")


def test_logp_is_labelled_as_calculated_crippen() -> None:
    spec = DESCRIPTORS_BY_NAME["clogp_crippen"]
    assert spec.label == "calculated logP (Wildman–Crippen)"
    assert "Wildman" in spec.method
    assert not any(spec.name.lower() == "logp" or spec.label == "LogP" for spec in DESCRIPTORS)


@pytest.mark.parametrize("smiles", ["CS(C)=O", "C[S+](C)[O-]"])
def test_dmso_has_one_sulfoxide_and_no_hydroxyl_in_either_representation(smiles: str) -> None:
    d = describe(smiles)
    assert d["sulfoxide_groups"] == 1
    assert d["hydroxyl_groups"] == 0
    assert d["tpsa"] == pytest.approx(17.07)  # Ertl: one S=O oxygen; S excluded
    assert d["formal_charge"] == 0
    assert d["molecular_weight"] == pytest.approx(78.13, abs=0.01)  # PubChem CID 679


def test_dmso_from_the_standardised_parent() -> None:
    d = compute_descriptors(register_structure("CS(C)=O").mol)
    assert d["sulfoxide_groups"] == 1
    assert d["tpsa"] == pytest.approx(17.07)


def test_glycerol() -> None:
    d = describe("OCC(O)CO")
    assert d["hydroxyl_groups"] == 3
    assert (d["hbd"], d["hba"]) == (3, 3)
    assert d["molecular_weight"] == pytest.approx(92.09, abs=0.01)  # PubChem CID 753
    assert d["exact_mass"] == pytest.approx(92.04734412, abs=1e-6)  # PubChem monoisotopic
    assert (d["heavy_atoms"], d["carbon_atoms"], d["polar_atoms"]) == (6, 3, 3)
    assert d["fsp3"] == 1.0
    assert d["rings"] == 0
    assert d["ether_groups"] == d["carboxylic_acid_groups"] == 0


def test_urea_counts_one_amide_and_no_amine() -> None:
    d = describe("NC(N)=O")
    assert d["amide_groups"] == 1
    assert d["amine_groups"] == 0
    assert d["molecular_weight"] == pytest.approx(60.06, abs=0.01)  # PubChem CID 1176


def test_trehalose_hydroxyls_and_ethers() -> None:
    d = describe(
        "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O"
    )
    assert d["hydroxyl_groups"] == 8
    assert d["ether_groups"] == 3  # two ring oxygens and the glycosidic oxygen
    assert d["molecular_weight"] == pytest.approx(342.30, abs=0.01)  # PubChem CID 7427
    assert d["rings"] == 2


@pytest.mark.parametrize(
    ("smiles", "group", "count"),
    [
        ("CC(=O)O", "carboxylic_acid_groups", 1),  # acetic acid
        ("CC(=O)O", "hydroxyl_groups", 0),  # the acid OH is not an alcohol
        ("CC(=O)[O-]", "carboxylic_acid_groups", 1),  # acetate
        ("CCOCC", "ether_groups", 1),
        ("CCOC(C)=O", "ether_groups", 0),  # an ester is not an ether
        ("CC(N)=O", "amide_groups", 1),
        ("CC(N)=O", "amine_groups", 0),
        ("CCN(CC)CC", "amine_groups", 1),
        ("Nc1ccccc1", "amine_groups", 1),
        ("C[N+](C)(C)CC(=O)[O-]", "amine_groups", 1),  # betaine's quaternary ammonium
        ("Oc1ccccc1", "hydroxyl_groups", 1),  # phenol
        ("CS(C)(=O)=O", "sulfoxide_groups", 0),  # a sulfone is not a sulfoxide
    ],
)
def test_group_definitions(smiles: str, group: str, count: int) -> None:
    assert describe(smiles)[group] == count


def test_charges_and_rings() -> None:
    assert describe("CC(=O)[O-]")["formal_charge"] == -1
    assert describe("C[N+](C)(C)CC(=O)[O-]")["formal_charge"] == 0
    benzene = describe("c1ccccc1")
    assert (benzene["rings"], benzene["fsp3"], benzene["polar_atoms"]) == (1, 0.0, 0)
    assert describe("CCCCC")["rotatable_bonds"] == 2
