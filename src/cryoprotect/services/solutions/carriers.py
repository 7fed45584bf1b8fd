"""Carrier solutions shipped in ``science/params/carriers.csv`` (PBS, saline, Euro-Collins…)."""

from __future__ import annotations

import csv
from functools import lru_cache
from typing import Any

from cryoprotect.errors import ValidationError
from cryoprotect.science import composition

PARAMS = composition.PARAMS_DIR


@lru_cache(maxsize=1)
def carriers() -> dict[str, dict[str, Any]]:
    """Carrier solutions shipped in ``science/params/carriers.csv`` (name → definition)."""
    path = PARAMS / "carriers.csv"
    table: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return table
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            key = row["carrier"].strip()
            entry = table.setdefault(
                key.lower(),
                {
                    "name": key,
                    "synonyms": [
                        s.strip() for s in (row.get("synonyms") or "").split("|") if s.strip()
                    ],
                    "components": [],
                    "sources": [],
                },
            )
            entry["components"].append(
                {
                    "name": row["solute"].strip(),
                    "amount": float(row["amount"]),
                    "unit": row["unit"].strip(),
                }
            )
            if row.get("source") and row["source"] not in entry["sources"]:
                entry["sources"].append(row["source"])
    for entry in list(table.values()):
        for synonym in entry["synonyms"]:
            table.setdefault(synonym.lower(), entry)
    return table


def carrier_definition(name: str | None) -> dict[str, Any] | None:
    """A carrier by name or synonym; None for plain water; NotFound for an unknown carrier."""
    if name is None or not name.strip() or name.strip().lower() == "water":
        return None
    found = carriers().get(name.strip().lower())
    if found is None:
        known = sorted({c["name"] for c in carriers().values()})
        raise ValidationError(
            f"Unknown carrier {name!r}; known carriers: {', '.join(known) or 'none'} (or water).",
            field="carrier",
        )
    return found
