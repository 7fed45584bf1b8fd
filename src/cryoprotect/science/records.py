"""The JSON form shared by the science result records (dataclasses).

Most records serialise as their fields, in declaration order, with a few values made
JSON-ready (tuples as lists, mappings copied). :func:`fields_dict` writes that once;
:class:`FieldsAsDict` gives the records whose fields need no change their ``as_dict``.
The records whose JSON form names its keys in another order than the fields (or adds
computed ones, or leaves some out) list those keys once for :func:`keys_dict`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["FieldsAsDict", "field_keys", "fields_dict", "keys_dict"]


def fields_dict(record: object, /, **changed: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict keyed by field name, in declaration order.

    The values are the attributes themselves (no copy, no recursion, unlike
    :func:`dataclasses.asdict`), except those given in ``changed``, which replace them in place.

    Raises:
        TypeError: a key of ``changed`` is not a field (a programming error).
    """
    names = field_keys(record)
    unknown = set(changed) - set(names)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no fields {sorted(unknown)}")
    return keys_dict(record, names, **changed)


def field_keys(
    record: object, /, *, renamed: Mapping[str, str] | None = None, omit: Collection[str] = ()
) -> list[str]:
    """A dataclass's field names in declaration order, some ``renamed``, those in ``omit`` left out
    (the keys of a JSON form that follows the fields; give :func:`keys_dict` the renamed values).
    """
    renamed = renamed or {}
    names = [f.name for f in dataclasses.fields(cast("DataclassInstance", record))]
    return [renamed.get(name, name) for name in names if name not in omit]


def keys_dict(record: object, keys: Iterable[str], /, **values: Any) -> dict[str, Any]:
    """A record's JSON form with the given keys, in that order.

    Each value is ``values[key]`` where given, else the record's attribute of that name
    (a field or a property), as it is.

    Raises:
        TypeError: a key of ``values`` is not among ``keys`` (a programming error).
    """
    keys = tuple(keys)
    unknown = set(values) - set(keys)
    if unknown:
        raise TypeError(f"{type(record).__name__}: values for keys not listed {sorted(unknown)}")
    return {key: values[key] if key in values else getattr(record, key) for key in keys}


class FieldsAsDict:
    """Mixin for dataclasses whose JSON form is their fields, in order, as they are."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (keys are the field names, in declaration order)."""
        return fields_dict(self)
