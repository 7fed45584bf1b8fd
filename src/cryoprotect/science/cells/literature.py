"""The published spread of cell parameters (``params/cell_parameter_literature.csv``):
published values, parameter ranges, and a cell with one parameter replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryoprotect.errors import ValidationError
from cryoprotect.science.cells.cell_type import CellType
from cryoprotect.science.cells.schema import PARAMS_DIR, TABLE_PROVENANCES
from cryoprotect.science.records import fields_dict
from cryoprotect.science.tables import optional_float, parse_bool, read_table

# --- published spread of the parameters -----------------------------------------------------

LITERATURE_TABLE = PARAMS_DIR / "cell_parameter_literature.csv"
LITERATURE_COLUMNS = (
    "cell_type",
    "parameter",
    "solute",
    "value",
    "sd",
    "unit",
    "temperature_c",
    "method",
    "source",
    "provenance",
    "verified",
    "in_range",
    "chosen",
    "choice_reason",
)
RANGE_PARAMETERS: dict[str, str] = {
    "lp": "um/min/atm",
    "inactive_volume_fraction": "1",
    "ps": "um/s",
    "ps_saturation": "mol/kg",
}
"""Parameters whose published spread is recorded (and carried into sensitivity bands)."""


@dataclass(frozen=True)
class PublishedValue:
    """One published value of a cell parameter (a row of ``cell_parameter_literature.csv``).

    Attributes:
        cell_type: key of the shipped cell type.
        parameter: ``lp``, ``inactive_volume_fraction``, ``ps`` or ``ps_saturation``.
        solute: the CPA for ``ps``/``ps_saturation``, else ``""``.
        value: the published (or converted) value, in ``unit``.
        sd: its reported standard deviation, or ``None``.
        unit: as in :data:`RANGE_PARAMETERS`.
        temperature_c: measurement temperature, °C, or ``None`` when not stated.
        method: how it was measured.
        source: citation (what was seen and how it was converted).
        provenance: ``measured``, ``fitted`` or ``estimated``.
        verified: whether the number was read in the source.
        in_range: whether it counts towards the published range (``False`` for values from
            another regime, e.g. subzero fits, or measured where a carrier saturates).
        chosen: whether it is the value shipped in ``cell_types.csv``.
        choice_reason: why it was (or was not) chosen.
    """

    cell_type: str
    parameter: str
    solute: str
    value: float
    sd: float | None
    unit: str
    temperature_c: float | None
    method: str
    source: str
    provenance: str
    verified: bool
    in_range: bool
    chosen: bool
    choice_reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {name: getattr(self, name) for name in LITERATURE_COLUMNS}


@dataclass(frozen=True)
class ParameterRange:
    """The published range of one cell parameter, as a sensitivity band uses it.

    ``low``/``high`` are the smallest and largest published means counted ``in_range``;
    with a single published value they are its mean ∓ its SD (or the value itself when no
    SD is reported, ``spread = False``).
    """

    parameter: str
    solute: str
    unit: str
    low: float
    high: float
    shipped: float
    spread: bool
    sources: tuple[str, ...]
    provenance: str
    verified: bool

    @property
    def name(self) -> str:
        """``lp``, ``inactive_volume_fraction``, ``ps (Glycerol)``, ..."""
        return f"{self.parameter} ({self.solute})" if self.solute else self.parameter

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return fields_dict(self, solute=self.solute or None, sources=list(self.sources))


def load_literature(path: Path | str = LITERATURE_TABLE) -> tuple[PublishedValue, ...]:
    """Read the published-values table (columns :data:`LITERATURE_COLUMNS`).

    Raises:
        ValidationError: a missing column, an unknown parameter or unit, a bad flag, a
            row without a source, or a cell type/parameter with no ``chosen`` row.
    """
    path = Path(path)
    values: list[PublishedValue] = []
    for where, row in read_table(path, LITERATURE_COLUMNS):
        parameter = row["parameter"].strip()
        if RANGE_PARAMETERS.get(parameter) != row["unit"].strip():
            raise ValidationError(f"{where}: unknown parameter/unit {parameter!r}")
        if row["provenance"].strip() not in TABLE_PROVENANCES or not row["source"].strip():
            raise ValidationError(f"{where}: needs a source and a provenance tag")
        values.append(
            PublishedValue(
                cell_type=row["cell_type"].strip(),
                parameter=parameter,
                solute=row["solute"].strip(),
                value=float(row["value"]),
                sd=optional_float(row["sd"]),
                unit=row["unit"].strip(),
                temperature_c=optional_float(row["temperature_c"]),
                method=row["method"].strip(),
                source=row["source"].strip(),
                provenance=row["provenance"].strip(),
                verified=parse_bool(row["verified"], where),
                in_range=parse_bool(row["in_range"], where),
                chosen=parse_bool(row["chosen"], where),
                choice_reason=row["choice_reason"].strip(),
            )
        )
    keys = {(v.cell_type, v.parameter, v.solute) for v in values}
    for key in keys:
        if not any(v.chosen for v in values if (v.cell_type, v.parameter, v.solute) == key):
            raise ValidationError(f"{path.name}: no chosen value for {key}")
    return tuple(values)


@lru_cache(maxsize=1)
def _literature() -> tuple[PublishedValue, ...]:
    return load_literature(LITERATURE_TABLE)


def published_values(cell_type: str) -> list[PublishedValue]:
    """The published values recorded for one shipped cell type (empty for others)."""
    return [v for v in _literature() if v.cell_type == cell_type]


def shipped_value(cell: CellType, parameter: str, solute: str = "") -> float | None:
    """The value the cell type uses for a range parameter (``None`` if it has none)."""
    if parameter == "lp":
        return cell.lp_um_per_min_atm
    if parameter == "inactive_volume_fraction":
        return cell.inactive_volume_fraction
    permeability = cell.permeability(solute)
    if permeability is None:
        return None
    if parameter == "ps":
        return permeability.ps_um_per_s
    return permeability.saturation_molality_mol_per_kg


def parameter_ranges(cell: CellType) -> list[ParameterRange]:
    """The published range of each of the cell's parameters recorded in the literature table.

    Only shipped cell types (matched by key) have recorded ranges; a user's cell type gets
    an empty list. A parameter the cell does not use (e.g. a CPA it has no permeability
    for) is left out.
    """
    grouped: dict[tuple[str, str], list[PublishedValue]] = {}
    for value in published_values(cell.key):
        grouped.setdefault((value.parameter, value.solute), []).append(value)
    ranges: list[ParameterRange] = []
    for (parameter, solute), found in grouped.items():
        shipped = shipped_value(cell, parameter, solute)
        counted = [v for v in found if v.in_range]
        if shipped is None or not counted:
            continue
        if len(counted) == 1:
            only = counted[0]
            sd = only.sd or 0.0
            low, high, spread = only.value - sd, only.value + sd, sd > 0
        else:
            means = [v.value for v in counted]
            low, high, spread = min(means), max(means), max(means) > min(means)
        low, high = min(low, shipped), max(high, shipped)
        if parameter == "inactive_volume_fraction":
            low, high = max(low, 1e-3), min(high, 0.999)
        ranges.append(
            ParameterRange(
                parameter=parameter,
                solute=solute,
                unit=counted[0].unit,
                low=low,
                high=high,
                shipped=shipped,
                spread=spread,
                sources=tuple(dict.fromkeys(v.source for v in counted)),
                provenance=_weakest([v.provenance for v in counted]),
                verified=all(v.verified for v in counted),
            )
        )
    return ranges


def _weakest(tags: list[str]) -> str:
    order = ("measured", "fitted", "estimated")
    return max(tags, key=lambda t: order.index(t) if t in order else len(order))


def with_parameter(cell: CellType, parameter: str, solute: str, value: float) -> CellType:
    """A copy of ``cell`` with one range parameter replaced (for sensitivity bands)."""
    if parameter == "lp":
        return replace(cell, lp_um_per_min_atm=value)
    if parameter == "inactive_volume_fraction":
        return replace(cell, inactive_volume_fraction=value)
    permeability = cell.permeability(solute)
    if permeability is None:
        raise ValidationError(f"{cell.name} has no permeability to {solute!r}")
    if parameter == "ps":
        changed = replace(permeability, ps_um_per_s=value)
    else:
        changed = replace(permeability, saturation_molality_mol_per_kg=value)
    permeabilities = dict(cell.permeabilities)
    permeabilities[permeability.solute] = changed
    return replace(cell, permeabilities=permeabilities)
