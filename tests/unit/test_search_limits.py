"""Substructure queries have a bounded cost: the cost analysis refuses what cannot be bounded,
and matching stops at a deadline (between molecules, and inside one match when guarded).

No timing is asserted: deadlines are driven by a counting clock, except for isolated scans
(a child process reads the real clock), whose deadline is far below the work the pattern
would take.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from typing import Any

import psutil
import pytest
from rdkit import Chem

from cryoprotect.errors import QueryTooComplexError
from cryoprotect.science.query_cost import (
    ANONYMOUS_LIMITS,
    SIGNED_IN_LIMITS,
    analyse_query,
    check_query_cost,
)
from cryoprotect.science.substructure import deadline_parameters, parse_query
from cryoprotect.search import ISOLATION_AVAILABLE, SubstructureHits, SubstructureIndex
from tests.conftest import require

pytestmark = pytest.mark.unit

# The attack of issue 12: 21 wildcards and a uranium, recursive (22 atoms).
DOS_22 = "[$(" + "~".join(["*"] * 21) + "~[U])]"


def cost_of(text: str):
    return analyse_query(text, parse_query(text))


def refusal(text: str, limits) -> dict[str, Any]:
    with pytest.raises(QueryTooComplexError) as caught:
        check_query_cost(cost_of(text), limits)
    assert caught.value.details["field"] == "query"
    return caught.value.details


class Counter:
    """A clock that advances by one on every reading (deterministic deadlines)."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> float:
        self.now += 1
        return float(self.now)


def lattice(width: int, height: int) -> Chem.Mol:
    """A brick-wall hexagonal lattice of sp3 carbons: many paths, no uranium."""
    mol = Chem.RWMol()
    index = {}
    for y, x in itertools.product(range(height), range(width)):
        index[x, y] = mol.AddAtom(Chem.Atom(6))
    for y, x in itertools.product(range(height), range(width)):
        if x + 1 < width:
            mol.AddBond(index[x, y], index[x + 1, y], Chem.BondType.SINGLE)
        if y + 1 < height and (x + y) % 2 == 0:
            mol.AddBond(index[x, y], index[x, y + 1], Chem.BondType.SINGLE)
    out = mol.GetMol()
    Chem.SanitizeMol(out)
    return out


# ------------------------------------------------------------------ analysis


def test_the_recursive_wildcard_attack_is_measured() -> None:
    cost = cost_of(DOS_22)
    assert cost.recursive == 1 and cost.recursion_depth == 1
    assert cost.largest_recursive == 22 and cost.wildcard_chain == 21
    assert not cost.small


def test_anonymous_callers_get_no_recursive_smarts() -> None:
    assert refusal(DOS_22, ANONYMOUS_LIMITS)["rule"] == "max_recursive"
    assert refusal("[$([OX2H][CX4])]", ANONYMOUS_LIMITS)["rule"] == "max_recursive"


def test_signed_in_callers_get_small_shallow_recursion_only() -> None:
    assert refusal(DOS_22, SIGNED_IN_LIMITS)["rule"] == "max_recursive_atoms"
    nested = "[$(C[$(O[$(CC)])])]"
    assert refusal(nested, SIGNED_IN_LIMITS)["rule"] == "max_recursion_depth"
    many = "".join("[$(CO)]" for _ in range(SIGNED_IN_LIMITS.max_recursive + 1))
    assert refusal(many, SIGNED_IN_LIMITS)["rule"] == "max_recursive"
    check_query_cost(cost_of("[$([OX2H][CX4])]"), SIGNED_IN_LIMITS)  # accepted
    check_query_cost(cost_of("[$(C[$(O)])]C"), SIGNED_IN_LIMITS)  # two levels: accepted


@pytest.mark.parametrize(
    ("text", "wildcards"),
    [
        ("*", 1),
        ("A", 1),
        ("a", 1),
        ("[!#1]", 1),
        ("[R]", 1),
        ("[D2]", 1),
        ("[C,N,O]", 1),
        ("[!O]", 1),
        ("C", 0),
        ("[#6]", 0),
        ("[C,N]", 0),
        ("[C,c]", 0),
        ("[CX4]", 0),
        ("[c;H1]", 0),
        ("[#6;!$(C=O)]", 0),
    ],
)
def test_wildcard_atoms_are_those_that_do_not_name_one_or_two_elements(
    text: str, wildcards: int
) -> None:
    assert cost_of(text).wildcard_chain == wildcards


