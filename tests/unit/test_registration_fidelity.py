"""Registration fidelity (issue 18): drawings RDKit rejects but the ChEMBL pipeline repairs,
metals and dative bonds, double-bond geometry read from molfile coordinates, SD files
with empty title lines, and the fast path on molfile input."""

from __future__ import annotations

from functools import cache

import pytest
from rdkit import Chem
from rdkit.Chem import rdDepictor, rdinchi

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science import standardize as std
from cryoprotect.science.molecules import capture_rdkit_log
from cryoprotect.science.structure_repair import metals
from cryoprotect.services.molecule_io import read_records
from tests.unit.test_standardize import NCI

pytestmark = pytest.mark.unit

register_structure = std.register_structure
parse_structure = std.parse_structure
# Standard InChIKeys of fumaric acid (PubChem CID 444972) and maleic acid (CID 444266).
FUMARIC_KEY = "VZCYOOQTPOCHFL-OWOJBTEDSA-N"
MALEIC_KEY = "VZCYOOQTPOCHFL-UPHRSURJSA-N"


def _molblock(smiles: str) -> str:
    """A 2D drawing of ``smiles``: coordinates only, no wedge or 'either' bond flags."""
    mol = Chem.MolFromSmiles(smiles)
    rdDepictor.Compute2DCoords(mol)
    block = Chem.MolToMolBlock(mol)
    bond_lines = [line for line in block.splitlines() if len(line.split()) == 4]
    assert bond_lines and all(line.split()[3] == "0" for line in bond_lines)
    return block


def _inchikey_from_drawing(block: str) -> str:
    """What the InChI software itself reads from the molfile (ChEMBL's way)."""
    inchi = rdinchi.MolBlockToInchi(block)[0]
    return str(rdinchi.InchiToInchiKey(inchi))


# ------------------------------------------------------------------- valence repair


@pytest.mark.parametrize(
    ("drawn", "correct"),
    [
        ("CN(C)(C)C", "C[N+](C)(C)C"),  # tetramethylammonium drawn without its charge
        ("CN=N=N", "CN=[N+]=[N-]"),  # methyl azide drawn N=N=N
        ("N=N=Nc1ccccc1", "[N-]=[N+]=Nc1ccccc1"),  # phenyl azide
        ("OC(=O)/C=C/C(=O)N(C)(C)C", r"OC(=O)/C=C/C(=O)[N+](C)(C)C"),  # stereo survives
        ("CN1(C)CCC[C@H]1C(=O)O", "C[N+]1(C)CCC[C@H]1C(=O)O"),  # chirality survives
    ],
)
def test_valence_broken_drawings_are_repaired_as_the_chembl_pipeline_expects(
    drawn: str, correct: str
) -> None:
    with capture_rdkit_log():
        assert Chem.MolFromSmiles(drawn) is None  # RDKit alone rejects the drawing
    repaired = register_structure(drawn)
    reference = register_structure(correct)
    assert (repaired.inchikey, repaired.smiles) == (reference.inchikey, reference.smiles)
    assert repaired.changes[0].startswith("repaired valence: ")
    assert repaired.changes[1:] == reference.changes


def test_repaired_tetramethylammonium_and_methyl_azide_identifiers() -> None:
    quat = register_structure("CN(C)(C)C")
    assert quat.smiles == "C[N+](C)(C)C"
    assert quat.formula == "C4H12N+"
    assert quat.changes == ("repaired valence: CN(C)(C)C → C[N+](C)(C)C",)
    azide = register_structure("CN=N=N")
    assert azide.smiles == "CN=[N+]=[N-]"
    assert azide.formula == "CH3N3"
    assert azide.molecular_weight == pytest.approx(57.05, abs=0.01)  # CH3N3, IUPAC 2021 masses


def test_a_molfile_with_hypervalent_nitrogen_keeps_its_wedges_and_geometry() -> None:
    correct = "C/C=C/[C@H](C)[N+](C)(C)C"
    mol = Chem.MolFromSmiles(correct)
    rdDepictor.Compute2DCoords(mol)
    Chem.WedgeMolBonds(mol, mol.GetConformer())
    # The same drawing with the N's charge left out, as many drawing programs write it.
    block = "\n".join(
        line for line in Chem.MolToMolBlock(mol).splitlines() if not line.startswith("M  CHG")
    )
    with capture_rdkit_log():
        assert Chem.MolFromMolBlock(block) is None
    repaired = register_structure(block)
    assert repaired.inchikey == register_structure(correct).inchikey
    assert repaired.smiles == Chem.MolToSmiles(Chem.MolFromSmiles(correct))


