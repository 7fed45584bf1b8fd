"""Vitrification of aqueous CPA solutions: which glass forms, and will ice form on the way.

This module owns the "glass and ice" picture beside the homogeneous-glass model of
:mod:`~cryoprotect.science.glass`:

* **Tg′** of the maximally freeze-concentrated phase, from every published measurement in
  ``params/tg_prime_published.csv``. Where several measurements exist the answer is their
  mean (tagged ``fitted``) with the spread (lowest, highest) and every source beside it.
* **Which glass applies** (:func:`headline_glass`): the homogeneous glass (Gordon–Taylor Tg)
  when there is evidence that the solution vitrifies without ice — its concentration is at or
  above the measured lowest ice-free concentration, or the stated cooling rate is above the
  critical cooling rate — and otherwise the freeze-concentrated glass Tg′. Never a number
  without its reason; ``null`` with the reason when neither can be given.
* **Critical cooling and warming rates** (CCR, CWR): per solute, log-linear interpolation of
  published points against mass fraction (``params/critical_rates.csv``) inside the range of
  the points only; outside it, no number but the bound that still holds (the published rates
  fall as the concentration rises, so below the lowest point the rate is *above* the published
  one, and above the highest point it is *below*). Named vitrification solutions (DP6, VS55,
  M22) take their published rates from ``params/measured_solution_properties.csv``.
* **The verdict**: does a solution vitrify at x °C/min cooling and stay ice-free at y °C/min
  warming? Answered with the margin (rate / critical rate) or "unknown, because …".
* **Homogeneous nucleation temperature** Th against concentration, table-driven
  (``params/nucleation_temperatures.csv``); null with the reason where nothing is recorded.

Everything here is a pure function over the parameter tables; every number carries its source.

Layout (one job per module; this package re-exports their public names):

* :mod:`.tables` — table paths, quantity names and methods, CSV readers;
* :mod:`.freeze_concentrated` — published Tg′;
* :mod:`.rates` — critical cooling/warming rates, named solutions, the verdict;
* :mod:`.nucleation` — homogeneous nucleation temperature;
* :mod:`.headline` — which glass applies (:func:`headline_glass`).
"""

from __future__ import annotations

from cryoprotect.science.vitrification.freeze_concentrated import (
    TG_PRIME_COLUMNS,
    PublishedTgPrime,
    TgPrime,
    load_tg_prime_table,
    tg_prime,
    tg_prime_solutes,
)
from cryoprotect.science.vitrification.headline import (
    GlassHeadline,
    SoluteGlassInput,
    headline_glass,
)
from cryoprotect.science.vitrification.nucleation import (
    NUCLEATION_COLUMNS,
    NucleationCurve,
    NucleationPoint,
    nucleation_curve,
)
from cryoprotect.science.vitrification.rates import (
    RATE_COLUMNS,
    NamedSolution,
    RateAnswer,
    RateBound,
    RatePoint,
    Verdict,
    critical_rate,
    load_critical_rates,
    match_named_solution,
    named_solution_rate,
    named_solutions,
    published_rate_points,
    rate_table_solutes,
    verdict,
)
from cryoprotect.science.vitrification.tables import (
    CCR,
    CRITICAL_RATES_TABLE,
    CWR,
    INTERPOLATION_METHOD,
    NAMED_MATCH_REL_TOL,
    NAMED_METHOD,
    NAMED_SOLUTIONS_TABLE,
    NUCLEATION_TABLE,
    PARAMS_DIR,
    QUANTITIES,
    RATE_UNIT,
    TG_PRIME_TABLE,
    Applies,
    Outcome,
)

__all__ = [
    "Applies",
    "CCR",
    "CRITICAL_RATES_TABLE",
    "CWR",
    "INTERPOLATION_METHOD",
    "NAMED_MATCH_REL_TOL",
    "NAMED_METHOD",
    "NAMED_SOLUTIONS_TABLE",
    "NUCLEATION_TABLE",
    "Outcome",
    "PARAMS_DIR",
    "QUANTITIES",
    "RATE_UNIT",
    "TG_PRIME_TABLE",
    "load_tg_prime_table",
    "PublishedTgPrime",
    "tg_prime",
    "TG_PRIME_COLUMNS",
    "tg_prime_solutes",
    "TgPrime",
    "critical_rate",
    "load_critical_rates",
    "match_named_solution",
    "named_solution_rate",
    "named_solutions",
    "NamedSolution",
    "published_rate_points",
    "RATE_COLUMNS",
    "rate_table_solutes",
    "RateAnswer",
    "RateBound",
    "RatePoint",
    "Verdict",
    "verdict",
    "NUCLEATION_COLUMNS",
    "nucleation_curve",
    "NucleationCurve",
    "NucleationPoint",
    "GlassHeadline",
    "headline_glass",
    "SoluteGlassInput",
]
