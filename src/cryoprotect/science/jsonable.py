"""Any value the app computes or reads, as plain JSON (what JSONB columns, ``.eln`` archives
and model manifests hold): one conversion for the services and ``ml``."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON, recursively: mapping keys as text, tuples and numpy arrays as
    lists, numpy scalars unwrapped, non-finite floats None (JSON and PostgreSQL's JSONB have
    no NaN), UUIDs as text, dates and times in ISO 8601; anything else as it is."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