def test_what_the_rules_cannot_repair_is_still_refused_with_rdkits_reason() -> None:
    for text, reason in (
        ("C(C)(C)(C)(C)C", "Explicit valence for atom # 0 C, 5"),
        ("CS(=O)(=O)(=O)C", "Explicit valence for atom # 1 S, 8"),
        ("c1cccc1", "Can't kekulize"),
    ):
        with pytest.raises(InvalidStructureError) as info:
            register_structure(text)
        assert reason in info.value.message
        assert info.value.details["field"] == "structure"


# --------------------------------------------------------- metals and dative bonds


def test_cisplatin_with_dative_bonds_gets_the_standard_inchikey() -> None:
    dative = register_structure("[NH3]->[Pt](<-[NH3])(Cl)Cl")
    plain = register_structure("N.N.Cl[Pt]Cl")
    # Standard InChIKey of cisplatin (PubChem CID 5702198): the metal is disconnected.
    assert dative.inchikey == plain.inchikey == "LXZZYRPGZAFOLE-UHFFFAOYSA-L"
    assert "->" in dative.smiles  # the drawn structure is stored as drawn
    assert dative.formula == plain.formula
    assert dative.molecular_weight == pytest.approx(300.05, abs=0.01)  # PtCl2(NH3)2, g/mol


def test_ferrocene_drawn_as_ions_is_registered() -> None:
    std = register_structure("[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1")
    assert std.inchikey == "KTWOOEGAPBSYNW-UHFFFAOYSA-N"  # ferrocene, PubChem CID 7611
    assert std.formula == "C10H10Fe"


@pytest.mark.parametrize(
    ("drawn", "metal"),
    [
        # NCI sample molecule: ferrocene with Fe bonded to all ten ring carbons.
        ("CN(C)C[C-]12C3=C4C5=C1[Fe++]23456789[C-]%10C6=C7C8=C9%10", "Fe"),
        ("C1=C[Pt]1(Cl)(Cl)Cl", "Pt"),  # Zeise's anion with the alkene as two bonds
    ],
)
def test_multicentre_bonds_drawn_as_single_bonds_are_refused_by_name(
    drawn: str, metal: str
) -> None:
    with pytest.raises(InvalidStructureError) as info:
        register_structure(drawn)
    message = info.value.message
    assert f"multi-centre (η) bond to {metal}" in message
    assert "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1" in message  # how to draw it instead
    assert "bond type" not in message.lower()
    assert info.value.details["field"] == "structure"


@pytest.mark.parametrize("bond_type", ["5", "6", "7", "8"])
def test_query_bonds_in_a_molfile_are_refused_as_a_search_pattern(bond_type: str) -> None:
    block = _molblock("CCO").replace("  1  2  1  0", f"  1  2  {bond_type}  0")
    with pytest.raises(InvalidStructureError) as info:
        register_structure(block)
    assert "query bonds" in info.value.message
    assert "bond type" not in info.value.message.lower()


def test_placeholder_atoms_are_refused_as_a_search_pattern() -> None:
    for text in ("CC*", _molblock("CCO").replace("O   0", "A   0", 1)):
        with pytest.raises(InvalidStructureError) as info:
            register_structure(text)
        assert "placeholder or query atoms" in info.value.message


def test_metals_lists_metal_elements_only() -> None:
    mol = parse_structure("[NH3]->[Pt](<-[NH3])(Cl)Cl.[Na+].[Cl-].B(O)(O)O")
    assert metals(mol) == ["Pt", "Na"]


def test_no_nci_molecule_fails_with_an_unreadable_bond_type() -> None:
    """The organometallics of the NCI sample either register or are refused by name."""
    failures: list[str] = []
    with capture_rdkit_log():
        for line in NCI.read_text().splitlines():
            mol = Chem.MolFromSmiles(line.split()[0]) if line.strip() else None
            if mol is None or not metals(mol):
                continue
            try:
                std.standardize(mol)
            except InvalidStructureError as exc:
                failures.append(exc.message)
    assert failures  # the sample has η-bonded ferrocenes
    assert not [m for m in failures if "bond type" in m.lower()]
    assert all("multi-centre" in m or "InChI" in m for m in failures)


# ------------------------------------------------- molfile double-bond geometry


def test_fumaric_and_maleic_acid_molfiles_get_their_own_inchikeys() -> None:
    fumaric = _molblock("OC(=O)/C=C/C(=O)O")
    maleic = _molblock(r"OC(=O)/C=C\C(=O)O")
    assert register_structure(fumaric).inchikey == FUMARIC_KEY
    assert register_structure(maleic).inchikey == MALEIC_KEY
    assert Chem.MolToInchiKey(Chem.MolFromSmiles("OC(=O)/C=C/C(=O)O")) == FUMARIC_KEY
    assert Chem.MolToInchiKey(Chem.MolFromSmiles(r"OC(=O)/C=C\C(=O)O")) == MALEIC_KEY


