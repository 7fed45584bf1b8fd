"""The shipped cell-type table (``params/cell_types.csv``): loading, assembling, lookup."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science.cells.cell_type import CellType
from cryoprotect.science.cells.schema import (
    CELL_COLUMNS,
    CELL_PARAMETERS,
    CELL_TABLE,
    SOLUTE_PARAMETERS,
    TABLE_PROVENANCES,
    TEXT_PARAMETERS,
)
from cryoprotect.science.tables import parse_bool, read_table

# --- the shipped table --------------------------------------------------------------------


def _row_to_entry(row: Mapping[str, str], where: str) -> tuple[str, str, str, Any]:
    """Check one CSV row; return (cell_type, parameter, solute, value)."""
    parameter = row["parameter"].strip()
    solute = row["solute"].strip()
    if row["provenance"].strip() not in TABLE_PROVENANCES:
        raise ValidationError(f"{where}: unknown provenance {row['provenance']!r}")
    if not row["source"].strip():
        raise ValidationError(f"{where}: every row needs a source")
    if parameter in TEXT_PARAMETERS:
        return row["cell_type"].strip(), parameter, solute, row["value"].strip()
    spec = CELL_PARAMETERS.get(parameter) or SOLUTE_PARAMETERS.get(parameter)
    if spec is None:
        raise ValidationError(f"{where}: unknown parameter {parameter!r}")
    if (parameter in SOLUTE_PARAMETERS) != bool(solute):
        raise ValidationError(f"{where}: {parameter!r} needs a solute iff it is a solute parameter")
    if row["unit"].strip() != spec[1]:
        raise ValidationError(f"{where}: {parameter} must be in {spec[1]}, not {row['unit']!r}")
    return row["cell_type"].strip(), parameter, solute, float(row["value"])


def load_cell_table(path: Path | str) -> dict[str, CellType]:
    """Read a cell-parameter table in the long format of ``params/cell_types.csv``.

    Args:
        path: the CSV (columns :data:`CELL_COLUMNS`).

    Returns:
        Cell types keyed by their key, in table order.

    Raises:
        ValidationError: a column, parameter, unit or provenance is wrong, a value repeats,
            or a cell type fails :meth:`CellType.from_dict`'s checks.
    """
    path = Path(path)
    cells: dict[str, dict[str, Any]] = {}
    for where, row in read_table(path, CELL_COLUMNS):
        key, parameter, solute, value = _row_to_entry(row, where)
        entry = cells.setdefault(
            key, {"key": key, "sources": {}, "provenance": {}, "verified": {}, "perm": {}}
        )
        _store(entry, row, parameter, solute, value, where)
    return {key: CellType.from_dict(_assemble(entry)) for key, entry in cells.items()}


def _store(
    entry: dict[str, Any],
    row: Mapping[str, str],
    parameter: str,
    solute: str,
    value: Any,
    where: str,
) -> None:
    if parameter in TEXT_PARAMETERS:
        target, name = entry, parameter
    elif solute:
        target = entry["perm"].setdefault(
            solute, {"solute": solute, "sources": {}, "provenance": {}, "verified": {}}
        )
        name = SOLUTE_PARAMETERS[parameter][0]
        if parameter == "ps" and row["temperature_c"].strip():
            target["reference_temperature_c"] = float(row["temperature_c"])
            target["sources"]["reference_temperature_c"] = "temperature of the Ps measurement"
            target["provenance"]["reference_temperature_c"] = row["provenance"].strip()
            target["verified"]["reference_temperature_c"] = parse_bool(row["verified"], where)
    else:
        target, name = entry, CELL_PARAMETERS[parameter][0]
        if parameter == "lp":
            entry["_lp_temperature"] = row["temperature_c"].strip()
    if name in target:
        raise ValidationError(f"{where}: {parameter} of {entry['key']} {solute} appears twice")
    target[name] = value
    if parameter not in TEXT_PARAMETERS:
        target["sources"][name] = row["source"].strip()
        target["provenance"][name] = row["provenance"].strip()
        target["verified"][name] = parse_bool(row["verified"], where)


def _assemble(entry: dict[str, Any]) -> dict[str, Any]:
    lp_temperature = entry.pop("_lp_temperature", "")
    reference = entry.get("reference_temperature_c")
    if lp_temperature and reference is not None and float(lp_temperature) != reference:
        raise ValidationError(
            f"{entry['key']}: the lp row's temperature_c ({lp_temperature}) differs from "
            f"reference_temperature ({reference})"
        )
    entry["permeabilities"] = list(entry.pop("perm").values())
    entry["species"] = entry.get("species") or None
    return entry


@lru_cache(maxsize=1)
def _builtin() -> dict[str, CellType]:
    return load_cell_table(CELL_TABLE)


def builtin_cell_types() -> dict[str, CellType]:
    """The cell types shipped in ``params/cell_types.csv`` (parsed once, cached).

    Returns:
        A fresh dict keyed by cell-type key.
    """
    return dict(_builtin())


def get_cell_type(key: str) -> CellType:
    """One shipped cell type.

    Args:
        key: its key, e.g. ``"human_rbc"`` (exact match).

    Raises:
        NotFound: no shipped cell type has that key.
    """
    found = _builtin().get(key)
    if found is None:
        raise NotFound(f"no cell type {key!r}", details={"cell_type": key})
    return found
