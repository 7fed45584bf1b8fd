"""What the osmolality and the ice melting point of a solution can honestly say.

:mod:`cryoprotect.science.thermo` computes model numbers; this module decides, per
composition, whether each number may be returned as a value and, when it may not, says
why and gives the bound that still holds (DESIGN.md principle 7: "unknown, because…").

Rules, in order of precedence (melting point):

1. **Solute crystallises** — a solute is past its solute–water eutectic (or at/above the
   first published point of its solute branch). The liquidus is then the solute's (or its
   hydrate's), not ice's: no ice can form above the eutectic temperature. Value ``None``;
   the bound is the published solute liquidus where shipped (binary solutions) and the
   eutectic bound on ice.
2. **Eutectic region** — no eutectic is recorded, but the composition lies between the last
   published ice point and the first published solute point: which solid forms first is
   not known. Value ``None``; bound: the published ice point below.
3. **Outside the fitted range** — a solute's molality is above its coefficients' recorded
   range. Value ``None``; bound: freezing-point depression is monotonic (adding any solute
   lowers the water activity), so the model's melting point with each such solute capped
   at the top of its range is an upper bound, as is any published ice-liquidus point at a
   lower concentration; the strongest (lowest) bound is given.
4. **Range unknown** — a solute present in the solution has a parameter set that records
   no valid range (coefficients quoted but never checked against measurements, such as
   DMSO's B = 0.108 kg/mol, or the ideal-dilute fallback of a solute without
   coefficients): nothing says the model holds there, so no number is given.
   Value ``None``, ``within_range = None`` ("unknown", never ``True``), the reason naming
   the coefficients, and the monotonic bound that holds without them: the model's
   melting point (osmolality) of the solution with those solutes left out (and any solute
   above its range capped at it) is an upper (lower) bound.
5. Otherwise the value, ``within_range = True``.

Osmolality follows rules 3–5 (a solution past its eutectic is still a liquid at room
temperature, so its osmolality is not affected by rules 1–2); above a fitted range the
bound is a lower one, the model's osmolality with each solute capped at its range
(osmolality rises with every solute's concentration).

Solid–liquid equilibria live in ``params/solute_phase_boundaries.csv`` (one row per
published point: solute, % w/w, °C, the solid that forms, ``kind`` ∈ ``ice_liquidus`` /
``solute_liquidus`` / ``eutectic``, source, provenance, verified). For a multi-solute
solution each solute's concentration is judged by its binary-equivalent mass percent
``100·m·M/(1000 + m·M)`` (its mass fraction in solute + water): ice bounds carry over
(other solutes only lower the ice melting point further), but the solute liquidus does not,
so a mixture past a binary eutectic gets "may crystallise" and the ice bound only.

Layout (one job per module; this package re-exports their public names):

* :mod:`.phase_data` — the published phase-boundary table;
* :mod:`.answers` — :class:`Answer`, :class:`Bound`, :class:`Assessment` and their helpers;
* :mod:`.assessment` — :func:`assess`.
"""

from __future__ import annotations

from cryoprotect.science.thermo_validity.answers import (
    Answer,
    Assessment,
    Bound,
    mass_percent_in_water,
    short_source,
    weakest_provenance,
)
from cryoprotect.science.thermo_validity.assessment import (
    assess,
)
from cryoprotect.science.thermo_validity.phase_data import (
    AT_POINT_TOLERANCE_PERCENT,
    LIQUIDUS_METHOD,
    MONOTONIC_BOUND_METHOD,
    PHASE_COLUMNS,
    PHASE_TABLE,
    PhaseKind,
    PhasePoint,
    Relation,
    SolutePhaseData,
    Status,
    default_phase_boundaries,
    load_phase_boundaries,
    phase_boundaries,
)

__all__ = [
    "AT_POINT_TOLERANCE_PERCENT",
    "default_phase_boundaries",
    "LIQUIDUS_METHOD",
    "load_phase_boundaries",
    "MONOTONIC_BOUND_METHOD",
    "phase_boundaries",
    "PHASE_COLUMNS",
    "PHASE_TABLE",
    "PhaseKind",
    "PhasePoint",
    "Relation",
    "SolutePhaseData",
    "Status",
    "Answer",
    "Assessment",
    "Bound",
    "mass_percent_in_water",
    "short_source",
    "weakest_provenance",
    "assess",
]
