"""Load the reference library shipped with the app: public rows owned by the system user.

Structures go through the same standardisation and descriptor path as user input
(:mod:`cryoprotect.services.chemistry`). Idempotent: rows are matched by their public
identity (InChIKey, or name for components without structure) and updated in place, so
it runs on every start in one transaction and never duplicates anything.

Literature values (``measured_properties.csv``: experimental log P, melting and boiling
points, densities, each with its method and source) are stored in ``molecular_properties``
with provenance ``measured`` (the computed descriptors in ``molecule_descriptors``); the
system user's measured rows of a reference molecule are replaced on every load.
"""

from __future__ import annotations

import csv
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import Mixture, MolecularProperty, Molecule
from cryoprotect.errors import ValidationError
from cryoprotect.science.tables import published_number
from cryoprotect.services.chemistry import prepare_structure
from cryoprotect.services.molecules import insert_properties
from cryoprotect.services.molecules.records import delete_computed_properties

logger = logging.getLogger(__name__)

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "db" / "reference"
MEASURED_FILE = "measured_properties.csv"
MEASURED_COLUMNS = ("name", "property_name", "value", "unit", "method", "source")


def _split(cell: str | None) -> list[str]:
    # In the CSVs ';' inside a list item stands for ',' ('|' separates items).
    return [s.strip().replace(";", ",") for s in (cell or "").split("|") if s.strip()]


