"""Load the reference library shipped with the app (public rows owned by the system user).

Idempotent: rows are matched by their public InChIKey and updated in place, so running
it on every start costs one transaction and never duplicates anything.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from cryoprotect.db.database import SYSTEM_USER_ID, Database, Identity
from cryoprotect.db.models import Molecule
from cryoprotect.science.molecules import parse_smiles

logger = logging.getLogger(__name__)

REFERENCE_DIR = Path(__file__).parent / "reference"


def _split(cell: str) -> list[str]:
    # ';' inside a synonym stands for ',' (the CSV's list separator is '|').
    return [s.strip().replace(";", ",") for s in cell.split("|") if s.strip()]


def load_reference_molecules(db: Database, path: Path | None = None) -> int:
    """Upsert the reference molecules; returns how many rows were written."""
    rows = list(csv.DictReader((path or REFERENCE_DIR / "molecules.csv").open(encoding="utf-8")))
    written = 0
    with db.transaction(Identity.service()) as session:
        for row in rows:
            record = parse_smiles(row["smiles"])
            values = {
                "name": row["name"],
                "synonyms": _split(row["synonyms"]),
                "pubchem_cid": int(row["pubchem_cid"]) if row["pubchem_cid"] else None,
                "smiles": record.smiles,
                "inchi": record.inchi,
                "inchikey": record.inchikey,
                "formula": record.formula,
                "molecular_weight": record.molecular_weight,
                "molecule_class": row["molecule_class"] or None,
                "sources": [{"citation": s} for s in _split(row["sources"])],
                "visibility": "public",
                "created_by": SYSTEM_USER_ID,
            }
            statement = insert(Molecule).values(**values)
            update = {
                k: statement.excluded[k] for k in values if k not in ("visibility", "created_by")
            }
            statement = statement.on_conflict_do_update(
                index_elements=[Molecule.inchikey],
                index_where=sa.text("visibility = 'public'"),
                set_=update,
            )
            session.execute(statement)
            written += 1
    logger.info("reference molecules loaded", extra={"count": written})
    return written


def load_reference_data(db: Database) -> dict[str, int]:
    """Load every shipped reference table; returns counts per table."""
    return {"molecules": load_reference_molecules(db)}
