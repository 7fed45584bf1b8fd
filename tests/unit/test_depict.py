"""Molecule drawings: embeddable SVG, substructure highlighting, cached SMILES drawings."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from rdkit import Chem

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.depict import draw_svg, svg_for_smiles

pytestmark = pytest.mark.unit

HIGHLIGHT_COLOUR = "#FF7F7F"  # RDKit's default highlight colour (1, 0.5, 0.5)


def test_svg_is_a_bare_svg_element() -> None:
    svg = draw_svg(Chem.MolFromSmiles("OCC(O)CO"))
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "<?xml" not in svg
    root = ET.fromstring(svg)  # noqa: S314 - our own RDKit output, not untrusted XML
    assert root.tag.endswith("svg")
    assert root.attrib["width"] == "300px" and root.attrib["height"] == "220px"


def test_every_match_of_the_query_is_highlighted() -> None:
    mol = Chem.MolFromSmiles("OCC(O)CO")
    plain = draw_svg(mol)
    highlighted = draw_svg(mol, 400, 300, highlight=Chem.MolFromSmarts("[OX2H]"))
    assert HIGHLIGHT_COLOUR not in plain
    assert HIGHLIGHT_COLOUR in highlighted
    assert "width='400px'" in highlighted
    # Three hydroxyl matches: an atom highlight for each oxygen.
    assert highlighted.count("<ellipse") >= 3


def test_bond_highlights_follow_the_query_bonds() -> None:
    mol = Chem.MolFromSmiles("CS(C)=O")
    svg = draw_svg(mol, highlight=Chem.MolFromSmarts("S=O"))
    assert HIGHLIGHT_COLOUR in svg


def test_drawing_does_not_modify_the_molecule() -> None:
    mol = Chem.MolFromSmiles("OC(=O)[C@@H]1CCCN1")
    before = Chem.MolToSmiles(mol)
    draw_svg(mol)
    assert Chem.MolToSmiles(mol) == before
    assert mol.GetNumConformers() == 0


def test_svg_for_smiles_is_cached() -> None:
    svg_for_smiles.cache_clear()
    first = svg_for_smiles("CCO", 200, 150)
    second = svg_for_smiles("CCO", 200, 150)
    assert first is second
    assert svg_for_smiles.cache_info().hits == 1
    assert svg_for_smiles("CCO", 200, 150, "[OX2H]") != first


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("C1CC",), "smiles"),
        (("CCO", 300, 220, "[C"), "highlight"),
        (("CCO", 5, 220), "width"),
        (("CCO", 300, 99999), "height"),
    ],
)
def test_bad_input_raises_a_typed_error(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(InvalidStructureError) as info:
        svg_for_smiles(*args)
    assert info.value.details["field"] == field