def _read(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _measured_rows(known_names: set[str]) -> dict[str, list[dict[str, Any]]]:
    """``measured_properties.csv`` as property rows grouped by molecule name.

    Every row must name a structured reference molecule exactly (a typo must fail the load,
    not silently drop a value) and carry a numeric value, a method and a source.
    """
    path = REFERENCE_DIR / MEASURED_FILE
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != MEASURED_COLUMNS:
            raise ValueError(
                f"{MEASURED_FILE}: columns must be {', '.join(MEASURED_COLUMNS)}, "
                f"got {', '.join(reader.fieldnames or ())}"
            )
        rows = list(reader)
    unknown = sorted({row["name"] for row in rows} - known_names)
    if unknown:
        raise ValueError(
            f"{MEASURED_FILE} names molecules that are not in molecules.csv: "
            + ", ".join(repr(name) for name in unknown)
            + " (the name must match a molecules.csv name exactly)"
        )
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line, row in enumerate(rows, start=2):
        try:
            number = published_number(row["value"] or "")
        except ValidationError:
            raise ValueError(
                f"{MEASURED_FILE} line {line}: value {row['value']!r} is not a finite number"
            ) from None
        prop = (row["property_name"] or "").strip()
        method, source = (row["method"] or "").strip(), (row["source"] or "").strip()
        if not prop or not method or not source:
            raise ValueError(
                f"{MEASURED_FILE} line {line}: property_name, method and source are required"
            )
        grouped.setdefault(row["name"], []).append(
            {
                "property_name": prop,
                "value": number.value,
                "published_decimals": number.decimals,
                "unit": (row["unit"] or "").strip() or None,
                "method": method,
                "provenance": "measured",
                "source": source,
            }
        )
    return grouped


@lru_cache(maxsize=1)
def _shipped_decimals() -> dict[tuple[str, str, str | None, float], int | None]:
    names = {row["name"] for row in _read("molecules.csv")}
    return {
        (p["property_name"], p["method"], p["source"], p["value"]): p["published_decimals"]
        for rows in _measured_rows(names).values()
        for p in rows
    }


def published_decimals(
    property_name: str, method: str, source: str | None, value: float | None
) -> int | None:
    """The decimals a shipped measured value is written with in ``measured_properties.csv``
    ("1.100" → 3), matched by property, method, source and value; ``None`` for anything else."""
    if value is None:
        return None
    return _shipped_decimals().get((property_name, method, source, value))


def _upsert(session: sa.orm.Session, values: dict[str, Any], conflict: dict[str, Any]) -> Any:
    statement = insert(Molecule).values(**values)
    update = {k: statement.excluded[k] for k in values if k not in ("visibility", "created_by")}
    upsert = statement.on_conflict_do_update(**conflict, set_=update).returning(Molecule.id)
    return session.execute(upsert).scalar_one()


def load_reference_molecules(db: Database) -> dict[str, int]:
    """Upsert both reference tables; returns counts of rows written per kind."""
    structured = _read("molecules.csv")
    unstructured = (
        _read("components_without_structure.csv")
        if (REFERENCE_DIR / "components_without_structure.csv").exists()
        else []
    )
    measured = _measured_rows({row["name"] for row in structured})
    with db.transaction(Identity.service()) as session:
        for row in structured:
            prepared = prepare_structure(row["smiles"], "smiles")
            values = {
                **prepared.values,
                "name": row["name"],
                "synonyms": _split(row["synonyms"]),
                "pubchem_cid": int(row["pubchem_cid"]) if row.get("pubchem_cid") else None,
                "molecule_class": row["molecule_class"] or None,
                "sources": [{"citation": s} for s in _split(row["sources"])],
                "visibility": "public",
                "created_by": SYSTEM_USER_ID,
            }
            molecule_id = _upsert(
                session,
                values,
                {
                    "index_elements": [Molecule.inchikey],
                    "index_where": sa.text("visibility = 'public'"),
                },
            )
            delete_computed_properties(session, molecule_id)
            insert_properties(
                session, molecule_id, SYSTEM_USER_ID, prepared.properties, prepared.alerts
            )
            session.execute(
                sa.delete(MolecularProperty).where(
                    MolecularProperty.molecule_id == molecule_id,
                    MolecularProperty.provenance == "measured",
                    MolecularProperty.created_by == SYSTEM_USER_ID,
                )
            )
            rows = [
                {k: v for k, v in p.items() if k != "published_decimals"}
                for p in measured.get(row["name"], [])
            ]
            insert_properties(session, molecule_id, SYSTEM_USER_ID, rows)
        for row in unstructured:
            mass = row.get("average_molar_mass_g_per_mol") or ""
            values = {
                "kind": "no_structure",
                "name": row["name"],
                "synonyms": _split(row.get("synonyms")),
                "molecule_class": row.get("molecule_class") or None,
                "average_molar_mass": float(mass) if mass.strip() else None,
                "sources": [{"citation": s} for s in _split(row.get("sources"))]
                + ([{"note": row["notes"]}] if row.get("notes") else []),
                "visibility": "public",
                "created_by": SYSTEM_USER_ID,
            }
            _upsert(
                session,
                values,
                {
                    "index_elements": [sa.text("lower(name)")],
                    "index_where": sa.text("kind = 'no_structure' AND visibility = 'public'"),
                },
            )
    counts = {
        "molecules": len(structured),
        "components_without_structure": len(unstructured),
        "measured_properties": sum(len(rows) for rows in measured.values()),
    }
    logger.info("reference library loaded", extra=counts)
    return counts


def load_reference_mixtures(db: Database) -> int:
    """Create or update the named literature solutions (public, owned by the system user).

    Matched by name among the system user's public mixtures; a changed composition becomes
    a new version (the old one stays in the history), an unchanged one is left alone.
    """
    from cryoprotect.services.actor import Actor
    from cryoprotect.services.mixtures import MixtureService

    path = REFERENCE_DIR / "mixtures.csv"
    if not path.exists():
        return 0
    grouped: dict[str, dict[str, Any]] = {}
    for row in _read("mixtures.csv"):
        entry = grouped.setdefault(
            row["mixture"],
            {
                "description": row["description"],
                "carrier": row["carrier"] or None,
                "components": [],
                "sources": [],
            },
        )
        entry["components"].append(
            {
                "name": row["component"],
                "amount": float(row["amount"]),
                "unit": row["unit"],
                "role": row["role"] or None,
            }
        )
        if row["source"] and {"citation": row["source"]} not in entry["sources"]:
            entry["sources"].append({"citation": row["source"]})
    system = Actor(user_id=SYSTEM_USER_ID, email="system@cryoprotect.invalid")
    service = MixtureService(db)
    with db.transaction(Identity.service()) as session:
        existing = {
            m.name: m.id
            for m in session.scalars(
                sa.select(Mixture).where(
                    Mixture.created_by == SYSTEM_USER_ID, Mixture.visibility == "public"
                )
            )
        }
    for name, entry in grouped.items():
        if name not in existing:
            service.create(system, name=name, visibility="public", **entry)
            continue
        current = service.get(system, existing[name])
        now = sorted((c.name, c.amount, c.unit, c.role) for c in current.components)
        wanted = sorted((c["name"], c["amount"], c["unit"], c["role"]) for c in entry["components"])
        if (
            now != wanted
            or current.carrier != entry["carrier"]
            or current.description != entry["description"]
        ):
            service.update(system, existing[name], entry)
    return len(grouped)


def load_reference_data(db: Database) -> dict[str, int]:
    """Load every shipped reference table; returns counts per table."""
    from cryoprotect.services.models import load_reference_datasets
    from cryoprotect.services.protocols import load_reference_cell_types

    counts = load_reference_molecules(db)
    counts["mixtures"] = load_reference_mixtures(db)
    counts["datasets"] = load_reference_datasets(db)
    counts["cell_types"] = load_reference_cell_types(db)
    return counts
