"""What each one-page report shows: the experiment's results by condition, the protocol's
cell volume and intracellular molality against time, the cocktail's toxicity/vitrification
trade-off; each with its key figures and its main table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryoprotect.science.precision import format_quantity, format_recorded
from cryoprotect.services.experiments import MEASURES
from cryoprotect.services.experiments.base import ExperimentRecord
from cryoprotect.services.exports import builders, charts, listings
from cryoprotect.services.exports.reports import Report
from cryoprotect.services.exports.tables import Cell, number
from cryoprotect.services.protocols import ProtocolRecord

_LABELS = {key: m.label for key, m in MEASURES.items()}


def experiment_report(record: ExperimentRecord) -> Report:
    export = builders.experiment_export(record)
    mixture = (
        f"{record.mixture_name} (version {record.mixture_version})" if record.mixture_name else None
    )
    system = record.biological_system
    facts: list[tuple[str, Cell]] = [
        ("Verification", record.verification_status),
        ("Mixture", mixture),
        ("Protocol", record.protocol_name or record.protocol_text),
        ("Cell type", record.cell_type_name),
        ("Biological system", " · ".join(str(v) for v in system.values() if v) or None),
        ("Performed on", record.performed_on),
        ("Operator", record.operator),
    ]
    for key, value in record.conditions.items():
        label, unit = builders.key_label(key)
        if isinstance(value, list):
            value = ", ".join(
                format_recorded(v, None) if isinstance(v, float) else str(v) for v in value
            )
        # conditions as entered (precision policy: recorded values keep their precision)
        facts.append((label, format_recorded(value, unit) if isinstance(value, float) else value))
    return Report(
        kind="Experiment report",
        export=export,
        facts=facts,
        facts_title="Experiment and conditions",
        chart_svg=charts.experiment_chart(record.results, _LABELS),
        chart_title=(
            "Viability against exposure time, by exposure composition (mean line, every well)"
            if any(r.get("exposure") for r in record.results)
            else "Results by condition (bars: mean; whiskers: SD)"
        ),
        no_chart="No numeric result is recorded.",
        table=export.main,
        table_title="Results",
        warnings=[f"Notes: {record.notes}"] if record.notes else [],
    )


def protocol_report(record: ProtocolRecord) -> Report:
    export = builders.protocol_export(record)
    designed = (record.design.get("protocols") or {}).get("designed") or {}
    chart = designed.get("chart") or {}
    summary = export.tables[1]
    facts = [(f"{q} ({u})" if u else str(q), v) for q, v, u in summary.rows]
    return Report(
        kind="Protocol report",
        export=export,
        facts=facts,
        chart_svg=charts.protocol_chart(chart),
        chart_title="Cell volume and intracellular molality against time (designed protocol)",
        no_chart="The stored design holds no simulated time course.",
        table=export.main,
        table_title="Steps (molality of each step solution)",
        warnings=list(chart.get("warnings") or []),
    )


def _fraction(value: Any) -> str | None:
    """A surviving fraction as the cocktail page writes it (precision policy, 4 s.f.)."""
    x = number(value)
    return None if x is None else format_quantity(x, "coefficient")


def _level(value: Any) -> str | None:
    x = number(value)
    return None if x is None else format_quantity(100 * x, "share")


def cocktail_report(job_id: str, result: Mapping[str, Any]) -> Report:
    export = listings.cocktail_export(job_id, result)
    best = result.get("best") or {}
    prediction = best.get("prediction") or {}
    band = prediction.get("band") or {}
    composition = best.get("composition") or {}
    vitrification = best.get("vitrification") or {}
    molality = composition.get("molality_mol_per_kg") or {}
    facts: list[tuple[str, Cell]] = [
        ("Cell type", result.get("cell_name")),
        ("Temperature (°C)", number(result.get("temperature_c"))),
        (
            "Composition",
            ", ".join(f"{k} {format_quantity(v, 'molality')}" for k, v in molality.items()),
        ),
        ("Total CPA (% w/w)", number(composition.get("total_mass_percent"))),
        ("Surviving fraction", _fraction(prediction.get("surviving_fraction"))),
        (
            f"Band ({_level(band.get('level')) or 'level unknown'})",
            f"{_fraction(band.get('low'))} – {_fraction(band.get('high'))}"
            if band
            else prediction.get("band_reason"),
        ),
        ("Vitrification", vitrification.get("reason")),
        ("Protocol duration (s)", number(best.get("total_duration_s"))),
        ("Toxicity model", (result.get("toxicity_model") or {}).get("name")),
    ]
    return Report(
        kind="Cocktail design report",
        export=export,
        facts=facts,
        facts_title="Chosen design",
        chart_svg=charts.cocktail_chart(result.get("pareto") or []),
        chart_title="Toxicity against vitrification: surviving fraction vs. vitrification margin (Pareto front)",
        no_chart="The design holds no Pareto point with a surviving fraction.",
        table=export.tables[1],
        table_title="Loading and unloading steps of the chosen design (molality of each step solution)",
        warnings=list(result.get("warnings") or []),
    )
