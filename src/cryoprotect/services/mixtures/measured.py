"""Measured beside model (issue 18, "Comparisons"): for a saved mixture's computed
properties, the published measurements of the same solution — the CRC Handbook's freezing
points of a binary aqueous solution at the mixture's mass percent, and the measured
properties of a named literature solution — each beside the model's answer (with its
status, reason and bound when the model gives no number), the difference, and whether the
two disagree beyond the uncertainty the model and the measurement state.

A model value outside its validated range is never made up here: the entry keeps the
model's ``null`` with its "unknown, because …" reason, and checks the measurement against
the bound that still holds instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from cryoprotect.science import thermo
from cryoprotect.services.common import record_from
from cryoprotect.services.mixtures.records import MixtureProperties

# A CRC row counts as "at" the mixture's concentration within this many % w/w (the table
# gives mass percents to 0.1 % w/w at best).
TABULATED_TOLERANCE_PERCENT = 0.05
# Interpolate linearly between two tabulated measured points only when they are this close
# (the CRC table steps by 0.5–2 % w/w below 40 % w/w); wider gaps give no measured value.
MAX_INTERPOLATION_GAP_PERCENT = 2.0

# Measured critical rates are set beside vitrification's answer for the same composition
# (published binary data, null with a bound outside it); both in °C/min.
RATE_PROPERTIES = ("critical_cooling_rate", "critical_warming_rate")
RATE_UNITS = ("degC/min", "°C/min")

FIT_UNCERTAINTY = (
    "root-mean-square residual of these coefficients' fit to the published freezing points "
    "(osmotic_virial_fits.json)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MixtureComparison(MixtureProperties):
    """A mixture's properties with its measured values beside the model's (compare view)."""

    measured_vs_model: list[dict[str, Any]]

    @classmethod
    def of(cls, properties: MixtureProperties) -> MixtureComparison:  # type: ignore[override]
        return record_from(cls, properties, measured_vs_model=measured_beside_model(properties))


@lru_cache(maxsize=1)
def _fits() -> dict[str, dict[str, Any]]:
    """Our own virial fits by solute name (their coefficients and in-sample RMSE)."""
    data = json.loads(thermo.FITS_JSON.read_text(encoding="utf-8"))
    return {f["solute"]: f for f in data.get("fits", [])}


def _library_to_crc(name: str) -> str:
    for crc, library in thermo.CRC_NAME_TO_LIBRARY.items():
        if library == name:
            return crc
    return name


def fit_uncertainty_c(parameter: dict[str, Any]) -> float | None:
    """The melting-point uncertainty the model states for one solute's coefficients: the
    RMSE (°C) of our fit when these are exactly the fitted coefficients, else ``None``."""
    fit = _fits().get(str(parameter.get("parameter_set")))
    if fit is None:
        return None
    same = all(
        isinstance(parameter.get(k), int | float)
        and math.isclose(float(parameter[k]), float(fit.get(k, math.nan)), abs_tol=1e-9)
        for k in ("B_kg_per_mol", "C_kg2_per_mol2")
    )
    return float(fit["rmse_c"]) if same else None


def crc_melting_point(solute: str, mass_percent: float) -> dict[str, Any] | None:
    """The CRC Handbook's measured melting point of ``solute`` in water at ``mass_percent``
    (% w/w): a tabulated point, or linear interpolation between two close tabulated points
    (said so in ``basis``); ``None`` when the table has nothing that close."""
    series = thermo.measured_freezing_points(_library_to_crc(solute))
    if series is None or not math.isfinite(mass_percent):
        return None
    w = np.asarray(series.mass_percent, dtype=np.float64)
    tm = -np.asarray(series.delta_t_c, dtype=np.float64)
    nearest = int(np.argmin(np.abs(w - mass_percent)))
    base = {"unit": "°C", "uncertainty": None, "source": thermo.CRC_SOURCE}
    base |= {"provenance": "measured", "kind": "literature"}
    if abs(w[nearest] - mass_percent) <= TABULATED_TOLERANCE_PERCENT:
        value = float(tm[nearest])
        decimals = series.delta_t_decimals[nearest] if series.delta_t_decimals else None
        basis = f"tabulated at {w[nearest]:g} % w/w"
        return {**base, "value": value, "published_decimals": decimals, "basis": basis}
    below, above = w[w < mass_percent], w[w > mass_percent]
    if not below.size or not above.size:
        return None
    lo, hi = int(np.flatnonzero(w == below.max())[0]), int(np.flatnonzero(w == above.min())[0])
    if w[hi] - w[lo] > MAX_INTERPOLATION_GAP_PERCENT:
        return None
    value = float(np.interp(mass_percent, [w[lo], w[hi]], [tm[lo], tm[hi]]))
    basis = f"interpolated linearly between the tabulated points at {w[lo]:g} and {w[hi]:g} % w/w"
    # An interpolated value was never published: no published precision.
    return {**base, "value": value, "published_decimals": None, "basis": basis}


def _bound_holds(bound: dict[str, Any] | None, measured: float) -> bool | None:
    """Whether a measured value respects the bound the model still gives (None: no bound)."""
    if not bound:
        return None
    relation, high = bound.get("relation"), bound.get("value_high")
    value = bound.get("value", bound.get("value_c_per_min"))  # rate bounds name it so
    if not isinstance(value, int | float):
        return None
    if relation in ("below", "at_or_below"):
        return measured <= value
    if relation == "above":
        return measured >= value
    if relation == "between" and isinstance(high, int | float):
        return value <= measured <= high
    return None


def compared(
    model: dict[str, Any], measured: dict[str, Any], *, reference: float | None
) -> dict[str, Any]:
    """One property's model answer beside one measurement: difference (model − measured),
    relative difference (to ``reference``, the measured magnitude it is read against) and
    whether they disagree beyond the stated uncertainties (None when none is stated)."""
    value, m = model.get("value"), float(measured["value"])
    if not isinstance(value, int | float):
        holds = _bound_holds(model.get("bound"), m)
        return {
            "difference": None,
            "relative_difference": None,
            "bound_holds": holds,
            "disagrees": None if holds is None else not holds,
        }
    diff = float(value) - m
    stated = [u for u in (model.get("uncertainty"), measured.get("uncertainty")) if u is not None]
    tolerance = math.hypot(*stated) if stated else None
    relative = diff / abs(reference) if reference else None
    return {
        "difference": diff,
        "relative_difference": relative,
        "bound_holds": None,
        "disagrees": None if tolerance is None else abs(diff) > tolerance,
        "tolerance": tolerance,
    }


def _melting_point_entry(props: MixtureProperties) -> dict[str, Any] | None:
    solutes = list(props.composition.get("solutes") or [])
    if len(solutes) != 1:  # the CRC table holds binary aqueous solutions only
        return None
    mass_percent = (props.composition.get("amounts") or {}).get("% w/w", [math.nan])[0]
    parameters = props.osmolality.get("parameters") or [{}]
    solute = str(parameters[0].get("parameter_set") or solutes[0])
    measured = crc_melting_point(solute, float(mass_percent))
    if measured is None:
        return None
    mp = props.melting_point
    uncertainty = fit_uncertainty_c(parameters[0])
    model = {
        "value": mp.get("value_c"),
        "uncertainty": uncertainty,
        "uncertainty_method": FIT_UNCERTAINTY if uncertainty is not None else None,
        **{k: mp.get(k) for k in ("status", "reason", "bound", "method", "provenance")},
        "within_range": mp.get("within_range"),
    }
    # Relative to the measured depression below pure water's 0 °C: a °C reading has no zero
    # a ratio could be taken against.
    figures = compared(model, measured, reference=measured["value"])
    return {
        "property": "melting_point",
        "label": "Melting point (ice)",
        "unit": "°C",
        "relative_to": "the measured freezing-point depression",
        "model": model,
        "measured": measured,
        **figures,
    }


def _named_entries(props: MixtureProperties) -> list[dict[str, Any]]:
    """Measured properties of a named literature solution: beside the measured glass
    transition the model's Tg, beside measured critical rates the vitrification answer; other
    measured properties have no model counterpart."""
    out = []
    for m in props.measurements:
        measured = {**m, "uncertainty": m.get("uncertainty"), "kind": "literature"}
        measured["basis"] = f"published for {props.name}"
        if m.get("property") == "glass_transition_temperature" and m.get("unit") == "K":
            tg = props.glass_transition
            reason = (
                None if tg.get("value_k") is not None else "unknown, because parameters are missing"
            )
            model = {
                "value": tg.get("value_k"),
                "uncertainty": None,
                "uncertainty_method": None,
                "status": "model",
                "reason": reason,
                "bound": None,
                "method": tg.get("method"),
                "provenance": "model",
            }
            figures = compared(model, measured, reference=float(m["value"]))
        elif m.get("property") in RATE_PROPERTIES and m.get("unit") in RATE_UNITS:
            rate = props.vitrification.get(m["property"]) or {}
            model = {
                **{k: rate.get(k) for k in ("value", "status", "reason", "bound", "method")},
                "provenance": rate.get("provenance"),
                "uncertainty": None,
                "uncertainty_method": None,
            }
            figures = compared(model, measured, reference=float(m["value"]))
        else:
            model = {"value": None, "status": "no_model", "bound": None, "uncertainty": None}
            model["reason"] = "no model computes this property; only the measurement is shown"
            figures = {"difference": None, "relative_difference": None, "disagrees": None}
        out.append(
            {
                "property": m.get("property"),
                "label": str(m.get("property", "")).replace("_", " ").capitalize(),
                "unit": m.get("unit"),
                "relative_to": "the measured value",
                "model": model,
                "measured": measured,
                **figures,
            }
        )
    return out


def measured_beside_model(props: MixtureProperties) -> list[dict[str, Any]]:
    """Every published measurement of this mixture's solution beside the model's answer."""
    melting = _melting_point_entry(props)
    return ([melting] if melting else []) + _named_entries(props)
