"""The columns every user-owned row shows as they are: who owns it, in which scope, when.

Records of owned rows (experiments, cell types, protocols, …) extend :class:`OwnedRecord`
and take the five columns with ``**owned_columns(row)`` instead of naming them again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryoprotect.db.models.base import Owned


@dataclass(frozen=True, slots=True)
class OwnedRecord:
    """The owner, scope and timestamps of a record of a user-owned row."""

    visibility: str
    team_id: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


def owned_columns(row: Owned) -> dict[str, Any]:
    """``visibility``, ``team_id``, ``created_by``, ``created_at`` and ``updated_at`` of ``row``."""
    return {
        "visibility": row.visibility,
        "team_id": row.team_id,
        "created_by": row.created_by,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
