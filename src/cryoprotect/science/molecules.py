"""Chemical structure parsing and identifiers (RDKit lives here and nowhere else).

Pure functions over strings: they never touch the database or the web layer. Parsing
failures raise :class:`~cryoprotect.errors.InvalidStructureError` carrying RDKit's own
reason (for example ``Explicit valence for atom # 1 N, 4, is greater than permitted``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rdkit import Chem, rdBase
from rdkit.Chem import Descriptors, rdMolDescriptors

from cryoprotect.errors import InvalidStructureError

MAX_SMILES_LENGTH = 2000


@dataclass(frozen=True)
class StructureRecord:
    """Identifiers and basic properties of one parsed structure.

    Attributes:
        smiles: RDKit canonical isomeric SMILES.
        inchi: standard InChI.
        inchikey: standard InChIKey (27 characters).
        formula: Hill-order molecular formula.
        molecular_weight: average molar mass in g/mol.
    """

    smiles: str
    inchi: str
    inchikey: str
    formula: str
    molecular_weight: float


class _Collector(logging.Handler):
    """Keeps the RDKit messages logged by the thread that created it (requests run in threads)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []
        self._thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self.messages.append(record.getMessage())


_RDKIT_LOGGER = logging.getLogger("rdkit")
rdBase.LogToPythonLogger()
# RDKit installs its own stderr handler; its messages become user-facing errors instead.
for _handler in list(_RDKIT_LOGGER.handlers):
    _RDKIT_LOGGER.removeHandler(_handler)
_RDKIT_LOGGER.addHandler(logging.NullHandler())


@contextmanager
def capture_rdkit_log() -> Iterator[list[str]]:
    """Collect RDKit's log messages raised inside the block (instead of printing them)."""
    collector = _Collector()
    previous = _RDKIT_LOGGER.propagate
    _RDKIT_LOGGER.addHandler(collector)
    _RDKIT_LOGGER.propagate = False
    try:
        yield collector.messages
    finally:
        _RDKIT_LOGGER.removeHandler(collector)
        _RDKIT_LOGGER.propagate = previous


_NOISE = ("check for mistakes", "Failed parsing SMILES")


def rdkit_reason(messages: list[str], fallback: str) -> str:
    """The first informative RDKit log message (timestamp stripped), else ``fallback``.

    Args:
        messages: messages collected by :func:`capture_rdkit_log`.
        fallback: text to use when RDKit said nothing useful.

    Returns:
        A one-line reason suitable for a user-facing error message.
    """
    for message in messages:
        text = re.sub(r"^\[\d{2}:\d{2}:\d{2}\]\s*", "", message.strip())
        if text and not any(noise in text for noise in _NOISE) and not set(text) <= {"^", "~", " "}:
            return text
    return fallback


_reason = rdkit_reason  # the name used before the function became public


def require_ascii(text: str, field: str) -> None:
    """Chemical line notations and MOL blocks are ASCII; say where they are not.

    Checked before RDKit sees the text: RDKit's log bridge cannot relay a message holding a
    multi-byte character it has cut in half.

    Raises:
        InvalidStructureError: naming the first non-ASCII character and its position.
    """
    if not text.isascii():
        position, char = next((i, c) for i, c in enumerate(text) if not c.isascii())
        raise InvalidStructureError(
            f"Structures are ASCII text; found {char!r} at position {position + 1}.", field=field
        )


def checked_notation(text: str | None, field: str, label: str) -> str:
    """A line notation (SMILES, SMARTS) as given, stripped, before RDKit sees it.

    Args:
        text: the text as given (``None`` counts as empty).
        field: the input field named in errors.
        label: how messages name it (``"SMILES"``, ``"The query"``).

    Raises:
        InvalidStructureError: empty, not ASCII, or longer than :data:`MAX_SMILES_LENGTH`.
    """
    source = (text or "").strip()
    if not source:
        raise InvalidStructureError(f"{label} is empty.", field=field)
    require_ascii(source, field)
    if len(source) > MAX_SMILES_LENGTH:
        raise InvalidStructureError(
            f"{label} is longer than {MAX_SMILES_LENGTH} characters.", field=field
        )
    return source


def to_mol(smiles: str) -> Chem.Mol:
    """Parse and sanitise a SMILES string.

    Args:
        smiles: the SMILES to parse.

    Returns:
        A sanitised RDKit molecule.

    Raises:
        InvalidStructureError: empty, too long, or rejected by RDKit (with RDKit's reason).
    """
    text = checked_notation(smiles, "smiles", "SMILES")
    with capture_rdkit_log() as log:
        mol = Chem.MolFromSmiles(text)
    if mol is None or mol.GetNumAtoms() == 0:
        raise InvalidStructureError(
            f"Invalid SMILES: {_reason(log, 'RDKit could not parse it')}",
            field="smiles",
        )
    return mol


def molecular_weight(mol: Chem.Mol) -> float:
    """Average molecular weight in g/mol (RDKit ``Descriptors.MolWt``, IUPAC atomic weights).

    RDKit's type stubs omit ``MolWt`` (it is a lambda over ``rdMolDescriptors._CalcMolWt``):
    this is the one typed door to it.
    """
    return float(Descriptors.MolWt(mol))  # type: ignore[attr-defined]


def describe(mol: Chem.Mol) -> StructureRecord:
    """Identifiers and formula of a parsed molecule."""
    with capture_rdkit_log() as log:
        inchi = Chem.MolToInchi(mol)
        inchikey = Chem.InchiToInchiKey(inchi) if inchi else ""
    if not inchi or not inchikey:
        raise InvalidStructureError(
            f"Could not compute an InChI: {_reason(log, 'InChI generation failed')}",
            field="smiles",
        )
    return StructureRecord(
        smiles=Chem.MolToSmiles(mol),
        inchi=inchi,
        inchikey=inchikey,
        formula=rdMolDescriptors.CalcMolFormula(mol),
        molecular_weight=round(molecular_weight(mol), 4),
    )


def parse_smiles(smiles: str) -> StructureRecord:
    """Parse a SMILES string into its canonical identifiers (see :func:`to_mol`)."""
    return describe(to_mol(smiles))
