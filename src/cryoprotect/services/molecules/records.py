"""Molecule records (the typed shape callers see), scope checks and the queries that find a record.

Shared by the molecule service, file import, mixtures and the reference-data loader.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID
from cryoprotect.db.models import MolecularProperty, Molecule
from cryoprotect.db.models.molecules import MoleculeDescriptors
from cryoprotect.errors import NotFound
from cryoprotect.science.alerts import AlertReport, alerts_for_smiles, alerts_key, decode_alerts
from cryoprotect.science.cpa_score import CpaScore
from cryoprotect.services.chemistry import (
    DESCRIPTOR_NAMES,
    alert_columns,
    catalogue_params,
    score_from_properties,
    split_descriptors,
)
from cryoprotect.services.common import record_from

# The scope rule of every owned row lives with the owned rows; named here too, as the
# molecule services and this package have always offered it.
from cryoprotect.services.owned import check_scope as check_scope

EDITABLE_FIELDS = ("name", "synonyms", "visibility", "team_id", "pubchem_cid", "molecule_class")
IDENTIFIERS_METHOD = (
    "ChEMBL structure pipeline parent; RDKit canonical isomeric SMILES, standard InChI/InChIKey, "
    "Hill formula, average molar mass"
)
# Property-range filters accepted by list(): computed descriptors (molecule_descriptors).
RANGE_FILTERS = (
    "molecular_weight",
    "clogp_crippen",
    "tpsa",
    "hbd",
    "hba",
    "rotatable_bonds",
    "heavy_atoms",
    "formal_charge",
)


@dataclass(frozen=True, slots=True)
class PropertyRecord:
    """One stored value of a molecule, with how it was obtained."""

    property_name: str
    value: float | None
    text_value: str | None
    unit: str | None
    method: str
    provenance: str
    source: str | None
    published_decimals: int | None = None
    """Decimals of a shipped literature value as its source writes it ("1.100" → 3)."""

    @classmethod
    def of(cls, row: MolecularProperty | sa.Row[Any]) -> PropertyRecord:
        """From a ``molecular_properties`` row or a row of :func:`read_properties`."""
        decimals = None
        if row.provenance == "measured" and row.created_by == SYSTEM_USER_ID:
            # Lazy: the reference loader imports this package.
            from cryoprotect.services.reference_data import published_decimals

            decimals = published_decimals(row.property_name, row.method, row.source, row.value)
        return record_from(cls, row, published_decimals=decimals)


@dataclass(frozen=True, slots=True)
class MoleculeRecord:
    """A molecule as callers see it (built inside the transaction from the row)."""

    id: uuid.UUID
    kind: str
    name: str | None
    synonyms: tuple[str, ...]
    smiles: str | None
    inchi: str | None
    inchikey: str | None
    formula: str | None
    molecular_weight: float | None
    average_molar_mass: float | None
    pubchem_cid: int | None
    molecule_class: str | None
    sources: tuple[dict[str, Any], ...]
    standardization: dict[str, Any]
    visibility: str
    team_id: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    stored_alerts: AlertReport | None = field(default=None, kw_only=True, repr=False)
    """The alerts stored with the molecule's descriptors under the current
    :func:`~cryoprotect.science.alerts.alerts_key` (:func:`read_stored_alerts`); None when
    none were read (:attr:`alerts` finds them then)."""

    @property
    def identifiers_method(self) -> str | None:
        """How the identifiers were computed (structures only)."""
        return IDENTIFIERS_METHOD if self.kind == "structure" else None

    @property
    def alerts(self) -> AlertReport | None:
        """Structural alerts (Brenk, NIH, PAINS): the stored ones when they were read, else
        found on read (cached by SMILES); None without a structure."""
        if not self.smiles:
            return None
        return (
            self.stored_alerts if self.stored_alerts is not None else alerts_for_smiles(self.smiles)
        )

    @staticmethod
    def values_of(row: Molecule) -> dict[str, Any]:
        """The record's fields read from the row (collections copied)."""
        return {
            **{name: getattr(row, name) for name in _ROW_FIELDS},
            "synonyms": tuple(row.synonyms or ()),
            "sources": tuple(row.sources or ()),
            "standardization": dict(row.standardization or {}),
        }

    @classmethod
    def of(cls, row: Molecule, alerts: AlertReport | None = None) -> MoleculeRecord:
        return cls(**MoleculeRecord.values_of(row), stored_alerts=alerts)