def test_wildcard_chains_and_rings_are_limited() -> None:
    chain = "~".join(["*"] * (ANONYMOUS_LIMITS.max_wildcard_chain + 1))
    details = refusal(chain, ANONYMOUS_LIMITS)
    assert details["rule"] == "max_wildcard_chain"
    assert details["value"] == ANONYMOUS_LIMITS.max_wildcard_chain + 1
    ring = "*1" + "~*" * 9 + "~1"
    assert refusal(ring, ANONYMOUS_LIMITS)["rule"] == "max_wildcard_chain"
    check_query_cost(cost_of(ring), SIGNED_IN_LIMITS)
    # Named elements between wildcards break the chain.
    check_query_cost(cost_of("*~*~*~*~O~*~*~*~*~N~*~*~*~*"), ANONYMOUS_LIMITS)


def test_size_limits() -> None:
    carbons = "C" * (ANONYMOUS_LIMITS.max_atoms + 1)
    assert refusal(carbons, ANONYMOUS_LIMITS)["rule"] == "max_atoms"
    check_query_cost(cost_of(carbons), SIGNED_IN_LIMITS)


def test_everyday_queries_pass_and_are_small() -> None:
    for text in ("[OX2H][CX4]", "c1ccccc1", "OCC(O)CO", "[CX3](=O)[OX2H1]", "S(=O)(=O)N"):
        cost = cost_of(text)
        check_query_cost(cost, ANONYMOUS_LIMITS)
        assert cost.small, text


def test_a_tangle_of_wildcards_is_refused_not_searched_forever() -> None:
    tangle = "".join("[$(*1*2*3*4*5*1*2*3*4*5)]" for _ in range(60))
    cost = cost_of(tangle)
    assert cost.wildcard_chain is None  # the analysis gave up within its step budget
    with pytest.raises(QueryTooComplexError):
        check_query_cost(cost, SIGNED_IN_LIMITS)


# ------------------------------------------------------------------ deadlines


def test_a_deadline_returns_the_hits_found_so_far() -> None:
    index = SubstructureIndex(first_chunk=4)
    smiles = ["OCC(O)CO", "CCO", "c1ccccc1", "OCCO", "CC(C)O", "OCCCO", "CCCCO"] * 3
    ids = [f"m{i:02d}" for i in range(len(smiles))]
    index.add(ids, smiles)
    query = parse_query("[OX2H][CX4]")
    everything = index.find(query, max_hits=100)
    assert not everything.truncated and len(everything.ids) == 18
    clock = Counter()
    partial = index.find(query, max_hits=100, deadline=6, clock=clock)
    assert partial.truncated
    assert 0 < len(partial.ids) < len(everything.ids)
    assert partial.ids == everything.ids[: len(partial.ids)]  # in order, none invented
    assert partial.checked < len(smiles)
    # A deadline already past matches nothing; a full page is never "truncated".
    assert index.find(query, deadline=0, clock=Counter()).ids == []
    page = index.find(query, max_hits=2, deadline=10**9, clock=Counter())
    assert page.ids == everything.ids[:2] and not page.truncated


def test_a_guarded_match_gives_up_inside_one_pathological_molecule() -> None:
    mol = lattice(10, 6)
    for text in (
        "~".join(["*"] * 13) + "~[U]",  # no uranium: the search is exhaustive
        "[$(" + "~".join(["*"] * 13) + "~[U])]",  # recursive SMARTS are checked too
    ):
        query = Chem.MolFromSmarts(text)
        unbounded = Counter()
        assert not mol.HasSubstructMatch(query, deadline_parameters(float("inf"), unbounded))
        clock = Counter()
        assert not mol.HasSubstructMatch(query, deadline_parameters(1_000, clock))
        # Past the deadline every remaining candidate pair is refused at once, so the
        # matcher unwinds within (pattern atoms x molecule atoms) further comparisons.
        slack = 14 * mol.GetNumAtoms()
        assert 1_000 <= clock.now <= 1_000 + slack
        assert unbounded.now > 10 * (1_000 + slack), text  # it would have gone on


