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

``time_point_h`` of the result repeats the exposure time in hours. :func:`check_exposure`
is the one rule for that object, used by the CSV importer and by the experiments API
(``results[i].exposure`` of a create or edit): molality per CPA ≥ 0 under a canonical solute
name of the shipped tables (:func:`known_cpas`), time ≥ 0, temperature in
:data:`TEMPERATURE_RANGE_C`, plate/well text. :func:`exposure_points`
turns the visible ones into :class:`~cryoprotect.science.toxicity.ExposureObservation`
(viability as a fraction, temperature in K, group = experiment id + plate, weight =
replicates); the CSV importer (:mod:`.importer`) writes such experiments.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cryoprotect.db.models import Experiment
from cryoprotect.errors import ValidationError
from cryoprotect.science import composition, thermo
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
TEMPERATURE_RANGE_C = (-30.0, 60.0)
"""Exposure temperatures accepted, °C."""
EXPOSURE_KEYS = ("molality_mol_per_kg", "time_s", "temperature_c", "plate", "well", "input")
MAX_LABEL = 100
"""Longest plate or well label."""


@dataclass(frozen=True, slots=True)
class ExposureProblem:
    """Why an exposure object is refused: the key (``time_s``, ``molality_mol_per_kg.<name>``)
    and the reason."""

    key: str
    reason: str


@lru_cache(maxsize=1)
def known_cpas() -> dict[str, str]:
    """Canonical solute names of the shipped tables (virial coefficients and solution
    densities), keyed by their lower-case form."""
    names = {p.solute for p in thermo.default_virial_parameters().values()}
    names |= {solute.name for solute in composition.known_solutes()}
    return {name.casefold(): name for name in sorted(names)}


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _label(value: Any, key: str, problems: list[ExposureProblem]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_LABEL:
        problems.append(ExposureProblem(key, f"must be text of at most {MAX_LABEL} characters"))
        return None
    return value.strip() or None


def _molality(value: Any, problems: list[ExposureProblem]) -> dict[str, float]:
    key = "molality_mol_per_kg"
    if not isinstance(value, Mapping):
        problems.append(ExposureProblem(key, "must be an object of CPA name to mol/kg"))
        return {}
    known = known_cpas()
    out: dict[str, float] = {}
    for name, amount in value.items():
        where = f"{key}.{name}"
        canonical = known.get(str(name).strip().casefold())
        number = _finite(amount)
        if canonical is None:
            problems.append(
                ExposureProblem(
                    where,
                    f"unknown CPA {name!r}: exposure data name each CPA by a canonical solute "
                    "name of the shipped tables (e.g. Glycerol, Dimethyl sulfoxide)",
                )
            )
        elif canonical in out:
            problems.append(ExposureProblem(where, f"{canonical} is listed twice"))
        elif number is None or number < 0:
            problems.append(ExposureProblem(where, "must be a finite number ≥ 0 mol/kg"))
        else:
            out[canonical] = number
    return out


def _given(value: Any, problems: list[ExposureProblem]) -> dict[str, Any] | None:
    """The composition as imported (``input``): kept as it was given, shape checked."""
    if value is None:
        return None
    cpas = value.get("cpas") if isinstance(value, Mapping) else None
    amounts = value.get("amounts") if isinstance(value, Mapping) else None
    unit = value.get("unit") if isinstance(value, Mapping) else None
    if (
        not isinstance(cpas, list)
        or not isinstance(amounts, list)
        or len(cpas) != len(amounts)
        or not all(isinstance(c, str) for c in cpas)
        or any(_finite(a) is None for a in amounts)
        or not isinstance(unit, str)
        or set(value) - {"cpas", "amounts", "unit"}
    ):
        problems.append(
            ExposureProblem("input", "must be {cpas: [text], amounts: [number], unit: text}")
        )
        return None
    return {"cpas": list(cpas), "amounts": [float(a) for a in amounts], "unit": unit}


def check_exposure(value: Any) -> tuple[dict[str, Any], list[ExposureProblem]]:
    """The exposure object of a ``viability_percent`` result, cleaned, and every problem
    found in it (cleaned object meaningful only when there is none).

    The one rule for the CSV importer and the experiments API; the plate defaults to ``1``.
    """
    if not isinstance(value, Mapping):
        return {}, [ExposureProblem("", "must be an object")]
    problems = [
        ExposureProblem(str(key), f"unknown key; the keys are {', '.join(EXPOSURE_KEYS)}")
        for key in value
        if key not in EXPOSURE_KEYS
    ]
    molality = _molality(value.get("molality_mol_per_kg"), problems)
    time_s = _finite(value.get("time_s"))
    if time_s is None or time_s < 0:
        problems.append(ExposureProblem("time_s", "must be a finite number ≥ 0 s"))
    temperature = _finite(value.get("temperature_c"))
    low, high = TEMPERATURE_RANGE_C
    if temperature is None or not low <= temperature <= high:
        problems.append(
            ExposureProblem("temperature_c", f"must be between {low:g} and {high:g} °C")
        )
    cleaned: dict[str, Any] = {
        "molality_mol_per_kg": molality,
        "time_s": time_s,
        "temperature_c": temperature,
        "plate": _label(value.get("plate"), "plate", problems) or "1",
        "well": _label(value.get("well"), "well", problems),
    }
    given = _given(value.get("input"), problems)
    if given is not None:
        cleaned["input"] = given
    return cleaned, problems


def result_exposure(result: Mapping[str, Any], measure: str, field: str) -> dict[str, Any] | None:
    """The checked ``exposure`` of one experiment result (None when it has none).

    Raises:
        ValidationError: a problem, naming the field (``results[0].exposure.time_s``); an
            exposure on a result other than ``viability_percent``.
    """
    value = result.get("exposure")
    if value is None:
        return None
    if measure != "viability_percent":
        raise ValidationError(
            "An exposure belongs to a viability_percent result.", field=f"{field}.exposure"
        )
    cleaned, problems = check_exposure(value)
    if problems:
        first = problems[0]
        where = f"{field}.exposure" + (f".{first.key}" if first.key else "")
        raise ValidationError(f"{where}: {first.reason}.", field=where)
    return cleaned


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