_ROW_FIELDS = tuple(f.name for f in fields(MoleculeRecord) if f.name != "stored_alerts")
"""The record's fields that are columns of ``molecules``."""


def read_stored_alerts(
    session: Session, molecule_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AlertReport]:
    """The alerts stored with these molecules' descriptors under the current key (one
    query; RLS applies through the parent). A molecule with none, or with alerts stored
    under another key (an older RDKit or override table), is left out: its alerts are
    found on read."""
    if not molecule_ids:
        return {}
    rows = session.execute(
        sa.select(MoleculeDescriptors.molecule_id, MoleculeDescriptors.alerts).where(
            MoleculeDescriptors.molecule_id.in_(molecule_ids),
            MoleculeDescriptors.alerts_key == alerts_key(),
        )
    )
    found = {}
    for molecule_id, stored in rows:
        report = decode_alerts(stored)
        if report is not None:
            found[molecule_id] = report
    return found


@dataclass(frozen=True, slots=True)
class MoleculeDetail(MoleculeRecord):
    """A molecule with its stored values and its CPA score (None without descriptors)."""

    properties: tuple[PropertyRecord, ...]
    cpa_score: CpaScore | None

    @classmethod
    def with_properties(
        cls,
        row: Molecule,
        properties: Sequence[MolecularProperty | sa.Row[Any]],
        alerts: AlertReport | None = None,
    ) -> MoleculeDetail:
        computed = {
            p.property_name: p.value
            for p in properties
            if p.provenance == "computed" and p.value is not None
        }
        return cls(
            **MoleculeRecord.values_of(row),
            properties=tuple(PropertyRecord.of(p) for p in properties),
            cpa_score=score_from_properties(computed),
            stored_alerts=alerts,
        )

    @property
    def alert_adjusted_score(self) -> float | None:
        """CPA score × the alerts' penalty factor (None without a score or a structure)."""
        alerts = self.alerts
        if self.cpa_score is None or alerts is None:
            return None
        return alerts.adjusted(self.cpa_score.score)


def clean_synonyms(values: Sequence[str] | None) -> list[str]:
    seen: dict[str, str] = {}
    for value in values or []:
        text = value.strip()
        if text and text.lower() not in seen:
            seen[text.lower()] = text
    return list(seen.values())


def duplicate_query(
    inchikey: str | None,
    name: str | None,
    visibility: str,
    team_id: uuid.UUID | None,
    owner: uuid.UUID,
) -> sa.Select[Any]:
    """The record of the same identity in the same scope (run under the caller's identity)."""
    if inchikey is not None:
        query = sa.select(Molecule).where(Molecule.inchikey == inchikey)
    else:
        query = sa.select(Molecule).where(
            Molecule.kind == "no_structure", sa.func.lower(Molecule.name) == (name or "").lower()
        )
    if visibility == "public":
        return query.where(Molecule.visibility == "public")
    if visibility == "team":
        return query.where(Molecule.visibility == "team", Molecule.team_id == team_id)
    return query.where(Molecule.visibility == "private", Molecule.created_by == owner)


def name_matches(name: str) -> sa.ColumnElement[bool]:
    """Case-insensitive match on a molecule's name or any of its synonyms."""
    synonyms = (
        sa.func.unnest(Molecule.synonyms).table_valued("value").render_derived(name="synonym")
    )
    synonym_match = (
        sa.select(sa.literal(1))
        .select_from(synonyms)
        .where(sa.func.lower(synonyms.c.value) == name.lower())
    )
    return sa.or_(sa.func.lower(Molecule.name) == name.lower(), synonym_match.exists())


def find_library_molecule(
    session: Session, condition: sa.ColumnElement[bool], *, message: str, field: str
) -> Molecule:
    """The visible molecule matching ``condition``, preferring the public record, then the
    oldest of the caller's own; :class:`NotFound` naming ``field`` otherwise."""
    found = session.scalars(
        sa.select(Molecule)
        .where(condition)
        .order_by((Molecule.visibility == "public").desc(), Molecule.created_at)
    ).first()
    if found is None:
        raise NotFound(message, details={"field": field})
    return found


