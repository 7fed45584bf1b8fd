"""Standardisation throughput: our fast path against the full ChEMBL pipeline.

Input: RDKit's 5,000-molecule NCI sample, parsed once up front (parsing is not timed).

Ours: ``standardize(mol)`` — molecules the pipeline provably leaves unchanged skip it
(see ``cryoprotect.science.standardize``); every molecule gets canonical SMILES, InChI,
InChIKey, formula and masses.
Baselines (same run, same molecules):
  1. ``standardize(mol, fast_path=False)``: the full pipeline with the same identifiers
     (the like-for-like comparison);
  2. the bare pipeline, ``get_parent_mol(standardize_mol(mol))``, with no identifiers.

Prints molecules per second and milliseconds per molecule for each, the ratios, the
fraction on the fast path, and the agreement: on every molecule the fast path takes, its
canonical SMILES and InChIKey against the full pipeline's — for the SMILES-parsed
molecules and for the same molecules given as 2D molfiles (every 5th, coordinates kept
for the InChI as on registration).

Usage: python benchmarks/standardize_fastpath.py
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from chembl_structure_pipeline import standardizer
from rdkit import Chem, RDConfig
from rdkit.Chem import rdDepictor

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.molecules import capture_rdkit_log
from cryoprotect.science.standardize import parse_structure, standardize

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


def agreement(mols: list[Chem.Mol]) -> tuple[int, int]:
    """(molecules the fast path took, of which the full pipeline gave the same SMILES
    and InChIKey)."""
    taken = same = 0
    with capture_rdkit_log():
        for mol in mols:
            try:
                fast = standardize(mol)
                if not fast.fast_path:
                    continue
                taken += 1
                full = standardize(mol, fast_path=False)
            except InvalidStructureError:
                continue
            same += (fast.smiles, fast.inchikey) == (full.smiles, full.inchikey)
    return taken, same


def drawings(mols: list[Chem.Mol]) -> list[Chem.Mol]:
    """Every 5th molecule as a 2D molfile, parsed as registration parses it."""
    out = []
    with capture_rdkit_log():
        for mol in mols[::5]:
            drawn = Chem.Mol(mol)
            rdDepictor.Compute2DCoords(drawn)
            out.append(parse_structure(Chem.MolToMolBlock(drawn), "molblock"))
    return out


def main() -> None:
    mols = load()
    fast, same = agreement(mols)
    drawn = drawings(load())
    fast_mb, same_mb = agreement(drawn)
    # Fresh molecules for each contender: RDKit caches some computed properties on them.
    ours = rate(load(), standardize)
    full = rate(load(), lambda m: standardize(m, fast_path=False))
    bare = rate(load(), bare_pipeline)
    print(f"molecules: {len(mols)} (NCI first_5K, parsed up front)")
    print(f"fast path taken: {fast}/{len(mols)} = {fast / len(mols):.1%}")
    print(f"agreement, SMILES input : fast path = full pipeline on {same}/{fast}")
    print(f"agreement, 2D molfiles  : fast path = full pipeline on {same_mb}/{fast_mb}")
    for label, value in (
        ("ours     standardize() with fast path + identifiers", ours),
        ("baseline full ChEMBL pipeline + identifiers        ", full),
        ("baseline bare get_parent_mol(standardize_mol(m))   ", bare),
    ):
        print(f"{label} : {value:8.1f} mol/s = {1000 / value:6.2f} ms/mol")
    print(f"ratio ours / full pipeline + identifiers: {ours / full:.2f}x")
    print(f"ratio ours / bare pipeline             : {ours / bare:.2f}x")


if __name__ == "__main__":
    main()
