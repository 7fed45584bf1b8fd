"""Turn user input into the rows a molecule is stored as (structure, identifiers, descriptors).

One path for every way a structure enters the library — the API, file import and the
shipped reference library — so standardisation and descriptors are never computed two
different ways.

The descriptor catalogue. A molecule's computed descriptors are stored once per molecule
(``molecule_descriptors``, migration 0021): the values as one ``float8[]`` in the order of
:data:`DESCRIPTOR_NAMES` and what computed them (``computed_by``, e.g. ``RDKit 2026.09.1``).
Names, units and methods come from :data:`cryoprotect.science.descriptors.DESCRIPTORS`,
this module's catalogue; a property record reads as it always did:
``method = computed_by + ": " + the descriptor's method``, provenance ``computed``
(:func:`descriptor_rows`). Positions are the catalogue's order: append new descriptors,
and a change of a name, unit or method (or of the order) needs a migration that rewrites
the stored rows, as 0021 moved them out of ``molecular_properties``. A structure's
structural alerts are found here too and stored beside its descriptors (migration 0022).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryoprotect.science.alerts import AlertReport, alerts_for_smiles, alerts_key, encode_alerts
from cryoprotect.science.cpa_score import CpaScore, cpa_score
from cryoprotect.science.descriptors import DESCRIPTOR_METHOD, DESCRIPTORS, compute_descriptors
from cryoprotect.science.fingerprints import morgan_fingerprint
from cryoprotect.science.standardize import Standardized, register_structure

SPECS = {spec.name: spec for spec in DESCRIPTORS}
DESCRIPTOR_NAMES: tuple[str, ...] = tuple(spec.name for spec in DESCRIPTORS)
"""Catalogue order: position ``i`` (1-based in SQL) of ``molecule_descriptors.descriptor_values``."""
DESCRIPTOR_UNITS: tuple[str | None, ...] = tuple(spec.unit or None for spec in DESCRIPTORS)
DESCRIPTOR_METHODS: tuple[str, ...] = tuple(spec.method for spec in DESCRIPTORS)
_POSITION = {name: i for i, name in enumerate(DESCRIPTOR_NAMES)}
STANDARDIZATION_METHOD = "ChEMBL structure pipeline (standardize_mol, get_parent_mol)"


@dataclass(frozen=True)
class PreparedMolecule:
    """Column values for ``molecules`` and the computed ``molecular_properties`` rows."""

    values: dict[str, Any]
    properties: list[dict[str, Any]] = field(default_factory=list)
    standardized: Standardized | None = None
    alerts: AlertReport | None = None
    """The parent structure's structural alerts, stored with the descriptors (0022)."""


def property_rows(descriptors: dict[str, float]) -> list[dict[str, Any]]:
    """``molecular_properties`` rows (without molecule id / owner) for computed descriptors."""
    rows = []
    for name, value in descriptors.items():
        spec = SPECS.get(name)
        if spec is None:
            continue
        rows.append(
            {
                "property_name": name,
                "value": float(value),
                "unit": spec.unit or None,
                "method": f"{DESCRIPTOR_METHOD}: {spec.method}",
                "provenance": "computed",
                "source": None,
            }
        )
    return rows


@dataclass(frozen=True)
class StoredDescriptors:
    """A molecule's computed descriptors as stored: values in catalogue order (None where a
    descriptor was not computed) and what computed them (the method's prefix)."""

    computed_by: str
    values: tuple[float | None, ...]


def alert_columns(alerts: AlertReport | None) -> dict[str, Any]:
    """The ``molecule_descriptors`` cells that store ``alerts`` with the key they were found
    under (both NULL without alerts: they are then found on read)."""
    if alerts is None:
        return {"alerts": None, "alerts_key": None}
    return {"alerts": encode_alerts(alerts), "alerts_key": alerts_key()}


