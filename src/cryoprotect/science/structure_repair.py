"""Structures RDKit will not sanitise as drawn, and bonds the InChI library cannot read.

Two jobs, both for :mod:`cryoprotect.science.standardize`:

**Valence repair.** Chemists and older drawing tools often leave out charges that
follow from the bonding: a quaternary ammonium drawn as a neutral four-bonded N
(``CN(C)(C)C``), a nitro group as ``N(=O)=O``, an azide as ``N=N=N``. RDKit refuses
these when it sanitises; the ChEMBL structure pipeline (Bento et al., J. Cheminform.
12:51, 2020) expects to receive them unsanitised and writes the charges in. This module
does the same for a structure that failed sanitisation: it applies the pipeline's own
normalisation (``standardizer.normalize_mol``: quaternary N → N⁺, nitro → N⁺–O⁻,
trivalent O/S, diazonium, …) and RDKit's "Broken azide" rule
(``[N]=[N]=[N] → N=[N+]=[N-]``, from RDKit's default MolStandardize normalisation
table, which derives from MolVS), then sanitises again. Only structures that were
rejected are touched, and only these charge rewrites are applied: a carbon with five
bonds stays an error.

**InChI input.** RDKit writes bonds to metals that would break an atom's valence as
dative bonds (ferrocene's ten Fe–C bonds, cisplatin's H3N→Pt); users may also draw
them. The InChI library has no dative bond type and refuses the whole structure. The
standard InChI disconnects bonds to metals in any case (IUPAC InChI Technical Manual,
"metal disconnection"), so the identity is computed from a copy in which a dative bond
to a metal is removed, and a dative bond between non-metals (``N→O``, ``N→B``) becomes a
single bond with the formal charges it implies (donor +1, acceptor −1). Hydrogen counts
are frozen first, so no atom gains or loses a hydrogen. Cisplatin drawn either way
(``N.N.Cl[Pt]Cl`` or ``[NH3]->[Pt](<-[NH3])(Cl)Cl``) then gets PubChem's InChIKey. The
stored structure keeps the bonds as drawn.
"""

from __future__ import annotations

from chembl_structure_pipeline import standardizer
from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

# Elements that are not metals: the non-metals and the metalloids B, Si, Ge, As, Sb, Te
# (IUPAC Red Book 2005, IR-3.6), plus the dummy atom 0.
NON_METALS = frozenset(
    {0, 1, 2, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, 33, 34, 35, 36, 51, 52, 53, 54, 85, 86}
)

# RDKit MolStandardize default transform "Broken azide to N=N+=N-" (Code/GraphMol/
# MolStandardize/TransformCatalog/normalizations.in), limited to a neutral, four-valent
# central N and a terminal N so that it can only fire on a structure RDKit rejected.
_AZIDE = rdMolStandardize.NormalizerFromData(
    "Broken azide to N=N+=N-\t[N:1]=[N;D2;v4;+0:2]=[N;D1;+0:3]>>[N:1]=[N+:2]=[N-:3]\n",
    rdMolStandardize.CleanupParameters(),
)

_REPAIR_PROP = "_cryoprotect_repair"  # what repaired_structure() did, on its result

_DATIVE = frozenset(
    {
        Chem.BondType.DATIVE,
        Chem.BondType.DATIVEONE,
        Chem.BondType.DATIVEL,
        Chem.BondType.DATIVER,
    }
)
# Bond types the InChI library cannot read and that stand for no shared electron pair.
_NO_BOND = frozenset({Chem.BondType.ZERO, Chem.BondType.IONIC, Chem.BondType.HYDROGEN})


def repair_valence(raw: Chem.Mol) -> Chem.Mol | None:
    """Write in the charges of a structure drawn with hypervalent N, O or S.

    Args:
        raw: a molecule parsed *without* sanitisation (it is not modified).

    Returns:
        The repaired, sanitised molecule (explicit hydrogens as drawn, stereo not yet
        assigned), or None when the rules do not make it valid.
    """
    work = Chem.Mol(raw)
    try:
        work.UpdatePropertyCache(strict=False)
        work = standardizer.normalize_mol(work)
        work = _AZIDE.normalize(work)
        Chem.SanitizeMol(work)
    except (ValueError, RuntimeError):  # RDKit's sanitisation exceptions are ValueErrors
        return None
    return work


def repaired_structure(raw: Chem.Mol | None) -> Chem.Mol | None:
    """A structure RDKit rejected, parsed unsanitised, repaired by :func:`repair_valence`
    and given its stereo as the sanitising parsers would (chirality from wedges or 3D
    coordinates, double bonds from SMILES directions or 2D coordinates); hydrogens
    removed. :func:`repair_description` reads back what was done. None if the rules
    cannot repair it."""
    if raw is None or raw.GetNumAtoms() == 0:
        return None
    # Double-bond stereo from the drawn directions before the repair rewrites atoms;
    # ChEMBL's parse_molblock does the same.
    Chem.SetBondStereoFromDirections(raw)
    fixed = repair_valence(raw)
    if fixed is None:
        return None
    if fixed.GetNumConformers():
        if is_3d(fixed):
            Chem.AssignStereochemistryFrom3D(fixed)
        else:
            Chem.AssignChiralTypesFromBondDirs(fixed)
    Chem.AssignStereochemistry(fixed, cleanIt=True, force=True)
    mol = Chem.RemoveHs(fixed)
    try:
        before = Chem.MolToSmiles(raw)
    except (ValueError, RuntimeError):
        before = "the drawing"
    mol.SetProp(_REPAIR_PROP, f"repaired valence: {before} → {Chem.MolToSmiles(mol)}")
    return mol


