"""Standardisation throughput: our fast path against the full ChEMBL pipeline.

Input: RDKit's 5,000-molecule NCI sample, parsed once up front (parsing is not timed).

Ours: ``standardize(mol)`` — molecules the pipeline provably leaves unchanged skip it
(see ``cryoprotect.science.standardize``); every molecule gets canonical SMILES, InChI,
InChIKey, formula and masses.
Baselines (same run, same molecules):
  1. ``standardize(mol, fast_path=False)``: the full pipeline with the same identifiers
     (the like-for-like comparison);
  2. the bare pipeline, ``get_parent_mol(standardize_mol(mol))``, with no identifiers.

Prints molecules per second for each, the ratios, and the fraction on the fast path.

Usage: python benchmarks/standardize_fastpath.py
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from chembl_structure_pipeline import standardizer
from rdkit import Chem, RDConfig

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.molecules import capture_rdkit_log
from cryoprotect.science.standardize import standardize

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def load() -> list[Chem.Mol]:
    mols = []
    with capture_rdkit_log():
        for line in NCI.read_text().splitlines():
            mol = Chem.MolFromSmiles(line.split()[0]) if line.strip() else None
            if mol is not None:
                mols.append(mol)
    return mols


def rate(mols: list[Chem.Mol], work: Callable[[Chem.Mol], object]) -> float:
    with capture_rdkit_log():
        start = time.perf_counter()
        for mol in mols:
            # A failure (1 molecule of the NCI sample) counts in the rate like any other.
            with contextlib.suppress(InvalidStructureError):
                work(mol)
        return len(mols) / (time.perf_counter() - start)


def bare_pipeline(mol: Chem.Mol) -> object:
    return standardizer.get_parent_mol(standardizer.standardize_mol(Chem.Mol(mol)))


def main() -> None:
    mols = load()
    fast = 0
    with capture_rdkit_log():
        for mol in mols:
            with contextlib.suppress(InvalidStructureError):
                fast += standardize(mol).fast_path
    # Fresh molecules for each contender: RDKit caches some computed properties on them.
    ours = rate(load(), standardize)
    full = rate(load(), lambda m: standardize(m, fast_path=False))
    bare = rate(load(), bare_pipeline)
    print(f"molecules: {len(mols)} (NCI first_5K, parsed up front)")
    print(f"fast path taken: {fast}/{len(mols)} = {fast / len(mols):.1%}")
    print(f"ours     standardize() with fast path + identifiers : {ours:8.1f} mol/s")
    print(f"baseline full ChEMBL pipeline + identifiers         : {full:8.1f} mol/s")
    print(f"baseline bare get_parent_mol(standardize_mol(m))    : {bare:8.1f} mol/s")
    print(f"ratio ours / full pipeline + identifiers: {ours / full:.2f}x")
    print(f"ratio ours / bare pipeline             : {ours / bare:.2f}x")


if __name__ == "__main__":
    main()
