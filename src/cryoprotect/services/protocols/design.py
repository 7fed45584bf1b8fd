"""Protocol design: a request (cell type, target solution by library components or a
mixture, temperatures, limits) mapped onto :func:`cryoprotect.science.protocols.design_protocol`,
and designs stored as ``protocols`` rows; all numbers come from the science modules.
"""

from __future__ import annotations

import builtins
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Unpack

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import SYSTEM_USER_ID, Database
from cryoprotect.db.models import Protocol
from cryoprotect.errors import InfeasibleProtocolError, ValidationError
from cryoprotect.science import cells, composition, protocols, thermo
from cryoprotect.science.jsonable import jsonable
from cryoprotect.science.protocols.validation import StepOptions
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Listing, Page, narrowed, record_from, required_text
from cryoprotect.services.mixtures import MixtureService
from cryoprotect.services.owned import OwnedRecord, OwnedRows, Scope, author
from cryoprotect.services.protocols.cell_types import CellTypeService
from cryoprotect.services.solutions import SolutionComponent, parameter_name, solute_for


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
        return record_from(
            cls,
            row,
            steps=builtins.list(row.steps or []),
            summary=design.get("summary", {}),
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
        min_carrier_fraction: float = 1.0,
    ) -> DesignResult:
        """Design addition and removal; compare with one-step and equal-step protocols.

        The default keeps the carrier's salts at full strength in every step (conventional
        practice); with ``min_carrier_fraction`` < 1 the conventional design is computed as
        well and ``settings["carrier_comparison"]`` holds both toxicity costs.
        """
        with self.db.transaction(actor.identity) as session:
            row, cell = self.cell_types.resolve(session, cell_type)
            molality, mixture_id = self._target(session, target)
        limits = None
        if osmotic_limits:
            low = osmotic_limits.get("min_volume_fraction", cell.min_volume_fraction)
            high = osmotic_limits.get("max_volume_fraction", cell.max_volume_fraction)
            limits = protocols.Limits(min_volume_fraction=low, max_volume_fraction=high)
        options: StepOptions = {
            "temperature_c": temperature_c,
            "limits": limits,
            "removal_temperature_c": removal_temperature_c,
            "max_steps": max_steps,
            "allow_osmotic_buffer": allow_osmotic_buffer,
            "min_carrier_fraction": min_carrier_fraction,
        }
        design = protocols.design_protocol(
            cell,
            molality,
            # Published ranges belong to the shipped parameter sets only (a user's cell type
            # may reuse a key with other numbers): its band is then reported as unknown.
            parameter_ranges=cells.parameter_ranges(cell)
            if row.created_by == SYSTEM_USER_ID
            else None,
            **options,
        )
        answer = design.as_dict()
        if min_carrier_fraction < 1.0:
            answer["settings"]["carrier_comparison"] = _carrier_comparison(
                design, cell, molality, options
            )
        return DesignResult(
            **answer,
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
        **scope: Unpack[Scope],
    ) -> ProtocolRecord:
        """Design (server-side, so stored numbers are never client-supplied) and save."""
        owner = author(actor, **scope)
        name = required_text(name, "A protocol needs a name.")
        design = self.design(actor, **design_request)
        designed = design.designed
        row = Protocol(
            name=name,
            description=description,
            cell_type_id=design.cell_type_id,
            mixture_id=design.mixture_id,
            steps=designed.get("steps", []),
            design={**jsonable(asdict(design)), "summary": jsonable(_summary(designed))},
            toxicity_cost=_total_cost(designed),
            temperature_c=design_request["temperature_c"],
            **owner.columns(),
        )
        return self._add(actor, row)

    def list(
        self,
        actor: Actor,
        *,
        cell_type_id: uuid.UUID | None = None,
        **listing: Unpack[Listing],
    ) -> Page[ProtocolRecord]:
        query = sa.select(Protocol).order_by(Protocol.created_at.desc(), Protocol.id)
        query = narrowed(
            query, (Protocol.cell_type_id, cell_type_id), text=(Protocol.name, listing.get("q"))
        )
        return self._listed(actor, query, listing)

    def compare(
        self, actor: Actor, protocol_ids: builtins.list[uuid.UUID]
    ) -> builtins.list[ProtocolRecord]:
        """Saved protocols side by side: cost, volume excursion, duration, limits."""
        if not 2 <= len(protocol_ids) <= 10:
            raise ValidationError("Compare between 2 and 10 protocols.", field="ids")
        return [self.get(actor, pid) for pid in protocol_ids]


def _carrier_comparison(
    design: protocols.ProtocolDesign,
    cell: cells.CellType,
    molality: dict[str, float],
    options: StepOptions,
) -> dict[str, Any]:
    """The salt-reduced design beside the conventional one (carrier kept at full strength in
    every step, designed with the same options): toxicity costs, their difference and ratio."""

    def figures(evaluation: protocols.ProtocolEvaluation) -> dict[str, Any]:
        return {
            "toxicity_cost": evaluation.toxicity.total,
            "total_duration_s": evaluation.total_duration_s,
            "min_volume_fraction": evaluation.min_volume_fraction,
            "max_volume_fraction": evaluation.max_volume_fraction,
            "steps": len(evaluation.addition) + len(evaluation.removal),
        }

    chosen = design.designed
    result: dict[str, Any] = {
        "min_carrier_fraction": design.settings.get("min_carrier_fraction"),
        "toxicity_unit": chosen.toxicity.unit,
        "salt_reduced": figures(chosen),
    }
    try:
        kept: StepOptions = {**options, "min_carrier_fraction": 1.0}
        conventional = protocols.design_protocol(cell, molality, **kept).designed
    except InfeasibleProtocolError as exc:
        return {**result, "conventional": None, "reason": f"conventional design infeasible: {exc}"}
    base = conventional.toxicity.total
    return {
        **result,
        "conventional": figures(conventional),
        "difference": chosen.toxicity.total - base,
        "ratio": chosen.toxicity.total / base if base > 0 else None,
    }


def _total_cost(evaluation: dict[str, Any]) -> float | None:
    toxicity = evaluation.get("toxicity") or {}
    total = toxicity.get("total") if isinstance(toxicity, dict) else None
    return float(total) if total is not None else None
