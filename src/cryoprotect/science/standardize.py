"""Structure input and standardisation: text → RDKit molecule → standardised parent.

This module owns how a structure typed, pasted or imported by a user becomes the one
canonical record the library stores (SMILES, InChI, InChIKey, formula, masses).

Parsing (:func:`parse_structure`) accepts SMILES, standard InChI and MDL molfiles (V2000
or V3000, or the first record of an SD file). A SMILES or molfile RDKit will not sanitise
is read again unsanitised, as the ChEMBL pipeline expects its input, and repaired with
the pipeline's own charge rules (``CN(C)(C)C`` → ``C[N+](C)(C)C``, an azide drawn
``N=N=N`` → ``N=[N+]=[N-]``; see :mod:`~cryoprotect.science.structure_repair`); the
repair is listed first in ``changes``. What the rules cannot repair raises
:class:`~cryoprotect.errors.InvalidStructureError` carrying RDKit's (or the InChI
library's) own reason, for example ``Explicit valence for atom # 0 C, 5, is greater than
permitted`` or ``unclosed ring``.

Identifiers. The InChI is computed from the standardised parent while it still has the
2D coordinates of the molfile it came from, so double-bond geometry RDKit does not
perceive (the C=N bonds of a quinone dioxime, metal chelates) is read from the drawing
as ChEMBL reads it; records keep no coordinates. Stereo of 3D input is perceived at
parse time (the pipeline's drawing clean-up accepts 2D only). Dative bonds, which the
InChI library cannot read, are handed to it as the standard InChI treats bonds to
metals (disconnected) or, between non-metals, as charge-separated single bonds; the
stored structure keeps them as drawn. A metal drawn with a multi-centre (η) bond as
separate bonds to adjacent atoms (ferrocene's Fe bonded to ten carbons) is refused with
a message naming the metal, because RDKit then takes hydrogens off those atoms.

Standardisation (:func:`standardize`) is the ChEMBL structure pipeline (Bento et al.,
J. Cheminform. 12:51, 2020): ``standardizer.standardize_mol`` followed by
``standardizer.get_parent_mol``. Stereochemistry is kept. The rules worth knowing:

* **Isotope parent.** Isotope labels are removed (``[13CH3]O`` → ``CO``), unless
  ``keep_isotopes=True`` (then D2O and DMSO-d6 stay distinct from H2O and DMSO).
* **Solvents first.** Fragments on ChEMBL's solvent list (water, methanol, ethanol,
  DMSO, acetone, …) are removed: trehalose dihydrate → trehalose. If *every* fragment is
  a solvent, nothing is removed (DMSO on its own stays DMSO).
* **Then salts.** Fragments on ChEMBL's salt list (chloride, sodium, acetate, …) are
  removed: L-proline hydrochloride → L-proline. If *every* remaining fragment is on the
  salt list, nothing is removed: sodium acetate stays ``CC(=O)[O-].[Na+]``. The salt list
  contains some small CPAs (glycerol, propylene glycol), which is harmless for the same
  reason: on their own they are never stripped.
* **Identical fragments collapse.** When the fragments left are all the same, one copy
  is kept.
* **Neutralisation.** Charges are removed where a proton can be added or removed
  (``[NH3+]CC(=O)[O-]`` → ``NCC(=O)O``), but a charge that cannot be neutralised keeps its
  counter-charge (betaine, ``[Na+]`` with a carboxylate).
* **Normalisation.** Functional groups get ChEMBL's representation: nitro as
  ``[N+](=O)[O-]`` and sulfoxides charge-separated (DMSO → ``C[S+](C)[O-]``; InChI and
  InChIKey are unaffected).
* **Exclusion.** Structures containing metals or more than seven boron atoms are not
  normalised (fragments are still stripped).

Fast path. The full pipeline costs about 6 ms per molecule, mostly because it re-reads
and re-parses its salt and solvent tables on every call. Most molecules are already in
their standard form, so :func:`standardize` first checks whether the pipeline could
change the molecule at all: one fragment; only C, N, O, F, Si, P, S, Cl, Se, Br, I; no
isotope labels, explicit hydrogen atoms, radicals, query features or unusual bond types;
no charges other than balanced N⁺–O⁻ pairs (nitro groups, N-oxides), which the pipeline
keeps; and no match for any pattern the pipeline rewrites (the left-hand sides of its
own normalisation table, read from the installed package, plus its free-tartrate rule).
Such a molecule takes the fast path and is returned as it is. The test suite proves
the equivalence on the 5,000-molecule NCI sample shipped with RDKit: wherever the fast
path is taken, the canonical isomeric SMILES and the InChIKey equal those of the full
pipeline.
"""

