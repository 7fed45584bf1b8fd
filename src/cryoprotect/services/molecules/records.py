"""Molecule records (the typed shape callers see), scope checks and the queries that find a record.

Shared by the molecule service, file import, mixtures and the reference-data loader.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID
from cryoprotect.db.models import MolecularProperty, Molecule
from cryoprotect.errors import NotFound
from cryoprotect.science.alerts import AlertReport, alerts_for_smiles
from cryoprotect.science.cpa_score import CpaScore
from cryoprotect.services.chemistry import score_from_properties
from cryoprotect.services.common import record_from

# The scope rule of every owned row lives with the owned rows; named here too, as the
# molecule services and this package have always offered it.
from cryoprotect.services.owned import check_scope as check_scope

EDITABLE_FIELDS = ("name", "synonyms", "visibility", "team_id", "pubchem_cid", "molecule_class")
IDENTIFIERS_METHOD = (
    "ChEMBL structure pipeline parent; RDKit canonical isomeric SMILES, standard InChI/InChIKey, "
    "Hill formula, average molar mass"
)
# Property-range filters accepted by list(): name -> descriptor stored in molecular_properties.
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
    def of(cls, row: MolecularProperty) -> PropertyRecord:
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

    @property
    def identifiers_method(self) -> str | None:
        """How the identifiers were computed (structures only)."""
        return IDENTIFIERS_METHOD if self.kind == "structure" else None

    @property
    def alerts(self) -> AlertReport | None:
        """Structural alerts (Brenk, NIH, PAINS), computed on read and cached by SMILES
        (nothing stored, no migration); None without a structure."""
        return alerts_for_smiles(self.smiles) if self.smiles else None

    @staticmethod
    def values_of(row: Molecule) -> dict[str, Any]:
        """The record's fields read from the row (collections copied)."""
        return {
            **{f.name: getattr(row, f.name) for f in fields(MoleculeRecord)},
            "synonyms": tuple(row.synonyms or ()),
            "sources": tuple(row.sources or ()),
            "standardization": dict(row.standardization or {}),
        }

    @classmethod
    def of(cls, row: Molecule) -> MoleculeRecord:
        return cls(**MoleculeRecord.values_of(row))


@dataclass(frozen=True, slots=True)
class MoleculeDetail(MoleculeRecord):
    """A molecule with its stored values and its CPA score (None without descriptors)."""

    properties: tuple[PropertyRecord, ...]
    cpa_score: CpaScore | None

    @classmethod
    def with_properties(
        cls, row: Molecule, properties: Sequence[MolecularProperty]
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
    session: Session, molecule_id: uuid.UUID, owner: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    if rows:
        session.execute(
            sa.insert(MolecularProperty),
            [{**row, "molecule_id": molecule_id, "created_by": owner} for row in rows],
        )


def visible_molecule(session: Session, molecule_id: uuid.UUID) -> Molecule:
    """The molecule if the caller can see it (RLS decides); :class:`NotFound` otherwise."""
    molecule = session.get(Molecule, molecule_id)
    if molecule is None:
        raise NotFound("Molecule not found.")
    return molecule
