"""The JSON form shared by the science result records (dataclasses).

Most records serialise as their fields, in declaration order, with a few values made
JSON-ready (tuples as lists, mappings copied). :func:`fields_dict` writes that once;
:class:`FieldsAsDict` gives the records whose fields need no change their ``as_dict``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["FieldsAsDict", "fields_dict"]


def fields_dict(record: object, /, **changed: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict keyed by field name, in declaration order.

    The values are the attributes themselves (no copy, no recursion, unlike
    :func:`dataclasses.asdict`), except those given in ``changed``, which replace them in place.

    Raises:
        TypeError: a key of ``changed`` is not a field (a programming error).
    """
    names = [f.name for f in dataclasses.fields(cast("DataclassInstance", record))]
    unknown = set(changed) - set(names)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no fields {sorted(unknown)}")
    return {name: changed[name] if name in changed else getattr(record, name) for name in names}


class FieldsAsDict:
    """Mixin for dataclasses whose JSON form is their fields, in order, as they are."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (keys are the field names, in declaration order)."""
        return fields_dict(self)
