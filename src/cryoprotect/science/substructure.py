"""Substructure primitives: query parsing, match parameters, pattern bits, atom types.

Pure functions over RDKit molecules, used by the substructure index
(:mod:`cryoprotect.search`), the query cost analysis and depiction:

* :func:`parse_query` reads SMARTS (or SMILES that parse only as SMILES) with RDKit's
  reason on failure, and lets a sulfoxide or nitro group match in either of its drawings
  (:func:`either_drawing`);
* :func:`match_parameters` / :func:`deadline_parameters` are ``HasSubstructMatch``'s
  defaults, the latter giving up at a deadline;
* :func:`pattern_fingerprint` / :func:`pattern_words` are RDKit's 2048-bit pattern
  fingerprint (the substructure screen) as a bit vector and as 64-bit words;
* :func:`atom_type`, :func:`type_screenable` and :func:`reads_rings` describe atoms and
  query atoms for the atom-type screen.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rdkit import Chem, DataStructs
from rdkit.Chem import rdqueries, rdSubstructLibrary

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.molecules import (
    capture_rdkit_log,
    checked_notation,
    rdkit_reason,
)

__all__ = [
    "AtomType",
    "atom_type",
    "bitvect_words",
    "deadline_parameters",
    "either_drawing",
    "match_parameters",
    "parse_query",
    "pattern_fingerprint",
    "pattern_words",
    "reads_rings",
    "type_screenable",
]

_PATTERNS = rdSubstructLibrary.PatternHolder()  # only used to compute pattern fingerprints
# Atom query primitives whose truth depends only on the atom-type key below, so a query
# atom made of them matches some atom of a molecule only if it matches the example atom
# of one of the molecule's types. Any other primitive (ring size, recursion, valence,
# isotope, chirality...) leaves that query atom out of the type screen.
_TYPE_PRIMITIVES = frozenset(
    {
        "AtomAtomicNum",
        "AtomType",
        "AtomIsAromatic",
        "AtomIsAliphatic",
        "AtomHCount",
        "AtomExplicitDegree",
        "AtomTotalDegree",
        "AtomFormalCharge",
        "AtomNegativeFormalCharge",
        "AtomAnd",
        "AtomOr",
        "AtomXor",
        "AtomNull",
    }
)
_RING_WORDS = ("Ring", "Recursive")  # query primitives that read ring information
_PRIMITIVE = re.compile(r"^\s*([A-Za-z]+)", re.MULTILINE)

AtomType = tuple[int, bool, int, int, int, int]


def atom_type(atom: Any) -> AtomType:
    """Atom-type key: element, aromaticity, H counts, explicit degree, formal charge."""
    return (
        atom.GetAtomicNum(),
        atom.GetIsAromatic(),
        atom.GetTotalNumHs(),
        atom.GetTotalNumHs(includeNeighbors=True),
        atom.GetDegree(),
        atom.GetFormalCharge(),
    )


def type_screenable(description: str) -> bool:
    """Whether a query atom (its ``DescribeQuery()`` text) uses only atom-type primitives."""
    return set(_PRIMITIVE.findall(description)) <= _TYPE_PRIMITIVES


def reads_rings(description: str) -> bool:
    """Whether a query atom or bond (its ``DescribeQuery()`` text) reads ring information."""
    return any(word in description for word in _RING_WORDS)


def pattern_fingerprint(mol: Chem.Mol) -> DataStructs.ExplicitBitVect:
    """RDKit's 2048-bit pattern fingerprint (``PatternHolder``'s substructure screen)."""
    fingerprint: DataStructs.ExplicitBitVect = _PATTERNS.MakeFingerprint(mol)
    return fingerprint


def bitvect_words(fp: DataStructs.ExplicitBitVect) -> NDArray[np.uint64]:
    """A bit vector's bits as little-endian 64-bit words (bit ``i`` in word ``i // 64``)."""
    text = DataStructs.BitVectToFPSText(fp)
    return np.frombuffer(bytes.fromhex(text), dtype="<u8").astype(np.uint64)


def pattern_words(mol: Chem.Mol) -> NDArray[np.uint64]:
    """RDKit's 2048-bit pattern fingerprint as 32 little-endian words."""
    return bitvect_words(pattern_fingerprint(mol))


def match_parameters() -> Any:
    """``HasSubstructMatch``'s defaults (no chirality, recursive SMARTS allowed).

    ``GetMatches``' own defaults differ (``useChirality=True``), so they are always passed
    explicitly.
    """
    return Chem.SubstructMatchParameters()


