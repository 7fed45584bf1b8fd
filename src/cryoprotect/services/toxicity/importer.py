"""The exposure-experiment CSV: template, row checks, and one experiment per file.

One row per well/condition. Columns (:data:`COLUMNS`; only the required ones must be there):

``plate`` (optional, the experiment group the bootstrap resamples; default ``1``),
``well`` (optional label), ``cpa_1`` … ``cpa_5`` with ``amount_1`` … ``amount_5`` (library
molecules by name or synonym; empty pairs are skipped; a row with no CPA is a no-CPA
control), ``concentration_unit`` (``mol/kg`` — molality — or ``% w/w`` of the solution;
default ``mol/kg``), ``exposure_time_min``, ``temperature_c``, ``viability`` with
``viability_unit`` (``%`` or ``fraction``, relative to the untreated control; default
``%``), ``replicates`` (optional, ≥ 1), ``sd`` (optional, same unit as viability),
``notes`` (optional).

Only per-CPA amounts are read: a row cannot name a library mixture (by id or name) as its
composition — list the mixture's CPAs and their amounts in the ``cpa_i``/``amount_i`` pairs
(a mixture's name in ``cpa_i`` is refused as an unknown CPA). The exposure object each row
becomes is checked by :func:`~cryoprotect.services.toxicity.exposure.check_exposure`, the
rule the experiments API applies to edited results too.

Every row is checked before anything is written; a file with any bad row writes nothing
and answers every bad row (row number, CSV column, reason) in one 422.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryoprotect.errors import CryoprotectError, InvalidCompositionError, ValidationError
from cryoprotect.science import composition, thermo
from cryoprotect.services.solutions import SolutionComponent, parameter_name, solute_for
from cryoprotect.services.toxicity.exposure import check_exposure

MAX_CPAS = 5
MAX_ROWS = 5000
UNITS = ("mol/kg", "% w/w")
VIABILITY_UNITS = {"%": 100.0, "fraction": 1.0}
REQUIRED = ("exposure_time_min", "temperature_c", "viability")
COLUMNS = (
    "plate",
    "well",
    *(f"{kind}_{i}" for i in range(1, MAX_CPAS + 1) for kind in ("cpa", "amount")),
    "concentration_unit",
    "exposure_time_min",
    "temperature_c",
    "viability",
    "viability_unit",
    "replicates",
    "sd",
    "notes",
)
TEMPLATE_ROWS = (
    # An illustration of the layout only: replace every value with your own measurements.
    ("P1", "A1", "", "", "", "", "", "", "", "", "", "", "mol/kg", "0", "22", "100", "%", "3",
     "", "untreated control"),
    ("P1", "A2", "Glycerol", "2.0", "", "", "", "", "", "", "", "", "mol/kg", "10", "22", "",
     "%", "3", "", "fill in the measured viability"),
    ("P1", "A3", "Glycerol", "1.0", "Dimethyl sulfoxide", "1.0", "", "", "", "", "", "",
     "mol/kg", "10", "22", "", "%", "3", "", "fill in the measured viability"),
)  # fmt: skip

Resolver = Callable[[str], SolutionComponent]


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one CSV row was refused: its row number (the header is row 1), column, reason."""

    row: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExposureRow:
    """One checked row, ready to be stored as an exposure result."""

    row: int
    result: dict[str, Any]


def template_csv() -> str:
    """The template: the header and three example rows (an illustration of the layout)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()


def read_rows(content: bytes) -> list[dict[str, str]]:
    """The data rows of the upload as dicts of stripped cells.

    Raises:
        ValidationError: not UTF-8 CSV, no header, a missing required or unknown column,
            no rows, or more than :data:`MAX_ROWS`.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text.", field="file") from None
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip() for h in reader.fieldnames or []]
        rows = [
            {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
            for row in reader
        ]
    except csv.Error as exc:
        raise ValidationError(f"The file is not valid CSV: {exc}.", field="file") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationError(
            f"Missing column(s): {', '.join(missing)} (see the template).", field="file"
        )
    unknown = [c for c in header if c and c not in COLUMNS]
    if unknown:
        raise ValidationError(
            f"Unknown column(s): {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}.",
            field="file",
        )
    if not rows:
        raise ValidationError("The file has no data rows.", field="file")
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"At most {MAX_ROWS} rows per file.", field="file")
    return rows


