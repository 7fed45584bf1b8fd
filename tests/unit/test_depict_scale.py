"""Molecule drawings at one scale (issue 18): the same bond length for every molecule."""

from __future__ import annotations

import math
import re

import pytest
from rdkit import Chem

from cryoprotect.science.depict import BOND_LENGTH, draw_svg

pytestmark = pytest.mark.unit

METHANOL = "CO"
# Trehalose (alpha,alpha-trehalose, PubChem CID 7427), a large disaccharide cryoprotectant.
TREHALOSE = "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O"
SVG_SCALE = 1.5  # RDKit's SVG output draws fixedBondLength at 1.5 px per unit (measured below)

ATOM = re.compile(r'<rdkit:atom idx="(\d+)"[^>]*? drawing-x="([-\d.]+)" drawing-y="([-\d.]+)"')
BOND = re.compile(r'<rdkit:bond idx="\d+" begin-atom-idx="(\d+)" end-atom-idx="(\d+)"')


def bond_lengths(smiles: str, width: int = 300, height: int = 220) -> list[float]:
    """Drawn length (px) of every bond, from the atoms' drawing coordinates in the SVG."""
    svg = draw_svg(Chem.MolFromSmiles(smiles), width, height, metadata=True)
    atoms = {int(i): (float(x), float(y)) for i, x, y in ATOM.findall(svg)}
    bonds = BOND.findall(svg)
    assert bonds, "the SVG carries no bond metadata"
    return [math.dist(atoms[int(a)], atoms[int(b)]) for a, b in bonds]


def test_methanol_and_a_sugar_are_drawn_with_the_same_bond_length() -> None:
    small = bond_lengths(METHANOL)
    large = bond_lengths(TREHALOSE)
    assert len(small) == 1 and len(large) == 24
    # Methanol is not blown up to fill the canvas (RDKit's default drew it at ~193 px).
    assert small[0] == pytest.approx(BOND_LENGTH * SVG_SCALE, abs=0.2)
    # Every bond of trehalose (standard 2D coordinates: equal bond lengths) is as long.
    for length in large:
        assert length == pytest.approx(small[0], abs=0.3)


def test_the_scale_does_not_depend_on_the_canvas_when_the_molecule_fits() -> None:
    assert bond_lengths(METHANOL, 600, 400)[0] == pytest.approx(bond_lengths(METHANOL)[0], abs=0.2)


def test_a_molecule_too_large_for_the_canvas_is_shrunk_to_fit() -> None:
    # A C40 chain cannot fit 30 px bonds into 300 px: RDKit shrinks only this one.
    chain = bond_lengths("C" * 40)
    assert max(chain) < BOND_LENGTH * SVG_SCALE - 5
