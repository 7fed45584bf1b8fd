"""Exposure experiments: experiments whose results are toxicity data (issue 16, item 2).

An **exposure experiment** is an ordinary ``experiments`` row whose conditions say
``method = "cpa_exposure"`` (:data:`EXPOSURE_METHOD`) and that records no freezing (no
cooling or warming rate, no storage temperature or duration). Each of its results is a
``viability_percent`` measurement (relative to the untreated control, ``%``) with an
``exposure`` object::

    {"molality_mol_per_kg": {"Glycerol": 2.0, ...},   # canonical solute names
     "time_s": 600.0, "temperature_c": 22.0,
     "plate": "P1", "well": "A1",                       # plate = resampling group
     "input": {"cpas": [...], "amounts": [...], "unit": "% w/w"}}   # as imported

``time_point_h`` of the result repeats the exposure time in hours. :func:`observations`
turns the visible ones into :class:`~cryoprotect.science.toxicity.ExposureObservation`
(viability as a fraction, temperature in K, group = experiment id + plate, weight =
replicates); the CSV importer (:mod:`.importer`) writes such experiments.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import Experiment
from cryoprotect.science.toxicity import ExposureObservation

EXPOSURE_METHOD = "cpa_exposure"
"""``conditions.method`` of an exposure experiment."""
FREEZING_CONDITIONS = (
    "cooling_rate_c_per_min",
    "warming_rate_c_per_min",
    "storage_temperature_c",
    "storage_duration_h",
)
"""Conditions that say cells were frozen: an experiment with any of them is no exposure data."""
ZERO_CELSIUS_K = 273.15


@dataclass(frozen=True, slots=True)
class ExposurePoint:
    """One usable exposure result, with where it came from."""

    experiment_id: uuid.UUID
    row: int
    plate: str
    well: str | None
    observation: ExposureObservation


def exposure_query() -> sa.Select[Any]:
    """Visible exposure experiments (RLS applies), oldest first."""
    return (
        sa.select(Experiment)
        .where(Experiment.conditions["method"].astext == EXPOSURE_METHOD)
        .order_by(Experiment.created_at, Experiment.id)
    )


def is_exposure_experiment(experiment: Experiment) -> bool:
    """``method`` is :data:`EXPOSURE_METHOD` and nothing says the cells were frozen."""
    conditions = experiment.conditions or {}
    return conditions.get("method") == EXPOSURE_METHOD and not any(
        conditions.get(key) is not None for key in FREEZING_CONDITIONS
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _point(experiment: Experiment, index: int, result: Any) -> ExposurePoint | None:
    """The result as an exposure point, or None when it is not exposure data."""
    if not isinstance(result, dict) or result.get("measure") != "viability_percent":
        return None
    exposure = result.get("exposure")
    viability = _number(result.get("value"))
    if not isinstance(exposure, dict) or viability is None:
        return None
    molality = exposure.get("molality_mol_per_kg")
    time_s = _number(exposure.get("time_s"))
    temperature_c = _number(exposure.get("temperature_c"))
    if not isinstance(molality, dict) or time_s is None or temperature_c is None:
        return None
    values = {str(k): _number(v) for k, v in molality.items()}
    if any(v is None or v < 0 for v in values.values()):
        return None
    plate = str(exposure.get("plate") or "1")
    replicates = result.get("replicates", 1)
    weight = float(replicates) if isinstance(replicates, int) and replicates >= 1 else 1.0
    return ExposurePoint(
        experiment_id=experiment.id,
        row=index,
        plate=plate,
        well=str(exposure["well"]) if exposure.get("well") else None,
        observation=ExposureObservation(
            group=f"{experiment.id}/{plate}",
            molality={k: float(v) for k, v in values.items() if v is not None},
            time_s=time_s,
            temperature_k=temperature_c + ZERO_CELSIUS_K,
            viability=viability / 100.0,
            weight=weight,
        ),
    )


def exposure_points(experiments: Sequence[Experiment]) -> list[ExposurePoint]:
    """Every usable exposure result of the given experiments, in order."""
    points: list[ExposurePoint] = []
    for experiment in experiments:
        if not is_exposure_experiment(experiment):
            continue
        for index, result in enumerate(experiment.results or []):
            point = _point(experiment, index, result)
            if point is not None:
                points.append(point)
    return points


def visible_exposure_experiments(
    session: Session,
    experiment_ids: Sequence[uuid.UUID] | None,
    *,
    verified_only: bool,
) -> list[Experiment]:
    """The caller's visible exposure experiments (all, or those named), RLS deciding.

    Named experiments that are invisible or no exposure experiments are left to the caller
    to report (compare the ids).
    """
    query = exposure_query()
    if experiment_ids is not None:
        query = query.where(Experiment.id.in_(list(experiment_ids)))
    if verified_only:
        query = query.where(Experiment.verification_status == "verified")
    return [e for e in session.scalars(query).all() if is_exposure_experiment(e)]
