"""science.jsonable: the one conversion to plain JSON the services and ml share."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, date, datetime

import numpy as np
import pytest

from cryoprotect.science.jsonable import jsonable

pytestmark = pytest.mark.unit


def test_nested_values_become_plain_json() -> None:
    row_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        1: (np.float64(2.5), np.int64(3), np.array([[1.0, math.nan]])),
        "id": row_id,
        "when": datetime(2026, 12, 6, 9, 30, tzinfo=UTC),
        "day": date(2026, 12, 6),
        "bad": [math.inf, -math.inf, np.float32(math.nan)],
        "kept": [True, None, "text", 7],
    }
    assert jsonable(value) == {
        "1": [2.5, 3, [[1.0, None]]],
        "id": "12345678-1234-5678-1234-567812345678",
        "when": "2026-12-06T09:30:00+00:00",
        "day": "2026-12-06",
        "bad": [None, None, None],
        "kept": [True, None, "text", 7],
    }
    # strict JSON (no NaN tokens) and numpy scalars unwrapped to Python types
    text = json.dumps(jsonable(value), allow_nan=False)
    assert type(jsonable(np.int64(3))) is int
    assert '"1": [2.5, 3, [[1.0, null]]]' in text
