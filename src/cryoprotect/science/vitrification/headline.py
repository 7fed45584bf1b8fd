"""Which glass applies (:func:`headline_glass`): the homogeneous glass when there is evidence
the solution vitrifies without ice, otherwise the freeze-concentrated glass Tg′.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryoprotect.science.vitrification.freeze_concentrated import tg_prime
from cryoprotect.science.vitrification.rates import Verdict
from cryoprotect.science.vitrification.tables import Applies

# --- which glass applies ------------------------------------------------------------------


@dataclass(frozen=True)
class GlassHeadline:
    """The glass transition a user will see, with which glass it is and why.

    ``applies`` is ``homogeneous`` (the whole solution vitrifies without ice: Tg from the
    Gordon–Taylor model), ``freeze_concentrated`` (ice forms; the remaining phase vitrifies at
    Tg′, a published value) or ``unknown``. ``value_k`` is null when the glass that applies has
    no number we can stand behind; ``reason`` then says why.
    """

    applies: Applies
    why: str
    value_k: float | None
    method: str | None
    provenance: str | None
    verified: bool | None
    within_range: bool | None
    status: str
    reason: str | None = None
    spread_k: tuple[float, float] | None = None
    sources: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def no_data(
        cls, applies: Applies, why: str, reason: str, *, method: str | None = None
    ) -> GlassHeadline:
        """The glass that applies has no number we can stand behind; ``reason`` says why."""
        return cls(
            applies=applies,
            why=why,
            value_k=None,
            method=method,
            provenance=None,
            verified=None,
            within_range=None,
            status="no_data",
            reason=reason,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "applies": self.applies,
            "why": self.why,
            "value_k": self.value_k,
            "value_c": None if self.value_k is None else self.value_k - 273.15,
            "unit": "K",
            "method": self.method,
            "provenance": self.provenance,
            "verified": self.verified,
            "within_range": self.within_range,
            "status": self.status,
            "reason": self.reason,
            "spread_k": None if self.spread_k is None else list(self.spread_k),
            "sources": list(self.sources),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class SoluteGlassInput:
    """What the headline needs to know of one CPA in the solution."""

    name: str
    mass_fraction: float
    homogeneous_min: float | None = None
    homogeneous_min_source: str | None = None


def headline_glass(
    cpas: Sequence[SoluteGlassInput],
    *,
    tg_homogeneous_k: float | None,
    tg_method: str,
    tg_provenance: str | None,
    cooling: Verdict | None = None,
) -> GlassHeadline:
    """Decide which glass applies and give its value (or null with the reason).

    Args:
        cpas: the solution's CPAs (carrier solutes excluded) with their mass fractions and
            measured lowest ice-free concentration where recorded.
        tg_homogeneous_k: the Gordon–Taylor Tg of the whole solution (None when the
            parameters are missing).
        tg_method, tg_provenance: how that Tg was obtained.
        cooling: the cooling verdict, when a cooling rate was given.

    The homogeneous glass applies only with evidence that the solution vitrifies without ice
    (concentration at or above the measured ice-free minimum, or a cooling rate at least the
    critical cooling rate); otherwise ice is assumed to form and Tg′ applies.
    """
    present = [c for c in cpas if c.mass_fraction > 0.0]
    if not present:
        return GlassHeadline.no_data(
            "unknown",
            "the solution has no cryoprotectant",
            "unknown, because a solution without solute crystallises (ice) on cooling",
        )
    evidence = _ice_free_evidence(present, cooling)
    if evidence is not None:
        return _homogeneous(evidence, tg_homogeneous_k, tg_method, tg_provenance, present)
    if len(present) > 1:
        names = ", ".join(c.name for c in present)
        why = "no evidence that this multi-solute solution vitrifies without ice" + (
            "" if cooling else " (give a cooling rate to compare with its critical rate)"
        )
        return GlassHeadline.no_data(
            "unknown",
            why,
            (
                f"unknown, because the Tg′ of the freeze-concentrated phase of {names} together "
                f"is not published here and is not predicted from the binary values"
            ),
        )
    solute = present[0]
    published = tg_prime(solute.name)
    if published is None:
        return GlassHeadline.no_data(
            "freeze_concentrated",
            _ice_why(solute, cooling),
            f"unknown, because no published Tg′ of {solute.name} solutions is recorded",
        )
    wg = published.wg_prime_mass_fraction
    if wg is not None and solute.mass_fraction >= wg:
        return GlassHeadline.no_data(
            "unknown",
            (
                f"{solute.mass_fraction * 100:.4g} % w/w is at or above W′g "
                f"({wg * 100:.4g} % w/w) but no ice-free concentration is recorded"
            ),
            "unknown, because it is not recorded whether this solution forms ice",
        )
    warnings = []
    if solute.homogeneous_min is None:
        warnings.append(
            f"assumes ice forms on cooling: no measured ice-free concentration of {solute.name}"
            + ("" if cooling else " and no cooling rate given")
        )
    if not published.verified:
        warnings.append("a published Tg′ value was not checked against its source")
    return GlassHeadline(
        applies="freeze_concentrated",
        why=_ice_why(solute, cooling),
        value_k=published.value_k,
        method=published.method,
        provenance=published.provenance,
        verified=published.verified,
        within_range=True,
        status="within_range",
        spread_k=(published.low_k, published.high_k),
        sources=tuple(p.source for p in published.published),
        warnings=tuple(warnings),
    )


def _ice_free_evidence(present: Sequence[SoluteGlassInput], cooling: Verdict | None) -> str | None:
    if cooling is not None and cooling.outcome == "ice_free":
        return f"the solution vitrifies without ice at the stated cooling rate ({cooling.reason})"
    if len(present) == 1:
        c = present[0]
        if c.homogeneous_min is not None and c.mass_fraction >= c.homogeneous_min:
            return (
                f"{c.mass_fraction * 100:.4g} % w/w {c.name} is at or above "
                f"{c.homogeneous_min * 100:.4g} % w/w, the lowest concentration measured to "
                f"form an ice-free (homogeneous) glass on cooling ({c.homogeneous_min_source})"
            )
    return None


def _ice_why(solute: SoluteGlassInput, cooling: Verdict | None) -> str:
    if cooling is not None and cooling.outcome == "ice_forms":
        return f"ice forms on cooling: {cooling.reason}; the freeze-concentrated phase vitrifies"
    if solute.homogeneous_min is not None:
        return (
            f"{solute.mass_fraction * 100:.4g} % w/w {solute.name} is below "
            f"{solute.homogeneous_min * 100:.4g} % w/w, below which ice crystallises on cooling "
            f"({solute.homogeneous_min_source}); the freeze-concentrated phase vitrifies at Tg′"
        )
    return (
        "no evidence that the solution vitrifies without ice, so ice is taken to form and the "
        "freeze-concentrated phase to vitrify at Tg′"
    )


def _homogeneous(
    why: str,
    tg_k: float | None,
    method: str,
    provenance: str | None,
    present: Sequence[SoluteGlassInput],
) -> GlassHeadline:
    if tg_k is None or not math.isfinite(tg_k):
        return GlassHeadline.no_data(
            "homogeneous",
            why,
            (
                "unknown, because the Gordon–Taylor parameters (Tg and k with water) of "
                + ", ".join(c.name for c in present)
                + " are not all recorded"
            ),
            method=method,
        )
    in_range = all(
        c.homogeneous_min is not None and c.mass_fraction >= c.homogeneous_min for c in present
    )
    warnings = (
        ()
        if in_range
        else ("the Gordon–Taylor curve is not validated at this composition (range unknown)",)
    )
    return GlassHeadline(
        applies="homogeneous",
        why=why,
        value_k=tg_k,
        method=method,
        provenance=provenance,
        verified=None,
        within_range=True if in_range else None,
        status="within_range" if in_range else "range_unknown",
        warnings=warnings,
    )
