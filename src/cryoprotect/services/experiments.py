"""Experiments: what was done to which biological system with which solution, and what was
measured — plus the lab-verification workflow and predicted-versus-measured comparisons.

An experiment cites a mixture *by version* (the snapshot in ``mixture_versions``), a saved
protocol or a free-text one, the biological system (a cell type from the library, or a
tissue/organ described in words), the conditions (cooling/warming rates, storage, step
temperatures) and typed measurements with units and replicates.

Verification is the seed's lab workflow, enforced by the database (migration 0008): the
author submits a team experiment (``pending``); a team member with the *verify* capability
who is not the author marks it ``verified`` or ``rejected`` with notes, equipment and a
timestamp; editing the science of a decided experiment reopens it (``pending``). This
service checks the same rules first only to give a precise message.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.database import Database, translate_db_error
from cryoprotect.db.models import (
    CellType,
    Experiment,
    LabVerification,
    Mixture,
    MixtureVersion,
    Prediction,
    PredictiveModel,
    Protocol,
    User,
)
from cryoprotect.errors import Conflict, NotFound, PermissionDenied, ValidationError
from cryoprotect.services.actor import Actor
from cryoprotect.services.common import Page, change_visible, get_visible, paginate
from cryoprotect.services.mixtures import visible_components
from cryoprotect.services.molecules import check_scope


@dataclass(frozen=True)
class Measure:
    """A kind of measurement an experiment can report."""

    key: str
    label: str
    kind: str  # "percent", "number" or "boolean"
    units: tuple[str, ...]
    minimum: float | None = None
    maximum: float | None = None
    needs_assay: bool = False


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("viability_percent", "Post-thaw viability", "percent", ("%",), 0.0, 100.0),
        # Recovery counts can exceed 100 % (counting error), but not by far.
        Measure("recovery_percent", "Cell recovery", "percent", ("%",), 0.0, 200.0),
        Measure("attachment_percent", "Attachment", "percent", ("%",), 0.0, 100.0),
        Measure("membrane_integrity_percent", "Membrane integrity", "percent", ("%",), 0.0, 100.0),
        Measure("function_assay", "Function assay", "number", (), needs_assay=True),
        Measure("ice_observed", "Ice observed", "boolean", ("",)),
        Measure("other", "Other measurement", "number", (), needs_assay=True),
    )
}

BIOLOGICAL_KINDS = ("cell", "tissue", "organ", "organism")
CONDITION_RANGES: dict[str, tuple[float, float]] = {
    "cooling_rate_c_per_min": (0.0, 1.0e7),
    "warming_rate_c_per_min": (0.0, 1.0e7),
    "storage_temperature_c": (-273.15, 100.0),
    "storage_duration_h": (0.0, 1.0e6),
    "loading_temperature_c": (-273.15, 100.0),
    "unloading_temperature_c": (-273.15, 100.0),
}
CONDITION_TEXT = ("method", "container", "seeding", "notes")
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
MAX_RESULTS = 200
# The import's CSV column for an experiment column the database may refuse.
CSV_COLUMN_OF = {"mixture_id": "mixture", "cell_type_id": "cell_type"}
IMPORT_COLUMNS = (
    "experiment_id",
    "title",
    "mixture",
    "mixture_version",
    "cell_type",
    "performed_on",
    "operator",
    "measure",
    "value",
    "unit",
    "replicates",
    "sd",
    "assay",
    "time_point_h",
    "notes",
)


# --------------------------------------------------------------------------- validation
def _finite(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("Must be a finite number.", field=field)
    return float(value)


def clean_result(result: dict[str, Any], field: str) -> dict[str, Any]:
    """One measurement, checked against its measure's kind, unit and range."""
    key = result.get("measure")
    measure = MEASURES.get(key) if isinstance(key, str) else None
    if measure is None:
        raise ValidationError(
            f"measure must be one of {', '.join(MEASURES)}.", field=f"{field}.measure"
        )
    out: dict[str, Any] = {"measure": measure.key}
    value = result.get("value")
    if measure.kind == "boolean":
        if not isinstance(value, bool):
            raise ValidationError(f"{measure.label} is true or false.", field=f"{field}.value")
        out["value"], out["unit"] = value, ""
    else:
        number = _finite(value, f"{field}.value")
        if (
            measure.minimum is not None
            and measure.maximum is not None
            and not (measure.minimum <= number <= measure.maximum)
        ):
            raise ValidationError(
                f"{measure.label} must be between {measure.minimum:g} and {measure.maximum:g} "
                f"{measure.units[0]}.",
                field=f"{field}.value",
            )
        unit = (result.get("unit") or (measure.units[0] if measure.units else "")).strip()
        if measure.units and unit not in measure.units:
            raise ValidationError(
                f"{measure.label} is reported in {', '.join(measure.units)}.",
                field=f"{field}.unit",
            )
        if not measure.units and not unit:
            raise ValidationError(f"{measure.label} needs a unit.", field=f"{field}.unit")
        out["value"], out["unit"] = number, unit
    if measure.needs_assay and not (result.get("assay") or "").strip():
        raise ValidationError(f"{measure.label} needs the assay's name.", field=f"{field}.assay")
    replicates = result.get("replicates", 1)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ValidationError("Replicates is a whole number ≥ 1.", field=f"{field}.replicates")
    out["replicates"] = replicates
    if result.get("sd") is not None:
        if measure.kind == "boolean":
            raise ValidationError("A yes/no result has no SD.", field=f"{field}.sd")
        sd = _finite(result["sd"], f"{field}.sd")
        if sd < 0:
            raise ValidationError("SD must be ≥ 0.", field=f"{field}.sd")
        out["sd"] = sd
    if result.get("time_point_h") is not None:
        t = _finite(result["time_point_h"], f"{field}.time_point_h")
        if t < 0:
            raise ValidationError("Time point must be ≥ 0 h.", field=f"{field}.time_point_h")
        out["time_point_h"] = t
    for text in ("assay", "method", "notes"):
        if (result.get(text) or "").strip():
            out[text] = result[text].strip()
    return out


