"""What an export holds before it is written: tables of typed cells with units in their
headers, and the metadata that says where the numbers came from.

A writer (:mod:`.writers`) turns an :class:`Export` into CSV or an Excel workbook; the
builders (:mod:`.builders`) make one from the records the services already return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

#: A cell: text, a number, a yes/no, a date or a timestamp, or empty.
Cell = str | int | float | bool | date | datetime | None

#: Characters that make a spreadsheet read a text cell as a formula (or run it through
#: DDE): a leading = + - @, and the tab and carriage return that can hide one (OWASP,
#: "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its ``label`` and, when every value shares one, its ``unit``."""

    label: str
    unit: str | None = None

    @property
    def header(self) -> str:
        """The header cell: ``"Label (unit)"``, or the label alone."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet of an export: a ``name`` (at most 31 characters, Excel's limit), its
    ``columns`` and its ``rows`` (one cell per column)."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def __post_init__(self) -> None:
        if len(self.name) > 31:
            raise ValueError(f"sheet name {self.name!r} is longer than 31 characters")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"{self.name}: a row has {len(row)} cells for {len(self.columns)} columns"
                )

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def table(name: str, columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> Table:
    """A :class:`Table` from any sequences (kept as tuples)."""
    return Table(name, tuple(columns), tuple(tuple(r) for r in rows))


@dataclass(frozen=True, slots=True)
class Obtained:
    """How a computed or recorded quantity of the export was obtained: its ``method``, its
    ``provenance`` (measured, fitted, estimated, …) and its ``source``."""

    quantity: str
    method: str
    provenance: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Export:
    """Everything one export file holds.

    ``tables[0]`` is the main table (the only one a CSV file holds); a workbook has a
    sheet per table and a metadata sheet with ``resource``, ``record_id``, ``title``,
    when and by whom it was exported and how each computed quantity was ``obtained``.
    """

    resource: str
    title: str
    record_id: str | None
    tables: tuple[Table, ...]
    obtained: tuple[Obtained, ...] = ()
    details: tuple[tuple[str, Cell], ...] = field(default=())

    @property
    def main(self) -> Table:
        return self.tables[0]


def text_cell(value: Any) -> str:
    """``value`` as text that no spreadsheet runs as a formula: text starting with one of
    :data:`FORMULA_PREFIXES` gets a leading apostrophe (what Excel itself shows for
    text typed with a quote prefix)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def number(value: Any) -> float | None:
    """A finite float, or None (missing values and NaN stay empty cells)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out and out not in (float("inf"), float("-inf")) else None


def joined(values: Iterable[Any], sep: str = "; ") -> str | None:
    """Non-empty values joined by ``sep``, or None when there are none."""
    parts = [str(v) for v in values if v not in (None, "")]
    return sep.join(parts) or None
