"""Registration fidelity through the API (issue 18): valence-broken drawings repaired,
cisplatin drawn with dative bonds, an η-bonded ferrocene refused by name, and fumaric and
maleic acid molfiles kept apart by their coordinates."""

from __future__ import annotations

import pytest
from rdkit import Chem
from rdkit.Chem import rdDepictor

pytestmark = pytest.mark.integration

# Standard InChIKeys: tetramethylammonium and methyl azide as the InChI software gives
# them for the correctly drawn structures (C[N+](C)(C)C, CN=[N+]=[N-]); cisplatin PubChem
# CID 5702198; fumaric acid CID 444972; maleic acid CID 444266.
TETRAMETHYLAMMONIUM = "QEMXHQIAXOOASZ-UHFFFAOYSA-N"
METHYL_AZIDE = "PBTHJVDBCFJQGG-UHFFFAOYSA-N"
CISPLATIN = "LXZZYRPGZAFOLE-UHFFFAOYSA-L"
FUMARIC = "VZCYOOQTPOCHFL-OWOJBTEDSA-N"
MALEIC = "VZCYOOQTPOCHFL-UPHRSURJSA-N"


def _drawing(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    rdDepictor.Compute2DCoords(mol)
    return Chem.MolToMolBlock(mol)  # V2000: double bonds carry no stereo flag


def test_register_repaired_dative_and_drawn_structures(client, make_user) -> None:
    user = make_user("fidelity")
    cases = [  # (request body, InChIKey, stored SMILES or None, repaired?)
        ({"smiles": "CN(C)(C)C"}, TETRAMETHYLAMMONIUM, "C[N+](C)(C)C", True),
        ({"smiles": "CN=N=N"}, METHYL_AZIDE, "CN=[N+]=[N-]", True),
        ({"smiles": "[NH3]->[Pt](<-[NH3])(Cl)Cl"}, CISPLATIN, None, False),
        ({"structure": _drawing("OC(=O)/C=C/C(=O)O")}, FUMARIC, "O=C(O)/C=C/C(=O)O", False),
        ({"structure": _drawing(r"OC(=O)/C=C\C(=O)O")}, MALEIC, r"O=C(O)/C=C\C(=O)O", False),
    ]
    for body, inchikey, smiles, repaired in cases:
        res = client.post("/api/v1/molecules", json=body, headers=user.headers)
        assert res.status_code == 201, res.json
        assert res.json["inchikey"] == inchikey
        if smiles is not None:
            assert res.json["smiles"] == smiles
        changes = res.json["standardization"]["changes"]
        assert any(c.startswith("repaired valence") for c in changes) == repaired, changes
    # The dative drawing is the same substance as cisplatin drawn without dative bonds.
    again = client.post("/api/v1/molecules", json={"smiles": "N.N.Cl[Pt]Cl"}, headers=user.headers)
    assert again.status_code == 409
    assert again.json["error"]["details"]["inchikey"] == CISPLATIN


@pytest.mark.parametrize("field", ["smiles", "structure"])
def test_eta_bonded_ferrocene_is_refused_naming_the_field_and_the_metal(
    client, make_user, field
) -> None:
    user = make_user("ferrocene")
    drawn = "C12C3=C4C5=C1[Fe]23456789C%10C6=C7C8=C9%10"  # NCI sample: Fe bonded to 10 C
    res = client.post("/api/v1/molecules", json={field: drawn}, headers=user.headers)
    assert res.status_code == 400, res.json
    error = res.json["error"]
    assert error["code"] == "invalid_structure"
    assert error["details"]["field"] == field
    assert "multi-centre (η) bond to Fe" in error["message"]
    assert "Unrecognized bond type" not in error["message"]
    fixed = client.post(
        "/api/v1/molecules",
        json={field: "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1"},
        headers=user.headers,
    )
    assert fixed.status_code == 201, fixed.json
    assert fixed.json["inchikey"] == "KTWOOEGAPBSYNW-UHFFFAOYSA-N"  # ferrocene, PubChem CID 7611