def clean_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(results) > MAX_RESULTS:
        raise ValidationError(f"At most {MAX_RESULTS} results.", field="results")
    return [clean_result(r, f"results[{i}]") for i, r in enumerate(results)]


def clean_conditions(conditions: dict[str, Any]) -> dict[str, Any]:
    """Conditions with units in their names, each range-checked."""
    out: dict[str, Any] = {}
    for key, value in conditions.items():
        field = f"conditions.{key}"
        if key in CONDITION_RANGES:
            if value is None:
                continue
            low, high = CONDITION_RANGES[key]
            number = _finite(value, field)
            if not low <= number <= high:
                raise ValidationError(f"Must be between {low:g} and {high:g}.", field=field)
            out[key] = number
        elif key == "step_temperatures_c":
            if not isinstance(value, list) or len(value) > 50:
                raise ValidationError("A list of at most 50 temperatures in °C.", field=field)
            temps = [_finite(v, f"{field}[{i}]") for i, v in enumerate(value)]
            if any(not -273.15 <= t <= 100.0 for t in temps):
                raise ValidationError(
                    "Temperatures must be between -273.15 and 100 °C.", field=field
                )
            out[key] = temps
        elif key in CONDITION_TEXT:
            if value is not None and not isinstance(value, str):
                raise ValidationError("Must be text.", field=field)
            if value:
                out[key] = value.strip()
        else:
            raise ValidationError(
                f"Unknown condition; use {', '.join([*CONDITION_RANGES, 'step_temperatures_c', *CONDITION_TEXT])}.",
                field=field,
            )
    return out