def repair_description(mol: Chem.Mol) -> tuple[str, ...]:
    """``("repaired valence: CN(C)(C)C → C[N+](C)(C)C",)`` for a repaired structure, else ()."""
    return (mol.GetProp(_REPAIR_PROP),) if mol.HasProp(_REPAIR_PROP) else ()


def is_3d(mol: Chem.Mol) -> bool:
    """Whether the first conformer has depth (ChEMBL's test: some |z| >= 1e-4)."""
    conf = mol.GetConformer()
    return conf.Is3D() and any(
        abs(conf.GetAtomPosition(i).z) >= 1e-4 for i in range(mol.GetNumAtoms())
    )


def metals(mol: Chem.Mol) -> list[str]:
    """Symbols of the metal elements in ``mol``, each once, in order of appearance."""
    seen: list[str] = []
    for atom in mol.GetAtoms():
        symbol = atom.GetSymbol()
        if atom.GetAtomicNum() not in NON_METALS and symbol not in seen:
            seen.append(symbol)
    return seen


def metals_with_multicentre_bonds(mol: Chem.Mol) -> list[str]:
    """Metals drawn with a multi-centre (η) bond as separate bonds to adjacent atoms.

    Ferrocene drawn with Fe bonded to all ten carbons, or an η²-alkene bonded to Pt
    through both carbons: each ring or alkene carbon then counts the bond to the metal
    as one of its four, loses a hydrogen, and the formula (so every identifier) is wrong.
    The hallmark is a metal bonded to two atoms that are bonded to each other; an atom
    bonded to a metal with unpaired electrons left on it is refused for the same reason.
    """
    found: list[str] = []
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() in NON_METALS or atom.GetSymbol() in found:
            continue
        ligands = [n for n in atom.GetNeighbors() if n.GetAtomicNum() in NON_METALS]
        indices = {n.GetIdx() for n in ligands}
        if any(n.GetNumRadicalElectrons() for n in ligands) or any(
            other.GetIdx() in indices for n in ligands for other in n.GetNeighbors()
        ):
            found.append(atom.GetSymbol())
    return found


def query_features(mol: Chem.Mol) -> list[str]:
    """Search-pattern features in a structure given for registration, described for the
    user: placeholder or query atoms (molfile A, Q, L lists, R#, SMILES ``*``) and query
    bonds (molfile bond types 5-8: single or double, …, any). Empty for a substance."""
    found: list[str] = []
    if any(atom.GetAtomicNum() == 0 or atom.HasQuery() for atom in mol.GetAtoms()):
        found.append("placeholder or query atoms (*, A, Q, R#, atom lists)")
    if any(
        bond.HasQuery() or bond.GetBondType() == Chem.BondType.UNSPECIFIED
        for bond in mol.GetBonds()
    ):
        found.append("query bonds (any, single or double, single or aromatic, …)")
    return found


def needs_inchi_input(mol: Chem.Mol) -> bool:
    """Whether ``mol`` has a bond the InChI library cannot read (dative, zero-order, …)."""
    return any(
        bond.GetBondType() in _DATIVE or bond.GetBondType() in _NO_BOND for bond in mol.GetBonds()
    )


def inchi_input(mol: Chem.Mol) -> Chem.Mol:
    """A copy of ``mol`` the InChI library can read (see the module docstring).

    Args:
        mol: a sanitised molecule (not modified).

    Returns:
        The copy: dative bonds to a metal and zero-order, ionic and hydrogen bonds
        removed; other dative bonds single with the donor +1 and the acceptor −1;
        hydrogen counts as in ``mol``. Coordinates are kept.
    """
    work = Chem.RWMol(mol)
    for atom in work.GetAtoms():
        atom.SetNumExplicitHs(atom.GetTotalNumHs())
        atom.SetNoImplicit(True)
    removed: list[tuple[int, int]] = []
    for bond in work.GetBonds():
        kind = bond.GetBondType()
        begin, end = bond.GetBeginAtom(), bond.GetEndAtom()
        if kind in _NO_BOND or (
            kind in _DATIVE
            and (begin.GetAtomicNum() not in NON_METALS or end.GetAtomicNum() not in NON_METALS)
        ):
            removed.append((begin.GetIdx(), end.GetIdx()))
        elif kind in _DATIVE:  # begin is the donor
            bond.SetBondType(Chem.BondType.SINGLE)
            begin.SetFormalCharge(begin.GetFormalCharge() + 1)
            end.SetFormalCharge(end.GetFormalCharge() - 1)
    for begin_idx, end_idx in removed:
        work.RemoveBond(begin_idx, end_idx)
    out = work.GetMol()
    out.UpdatePropertyCache(strict=False)
    return out
