"""Tables of each exportable resource, built from the records its service returns
(experiments, mixtures, protocols, cocktail designs, stored predictions, molecules).

Units go in the headers where a column has one unit; where the unit varies by row (an
experiment's measures) a "Unit" column says it. Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryoprotect.services.experiments import MEASURES
from cryoprotect.services.experiments.base import ExperimentRecord
from cryoprotect.services.exports.tables import Cell, Column, Export, Obtained, Table, number, table
from cryoprotect.services.mixtures.records import MixtureProperties, MixtureRecord
from cryoprotect.services.protocols import ProtocolRecord

#: Unit of a recorded condition or a stored figure, read from the suffix of its key.
_SUFFIX_UNITS = (("_c_per_min", "°C/min"), ("_c", "°C"), ("_h", "h"), ("_s", "s"))


def key_label(key: str) -> tuple[str, str | None]:
    """``"storage_temperature_c"`` → ``("Storage temperature", "°C")``."""
    for suffix, unit in _SUFFIX_UNITS:
        if key.endswith(suffix):
            return key.removesuffix(suffix).replace("_", " ").capitalize(), unit
    return key.replace("_", " ").capitalize(), None


def _cell(value: Any) -> Cell:
    """A JSON value as a cell: lists joined, mappings as ``key: value`` pairs."""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value) or None
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) or None
    if isinstance(value, float):
        return number(value)
    return value  # type: ignore[no-any-return]


def _names(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The keys of several mappings in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


# ------------------------------------------------------------------ experiments
_RESULT_COLUMNS = (
    Column("Measure"),
    Column("Value"),
    Column("Unit"),
    Column("SD"),
    Column("Replicates"),
    Column("Time point", "h after thaw"),
    Column("Assay"),
    Column("Method"),
    Column("Exposure time", "s"),
    Column("Exposure temperature", "°C"),
    Column("Plate"),
    Column("Well"),
    Column("Notes"),
)


def _measure_label(key: str) -> str:
    measure = MEASURES.get(key)
    return measure.label if measure else key


def experiment_results(record: ExperimentRecord) -> Table:
    """One row per result; exposure molality (toxicity data) one column per CPA."""
    exposures = [r.get("exposure") or {} for r in record.results]
    cpas = _names(e.get("molality_mol_per_kg") or {} for e in exposures)
    rows = []
    for result, exposure in zip(record.results, exposures, strict=True):
        molality = exposure.get("molality_mol_per_kg") or {}
        rows.append(
            (
                _measure_label(result["measure"]),
                result["value"] if isinstance(result["value"], bool) else number(result["value"]),
                result.get("unit") or None,
                number(result.get("sd")),
                result.get("replicates"),
                number(result.get("time_point_h")),
                result.get("assay"),
                result.get("method"),
                number(exposure.get("time_s")),
                number(exposure.get("temperature_c")),
                exposure.get("plate"),
                exposure.get("well"),
                result.get("notes"),
                *(number(molality.get(c)) for c in cpas),
            )
        )
    columns = (*_RESULT_COLUMNS, *(Column(f"Exposure {c}", "mol/kg") for c in cpas))
    return table("Results", columns, rows)


def experiment_fields(record: ExperimentRecord) -> Table:
    """The experiment's own fields, biological system and conditions: field, value, unit."""
    rows: list[tuple[Cell, Cell, Cell]] = [
        ("Title", record.title, None),
        ("Verification status", record.verification_status, None),
        ("Mixture", record.mixture_name, None),
        ("Mixture version", record.mixture_version, None),
        ("Mixture id", str(record.mixture_id) if record.mixture_id else None, None),
        ("Protocol", record.protocol_name, None),
        ("Protocol (as written)", record.protocol_text, None),
        ("Cell type", record.cell_type_name, None),
    ]
    rows += [
        (f"Biological system: {k}", _cell(v), None) for k, v in record.biological_system.items()
    ]
    for key, value in record.conditions.items():
        label, unit = key_label(key)
        rows.append((f"Condition: {label}", _cell(value), unit))
    rows += [
        ("Performed on", record.performed_on, None),
        ("Operator", record.operator, None),
        ("Notes", record.notes, None),
        ("Visibility", record.visibility, None),
        ("Created at (UTC)", record.created_at, None),
        ("Updated at (UTC)", record.updated_at, None),
    ]
    rows += [(f"Attachment {i + 1}", _cell(a), None) for i, a in enumerate(record.attachments)]
    return table("Experiment", (Column("Field"), Column("Value"), Column("Unit")), rows)


