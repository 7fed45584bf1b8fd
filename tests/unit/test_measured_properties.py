"""Measured (literature) properties shipped beside the computed descriptors.

``src/cryoprotect/db/reference/measured_properties.csv`` holds experimental log P, melting
and boiling points and liquid densities of reference molecules, each with its method and
source. These checks keep the file loadable and physically sane; where the project carries an
independent copy of the same primary data (the CRC aqueous-solutions table in
``../shared/data``) the densities are compared against it.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from cryoprotect.services import reference_data
from tests.conftest import require

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "src" / "cryoprotect" / "db" / "reference"
CRC_CSV = ROOT / "data" / "crc_aqueous_solutions_20c.csv"

COLUMNS = ["name", "property_name", "value", "unit", "method", "source"]
UNITS = {"logp_experimental": "", "melting_point": "°C", "boiling_point": "°C", "density": "g/mL"}
# Physically plausible ranges for small-molecule CPAs, sugars, polyols and osmolytes.
RANGES = {
    "logp_experimental": (-6.0, 8.0),
    "melting_point": (-150.0, 400.0),
    "boiling_point": (-100.0, 400.0),
    "density": (0.6, 2.0),
}
# The molecules the issue asks for first; each must carry at least one measured value.
CORE = [
    "Dimethyl sulfoxide",
    "Glycerol",
    "Ethylene glycol",
    "Propylene glycol",
    "Methanol",
    "Ethanol",
    "Formamide",
    "Acetamide",
    "Urea",
    "Trehalose",
    "D-Mannitol",
    "D-Sorbitol",
    "L-Proline",
]
# CRC aqueous-solutions solute name for library molecules whose pure-liquid density is listed.
CRC_NAMES = {"Glycerol": "Glycerol", "Methanol": "Methanol", "Ethanol": "Ethanol"}


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


HEADER, ROWS = _read(REFERENCE / "measured_properties.csv")
MOLECULE_NAMES = {row["name"] for row in _read(REFERENCE / "molecules.csv")[1]}


def test_columns() -> None:
    assert HEADER == COLUMNS
    assert list(reference_data.MEASURED_COLUMNS) == COLUMNS


def test_file_has_a_useful_number_of_rows() -> None:
    assert 30 <= len(ROWS) <= 60


def test_every_name_is_a_reference_molecule() -> None:
    unknown = sorted({row["name"] for row in ROWS} - MOLECULE_NAMES)
    assert not unknown, f"not in molecules.csv: {unknown}"


@pytest.mark.parametrize("name", CORE)
def test_core_molecules_have_a_measured_value(name: str) -> None:
    assert any(row["name"] == name for row in ROWS)


def test_every_row_has_method_and_source() -> None:
    for row in ROWS:
        assert row["method"].strip(), row
        assert len(row["method"]) <= 200, row  # molecular_properties.method is VARCHAR(200)
        assert len(row["source"].strip()) >= 20, row  # a citation, not a placeholder


def test_units_match_the_property() -> None:
    for row in ROWS:
        assert row["property_name"] in UNITS, row
        assert row["unit"] == UNITS[row["property_name"]], row


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['name']}:{r['property_name']}")
def test_values_are_physically_plausible(row: dict[str, str]) -> None:
    low, high = RANGES[row["property_name"]]
    assert low <= float(row["value"]) <= high


def test_densities_state_their_temperature() -> None:
    for row in ROWS:
        if row["property_name"] == "density":
            assert "20 °C" in row["method"] or "25 °C" in row["method"], row


def test_no_duplicate_name_property_method() -> None:
    keys = Counter((row["name"], row["property_name"], row["method"]) for row in ROWS)
    assert [key for key, n in keys.items() if n > 1] == []


def test_melting_point_below_boiling_point() -> None:
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for row in ROWS:
        values[row["name"]][row["property_name"]] = float(row["value"])
    for name, props in values.items():
        if "melting_point" in props and "boiling_point" in props:
            assert props["melting_point"] < props["boiling_point"], name


def test_liquids_at_room_temperature_are_liquid() -> None:
    # A density "of the pure liquid at 20 or 25 °C" only makes sense if mp < 20 °C < bp.
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for row in ROWS:
        values[row["name"]][row["property_name"]] = float(row["value"])
    for name, props in values.items():
        if "density" in props:
            assert props.get("melting_point", -273.0) < 20.0 < props.get("boiling_point", 1e3), name


def test_densities_agree_with_the_crc_aqueous_solutions_table() -> None:
    require(CRC_CSV.exists(), f"{CRC_CSV} not present")
    pure: dict[str, float] = {}
    for row in _read(CRC_CSV)[1]:
        if float(row["mass_percent"]) == 100.0:
            pure[row["solute"]] = float(row["density_g_per_cm3"])
    checked = 0
    for row in ROWS:
        if row["property_name"] == "density" and row["name"] in CRC_NAMES:
            assert float(row["value"]) == pytest.approx(pure[CRC_NAMES[row["name"]]], abs=1e-3)
            checked += 1
    assert checked == len(CRC_NAMES)


def test_loader_groups_rows_as_measured_properties() -> None:
    grouped = reference_data._measured_rows(MOLECULE_NAMES)
    assert sum(len(rows) for rows in grouped.values()) == len(ROWS)
    dmso = {p["property_name"]: p for p in grouped["Dimethyl sulfoxide"]}
    assert dmso["logp_experimental"]["value"] == pytest.approx(-1.35)
    assert dmso["logp_experimental"]["unit"] is None
    assert dmso["density"]["unit"] == "g/mL"
    assert {p["provenance"] for rows in grouped.values() for p in rows} == {"measured"}


def _write(directory: Path, rows: list[list[str]]) -> None:
    with (directory / reference_data.MEASURED_FILE).open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([COLUMNS, *rows])


def test_unknown_name_fails_the_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, [["Glycerin", "density", "1.26", "g/mL", "pure liquid, 20 °C", "x" * 30]])
    monkeypatch.setattr(reference_data, "REFERENCE_DIR", tmp_path)
    with pytest.raises(ValueError, match="not in molecules.csv: 'Glycerin'"):
        reference_data._measured_rows({"Glycerol"})


@pytest.mark.parametrize(
    "row",
    [
        ["Glycerol", "density", "about 1.26", "g/mL", "pure liquid, 20 °C", "CRC"],
        ["Glycerol", "density", "nan", "g/mL", "pure liquid, 20 °C", "CRC"],
        ["Glycerol", "density", "1.26", "g/mL", "pure liquid, 20 °C", ""],
        ["Glycerol", "density", "1.26", "g/mL", "", "CRC"],
    ],
)
def test_malformed_rows_fail_the_load(
    row: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, [row])
    monkeypatch.setattr(reference_data, "REFERENCE_DIR", tmp_path)
    with pytest.raises(ValueError, match="line 2"):
        reference_data._measured_rows({"Glycerol"})
