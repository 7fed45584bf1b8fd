"""The shapes of an honest answer: a value or the bound that still holds (:class:`Bound`,
:class:`Answer`, :class:`Assessment`), and the small helpers that label them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from cryoprotect.science import thermo
from cryoprotect.science.records import keys_dict
from cryoprotect.science.thermo_validity.phase_data import Relation, Status

# --- answers ------------------------------------------------------------------------------


_BOUND_KEYS = (
    "quantity",
    "relation",
    "value",
    "value_high",
    "unit",
    "text",
    "method",
    "source",
    "provenance",
)
"""The keys of :meth:`Bound.as_dict`, in order (not the fields' order)."""


@dataclass(frozen=True)
class Bound:
    """What still holds when a value cannot be given.

    Attributes:
        relation: how the quantity relates to ``value``: ``below`` / ``at_or_below`` (an
            upper bound), ``above`` (a lower bound), ``at`` (a published point) or
            ``between`` ``value`` and ``value_high``.
        value: the bound, in ``unit``.
        unit: ``°C`` for melting points and liquidus temperatures, ``osmol/kg`` otherwise.
        text: the bound as a sentence, with where it comes from.
        method: how the bound was obtained.
        source: the data or parameters behind it.
        provenance: ``measured`` (published points) or the parameters' provenance.
        quantity: ``ice_melting_point``, ``solute_liquidus`` or ``osmolality``.
        value_high: the upper end for ``between``.
    """

    relation: Relation
    value: float
    unit: str
    text: str
    method: str
    source: str
    provenance: str
    quantity: str
    value_high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The bound as a JSON-serialisable dict."""
        return keys_dict(self, _BOUND_KEYS)


@dataclass(frozen=True)
class Answer:
    """One computed quantity of one composition, as the API and the pages show it.

    Attributes:
        value: the number (osmol/kg, or K for melting points), or ``None`` when it cannot be
            given.
        status: why (``within_range``, ``range_unknown``, ``outside_range``,
            ``eutectic_region``, ``solute_crystallises``).
        within_range: ``True`` inside every recorded range, ``False`` outside one (or past a
            eutectic), ``None`` when a range is not recorded.
        reason: "unknown, because …" when ``value`` is ``None``, else ``None``.
        bound: the bound that still holds when ``value`` is ``None`` (where one does).
        method: how the value is (or would be) computed.
        provenance: weakest provenance of the parameters behind the value.
        warnings: caveats (unknown ranges, unverified coefficients, …).
        ice_upper_bound_c: melting points only — the strongest upper bound on the ice
            melting point (°C) when ``value`` is ``None`` (chart data), else ``None``.
    """

    value: float | None
    status: Status
    within_range: bool | None
    reason: str | None
    bound: Bound | None
    method: str
    provenance: str
    warnings: tuple[str, ...] = ()
    ice_upper_bound_c: float | None = None


@dataclass(frozen=True)
class Assessment:
    """Model numbers of N compositions and what may be said of each.

    Attributes:
        thermo: the raw model results (:func:`thermo.solution_thermo`).
        osmolality: one answer per composition (osmol/kg).
        melting_point: one answer per composition (kelvin).
        solute_within_range: per composition, per solute: ``True`` / ``False`` / ``None``
            (inside / above / no recorded range).
    """

    thermo: thermo.SolutionThermo
    osmolality: tuple[Answer, ...]
    melting_point: tuple[Answer, ...]
    solute_within_range: tuple[tuple[bool | None, ...], ...]


def weakest_provenance(provenances: Sequence[str]) -> str:
    """The weakest tag of ``measured`` < ``fitted`` < ``estimated`` (unknown tags count as
    ``estimated``); ``estimated`` for an empty list."""
    order = ["measured", "fitted", "estimated"]
    ranks = [order.index(p) if p in order else len(order) - 1 for p in provenances]
    return order[max(ranks)] if ranks else "estimated"


def mass_percent_in_water(molality: ArrayLike, molar_mass_g_per_mol: float) -> thermo.FloatArray:
    """Binary-equivalent % w/w of a solute: its mass fraction in solute + water × 100.

    Args:
        molality: mol per kg water, any shape.
        molar_mass_g_per_mol: the solute's molar mass.
    """
    m = np.asarray(molality, dtype=np.float64)
    grams = m * molar_mass_g_per_mol
    result: thermo.FloatArray = 100.0 * grams / (1000.0 + grams)
    return result


def short_source(source: str, *, limit: int = 110) -> str:
    """The head of a citation for a sentence: up to the first " (" or ";", keeping a
    parenthesised year that follows ("Lange's Handbook of Chemistry, 15th ed. (1999)")."""
    cut = len(source)
    for mark in (" (", ";"):
        at = source.find(mark)
        if 0 < at < cut:
            cut = at
    head = source[:cut].strip()
    year = re.match(r" \((\d{4})\)", source[cut:])
    if year:
        head = f"{head} ({year.group(1)})"
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"
