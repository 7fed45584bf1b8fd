"""Reading the CSV parameter tables under ``science/params``: the steps every loader shares.

Each loader still checks its own parameters, units and values; these helpers only open a
table, check its columns, name each row (``file.csv:LINE``) for error messages and parse
the cells every table has (``verified``, empty numbers, the provenance tag).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from cryoprotect.errors import NotFound, ValidationError

__all__ = [
    "PROVENANCES",
    "Provenance",
    "PublishedNumber",
    "optional_float",
    "published_number",
    "parse_bool",
    "read_rows",
    "read_table",
    "solute_entry",
]

Provenance = Literal["measured", "fitted", "estimated"]
PROVENANCES: frozenset[str] = frozenset({"measured", "fitted", "estimated"})
"""The provenance tags a parameter table row may carry."""

_T = TypeVar("_T")

_TRUE = frozenset({"true"})
_FALSE = frozenset({"false"})
_LENIENT_TRUE = frozenset({"true", "yes", "1"})
_LENIENT_FALSE = frozenset({"false", "no", "0"})


def read_rows(
    path: Path, columns: Sequence[str] = (), *, comments: bool = False
) -> list[dict[str, str]]:
    """The rows of a CSV table.

    Args:
        path: the table.
        columns: columns the table must have (others are allowed).
        comments: skip lines starting with ``#``.

    Raises:
        ValidationError: a column of ``columns`` is missing.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#")) if comments else handle
        reader = csv.DictReader(lines)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            raise ValidationError(f"{path.name}: missing columns {sorted(missing)}")
        return list(reader)


def read_table(
    path: Path, columns: Sequence[str] = (), *, comments: bool = False
) -> list[tuple[str, dict[str, str]]]:
    """:func:`read_rows`, each row with where it stands (``file.csv:LINE``, header = line 1)."""
    rows = read_rows(path, columns, comments=comments)
    return [(f"{path.name}:{line}", row) for line, row in enumerate(rows, start=2)]


def parse_bool(text: str, where: str, *, lenient: bool = False) -> bool:
    """A table's ``verified`` cell: ``true`` or ``false`` (``where`` names the row in errors).

    ``lenient`` also accepts ``yes``/``no`` and ``1``/``0``; any case, surrounding blanks ignored.
    """
    value = text.strip().lower()
    if value in (_LENIENT_TRUE if lenient else _TRUE):
        return True
    if value in (_LENIENT_FALSE if lenient else _FALSE):
        return False
    raise ValidationError(f"{where}: 'verified' must be true or false, not {text!r}")


def optional_float(text: str | None) -> float | None:
    """A number cell, or ``None`` when it is empty."""
    return float(text) if text and text.strip() else None


def solute_entry(table: Mapping[str, _T], solute: str, missing: str) -> _T:
    """A loaded table's entry for ``solute`` (keys lower-case; blanks around ``solute`` ignored).

    Raises:
        NotFound: no entry; ``missing`` is the message, ``details`` names the solute.
    """
    found = table.get(solute.strip().lower())
    if found is None:
        raise NotFound(missing, details={"solute": solute})
    return found


_NUMBER = re.compile(r"^[+-]?(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?$")


@dataclass(frozen=True, slots=True)
class PublishedNumber:
    """A number cell of a literature table with the precision it is written with.

    Attributes:
        value: the number.
        decimals: digits after the decimal point as written ("1.100" → 3, "1200" → 0,
            "1.2e-3" → 4); ``None`` when the text's last digit stands left of the units place
            ("1.2e3": 2 significant figures, no decimals can say that).
        significant: significant figures as written ("0.0050" → 2, "1.2e3" → 2; the trailing
            zeros of an integer without a point count: "1200" → 4, as it is shown).
    """

    value: float
    decimals: int | None
    significant: int


def published_number(text: str, where: str = "") -> PublishedNumber:
    """A literature number cell parsed with its published precision (``where`` names the row).

    Raises:
        ValidationError: the cell is not a finite decimal number.
    """
    cell = (text or "").strip()
    match = _NUMBER.match(cell)
    if match is None or not (match["int"] or match["frac"]) or not math.isfinite(float(cell)):
        raise ValidationError(f"{where + ': ' if where else ''}{text!r} is not a finite number")
    frac = match["frac"] or ""
    decimals = len(frac) - int(match["exp"] or 0)
    digits = ((match["int"] or "") + frac).lstrip("0")
    return PublishedNumber(
        value=float(cell),
        decimals=decimals if decimals >= 0 else None,
        significant=max(len(digits), 1),
    )
