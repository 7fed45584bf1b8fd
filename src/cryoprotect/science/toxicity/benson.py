"""Cumulative toxicity cost of a CPA addition/removal protocol.

This module owns the toxicity cost function of Benson, Kearsley & Higgins, "Mathematical
optimization of procedures for cryoprotectant equilibration using a toxicity cost
function", Cryobiology 64:144–151 (2012)::

    J = ∫ C(t)^α dt        over the whole protocol

with C the intracellular CPA concentration and α the exponent of the concentration
dependence of the toxicity rate (toxicity rate ∝ C^α, so that J is proportional to the
accumulated damage). Benson et al. took α = 1.6 from a published toxicity-rate study; the
value, its provenance and our reading of its origin are in ``params/toxicity.csv`` — only the
paper's abstract could be read here, so the row is marked unverified.

Concentration measure: intracellular **molality** (mol per kg of cell water), the
concentration variable of the transport model (:mod:`cryoprotect.science.transport`) and,
as far as we could establish, of Benson et al.'s model; J is therefore in (mol/kg)^α · s.
The cost does not depend on temperature (Benson et al. worked at one temperature); comparing
protocols at different temperatures with it ignores the temperature dependence of toxicity.

**Several CPAs** (a modelling assumption, not from the paper): the cost is the sum of
per-CPA costs, J = Σ_i ∫ m_i(t)^α_i dt, each with its own exponent where the table has one
and the default α otherwise. This treats the CPAs as independent toxicants whose damage
adds. The alternative, α applied to the total CPA concentration, makes every mixture more
toxic than its parts (for α > 1); mixture toxicity studies show that CPAs do interact —
both non-specific (shared) toxicity and specific interactions (e.g. the multi-CPA
toxicity model of Higgins' group, PMC9529850) — so neither rule is exact; the additive
rule is the neutral choice until such a model is parameterised here.

The integral is evaluated by the trapezoidal rule on the trajectory's points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.integrate import trapezoid

from cryoprotect.errors import ValidationError
from cryoprotect.science.records import fields_dict
from cryoprotect.science.tables import PROVENANCES, read_table
from cryoprotect.science.transport import Trajectory

PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"
TOXICITY_TABLE = PARAMS_DIR / "toxicity.csv"
TOXICITY_COLUMNS = ("solute", "parameter", "value", "unit", "source", "provenance", "verified")
DEFAULT_KEY = "*"
METHOD = (
    "cumulative toxicity cost J = sum over CPAs of the integral of m_i(t)^alpha_i dt "
    "(Benson, Kearsley & Higgins, Cryobiology 64:144-151, 2012; per-CPA sum is a modelling "
    "assumption); m_i = intracellular molality; trapezoidal rule"
)


@dataclass(frozen=True)
class ToxicityParameter:
    """One exponent of the cost function with where it comes from."""

    solute: str
    exponent: float
    source: str
    provenance: str
    verified: bool


@dataclass(frozen=True)
class ToxicityCost:
    """The toxicity cost of one trajectory.

    Attributes:
        total: J summed over CPAs.
        per_solute: CPA name → its part of J.
        unit: the unit of J, e.g. ``"(mol/kg)^1.6·s"``.
        method: how J was computed.
        sources: CPA name → source of its exponent.
        exponent: CPA name → exponent α used.
    """

    total: float
    per_solute: dict[str, float]
    unit: str
    method: str
    sources: dict[str, str]
    exponent: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return fields_dict(
            self,
            per_solute=dict(self.per_solute),
            sources=dict(self.sources),
            exponent=dict(self.exponent),
        )


def load_toxicity_table(path: Path | str) -> dict[str, ToxicityParameter]:
    """Read the exponent table (``*`` is the default for CPAs without their own row).

    Raises:
        ValidationError: a missing column, unknown parameter, bad value or repeated solute.
    """
    path = Path(path)
    table: dict[str, ToxicityParameter] = {}
    for where, row in read_table(path, TOXICITY_COLUMNS):
        if row["parameter"].strip() != "exponent_alpha":
            raise ValidationError(f"{where}: unknown parameter {row['parameter']!r}")
        value = float(row["value"])
        if not (math.isfinite(value) and value > 0):
            raise ValidationError(f"{where}: the exponent must be > 0")
        if row["provenance"].strip() not in PROVENANCES:
            raise ValidationError(f"{where}: unknown provenance {row['provenance']!r}")
        key = row["solute"].strip().casefold()
        if key in table:
            raise ValidationError(f"{where}: {row['solute']!r} appears twice")
        table[key] = ToxicityParameter(
            solute=row["solute"].strip(),
            exponent=value,
            source=row["source"].strip(),
            provenance=row["provenance"].strip(),
            verified=row["verified"].strip().lower() == "true",
        )
    if DEFAULT_KEY not in table:
        raise ValidationError(f"{path.name}: a default row (solute '*') is required")
    return table


@lru_cache(maxsize=1)
def _table() -> dict[str, ToxicityParameter]:
    return load_toxicity_table(TOXICITY_TABLE)


def toxicity_parameter(solute: str) -> ToxicityParameter:
    """The exponent for ``solute``: its own row, else the default row."""
    table = _table()
    return table.get(solute.strip().casefold(), table[DEFAULT_KEY])


def _unit(exponents: dict[str, float]) -> str:
    values = sorted(set(exponents.values()))
    if len(values) == 1:
        return f"(mol/kg)^{values[0]:g}·s"
    return "sum of (mol/kg)^alpha_i·s terms (alpha per CPA)"


def toxicity_cost(trajectory: Trajectory, *, solutes: Sequence[str] | None = None) -> ToxicityCost:
    """The cumulative toxicity cost of a simulated protocol.

    Args:
        trajectory: from :func:`cryoprotect.science.transport.simulate`.
        solutes: the CPAs to count (default: every permeating solute of the trajectory).

    Returns:
        J in total and per CPA, with the exponents and their sources.

    Raises:
        ValidationError: a requested solute is not in the trajectory.
    """
    names = list(trajectory.intracellular_molality) if solutes is None else list(solutes)
    unknown = [n for n in names if n not in trajectory.intracellular_molality]
    if unknown:
        raise ValidationError(
            f"not a permeating solute of this trajectory: {unknown}", field="solutes"
        )
    per_solute: dict[str, float] = {}
    exponents: dict[str, float] = {}
    sources: dict[str, str] = {}
    for name in names:
        parameter = toxicity_parameter(name)
        molality = np.maximum(trajectory.intracellular_molality[name], 0.0)
        per_solute[name] = float(trapezoid(molality**parameter.exponent, trajectory.time_s))
        exponents[name] = parameter.exponent
        sources[name] = parameter.source
    return ToxicityCost(
        total=float(sum(per_solute.values())),
        per_solute=per_solute,
        unit=_unit(exponents) if exponents else "(mol/kg)^alpha·s",
        method=METHOD,
        sources=sources,
        exponent=exponents,
    )