from __future__ import annotations

import importlib.resources
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from chembl_structure_pipeline import standardizer
from rdkit import Chem
from rdkit.Chem import rdinchi, rdMolDescriptors, rdMolHash

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.molecules import (
    MAX_SMILES_LENGTH,
    capture_rdkit_log,
    molecular_weight,
    rdkit_reason,
    require_ascii,
)
from cryoprotect.science.structure_repair import (
    inchi_input,
    is_3d,
    metals,
    metals_with_multicentre_bonds,
    needs_inchi_input,
    query_features,
    repair_description,
    repaired_structure,
)

MAX_STRUCTURE_TEXT = 1_000_000
"""Longest molfile or InChI accepted, in characters (SMILES: ``MAX_SMILES_LENGTH``)."""

FORMATS = ("smiles", "inchi", "molblock")
"""Input formats understood by :func:`parse_structure`."""

_FIELD = "structure"
_DRAW_METALS_AS_IONS = (
    "Draw the metal as an ion and its ligands as separate fragments (ferrocene, for "
    "example, as [Fe+2].c1cc[cH-]c1.c1cc[cH-]c1)."
)


@dataclass(frozen=True)
class Standardized:
    """The standardised parent of a structure, with its identifiers.

    Attributes:
        mol: the standardised parent molecule (sanitised RDKit ``Mol`` without
            coordinates; do not mutate).
        smiles: RDKit canonical isomeric SMILES of the parent.
        inchi: standard InChI.
        inchikey: standard InChIKey (27 characters).
        formula: Hill-order molecular formula (isotopes written separately, e.g. D2O,
            when they are kept).
        molecular_weight: average molar mass in g/mol.
        exact_mass: monoisotopic mass in Da.
        changes: human-readable steps the pipeline applied, in order (empty when the
            structure was already standard), e.g. ``"removed fragment Cl (salt)"``.
        fast_path: True when the molecule was recognised as already standard and the
            ChEMBL pipeline was skipped (see the module docstring).
    """

    mol: Chem.Mol
    smiles: str
    inchi: str
    inchikey: str
    formula: str
    molecular_weight: float
    exact_mass: float
    changes: tuple[str, ...]
    fast_path: bool


# --------------------------------------------------------------------------- parsing


def detect_format(text: str) -> str:
    """Guess the format of a structure text.

    Args:
        text: a SMILES, InChI or molfile/SD text.

    Returns:
        ``"inchi"`` if it starts with ``InChI=``, ``"molblock"`` if it contains
        ``M  END``, ``V2000`` or ``V3000``, otherwise ``"smiles"``.
    """
    stripped = text.strip()
    if stripped.startswith("InChI="):
        return "inchi"
    if "M  END" in text or "V2000" in text or "V3000" in text:
        return "molblock"
    return "smiles"


def parse_structure(text: str, fmt: str | None = None) -> Chem.Mol:
    """Parse a structure given as SMILES, InChI or molfile into a sanitised molecule.

    Args:
        text: the structure text. A SD file is read up to its first ``$$$$``.
        fmt: ``"smiles"``, ``"inchi"``, ``"molblock"`` or None to detect it
            (see :func:`detect_format`).

    Returns:
        A sanitised RDKit molecule (hydrogens implicit, stereo perceived).

    Raises:
        InvalidStructureError: empty, too long, unknown format, or rejected by the parser
            (the message carries the parser's reason); ``details["field"] == "structure"``.
    """
    if fmt is not None and fmt not in FORMATS:
        raise InvalidStructureError(
            f"Unknown structure format {fmt!r}; expected one of {', '.join(FORMATS)}.",
            field="format",
        )
    if not (text or "").strip():
        raise InvalidStructureError("Structure is empty.", field=_FIELD)
    require_ascii(text, _FIELD)
    kind = fmt or detect_format(text)
    if kind == "smiles":
        mol = _parse_smiles(text.strip())
    elif kind == "inchi":
        mol = _parse_inchi(text.strip())
    else:
        mol = _parse_molblock(text)
    if mol.GetNumAtoms() == 0:
        raise InvalidStructureError("Structure has no atoms.", field=_FIELD)
    return mol


