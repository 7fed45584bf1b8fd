"""Turn user input into the rows a molecule is stored as (structure, identifiers, descriptors).

One path for every way a structure enters the library — the API, file import and the
shipped reference library — so standardisation and descriptors are never computed two
different ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryoprotect.science.cpa_score import CpaScore, cpa_score
from cryoprotect.science.descriptors import DESCRIPTOR_METHOD, DESCRIPTORS, compute_descriptors
from cryoprotect.science.fingerprints import morgan_fingerprint
from cryoprotect.science.standardize import Standardized, register_structure

SPECS = {spec.name: spec for spec in DESCRIPTORS}
STANDARDIZATION_METHOD = "ChEMBL structure pipeline (standardize_mol, get_parent_mol)"


@dataclass(frozen=True)
class PreparedMolecule:
    """Column values for ``molecules`` and the computed ``molecular_properties`` rows."""

    values: dict[str, Any]
    properties: list[dict[str, Any]] = field(default_factory=list)
    standardized: Standardized | None = None


def property_rows(descriptors: dict[str, float]) -> list[dict[str, Any]]:
    """``molecular_properties`` rows (without molecule id / owner) for computed descriptors."""
    rows = []
    for name, value in descriptors.items():
        spec = SPECS.get(name)
        if spec is None:
            continue
        rows.append(
            {
                "property_name": name,
                "value": float(value),
                "unit": spec.unit or None,
                "method": f"{DESCRIPTOR_METHOD}: {spec.method}",
                "provenance": "computed",
                "source": None,
            }
        )
    return rows


def prepare_structure(text: str, fmt: str | None = None) -> PreparedMolecule:
    """Parse, standardise and describe a structure given as SMILES, InChI or a MOL block.

    Raises:
        InvalidStructureError: the input does not parse (RDKit's reason in the message).
    """
    std = register_structure(text, fmt)
    return prepared_from(std, compute_descriptors(std.mol), fmt)


def prepared_from(
    std: Standardized, descriptors: dict[str, float], fmt: str | None = None
) -> PreparedMolecule:
    """The rows of an already standardised structure and its descriptors (the screen's
    registration columns come from here, so they equal :func:`prepare_structure`'s)."""
    values = {
        "kind": "structure",
        "smiles": std.smiles,
        "inchi": std.inchi,
        "inchikey": std.inchikey,
        "formula": std.formula,
        "molecular_weight": std.molecular_weight,
        "morgan_fp": morgan_fingerprint(std.mol),
        "standardization": {
            "method": STANDARDIZATION_METHOD,
            "changes": list(std.changes),
            "fast_path": std.fast_path,
            "input_format": fmt or "auto",
        },
    }
    return PreparedMolecule(values=values, properties=property_rows(descriptors), standardized=std)


def score_from_properties(properties: dict[str, float]) -> CpaScore | None:
    """The CPA score from stored descriptor values (None when descriptors are missing)."""
    if not properties:
        return None
    try:
        return cpa_score(properties)
    except KeyError:
        return None
