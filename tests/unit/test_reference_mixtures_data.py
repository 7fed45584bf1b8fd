"""The shipped carrier solutions and public reference mixtures are well-formed data.

``science/params/carriers.csv`` (one row per solute of a carrier; water is implicit) and
``db/reference/mixtures.csv`` (one row per component of a named literature solution) may only
name molecules and components that exist in the reference library, in a composition unit the
software understands, with a positive amount and a source on every row. Each mixture has at
least one cryoprotectant, and a mixture's carrier is a shipped carrier, water, or empty (the
listed components make up the whole solution).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cryoprotect"
CARRIERS_CSV = PACKAGE / "science" / "params" / "carriers.csv"
MIXTURES_CSV = PACKAGE / "db" / "reference" / "mixtures.csv"
MOLECULES_CSV = PACKAGE / "db" / "reference" / "molecules.csv"
COMPONENTS_CSV = PACKAGE / "db" / "reference" / "components_without_structure.csv"

CARRIER_COLUMNS = ["carrier", "synonyms", "solute", "amount", "unit", "source", "notes"]
MIXTURE_COLUMNS = [
    "mixture",
    "description",
    "carrier",
    "component",
    "amount",
    "unit",
    "role",
    "source",
]
CARRIER_UNITS = {"mol/L", "mmol/L", "g/L", "% w/v"}
MIXTURE_UNITS = {"mol/L", "mmol/L", "mol/kg", "% w/w", "% w/v", "% v/v", "g/L", "mole fraction"}
ROLES = {"cpa", "carrier", "buffer", "salt", "additive", "other"}


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows; lines starting with '#' are comments (as the app's loader skips them)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(line for line in handle if not line.startswith("#"))
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def _names(path: Path) -> set[str]:
    return {row["name"] for row in _read(path)[1]}


STRUCTURED = _names(MOLECULES_CSV)
UNSTRUCTURED = _names(COMPONENTS_CSV)
CARRIER_HEADER, CARRIERS = _read(CARRIERS_CSV)
MIXTURE_HEADER, MIXTURES = _read(MIXTURES_CSV)


def _amount(cell: str) -> float:
    return float(cell)


def test_headers_are_exactly_the_documented_columns() -> None:
    assert CARRIER_HEADER == CARRIER_COLUMNS
    assert MIXTURE_HEADER == MIXTURE_COLUMNS


def test_files_are_not_empty() -> None:
    assert CARRIERS, "carriers.csv has no active rows"
    assert MIXTURES, "mixtures.csv has no rows"


# --- carriers.csv -------------------------------------------------------------------------


def test_carrier_solutes_are_structured_library_molecules() -> None:
    unknown = sorted({row["solute"] for row in CARRIERS} - STRUCTURED)
    assert not unknown, f"carriers.csv solutes missing from molecules.csv: {unknown}"


@pytest.mark.parametrize("row", CARRIERS, ids=lambda r: f"{r['carrier']}:{r['solute']}")
def test_carrier_row_unit_amount_and_source(row: dict[str, str]) -> None:
    assert row["unit"] in CARRIER_UNITS, row["unit"]
    assert _amount(row["amount"]) > 0
    assert row["source"].strip(), "every carrier row needs a source"
    assert row["carrier"].strip().lower() != "water", "water is implicit, not a carrier row"


def test_each_carrier_lists_a_solute_once_with_one_set_of_synonyms() -> None:
    solutes: dict[str, list[str]] = defaultdict(list)
    synonyms: dict[str, set[str]] = defaultdict(set)
    for row in CARRIERS:
        solutes[row["carrier"]].append(row["solute"])
        synonyms[row["carrier"]].add(row["synonyms"])
    for carrier, names in solutes.items():
        assert len(names) == len(set(names)), f"{carrier}: a solute is listed twice"
        assert len(synonyms[carrier]) == 1, f"{carrier}: rows disagree on synonyms"


def test_carrier_names_and_synonyms_do_not_collide() -> None:
    owner: dict[str, str] = {}
    for row in CARRIERS:
        keys = [row["carrier"], *[s for s in row["synonyms"].split("|") if s.strip()]]
        for key in keys:
            previous = owner.setdefault(key.strip().lower(), row["carrier"])
            assert previous == row["carrier"], f"{key!r} names both {previous} and {row['carrier']}"


def test_isotonic_saline_is_154_mmol_per_litre() -> None:
    """0.9 % w/v NaCl = 9 g/L; the FDA label's 154 mEq/L Na+ checks the amount and the unit."""
    rows = [r for r in CARRIERS if r["carrier"] == "isotonic saline"]
    assert [r["solute"] for r in rows] == ["Sodium chloride"]
    assert rows[0]["unit"] == "% w/v"
    mmol_per_l = _amount(rows[0]["amount"]) * 10 / 58.443 * 1000  # % w/v -> g/L -> mmol/L
    assert mmol_per_l == pytest.approx(154, abs=0.5)