def _check_length(text: str, limit: int, what: str) -> None:
    if len(text) > limit:
        raise InvalidStructureError(f"{what} is longer than {limit} characters.", field=_FIELD)


def _parse_smiles(text: str) -> Chem.Mol:
    _check_length(text, MAX_SMILES_LENGTH, "SMILES")
    with capture_rdkit_log() as log:
        mol = Chem.MolFromSmiles(text)
        if mol is None:
            mol = repaired_structure(Chem.MolFromSmiles(text, sanitize=False))
    if mol is None:
        reason = rdkit_reason(log, "RDKit could not parse it")
        raise InvalidStructureError(f"Invalid SMILES: {reason}", field=_FIELD)
    return mol


_INCHI_STRUCTURE_LINE = re.compile(r"Structure:\s*\d+\s*(.*)")


def _parse_inchi(text: str) -> Chem.Mol:
    _check_length(text, MAX_STRUCTURE_TEXT, "InChI")
    with capture_rdkit_log() as log:
        result = rdinchi.InchiToMol(text, True, True)
    mol: Chem.Mol | None = result[0]
    message: str = result[2] or ""
    inchi_log: str = result[3] or ""
    if mol is None:
        reasons = [m.group(1).strip() for m in _INCHI_STRUCTURE_LINE.finditer(inchi_log)]
        reason = message.strip() or next((r for r in reasons if r), "") or rdkit_reason(log, "")
        raise InvalidStructureError(
            f"Invalid InChI: {reason or 'the InChI library could not read it'}", field=_FIELD
        )
    return mol


def _parse_molblock(text: str) -> Chem.Mol:
    _check_length(text, MAX_STRUCTURE_TEXT, "Molfile")
    first_record = text.split("$$$$", 1)[0]
    with capture_rdkit_log() as log:
        mol = Chem.MolFromMolBlock(first_record, sanitize=True, removeHs=True)
        if mol is None:
            raw = Chem.MolFromMolBlock(first_record, sanitize=False, removeHs=False)
            if raw is not None:
                # RDKit keeps wedges only on sanitised input; put them back (as ChEMBL does).
                standardizer.reapply_molblock_wedging(raw)
            mol = repaired_structure(raw)
    if mol is None:
        reason = rdkit_reason(log, "RDKit could not read it")
        raise InvalidStructureError(f"Invalid molfile: {reason}", field=_FIELD)
    return mol


# ------------------------------------------------------------------------- fast path

_FAST_PATH_ELEMENTS = frozenset({6, 7, 8, 9, 14, 15, 16, 17, 34, 35, 53})
_FAST_PATH_BONDS = frozenset(
    {Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC}
)
# A charge the pipeline keeps: N+ without hydrogen bonded to a terminal O- (nitro, N-oxide).
_KEPT_CHARGE_PAIR = Chem.MolFromSmarts("[#7+1;H0]-[#8-1;X1]")


def _pipeline_rewrite_patterns() -> tuple[Chem.Mol, ...]:
    """Left-hand sides of the pipeline's normalisation table, plus its tartrate rule.

    Read from the installed package so that the fast path follows the pipeline's rules.
    Returns an empty tuple (fast path disabled) if the table cannot be read.
    """
    table = getattr(standardizer, "_normalization_transforms", None)
    if not isinstance(table, str):
        return ()
    patterns: list[Chem.Mol] = []
    for line in table.splitlines():
        fields = line.strip().split("\t")
        if len(fields) != 2 or fields[0].startswith("//") or ">>" not in fields[1]:
            continue
        pattern = Chem.MolFromSmarts(fields[1].split(">>", 1)[0])
        if pattern is None:
            return ()
        patterns.append(pattern)
    alkoxide = getattr(standardizer, "_alkoxide_pattern", None)
    if isinstance(alkoxide, Chem.Mol):
        patterns.append(alkoxide)
    # flatten_tartrate_mol: free tartaric acid / tartrate fragments lose their stereo.
    tartrate = Chem.MolFromSmarts("OC(=O)C(O)C(O)C(=O)O")
    params = Chem.AdjustQueryParameters.NoAdjustments()
    params.adjustDegree = True  # type: ignore[assignment]  # RDKit's stub types this field wrongly
    params.adjustDegreeFlags = Chem.AdjustQueryWhichFlags.ADJUST_IGNORENONE
    patterns.append(Chem.AdjustQueryProperties(tartrate, params))
    return tuple(patterns) if len(patterns) > 2 else ()


