"""Checking the array inputs of the vectorised science functions."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cryoprotect.errors import ValidationError

__all__ = ["per_component"]


def per_component(
    values: ArrayLike, n: int, *, what: str, field: str, count: str = "n_solutes"
) -> NDArray[np.float64]:
    """One value per component: shape ``(n,)`` for one composition or ``(N, n)`` for N.

    Args:
        values: the input.
        n: the number of components.
        what: how the message names the input (``"molality"``).
        field: the input field named in the error.
        count: how the message names ``n`` (``"n_solutes"``, ``"n_salts"``).

    Raises:
        ValidationError: any other shape (finiteness and sign are the caller's to check).
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim not in (1, 2) or array.shape[-1] != n:
        raise ValidationError(
            f"{what} must have shape ({count},) or (N, {count}) with {count} = {n}; "
            f"got {array.shape}",
            field=field,
        )
    return array