def _float(row: Mapping[str, str], key: str, errors: list[RowError], number: int) -> float | None:
    text = row.get(key, "")
    if not text:
        errors.append(RowError(number, key, "is required"))
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(RowError(number, key, f"{text!r} is not a number"))
        return None
    if not math.isfinite(value):
        errors.append(RowError(number, key, "must be a finite number"))
        return None
    return value


def _cpa(
    row: Mapping[str, str], i: int, number: int, resolve: Resolver, errors: list[RowError]
) -> tuple[str, float, SolutionComponent] | None:
    """Column pair ``cpa_i``/``amount_i``: (name, amount, component), or None (empty or bad;
    a bad pair is in ``errors``)."""
    name = row.get(f"cpa_{i}", "")
    if not name:
        if row.get(f"amount_{i}", ""):
            errors.append(RowError(number, f"cpa_{i}", f"amount_{i} is given without a CPA"))
        return None
    amount = _float(row, f"amount_{i}", errors, number)
    try:
        component = resolve(name)
    except CryoprotectError:
        errors.append(RowError(number, f"cpa_{i}", f"unknown CPA {name!r} (not in the library)"))
        return None
    if amount is not None and amount < 0:
        errors.append(RowError(number, f"amount_{i}", "must be ≥ 0"))
        return None
    return None if amount is None else (name, amount, component)


def _molality(
    number: int,
    unit: str,
    pairs: list[tuple[int, str, float, SolutionComponent]],
    errors: list[RowError],
) -> tuple[dict[str, float], dict[str, int]] | None:
    """Molality per canonical solute name of a composition that can be made, and the CSV
    column number of each name; None when it cannot be made."""
    amounts = [a for _, _, a, _ in pairs]
    columns = [i for i, _, _, _ in pairs]
    if unit == "% w/w" and sum(amounts) >= 100.0:
        reason = f"the CPAs add up to {sum(amounts):g} % w/w: the solution has no room for water"
        errors.append(RowError(number, f"amount_{columns[-1]}", reason))
        return None
    try:
        solutes = [solute_for(c, f"cpa_{i}") for i, _, _, c in pairs]
        state = composition.to_molality(
            np.array([amounts], dtype=np.float64), [unit] * len(amounts), solutes
        )
    except InvalidCompositionError as exc:
        field = str(exc.details.get("field") or "")
        index = next(
            (i for k, i in enumerate(columns) if field.startswith(f"components[{k}]")), columns[-1]
        )
        errors.append(RowError(number, f"amount_{index}", f"cannot be made: {exc.message}"))
        return None
    table = thermo.default_virial_parameters()
    molality: dict[str, float] = {}
    column_of: dict[str, int] = {}
    for (i, _, _, component), value in zip(pairs, state.molality_mol_per_kg[0], strict=True):
        canonical = parameter_name(component, table)
        if canonical in molality:
            errors.append(RowError(number, f"cpa_{i}", f"{canonical} is listed twice"))
            return None
        molality[canonical] = float(value)
        column_of[canonical] = i
    return molality, column_of


Composition = tuple[dict[str, float], dict[str, Any], dict[str, int]]
"""Molality per canonical solute name, the composition as given, CSV column per name."""


