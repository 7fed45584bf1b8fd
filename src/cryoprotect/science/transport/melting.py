"""The melting-point guard: a step below the freezing point of its own solution (or of the
cell's contents) is refused rather than simulated as if the cell were liquid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryoprotect.errors import InvalidCompositionError, OutOfDomainError
from cryoprotect.science import composition, thermo, thermo_validity
from cryoprotect.science.transport.state import ZERO_CELSIUS_K, Step


@dataclass(frozen=True)
class MeltingGuard:
    """What may be said of a solution's ice melting point, for the "not frozen" guard.

    Attributes:
        melting_point_c: the model's value where it is validated (else ``None``).
        upper_bound_c: the highest temperature at which ice (or a crystallising solute) may
            form, when the value cannot be given (else ``None``).
        status: the validity status (:mod:`cryoprotect.science.thermo_validity`).
        reason: "unknown, because …" when the value cannot be given.
    """

    melting_point_c: float | None
    upper_bound_c: float | None
    status: str
    reason: str | None


@lru_cache(maxsize=4096)
def _melting_guard_cached(solutes: tuple[tuple[str, float], ...]) -> MeltingGuard:
    return _melting_guard(dict(solutes), None)


def _molar_mass(name: str) -> float | None:
    try:
        found = composition.get_solute(name)
    except InvalidCompositionError:
        return None
    return None if found is None else found.molar_mass_g_per_mol


def _melting_guard(
    solutes: Mapping[str, float], parameters: Mapping[str, thermo.VirialParameters] | None
) -> MeltingGuard:
    present = {n: float(v) for n, v in solutes.items() if v > 0.0}
    if not present:
        return MeltingGuard(0.0, None, "within_range", None)
    answer = thermo_validity.assess(
        list(present.values()),
        list(present),
        [_molar_mass(n) for n in present],
        parameters=parameters,
    ).melting_point[0]
    if answer.value is not None:
        return MeltingGuard(float(answer.value) - ZERO_CELSIUS_K, None, answer.status, None)
    bound = answer.bound
    bounds: list[float | None]
    if answer.status in ("solute_crystallises", "eutectic_region"):
        # An ice bound says nothing of the solute crystallising: only a published solute
        # liquidus bounds where the solution is liquid.
        solute = bound is not None and bound.quantity == "solute_liquidus"
        bounds = [bound.value, bound.value_high] if solute and bound is not None else []
    else:
        bounds = [answer.ice_upper_bound_c]
        if bound is not None and bound.unit == "°C":
            bounds += [bound.value, bound.value_high]
    known = [float(b) for b in bounds if b is not None]
    return MeltingGuard(None, max(known) if known else None, answer.status, answer.reason)


def melting_guard(
    solutes: Mapping[str, float],
    *,
    osmotic_parameters: Mapping[str, thermo.VirialParameters] | None = None,
) -> MeltingGuard:
    """The melting point of a solution as far as we stand behind it.

    Uses :func:`cryoprotect.science.thermo_validity.assess`: its value where the model is
    validated; otherwise no value, the reason, and the highest of the bounds it gives (the
    upper bound on the ice melting point, a published solute liquidus).

    Args:
        solutes: molality per solute name, mol/kg water.
        osmotic_parameters: virial table (default: the shipped one).
    """
    if osmotic_parameters is None:
        key = tuple(sorted((n, round(float(v), 12)) for n, v in solutes.items()))
        return _melting_guard_cached(key)
    return _melting_guard(solutes, osmotic_parameters)


def _check_not_frozen(
    step: Step, index: int, parameters: Mapping[str, thermo.VirialParameters] | None
) -> None:
    """Refuse a step whose solution may be frozen (or crystallising) at its temperature.

    Every aqueous solution melts at or below 0 °C (solutes lower the water activity), so a
    step at ≥ 0 °C needs no model number. Below 0 °C the melting point is used only where
    :mod:`~cryoprotect.science.thermo_validity` stands behind it; elsewhere the step is
    accepted only above the bound it gives, and otherwise refused with its reason.
    """
    if step.temperature_c >= 0.0:
        return
    guard = melting_guard(step.solutes, osmotic_parameters=parameters)
    where = f"steps[{index}].temperature_c"
    if guard.melting_point_c is not None:
        if step.temperature_c < guard.melting_point_c - 1e-9:
            raise OutOfDomainError(
                f"step {index}: at {step.temperature_c:g} °C the solution (melting point "
                f"{guard.melting_point_c:.2f} °C) would freeze; the transport model covers "
                "unfrozen solutions only",
                details={"field": where, "melting_point_c": guard.melting_point_c},
            )
        return
    if guard.upper_bound_c is not None and step.temperature_c >= guard.upper_bound_c:
        return
    bound = (
        ""
        if guard.upper_bound_c is None
        else f" (it may freeze below {guard.upper_bound_c:.2f} °C)"
    )
    raise OutOfDomainError(
        f"step {index}: whether the solution is liquid at {step.temperature_c:g} °C is unknown"
        f"{bound}, because {guard.reason}; the transport model covers unfrozen solutions only",
        details={
            "field": where,
            "melting_point_c": None,
            "upper_bound_c": guard.upper_bound_c,
            "status": guard.status,
        },
    )