def experiment_export(record: ExperimentRecord) -> Export:
    measures = _names({r["measure"]: None} for r in record.results)
    obtained = tuple(
        Obtained(
            _measure_label(m),
            "recorded by the experimenter"
            + (f" ({record.operator})" if record.operator else "")
            + "; assay and method per row",
            "measured",
            f"experiment {record.id}, verification {record.verification_status}",
        )
        for m in measures
    )
    tables = (experiment_results(record), experiment_fields(record))
    return Export("experiment", record.title, str(record.id), tables, obtained)


# ------------------------------------------------------------------ mixtures
def mixture_components(record: MixtureRecord) -> Table:
    columns = (
        Column("Component"),
        Column("SMILES"),
        Column("Molar mass", "g/mol"),
        Column("Amount"),
        Column("Unit"),
        Column("Role"),
        Column("Molecule id"),
        Column("Weighed as (material form)"),
        Column("Form molar mass", "g/mol"),
    )
    rows = [
        (
            c.name,
            c.smiles,
            number(c.molar_mass),
            number(c.amount),
            c.unit,
            c.role,
            str(c.molecule_id),
            None
            if c.material_form is None
            else f"{c.material_form['label']} ({c.material_form['formula']})",
            None if c.material_form is None else number(c.material_form["molar_mass"]),
        )
        for c in record.components
    ]
    return table("Components", columns, rows)


def _property_row(
    label: str, block: Mapping[str, Any], value_key: str, unit: str
) -> tuple[Cell, ...]:
    bound = block.get("bound") or {}
    return (
        label,
        number(block.get(value_key)),
        unit,
        block.get("status"),
        bound.get("text"),
        block.get("reason"),
        block.get("provenance"),
    )


def mixture_properties(properties: MixtureProperties) -> tuple[Table, Table, tuple[Obtained, ...]]:
    """The composition in every unit, and the physical properties with their status."""
    comp = properties.composition
    units = list(comp.get("amounts", {}))
    rows = [
        (solute, *(number(comp["amounts"][u][i]) for u in units))
        for i, solute in enumerate(comp.get("solutes", []))
    ]
    composition = table("Composition", (Column("Solute"), *(Column(u) for u in units)), rows)
    blocks = (
        ("Osmolality", properties.osmolality, "value", "osmol/kg"),
        ("Melting point", properties.melting_point, "value_c", "°C"),
        ("Glass transition", properties.glass_transition, "value_k", "K"),
    )
    prop_rows = [_property_row(label, block, key, unit) for label, block, key, unit in blocks]
    prop_rows.append(
        ("Density", number(comp.get("density_g_per_ml")), "g/mL", None, None, None, None)
    )
    columns = ("Quantity", "Value", "Unit", "Status", "Bound that holds", "Reason", "Provenance")
    props = table("Properties", [Column(c) for c in columns], prop_rows)
    obtained = tuple(
        Obtained(label, str(block.get("method") or ""), block.get("provenance"))
        for label, block, _, _ in blocks
    ) + (Obtained("Density", str(comp.get("density_method") or ""), None),)
    return composition, props, obtained


def mixture_export(record: MixtureRecord, properties: MixtureProperties | None) -> Export:
    tables: tuple[Table, ...] = (mixture_components(record),)
    obtained: tuple[Obtained, ...] = ()
    details: tuple[tuple[str, Cell], ...] = (
        ("Version", record.version),
        ("Carrier", record.carrier),
        ("Description", record.description),
    )
    if properties is not None:
        composition, props, obtained = mixture_properties(properties)
        tables += (composition, props)
    else:
        details += (("Properties", "not computed for this composition"),)
    return Export("mixture", record.name, str(record.id), tables, obtained, details)


