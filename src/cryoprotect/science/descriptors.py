"""The documented molecular descriptor set used for display, screening and CPA scoring.

Every descriptor is listed in :data:`DESCRIPTORS` with its unit, a description and the
method that computes it; :func:`compute_descriptors` returns them in that order. The
values are computed by RDKit (:data:`DESCRIPTOR_METHOD` records the version, to be stored
with every value as its provenance).

Representation. Descriptors are computed on the structure as given, normally the ChEMBL
standardised parent from :mod:`cryoprotect.science.standardize`, with one exception:
charge-separated sulfoxides (``C[S+](C)[O-]``, the ChEMBL convention) are evaluated in
their neutral ``S=O`` form, so that DMSO gets the same polar surface area whichever way it
was drawn (17.07 Å² instead of 23.06 Å² for ``[O-]``). Nitro groups stay charge-separated,
as RDKit requires.

Functional-group counts are substructure counts with the SMARTS in
:data:`GROUP_SMARTS`, compiled once at import. Each group is counted once per defining
atom (see the descriptions), so for example urea has one amide-type carbonyl and no amine.

Speed matters (library screening runs over millions of molecules): each quantity is
computed once, mostly by the C++ functions of ``rdMolDescriptors`` (Crippen logP and MR in
one call), and the SMARTS queries are pre-compiled. The cost is dominated by RDKit's own
Crippen atom typing and strict rotatable-bond SMARTS (about 0.45 ms per NCI molecule).
"""

from __future__ import annotations

from dataclasses import dataclass

import rdkit
from rdkit import Chem
from rdkit.Chem import rdMolDescriptors

from cryoprotect.science.molecules import molecular_weight

DESCRIPTOR_METHOD = f"RDKit {rdkit.__version__}"
"""Provenance of every value returned by :func:`compute_descriptors`."""


@dataclass(frozen=True)
class DescriptorSpec:
    """One documented descriptor.

    Attributes:
        name: the key in :func:`compute_descriptors`' result (``snake_case``).
        unit: unit of the value (``"count"`` and ``"dimensionless"`` included).
        description: what the number means, in a sentence.
        method: how it is computed (algorithm, reference, RDKit function).
        label: a short human-readable label for tables and charts.
    """

    name: str
    unit: str
    description: str
    method: str
    label: str


_CRIPPEN = "Wildman SA, Crippen GM, J. Chem. Inf. Comput. Sci. 39:868–873 (1999)"
_TPSA = "Ertl P, Rohde B, Selzer P, J. Med. Chem. 43:3714–3717 (2000)"

GROUP_SMARTS: dict[str, str] = {
    # O–H on a carbon that is not a carbonyl/imine/thiocarbonyl carbon (alcohols, phenols).
    "hydroxyl_groups": "[OX2H1;$(O[#6;!$([#6]=[#7,#8,#16])])]",
    # Carbonyl carbon bonded to nitrogen: amides, lactams, ureas, carbamates, imides.
    "amide_groups": "[CX3;$([CX3](=[OX1])[#7])]",
    # Sulfoxide sulfur bonded to two carbons, as S=O or charge-separated S+–O−.
    "sulfoxide_groups": "[$([#16X3](=[OX1])([#6])[#6]),$([#16X3+1]([OX1-1])([#6])[#6])]",
    # Aliphatic oxygen between two carbons, not an ester/acid oxygen (ethers, acetals).
    "ether_groups": "[OX2;$(O([#6])[#6]);!$(O[#6]=[#7,#8,#16])]",
    # Nitrogen with only C/H neighbours, not on a C=O, C=N or C=S carbon (amines,
    # including anilines and protonated or quaternary ammonium).
    "amine_groups": (
        "[$([NX3;!$(N~[!#6;!#1]);!$(N[#6]=[#7,#8,#16]);!$(N[#6]#[#7])]),$([NX4+1;!$(N~[!#6;!#1])])]"
    ),
    # Carboxyl carbon of a carboxylic acid (COOH) or carboxylate (COO−).
    "carboxylic_acid_groups": "[CX3;$([CX3](=[OX1])[OX2H1,OX1-1])]",
}

