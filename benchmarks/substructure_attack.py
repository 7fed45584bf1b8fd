"""Hostile substructure patterns (issue 12, finding 3): raw RDKit matching vs our guarded path.

Library: ``--n`` NCI variants (as in ``substructure_search.py``, cached under /tmp) plus
``--seeded`` molecules an attacker can register (a polycyclic lattice of 128 sp3 carbons,
16 x 8 hexagons, with O and F at opposite corners). Searches match every structure in the
index before the visibility filter, so seeded private rows slow everyone's search.

Patterns:

* ``recursive N``: the issue's attack, ``[$(*~*~...~*~[U])]`` with N atoms. Refused by the
  cost analysis before any matching (recursive SMARTS for anonymous callers; > 12 atoms in
  a recursive pattern for signed-in ones).
* ``carbon chain N``: ``C~C~...~C~O~F`` with N carbons. Allowed even for anonymous callers
  (named elements, <= 25 atoms), yet exhaustive on the seeded lattices: matched under the
  deadline (``CRYOPROTECT_SEARCH_DEADLINE_MS``, 2 s), checked inside RDKit's matcher.

Baseline ("before"): ``HasSubstructMatch`` over the pre-parsed library in order, as the
search did before finding 3 (it had no deadline), for the first ``--page`` hits. A baseline
run stops once it has used ``--cap`` seconds (checked between molecules; it cannot stop
inside one) and is then reported as ">=".

Ours: what ``MoleculeService.substructure`` does after parsing, without the database:
``check_query`` with the anonymous limits, then ``SubstructureIndex.find`` with the default
``SearchBudget`` deadline and ``guarded = isolated = not cost.small`` (a pattern that is not
small is matched in a forked child at idle CPU priority, killed at the deadline; the effect
of that on other requests is measured by ``load.py``'s ``attack-chain`` phase). The
scan-slot limit (at most ``CRYOPROTECT_SEARCH_CONCURRENCY`` such scans per process) is not
exercised here.

Run: ``.venv/bin/python benchmarks/substructure_attack.py [--n 20000] [--seeded 4]``
It stops by itself (about two minutes with the defaults, plus building the data set once).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
import uuid
from pathlib import Path

import rdkit
from rdkit import Chem

sys.path.insert(0, str(Path(__file__).resolve().parent))
from similarity_search import cached_smiles, make_ids  # noqa: E402

from cryoprotect.errors import QueryTooComplexError  # noqa: E402
from cryoprotect.science.substructure import parse_query  # noqa: E402
from cryoprotect.services.actor import Actor  # noqa: E402
from cryoprotect.services.molecules import MoleculeService, SearchBudget  # noqa: E402

ANONYMOUS = Actor(user_id=None)
SIGNED_IN = Actor(user_id=uuid.UUID(int=1))


def seeded_lattice(width: int = 16, height: int = 8) -> str:
    """Canonical SMILES of a hexagonal lattice of sp3 carbons with O and F at two corners."""
    mol = Chem.RWMol()
    index = {}
    for y, x in itertools.product(range(height), range(width)):
        index[x, y] = mol.AddAtom(Chem.Atom(6))
    for y, x in itertools.product(range(height), range(width)):
        if x + 1 < width:
            mol.AddBond(index[x, y], index[x + 1, y], Chem.BondType.SINGLE)
        if y + 1 < height and (x + y) % 2 == 0:
            mol.AddBond(index[x, y], index[x, y + 1], Chem.BondType.SINGLE)
    oxygen = mol.AddAtom(Chem.Atom(8))
    mol.AddBond(index[0, 0], oxygen, Chem.BondType.SINGLE)
    fluorine = mol.AddAtom(Chem.Atom(9))
    mol.AddBond(index[width - 1, height - 1], fluorine, Chem.BondType.SINGLE)
    out = mol.GetMol()
    Chem.SanitizeMol(out)
    return Chem.MolToSmiles(out)


def baseline(mols: list[Chem.Mol], query: Chem.Mol, page: int, cap_s: float) -> tuple[float, bool]:
    """Seconds of the old loop for the first ``page`` hits, and whether the cap stopped it."""
    start = time.perf_counter()
    hits = 0
    for mol in mols:
        if mol.HasSubstructMatch(query):
            hits += 1
            if hits == page:
                break
        if time.perf_counter() - start > cap_s:
            return time.perf_counter() - start, True
    return time.perf_counter() - start, False


def guarded(service: MoleculeService, actor: Actor, text: str, page: int) -> tuple[float, str, int]:
    """Seconds, outcome and hits of our path for ``actor``."""
    start = time.perf_counter()
    try:
        pattern, cost = service.check_query(actor, text)
    except QueryTooComplexError as exc:
        return time.perf_counter() - start, f"refused ({exc.details['rule']})", 0
    hits = service.index.substructure.find(
        pattern,
        max_hits=page,
        deadline=time.monotonic() + service.budget.deadline_s,
        guarded=not cost.small,
        isolated=not cost.small,
    )
    outcome = f"{'truncated' if hits.truncated else 'complete'} ({hits.checked:,} checked)"
    return time.perf_counter() - start, outcome, len(hits.ids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="NCI variants in the library")
    parser.add_argument("--seeded", type=int, default=4, help="attacker lattices in it")
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--cap", type=float, default=60.0, help="baseline time cap, s")
    args = parser.parse_args(argv)
    print(
        f"substructure attack benchmark: {args.n:,} NCI variants + {args.seeded} seeded "
        f"lattices; rdkit {rdkit.__version__}, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    smiles = cached_smiles(args.n)
    lattice = seeded_lattice()
    # Spread the seeded molecules through the library, as registrations over time would be.
    step = max(1, len(smiles) // (args.seeded + 1))
    for k in range(args.seeded):
        smiles.insert((k + 1) * step + k, lattice)
    ids = make_ids(len(smiles))
    mols = [Chem.MolFromSmiles(s) for s in smiles]

    service = MoleculeService(db=None)  # type: ignore[arg-type]  # no database needed here
    service.index.substructure.add(ids, smiles)
    budget = SearchBudget()
    print(
        f"ours: anonymous limits, deadline {budget.deadline_s:g} s "
        f"(CRYOPROTECT_SEARCH_DEADLINE_MS); patterns that are not small are matched in an "
        "idle-priority child process"
    )

    patterns = [
        ("recursive 18", "[$(" + "~".join(["*"] * 17) + "~[U])]"),
        ("recursive 20", "[$(" + "~".join(["*"] * 19) + "~[U])]"),
        ("recursive 22", "[$(" + "~".join(["*"] * 21) + "~[U])]"),
        ("carbon chain 16", "~".join(["C"] * 16) + "~O~F"),
        ("carbon chain 18", "~".join(["C"] * 18) + "~O~F"),
        ("carbon chain 20", "~".join(["C"] * 20) + "~O~F"),
    ]
    header = (
        f"{'pattern':<17} | {'baseline':>12} | {'ours (anonymous)':<40}"
        f"{'ours s':>9} | {'signed in':<38} | {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    worst_ours = 0.0
    for label, text in patterns:
        query = parse_query(text)
        base_s, capped = baseline(mols, query, args.page, args.cap)
        ours_s, outcome, hits = guarded(service, ANONYMOUS, text, args.page)
        signed_s, signed_outcome, _ = guarded(service, SIGNED_IN, text, args.page)
        worst_ours = max(worst_ours, ours_s, signed_s)
        base = f"{'>=' if capped else ''}{base_s:.2f} s"
        print(
            f"{label:<17} | {base:>12} | {f'{outcome}, {hits} hits':<40}{ours_s:>8.3f}s"
            f" | {f'{signed_outcome} {signed_s:.3f} s':<38} | {base_s / ours_s:>6.0f}x"
        )
    print("-" * len(header))
    print(
        f"worst request through the guarded path: {worst_ours:.2f} s "
        f"(deadline {budget.deadline_s:g} s); ratio = baseline / ours (anonymous)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
