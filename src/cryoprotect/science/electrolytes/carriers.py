"""Measured (or reported) osmolalities of carrier solutions and the agreement of a computed
value with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryoprotect.science.electrolytes.tables import MEASURED_CARRIER_TABLE
from cryoprotect.science.tables import optional_float, read_rows

# --- measured carrier osmolalities --------------------------------------------------------


@dataclass(frozen=True)
class MeasuredOsmolality:
    """A carrier's measured (or reported) osmolality, with its source."""

    carrier: str
    value_osmol_per_kg: float
    low_osmol_per_kg: float | None
    high_osmol_per_kg: float | None
    unit_reported: str
    method: str
    source: str
    provenance: str
    verified: bool


def measured_carrier_osmolalities() -> dict[str, MeasuredOsmolality]:
    """Carrier name (lower case) → measured osmolality (``params/measured_carrier_osmolality.csv``)."""
    return {
        row["carrier"].strip().lower(): MeasuredOsmolality(
            carrier=row["carrier"].strip(),
            value_osmol_per_kg=float(row["value_osmol_per_kg"]),
            low_osmol_per_kg=optional_float(row["low_osmol_per_kg"]),
            high_osmol_per_kg=optional_float(row["high_osmol_per_kg"]),
            unit_reported=row["unit_reported"].strip(),
            method=row["method"].strip(),
            source=row["source"].strip(),
            provenance=row["provenance"].strip(),
            verified=row["verified"].strip().lower() == "true",
        )
        for row in read_rows(MEASURED_CARRIER_TABLE, comments=True)
    }


CARRIER_TARGET_REL = 0.03
"""Issue 13's target: a carrier's osmolality within 3 % of its cited measurement."""


def agreement_with_cited(
    osmolality_osmol_per_kg: float,
    water_kg_per_litre: float,
    cited: MeasuredOsmolality,
) -> dict[str, Any]:
    """How a computed carrier osmolality compares with its cited value.

    A specified range (low and high given) is met when the value lies inside it; a single
    value reported per kg is compared directly, one reported per litre (``mOsm/L``) as the
    computed osmolarity (osmolality × kg water per litre of solution), since that is what
    it states.

    Args:
        osmolality_osmol_per_kg: the computed osmolality.
        water_kg_per_litre: kg of water per litre of the carrier (from its composition).
        cited: the cited value.

    Returns:
        basis, computed and cited numbers, relative error, and whether the target is met
        (inside the range, or within :data:`CARRIER_TARGET_REL`).
    """
    per_litre = cited.unit_reported.strip().lower().endswith("/l")
    computed = osmolality_osmol_per_kg * (water_kg_per_litre if per_litre else 1.0)
    relative = computed / cited.value_osmol_per_kg - 1.0
    if cited.low_osmol_per_kg is not None and cited.high_osmol_per_kg is not None:
        basis = "specification range"
        met = cited.low_osmol_per_kg <= computed <= cited.high_osmol_per_kg
    else:
        basis = "reported osmolarity (per litre)" if per_litre else "measured osmolality"
        met = abs(relative) <= CARRIER_TARGET_REL
    return {
        "basis": basis,
        "computed": computed,
        "cited": cited.value_osmol_per_kg,
        "low": cited.low_osmol_per_kg,
        "high": cited.high_osmol_per_kg,
        "unit": "osmol/L" if per_litre else "osmol/kg",
        "relative_error": relative,
        "target_met": bool(met),
        "cited_provenance": cited.provenance,
        "cited_verified": cited.verified,
        "source": cited.source,
    }
