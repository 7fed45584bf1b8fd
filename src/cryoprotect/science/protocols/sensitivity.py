"""How a designed protocol fares across the published ranges of the cell's parameters
(:func:`sensitivity_band`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryoprotect.errors import OutOfDomainError
from cryoprotect.science.cells import CellType, ParameterRange, with_parameter
from cryoprotect.science.protocols.definitions import Limits
from cryoprotect.science.transport import (
    Step,
    summarize,
)

# --- sensitivity to the published parameter ranges --------------------------------------------

SENSITIVITY_METHOD = (
    "one parameter at a time: the designed steps (unchanged) re-simulated with the cell's "
    "Lp, each Ps (and carrier half-saturation K) and the inactive volume fraction set to the "
    "low and the high end of its published range, all else as shipped "
    "(transport.summarize, extrema located on the interpolant); the band is the envelope of "
    "the minimum and maximum V/V_iso over these cases and the nominal design"
)
_TOLERANCE = 1e-9


def sensitivity_band(
    cell: CellType,
    addition: Sequence[Step],
    removal: Sequence[Step],
    ranges: Sequence[ParameterRange],
    *,
    limits: Limits,
    nominal: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """How the volume excursion of a protocol moves over the cell's published parameter ranges.

    Each parameter with a published spread is set to the low and to the high end of its
    range in turn (the others as shipped) and the same steps are re-simulated.

    Args:
        cell: the cell type as shipped.
        addition: the protocol's addition steps.
        removal: its removal steps.
        ranges: published ranges (:func:`cryoprotect.science.cells.parameter_ranges`).
        limits: the osmotic tolerance limits judged against.
        nominal: (min, max) V/V_iso of the protocol with the shipped parameters (computed
            if not given).

    Returns:
        JSON-ready dict: ``parameter_ranges`` (each with its source, ``spread`` and the
        ``low``/``high`` cases: value, min and max volume fraction, within limits),
        ``min_volume_fraction`` and ``max_volume_fraction`` as ``[lowest, highest]`` over
        the cases, ``limits_respected_at_extremes``, ``not_varied`` (parameters published
        without spread) and ``status``. Without any range with a spread the band is
        unknown: ``status = "no_published_range"``, the volume fields and
        ``limits_respected_at_extremes`` are ``None`` and ``reason`` says why.
    """
    steps = [*addition, *removal]
    if nominal is None:
        summary = summarize(cell, steps)
        nominal = (summary.min_volume_fraction, summary.max_volume_fraction)
    present = {name.casefold() for step in steps for name in step.solutes}
    ranges = [r for r in ranges if not r.solute or r.solute.casefold() in present]
    varied = [r for r in ranges if r.spread]
    out: dict[str, Any] = {
        "method": SENSITIVITY_METHOD,
        "nominal": {"min_volume_fraction": nominal[0], "max_volume_fraction": nominal[1]},
        "limits": limits.as_dict(),
        "parameter_ranges": [],
        "not_varied": [r.name for r in ranges if not r.spread],
    }
    if not varied:
        reason = (
            "no published range is recorded for this cell type's parameters"
            if not ranges
            else "every recorded parameter has a single published value without a spread"
        )
        return {
            **out,
            "status": "no_published_range",
            "reason": f"unknown, because {reason}",
            "min_volume_fraction": None,
            "max_volume_fraction": None,
            "limits_respected_at_extremes": None,
        }
    lows, highs = [nominal[0]], [nominal[1]]
    respected = True
    for r in varied:
        entry = r.as_dict()
        entry["name"] = r.name
        for end, value in (("low", r.low), ("high", r.high)):
            case = _sensitivity_case(cell, steps, r, value, limits)
            entry[f"{end}_case"] = case
            if case["min_volume_fraction"] is None:
                respected = False
                continue
            lows.append(case["min_volume_fraction"])
            highs.append(case["max_volume_fraction"])
            respected = respected and bool(case["within_limits"])
        out["parameter_ranges"].append(entry)
    return {
        **out,
        "status": "ok",
        "reason": None,
        "min_volume_fraction": [min(lows), max(lows)],
        "max_volume_fraction": [min(highs), max(highs)],
        "limits_respected_at_extremes": respected,
    }


def _sensitivity_case(
    cell: CellType, steps: Sequence[Step], r: ParameterRange, value: float, limits: Limits
) -> dict[str, Any]:
    varied = with_parameter(cell, r.parameter, r.solute, value)
    try:
        summary = summarize(varied, steps)
    except OutOfDomainError as exc:
        return {
            "value": value,
            "min_volume_fraction": None,
            "max_volume_fraction": None,
            "within_limits": None,
            "error": str(exc),
        }
    low, high = summary.min_volume_fraction, summary.max_volume_fraction
    within = (
        low >= limits.min_volume_fraction - _TOLERANCE
        and high <= limits.max_volume_fraction + _TOLERANCE
    )
    return {
        "value": value,
        "min_volume_fraction": low,
        "max_volume_fraction": high,
        "within_limits": within,
        "error": None,
    }
