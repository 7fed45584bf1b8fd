"""What every experiment use case shares: the database handle, the visible row, the
mixture version an experiment cites, cleaning of its content and its record."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import CellType, Experiment, Mixture, MixtureVersion, Protocol
from cryoprotect.errors import NotFound, ValidationError
from cryoprotect.services.common import record_from
from cryoprotect.services.experiments.measures import (
    clean_biological_system,
    clean_conditions,
    clean_results,
)
from cryoprotect.services.owned import OwnedRecord, OwnedRows

CONTENT_FIELDS = (
    "title",
    "mixture_id",
    "mixture_version",
    "protocol_id",
    "protocol_text",
    "cell_type_id",
    "biological_system",
    "conditions",
    "results",
    "performed_on",
    "operator",
    "notes",
    "attachments",
)


@dataclass(frozen=True, slots=True)
class ExperimentRecord(OwnedRecord):
    """An experiment as the caller sees it, with the names of the mixture, protocol and
    cell type it cites (None where it cites none or the caller cannot see it)."""

    id: uuid.UUID
    title: str
    mixture_id: uuid.UUID | None
    mixture_version: int | None
    mixture_name: str | None
    protocol_id: uuid.UUID | None
    protocol_name: str | None
    protocol_text: str | None
    cell_type_id: uuid.UUID | None
    cell_type_name: str | None
    biological_system: dict[str, Any]
    conditions: dict[str, Any]
    results: list[dict[str, Any]]
    performed_on: date | None
    operator: str | None
    notes: str | None
    attachments: list[dict[str, Any]]
    verification_status: str

    @classmethod
    def of(
        cls,
        e: Experiment,
        *,
        mixture_name: str | None,
        protocol_name: str | None,
        cell_type_name: str | None,
    ) -> ExperimentRecord:
        return record_from(
            cls,
            e,
            mixture_name=mixture_name,
            protocol_name=protocol_name,
            cell_type_name=cell_type_name,
            biological_system=dict(e.biological_system or {}),
            conditions=dict(e.conditions or {}),
            results=list(e.results or []),
            attachments=list(e.attachments or []),
        )


class ExperimentServiceBase(OwnedRows[Experiment, ExperimentRecord]):
    """The state and helpers of :class:`~cryoprotect.services.experiments.ExperimentService`."""

    model = Experiment
    noun = "experiment"

    def _resolve_mixture(
        self, session: Session, mixture_id: uuid.UUID | None, version: int | None
    ) -> tuple[uuid.UUID | None, int | None]:
        if mixture_id is None:
            if version is not None:
                raise ValidationError("mixture_version needs mixture_id.", field="mixture_version")
            return None, None
        mixture = session.get(Mixture, mixture_id)
        if mixture is None:
            raise NotFound("Mixture not found.", details={"field": "mixture_id"})
        if version is None:
            return mixture.id, mixture.version
        exists = session.scalar(
            sa.select(MixtureVersion.id).where(
                MixtureVersion.mixture_id == mixture_id, MixtureVersion.version == version
            )
        )
        if exists is None:
            raise ValidationError(
                f"Mixture {mixture.name} has no version {version} (current: {mixture.version}).",
                field="mixture_version",
            )
        return mixture.id, version

    def _check_reference(
        self, session: Session, model: Any, row_id: uuid.UUID | None, field: str
    ) -> None:
        if row_id is not None and session.get(model, row_id) is None:
            raise NotFound(
                f"{field.removesuffix('_id').replace('_', ' ').capitalize()} not found.",
                details={"field": field},
            )

    def _clean(self, session: Session, values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        if "title" in out:
            if not (out["title"] or "").strip():
                raise ValidationError("An experiment needs a title.", field="title")
            out["title"] = out["title"].strip()
        if "mixture_id" in out or "mixture_version" in out:
            out["mixture_id"], out["mixture_version"] = self._resolve_mixture(
                session, out.get("mixture_id"), out.get("mixture_version")
            )
        self._check_reference(session, Protocol, out.get("protocol_id"), "protocol_id")
        self._check_reference(session, CellType, out.get("cell_type_id"), "cell_type_id")
        if "results" in out:
            out["results"] = clean_results(out["results"] or [])
        if "conditions" in out:
            out["conditions"] = clean_conditions(out["conditions"] or {})
        if "biological_system" in out:
            out["biological_system"] = clean_biological_system(out["biological_system"] or {})
        if "attachments" in out:
            out["attachments"] = [dict(a) for a in out["attachments"] or []]
        return out

    def records(self, session: Session, rows: Sequence[Experiment]) -> list[ExperimentRecord]:
        """Records of several experiments, with the names of what they reference (one
        query per referenced table for the whole page, not per row)."""

        def names(model: Any, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
            wanted = {i for i in ids if i is not None}
            if not wanted:
                return {}
            found = session.execute(sa.select(model.id, model.name).where(model.id.in_(wanted)))
            return {row.id: row.name for row in found}

        mixtures = names(Mixture, (e.mixture_id for e in rows))
        cells = names(CellType, (e.cell_type_id for e in rows))
        protocols = names(Protocol, (e.protocol_id for e in rows))
        return [
            ExperimentRecord.of(
                e,
                mixture_name=mixtures.get(e.mixture_id) if e.mixture_id else None,
                protocol_name=protocols.get(e.protocol_id) if e.protocol_id else None,
                cell_type_name=cells.get(e.cell_type_id) if e.cell_type_id else None,
            )
            for e in rows
        ]
