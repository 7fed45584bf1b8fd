"""Cell types and CPA loading/unloading protocols.

Cell types are membrane-transport parameter sets (Lp, Ps per CPA, activation energies,
inactive volume, isotonic volume and area, osmotic tolerance limits) with their sources:
the shipped ones (``science/params/cell_types.csv``) are public rows owned by the system
user; users add their own with the usual visibility rules.

Protocol design maps a request (cell type, target solution by library components or a
mixture, temperatures, limits) onto :func:`cryoprotect.science.protocols.design_protocol`
and stores designs as ``protocols`` rows; all numbers come from the science modules.
"""

from __future__ import annotations

import builtins
import logging
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import CellType as CellTypeRow
from cryoprotect.db.models import Protocol
from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.science import cells, composition, protocols, thermo
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, change_visible, get_visible, paginate
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.molecules import check_scope
from cryoprotect.services.owned import OwnedRecord, owned_columns
from cryoprotect.services.solutions import SolutionComponent, parameter_name, solute_for

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- cell types
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


Row = TypeVar("Row", CellTypeRow, Protocol)
Record = TypeVar("Record")


class OwnedRows(Generic[Row, Record]):
    """Read, page, add and delete the rows of one owned table under the caller's identity
    (RLS decides), answered as records built inside the transaction."""

    model: type[Row]
    noun: str

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, row: Row) -> Record:
        raise NotImplementedError

    def _page(self, actor: Actor, query: sa.Select[Any], page: int, per_page: int) -> Page[Record]:
        with self.db.transaction(actor.identity) as session:
            result = paginate(session, query, page, per_page)
            return Page(
                [self.record(r) for r in result.items], result.total, result.page, result.per_page
            )

    def get(self, actor: Actor, row_id: uuid.UUID) -> Record:
        with self.db.transaction(actor.identity) as session:
            return self.record(get_visible(session, self.model, row_id, self.noun))

    def _add(self, actor: Actor, row: Row) -> Record:
        with self.db.transaction(actor.identity) as session:
            session.add(row)
            session.flush()
            session.refresh(row)
            return self.record(row)

    def delete(self, actor: Actor, row_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            change_visible(session, self.model, row_id, self.noun)


class CellTypeService(OwnedRows[CellTypeRow, CellTypeRecord]):
    model = CellTypeRow
    noun = "cell type"

    def record(self, row: CellTypeRow) -> CellTypeRecord:
        return CellTypeRecord.of(row)

    def list(
        self, actor: Actor, *, page: int = 1, per_page: int = 25, q: str | None = None
    ) -> Page[CellTypeRecord]:
        query = sa.select(CellTypeRow).order_by(
            (CellTypeRow.created_by == SYSTEM_USER_ID).desc(), CellTypeRow.name, CellTypeRow.id
        )
        if q:
            query = query.where(CellTypeRow.name.ilike(f"%{q.strip()}%"))
        return self._page(actor, query, page, per_page)

    def create(
        self,
        actor: Actor,
        *,
        parameters: dict[str, Any],
        description: str | None = None,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
    ) -> CellTypeRecord:
        """A user-defined cell type, validated by the science module before it is stored."""
        user_id = actor.require_user()
        check_scope(visibility, team_id)
        cell = _from_parameters(parameters)
        row = CellTypeRow(
            name=cell.name,
            species=cell.species,
            description=description,
            parameters=cell.as_dict(),
            sources=_cell_sources(cell),
            visibility=visibility,
            team_id=team_id,
            created_by=user_id,
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


# --------------------------------------------------------------------------- protocols
def target_molality(components: list[SolutionComponent]) -> dict[str, float]:
    """Solution components (resolved library molecules) → molality per parameter name."""
    if not components:
        raise ValidationError("The target needs at least one component.", field="target.components")
    solutes = [solute_for(c, f"target.components[{i}]") for i, c in enumerate(components)]
    amounts = np.array([[c.amount for c in components]], dtype=np.float64)
    state = composition.to_molality(amounts, [c.unit for c in components], solutes)
    table = thermo.default_virial_parameters()
    names = [parameter_name(c, table) for c in components]
    return {n: float(m) for n, m in zip(names, state.molality_mol_per_kg[0], strict=True)}


@dataclass(frozen=True, slots=True)
class ProtocolRecord(OwnedRecord):
    """A saved protocol: its steps, the summary figures of the designed protocol and the
    whole stored design (chart data, comparison protocols, the request)."""

    id: uuid.UUID
    name: str
    description: str | None
    cell_type_id: uuid.UUID | None
    mixture_id: uuid.UUID | None
    temperature_c: float | None
    toxicity_cost: float | None
    steps: builtins.list[dict[str, Any]]
    summary: dict[str, Any]
    design: dict[str, Any]

    @classmethod
    def of(cls, row: Protocol) -> ProtocolRecord:
        design = dict(row.design or {})
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            cell_type_id=row.cell_type_id,
            mixture_id=row.mixture_id,
            temperature_c=row.temperature_c,
            toxicity_cost=row.toxicity_cost,
            steps=builtins.list(row.steps or []),
            summary=design.get("summary", {}),
            **owned_columns(row),
            design=design,
        )


@dataclass(frozen=True, slots=True)
class DesignResult:
    """A protocol design (:meth:`cryoprotect.science.protocols.ProtocolDesign.as_dict`: the
    designed, one-step and equal-step protocols, comparison and sensitivity) with the cell
    type and mixture it was designed for and the request it answers."""

    cell_type: str
    cell_name: str
    target: dict[str, float]
    temperature_c: float
    limits: dict[str, float]
    method: str
    settings: dict[str, Any]
    protocols: dict[str, Any]
    sensitivity: dict[str, Any]
    comparison: builtins.list[dict[str, Any]]
    cell_type_id: uuid.UUID
    cell_type_name: str
    mixture_id: uuid.UUID | None
    request: dict[str, Any]

    @property
    def designed(self) -> dict[str, Any]:
        """The designed protocol's evaluation (steps, chart, toxicity, limits)."""
        designed: dict[str, Any] = self.protocols["designed"]
        return designed


def _summary(evaluation: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "toxicity",
        "min_volume_fraction",
        "max_volume_fraction",
        "within_limits",
        "violations",
        "total_duration_s",
    )
    return {k: evaluation.get(k) for k in keys}


class ProtocolService(OwnedRows[Protocol, ProtocolRecord]):
    model = Protocol
    noun = "protocol"

    def __init__(self, db: Database, cell_types: CellTypeService, mixtures: MixtureService) -> None:
        super().__init__(db)
        self.cell_types = cell_types
        self.mixtures = mixtures

    def record(self, row: Protocol) -> ProtocolRecord:
        return ProtocolRecord.of(row)

    def _target(
        self, session: Session, target: dict[str, Any]
    ) -> tuple[dict[str, float], uuid.UUID | None]:
        mixture_id = target.get("mixture_id")
        if not mixture_id and not target.get("components"):
            raise ValidationError("Give target.components or target.mixture_id.", field="target")
        solution = self.mixtures.solution_components(
            session,
            components=target.get("components"),
            mixture_id=mixture_id,
            mixture_field="target.mixture_id",
        )
        return target_molality(solution), mixture_id

    def design(
        self,
        actor: Actor,
        *,
        cell_type: str,
        target: dict[str, Any],
        temperature_c: float,
        removal_temperature_c: float | None = None,
        osmotic_limits: dict[str, float] | None = None,
        max_steps: int = 4,
        allow_osmotic_buffer: bool = True,
        min_carrier_fraction: float = 0.0,
    ) -> DesignResult:
        """Design addition and removal; compare with one-step and equal-step protocols."""
        with self.db.transaction(actor.identity) as session:
            row, cell = self.cell_types.resolve(session, cell_type)
            molality, mixture_id = self._target(session, target)
        limits = None
        if osmotic_limits:
            low = osmotic_limits.get("min_volume_fraction", cell.min_volume_fraction)
            high = osmotic_limits.get("max_volume_fraction", cell.max_volume_fraction)
            limits = protocols.Limits(min_volume_fraction=low, max_volume_fraction=high)
        design = protocols.design_protocol(
            cell,
            molality,
            temperature_c=temperature_c,
            limits=limits,
            removal_temperature_c=removal_temperature_c,
            max_steps=max_steps,
            allow_osmotic_buffer=allow_osmotic_buffer,
            min_carrier_fraction=min_carrier_fraction,
            # Published ranges belong to the shipped parameter sets only (a user's cell type
            # may reuse a key with other numbers): its band is then reported as unknown.
            parameter_ranges=cells.parameter_ranges(cell)
            if row.created_by == SYSTEM_USER_ID
            else None,
        )
        return DesignResult(
            **design.as_dict(),
            cell_type_id=row.id,
            cell_type_name=row.name,
            mixture_id=mixture_id,
            request={
                "cell_type": str(cell_type),
                "target": {
                    k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in target.items()
                },
                "temperature_c": temperature_c,
                "removal_temperature_c": removal_temperature_c,
                "osmotic_limits": osmotic_limits,
                "max_steps": max_steps,
                "allow_osmotic_buffer": allow_osmotic_buffer,
                "min_carrier_fraction": min_carrier_fraction,
            },
        )

    def create(
        self,
        actor: Actor,
        *,
        name: str,
        design_request: dict[str, Any],
        description: str | None = None,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
    ) -> ProtocolRecord:
        """Design (server-side, so stored numbers are never client-supplied) and save."""
        user_id = actor.require_user()
        check_scope(visibility, team_id)
        if not (name or "").strip():
            raise ValidationError("A protocol needs a name.", field="name")
        design = self.design(actor, **design_request)
        designed = design.designed
        row = Protocol(
            name=name.strip(),
            description=description,
            cell_type_id=design.cell_type_id,
            mixture_id=design.mixture_id,
            steps=designed.get("steps", []),
            design={**_jsonable(asdict(design)), "summary": _jsonable(_summary(designed))},
            toxicity_cost=_total_cost(designed),
            temperature_c=design_request["temperature_c"],
            visibility=visibility,
            team_id=team_id,
            created_by=user_id,
        )
        return self._add(actor, row)

    def list(
        self,
        actor: Actor,
        *,
        page: int = 1,
        per_page: int = 25,
        q: str | None = None,
        cell_type_id: uuid.UUID | None = None,
    ) -> Page[ProtocolRecord]:
        query = sa.select(Protocol).order_by(Protocol.created_at.desc(), Protocol.id)
        if q:
            query = query.where(Protocol.name.ilike(f"%{q.strip()}%"))
        if cell_type_id:
            query = query.where(Protocol.cell_type_id == cell_type_id)
        return self._page(actor, query, page, per_page)

    def compare(
        self, actor: Actor, protocol_ids: builtins.list[uuid.UUID]
    ) -> builtins.list[ProtocolRecord]:
        """Saved protocols side by side: cost, volume excursion, duration, limits."""
        if not 2 <= len(protocol_ids) <= 10:
            raise ValidationError("Compare between 2 and 10 protocols.", field="ids")
        return [self.get(actor, pid) for pid in protocol_ids]


def _total_cost(evaluation: dict[str, Any]) -> float | None:
    toxicity = evaluation.get("toxicity") or {}
    total = toxicity.get("total") if isinstance(toxicity, dict) else None
    return float(total) if total is not None else None


def _jsonable(value: Any) -> Any:
    """UUIDs and numpy scalars to JSON types (for JSONB)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