def deadline_parameters(deadline: float, clock: Callable[[], float] = time.monotonic) -> Any:
    """Match parameters that give up once ``clock()`` reaches ``deadline``.

    RDKit has no match timeout, and ``maxMatches`` / ``maxRecursiveMatches`` do not shorten
    a search that finds nothing. Instead an extra atom check (called by the matcher for
    every candidate atom pair, recursive SMARTS included) answers False from the deadline
    on, which ends the search within one atom comparison. A match found before the deadline
    is a real match; a "no match" answered after it means "unknown" (check the clock).
    It costs a Python call per atom pair (1.1-8x on typical queries), so it is meant for
    queries that are not small (:class:`cryoprotect.science.query_cost.QueryCost`).
    """
    params = match_parameters()

    def before_deadline(_query_atom: Any, _atom: Any) -> bool:
        return clock() < deadline

    params.setExtraAtomCheckFunc(before_deadline)
    return params


def parse_query(text: str) -> Chem.Mol:
    """Parse a substructure query: SMARTS, or SMILES when it parses only as SMILES.

    Raises:
        InvalidStructureError: empty, too long or unparsable (``field="query"``, RDKit's reason).
    """
    source = checked_notation(text, "query", "The query")
    with capture_rdkit_log() as smarts_log:
        query = Chem.MolFromSmarts(source)
    if query is None:
        with capture_rdkit_log() as smiles_log:
            query = Chem.MolFromSmiles(source)
        if query is None:
            reason = rdkit_reason(smarts_log, rdkit_reason(smiles_log, "RDKit could not parse it"))
            raise InvalidStructureError(f"Invalid SMARTS or SMILES: {reason}", field="query")
    if query.GetNumAtoms() == 0:
        raise InvalidStructureError("The query has no atoms.", field="query")
    query = either_drawing(query)
    query.UpdatePropertyCache(strict=False)
    return query


# Groups that registration stores charge-separated (the ChEMBL structure pipeline's
# convention: DMSO as C[S+](C)[O-], nitro as [N+](=O)[O-]) while chemists draw them with
# S=O / N(=O)=O: the central atom's number and how many terminal oxygens it carries.
_SEPARATED_GROUPS = {16: 1, 7: 2}  # sulfoxide S(=O); nitro N(=O)=O
_EITHER_ORDER = "=,-"  # double or single


def _terminal_oxygens(atom: Any) -> list[Any]:
    return [n for n in atom.GetNeighbors() if n.GetAtomicNum() == 8 and n.GetDegree() == 1]


def either_drawing(query: Chem.Mol) -> Chem.Mol:
    """``query`` with its sulfoxide and nitro S=O / N=O bonds matching either drawing.

    The library holds these groups charge-separated (single S+–O− / N+–O− bonds), so a
    query drawn the textbook way (``CS(C)=O``) would find no DMSO. Each such double bond
    becomes "double or single" and its oxygen must have exactly one connection (total
    degree 1, hydrogens counted), which a doubly bonded oxygen has anyway: the query then
    matches both drawings and nothing new besides (not an S–OH or N–OH). Other double bonds
    (nitroso N=O, sulfone S(=O)=O, carbonyls) are left as drawn. Returns ``query`` itself
    when it has no such group.
    """
    relaxed: Chem.RWMol | None = None
    for bond in query.GetBonds():
        if bond.GetBondType() != Chem.BondType.DOUBLE:
            continue
        for centre, oxygen in (
            (bond.GetBeginAtom(), bond.GetEndAtom()),
            (bond.GetEndAtom(), bond.GetBeginAtom()),
        ):
            wanted = _SEPARATED_GROUPS.get(centre.GetAtomicNum())
            if (
                oxygen.GetAtomicNum() != 8
                or not oxygen.HasQuery()  # a SMILES-only query keeps its bonds as drawn
                or oxygen.GetDegree() != 1
                or wanted is None
                or len(_terminal_oxygens(centre)) != wanted
            ):
                continue
            if relaxed is None:
                relaxed = Chem.RWMol(query)
            relaxed.ReplaceBond(
                bond.GetIdx(), Chem.BondFromSmarts(_EITHER_ORDER), preserveProps=True
            )
            relaxed.GetAtomWithIdx(oxygen.GetIdx()).ExpandQuery(
                rdqueries.TotalDegreeEqualsQueryAtom(1)
            )
    return query if relaxed is None else relaxed.GetMol()