_GROUP_DESCRIPTIONS = {
    "hydroxyl_groups": "Alcohol and phenol O–H groups (carboxylic acid OH excluded).",
    "amide_groups": (
        "Amide-type carbonyls: carbonyl carbons bonded to N (amides, lactams, ureas, "
        "carbamates); a urea counts once."
    ),
    "sulfoxide_groups": "Sulfoxides R–S(=O)–R′, drawn as S=O or S⁺–O⁻ (DMSO counts 1).",
    "ether_groups": (
        "Ether oxygens C–O–C, including ring and acetal oxygens of sugars; ester and "
        "aromatic (furan-type) oxygens excluded."
    ),
    "amine_groups": (
        "Amine nitrogens bonded only to C/H (primary, secondary, tertiary, anilines, "
        "protonated and quaternary ammonium); amides, amidines and guanidines excluded."
    ),
    "carboxylic_acid_groups": (
        "Carboxylic acids and carboxylates: COOH or COO⁻, counted once per carboxyl carbon."
    ),
}

_GROUP_QUERIES: tuple[tuple[str, Chem.Mol], ...] = tuple(
    (name, Chem.MolFromSmarts(smarts)) for name, smarts in GROUP_SMARTS.items()
)
_CHARGE_SEPARATED_SULFOXIDE = Chem.MolFromSmarts("[#16X3+1;$([#16]([#6])[#6])]-[#8X1-1]")
# Atom counts by single-atom queries (faster than iterating atoms in Python).
_CARBON = Chem.MolFromSmarts("[#6]")
_NITROGEN_OXYGEN = Chem.MolFromSmarts("[#7,#8]")
_MAX_MATCHES = 1_000_000


def _count_spec(name: str, description: str, method: str, label: str) -> DescriptorSpec:
    return DescriptorSpec(name, "count", description, method, label)


DESCRIPTORS: tuple[DescriptorSpec, ...] = (
    DescriptorSpec(
        "molecular_weight",
        "g/mol",
        "Average molar mass (IUPAC standard atomic weights), hydrogens included.",
        "RDKit Descriptors.MolWt",
        "molecular weight",
    ),
    DescriptorSpec(
        "exact_mass",
        "Da",
        "Monoisotopic mass (most abundant isotope of each element).",
        "RDKit rdMolDescriptors.CalcExactMolWt",
        "monoisotopic mass",
    ),
    DescriptorSpec(
        "clogp_crippen",
        "log10 (dimensionless)",
        "Calculated octanol/water partition coefficient, atom-contribution estimate "
        "(not a measured logP).",
        f"Wildman–Crippen atom contributions ({_CRIPPEN}); RDKit CalcCrippenDescriptors",
        "calculated logP (Wildman–Crippen)",
    ),
    DescriptorSpec(
        "tpsa",
        "Å²",
        "Topological polar surface area from N and O fragment contributions (S and P excluded).",
        f"Ertl TPSA ({_TPSA}); RDKit CalcTPSA",
        "topological polar surface area",
    ),
    _count_spec(
        "hbd",
        "Hydrogen-bond donors (RDKit's SMARTS definition: N–H and O–H).",
        "RDKit CalcNumHBD",
        "H-bond donors",
    ),
    _count_spec(
        "hba",
        "Hydrogen-bond acceptors (RDKit's SMARTS definition).",
        "RDKit CalcNumHBA",
        "H-bond acceptors",
    ),
    _count_spec(
        "rotatable_bonds",
        "Rotatable bonds (single, non-ring, between non-terminal heavy atoms; strict).",
        "RDKit CalcNumRotatableBonds",
        "rotatable bonds",
    ),
    _count_spec(
        "heavy_atoms", "Atoms other than hydrogen.", "RDKit GetNumHeavyAtoms", "heavy atoms"
    ),
    _count_spec(
        "rings", "Rings in the smallest set of smallest rings.", "RDKit CalcNumRings", "rings"
    ),
    DescriptorSpec(
        "fsp3",
        "dimensionless",
        "Fraction of carbon atoms that are sp3-hybridised (0–1).",
        "RDKit CalcFractionCSP3",
        "fraction sp3 carbons",
    ),
    DescriptorSpec(
        "formal_charge",
        "e",
        "Net formal charge of the structure, in elementary charges.",
        "RDKit GetFormalCharge",
        "net formal charge",
    ),
    _count_spec("carbon_atoms", "Carbon atoms.", "atom count", "carbon atoms"),
    _count_spec(
        "polar_atoms",
        "Nitrogen and oxygen atoms (the polar, hydrogen-bonding heteroatoms).",
        "atom count",
        "N + O atoms",
    ),
    *(
        _count_spec(name, _GROUP_DESCRIPTIONS[name], f"SMARTS {smarts}", name.replace("_", " "))
        for name, smarts in GROUP_SMARTS.items()
    ),
)
"""Every descriptor returned by :func:`compute_descriptors`, in order."""

