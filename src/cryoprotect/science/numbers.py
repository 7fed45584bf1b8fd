"""Checking a user-supplied scalar: a real, finite number (not a bool)."""

from __future__ import annotations

import math

from cryoprotect.errors import ValidationError

__all__ = ["finite_number"]


def finite_number(value: object, name: str, where: str, *, finite: str = "finite") -> float:
    """``value`` as a float.

    Args:
        value: the input (an int or a float; a bool is refused).
        name: how the message names it.
        where: the field named in the error.
        finite: how the message words a NaN or infinite value's fault (``"<name> must be
            <finite>"``).

    Raises:
        ValidationError: ``"<name> must be a number"`` for anything else than an int or a
            float, ``"<name> must be <finite>"`` for NaN or ±inf.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number", field=where)
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{name} must be {finite}", field=where)
    return number
