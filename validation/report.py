"""One validation report of the solution physics against published measurements (issue 13, item 7).

Prints, as tables:

* ``melting_point`` — per solute and published source, the held-out error of the ice
  melting point (and of the osmolality it stands for), from ``validation/melting_points.py``
  (target: MAE ≤ 0.5 °C on held-out points);
* ``carrier_osmolality`` — each shipped carrier's osmolality, computed as
  ``POST /solutions/properties`` computes it, against its cited measurement
  (``science/params/measured_carrier_osmolality.csv``; target: within 3 %, or inside a cited
  specification range);
* the rows of ``validation.ternary``, ``validation.glass`` and ``validation.cells`` (ternary
  freezing points; Tg, Tg′, critical cooling and warming rates; cells). These are imported
  from a fixed list: a module that is missing is printed as ``MISSING: validation.<name>``
  and makes the report fail — never skipped silently.

Exit status: 0 when every row with a target meets it and every module was found; 1 when a
row misses its target (``passes`` is false); 2 when a module is missing. Rows without a
target (``passes`` is ``None``) are printed and do not count.

Usage: python validation/report.py
"""

from __future__ import annotations

import csv
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make ``validation`` importable
    sys.path.insert(0, str(ROOT))

from cryoprotect.science import electrolytes  # noqa: E402
from cryoprotect.services import solutions  # noqa: E402

OTHER_MODULES = ("ternary", "glass", "cells")
"""Validation modules written alongside this one; each exposes ``rows() -> list[dict]``."""

MOLECULES = ROOT / "src" / "cryoprotect" / "db" / "reference" / "molecules.csv"
CARRIER_TARGET_REL = electrolytes.CARRIER_TARGET_REL
EXIT_FAILED = 1
EXIT_MISSING = 2


# --- carriers -------------------------------------------------------------------------------


def _library() -> dict[str, dict[str, str]]:
    with MOLECULES.open(encoding="utf-8") as handle:
        return {row["name"]: row for row in csv.DictReader(handle)}


def _molar_mass(smiles: str) -> float:
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    return float(Descriptors.MolWt(Chem.MolFromSmiles(smiles)))  # type: ignore[attr-defined]


def _carrier_answer(definition: dict[str, Any], library: dict[str, dict[str, str]]) -> Any:
    components = [
        solutions.SolutionComponent(
            name=c["name"],
            synonyms=tuple(s for s in library[c["name"]]["synonyms"].split("|") if s),
            molar_mass_g_per_mol=_molar_mass(library[c["name"]]["smiles"]),
            amount=c["amount"],
            unit=c["unit"],
            origin="carrier",
        )
        for c in definition["components"]
    ]
    return solutions.solution_properties(components)


def carrier_rows() -> list[dict[str, Any]]:
    """Each shipped carrier's computed osmolality against its cited measurement.

    Keys: ``section`` (``"carrier_osmolality"``), ``system`` (the carrier), ``source``,
    ``range`` (the cited value or range and its basis), ``n`` (1), ``computed``, ``cited``,
    ``unit``, ``relative_error``, ``target_rel`` (0.03), ``passes``, ``cited_verified``; a
    shipped carrier without a cited value gets a row that fails.
    """
    library = _library()
    cited = electrolytes.measured_carrier_osmolalities()
    out: list[dict[str, Any]] = []
    for name in sorted({c["name"] for c in solutions.carriers().values()}):
        definition = solutions.carrier_definition(name)
        assert definition is not None
        measured = cited.get(name.lower())
        if measured is None:
            out.append(
                {
                    "section": "carrier_osmolality",
                    "system": name,
                    "source": "—",
                    "range": "—",
                    "n": 0,
                    "computed": None,
                    "cited": None,
                    "unit": "osmol/kg",
                    "relative_error": None,
                    "target_rel": CARRIER_TARGET_REL,
                    "passes": False,
                    "cited_verified": None,
                }
            )
            continue
        answer = _carrier_answer(definition, library)
        amounts = answer.composition["amounts"]
        water_kg_per_litre = float(amounts["mol/L"][0] / amounts["mol/kg"][0])
        value = answer.osmolality["value"]
        if value is None:  # the model refuses: a failed row with the reason
            out.append(
                {
                    "section": "carrier_osmolality",
                    "system": name,
                    "source": measured.source,
                    "range": answer.osmolality["reason"],
                    "n": 1,
                    "computed": None,
                    "cited": measured.value_osmol_per_kg,
                    "unit": "osmol/kg",
                    "relative_error": None,
                    "target_rel": CARRIER_TARGET_REL,
                    "passes": False,
                    "cited_verified": measured.verified,
                }
            )
            continue
        agreement = electrolytes.agreement_with_cited(value, water_kg_per_litre, measured)
        if agreement["low"] is not None:
            cited_text = f"{agreement['low']:g}–{agreement['high']:g} {agreement['unit']}"
        else:
            cited_text = f"{agreement['cited']:g} {agreement['unit']}"
        out.append(
            {
                "section": "carrier_osmolality",
                "system": name,
                "source": measured.source,
                "range": f"{agreement['basis']}: {cited_text}",
                "n": 1,
                "computed": agreement["computed"],
                "cited": agreement["cited"],
                "unit": agreement["unit"],
                "relative_error": agreement["relative_error"],
                "target_rel": CARRIER_TARGET_REL,
                "passes": agreement["target_met"],
                "cited_verified": agreement["cited_verified"],
            }
        )
    return out


