"""Field helpers shared by the API's marshmallow schemas.

``Text``, ``Len`` and ``Float`` are the short names the schema modules declare their
fields with; :func:`dicts` and :func:`floats` are the required lists of JSON objects and
of nullable numbers that responses carry (rows with their sources, curve points).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from cryoprotect.db.models import VISIBILITIES

Text = ma.fields.String
Len = ma.validate.Length
Float = ma.fields.Float


def described(description: str | None) -> dict[str, str]:
    """A field's ``metadata``: the ``description`` when there is one."""
    return {} if description is None else {"description": description}


def dicts(description: str | None = None) -> ma.fields.List[Any]:
    """A required list of JSON objects (rows with their sources, as computed or stored)."""
    return ma.fields.List(ma.fields.Dict(), required=True, metadata=described(description))


def floats(description: str | None = None) -> ma.fields.List[Any]:
    """A required list of numbers, one per point, null where the number cannot be given."""
    return ma.fields.List(
        ma.fields.Float(allow_none=True), required=True, metadata=described(description)
    )


def new_visibility() -> ma.fields.String:
    """The visibility of a row being created: one of ``VISIBILITIES``, private unless asked."""
    return Text(load_default="private", validate=ma.validate.OneOf(VISIBILITIES))


def new_team_id() -> ma.fields.UUID:
    """The team of a row being created: none (a personal row) unless asked."""
    return ma.fields.UUID(load_default=None, allow_none=True)
