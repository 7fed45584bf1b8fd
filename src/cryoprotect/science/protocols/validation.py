"""Checks of a design request: target molalities, temperatures, limits, step options."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Required, TypedDict, cast

from cryoprotect.errors import InfeasibleProtocolError, ValidationError
from cryoprotect.science.cells import CellType
from cryoprotect.science.protocols.definitions import MAX_TARGET_MOL_PER_KG, Limits
from cryoprotect.science.records import fields_dict
from cryoprotect.science.transport import (
    MAX_TEMPERATURE_C,
    isotonic_carrier,
    melting_guard,
)

# --- validation -----------------------------------------------------------------------------


def _check_target(cell: CellType, target: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(target, Mapping) or not target:
        raise ValidationError("the target needs at least one CPA", field="target.components")
    result: dict[str, float] = {}
    for name, value in target.items():
        permeability = cell.known_permeability(
            name,
            field="target.components",
            advice="add it to the cell type or choose a CPA it has one for",
        )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValidationError(f"molality of {name} must be a number", field="target.components")
        if not 0 < value <= MAX_TARGET_MOL_PER_KG:
            raise ValidationError(
                f"molality of {name} must be in (0, {MAX_TARGET_MOL_PER_KG:g}] mol/kg",
                field="target.components",
            )
        if permeability.solute in result:
            raise ValidationError(f"{name} is listed twice", field="target.components")
        result[permeability.solute] = float(value)
    return result


def _check_temperature(value: float, carrier: Mapping[str, float], where: str) -> None:
    """The temperature must lie between the carrier's melting point and 45 °C.

    The melting point is the one :mod:`~cryoprotect.science.thermo_validity` stands behind
    (:func:`~cryoprotect.science.transport.melting_guard`); where it gives none, the bound it
    gives is used, and without one only temperatures ≥ 0 °C (where no aqueous solution
    freezes) are accepted.
    """
    guard = melting_guard(carrier)
    if guard.melting_point_c is not None:
        floor, what = guard.melting_point_c, "the carrier's melting point"
    elif guard.upper_bound_c is not None:
        floor, what = guard.upper_bound_c, "the bound on the carrier's melting point"
    else:
        floor, what = 0.0, "0 °C (the carrier's melting point is unknown)"
    if not (math.isfinite(value) and floor <= value <= MAX_TEMPERATURE_C):
        raise ValidationError(
            f"temperature must be between {what} ({floor:.2f} °C) and {MAX_TEMPERATURE_C:g} °C",
            field=where,
        )


def _check_limits(limits: Limits) -> None:
    for name in ("min_volume_fraction", "max_volume_fraction"):
        value = getattr(limits, name)
        if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
            raise ValidationError(
                f"{name} must be a positive number", field=f"osmotic_limits.{name}"
            )
    if limits.min_volume_fraction >= limits.max_volume_fraction:
        raise ValidationError(
            "min_volume_fraction must be below max_volume_fraction",
            field="osmotic_limits.min_volume_fraction",
        )
    # Every protocol starts (and ends) at the isotonic volume, so the trajectory's minimum is
    # at most 1 and its maximum at least 1: the limits must bracket 1 with room to move.
    if limits.min_volume_fraction >= 1.0:
        raise InfeasibleProtocolError(
            f"min_volume_fraction {limits.min_volume_fraction:g} is not below the isotonic volume "
            "(1.0), where every protocol starts and ends",
            details={
                "constraint": "min_volume_fraction",
                "limit": limits.min_volume_fraction,
                "best_achievable": 1.0,
                "phase": "addition",
            },
        )
    if limits.max_volume_fraction <= 1.0:
        raise InfeasibleProtocolError(
            f"max_volume_fraction {limits.max_volume_fraction:g} is not above the isotonic volume "
            "(1.0), where every protocol starts and ends",
            details={
                "constraint": "max_volume_fraction",
                "limit": limits.max_volume_fraction,
                "best_achievable": 1.0,
                "phase": "addition",
            },
        )


def check_limits(limits: Limits) -> None:
    """Public form of the limits check (ValidationError / InfeasibleProtocolError)."""
    _check_limits(limits)


def check_temperature(value: float, carrier: Mapping[str, float], where: str) -> None:
    """Public form of the temperature check (ValidationError naming ``where``)."""
    _check_temperature(value, carrier, where)


# --- step options ---------------------------------------------------------------------------


class StepOptions(TypedDict, total=False):
    """The step-design options :func:`~cryoprotect.science.protocols.design_protocol`,
    :func:`~cryoprotect.science.protocols.steps.design_steps` and the cocktail designer
    share, by keyword (see ``design_protocol``'s Args; :func:`check_step_options` holds the
    defaults but ``max_steps``'s)."""

    temperature_c: Required[float]
    limits: Limits | None
    removal_temperature_c: float | None
    max_steps: int
    allow_osmotic_buffer: bool
    equilibration: float
    min_carrier_fraction: float


def check_keywords(options: Mapping[str, Any], known: type) -> None:
    """Raises TypeError for a key of ``options`` that the TypedDict ``known`` does not name
    (as a misspelt keyword argument would: a programming error)."""
    names = known.__required_keys__ | known.__optional_keys__  # type: ignore[attr-defined]
    unknown = set(options) - names
    if unknown:
        raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")


@dataclass(frozen=True)
class StepSettings:
    """:class:`StepOptions` checked, with their defaults and the cell's isotonic carrier."""

    temperature_c: float
    removal_temperature_c: float
    carrier: dict[str, float]
    limits: Limits
    max_steps: int
    allow_osmotic_buffer: bool
    equilibration: float
    min_carrier_fraction: float

    def as_options(self, **changed: Any) -> StepOptions:
        """The options that give these settings (the carrier follows from the cell), with
        ``changed`` replacing some."""
        options = fields_dict(self, **changed)
        del options["carrier"]
        return cast(StepOptions, options)


def check_step_options(cell: CellType, options: StepOptions, max_steps: int) -> StepSettings:
    """The step options checked in this order: limits (default: the cell's own), max_steps
    (default: ``max_steps``), equilibration, min_carrier_fraction, the addition and removal
    temperatures (removal default: the addition one).

    Raises:
        ValidationError: a bad option (field named); InfeasibleProtocolError: limits that
            do not bracket the isotonic volume.
    """
    limits = options.get("limits") or Limits.of(cell)
    _check_limits(limits)
    steps = options.get("max_steps", max_steps)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 8:
        raise ValidationError("max_steps must be an integer from 1 to 8", field="max_steps")
    equilibration = options.get("equilibration", 0.95)
    if not (math.isfinite(equilibration) and 0.5 <= equilibration < 1.0):
        raise ValidationError("equilibration must be in [0.5, 1)", field="equilibration")
    min_carrier_fraction = options.get("min_carrier_fraction", 0.0)
    if not (math.isfinite(min_carrier_fraction) and 0.0 <= min_carrier_fraction <= 1.0):
        raise ValidationError(
            "min_carrier_fraction must be in [0, 1]", field="min_carrier_fraction"
        )
    carrier = isotonic_carrier(cell)
    temperature_c = options["temperature_c"]
    _check_temperature(temperature_c, carrier, "temperature_c")
    removal_c = options.get("removal_temperature_c")
    removal_c = temperature_c if removal_c is None else removal_c
    _check_temperature(removal_c, carrier, "removal_temperature_c")
    return StepSettings(
        temperature_c=temperature_c,
        removal_temperature_c=removal_c,
        carrier=carrier,
        limits=limits,
        max_steps=steps,
        allow_osmotic_buffer=options.get("allow_osmotic_buffer", True),
        equilibration=equilibration,
        min_carrier_fraction=min_carrier_fraction,
    )
