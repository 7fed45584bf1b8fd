"""What an experiment reports and how it is checked: the measures, conditions and
biological systems, and the validation of results, conditions and systems."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cryoprotect.db.models import Experiment
from cryoprotect.errors import ValidationError
from cryoprotect.services.toxicity.exposure import result_exposure


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
MAX_RESULTS = 200


@dataclass(frozen=True, slots=True)
class ExperimentVocabulary:
    """What an experiment can report: the measures, the numeric conditions with their
    ranges ([min, max]) and the kinds of biological system."""

    measures: list[Measure]
    conditions: dict[str, list[float]]
    biological_kinds: list[str]


VOCABULARY = ExperimentVocabulary(
    measures=list(MEASURES.values()),
    conditions={k: list(v) for k, v in CONDITION_RANGES.items()},
    biological_kinds=list(BIOLOGICAL_KINDS),
)


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
    exposure = result_exposure(result, measure.key, field)  # toxicity data (issue 16)
    if exposure is not None:
        out["exposure"] = exposure
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


def measured_values(e: Experiment) -> dict[str, dict[str, Any]]:
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
