"""Validate the CPA-likeness score: known CPAs against the NCI sample as decoys.

Known CPAs: permeating and non-permeating cryoprotectants from the cryobiology literature,
written with their natural stereochemistry (InChIKeys checked against PubChem). Decoys: every
molecule of RDKit's 5,000-molecule NCI sample, standardised the same way, minus any
known CPA (by InChIKey). The decoys are not confirmed non-CPAs, only molecules not selected
for being CPAs, so the AUC measures enrichment, not accuracy.

Prints the ROC AUC (rank-based: the Mann–Whitney probability that a known CPA outscores a
decoy, ties counting one half) and each CPA's score, its rank among the decoys and its
percentile (fraction of decoys it outscores). The score's parameters were set from the
literature before this script was run, not fitted to it.

Usage: python benchmarks/cpa_score_validation.py
"""

from __future__ import annotations

import time
from pathlib import Path

from rdkit import Chem, RDConfig

from cryoprotect.errors import InvalidStructureError
from cryoprotect.science.cpa_score import METHOD, cpa_score
from cryoprotect.science.descriptors import compute_descriptors
from cryoprotect.science.molecules import capture_rdkit_log
from cryoprotect.science.standardize import register_structure, standardize

NCI = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"

# name, SMILES, class (permeating / non-permeating, as usually classified).
KNOWN_CPAS: tuple[tuple[str, str, str], ...] = (
    ("DMSO", "CS(C)=O", "permeating"),
    ("glycerol", "OCC(O)CO", "permeating"),
    ("ethylene glycol", "OCCO", "permeating"),
    ("propylene glycol", "CC(O)CO", "permeating"),  # used as the racemate
    ("1,3-propanediol", "OCCCO", "permeating"),
    ("2,3-butanediol", "CC(O)C(C)O", "permeating"),  # used as an isomer mixture
    ("methanol", "CO", "permeating"),
    ("ethanol", "CCO", "permeating"),
    ("formamide", "NC=O", "permeating"),
    ("acetamide", "CC(N)=O", "permeating"),
    ("N-methylformamide", "CNC=O", "permeating"),
    ("N,N-dimethylacetamide", "CC(=O)N(C)C", "permeating"),
    ("urea", "NC(N)=O", "permeating"),
    (
        "trehalose",
        "OC[C@H]1O[C@H](O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@H](O)[C@@H](O)[C@@H]1O",
        "non-permeating",
    ),
    (
        "sucrose",
        "OC[C@H]1O[C@@](CO)(O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@@H](O)[C@@H]1O",
        "non-permeating",
    ),
    (
        "raffinose",
        "OC[C@H]1O[C@H](OC[C@H]2O[C@H](O[C@]3(CO)O[C@H](CO)[C@@H](O)[C@@H]3O)"
        "[C@H](O)[C@@H](O)[C@@H]2O)[C@H](O)[C@@H](O)[C@H]1O",
        "non-permeating",
    ),
    ("D-glucose", "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O", "non-permeating"),
    ("D-mannitol", "OC[C@@H](O)[C@@H](O)[C@H](O)[C@H](O)CO", "non-permeating"),
    ("D-sorbitol", "OC[C@H](O)[C@@H](O)[C@H](O)[C@H](O)CO", "non-permeating"),
    ("L-proline", "OC(=O)[C@@H]1CCCN1", "non-permeating"),
    ("betaine", "C[N+](C)(C)CC(=O)[O-]", "non-permeating"),
    ("ectoine", "CC1=NCC[C@H](N1)C(=O)O", "non-permeating"),
    ("hydroxyectoine", "CC1=NC[C@H](O)[C@H](N1)C(=O)O", "non-permeating"),
    ("glycine", "NCC(=O)O", "non-permeating"),
    ("taurine", "NCCS(=O)(=O)O", "non-permeating"),
    ("creatine", "CN(CC(=O)O)C(=N)N", "non-permeating"),
)


def rank_auc(positives: list[float], negatives: list[float]) -> float:
    """ROC AUC by ranks: P(positive > negative) + 0.5 P(tie) (Mann–Whitney U / n_p n_n)."""
    pooled = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j < len(pooled) and pooled[j][0] == pooled[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks i+1 .. j share their mean
        rank_sum += average_rank * sum(label for _, label in pooled[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    u = rank_sum - n_pos * (n_pos + 1) / 2
    return u / (n_pos * n_neg)


def main() -> None:
    start = time.perf_counter()
    known = []
    for name, smiles, kind in KNOWN_CPAS:
        std = register_structure(smiles, "smiles")
        known.append((name, kind, std.inchikey, cpa_score(compute_descriptors(std.mol)).score))
    known_keys = {key for _, _, key, _ in known}

    decoys: list[float] = []
    skipped = excluded = 0
    with capture_rdkit_log():
        for line in NCI.read_text().splitlines():
            mol = Chem.MolFromSmiles(line.split()[0]) if line.strip() else None
            if mol is None:
                skipped += 1
                continue
            try:
                std = standardize(mol)
            except InvalidStructureError:
                skipped += 1
                continue
            if std.inchikey in known_keys:
                excluded += 1
                continue
            decoys.append(cpa_score(compute_descriptors(std.mol)).score)

    scores = [score for *_, score in known]
    auc = rank_auc(scores, decoys)
    print(f"score method: {METHOD}")
    print(
        f"known CPAs: {len(known)}; decoys (NCI first_5K): {len(decoys)} "
        f"(unparsable or unstandardisable skipped: {skipped}; known CPAs removed: {excluded})"
    )
    print(f"ROC AUC (rank-based, known CPAs vs NCI decoys): {auc:.4f}")
    for kind in ("permeating", "non-permeating"):
        subset = [score for _, k, _, score in known if k == kind]
        print(f"  {kind:15s} n={len(subset):2d}  AUC {rank_auc(subset, decoys):.4f}")
    print()
    print(f"{'CPA':24s} {'class':15s} {'score':>6s} {'rank':>6s} {'percentile':>10s}")
    for name, kind, _, score in sorted(known, key=lambda row: -row[3]):
        above = sum(1 for d in decoys if d > score)
        ties = sum(1 for d in decoys if d == score)
        percentile = 100.0 * (len(decoys) - above - ties + 0.5 * ties) / len(decoys)
        rank = above + 1
        print(f"{name:24s} {kind:15s} {score:6.3f} {rank:6d} {percentile:9.2f}%")
    print(
        f"\n(rank = 1 + decoys scoring higher, out of {len(decoys)}; {time.perf_counter() - start:.1f} s)"
    )


if __name__ == "__main__":
    main()