def insert_properties(
    session: Session,
    molecule_id: uuid.UUID,
    owner: uuid.UUID,
    rows: list[dict[str, Any]],
    alerts: AlertReport | None = None,
) -> None:
    """Store a new molecule's property rows: the computed descriptors the catalogue
    expresses as its one ``molecule_descriptors`` row (with the structure's ``alerts``,
    when given), any other row in ``molecular_properties`` (created by ``owner``)."""
    stored, rest = split_descriptors(rows)
    if stored is not None:
        session.execute(
            sa.insert(MoleculeDescriptors).values(
                molecule_id=molecule_id,
                computed_by=stored.computed_by,
                descriptor_values=list(stored.values),
                **alert_columns(alerts),
            )
        )
    if rest:
        session.execute(
            sa.insert(MolecularProperty),
            [{**row, "molecule_id": molecule_id, "created_by": owner} for row in rest],
        )


def delete_computed_properties(session: Session, molecule_id: uuid.UUID) -> None:
    """Remove a molecule's computed descriptors (before they are computed again)."""
    session.execute(
        sa.delete(MoleculeDescriptors).where(MoleculeDescriptors.molecule_id == molecule_id)
    )
    session.execute(
        sa.delete(MolecularProperty).where(
            MolecularProperty.molecule_id == molecule_id,
            MolecularProperty.provenance == "computed",
        )
    )


# A molecule's property records as they read before 0021: its molecular_properties rows and
# one computed row per stored descriptor (catalogue name, unit, ``computed_by: method``),
# sorted by the database as the single table was (property name, then provenance).
_READ_PROPERTIES = sa.text(
    """
    SELECT p.property_name, p.value, p.text_value, p.unit, p.method, p.provenance, p.source,
           p.created_by
    FROM molecular_properties p
    WHERE p.molecule_id = :molecule_id
    UNION ALL
    SELECT c.name, d.descriptor_values[c.i], NULL, c.unit, d.computed_by || ': ' || c.method,
           'computed', NULL, NULL
    FROM molecule_descriptors d
    CROSS JOIN unnest(CAST(:names AS text[]), CAST(:units AS text[]), CAST(:methods AS text[]))
        WITH ORDINALITY AS c(name, unit, method, i)
    WHERE d.molecule_id = :molecule_id AND d.descriptor_values[c.i] IS NOT NULL
    ORDER BY property_name, provenance
    """
)


def read_properties(session: Session, molecule_id: uuid.UUID) -> list[sa.Row[Any]]:
    """Every stored value of a visible molecule (both tables' RLS applies), as rows with
    the columns of ``molecular_properties`` that :class:`PropertyRecord` reads."""
    return list(
        session.execute(_READ_PROPERTIES, {"molecule_id": molecule_id, **catalogue_params()})
    )


def descriptor_in_range(name: str, low: float | None, high: float | None) -> sa.ColumnElement[bool]:
    """The molecule has the computed descriptor ``name`` within ``[low, high]`` (stored in
    ``molecule_descriptors``, or as a computed ``molecular_properties`` row the catalogue
    does not express)."""
    value = MoleculeDescriptors.descriptor_values[DESCRIPTOR_NAMES.index(name) + 1]
    stored: list[sa.ColumnElement[bool]] = [
        MoleculeDescriptors.molecule_id == Molecule.id,
        value.is_not(None),
    ]
    rows: list[sa.ColumnElement[bool]] = [
        MolecularProperty.molecule_id == Molecule.id,
        MolecularProperty.property_name == name,
        MolecularProperty.provenance == "computed",
    ]
    if low is not None:
        stored.append(value >= low)
        rows.append(MolecularProperty.value >= low)
    if high is not None:
        stored.append(value <= high)
        rows.append(MolecularProperty.value <= high)
    return sa.or_(sa.exists().where(*stored), sa.exists().where(*rows))


def visible_molecule(session: Session, molecule_id: uuid.UUID) -> Molecule:
    """The molecule if the caller can see it (RLS decides); :class:`NotFound` otherwise."""
    molecule = session.get(Molecule, molecule_id)
    if molecule is None:
        raise NotFound("Molecule not found.")
    return molecule
