"""2D molecule drawings as SVG, ready to embed in HTML.

RDKit's ``MolDraw2DSVG`` draws the structure (2D coordinates computed if missing, wedges
for stereocentres) at one scale (fixed bond length and font size, so methanol is not blown
up to fill the canvas); an optional substructure query highlights every match. The returned
text is a bare ``<svg>`` element without the XML prolog, so it can be inlined in a page.
"""

from __future__ import annotations

import time
from functools import lru_cache

from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D

from cryoprotect.errors import InvalidStructureError, QueryTooComplexError
from cryoprotect.science.molecules import capture_rdkit_log, rdkit_reason, to_mol
from cryoprotect.science.substructure import deadline_parameters

MAX_SIZE_PX = 2000
"""Largest width or height accepted, in pixels."""

BOND_LENGTH = 20
"""RDKit's ``fixedBondLength`` for every drawing (issue 18: drawings at one scale). RDKit
scales it by 1.5 in SVG output, so a bond is 30 px long whatever the molecule; only a
molecule too large for the canvas is shrunk (RDKit's own fit), never a small one enlarged."""

FONT_SIZE = 14
"""RDKit's ``fixedFontSize`` for atom labels, in pixels: the same lettering on every drawing."""


def _check_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if not 16 <= value <= MAX_SIZE_PX:
            raise InvalidStructureError(
                f"Drawing {name} must be between 16 and {MAX_SIZE_PX} pixels.", field=name
            )


def _highlights(
    mol: Chem.Mol, query: Chem.Mol, match_deadline_s: float | None = None
) -> tuple[list[int], list[int]]:
    """Atom and bond indices of ``mol`` covered by any match of ``query``.

    Raises:
        QueryTooComplexError: matching ran past ``match_deadline_s`` seconds.
    """
    atoms: set[int] = set()
    bonds: set[int] = set()
    if match_deadline_s is None:
        matches = mol.GetSubstructMatches(query, uniquify=True, maxMatches=1000)
    else:
        deadline = time.monotonic() + match_deadline_s
        params = deadline_parameters(deadline)
        params.uniquify = True
        params.maxMatches = 1000
        matches = mol.GetSubstructMatches(query, params)
        if time.monotonic() >= deadline:
            raise QueryTooComplexError(
                f"Highlighting this pattern on this molecule did not finish within the "
                f"{match_deadline_s:g} s match deadline; use a more specific pattern.",
                field="highlight",
                details={"rule": "deadline", "limit": match_deadline_s},
            )
    for match in matches:
        atoms.update(match)
        for query_bond in query.GetBonds():
            bond = mol.GetBondBetweenAtoms(
                match[query_bond.GetBeginAtomIdx()], match[query_bond.GetEndAtomIdx()]
            )
            if bond is not None:
                bonds.add(bond.GetIdx())
    return sorted(atoms), sorted(bonds)


def draw_svg(
    mol: Chem.Mol,
    width: int = 300,
    height: int = 220,
    highlight: Chem.Mol | None = None,
    *,
    match_deadline_s: float | None = None,
    metadata: bool = False,
) -> str:
    """Draw a molecule as an SVG element.

    Args:
        mol: the molecule to draw (not modified).
        width: drawing width in pixels (16–2000).
        height: drawing height in pixels (16–2000).
        highlight: a substructure query (e.g. from SMARTS); the atoms and bonds of all
            its matches are highlighted.
        match_deadline_s: stop matching ``highlight`` after this many seconds (checked
            inside RDKit's matcher) and raise; None: no limit.
        metadata: also embed RDKit's ``<metadata>`` block (each atom's drawing
            coordinates and each bond's atoms), e.g. to measure the drawing's scale.

    Returns:
        The ``<svg>…</svg>`` text, without an XML declaration.

    Raises:
        InvalidStructureError: the size is out of range or RDKit cannot draw the molecule.
        QueryTooComplexError: highlighting ran past ``match_deadline_s``.
    """
    _check_size(width, height)
    atoms, bonds = (
        _highlights(mol, highlight, match_deadline_s) if highlight is not None else ([], [])
    )
    with capture_rdkit_log() as log:
        try:
            prepared = rdMolDraw2D.PrepareMolForDrawing(mol)
        except (ValueError, RuntimeError) as exc:
            reason = rdkit_reason(log, str(exc))
            raise InvalidStructureError(
                f"Could not draw the structure: {reason}", field="structure"
            ) from exc
        drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
        options = drawer.drawOptions()
        options.fixedBondLength = BOND_LENGTH  # type: ignore[assignment]  # RDKit stub: wrong type
        options.fixedFontSize = FONT_SIZE  # type: ignore[assignment]  # RDKit stub: wrong type
        drawer.DrawMolecule(prepared, highlightAtoms=atoms, highlightBonds=bonds)
        if metadata:
            drawer.AddMoleculeMetadata(prepared)
        drawer.FinishDrawing()
    svg = drawer.GetDrawingText()
    start = svg.find("<svg")
    return svg[start:].strip() if start >= 0 else svg.strip()


@lru_cache(maxsize=2048)
def svg_for_smiles(
    smiles: str,
    width: int = 300,
    height: int = 220,
    highlight_smarts: str | None = None,
    *,
    match_deadline_s: float | None = None,
) -> str:
    """Draw a SMILES string as SVG, caching the result (see :func:`draw_svg`).

    Args:
        smiles: the structure to draw.
        width: drawing width in pixels.
        height: drawing height in pixels.
        highlight_smarts: optional SMARTS whose matches are highlighted.
        match_deadline_s: see :func:`draw_svg` (a drawing that ran past it is not cached).

    Returns:
        The ``<svg>…</svg>`` text.

    Raises:
        InvalidStructureError: the SMILES or the SMARTS is invalid (RDKit's reason), or
            the size is out of range.
        QueryTooComplexError: highlighting ran past ``match_deadline_s``.
    """
    mol = to_mol(smiles)
    query = None
    if highlight_smarts:
        with capture_rdkit_log() as log:
            query = Chem.MolFromSmarts(highlight_smarts)
        if query is None:
            reason = rdkit_reason(log, "RDKit could not parse it")
            raise InvalidStructureError(f"Invalid SMARTS: {reason}", field="highlight")
    return draw_svg(mol, width, height, query, match_deadline_s=match_deadline_s)