_REWRITE_PATTERNS = _pipeline_rewrite_patterns()


def is_already_standard(mol: Chem.Mol) -> bool:
    """Whether the ChEMBL pipeline is known to leave ``mol`` unchanged (fast-path test).

    Args:
        mol: a sanitised molecule.

    Returns:
        True if the molecule meets every fast-path condition in the module docstring.
    """
    if not _REWRITE_PATTERNS:
        return False
    charged: set[int] = set()
    net_charge = 0
    for atom in mol.GetAtoms():
        if (
            atom.GetAtomicNum() not in _FAST_PATH_ELEMENTS
            or atom.GetIsotope()
            or atom.GetNumRadicalElectrons()
            or atom.HasQuery()
        ):
            return False
        charge = atom.GetFormalCharge()
        if charge:
            if abs(charge) != 1:
                return False
            charged.add(atom.GetIdx())
            net_charge += charge
    if net_charge:
        return False
    for bond in mol.GetBonds():
        if bond.GetBondType() not in _FAST_PATH_BONDS or bond.HasQuery():
            return False
    if len(Chem.GetMolFrags(mol)) != 1:
        return False
    if charged:
        paired = {index for match in mol.GetSubstructMatches(_KEPT_CHARGE_PAIR) for index in match}
        if not charged <= paired:
            return False
    return not any(mol.HasSubstructMatch(pattern) for pattern in _REWRITE_PATTERNS)


# ------------------------------------------------------------------- standardisation


def standardize(
    mol: Chem.Mol, *, fast_path: bool = True, keep_isotopes: bool = False
) -> Standardized:
    """Standardise a molecule to its ChEMBL parent, keeping stereochemistry.

    Args:
        mol: a sanitised molecule (e.g. from :func:`parse_structure`); not modified.
        fast_path: allow skipping the pipeline for molecules it would not change
            (set False to force the full pipeline, e.g. for benchmarks).
        keep_isotopes: keep isotope labels (D2O, DMSO-d6, 13C tracers stay distinct
            substances); by default the ChEMBL isotope parent is taken.

    Returns:
        The standardised parent with identifiers, masses (g/mol, Da) and the list of
        changes applied.

    Raises:
        InvalidStructureError: the pipeline or InChI generation failed (with the reason).
    """
    repaired = repair_description(mol)
    if fast_path and is_already_standard(mol):  # no metals, only ordinary bond types
        return _record(_as_pipeline_draws_it(mol), repaired, fast_path=True)
    if queries := query_features(mol):
        raise InvalidStructureError(
            f"The structure contains {' and '.join(queries)}: it describes a search "
            "pattern, not one substance. Draw it with definite elements and bond orders.",
            field=_FIELD,
        )
    if found := metals_with_multicentre_bonds(mol):
        raise InvalidStructureError(
            f"The structure draws a multi-centre (η) bond to {', '.join(found)} as separate "
            "bonds to neighbouring atoms, which leaves those atoms without their hydrogens, "
            f"so its formula and identity would be wrong. {_DRAW_METALS_AS_IONS}",
            field=_FIELD,
        )
    parent = _full_pipeline(mol, keep_isotopes=keep_isotopes)
    changes = _describe_changes(mol, parent, keep_isotopes=keep_isotopes)
    return _record(parent, repaired + changes, fast_path=False)


def register_structure(
    text: str, fmt: str | None = None, *, keep_isotopes: bool = False
) -> Standardized:
    """Parse a structure text and standardise it (:func:`parse_structure` + :func:`standardize`).

    Args:
        text: SMILES, InChI or molfile/SD text.
        fmt: ``"smiles"``, ``"inchi"``, ``"molblock"`` or None to detect it.
        keep_isotopes: keep isotope labels instead of taking the isotope parent.

    Returns:
        The standardised parent record.

    Raises:
        InvalidStructureError: the text cannot be parsed or standardised.
    """
    return standardize(parse_structure(text, fmt), keep_isotopes=keep_isotopes)