# --- printing -------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_cell(v) for v in value) + "]"
    return str(value)


LONG_KEYS = ("source", "reason")
"""Printed under each row rather than as columns (citations, reasons)."""


def format_table(title: str, rows: Sequence[dict[str, Any]]) -> str:
    """Rows (dicts with the same keys, any extra ones) as a plain-text table."""
    if not rows:
        return f"{title}\n  (no rows)\n"
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys and k != "section" and k not in LONG_KEYS)
    cells = [[_cell(row.get(k)) for k in keys] for row in rows]
    width = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = [title, "  " + "  ".join(k.ljust(w) for k, w in zip(keys, width, strict=True))]
    lines.append("  " + "  ".join("-" * w for w in width))
    for row, line in zip(rows, cells, strict=True):
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(line, width, strict=True)))
        for key in LONG_KEYS:
            if row.get(key):
                lines.append(f"      {key}: {row[key]}")
    return "\n".join(lines) + "\n"


def failures(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that miss their target (``passes`` is false; ``None`` has no target)."""
    return [r for r in rows if r.get("passes") is False]


def load_sections(
    modules: Sequence[str] = OTHER_MODULES,
    *,
    importer: Callable[[str], Any] = importlib.import_module,
) -> tuple[list[tuple[str, list[dict[str, Any]]]], list[str]]:
    """Every section's rows, and the names of the validation modules that are missing."""
    from validation import melting_points

    sections: list[tuple[str, list[dict[str, Any]]]] = [
        ("Melting point (held-out), per solute and source", melting_points.rows()),
        ("Carrier osmolality against cited measurements", carrier_rows()),
    ]
    missing: list[str] = []
    for name in modules:
        qualified = f"validation.{name}"
        try:
            module = importer(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:  # the module exists but something it imports is broken
                raise
            missing.append(qualified)
            continue
        sections.append((qualified, list(module.rows())))
    return sections, missing


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; return the exit status (see the module docstring)."""
    del argv
    sections, missing = load_sections(OTHER_MODULES)
    failed: list[tuple[str, dict[str, Any]]] = []
    for title, rows in sections:
        print(format_table(title, rows))
        failed.extend((title, r) for r in failures(rows))
    for name in missing:
        print(f"MISSING: {name}")
    n_rows = sum(len(rows) for _, rows in sections)
    print(f"\n{n_rows} rows, {len(failed)} missing their target, {len(missing)} modules missing")
    for title, row in failed:
        source = str(row.get("source") or "—")
        source = source if len(source) <= 70 else source[:69] + "…"
        print(f"  FAILED {title}: {row.get('system')} ({source})")
    if missing:
        return EXIT_MISSING
    return EXIT_FAILED if failed else 0


if __name__ == "__main__":
    sys.exit(main())
