"""What the toxicity and cocktail services return (frozen records the API's schemas dump)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from cryoprotect.db.models import ToxicityModel
from cryoprotect.errors import ValidationError
from cryoprotect.science.jsonable import jsonable
from cryoprotect.science.toxicity import CITATIONS, EQUATIONS, KineticToxicityModel
from cryoprotect.services.owned import OwnedRecord, owned_columns

#: Columns of a ``toxicity_models`` row a record shows as they are.
_ROW_COLUMNS = ("id", "name", "version", "status", "progress", "error", "training_seconds")
#: Values of the stored model (``toxicity_models.model``) a record shows as they are (None
#: when absent).
_MODEL_VALUES = (
    "t_ref_k",
    "temperature_dependence",
    "valid_temperature_k",
    "valid_max_total_molality",
    "source",
    "provenance",
    "interval_level",
)
#: Values of the fit's summary (``toxicity_models.fit``) shown as they are; and its lists.
_FIT_VALUES = (
    "aic",
    "bic",
    "log_likelihood",
    "sigma",
    "n_observations",
    "n_free",
    "held_out_rmse",
    "interval_method",
    "error_model",
)
_FIT_LISTS = ("parameters", "warnings", "held_out", "points")


@dataclass(frozen=True, slots=True)
class ToxicityModelRecord(OwnedRecord):
    """A stored toxicity model version: the fitted parameters with their intervals and
    units, the fit's diagnostics and data points, the equations and citations."""

    id: uuid.UUID
    name: str
    version: int
    status: str
    progress: float | None
    error: str | None
    training_seconds: float | None
    verified: bool
    spec: dict[str, Any]
    training_data: dict[str, Any]
    cpas: list[str]
    equations: str
    citations: str
    t_ref_k: float | None
    temperature_dependence: bool | None
    parameters: list[dict[str, Any]]
    warnings: list[str]
    aic: float | None
    bic: float | None
    log_likelihood: float | None
    sigma: float | None
    n_observations: int | None
    n_free: int | None
    held_out: list[dict[str, Any]]
    held_out_rmse: float | None
    points: list[dict[str, Any]]
    valid_temperature_k: list[float] | None
    valid_max_total_molality: float | None
    source: str | None
    provenance: str | None
    interval_level: float | None
    interval_method: str | None
    error_model: str | None
    n_draws: int

    @classmethod
    def of(cls, row: ToxicityModel) -> ToxicityModelRecord:
        model, fit = dict(row.model or {}), dict(row.fit or {})
        as_stored: dict[str, Any] = {
            **{name: getattr(row, name) for name in _ROW_COLUMNS},
            **{name: model.get(name) for name in _MODEL_VALUES},
            **{name: fit.get(name) for name in _FIT_VALUES},
            **{name: list(fit.get(name) or []) for name in _FIT_LISTS},
            **owned_columns(row),
        }
        return cls(
            verified=row.verified,
            spec=dict(row.spec or {}),
            training_data=dict(row.training_data or {}),
            cpas=list(model.get("cpas") or row.spec.get("cpas") or []),
            equations=str(model.get("equations") or EQUATIONS),
            citations=str(model.get("citations") or CITATIONS),
            n_draws=int(model.get("n_draws") or 0),
            **as_stored,
        )


def stored_model(model: KineticToxicityModel) -> dict[str, Any]:
    """The model as stored: its ``as_dict()`` with the values, ``interval_level`` and the
    parameter draws, so that :func:`kinetic_model` rebuilds it exactly."""
    document = model.as_dict()
    document["parameter_names"] = list(model.parameter_names)
    document["values"] = [float(v) for v in model.values]
    document["interval_level"] = model.interval_level
    document["draws"] = (
        None if model.parameter_draws is None else np.asarray(model.parameter_draws).tolist()
    )
    return jsonable(document)  # type: ignore[no-any-return]


def kinetic_model(row: ToxicityModel) -> KineticToxicityModel:
    """The stored model of a ready row as a :class:`KineticToxicityModel`.

    Raises:
        ValidationError: the version is not ready (field ``toxicity_model_id``).
    """
    if row.status != "ready" or not row.model:
        raise ValidationError(
            f"The toxicity model {row.name} v{row.version} is {row.status}, not ready.",
            field="toxicity_model_id",
        )
    doc = row.model
    draws = doc.get("draws")
    valid_t = doc.get("valid_temperature_k")
    return KineticToxicityModel(
        name=f"{row.name} v{row.version}",
        cpas=tuple(doc["cpas"]),
        parameter_names=tuple(doc["parameter_names"]),
        values=tuple(float(v) for v in doc["values"]),
        t_ref_k=float(doc["t_ref_k"]),
        parameter_draws=None if not draws else np.asarray(draws, dtype=np.float64),
        source=str(doc.get("source") or ""),
        provenance=str(doc.get("provenance") or "fitted"),
        verified=bool(row.verified),
        valid_temperature_k=(float(valid_t[0]), float(valid_t[1])) if valid_t else None,
        valid_max_total_molality=doc.get("valid_max_total_molality"),
        interval_level=float(doc.get("interval_level") or 0.9),
    )


@dataclass(frozen=True, slots=True)
class ExposureImport:
    """The exposure experiment an import created."""

    experiment_id: uuid.UUID
    title: str
    rows: int
    cpas: list[str]
    plates: list[str]
    visibility: str
    team_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class FitStarted:
    """A queued toxicity model version and the job fitting it."""

    model: ToxicityModelRecord
    job_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class DesignStarted:
    """A cocktail design job and what it was asked (resolved)."""

    job_id: uuid.UUID
    status: str
    cell_type_id: uuid.UUID
    cell_type_name: str
    toxicity_model_id: uuid.UUID
    candidates: list[dict[str, Any]]
