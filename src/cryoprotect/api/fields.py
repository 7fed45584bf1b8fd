"""Field helpers shared by the API's marshmallow schemas.

``Text``, ``Len`` and ``Float`` are the short names the schema modules declare their
fields with; :func:`dicts` and :func:`floats` are the required lists of JSON objects and
of nullable numbers that responses carry (rows with their sources, curve points).
"""

from __future__ import annotations

import dataclasses
import typing
import uuid
from datetime import datetime
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


#: The field of each plain type a record holds.
_FIELD_OF_TYPE: dict[Any, type[ma.fields.Field[Any]]] = {
    uuid.UUID: ma.fields.UUID,
    str: ma.fields.String,
    bool: ma.fields.Boolean,
    int: ma.fields.Integer,
    float: ma.fields.Float,
    datetime: ma.fields.DateTime,
    dict: ma.fields.Dict,
}


def record_schema(
    record: type[Any], name: str, /, **given: str | ma.fields.Field[Any]
) -> type[ma.Schema]:
    """The response schema ``name`` of a service's ``record`` (a dataclass): one field per
    attribute, in the record's order, of the attribute's type, ``required`` or (``X | None``)
    nullable. ``given`` names a field's description, or the whole field where the type alone
    does not say it (lists, nested records).

    The record is the one place a resource's shape is written; the schema follows it.
    """
    hints = typing.get_type_hints(record)
    fields: dict[str, Any] = {}
    for attribute in dataclasses.fields(record):
        field = given.get(attribute.name)
        if isinstance(field, ma.fields.Field):
            fields[attribute.name] = field
            continue
        kind = hints[attribute.name]
        nullable = type(None) in typing.get_args(kind)
        if nullable:
            (kind,) = (a for a in typing.get_args(kind) if a is not type(None))
        options: dict[str, Any] = {"allow_none": True} if nullable else {"required": True}
        field_class = _FIELD_OF_TYPE[typing.get_origin(kind) or kind]
        fields[attribute.name] = field_class(**options, metadata=described(field))
    unknown = set(given) - set(fields)
    if unknown:
        raise TypeError(f"{record.__name__} has no attribute {sorted(unknown)[0]!r}")
    return type(name, (ma.Schema,), fields)
