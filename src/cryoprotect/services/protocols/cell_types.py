"""Cell types: membrane-transport parameter sets (Lp, Ps per CPA, activation energies,
inactive volume, isotonic volume and area, osmotic tolerance limits) with their sources.

The shipped ones (``science/params/cell_types.csv``) are public rows owned by the system
user; users add their own with the usual visibility rules.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import dataclass
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import CellType as CellTypeRow
from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import cells
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Listing, Page, narrowed
from cryoprotect.services.owned import OwnedRecord, OwnedRows, Scope, author, owned_columns


def _cell_sources(cell: cells.CellType) -> list[dict[str, Any]]:
    out = [
        {"parameter": name, "citation": text, "provenance": cell.provenance.get(name)}
        for name, text in cell.sources.items()
    ]
    for solute, perm in cell.permeabilities.items():
        out.extend(
            {
                "parameter": f"{name} ({solute})",
                "citation": text,
                "provenance": perm.provenance.get(name),
            }
            for name, text in perm.sources.items()
        )
    return out


def load_reference_cell_types(db: Database) -> int:
    """Insert or update the shipped cell types (public, owned by the system user)."""
    builtin = cells.builtin_cell_types()
    with db.transaction(Identity.service()) as session:
        existing = {
            row.name: row
            for row in session.scalars(
                sa.select(CellTypeRow).where(
                    CellTypeRow.created_by == SYSTEM_USER_ID, CellTypeRow.visibility == "public"
                )
            )
        }
        for cell in builtin.values():
            values = {
                "species": cell.species,
                "description": f"Shipped parameter set '{cell.key}'",
                "parameters": cell.as_dict(),
                "sources": _cell_sources(cell),
            }
            row = existing.get(cell.name)
            if row is None:
                session.add(
                    CellTypeRow(
                        name=cell.name, visibility="public", created_by=SYSTEM_USER_ID, **values
                    )
                )
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
    return len(builtin)


@dataclass(frozen=True, slots=True)
class CellTypeRecord(OwnedRecord):
    """A cell type as the caller sees it; ``builtin``: one of the shipped parameter sets."""

    id: uuid.UUID
    name: str
    species: str | None
    description: str | None
    parameters: dict[str, Any]
    sources: builtins.list[dict[str, Any]]
    builtin: bool

    @classmethod
    def of(cls, row: CellTypeRow) -> CellTypeRecord:
        return cls(
            id=row.id,
            name=row.name,
            species=row.species,
            description=row.description,
            parameters=dict(row.parameters or {}),
            sources=builtins.list(row.sources or []),
            builtin=row.created_by == SYSTEM_USER_ID,
            **owned_columns(row),
        )


class CellTypeService(OwnedRows[CellTypeRow, CellTypeRecord]):
    model = CellTypeRow
    noun = "cell type"

    def record(self, row: CellTypeRow) -> CellTypeRecord:
        return CellTypeRecord.of(row)

    def list(self, actor: Actor, **listing: Unpack[Listing]) -> Page[CellTypeRecord]:
        query = sa.select(CellTypeRow).order_by(
            (CellTypeRow.created_by == SYSTEM_USER_ID).desc(), CellTypeRow.name, CellTypeRow.id
        )
        return self._listed(
            actor, narrowed(query, text=(CellTypeRow.name, listing.get("q"))), listing
        )

    def create(
        self,
        actor: Actor,
        *,
        parameters: dict[str, Any],
        description: str | None = None,
        **scope: Unpack[Scope],
    ) -> CellTypeRecord:
        """A user-defined cell type, validated by the science module before it is stored."""
        owner = author(actor, **scope)
        cell = _from_parameters(parameters)
        row = CellTypeRow(
            name=cell.name,
            species=cell.species,
            description=description,
            parameters=cell.as_dict(),
            sources=_cell_sources(cell),
            **owner.columns(),
        )
        return self._add(actor, row)

    def resolve(self, session: Session, ref: str | uuid.UUID) -> tuple[CellTypeRow, cells.CellType]:
        """A visible cell type by id, shipped key or exact name (case-insensitive)."""
        row: CellTypeRow | None = None
        try:
            row = session.get(CellTypeRow, uuid.UUID(str(ref)))
        except ValueError:
            text = str(ref).strip().lower()
            key = sa.func.lower(CellTypeRow.parameters["key"].astext)
            row = session.scalars(
                sa.select(CellTypeRow)
                .where(sa.or_(sa.func.lower(CellTypeRow.name) == text, key == text))
                .order_by((CellTypeRow.created_by == SYSTEM_USER_ID).desc(), CellTypeRow.created_at)
                .limit(1)
            ).first()
        if row is None:
            raise NotFound("Cell type not found.", details={"field": "cell_type"})
        return row, _from_parameters(dict(row.parameters or {}), field="cell_type")


def _from_parameters(parameters: dict[str, Any], field: str = "parameters") -> cells.CellType:
    try:
        return cells.CellType.from_dict(parameters)
    except ValidationError as exc:
        inner = exc.details.get("field")
        if inner and not str(inner).startswith(field):
            exc.details["field"] = (
                f"{field}.{inner}"
                if field != "parameters"
                else (inner if str(inner).startswith("parameters") else f"parameters.{inner}")
            )
        raise