def _as_pipeline_draws_it(mol: Chem.Mol) -> Chem.Mol:
    """A copy with the coordinates the full pipeline would leave: a 2D drawing with its
    triple bonds and allenes straightened (``cleanup_drawing_mol``); none for 3D input,
    or where the clean-up fails (both as in :func:`_full_pipeline`)."""
    work = Chem.Mol(mol)
    if not work.GetNumConformers():
        return work
    if not is_3d(work):
        try:
            return Chem.Mol(standardizer.cleanup_drawing_mol(work))
        except (ValueError, RuntimeError):
            pass
    work.RemoveAllConformers()
    return work


def _full_pipeline(mol: Chem.Mol, *, keep_isotopes: bool) -> Chem.Mol:
    work = Chem.Mol(mol)
    # A 2D drawing keeps its coordinates, so the InChI sees double-bond geometry as drawn
    # (as ChEMBL computes it from the standardised molfile). Stereo of 3D input is
    # perceived at parse time; the pipeline's drawing clean-up accepts 2D only.
    if work.GetNumConformers() and is_3d(work):
        work.RemoveAllConformers()
    try:
        return _run_pipeline(work, keep_isotopes=keep_isotopes)
    except InvalidStructureError:
        if not work.GetNumConformers():
            raise
    work.RemoveAllConformers()  # the drawing clean-up failed: standardise the graph alone
    return _run_pipeline(work, keep_isotopes=keep_isotopes)


def _run_pipeline(work: Chem.Mol, *, keep_isotopes: bool) -> Chem.Mol:
    with capture_rdkit_log() as log:
        try:
            standardized = standardizer.standardize_mol(work)
            if keep_isotopes:  # get_parent_mol without its isotope-parent step
                parent, _excluded = standardizer.get_fragment_parent_mol(
                    standardizer.remove_hs_from_mol(standardized),
                    check_exclusion=True,
                    neutralize=True,
                )
            else:
                parent, _excluded = standardizer.get_parent_mol(standardized)
            parent = Chem.Mol(parent)
            Chem.SanitizeMol(parent)
        except (ValueError, RuntimeError) as exc:  # RDKit sanitisation errors are ValueErrors
            reason = rdkit_reason(log, str(exc) or type(exc).__name__)
            raise InvalidStructureError(
                f"Structure could not be standardised: {reason}", field=_FIELD
            ) from exc
    return parent


def _record(drawn: Chem.Mol, changes: tuple[str, ...], *, fast_path: bool) -> Standardized:
    """Identifiers of a standardised parent. The InChI is computed while the molecule
    still has its 2D coordinates (if it came with any); the record keeps none."""
    source = inchi_input(drawn) if not fast_path and needs_inchi_input(drawn) else drawn
    with capture_rdkit_log() as log:
        inchi, _code, message, _inchi_log, _aux = rdinchi.MolToInchi(source, "/AuxNone")
        inchikey = rdinchi.InchiToInchiKey(inchi) if inchi else ""
    if not inchi or not inchikey:
        reason = message.strip() or rdkit_reason(log, "InChI generation failed")
        found = metals(drawn)
        if found:
            raise InvalidStructureError(
                f"Could not compute a standard InChI for this structure containing "
                f"{', '.join(found)}: {reason}. {_DRAW_METALS_AS_IONS}",
                field=_FIELD,
            )
        raise InvalidStructureError(f"Could not compute an InChI: {reason}", field=_FIELD)
    mol = Chem.Mol(drawn)
    mol.RemoveAllConformers()
    return Standardized(
        mol=mol,
        smiles=Chem.MolToSmiles(mol),
        inchi=inchi,
        inchikey=inchikey,
        formula=rdMolDescriptors.CalcMolFormula(
            mol, separateIsotopes=True, abbreviateHIsotopes=True
        ),
        molecular_weight=molecular_weight(mol),
        exact_mass=float(rdMolDescriptors.CalcExactMolWt(mol)),
        changes=changes,
        fast_path=fast_path,
    )


# ------------------------------------------------------------- describing the changes


