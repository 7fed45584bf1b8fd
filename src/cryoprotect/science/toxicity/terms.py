"""Names and structure of the kinetic toxicity model's parameters (see :mod:`.kinetic`).

``k_spec[<cpa>]``/``beta_spec[<cpa>]`` (specific power law), ``k_ns``/``beta_ns``
(non-specific, on total molality), ``c_int[<cpa>|<cpa>]`` (pairwise), ``ea_kj_per_mol``
(Arrhenius). :func:`term_structure` indexes them once for the rate functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cryoprotect.errors import ValidationError

NAME_PATTERN = re.compile(r"^(k_spec|beta_spec|c_int)\[(.+)\]$")
POSITIVE_KINDS = frozenset({"k_spec", "beta_spec", "k_ns", "beta_ns", "ea_kj_per_mol"})
UNITS = {
    "k_spec": "1/s (at 1 mol/kg and T_ref)",
    "beta_spec": "1",
    "k_ns": "1/s (at 1 mol/kg total and T_ref)",
    "beta_ns": "1",
    "c_int": "1/s (at 1 mol/kg each and T_ref)",
    "ea_kj_per_mol": "kJ/mol",
}
MEANINGS = {
    "k_spec": "specific toxicity rate of {0} alone at 1 mol/kg",
    "beta_spec": "concentration exponent of {0}'s specific toxicity",
    "k_ns": "non-specific toxicity rate at 1 mol/kg total CPA",
    "beta_ns": "concentration exponent of the non-specific toxicity",
    "c_int": "interaction of {0} (negative: the pair is less toxic than its parts)",
    "ea_kj_per_mol": "Arrhenius activation energy of every rate",
}


def parameter_kind(name: str) -> tuple[str, tuple[str, ...]]:
    """Split a parameter name into its kind and the CPAs it concerns.

    >>> parameter_kind("c_int[Glycerol|Formamide]")
    ('c_int', ('Glycerol', 'Formamide'))

    Raises:
        ValidationError: a name of no known kind.
    """
    if name in ("k_ns", "beta_ns", "ea_kj_per_mol"):
        return name, ()
    match = NAME_PATTERN.match(name)
    if match is None:
        raise ValidationError(f"unknown toxicity model parameter {name!r}", field="parameter_names")
    kind, inner = match.group(1), match.group(2)
    cpas = tuple(part.strip() for part in inner.split("|"))
    if (kind == "c_int") != (len(cpas) == 2):
        raise ValidationError(
            f"malformed toxicity model parameter {name!r}", field="parameter_names"
        )
    return kind, cpas


def is_positive(name: str) -> bool:
    """Whether the parameter must be > 0 (fitted on a log scale)."""
    return parameter_kind(name)[0] in POSITIVE_KINDS


def parameter_unit(name: str) -> str:
    """The unit of a parameter."""
    return UNITS[parameter_kind(name)[0]]


def parameter_meaning(name: str) -> str:
    """One line saying what the parameter is."""
    kind, cpas = parameter_kind(name)
    return MEANINGS[kind].format(" + ".join(cpas))


@dataclass(frozen=True)
class TermStructure:
    """Index of each term's parameters in the value vector (−1: term absent)."""

    n_cpas: int
    spec_k: tuple[int, ...]
    spec_beta: tuple[int, ...]
    ns_k: int
    ns_beta: int
    pairs: tuple[tuple[int, int, int], ...]  # (parameter index, cpa i, cpa j)
    ea: int


def cpa_positions(name: str, members: tuple[str, ...], keys: list[str]) -> list[int]:
    positions = []
    for member in members:
        if member.casefold() not in keys:
            raise ValidationError(
                f"parameter {name!r} names {member!r}, not a CPA of the model",
                field="parameter_names",
            )
        positions.append(keys.index(member.casefold()))
    if len(positions) == 2 and positions[0] == positions[1]:
        raise ValidationError(f"{name!r} pairs a CPA with itself", field="parameter_names")
    return positions


@lru_cache(maxsize=256)
def term_structure(cpas: tuple[str, ...], names: tuple[str, ...]) -> TermStructure:
    keys = [c.casefold() for c in cpas]
    if len(set(keys)) != len(keys):
        raise ValidationError("a CPA appears twice in the model", field="cpas")
    if len(set(names)) != len(names):
        raise ValidationError("a parameter appears twice in the model", field="parameter_names")
    per_cpa: dict[str, list[int]] = {"k_spec": [-1] * len(cpas), "beta_spec": [-1] * len(cpas)}
    single: dict[str, int] = {"k_ns": -1, "beta_ns": -1, "ea_kj_per_mol": -1}
    pairs: list[tuple[int, int, int]] = []
    for index, name in enumerate(names):
        kind, members = parameter_kind(name)
        positions = cpa_positions(name, members, keys)
        if kind in per_cpa:
            per_cpa[kind][positions[0]] = index
        elif kind in single:
            single[kind] = index
        else:
            pairs.append((index, positions[0], positions[1]))
    for i, cpa in enumerate(cpas):
        if (per_cpa["k_spec"][i] < 0) != (per_cpa["beta_spec"][i] < 0):
            raise ValidationError(
                f"k_spec[{cpa}] and beta_spec[{cpa}] go together", field="parameter_names"
            )
    if (single["k_ns"] < 0) != (single["beta_ns"] < 0):
        raise ValidationError("k_ns and beta_ns go together", field="parameter_names")
    return TermStructure(
        len(cpas),
        tuple(per_cpa["k_spec"]),
        tuple(per_cpa["beta_spec"]),
        single["k_ns"],
        single["beta_ns"],
        tuple(pairs),
        single["ea_kj_per_mol"],
    )


def standard_parameter_names(
    cpas: Sequence[str],
    *,
    specific: bool = True,
    nonspecific: bool = False,
    interactions: Sequence[tuple[str, str]] = (),
    temperature: bool = False,
) -> tuple[str, ...]:
    """The parameter names of a model with the chosen terms, in canonical order."""
    names: list[str] = []
    if specific:
        for cpa in cpas:
            names += [f"k_spec[{cpa}]", f"beta_spec[{cpa}]"]
    if nonspecific:
        names += ["k_ns", "beta_ns"]
    names += [f"c_int[{a}|{b}]" for a, b in interactions]
    if temperature:
        names.append("ea_kj_per_mol")
    return tuple(names)