def _reflect_atom(block: str, atom: int, axis: tuple[int, int]) -> str:
    """The drawing with one atom (0-based) mirrored across the line through two others."""
    mol = Chem.MolFromMolBlock(block)
    conf = mol.GetConformer()
    a, b, p = (conf.GetAtomPosition(i) for i in (*axis, atom))
    dx, dy = b.x - a.x, b.y - a.y
    t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy)
    foot_x, foot_y = a.x + t * dx, a.y + t * dy
    conf.SetAtomPosition(atom, (2 * foot_x - p.x, 2 * foot_y - p.y, 0.0))
    return Chem.MolToMolBlock(mol)


def test_double_bond_geometry_rdkit_does_not_perceive_comes_from_the_coordinates() -> None:
    """p-Benzoquinone dioxime: whether the two OH groups sit on the same side is stereo
    only the InChI software sees (RDKit calls neither C=N stereogenic). Computed from the
    coordinates, the identity is the one ChEMBL computes from the molfile."""
    smiles = "ON=C1C=CC(C=C1)=NO"
    anti = _molblock(smiles)
    mol = Chem.MolFromSmiles(smiles)
    n_index = next(a.GetIdx() for a in mol.GetAtoms() if a.GetSymbol() == "N")
    oxygen = next(
        n.GetIdx() for n in mol.GetAtomWithIdx(n_index).GetNeighbors() if n.GetSymbol() == "O"
    )
    carbon = next(
        n.GetIdx() for n in mol.GetAtomWithIdx(n_index).GetNeighbors() if n.GetSymbol() == "C"
    )
    syn = _reflect_atom(anti, oxygen, (carbon, n_index))
    keys = {register_structure(block).inchikey for block in (anti, syn)}
    assert keys == {_inchikey_from_drawing(anti), _inchikey_from_drawing(syn)}
    assert len(keys) == 2
    assert register_structure(smiles).inchikey not in keys  # SMILES carries no such stereo


def test_3d_molfile_double_bond_stereo() -> None:
    from rdkit.Chem import rdDistGeom

    for smiles, key in (("OC(=O)/C=C/C(=O)O", FUMARIC_KEY), (r"OC(=O)/C=C\C(=O)O", MALEIC_KEY)):
        mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
        rdDistGeom.EmbedMolecule(mol, randomSeed=11)
        assert register_structure(Chem.MolToMolBlock(mol)).inchikey == key


# ---------------------------------------------------------------- SD file reading


def test_sd_records_with_empty_title_lines_are_read() -> None:
    blocks = [Chem.MolToMolBlock(Chem.MolFromSmiles(s)) for s in ("CCO", "C[N+](C)(C)C", "OCCO")]
    assert all(block.startswith("\n") for block in blocks)  # RDKit writes an empty title
    # The quaternary N drawn without its charge (no "M  CHG" line), as in ChEMBL's examples.
    blocks[1] = "\n".join(line for line in blocks[1].split("\n") if not line.startswith("M  CHG"))
    data = ("$$$$\n".join(blocks) + "$$$$\n").encode()
    records = list(read_records(data, "sdf"))
    assert [r.row for r in records] == [1, 2, 3]
    smiles = [register_structure(r.text, r.fmt).smiles for r in records]
    assert smiles == ["CCO", "C[N+](C)(C)C", "OCCO"]


# -------------------------------------------------------- fast path, molfile input


@cache
def _nci_drawings() -> tuple[str, ...]:
    out = []
    with capture_rdkit_log():
        for line in NCI.read_text().splitlines()[::5]:
            mol = Chem.MolFromSmiles(line.split()[0]) if line.strip() else None
            if mol is not None:
                rdDepictor.Compute2DCoords(mol)
                out.append(Chem.MolToMolBlock(mol))
    return tuple(out)


def test_fast_path_matches_the_full_pipeline_on_nci_molfiles() -> None:
    """With 2D coordinates kept for the InChI, the fast path still gives the full
    pipeline's SMILES and InChIKey on every molfile it takes (every 5th NCI molecule)."""
    claimed = 0
    for block in _nci_drawings():
        mol = parse_structure(block, "molblock")
        if not std.is_already_standard(mol):
            continue
        claimed += 1
        fast, full = std.standardize(mol), std.standardize(mol, fast_path=False)
        assert fast.fast_path and not full.fast_path
        assert (fast.smiles, fast.inchikey) == (full.smiles, full.inchikey), block
    assert claimed > 0.8 * len(_nci_drawings())