# ------------------------------------------------------------------ protocols
def steps_table(steps: Sequence[Mapping[str, Any]], name: str = "Steps") -> Table:
    """Steps (phase, times, temperature) with each solute's molality in the step solution."""
    solutes = _names(s.get("solutes") or {} for s in steps)
    columns = (
        Column("Step"),
        Column("Phase"),
        Column("Label"),
        Column("Start", "s"),
        Column("Duration", "s"),
        Column("Temperature", "°C"),
        *(Column(s, "mol/kg") for s in solutes),
    )
    rows = [
        (
            step.get("index"),
            step.get("phase"),
            step.get("label"),
            number(step.get("start_s")),
            number(step.get("duration_s")),
            number(step.get("temperature_c")),
            *(number((step.get("solutes") or {}).get(s)) for s in solutes),
        )
        for step in steps
    ]
    return table(name, columns, rows)


def time_course(chart: Mapping[str, Any]) -> Table:
    """The simulated cell response: volume, intracellular molality and osmolalities vs time."""
    times = chart.get("time_s") or []
    molality = chart.get("intracellular_molality") or {}
    series: list[tuple[Column, Sequence[Any]]] = [
        (Column("Time", "s"), times),
        (Column("Step index"), chart.get("step_index") or []),
        (Column("Cell volume", "V/V_iso"), chart.get("volume_fraction") or []),
        *((Column(f"Intracellular {n}", "mol/kg"), v) for n, v in molality.items()),
        (
            Column("Intracellular osmolality", "osmol/kg"),
            chart.get("intracellular_osmolality") or [],
        ),
        (
            Column("Extracellular osmolality", "osmol/kg"),
            chart.get("extracellular_osmolality") or [],
        ),
    ]
    kept = [(c, v) for c, v in series if len(v) == len(times)]
    rows = [tuple(_cell(v[i]) for _, v in kept) for i in range(len(times))]
    return table("Time course", [c for c, _ in kept], rows)


def protocol_summary(record: ProtocolRecord) -> Table:
    summary, design = record.summary, record.design
    toxicity = summary.get("toxicity") or {}
    limits = design.get("limits") or {}
    rows: list[tuple[Cell, Cell, Cell]] = [
        ("Cell type", design.get("cell_type_name") or design.get("cell_name"), None),
        ("Temperature", number(record.temperature_c), "°C"),
        ("Toxicity cost", number(toxicity.get("total")), toxicity.get("unit")),
        ("Smallest cell volume", number(summary.get("min_volume_fraction")), "V/V_iso"),
        ("Largest cell volume", number(summary.get("max_volume_fraction")), "V/V_iso"),
        (
            "Volume limits",
            _cell([limits.get("min_volume_fraction"), limits.get("max_volume_fraction")]),
            "V/V_iso",
        ),
        ("Within limits", summary.get("within_limits"), None),
        ("Limit violations", _cell(summary.get("violations") or []), None),
        ("Total duration", number(summary.get("total_duration_s")), "s"),
    ]
    rows += [(f"Target {k}", number(v), "mol/kg") for k, v in (design.get("target") or {}).items()]
    return table("Summary", (Column("Quantity"), Column("Value"), Column("Unit")), rows)


def protocol_export(record: ProtocolRecord) -> Export:
    designed = (record.design.get("protocols") or {}).get("designed") or {}
    chart = designed.get("chart") or {}
    toxicity = record.summary.get("toxicity") or {}
    tables = (steps_table(record.steps), protocol_summary(record), time_course(chart))
    obtained = (
        Obtained("Steps", str(record.design.get("method") or ""), "estimated"),
        Obtained(
            "Cell volume and intracellular molality", str(chart.get("method") or ""), "estimated"
        ),
        Obtained("Toxicity cost", str(toxicity.get("method") or ""), "estimated"),
    )
    details: tuple[tuple[str, Cell], ...] = (("Description", record.description),)
    return Export("protocol", record.name, str(record.id), tables, obtained, details)