def test_app_loader_reads_the_carriers() -> None:
    from cryoprotect.services.solutions import carrier_definition, carriers

    carriers.cache_clear()
    try:
        for name in {row["carrier"] for row in CARRIERS}:
            definition = carrier_definition(name)
            assert definition is not None
            assert {c["name"] for c in definition["components"]} == {
                row["solute"] for row in CARRIERS if row["carrier"] == name
            }
        assert carrier_definition("water") is None
    finally:
        carriers.cache_clear()


# --- mixtures.csv -------------------------------------------------------------------------


def test_mixture_components_are_library_names() -> None:
    unknown = sorted({row["component"] for row in MIXTURES} - STRUCTURED - UNSTRUCTURED)
    assert not unknown, (
        "mixtures.csv components missing from molecules.csv / "
        f"components_without_structure.csv: {unknown}"
    )


@pytest.mark.parametrize("row", MIXTURES, ids=lambda r: f"{r['mixture']}:{r['component']}")
def test_mixture_row_unit_role_amount_and_source(row: dict[str, str]) -> None:
    assert row["unit"] in MIXTURE_UNITS, row["unit"]
    assert row["role"] in ROLES, row["role"]
    assert _amount(row["amount"]) > 0
    if row["unit"] == "mole fraction":
        assert _amount(row["amount"]) < 1
    assert row["source"].strip(), "every mixture row needs a source"
    assert row["description"].strip(), "every mixture row needs a description"


def test_each_mixture_has_a_cpa_and_consistent_header_fields() -> None:
    by_mixture: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in MIXTURES:
        by_mixture[row["mixture"]].append(row)
    for mixture, rows in by_mixture.items():
        assert any(r["role"] == "cpa" for r in rows), f"{mixture}: no cpa component"
        assert len({r["carrier"] for r in rows}) == 1, f"{mixture}: rows disagree on carrier"
        assert len({r["description"] for r in rows}) == 1, (
            f"{mixture}: rows disagree on description"
        )
        components = [r["component"] for r in rows]
        assert len(components) == len(set(components)), f"{mixture}: a component is listed twice"


def test_mixture_carriers_exist() -> None:
    known = {row["carrier"] for row in CARRIERS}
    for row in MIXTURES:
        carrier = row["carrier"].strip()
        assert carrier in known or carrier in {"", "water"}, (
            f"{row['mixture']}: carrier {carrier!r} is neither in carriers.csv nor water"
        )


def test_volume_fractions_do_not_exceed_the_whole_solution() -> None:
    """A mixture given wholly in % v/v without a carrier must add up to 100 %."""
    by_mixture: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in MIXTURES:
        by_mixture[row["mixture"]].append(row)
    for mixture, rows in by_mixture.items():
        volume = [r for r in rows if r["unit"] == "% v/v"]
        total = sum(_amount(r["amount"]) for r in volume)
        assert total <= 100 + 1e-9, f"{mixture}: {total} % v/v"
        if len(volume) == len(rows) and not rows[0]["carrier"].strip():
            assert total == pytest.approx(100), f"{mixture}: components add up to {total} % v/v"
