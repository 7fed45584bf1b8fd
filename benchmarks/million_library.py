"""A deterministic library of up to millions of DISTINCT, valid, drug/CPA-like molecules.

No download: each molecule is assembled as SMILES from a core (benzene, pyridine, cyclohexane,
tetrahydropyran sugar-like rings, piperidine, morpholine, thiophene, polyol and glycol-ether
chains, amide and ester links) with up to four substituent positions, each filled by a
fragment (hydrogen, alkyl, alcohols and polyols, ethers, amines, amides, esters, acids,
halogens, sulfonyl, nitrile, small rings). Choices are drawn from ``random.Random(seed)``, each
candidate is parsed and canonicalised by RDKit (so every SMILES is valid) and kept only if its
canonical SMILES has not been seen before, so the stream is distinct and the same for the
same seed. The fragments avoid tautomer-ambiguous groups (no NH in aromatic rings, no
hydroxy-pyridines, no enols), charges, isotopes and stereo, so distinct canonical SMILES are
distinct standard InChIKeys and registration's ChEMBL parent is the molecule itself
(``--check-inchikeys N`` verifies this on the first N).

    from million_library import generate
    for smiles in generate(1_000_000, seed=17): ...

CLI: ``python benchmarks/million_library.py 1000000 --smi out.smi`` (SMILES + name per line),
``--parquet DIR`` (the SMILES screened by ``cryoprotect screen --engine dask`` into the
screen's Parquet format with registration columns, as ``cryoprotect import`` reads it).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from rdkit import Chem, RDLogger

# Cores: "{k}" follows an atom and becomes "(substituent)" or "" (hydrogen). Ring-closure
# digits 1-2 belong to cores; substituents use %91 (closed inside their own branch).
CORES = (
    "c1c{0}c{1}c{2}c{3}c1",  # benzene
    "c1c{0}nc{1}c{2}c1{3}",  # pyridine (no OH ortho/para to N: see _NO_OH_ON)
    "C1C{0}CC{1}C{2}C1{3}",  # cyclohexane
    "OC1C{0}OC{1}C{2}C1{3}",  # tetrahydropyran (sugar-like)
    "C1CN{0}CC{1}C1{2}",  # piperidine
    "C1COCC{0}N1{1}",  # morpholine
    "c1c{0}sc{1}c1{2}",  # thiophene
    "C{0}C{1}(O)C{2}",  # glycerol-like
    "OCC(O)C(O)C{0}C{1}O",  # polyol chain
    "C{0}OCCOC{1}",  # glycol ether
    "C{0}C(=O)NC{1}C{2}",  # amide link
    "C{0}C(=O)OC{1}C{2}",  # ester link
    "C1CC{0}C{1}C1{2}",  # cyclopentane
    "C{0}N{1}C{2}C{3}O",  # amino alcohol
    "c1cc{0}c(C%92CC%92)c{1}c1{2}",  # cyclopropylbenzene
    "O=C1CCC{0}N1{1}",  # pyrrolidone (N-substituted, no enol)
)
# Where a hydroxyl would make a hydroxypyridine (pyridone tautomer): core index -> positions.
_NO_OH_ON = {1: (0, 1, 3)}
SUBSTITUENTS = (
    "C",
    "CC",
    "C(C)C",
    "CCCC",
    "O",
    "OC",
    "OCC",
    "CO",
    "CCO",
    "C(O)CO",
    "C(O)C(O)CO",
    "OCCO",
    "OCCOC",
    "OCC(O)CO",
    "N",
    "NC",
    "N(C)C",
    "C(=O)N",
    "C(=O)NC",
    "NC(C)=O",
    "C(=O)OC",
    "OC(C)=O",
    "C(=O)O",
    "C#N",
    "F",
    "Cl",
    "C(F)(F)F",
    "S(C)(=O)=O",
    "S(N)(=O)=O",
    "C%91CC%91",
    "C%91CCOC%91",
    "c%91ccccc%91",
    "OC%91CCCC%91",
    "C%91CCNCC%91",
    "N%91CCOCC%91",
    "CS(C)=O",
    "OC(F)F",
    "CC(N)=O",
)
HYDROGEN = 0.3
"""Probability that a position is left as hydrogen (keeps molecules small, CPA-like)."""
MAX_HEAVY_ATOMS = 32


def _candidate(rng: random.Random) -> str:
    core_index = rng.randrange(len(CORES))
    core = CORES[core_index]
    slots = core.count("{")
    banned = _NO_OH_ON.get(core_index, ())
    parts = []
    for slot in range(slots):
        if rng.random() < HYDROGEN:
            parts.append("")
            continue
        sub = SUBSTITUENTS[rng.randrange(len(SUBSTITUENTS))]
        if slot in banned and sub == "O":
            sub = "OC"
        parts.append(f"({sub})")
    return core.format(*parts)


def generate(n: int, seed: int = 17) -> Iterator[str]:
    """Yield ``n`` distinct canonical SMILES, the same sequence for the same ``seed``.

    Raises:
        ValueError: ``n`` is negative.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    rng = random.Random(seed)  # noqa: S311 - reproducible choices, not secrets
    seen: set[str] = set()
    while len(seen) < n:
        mol = Chem.MolFromSmiles(_candidate(rng))
        if mol is None or mol.GetNumHeavyAtoms() > MAX_HEAVY_ATOMS:
            continue
        smiles = Chem.MolToSmiles(mol)
        if smiles in seen:
            continue
        seen.add(smiles)
        yield smiles


def write_smiles(path: Path, n: int, seed: int = 17) -> int:
    """Write ``n`` molecules to ``path`` as ``SMILES name`` lines; return the count."""
    count = 0
    with path.open("w") as out:
        for count, smiles in enumerate(generate(n, seed), start=1):
            out.write(f"{smiles} lib-{count}\n")
    return count


def check_inchikeys(smiles: list[str]) -> int:
    """Number of distinct standard InChIKeys among ``smiles`` (should equal len(smiles))."""
    return len({Chem.MolToInchiKey(Chem.MolFromSmiles(s)) for s in smiles})  # type: ignore[no-untyped-call]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of distinct molecules")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--smi", type=Path, help="write SMILES here (SMILES name per line)")
    parser.add_argument("--parquet", type=Path, help="screen into this Parquet directory")
    parser.add_argument("--processes", type=int, default=2, help="screen worker processes")
    parser.add_argument("--check-inchikeys", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.parquet is None and args.smi is None:
        for smiles in generate(args.n, args.seed):
            sys.stdout.write(smiles + "\n")
        return
    smi = args.smi or Path(tempfile.mkdtemp(prefix="cpml-", dir="/tmp")) / "library.smi"
    count = write_smiles(smi, args.n, args.seed)
    print(f"{count} distinct molecules -> {smi} in {time.perf_counter() - started:.1f} s")
    if args.check_inchikeys:
        first = [
            ln.split()[0] for ln, _ in zip(smi.open(), range(args.check_inchikeys), strict=False)
        ]
        print(f"distinct InChIKeys among the first {len(first)}: {check_inchikeys(first)}")
    if args.parquet is not None:
        from cryoprotect.services.screening_dask import screen_files_dask

        started = time.perf_counter()
        summary = screen_files_dask([smi], parquet_dir=args.parquet, processes=args.processes)
        print(
            f"screened {summary.total} ({summary.failed} failed) -> {args.parquet} in "
            f"{time.perf_counter() - started:.1f} s"
        )


if __name__ == "__main__":
    main()
