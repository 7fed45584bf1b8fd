"""Name → component registries for the ML core (featurizers, algorithms).

A saved model names its featurizer and its algorithm; loading it looks the names up here
(chemprop's ``utils/registry.py`` pattern). An unknown name is a
:class:`~cryoprotect.errors.ValidationError` that lists the names that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from cryoprotect.errors import ValidationError

T = TypeVar("T")


class Registry(Generic[T]):
    """A dictionary of named components of one kind.

    Args:
        kind: what is registered (``"featurizer"``, ``"algorithm"``), used in messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        """Register ``item`` under ``name`` (names are unique and case-sensitive)."""
        if not name or name != name.strip():
            raise ValueError(f"a {self.kind} name must be a non-empty stripped string")
        if name in self._items and self._items[name] is not item:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`."""

        def decorate(item: T) -> T:
            return self.add(name, item)

        return decorate

    def remove(self, name: str) -> None:
        """Unregister ``name`` (for tests and plugins); unknown names are ignored."""
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        """The component called ``name``.

        Raises:
            ValidationError: no component has that name (the known names are listed).
        """
        try:
            return self._items[name]
        except KeyError:
            raise ValidationError(
                f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}",
                field=self.kind,
            ) from None

    def names(self) -> tuple[str, ...]:
        """Registered names, sorted."""
        return tuple(sorted(self._items))

    def __contains__(self, name: object) -> bool:
        return name in self._items