def _composition(
    row: Mapping[str, str], number: int, resolve: Resolver, errors: list[RowError]
) -> Composition | None:
    """The row's :data:`Composition`; None on an error."""
    unit = row.get("concentration_unit") or "mol/kg"
    if unit not in UNITS:
        errors.append(RowError(number, "concentration_unit", f"must be one of {', '.join(UNITS)}"))
        return None
    before = len(errors)
    pairs = []
    for i in range(1, MAX_CPAS + 1):
        found = _cpa(row, i, number, resolve, errors)
        if found is not None:
            pairs.append((i, *found))
    if len(errors) > before:
        return None
    given = {"cpas": [p[1] for p in pairs], "amounts": [p[2] for p in pairs], "unit": unit}
    if not pairs:
        return {}, given, {}
    converted = _molality(number, unit, pairs, errors)
    return None if converted is None else (converted[0], given, converted[1])


def _viability(row: Mapping[str, str], number: int, errors: list[RowError]) -> float | None:
    """The viability in % of the control, or None (a problem is in ``errors``)."""
    unit = row.get("viability_unit") or "%"
    scale = VIABILITY_UNITS.get(unit)
    if scale is None:
        errors.append(RowError(number, "viability_unit", "must be % or fraction"))
    viability = _float(row, "viability", errors, number)
    if viability is None or scale is None:
        return None
    if viability < 0:
        errors.append(RowError(number, "viability", "must be ≥ 0"))
        return None
    if viability > scale:
        reason = f"over 100 % ({viability:g} {unit}) is not a viability relative to the control"
        errors.append(RowError(number, "viability", reason))
        return None
    return viability * 100.0 / scale


def _replicates(row: Mapping[str, str], number: int, errors: list[RowError]) -> int:
    if not row.get("replicates"):
        return 1
    try:
        replicates = int(row["replicates"])
    except ValueError:
        replicates = 0
    if replicates < 1:
        errors.append(RowError(number, "replicates", "must be a whole number ≥ 1"))
    return replicates


def _column(key: str, columns: Mapping[str, int]) -> str:
    """The CSV column of an exposure problem (:func:`check_exposure`'s key)."""
    if key.startswith("molality_mol_per_kg."):
        return f"cpa_{columns.get(key.split('.', 1)[1], 1)}"
    return {"time_s": "exposure_time_min"}.get(key, key)


def check_row(
    row: Mapping[str, str], number: int, resolve: Resolver
) -> ExposureRow | list[RowError]:
    """One CSV row as an exposure result, or every problem found in it."""
    errors: list[RowError] = []
    minutes = _float(row, "exposure_time_min", errors, number)
    temperature = _float(row, "temperature_c", errors, number)
    percent = _viability(row, number, errors)
    replicates = _replicates(row, number, errors)
    sd = None
    if row.get("sd"):
        sd = _float(row, "sd", errors, number)
        if sd is not None and sd < 0:
            errors.append(RowError(number, "sd", "must be ≥ 0"))
        elif sd is not None and (row.get("viability_unit") or "%") == "fraction":
            sd *= 100.0
    mixture = _composition(row, number, resolve, errors)
    exposure, problems = check_exposure(
        {
            "molality_mol_per_kg": mixture[0] if mixture else {},
            "time_s": None if minutes is None else minutes * 60.0,
            "temperature_c": temperature,
            "plate": row.get("plate"),
            "well": row.get("well"),
            "input": mixture[1] if mixture else None,
        }
    )
    named = {e.field for e in errors}
    for problem in problems:  # the shared rule, reported under the CSV's column
        column = _column(problem.key, mixture[2] if mixture else {})
        if column not in named:
            errors.append(RowError(number, column, problem.reason))
            named.add(column)
    if errors or mixture is None:
        return errors
    assert minutes is not None and percent is not None
    result: dict[str, Any] = {
        "measure": "viability_percent",
        "value": percent,
        "unit": "%",
        "replicates": replicates,
        "time_point_h": minutes / 60.0,
        "exposure": exposure,
    }
    if sd is not None:
        result["sd"] = sd
    if row.get("notes"):
        result["notes"] = row["notes"]
    return ExposureRow(number, result)
