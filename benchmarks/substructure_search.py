"""Substructure search over 100,000 molecules: SubstructureIndex vs a HasSubstructMatch loop.

Baseline: ``mol.HasSubstructMatch(query)`` over pre-parsed (sanitised) molecules, in
library order: the time to the first 100 hits, and the full count. Ours:
``SubstructureIndex.search(query, max_hits=100)`` (RDKit SubstructLibrary, trusted SMILES
+ pattern-fingerprint screen, chunked) and ``SubstructureIndex.count(query)``. The first
page must equal the baseline's first 100 matches in order, and the full hit set must
equal the baseline's.

The library is NCI variants, as in ``similarity_search.py`` (cached under /tmp).

Run: ``.venv/bin/python benchmarks/substructure_search.py [--n 100000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import rdkit
from rdkit import Chem

sys.path.insert(0, str(Path(__file__).resolve().parent))
from similarity_search import cached_smiles, make_ids, mib, rss  # noqa: E402

from cryoprotect.science.substructure import parse_query  # noqa: E402
from cryoprotect.search import SubstructureIndex  # noqa: E402

QUERIES = (
    "[OX2H][CX4]",
    "c1ccccc1",
    "[NX3][CX3]=O",
    "S(=O)(=O)N",
    "[#9]",
    "C#N",
    "[Br]",
    "[nH]",
    "[CX3](=O)[OX2H1]",
    "[Si]",
)
PAGE = 100


def first_hits(mols: list[Chem.Mol], ids: list[str], query: Chem.Mol, limit: int) -> list[str]:
    hits = []
    for key, mol in zip(ids, mols, strict=True):
        if mol.HasSubstructMatch(query):
            hits.append(key)
            if len(hits) == limit:
                break
    return hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each page query")
    args = parser.parse_args(argv)
    n = args.n
    print(f"substructure search benchmark: n={n:,}, page={PAGE}, {len(QUERIES)} SMARTS queries")
    print(f"rdkit {rdkit.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs")

    start = time.perf_counter()
    smiles = cached_smiles(n)
    ids = make_ids(n)
    print(f"SMILES ready in {time.perf_counter() - start:.1f} s")

    before = rss()
    start = time.perf_counter()
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    print(
        f"baseline: parsed {n:,} molecules in {time.perf_counter() - start:.1f} s; "
        f"RSS +{mib(rss() - before)}"
    )

    before = rss()
    start = time.perf_counter()
    index = SubstructureIndex()
    index.add(ids, smiles)
    print(
        f"ours: SubstructureIndex built in {time.perf_counter() - start:.1f} s; "
        f"RSS +{mib(rss() - before)}; memory_bytes() {mib(index.memory_bytes())} "
        f"({index.memory_bytes() / n:.0f} B/compound)"
    )

    header = (
        f"{'query':<20}{'hits':>7} | {'base 1st page':>13}{'ours page med':>14}"
        f"{'ours worst':>11}{'ratio':>7} | {'base count':>11}{'ours count':>11}"
        f"{'ratio':>7} | same"
    )
    print(header)
    print("-" * len(header))
    page_medians, page_all, base_pages, base_counts, our_counts = [], [], [], [], []
    all_same = True
    for text in QUERIES:
        query = parse_query(text)
        start = time.perf_counter()
        expected_page = first_hits(mols, ids, query, PAGE)
        base_page = time.perf_counter() - start
        start = time.perf_counter()
        expected_all = first_hits(mols, ids, query, n + 1)
        base_count = time.perf_counter() - start

        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            page = index.search(query, max_hits=PAGE)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        count = index.count(query)
        our_count = time.perf_counter() - start
        every = index.search(query, max_hits=n + 1)

        same = page == expected_page and count == len(expected_all) and every == expected_all
        all_same &= same
        median = statistics.median(times)
        page_medians.append(median)
        page_all.extend(times)
        base_pages.append(base_page)
        base_counts.append(base_count)
        our_counts.append(our_count)
        print(
            f"{text:<20}{count:>7} | {base_page * 1e3:>10.2f} ms{median * 1e3:>11.2f} ms"
            f"{max(times) * 1e3:>8.2f} ms{base_page / median:>6.0f}x | "
            f"{base_count * 1e3:>8.0f} ms{our_count * 1e3:>8.0f} ms"
            f"{base_count / our_count:>6.1f}x | {'yes' if same else 'NO'}"
        )
    print("-" * len(header))
    print(
        f"first page ({PAGE} hits): ours median {statistics.median(page_all) * 1e3:.2f} ms, "
        f"worst {max(page_all) * 1e3:.2f} ms over {len(page_all)} runs "
        f"(targets: median <= 10 ms, worst <= 100 ms); baseline median "
        f"{statistics.median(base_pages) * 1e3:.2f} ms, worst {max(base_pages) * 1e3:.2f} ms; "
        f"ratio of medians {statistics.median(base_pages) / statistics.median(page_all):.1f}x"
    )
    print(
        f"full count: ours median {statistics.median(our_counts) * 1e3:.0f} ms, worst "
        f"{max(our_counts) * 1e3:.0f} ms; baseline median "
        f"{statistics.median(base_counts) * 1e3:.0f} ms, worst {max(base_counts) * 1e3:.0f} ms; "
        f"ratio of medians {statistics.median(base_counts) / statistics.median(our_counts):.1f}x"
    )
    print(
        f"hits identical to HasSubstructMatch (first page in order, count, full set): "
        f"{'yes' if all_same else 'NO'}"
    )
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
