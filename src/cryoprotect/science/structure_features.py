"""Structure features of single molecules for structure–property models.

This module owns the RDKit side of the molecule featurizer
(:mod:`cryoprotect.ml.molecule_features`): the standardised structure, its documented
descriptors (:mod:`cryoprotect.science.descriptors`), its Morgan fingerprint as a bit
array, and its Bemis–Murcko scaffold (the cross-validation group of a molecule dataset).

* **Morgan fingerprint**: RDKit ``rdFingerprintGenerator.GetMorganGenerator`` (Rogers D,
  Hahn M, J. Chem. Inf. Model. 50:742–754 (2010), the ECFP algorithm), radius 2, folded to
  :data:`MORGAN_BITS` bits, as 0/1 values.
* **Bemis–Murcko scaffold** (Bemis GW, Murcko MA, J. Med. Chem. 39:2887–2893 (1996)): the
  ring systems and the linkers between them, side chains removed (RDKit
  ``MurckoScaffold.MurckoScaffoldSmiles``, canonical SMILES). A molecule without a ring
  has no scaffold; all such molecules share the label :data:`ACYCLIC` — the convention of
  the scaffold splits in chemprop and DeepChem, and the strict one (a model is then judged
  on acyclic molecules without having seen any when they are held out together).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from rdkit.Chem.Scaffolds import MurckoScaffold

from cryoprotect.science.descriptors import DESCRIPTORS, compute_descriptors
from cryoprotect.science.standardize import register_structure

MORGAN_RADIUS = 2
MORGAN_BITS = 1024
ACYCLIC = "acyclic"
"""Scaffold label of molecules without a ring."""
DESCRIPTOR_KEYS: tuple[str, ...] = tuple(spec.name for spec in DESCRIPTORS)
"""The documented descriptor set, in order."""


@dataclass(frozen=True)
class MoleculeFeatures:
    """Features of one standardised molecule.

    Attributes:
        smiles: canonical SMILES of the standardised parent (ChEMBL pipeline).
        descriptors: values of :data:`DESCRIPTOR_KEYS`, in order (units in
            :mod:`cryoprotect.science.descriptors`).
        bits: Morgan fingerprint, (``n_bits``,) of 0/1.
        scaffold: canonical SMILES of the Bemis–Murcko scaffold, or :data:`ACYCLIC`.
    """

    smiles: str
    descriptors: tuple[float, ...]
    bits: NDArray[np.uint8]
    scaffold: str


@lru_cache(maxsize=8)
def _generator(radius: int, n_bits: int) -> rdFingerprintGenerator.FingerprintGenerator64:
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def morgan_bits(
    mol: Chem.Mol, *, radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS
) -> NDArray[np.uint8]:
    """Morgan fingerprint of ``mol`` as a 0/1 array of ``n_bits``."""
    fp = _generator(radius, n_bits).GetFingerprint(mol)
    out = np.zeros(n_bits, dtype=np.uint8)
    DataStructs.ConvertToNumpyArray(fp, out)
    return out


def murcko_scaffold(mol: Chem.Mol) -> str:
    """Canonical SMILES of the Bemis–Murcko scaffold (:data:`ACYCLIC` without a ring)."""
    scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)  # type: ignore[no-untyped-call]
    return scaffold if scaffold else ACYCLIC


@lru_cache(maxsize=65536)
def molecule_features(
    smiles: str, *, radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS
) -> MoleculeFeatures:
    """Standardise a structure and compute its descriptors, fingerprint and scaffold.

    Args:
        smiles: a structure (SMILES, or any text :func:`register_structure` reads).
        radius: Morgan radius.
        n_bits: fingerprint length.

    Raises:
        InvalidStructureError: the text cannot be parsed or standardised (RDKit's reason).
    """
    record = register_structure(smiles)
    mol = record.mol
    values = compute_descriptors(mol)
    bits = morgan_bits(mol, radius=radius, n_bits=n_bits)
    bits.setflags(write=False)
    return MoleculeFeatures(
        smiles=record.smiles,
        descriptors=tuple(float(values[k]) for k in DESCRIPTOR_KEYS),
        bits=bits,
        scaffold=murcko_scaffold(mol),
    )


__all__ = [
    "ACYCLIC",
    "DESCRIPTOR_KEYS",
    "MORGAN_BITS",
    "MORGAN_RADIUS",
    "MoleculeFeatures",
    "molecule_features",
    "morgan_bits",
    "murcko_scaffold",
]
