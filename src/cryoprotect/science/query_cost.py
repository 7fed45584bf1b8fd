"""What a substructure query may cost to match, and the limits a caller's query must meet.

Substructure matching (RDKit's VF2) is a tree search: a failing match explores every way
of mapping the query onto the molecule, which grows roughly as (branching) ** (length of
the query's paths). Atoms that pin the element (``C``, ``[#7]``, ``[O,S]``) prune the
search; *wildcard* atoms that may be any element (``*``, ``A``, ``a``, ``[!#1]``, ``[R]``,
``[D2]``, a recursive ``[$(...)]``) or one of more than two elements do not. Measured on
this machine on one 129-atom polycyclic molecule, a failing chain of 14 wildcards takes
0.05 s, 18 take 0.5 s and 22 take 4 s; written as a recursive SMARTS
(``[$(*~*~...~*~[U])]``) the chain is re-run from every atom and escapes the fingerprint
screen. RDKit has no match timeout, and ``maxMatches`` / ``maxRecursiveMatches`` do not
shorten a search that finds nothing.

:func:`analyse_query` measures a parsed query (atoms and bonds, recursive SMARTS with their
nesting, the longest chain of wildcard atoms, inside recursive patterns too);
:func:`check_query_cost` refuses one that exceeds a :class:`QueryLimits` with a
:class:`~cryoprotect.errors.QueryTooComplexError` naming the rule, the value and the limit.
:data:`ANONYMOUS_LIMITS` and :data:`SIGNED_IN_LIMITS` are the limits the API applies (see
the README). What passes is still matched under a deadline by the search index.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rdkit import Chem

from cryoprotect.errors import QueryTooComplexError

__all__ = [
    "ANONYMOUS_LIMITS",
    "SIGNED_IN_LIMITS",
    "SMALL_QUERY_ATOMS",
    "SMALL_QUERY_CHAIN",
    "QueryCost",
    "QueryLimits",
    "analyse_query",
    "check_query_cost",
]

SMALL_QUERY_ATOMS = 8
"""Queries with at most this many atoms, ..."""
SMALL_QUERY_CHAIN = 4
"""... no wildcard chain longer than this and no recursion are *small*: matching one
molecule is cheap, so they are matched without a per-atom deadline check."""

_PATH_BUDGET = 50_000  # DFS steps spent on wildcard chains by one analysis, in all patterns
_DEEPEST_ANALYSED = 8  # recursive SMARTS nested deeper are counted, not opened
_COMPOUND = ("AtomAnd", "AtomOr", "AtomXor")
_ELEMENT_LEAVES = ("AtomType", "AtomAtomicNum")
_MAX_SELECTIVE_ELEMENTS = 2


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """Largest query accepted from one kind of caller.

    Attributes:
        max_atoms: atoms in the whole query, recursive patterns included.
        max_bonds: bonds in the whole query, recursive patterns included.
        max_wildcard_chain: atoms in the longest chain of wildcard atoms of any pattern.
        max_recursive: recursive SMARTS (``$(...)``) in the query; 0 refuses them.
        max_recursion_depth: how deeply recursive SMARTS may nest (1: no nesting).
        max_recursive_atoms: atoms in any one recursive pattern.
    """

    max_atoms: int
    max_bonds: int
    max_wildcard_chain: int
    max_recursive: int
    max_recursion_depth: int
    max_recursive_atoms: int


ANONYMOUS_LIMITS = QueryLimits(
    max_atoms=25,
    max_bonds=30,
    max_wildcard_chain=8,
    max_recursive=0,
    max_recursion_depth=0,
    max_recursive_atoms=0,
)
"""Callers who are not signed in: no recursive SMARTS at all."""

SIGNED_IN_LIMITS = QueryLimits(
    max_atoms=50,
    max_bonds=60,
    max_wildcard_chain=12,
    max_recursive=4,
    max_recursion_depth=2,
    max_recursive_atoms=12,
)
"""Signed-in callers: small recursive SMARTS, nested at most two deep."""


@dataclass(frozen=True, slots=True)
class QueryCost:
    """The measures of a query that bound its matching cost.

    Attributes:
        atoms: atoms, recursive patterns included.
        bonds: bonds, recursive patterns included.
        recursive: recursive SMARTS (``$(...)``), nested ones included.
        recursion_depth: deepest nesting of recursive SMARTS (0: none).
        largest_recursive: atoms of the largest recursive pattern (0: none).
        wildcard_chain: atoms in the longest chain of wildcard atoms of any pattern, or
            ``None`` when the wildcard atoms are too interconnected to measure.
    """

    atoms: int
    bonds: int
    recursive: int
    recursion_depth: int
    largest_recursive: int
    wildcard_chain: int | None

    @property
    def small(self) -> bool:
        """True when matching one molecule is cheap (see :data:`SMALL_QUERY_ATOMS`)."""
        return (
            self.recursive == 0
            and self.atoms <= SMALL_QUERY_ATOMS
            and self.wildcard_chain is not None
            and self.wildcard_chain <= SMALL_QUERY_CHAIN
        )


# ------------------------------------------------------------------------ atoms


def _element_set(lines: list[str], start: int) -> tuple[frozenset[int] | None, int]:
    """Elements the query node at ``lines[start]`` may match (None: any); next line index.

    ``lines`` is RDKit's ``DescribeQuery`` text: one node a line, children indented by two.
    """
    line = lines[start]
    depth = len(line) - len(line.lstrip(" "))
    text = line.strip()
    name = text.split(" ", 1)[0]
    if name in _COMPOUND:
        children: list[frozenset[int] | None] = []
        position = start + 1
        while position < len(lines):
            child_depth = len(lines[position]) - len(lines[position].lstrip(" "))
            if child_depth <= depth:
                break
            child, position = _element_set(lines, position)
            children.append(child)
        if "!" in text or " not " in f" {text} ":  # a negated compound: any element
            return None, position
        if name == "AtomAnd":
            known = [c for c in children if c is not None]
            if not known:
                return None, position
            result = known[0]
            for other in known[1:]:
                result = result & other
            return result, position
        if any(c is None for c in children):  # AtomOr / AtomXor
            return None, position
        union: frozenset[int] = frozenset()
        for child in children:
            assert child is not None
            union |= child
        return union, position
    if name in _ELEMENT_LEAVES and " = val" in text:
        value = int(text.split()[1])
        return frozenset({value % 1000 if name == "AtomType" else value}), start + 1
    return None, start + 1  # AtomNull, negations, degree, rings, recursion...: any element


def _is_wildcard(atom: Chem.Atom) -> bool:
    """True when the query atom may match any element, or one of more than two."""
    if not atom.HasQuery():
        return False  # a plain atom (a query given as SMILES) is one element
    lines = [line for line in atom.DescribeQuery().splitlines() if line.strip()]
    if not lines:
        return True
    elements, _ = _element_set(lines, 0)
    return elements is None or len(elements) > _MAX_SELECTIVE_ELEMENTS


class _BudgetSpent(Exception):
    pass


def _longest_chain(query: Chem.Mol, budget: list[int]) -> int | None:
    """Atoms in the longest simple path through wildcard atoms (None: ``budget`` spent).

    ``budget`` holds the DFS steps left; they are shared by every pattern of one query.
    """
    wild = {atom.GetIdx() for atom in query.GetAtoms() if _is_wildcard(atom)}
    adjacency: dict[int, list[int]] = {index: [] for index in wild}
    for bond in query.GetBonds():
        begin, end = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        if begin in wild and end in wild and begin != end:
            adjacency[begin].append(end)
            adjacency[end].append(begin)
    best = 0

    def walk(node: int, seen: set[int], length: int) -> None:
        nonlocal best
        budget[0] -= 1
        if budget[0] < 0:
            raise _BudgetSpent
        best = max(best, length)
        for neighbour in adjacency[node]:
            if neighbour not in seen:
                seen.add(neighbour)
                walk(neighbour, seen, length + 1)
                seen.discard(neighbour)

    try:
        for start in adjacency:
            walk(start, {start}, 1)
    except _BudgetSpent:
        return None
    return best


# ------------------------------------------------------------------ recursion


def _recursive_parts(text: str) -> list[str]:
    """The SMARTS inside each top-level ``$(...)`` of ``text`` (in bracket atoms only)."""
    parts: list[str] = []
    in_bracket = False
    position = 0
    while position < len(text):
        char = text[position]
        if char == "[" and not in_bracket:
            in_bracket = True
        elif char == "]" and in_bracket:
            in_bracket = False
        elif in_bracket and char == "$" and text.startswith("$(", position):
            depth = 0
            for end in range(position + 1, len(text)):
                if text[end] == "(":
                    depth += 1
                elif text[end] == ")":
                    depth -= 1
                    if depth == 0:
                        parts.append(text[position + 2 : end])
                        position = end
                        break
            else:  # unbalanced: RDKit would not have parsed it
                return parts
        position += 1
    return parts


@dataclass
class _Tally:
    atoms: int = 0
    bonds: int = 0
    recursive: int = 0
    depth: int = 0
    largest_recursive: int = 0
    chain: int | None = 0
    budget: list[int] = dataclasses.field(default_factory=lambda: [_PATH_BUDGET])


def _visit(text: str, query: Chem.Mol, level: int, tally: _Tally) -> None:
    tally.atoms += query.GetNumAtoms()
    tally.bonds += query.GetNumBonds()
    tally.depth = max(tally.depth, level)
    if level > 0:
        tally.recursive += 1
        tally.largest_recursive = max(tally.largest_recursive, query.GetNumAtoms())
    if tally.chain is not None:
        chain = _longest_chain(query, tally.budget)
        tally.chain = None if chain is None else max(tally.chain, chain)
    if level >= _DEEPEST_ANALYSED:
        if _recursive_parts(text):
            tally.depth = level + 1  # deeper than any limit: no need to open it
        return
    for part in _recursive_parts(text):
        inner = Chem.MolFromSmarts(part)
        if inner is None:  # cannot happen for a query RDKit parsed; count it as unbounded
            tally.chain = None
            continue
        _visit(part, inner, level + 1, tally)


def analyse_query(text: str, query: Chem.Mol) -> QueryCost:
    """Measure a parsed substructure query.

    Args:
        text: the query as given (SMARTS or SMILES); recursive SMARTS are read from it.
        query: ``text`` parsed (see ``cryoprotect.science.substructure.parse_query``).

    Returns:
        The :class:`QueryCost`; recursive patterns count towards atoms, bonds and chains.
    """
    tally = _Tally()
    _visit(text.strip(), query, 0, tally)
    return QueryCost(
        atoms=tally.atoms,
        bonds=tally.bonds,
        recursive=tally.recursive,
        recursion_depth=tally.depth,
        largest_recursive=tally.largest_recursive,
        wildcard_chain=tally.chain,
    )


def _refuse(message: str, field: str, rule: str, value: int | None, limit: int) -> None:
    raise QueryTooComplexError(
        message, field=field, details={"rule": rule, "value": value, "limit": limit}
    )


def check_query_cost(cost: QueryCost, limits: QueryLimits, *, field: str = "query") -> None:
    """Refuse a query whose matching cost ``limits`` do not allow.

    Raises:
        QueryTooComplexError: the first limit exceeded, with ``details`` ``field``,
            ``rule`` (the :class:`QueryLimits` attribute), ``value`` and ``limit``.
    """
    if cost.recursive and limits.max_recursive == 0:
        _refuse(
            "Recursive SMARTS ($(...)) can take unbounded time to match and is accepted only "
            "from signed-in callers; sign in, or write the pattern without $(...).",
            field,
            "max_recursive",
            cost.recursive,
            0,
        )
    if cost.recursive > limits.max_recursive:
        _refuse(
            f"The pattern has {cost.recursive} recursive SMARTS ($(...)); at most "
            f"{limits.max_recursive} are accepted.",
            field,
            "max_recursive",
            cost.recursive,
            limits.max_recursive,
        )
    if cost.recursion_depth > limits.max_recursion_depth:
        _refuse(
            f"Recursive SMARTS are nested {cost.recursion_depth} deep; at most "
            f"{limits.max_recursion_depth} levels are accepted.",
            field,
            "max_recursion_depth",
            cost.recursion_depth,
            limits.max_recursion_depth,
        )
    if cost.largest_recursive > limits.max_recursive_atoms:
        _refuse(
            f"A recursive SMARTS has {cost.largest_recursive} atoms; at most "
            f"{limits.max_recursive_atoms} are accepted in each.",
            field,
            "max_recursive_atoms",
            cost.largest_recursive,
            limits.max_recursive_atoms,
        )
    if cost.atoms > limits.max_atoms:
        _refuse(
            f"The pattern has {cost.atoms} atoms; at most {limits.max_atoms} are accepted"
            f"{' (sign in for larger patterns)' if limits == ANONYMOUS_LIMITS else ''}.",
            field,
            "max_atoms",
            cost.atoms,
            limits.max_atoms,
        )
    if cost.bonds > limits.max_bonds:
        _refuse(
            f"The pattern has {cost.bonds} bonds; at most {limits.max_bonds} are accepted.",
            field,
            "max_bonds",
            cost.bonds,
            limits.max_bonds,
        )
    if cost.wildcard_chain is None or cost.wildcard_chain > limits.max_wildcard_chain:
        found = (
            "too many interconnected wildcard atoms to bound"
            if cost.wildcard_chain is None
            else f"a chain of {cost.wildcard_chain} wildcard atoms"
        )
        _refuse(
            f"The pattern has {found} (atoms that may be any element, such as *, A, a, "
            f"[!#1] or [R]); at most {limits.max_wildcard_chain} in a chain are accepted, "
            "because matching time grows exponentially with the chain. Name the elements.",
            field,
            "max_wildcard_chain",
            cost.wildcard_chain,
            limits.max_wildcard_chain,
        )
