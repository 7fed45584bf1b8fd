"""Tables of a cocktail design (a finished design job's result) and of lists: stored
predictions and molecules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cryoprotect.services.exports.builders import steps_table
from cryoprotect.services.exports.tables import Column, Export, Obtained, Table, number, table
from cryoprotect.services.molecules.records import MoleculeRecord


# ------------------------------------------------------------------ cocktail designs
def _point_row(point: Mapping[str, Any], cpas: Sequence[str]) -> tuple[Any, ...]:
    prediction = point.get("prediction") or {}
    band = prediction.get("band") or {}
    composition = point.get("composition") or {}
    vitrification = point.get("vitrification") or {}
    molality = composition.get("molality_mol_per_kg") or {}
    return (
        point.get("label"),
        number(vitrification.get("margin")),
        vitrification.get("unit"),
        number(prediction.get("surviving_fraction")),
        number(band.get("low")),
        number(band.get("high")),
        number(composition.get("total_molality_mol_per_kg")),
        number(composition.get("total_mass_percent")),
        number(point.get("total_duration_s")),
        *(number(molality.get(c)) for c in cpas),
    )


def cocktail_points(result: Mapping[str, Any]) -> Table:
    """The Pareto front: surviving fraction (with its band) against vitrification margin."""
    cpas = [c["solute"] for c in result.get("candidates_resolved") or []]
    columns = (
        Column("Design"),
        Column("Vitrification margin"),
        Column("Margin unit"),
        Column("Surviving fraction", "0-1"),
        Column("Band low", "0-1"),
        Column("Band high", "0-1"),
        Column("Total CPA", "mol/kg"),
        Column("Total CPA", "% w/w"),
        Column("Protocol duration", "s"),
        *(Column(c, "mol/kg") for c in cpas),
    )
    return table("Pareto front", columns, [_point_row(p, cpas) for p in result.get("pareto") or []])


def cocktail_singles(result: Mapping[str, Any]) -> Table:
    rows = []
    for single in result.get("one_cpa") or []:
        design = single.get("design") or {}
        prediction = design.get("prediction") or {}
        rows.append(
            (
                single.get("cpa"),
                number(prediction.get("surviving_fraction")),
                number(single.get("ratio")),
                single.get("reason"),
            )
        )
    columns = (
        Column("CPA alone"),
        Column("Surviving fraction", "0-1"),
        Column("Toxicity ratio (cocktail / alone)"),
        Column("Why no design"),
    )
    return table("Single CPAs", columns, rows)


def cocktail_title(result: Mapping[str, Any]) -> str:
    cpas = ", ".join(c["name"] for c in result.get("candidates_resolved") or [])
    return f"Cocktail of {cpas} for {result.get('cell_name', 'a cell type')}"


def cocktail_export(job_id: str, result: Mapping[str, Any]) -> Export:
    best = result.get("best") or {}
    prediction = best.get("prediction") or {}
    model = result.get("toxicity_model") or {}
    tables = (
        cocktail_points(result),
        steps_table(result.get("steps") or []),
        cocktail_singles(result),
    )
    obtained = (
        Obtained("Composition and steps", str(result.get("method") or ""), "estimated"),
        Obtained(
            "Surviving fraction and band",
            str(prediction.get("band_method") or "toxicity model integrated along the path"),
            model.get("provenance"),
            f"{model.get('name')}: {model.get('source')}; {model.get('citations')}",
        ),
    )
    details = tuple(("Warning", w) for w in result.get("warnings") or [])
    details += (("Toxicity model id", str(result.get("toxicity_model_id"))),)
    return Export("cocktail design", cocktail_title(result), job_id, tables, obtained, details)


# ------------------------------------------------------------------ predictions
def predictions_export(rows: Sequence[Any], models: Mapping[Any, Any]) -> Export:
    """Stored predictions (rows of ``predictions``), with the name and version of the model
    that made each (``models``: model id → its record, where the caller can see it)."""
    columns = (
        Column("Prediction id"),
        Column("Made at (UTC)"),
        Column("Model"),
        Column("Model version"),
        Column("Target"),
        Column("Value"),
        Column("Unit"),
        Column("Interval low"),
        Column("Interval high"),
        Column("Confidence level", "0-1"),
        Column("Mixture id"),
        Column("Mixture version"),
        Column("Model id"),
    )
    out = []
    for p in rows:
        model = models.get(p.model_id)
        out.append(
            (
                str(p.id),
                p.created_at,
                getattr(model, "name", None),
                getattr(model, "version", None),
                p.target,
                number(p.value),
                p.unit,
                number(p.lower),
                number(p.upper),
                number(p.confidence_level),
                str(p.mixture_id) if p.mixture_id else None,
                p.mixture_version,
                str(p.model_id),
            )
        )
    obtained = tuple(
        Obtained(
            f"{getattr(m, 'name', model_id)} v{getattr(m, 'version', '?')}",
            f"predicted by the model {getattr(m, 'algorithm', None) or ''}".strip(),
            "estimated",
            f"model {model_id}",
        )
        for model_id, m in models.items()
    )
    return Export(
        "predictions", "Stored predictions", None, (table("Predictions", columns, out),), obtained
    )


# ------------------------------------------------------------------ molecules
def molecules_export(records: Sequence[MoleculeRecord]) -> Export:
    columns = (
        Column("Name"),
        Column("SMILES"),
        Column("InChIKey"),
        Column("Formula"),
        Column("Molecular weight", "g/mol"),
        Column("Average molar mass", "g/mol"),
        Column("Class"),
        Column("Kind"),
        Column("PubChem CID"),
        Column("Synonyms"),
        Column("Visibility"),
        Column("Molecule id"),
    )
    rows = [
        (
            m.name,
            m.smiles,
            m.inchikey,
            m.formula,
            number(m.molecular_weight),
            number(m.average_molar_mass),
            m.molecule_class,
            m.kind,
            m.pubchem_cid,
            "; ".join(m.synonyms) or None,
            m.visibility,
            str(m.id),
        )
        for m in records
    ]
    methods = {m.identifiers_method for m in records if m.identifiers_method}
    obtained = tuple(
        Obtained("SMILES, InChIKey, formula, molecular weight", method, "calculated")
        for method in sorted(methods)
    )
    return Export("molecules", "Molecules", None, (table("Molecules", columns, rows),), obtained)
