"""Structure parsing: identifiers pinned to PubChem values, RDKit's reasons surfaced."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.molecules import parse_smiles

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("smiles", "inchikey", "formula", "molar_mass"),
    [
        # PubChem CID 679 (DMSO), 753 (glycerol), 174 (ethylene glycol): InChIKey, formula, MW.
        ("CS(C)=O", "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", "C2H6OS", 78.13),
        ("OCC(O)CO", "PEDCQBHIVMGVHV-UHFFFAOYSA-N", "C3H8O3", 92.09),
        ("OCCO", "LYCAIKOWRPUZTN-UHFFFAOYSA-N", "C2H6O2", 62.07),
    ],
)
def test_identifiers_match_pubchem(
    smiles: str, inchikey: str, formula: str, molar_mass: float
) -> None:
    record = parse_smiles(smiles)
    assert record.inchikey == inchikey
    assert record.formula == formula
    assert record.molecular_weight == pytest.approx(molar_mass, abs=0.01)


@pytest.mark.parametrize(
    ("smiles", "reason"),
    [
        ("C(C)(C)(C)(C)C", "Explicit valence for atom # 0 C, 5"),
        ("c1cccc1", "Can't kekulize mol"),
        ("C1CC", "unclosed ring"),
        ("xyz", "syntax error"),
        ("", "empty"),
    ],
)
def test_invalid_structures_carry_rdkit_reason(smiles: str, reason: str) -> None:
    with pytest.raises(InvalidStructureError) as info:
        parse_smiles(smiles)
    assert reason.lower() in info.value.message.lower()
    assert info.value.details["field"] == "smiles"


ATOMS = st.sampled_from(["C", "O", "N", "CC", "C(O)", "C(=O)", "C(N)"])


@settings(max_examples=60, deadline=None)
@given(st.lists(ATOMS, min_size=1, max_size=8))
def test_canonicalisation_is_idempotent(parts: list[str]) -> None:
    first = parse_smiles("".join(parts))
    second = parse_smiles(first.smiles)
    assert second == first


@pytest.mark.parametrize("text", ["CCO\u00e9", "00\x80\x80\U00010000", "C\u2013C"])
def test_non_ascii_structures_are_rejected_before_rdkit(text: str) -> None:
    with pytest.raises(InvalidStructureError) as info:
        parse_smiles(text)
    assert "ASCII" in info.value.message