def test_guarded_matching_finds_what_plain_matching_finds() -> None:
    index = SubstructureIndex()
    smiles = ["OCC(O)CO", "CCO", "c1ccccc1", "OCCO", "CS(C)=O", "OCCCO"]
    index.add([str(i) for i in range(len(smiles))], smiles)
    for text in ("[$([OX2H][CX4])]", "C~C~C~C", "[#6]~[#8]"):
        query = parse_query(text)
        plain = index.find(query)
        guarded = index.find(query, deadline=float("inf"), guarded=True)
        assert guarded.ids == plain.ids and not guarded.truncated, text


# ------------------------------------------------------------------ isolated scans


def _children() -> set[int]:
    return {child.pid for child in psutil.Process().children()}


def lattice_smiles(width: int, height: int) -> str:
    """:func:`lattice` with O and F at opposite corners: an all-carbon chain ending in
    O~F finds no match, after trying every carbon path (the load benchmark's attack)."""
    mol = Chem.RWMol(lattice(width, height))
    oxygen = mol.AddAtom(Chem.Atom(8))
    mol.AddBond(0, oxygen, Chem.BondType.SINGLE)
    fluorine = mol.AddAtom(Chem.Atom(9))
    mol.AddBond(width * height - 1, fluorine, Chem.BondType.SINGLE)
    out = mol.GetMol()
    Chem.SanitizeMol(out)
    return Chem.MolToSmiles(out)


def test_an_isolated_scan_finds_what_an_in_process_scan_finds() -> None:
    require(ISOLATION_AVAILABLE, "isolated scans need os.fork (POSIX)")
    index = SubstructureIndex(first_chunk=4)
    smiles = ["OCC(O)CO", "CCO", "c1ccccc1", "OCCO", "CS(C)=O", "OCCCO", "CCCCO"] * 5
    index.add([f"m{i:02d}" for i in range(len(smiles))], smiles)

    def odd(ids: list[str]) -> list[bool]:
        return [int(key[1:]) % 2 == 1 for key in ids]

    before = _children()
    for text in ("[OX2H][CX4]", "C~C~C~C~C~C~C~C~C", "[$([OX2H][CX4])]", "[#6]~[#8]"):
        query = parse_query(text)
        for max_hits, allowed in ((100, None), (3, None), (100, odd), (2, odd)):
            plain = index.find(query, max_hits, allowed)
            isolated = index.find(
                query, max_hits, allowed, deadline=time.monotonic() + 600, isolated=True
            )
            assert isolated.ids == plain.ids, (text, max_hits)
            assert not isolated.truncated
    # A deadline already past matches nothing and says so (as in process).
    past = index.find(parse_query("OCCO"), deadline=time.monotonic() - 1, isolated=True)
    assert past.ids == [] and past.truncated
    assert _children() <= before  # every scan process was reaped


def test_an_expensive_scan_runs_at_idle_priority_in_a_child_that_ends_at_the_deadline() -> None:
    require(ISOLATION_AVAILABLE, "isolated scans need os.fork (POSIX)")
    require(hasattr(os, "SCHED_IDLE"), "SCHED_IDLE is Linux's")
    index = SubstructureIndex()
    smiles = ["OCC(O)CO", "CCO", lattice_smiles(16, 8), lattice_smiles(17, 8)]
    index.add([f"m{i}" for i in range(len(smiles))], smiles)
    # 20 carbons: exhaustive on each lattice (several seconds each), never matched.
    query = parse_query("~".join(["C"] * 20) + "~O~F")
    before = _children()
    outcome: list[SubstructureHits] = []
    search = threading.Thread(
        target=lambda: outcome.append(
            index.find(query, deadline=time.monotonic() + 1.0, isolated=True)
        )
    )
    search.start()
    policies: set[int] = set()
    while search.is_alive():
        for pid in _children() - before:
            with contextlib.suppress(OSError):
                policies.add(os.sched_getscheduler(pid))
        time.sleep(0.005)
    search.join()
    # The match ran in another process, at idle priority: not in this one, holding the GIL.
    assert os.SCHED_IDLE in policies
    assert outcome[0].truncated and outcome[0].ids == []
    assert _children() <= before  # killed at the deadline and reaped
