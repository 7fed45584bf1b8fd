"""Structure input and ChEMBL standardisation: identifiers pinned to PubChem, the fast path
proven equivalent to the full pipeline on RDKit's NCI sample."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem, RDConfig

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.molecules import capture_rdkit_log
from cryoprotect.science.standardize import (
    detect_format,
    is_already_standard,
    parse_structure,
    register_structure,
    standardize,
)

pytestmark = pytest.mark.unit

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"

# PubChem: DMSO CID 679, L-proline CID 145742, alpha,alpha-trehalose CID 7427.
DMSO_KEY = "IAZDPXIOMUYVGZ-UHFFFAOYSA-N"
L_PROLINE_KEY = "ONIBWKKTOPOVIA-BYPYZUCNSA-N"
D_PROLINE_KEY = "ONIBWKKTOPOVIA-SCSAIBSYSA-N"
TREHALOSE_KEY = "HDTRYLNUVZCQOY-LIZSDCNHSA-N"
L_PROLINE = "OC(=O)[C@@H]1CCCN1"
TREHALOSE = "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O"


@cache
def nci_smiles() -> tuple[str, ...]:
    return tuple(line.split()[0] for line in NCI.read_text().splitlines() if line.strip())


@cache
def nci_molecules() -> tuple[Chem.Mol, ...]:
    with capture_rdkit_log():
        parsed = (Chem.MolFromSmiles(smiles) for smiles in nci_smiles())
        return tuple(mol for mol in parsed if mol is not None)


def test_dmso_identifiers_match_pubchem() -> None:
    std = register_structure("CS(C)=O")
    assert std.inchikey == DMSO_KEY
    assert std.inchi == "InChI=1S/C2H6OS/c1-4(2)3/h1-2H3"
    assert std.formula == "C2H6OS"
    assert std.molecular_weight == pytest.approx(78.13, abs=0.01)  # PubChem 78.13 g/mol
    assert std.exact_mass == pytest.approx(78.01393598, abs=1e-6)  # PubChem monoisotopic
    # ChEMBL draws sulfoxides charge-separated; the InChIKey does not change.
    assert std.smiles == "C[S+](C)[O-]"
    assert std.changes == ("normalised functional groups (ChEMBL rules)",)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("CS(C)=O", "smiles"),
        ("InChI=1S/C2H6OS/c1-4(2)3/h1-2H3", "inchi"),
        (Chem.MolToMolBlock(Chem.MolFromSmiles("CS(C)=O")), "molblock"),
        (Chem.MolToV3KMolBlock(Chem.MolFromSmiles("CS(C)=O")), "molblock"),
    ],
)
def test_formats_are_detected(text: str, fmt: str) -> None:
    assert detect_format(text) == fmt
    assert register_structure(text).inchikey == DMSO_KEY
    assert register_structure(text, fmt).inchikey == DMSO_KEY


def test_inchi_round_trip_keeps_stereo() -> None:
    std = register_structure(L_PROLINE)
    again = register_structure(std.inchi)
    assert again.inchi == std.inchi
    assert again.inchikey == std.inchikey == L_PROLINE_KEY
    assert again.smiles == std.smiles


def test_molblock_round_trip_keeps_stereo_and_reads_first_sd_record() -> None:
    std = register_structure(L_PROLINE)
    block = Chem.MolToMolBlock(Chem.MolFromSmiles(L_PROLINE))
    other = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    sdf = f"{block}$$$$\n{other}$$$$\n"
    for text in (block, sdf, Chem.MolToV3KMolBlock(Chem.MolFromSmiles(L_PROLINE))):
        again = register_structure(text)
        assert again.inchikey == L_PROLINE_KEY
        assert again.smiles == std.smiles


def test_3d_molblock_is_standardised() -> None:
    from rdkit.Chem import rdDistGeom

    mol = Chem.AddHs(Chem.MolFromSmiles("[Cl-].OC(=O)[C@@H]1CCC[NH2+]1"))
    rdDistGeom.EmbedMolecule(mol, randomSeed=7)
    std = register_structure(Chem.MolToMolBlock(mol))
    assert std.inchikey == L_PROLINE_KEY


def test_proline_hydrochloride_gives_l_proline() -> None:
    for salt in ("Cl.OC(=O)[C@@H]1CCCN1", "[Cl-].OC(=O)[C@@H]1CCC[NH2+]1"):
        std = register_structure(salt)
        assert std.inchikey == L_PROLINE_KEY  # not racemic, not D
        assert std.inchikey != D_PROLINE_KEY
        assert std.formula == "C5H9NO2"
        assert "@" in std.smiles
        assert "removed fragment Cl (salt)" in std.changes
        assert not std.fast_path
    assert "neutralised" in register_structure("[Cl-].OC(=O)[C@@H]1CCC[NH2+]1").changes


def test_trehalose_dihydrate_gives_trehalose() -> None:
    std = register_structure(f"O.{TREHALOSE}.O")
    assert std.formula == "C12H22O11"
    assert std.inchikey == TREHALOSE_KEY
    assert std.molecular_weight == pytest.approx(342.30, abs=0.01)  # PubChem 342.30 g/mol
    assert std.changes == ("removed 2 water (solvate)",)


def test_sodium_acetate_is_kept_because_every_fragment_is_a_salt() -> None:
    std = register_structure("CC(=O)[O-].[Na+]")
    assert std.formula == "C2H3NaO2"
    assert set(std.smiles.split(".")) == {"CC(=O)[O-]", "[Na+]"}
    assert std.changes == ()


def test_solvent_alone_is_kept() -> None:
    assert register_structure("CCO").smiles == "CCO"
    assert register_structure("CCO.O").smiles == "CCO.O"  # every fragment is a solvent


def test_zwitterion_is_neutralised_and_isotopes_removed() -> None:
    glycine = register_structure("[NH3+]CC(=O)[O-]")
    assert glycine.smiles == "NCC(=O)O"
    assert glycine.changes == ("neutralised",)
    methanol = register_structure("[13CH3]O")
    assert methanol.smiles == "CO"
    assert methanol.changes == ("removed isotope labels",)


def test_isotopes_can_be_kept() -> None:
    heavy_water = register_structure("[2H]O[2H]", keep_isotopes=True)
    water = register_structure("O")
    assert heavy_water.formula == "D2O"
    assert heavy_water.inchikey != water.inchikey
    assert heavy_water.molecular_weight == pytest.approx(20.03, abs=0.01)  # D2O, g/mol
    assert heavy_water.changes == ()
    stripped = register_structure("[2H]O[2H]")
    assert (stripped.inchikey, stripped.formula) == (water.inchikey, "H2O")
    assert stripped.changes == ("removed isotope labels",)
    dmso_d6 = register_structure("[2H]C([2H])([2H])S(=O)C([2H])([2H])[2H]", keep_isotopes=True)
    assert dmso_d6.formula == "C2D6OS"
    assert dmso_d6.inchikey != DMSO_KEY


def test_fast_path_is_taken_for_standard_molecules() -> None:
    for smiles in ("OCC(O)CO", "OCCO", L_PROLINE, TREHALOSE, "O=[N+]([O-])c1ccccc1"):
        std = register_structure(smiles)
        assert std.fast_path
        assert std.changes == ()
    for smiles in ("CS(C)=O", "CCO.Cl", "[NH3+]CC(=O)[O-]", "[2H]OC", "OC(=O)C(O)C(O)C(=O)O"):
        assert not is_already_standard(Chem.MolFromSmiles(smiles)), smiles


@pytest.mark.parametrize(
    ("text", "fmt", "reason"),
    [
        ("C1CC", None, "unclosed ring"),
        ("C(C)(C)(C)(C)C", None, "Explicit valence for atom # 0 C, 5, is greater than permitted"),
        ("c1cccc1", "smiles", "Can't kekulize"),
        ("InChI=1S/garbage", None, "Invalid InChI"),
        ("junk\n\n\n  2  1  0  0  0  0  0  0  0  0999 V2000\nM  END", None, "Invalid molfile"),
        ("InChI=1S/C2H6OS/c1-4(2)3/h1-2H3", "smiles", "Invalid SMILES"),
        ("   ", None, "empty"),
    ],
)
def test_invalid_structures_carry_the_parser_reason(
    text: str, fmt: str | None, reason: str
) -> None:
    with pytest.raises(InvalidStructureError) as info:
        register_structure(text, fmt)
    assert reason.lower() in info.value.message.lower()
    assert info.value.details["field"] == "structure"


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(InvalidStructureError) as info:
        parse_structure("CCO", "pdb")
    assert info.value.details["field"] == "format"


def test_fast_path_matches_the_full_pipeline_on_the_nci_sample() -> None:
    """Every NCI molecule the fast path claims gives the full pipeline's SMILES and InChIKey."""
    claimed = mismatches = 0
    for mol in nci_molecules():
        if not is_already_standard(mol):
            continue
        claimed += 1
        fast = standardize(mol)
        full = standardize(mol, fast_path=False)
        assert fast.fast_path and not full.fast_path
        if (fast.smiles, fast.inchikey) != (full.smiles, full.inchikey):
            mismatches += 1
            print("mismatch:", Chem.MolToSmiles(mol), fast.smiles, full.smiles)
    assert mismatches == 0
    assert claimed > 0.8 * len(nci_molecules())  # the fast path is worth having


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=4990))
def test_standardize_is_idempotent_on_nci_molecules(index: int) -> None:
    mol = nci_molecules()[index % len(nci_molecules())]
    try:
        first = standardize(mol)
    except InvalidStructureError:
        return  # e.g. an organometallic whose parent InChI cannot represent its dative bonds
    second = standardize(parse_structure(first.smiles, "smiles"))
    assert (second.smiles, second.inchikey) == (first.smiles, first.inchikey)
    assert second.changes == ()  # a standardised parent needs no further changes
