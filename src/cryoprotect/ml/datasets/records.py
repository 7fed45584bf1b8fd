"""User-supplied records → :class:`~cryoprotect.ml.datasets.core.Dataset` (:func:`dataset_from_records`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cryoprotect.errors import ValidationError
from cryoprotect.ml.datasets.core import Component, Dataset, DatasetRow
from cryoprotect.science.composition import UNITS
from cryoprotect.science.numbers import finite_number


def _number(value: Any, field_name: str) -> float:
    return finite_number(value, field_name, field_name, finite="a finite number")


def _text(value: Any, field_name: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"{field_name} must be a non-empty string", field=field_name)
    return value.strip()


def check_unit(unit: Any, field_name: str) -> str:
    """``unit`` if it is one of the composition units.

    Raises:
        ValidationError: any other unit (the supported ones are listed).
    """
    if not isinstance(unit, str) or unit.strip() not in UNITS:
        raise ValidationError(
            f"unsupported unit {unit!r}; use one of {', '.join(UNITS)}", field=field_name
        )
    return unit.strip()


def parse_components(items: Any, path: str) -> tuple[Component, ...]:
    """Validate a list of components given as mappings or ``(name, amount, unit)`` triples.

    Zero amounts are left out (a zero amount means the component is absent).

    Raises:
        ValidationError: a malformed entry, an unsupported unit, a negative or non-finite
            amount, or a component listed twice; ``field`` is the entry's path.
    """
    if not isinstance(items, list | tuple):
        raise ValidationError(f"{path} must be a list of components", field=path)
    out: list[Component] = []
    seen: dict[str, int] = {}
    for j, item in enumerate(items):
        where = f"{path}[{j}]"
        if isinstance(item, Mapping):
            name, amount, unit = item.get("name"), item.get("amount"), item.get("unit")
        elif isinstance(item, list | tuple) and len(item) == 3:
            name, amount, unit = item
        else:
            raise ValidationError(
                f"{where} must be {{name, amount, unit}} or a (name, amount, unit) triple",
                field=where,
            )
        name_text = _text(name, f"{where}.name")
        value = _number(amount, f"{where}.amount")
        unit_text = check_unit(unit, f"{where}.unit")
        if value < 0:
            raise ValidationError(f"{where}.amount must be ≥ 0", field=f"{where}.amount")
        key = name_text.casefold()
        if key in seen:
            raise ValidationError(
                f"{name_text} is listed twice ({path}[{seen[key]}] and {where})",
                field=f"{where}.name",
            )
        seen[key] = j
        if value > 0:
            out.append(Component(name_text, value, unit_text))
    return tuple(out)


def dataset_from_records(
    records: Iterable[Mapping[str, Any]],
    *,
    name: str = "user dataset",
    description: str = "",
) -> Dataset:
    """Build a dataset from JSON-like records (user uploads, the ``datasets.rows`` column).

    Each record: ``{"id": str, "components": [{"name", "amount", "unit"}, ...],
    "targets": {name: number}, "group": str, "conditions": {key: number | str}}``, or, in
    a *molecule* dataset, ``"smiles": str`` instead of ``components`` (stored already
    standardised by :func:`cryoprotect.ml.molecule_features.molecule_records`; every record
    of a dataset is of one kind).
    ``components`` may also be ``(name, amount, unit)`` triples and may be called
    ``composition``. Without ``id`` the row id is ``row-<index>``; without ``group`` each
    row is its own group (treated as independent). ``flags`` and ``metadata`` are kept.

    Raises:
        ValidationError: a malformed record; ``field`` is its path, e.g.
            ``records[3].components[1].unit``.
    """
    rows: list[DatasetRow] = []
    for i, record in enumerate(records):
        where = f"records[{i}]"
        if not isinstance(record, Mapping):
            raise ValidationError(f"{where} must be an object", field=where)
        row_id = _text(record.get("id", f"row-{i}"), f"{where}.id")
        items = record.get("components", record.get("composition"))
        smiles = ""
        if record.get("smiles") is not None:
            if items:
                raise ValidationError(
                    f"{where} gives both smiles and components; give one", field=f"{where}.smiles"
                )
            smiles = _text(record.get("smiles"), f"{where}.smiles")
            composition: tuple[Component, ...] = ()
        else:
            composition = parse_components(items, f"{where}.components")
        if rows and bool(rows[0].smiles) != bool(smiles):
            raise ValidationError(
                f"{where}: a dataset holds either molecules (smiles) or mixtures (components), "
                "not both",
                field=f"{where}.smiles",
            )
        targets_in = record.get("targets", {})
        if not isinstance(targets_in, Mapping):
            raise ValidationError(f"{where}.targets must be an object", field=f"{where}.targets")
        targets = {
            _text(k, f"{where}.targets"): _number(v, f"{where}.targets.{k}")
            for k, v in targets_in.items()
            if v is not None
        }
        conditions_in = record.get("conditions", {})
        if not isinstance(conditions_in, Mapping):
            raise ValidationError(
                f"{where}.conditions must be an object", field=f"{where}.conditions"
            )
        conditions: dict[str, float | str] = {}
        for key, value in conditions_in.items():
            ckey = _text(key, f"{where}.conditions")
            if isinstance(value, str):
                conditions[ckey] = value
            elif value is not None:
                conditions[ckey] = _number(value, f"{where}.conditions.{ckey}")
        group = _text(record.get("group"), f"{where}.group", required=False) or row_id
        flags = tuple(str(f) for f in record.get("flags", ()) or ())
        metadata = {str(k): str(v) for k, v in (record.get("metadata") or {}).items()}
        rows.append(
            DatasetRow(
                row_id=row_id,
                composition=composition,
                targets=targets,
                group=group,
                conditions=conditions,
                flags=flags,
                metadata=metadata,
                smiles=smiles,
            )
        )
    return Dataset(name=name, rows=tuple(rows), description=description)