def _load_table(name: str) -> tuple[tuple[str, Chem.Mol], ...]:
    """ChEMBL's salt or solvent table (name, SMARTS), as the pipeline reads it."""
    path = importlib.resources.files("chembl_structure_pipeline") / "data" / name
    rows: list[tuple[str, Chem.Mol]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.strip().split("\t")
        if len(fields) == 2:
            pattern = Chem.MolFromSmarts(fields[1])
            if pattern is not None:
                rows.append((fields[0], pattern))
    return tuple(rows)


_SOLVENTS = _load_table("solvents.smi")
_SALTS = _load_table("salts.smi")


def _on_list(frag: Chem.Mol, table: Iterable[tuple[str, Chem.Mol]]) -> str | None:
    """The name of the first table entry matching the whole fragment (ChEMBL's test)."""
    query = Chem.RemoveHs(frag, sanitize=False)
    query.UpdatePropertyCache(strict=False)
    Chem.SetAromaticity(query)
    for name, pattern in table:
        if (
            query.GetNumAtoms() == pattern.GetNumAtoms()
            and query.GetNumBonds() == pattern.GetNumBonds()
            and query.HasSubstructMatch(pattern)
        ):
            return name
    return None


def _neutral_key(frag: Chem.Mol, *, isomeric: bool = True) -> str:
    """Canonical SMILES of a fragment neutralised on its own."""
    with capture_rdkit_log():
        work = standardizer.uncharge_mol(Chem.Mol(frag))
    return Chem.MolToSmiles(work, isomericSmiles=isomeric)


def _graph_key(frag: Chem.Mol) -> str:
    """Elements and connectivity only: unchanged by neutralisation, normalisation and the
    removal of stereo, so it pairs an input fragment with its parent fragment."""
    work = Chem.Mol(frag)
    Chem.RemoveStereochemistry(work)
    return str(rdMolHash.MolHash(work, rdMolHash.HashFunction.ElementGraph))


def _charged_atoms(mol: Chem.Mol) -> int:
    return sum(1 for atom in mol.GetAtoms() if atom.GetFormalCharge())


def _fragments(mol: Chem.Mol) -> list[Chem.Mol]:
    return list(Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False))


def _describe_changes(
    original: Chem.Mol, parent: Chem.Mol, *, keep_isotopes: bool
) -> tuple[str, ...]:
    changes: list[str] = []
    # Compare like with like: the input as the parent is drawn (isotopes, explicit H).
    base = Chem.Mol(original)
    if not keep_isotopes and any(atom.GetIsotope() for atom in base.GetAtoms()):
        changes.append("removed isotope labels")
        for atom in base.GetAtoms():
            atom.SetIsotope(0)
    with capture_rdkit_log():
        base = Chem.RemoveHs(base, sanitize=False)

    original_frags = [f for f in _fragments(base) if _heavy_atoms(f)]
    parent_frags = _fragments(parent)
    original_keys = [_graph_key(f) for f in original_frags]
    removed = Counter(original_keys) - Counter(_graph_key(f) for f in parent_frags)
    example = dict(zip(original_keys, original_frags, strict=True))
    for key, count in removed.items():
        changes.append(_removal_message(count, example[key]))

    remaining = removed.copy()
    kept: list[Chem.Mol] = []
    for key, frag in zip(original_keys, original_frags, strict=True):
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            kept.append(frag)
    if _charged_atoms(parent) < sum(_charged_atoms(f) for f in kept):
        changes.append("neutralised")
    if Counter(_neutral_key(f) for f in kept) != Counter(_neutral_key(f) for f in parent_frags):
        flat_kept = Counter(_neutral_key(f, isomeric=False) for f in kept)
        flat_parent = Counter(_neutral_key(f, isomeric=False) for f in parent_frags)
        if flat_kept == flat_parent:
            changes.append("changed stereochemistry (ChEMBL rules)")
        else:
            changes.append("normalised functional groups (ChEMBL rules)")
    return tuple(changes)


def _heavy_atoms(mol: Chem.Mol) -> int:
    return sum(1 for atom in mol.GetAtoms() if atom.GetAtomicNum() != 1)


def _removal_message(count: int, frag: Chem.Mol) -> str:
    solvent = _on_list(frag, _SOLVENTS)
    if solvent is not None:
        return f"removed {count} {solvent.lower()} (solvate)"
    kind = "salt" if _on_list(frag, _SALTS) is not None else "duplicate"
    noun = "fragment" if count == 1 else f"{count} fragments"
    return f"removed {noun} {_neutral_key(frag)} ({kind})"