def catalogue_params() -> dict[str, list[Any]]:
    """The catalogue as SQL array parameters ``names``, ``units``, ``methods``."""
    return {
        "names": list(DESCRIPTOR_NAMES),
        "units": list(DESCRIPTOR_UNITS),
        "methods": list(DESCRIPTOR_METHODS),
    }


def _computed_by(row: dict[str, Any]) -> str | None:
    """The method prefix of a computed row the catalogue expresses exactly (else None)."""
    spec = SPECS.get(row.get("property_name", ""))
    method = str(row.get("method") or "")
    suffix = f": {spec.method}" if spec is not None else ""
    if (
        spec is None
        or row.get("provenance") != "computed"
        or row.get("value") is None
        or row.get("text_value") is not None
        or row.get("source") is not None
        or row.get("unit") != (spec.unit or None)
        or not method.endswith(suffix)
        or len(method) == len(suffix)
    ):
        return None
    return method[: -len(suffix)]


def split_descriptors(
    rows: Iterable[dict[str, Any]],
) -> tuple[StoredDescriptors | None, list[dict[str, Any]]]:
    """Property rows split into the molecule's stored descriptors and the rows that stay
    ``molecular_properties`` rows (measured, literature, or computed rows the catalogue does
    not express: another unit or method, a second prefix, a repeated name)."""
    values: list[float | None] = [None] * len(DESCRIPTOR_NAMES)
    prefix: str | None = None
    rest: list[dict[str, Any]] = []
    for row in rows:
        by = _computed_by(row)
        position = _POSITION.get(row.get("property_name", ""), -1)
        if by is None or (prefix is not None and by != prefix) or values[position] is not None:
            rest.append(row)
            continue
        prefix = by
        values[position] = float(row["value"])
    if prefix is None:
        return None, rest
    return StoredDescriptors(prefix, tuple(values)), rest


def descriptor_rows(computed_by: str, values: Sequence[float | None]) -> list[dict[str, Any]]:
    """The ``molecular_properties``-shaped rows of stored descriptors (catalogue order)."""
    return [
        {
            "property_name": name,
            "value": float(value),
            "text_value": None,
            "unit": unit,
            "method": f"{computed_by}: {method}",
            "provenance": "computed",
            "source": None,
        }
        for name, unit, method, value in zip(
            DESCRIPTOR_NAMES, DESCRIPTOR_UNITS, DESCRIPTOR_METHODS, values, strict=False
        )
        if value is not None
    ]


def prepare_structure(text: str, fmt: str | None = None) -> PreparedMolecule:
    """Parse, standardise and describe a structure given as SMILES, InChI or a MOL block.

    Raises:
        InvalidStructureError: the input does not parse (RDKit's reason in the message).
    """
    std = register_structure(text, fmt)
    return prepared_from(std, compute_descriptors(std.mol), fmt)


def prepared_from(
    std: Standardized, descriptors: dict[str, float], fmt: str | None = None
) -> PreparedMolecule:
    """The rows of an already standardised structure and its descriptors (the screen's
    registration columns come from here, so they equal :func:`prepare_structure`'s)."""
    values = {
        "kind": "structure",
        "smiles": std.smiles,
        "inchi": std.inchi,
        "inchikey": std.inchikey,
        "formula": std.formula,
        "molecular_weight": std.molecular_weight,
        "morgan_fp": morgan_fingerprint(std.mol),
        "standardization": {
            "method": STANDARDIZATION_METHOD,
            "changes": list(std.changes),
            "fast_path": std.fast_path,
            "input_format": fmt or "auto",
        },
    }
    return PreparedMolecule(
        values=values,
        properties=property_rows(descriptors),
        standardized=std,
        alerts=alerts_for_smiles(std.smiles),  # cached: the screen has found them already
    )


def score_from_properties(properties: dict[str, float]) -> CpaScore | None:
    """The CPA score from stored descriptor values (None when descriptors are missing)."""
    if not properties:
        return None
    try:
        return cpa_score(properties)
    except KeyError:
        return None