def clean_biological_system(system: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = system.get("kind")
    if kind is not None and kind not in BIOLOGICAL_KINDS:
        raise ValidationError(
            f"kind must be one of {', '.join(BIOLOGICAL_KINDS)}.", field="biological_system.kind"
        )
    for key in ("kind", "name", "species", "source", "passage", "details"):
        value = system.get(key)
        if value is not None and value != "":
            out[key] = value.strip() if isinstance(value, str) else value
    return out


# --------------------------------------------------------------------------- service
class ExperimentService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ helpers
    def _visible(self, session: Session, experiment_id: uuid.UUID) -> Experiment:
        row: Experiment = get_visible(session, Experiment, experiment_id, "experiment")
        return row

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

    def _dict(self, session: Session, e: Experiment) -> dict[str, Any]:
        return self._dicts(session, [e])[0]

    def _dicts(self, session: Session, rows: Sequence[Experiment]) -> list[dict[str, Any]]:
        """API dicts of several experiments, with the names of what they reference (one
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
        return [self._row_dict(e, mixtures, cells, protocols) for e in rows]

    @staticmethod
    def _row_dict(
        e: Experiment,
        mixtures: dict[uuid.UUID, str],
        cells: dict[uuid.UUID, str],
        protocols: dict[uuid.UUID, str],
    ) -> dict[str, Any]:
        mixture_name = mixtures.get(e.mixture_id) if e.mixture_id else None
        cell_name = cells.get(e.cell_type_id) if e.cell_type_id else None
        protocol_name = protocols.get(e.protocol_id) if e.protocol_id else None
        return {
            "id": e.id,
            "title": e.title,
            "mixture_id": e.mixture_id,
            "mixture_version": e.mixture_version,
            "mixture_name": mixture_name,
            "protocol_id": e.protocol_id,
            "protocol_name": protocol_name,
            "protocol_text": e.protocol_text,
            "cell_type_id": e.cell_type_id,
            "cell_type_name": cell_name,
            "biological_system": dict(e.biological_system or {}),
            "conditions": dict(e.conditions or {}),
            "results": list(e.results or []),
            "performed_on": e.performed_on,
            "operator": e.operator,
            "notes": e.notes,
            "attachments": list(e.attachments or []),
            "verification_status": e.verification_status,
            "visibility": e.visibility,
            "team_id": e.team_id,
            "created_by": e.created_by,
            "created_at": e.created_at,
            "updated_at": e.updated_at,
        }

    # ------------------------------------------------------------------ CRUD
    def create(
        self,
        actor: Actor,
        *,
        title: str,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
        submit: bool = False,
        **values: Any,
    ) -> dict[str, Any]:
        """Record an experiment in one transaction (optionally submitting it for verification)."""
        user_id = actor.require_user()
        check_scope(visibility, team_id)
        unknown = set(values) - set(CONTENT_FIELDS)
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(f"Unknown field {field}.", field=field)
        with self.db.transaction(actor.identity) as session:
            clean = self._clean(session, {"title": title, **values})
            experiment = Experiment(
                **clean, visibility=visibility, team_id=team_id, created_by=user_id
            )
            session.add(experiment)
            session.flush()
            if submit:
                self._submit(session, experiment, user_id, None)
            session.refresh(experiment)
            return self._dict(session, experiment)

    def get(self, actor: Actor, experiment_id: uuid.UUID) -> dict[str, Any]:
        with self.db.transaction(actor.identity) as session:
            return self._dict(session, self._visible(session, experiment_id))

    def list(
        self,
        actor: Actor,
        *,
        page: int = 1,
        per_page: int = 25,
        q: str | None = None,
        status: str | None = None,
        team_id: uuid.UUID | None = None,
        mixture_id: uuid.UUID | None = None,
        cell_type_id: uuid.UUID | None = None,
        awaiting_me: bool = False,
    ) -> Page[dict[str, Any]]:
        """Visible experiments, newest first; ``awaiting_me`` = the caller's verification queue."""
        query = sa.select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id)
        if q:
            query = query.where(Experiment.title.ilike(f"%{q.strip()}%"))
        if status:
            query = query.where(Experiment.verification_status == status)
        if team_id:
            query = query.where(Experiment.team_id == team_id)
        if mixture_id:
            query = query.where(Experiment.mixture_id == mixture_id)
        if cell_type_id:
            query = query.where(Experiment.cell_type_id == cell_type_id)
        if awaiting_me:
            uid = actor.require_user()
            query = query.where(
                Experiment.verification_status == "pending",
                Experiment.visibility != "private",
                Experiment.created_by != uid,
                sa.func.auth.team_can(Experiment.team_id, "verify"),
            )
        with self.db.transaction(actor.identity) as session:
            result = paginate(session, query, page, per_page)
            return Page(
                self._dicts(session, result.items),
                result.total,
                result.page,
                result.per_page,
            )

    def update(
        self, actor: Actor, experiment_id: uuid.UUID, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Edit; editing a verified or rejected experiment sends it back to pending."""
        actor.require_user()
        allowed = {*CONTENT_FIELDS, "visibility", "team_id"}
        unknown = set(changes) - allowed
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(f"{field} cannot be changed here.", field=field)
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            check_scope(
                changes.get("visibility", experiment.visibility),
                changes.get("team_id", experiment.team_id),
            )
            if "mixture_version" in changes and "mixture_id" not in changes:
                changes = {**changes, "mixture_id": experiment.mixture_id}
            values = self._clean(session, changes)
            change_visible(session, Experiment, experiment_id, "experiment", values)
            session.refresh(experiment)
            return self._dict(session, experiment)

    def delete(self, actor: Actor, experiment_id: uuid.UUID) -> None:
        actor.require_user()
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            if experiment.verification_status == "verified":
                raise Conflict(
                    "A verified experiment cannot be deleted; edit it (which reopens "
                    "verification) or ask a team admin.",
                    details={"field": "verification_status"},
                )
            change_visible(session, Experiment, experiment_id, "experiment")

    # ------------------------------------------------------------------ verification
    def _submit(
        self, session: Session, experiment: Experiment, user_id: uuid.UUID, notes: str | None
    ) -> None:
        if experiment.visibility == "private" or experiment.team_id is None:
            raise ValidationError(
                "Only experiments shared with a team can be verified; set visibility to "
                "'team' first.",
                field="visibility",
            )
        if experiment.verification_status == "pending":
            raise Conflict("This experiment is already waiting for verification.")
        if experiment.verification_status == "verified":
            raise Conflict("This experiment is already verified; an edit reopens it.")
        session.add(
            LabVerification(
                experiment_id=experiment.id,
                status="pending",
                notes=notes or "Submitted for verification",
                created_by=user_id,
            )
        )
        session.flush()

    def submit(
        self, actor: Actor, experiment_id: uuid.UUID, notes: str | None = None
    ) -> dict[str, Any]:
        """Ask the team's verifiers to check this experiment (unverified/rejected → pending)."""
        user_id = actor.require_user()
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            self._submit(session, experiment, user_id, notes)
            session.refresh(experiment)
            return self._dict(session, experiment)

    def decide(
        self,
        actor: Actor,
        experiment_id: uuid.UUID,
        *,
        status: str,
        notes: str | None = None,
        equipment: str | None = None,
    ) -> dict[str, Any]:
        """A verifier (not the author) marks a pending experiment verified or rejected."""
        user_id = actor.require_user()
        if status not in ("verified", "rejected"):
            raise ValidationError("status must be 'verified' or 'rejected'.", field="status")
        if status == "rejected" and not (notes or "").strip():
            raise ValidationError("Say why the experiment is rejected.", field="notes")
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            if experiment.created_by == user_id:
                raise PermissionDenied("You cannot verify your own experiment.")
            if experiment.visibility == "private" or experiment.team_id is None:
                raise PermissionDenied("Only team experiments can be verified.")
            if not session.scalar(sa.select(sa.func.auth.team_can(experiment.team_id, "verify"))):
                raise PermissionDenied(
                    "You need the verifier (or admin) role in this experiment's team."
                )
            if experiment.verification_status != "pending":
                raise Conflict(
                    f"The experiment is {experiment.verification_status}, not pending; the "
                    "author submits it first.",
                    details={"field": "verification_status"},
                )
            session.add(
                LabVerification(
                    experiment_id=experiment.id,
                    status=status,
                    verifier_id=user_id,
                    notes=notes,
                    equipment=equipment,
                    verified_at=sa.func.now(),
                    created_by=user_id,
                )
            )
            session.flush()
            session.refresh(experiment)
            return self._dict(session, experiment)

    def history(self, actor: Actor, experiment_id: uuid.UUID) -> dict[str, Any]:
        """Verification decisions and every change (who, when, what), oldest first.

        A change is shown only to callers who could see the experiment both before and
        after it (``public.experiment_history``, migration 0011); others get the entry
        with empty ``changes`` and ``redacted`` true (e.g. notes written while private).
        """
        with self.db.transaction(actor.identity) as session:
            experiment = self._visible(session, experiment_id)
            verifications = session.scalars(
                sa.select(LabVerification)
                .where(LabVerification.experiment_id == experiment_id)
                .order_by(LabVerification.created_at, LabVerification.id)
            ).all()
            changes = session.execute(
                sa.text(
                    "SELECT occurred_at, actor_id, action, changes, redacted "
                    "FROM public.experiment_history(:id)"
                ),
                {"id": experiment_id},
            ).all()
            names = self._user_names(
                session,
                {v.created_by for v in verifications}
                | {v.verifier_id for v in verifications if v.verifier_id}
                | {c.actor_id for c in changes if c.actor_id},
            )
            return {
                "experiment_id": experiment.id,
                "verification_status": experiment.verification_status,
                "verifications": [
                    {
                        "id": v.id,
                        "status": v.status,
                        "verifier_id": v.verifier_id,
                        "verifier": names.get(v.verifier_id) if v.verifier_id else None,
                        "notes": v.notes,
                        "equipment": v.equipment,
                        "verified_at": v.verified_at,
                        "created_by": v.created_by,
                        "created_by_name": names.get(v.created_by),
                        "created_at": v.created_at,
                    }
                    for v in verifications
                ],
                "changes": [
                    {
                        "occurred_at": c.occurred_at,
                        "actor_id": c.actor_id,
                        "actor": names.get(c.actor_id) if c.actor_id else None,
                        "action": c.action,
                        "changes": c.changes,
                        "redacted": c.redacted,
                    }
                    for c in changes
                ],
            }

    @staticmethod
    def _user_names(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Display names of the users the caller may see (RLS: self and team-mates)."""
        if not ids:
            return {}
        rows = session.execute(
            sa.select(User.id, User.display_name, User.email).where(User.id.in_(ids))
        ).all()
        return {r.id: r.display_name or r.email for r in rows}

    # ------------------------------------------------------------------ predicted vs measured
    def _predictions(
        self, session: Session, mixture_id: uuid.UUID, version: int | None, target: str
    ) -> list[tuple[Prediction, PredictiveModel]]:
        query = (
            sa.select(Prediction, PredictiveModel)
            .join(PredictiveModel, PredictiveModel.id == Prediction.model_id)
            .where(Prediction.mixture_id == mixture_id, Prediction.target == target)
            .order_by(Prediction.created_at.desc(), Prediction.id)
        )
        if version is not None:
            query = query.where(
                sa.or_(Prediction.mixture_version.is_(None), Prediction.mixture_version == version)
            )
        latest: dict[uuid.UUID, tuple[Prediction, PredictiveModel]] = {}
        for p, m in session.execute(query).all():
            latest.setdefault(m.id, (p, m))  # newest prediction per model version
        return list(latest.values())

    @staticmethod
    def _measured(e: Experiment) -> dict[str, dict[str, Any]]:
        """Per numeric measure: replicate-weighted mean, total replicates, unit."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for r in e.results or []:
            if MEASURES.get(r.get("measure"), MEASURES["other"]).kind == "percent":
                grouped.setdefault(r["measure"], []).append(r)
        out = {}
        for key, rows in grouped.items():
            n = sum(int(r.get("replicates", 1)) for r in rows)
            mean = sum(float(r["value"]) * int(r.get("replicates", 1)) for r in rows) / n
            out[key] = {"value": mean, "replicates": n, "unit": rows[0].get("unit", "%")}
        return out

    def _comparisons(self, session: Session, e: Experiment) -> list[dict[str, Any]]:
        if e.mixture_id is None:
            return []
        out = []
        for measure, measured in self._measured(e).items():
            for p, m in self._predictions(session, e.mixture_id, e.mixture_version, measure):
                inside = (
                    p.lower <= measured["value"] <= p.upper
                    if p.lower is not None and p.upper is not None
                    else None
                )
                out.append(
                    {
                        "measure": measure,
                        "unit": measured["unit"],
                        "measured": measured["value"],
                        "replicates": measured["replicates"],
                        "predicted": p.value,
                        "lower": p.lower,
                        "upper": p.upper,
                        "confidence_level": p.confidence_level,
                        "error": p.value - measured["value"],
                        "inside_interval": inside,
                        "model_id": m.id,
                        "model_name": m.name,
                        "model_version": m.version,
                        "prediction_id": p.id,
                        "predicted_at": p.created_at,
                    }
                )
        return out

    def predicted_vs_measured(self, actor: Actor, experiment_id: uuid.UUID) -> dict[str, Any]:
        """Stored predictions for the experiment's mixture against what was measured."""
        with self.db.transaction(actor.identity) as session:
            e = self._visible(session, experiment_id)
            return {
                "experiment_id": e.id,
                "mixture_id": e.mixture_id,
                "mixture_version": e.mixture_version,
                "method": (
                    "measured = replicate-weighted mean of the experiment's results per measure; "
                    "predicted = the newest stored prediction of each model version for this "
                    "mixture (same version, or unversioned); error = predicted − measured"
                ),
                "comparisons": self._comparisons(session, e),
            }

    def summary(
        self,
        actor: Actor,
        *,
        team_id: uuid.UUID | None = None,
        verified_only: bool = False,
    ) -> dict[str, Any]:
        """Prediction error by model version across the visible (team's) experiments."""
        query = sa.select(Experiment).where(Experiment.mixture_id.is_not(None))
        if team_id:
            query = query.where(Experiment.team_id == team_id)
        if verified_only:
            query = query.where(Experiment.verification_status == "verified")
        with self.db.transaction(actor.identity) as session:
            rows: list[dict[str, Any]] = []
            experiments = session.scalars(query.limit(5000)).all()
            for e in experiments:
                rows.extend({**c, "experiment_id": e.id} for c in self._comparisons(session, e))
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault(
                (r["model_id"], r["model_name"], r["model_version"], r["measure"]), []
            ).append(r)
        models = []
        for (model_id, name, version, measure), items in groups.items():
            errors = [float(i["error"]) for i in items]
            inside = [i["inside_interval"] for i in items if i["inside_interval"] is not None]
            models.append(
                {
                    "model_id": model_id,
                    "model_name": name,
                    "model_version": version,
                    "measure": measure,
                    "n": len(items),
                    "experiments": len({i["experiment_id"] for i in items}),
                    "mae": statistics.fmean([abs(x) for x in errors]),
                    "rmse": math.sqrt(statistics.fmean([x * x for x in errors])),
                    "bias": statistics.fmean(errors),
                    "coverage": (sum(inside) / len(inside)) if inside else None,
                    "unit": items[0]["unit"],
                }
            )
        models.sort(key=lambda m: (m["measure"], m["model_name"], m["model_version"]))
        return {
            "team_id": team_id,
            "verified_only": verified_only,
            "experiments": len(experiments),
            "method": "MAE, RMSE and bias of predicted − measured; coverage = share of "
            "measurements inside the prediction interval",
            "models": models,
        }

    # ------------------------------------------------------------------ datasets
    def dataset_records(
        self,
        actor: Actor,
        *,
        measure: str,
        team_id: uuid.UUID | None = None,
        verified_only: bool = True,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Training records (mixture composition → measured value) and their sources.

        Only verified experiments feed a verified dataset; each experiment is its own CV
        group, so its replicates never straddle folds.
        """
        if measure not in MEASURES or MEASURES[measure].kind != "percent":
            numeric = [k for k, m in MEASURES.items() if m.kind == "percent"]
            raise ValidationError(f"measure must be one of {', '.join(numeric)}.", field="measure")
        query = sa.select(Experiment).where(Experiment.mixture_id.is_not(None))
        if team_id:
            query = query.where(Experiment.team_id == team_id)
        if verified_only:
            query = query.where(Experiment.verification_status == "verified")
        records, sources = [], []
        with self.db.transaction(actor.identity) as session:
            for e in session.scalars(query.order_by(Experiment.created_at)).all():
                measured = self._measured(e).get(measure)
                if measured is None:
                    continue
                components = session.scalar(
                    sa.select(visible_components(MixtureVersion.components)).where(
                        MixtureVersion.mixture_id == e.mixture_id,
                        MixtureVersion.version == e.mixture_version,
                    )
                )
                # A snapshot naming a molecule the caller cannot see is not theirs to train on.
                if components is None or any(c.get("redacted") for c in components):
                    continue
                records.append(
                    {
                        "id": f"experiment-{e.id}",
                        "components": [
                            {"name": c["name"], "amount": c["amount"], "unit": c["unit"]}
                            for c in components
                        ],
                        "targets": {measure: measured["value"]},
                        "group": f"experiment-{e.id}",
                    }
                )
                sources.append(
                    {
                        "note": f"experiment {e.id} ({e.title}), {e.verification_status}",
                    }
                )
        return records, sources

    # ------------------------------------------------------------------ CSV import
    def import_results(
        self,
        actor: Actor,
        content: bytes,
        *,
        visibility: str = "private",
        team_id: uuid.UUID | None = None,
        atomic: bool = False,
    ) -> dict[str, Any]:
        """Import measurements from CSV: one row per measurement.

        A row names an existing experiment (``experiment_id``, which the caller may edit)
        or a ``title``: rows with the same new title become one new experiment (with the
        optional mixture by name, cell type by name, date and operator of its first row).
        Good rows are written in one transaction and bad rows are reported by row number
        and field; with ``atomic`` any bad row writes nothing.
        """
        user_id = actor.require_user()
        check_scope(visibility, team_id)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text.", field="file") from exc
        reader = csv.DictReader(io.StringIO(text))
        columns = [c.strip() for c in reader.fieldnames or []]
        unknown = [c for c in columns if c not in IMPORT_COLUMNS]
        if unknown:
            raise ValidationError(
                f"Unknown column {unknown[0]!r}; columns are {', '.join(IMPORT_COLUMNS)}.",
                field="file",
            )
        if "measure" not in columns or not ({"experiment_id", "title"} & set(columns)):
            raise ValidationError(
                "The CSV needs a 'measure' column and 'experiment_id' or 'title'.", field="file"
            )
        report: list[dict[str, Any]] = []
        with self.db.transaction(actor.identity) as session:
            existing: dict[uuid.UUID, list[dict[str, Any]]] = {}
            new: dict[str, dict[str, Any]] = {}
            for number, raw in enumerate(reader, start=2):
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                try:
                    result = clean_result(self._csv_result(row), "row")
                    target = self._csv_target(session, row, new, user_id)
                except (ValidationError, NotFound) as exc:
                    field = getattr(exc, "field", None) or (exc.details or {}).get("field")
                    report.append(
                        {
                            "row": number,
                            "status": "rejected",
                            "field": (field or "").replace("row.", ""),
                            "reason": exc.message,
                        }
                    )
                    continue
                if isinstance(target, uuid.UUID):
                    existing.setdefault(target, []).append(result)
                    report.append({"row": number, "status": "added", "experiment_id": target})
                else:
                    new[target]["results"].append(result)
                    report.append({"row": number, "status": "added", "title": target})
            rejected = [r for r in report if r["status"] == "rejected"]
            if not report:
                raise ValidationError("The file has no data rows.", field="file")
            if atomic and rejected:  # nothing has been written yet
                return {
                    "total": len(report),
                    "written": 0,
                    "experiments_created": 0,
                    "experiments_updated": 0,
                    "rejected_count": len(rejected),
                    "rows": report,
                }
            for experiment_id, results in existing.items():
                current = session.get(Experiment, experiment_id)
                assert current is not None
                change_visible(
                    session,
                    Experiment,
                    experiment_id,
                    "experiment",
                    {"results": [*current.results, *results]},
                )
            created: dict[str, uuid.UUID] = {}
            for title, spec in new.items():
                refused = self._create_or_refuse(
                    session,
                    Experiment(**spec, visibility=visibility, team_id=team_id, created_by=user_id),
                    atomic=atomic,
                )
                if isinstance(refused, Conflict):
                    # e.g. a team import citing a private mixture: that experiment's rows
                    # are refused, with the database's reason (migration 0010)
                    field = CSV_COLUMN_OF.get(str(refused.details.get("field")), "")
                    for r in report:
                        if r.get("title") == title:
                            del r["title"]
                            r.update(status="rejected", field=field, reason=refused.message)
                    continue
                created[title] = refused
            for r in report:
                if r.get("title") in created:
                    r["experiment_id"] = created[r.pop("title")]
            rejected = [r for r in report if r["status"] == "rejected"]
            return {
                "total": len(report),
                "written": len(report) - len(rejected),
                "experiments_created": len(created),
                "experiments_updated": len(existing),
                "rejected_count": len(rejected),
                "rows": report,
            }

    @staticmethod
    def _create_or_refuse(
        session: Session, experiment: Experiment, *, atomic: bool
    ) -> uuid.UUID | Conflict:
        """Insert one imported experiment in a savepoint; the database's refusal of its
        scope (a :class:`Conflict`) is returned instead of raised unless ``atomic``."""
        try:
            with session.begin_nested():
                session.add(experiment)
                session.flush()
        except sa.exc.IntegrityError as exc:
            refused = translate_db_error(exc)
            if atomic or not isinstance(refused, Conflict):
                raise
            return refused
        return experiment.id

    @staticmethod
    def _csv_result(row: dict[str, str]) -> dict[str, Any]:
        def number(key: str) -> float | None:
            if not row.get(key):
                return None
            try:
                return float(row[key])
            except ValueError:
                raise ValidationError(f"{key} is not a number.", field=f"row.{key}") from None

        measure = row.get("measure", "")
        value: Any
        if MEASURES.get(measure) is not None and MEASURES[measure].kind == "boolean":
            text = row.get("value", "").lower()
            if text not in ("true", "false", "yes", "no", "1", "0"):
                raise ValidationError("value must be yes or no.", field="row.value")
            value = text in ("true", "yes", "1")
        else:
            value = number("value")
        replicates: Any = 1
        if row.get("replicates"):
            try:
                replicates = int(row["replicates"])
            except ValueError:
                raise ValidationError(
                    "replicates is not a whole number.", field="row.replicates"
                ) from None
        return {
            "measure": measure,
            "value": value,
            "unit": row.get("unit") or None,
            "replicates": replicates,
            "sd": number("sd"),
            "time_point_h": number("time_point_h"),
            "assay": row.get("assay") or None,
            "notes": row.get("notes") or None,
        }

    def _csv_target(
        self,
        session: Session,
        row: dict[str, str],
        new: dict[str, dict[str, Any]],
        user_id: uuid.UUID,
    ) -> uuid.UUID | str:
        if row.get("experiment_id"):
            try:
                experiment_id = uuid.UUID(row["experiment_id"])
            except ValueError:
                raise ValidationError(
                    "experiment_id is not a UUID.", field="row.experiment_id"
                ) from None
            experiment = session.get(Experiment, experiment_id)
            if experiment is None:
                raise NotFound("Experiment not found.", details={"field": "experiment_id"})
            editable = session.scalar(
                sa.select(
                    sa.func.auth.can_edit_row(
                        experiment.created_by, experiment.team_id, experiment.visibility
                    )
                )
            )
            if not editable:
                raise ValidationError(
                    "You may not add results to this experiment.", field="row.experiment_id"
                )
            return experiment_id
        title = row.get("title", "")
        if not title:
            raise ValidationError("Give experiment_id or title.", field="row.title")
        if title in new:
            return title
        spec: dict[str, Any] = {"title": title[:300], "results": []}
        if row.get("mixture"):
            mixture = session.scalar(
                sa.select(Mixture)
                .where(sa.func.lower(Mixture.name) == row["mixture"].lower())
                .order_by((Mixture.created_by == user_id).desc(), Mixture.created_at)
            )
            if mixture is None:
                raise ValidationError(
                    f"No visible mixture named {row['mixture']!r}.", field="row.mixture"
                )
            version = None
            if row.get("mixture_version"):
                try:
                    version = int(row["mixture_version"])
                except ValueError:
                    raise ValidationError(
                        "mixture_version is not a whole number.", field="row.mixture_version"
                    ) from None
            spec["mixture_id"], spec["mixture_version"] = self._resolve_mixture(
                session, mixture.id, version
            )
        if row.get("cell_type"):
            cell = session.scalar(
                sa.select(CellType).where(sa.func.lower(CellType.name) == row["cell_type"].lower())
            )
            if cell is None:
                raise ValidationError(
                    f"No visible cell type named {row['cell_type']!r}.", field="row.cell_type"
                )
            spec["cell_type_id"] = cell.id
            spec["biological_system"] = {"kind": "cell", "name": cell.name}
        if row.get("performed_on"):
            try:
                spec["performed_on"] = date.fromisoformat(row["performed_on"])
            except ValueError:
                raise ValidationError(
                    "performed_on must be a date (YYYY-MM-DD).", field="row.performed_on"
                ) from None
        if row.get("operator"):
            spec["operator"] = row["operator"][:200]
        new[title] = spec
        return title