DESCRIPTORS_BY_NAME: dict[str, DescriptorSpec] = {spec.name: spec for spec in DESCRIPTORS}


def _neutral_sulfoxides(mol: Chem.Mol) -> Chem.Mol:
    """A copy with charge-separated sulfoxides drawn as S=O (``mol`` itself if none)."""
    matches = mol.GetSubstructMatches(_CHARGE_SEPARATED_SULFOXIDE)
    if not matches:
        return mol
    editable = Chem.RWMol(mol)
    for sulfur, oxygen in matches:
        editable.GetAtomWithIdx(sulfur).SetFormalCharge(0)
        editable.GetAtomWithIdx(oxygen).SetFormalCharge(0)
        bond = editable.GetBondBetweenAtoms(sulfur, oxygen)
        bond.SetBondType(Chem.BondType.DOUBLE)
    neutral = editable.GetMol()
    Chem.SanitizeMol(neutral)
    return neutral


def compute_descriptors(mol: Chem.Mol) -> dict[str, float]:
    """Compute every descriptor of :data:`DESCRIPTORS` for one molecule.

    Args:
        mol: a sanitised molecule, normally the standardised parent.

    Returns:
        ``{name: value}`` in the order of :data:`DESCRIPTORS`; units as documented there
        (molecular_weight g/mol, exact_mass Da, tpsa Å², formal_charge e, counts as floats).
    """
    mol = _neutral_sulfoxides(mol)
    logp, _molar_refractivity = rdMolDescriptors.CalcCrippenDescriptors(mol)
    values: dict[str, float] = {
        "molecular_weight": molecular_weight(mol),
        "exact_mass": float(rdMolDescriptors.CalcExactMolWt(mol)),
        "clogp_crippen": float(logp),
        "tpsa": float(rdMolDescriptors.CalcTPSA(mol)),
        "hbd": float(rdMolDescriptors.CalcNumHBD(mol)),
        "hba": float(rdMolDescriptors.CalcNumHBA(mol)),
        "rotatable_bonds": float(rdMolDescriptors.CalcNumRotatableBonds(mol)),
        "heavy_atoms": float(mol.GetNumHeavyAtoms()),
        "rings": float(rdMolDescriptors.CalcNumRings(mol)),
        "fsp3": float(rdMolDescriptors.CalcFractionCSP3(mol)),
        "formal_charge": float(Chem.GetFormalCharge(mol)),
        "carbon_atoms": float(len(mol.GetSubstructMatches(_CARBON, maxMatches=_MAX_MATCHES))),
        "polar_atoms": float(
            len(mol.GetSubstructMatches(_NITROGEN_OXYGEN, maxMatches=_MAX_MATCHES))
        ),
    }
    for name, query in _GROUP_QUERIES:
        values[name] = float(len(mol.GetSubstructMatches(query, maxMatches=_MAX_MATCHES)))
    return values
