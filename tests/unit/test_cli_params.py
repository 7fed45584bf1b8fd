"""`cryoprotect params fit` writes a fitted table with its record, reproducing the shipped one."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cryoprotect.cli import main
from tests.conftest import require

pytestmark = pytest.mark.unit

CRC = Path(__file__).resolve().parents[2] / "data" / "crc_aqueous_solutions_20c.csv"
SHIPPED = Path(__file__).resolve().parents[2] / "src" / "cryoprotect" / "science" / "params"


def test_params_fit_records_data_residuals_and_matches_shipped(tmp_path: Path) -> None:
    require(CRC.exists(), f"the shared CRC table is not at {CRC}")
    result = CliRunner().invoke(
        main,
        [
            "params",
            "fit",
            "--crc",
            str(CRC),
            "--output-dir",
            str(tmp_path),
            "--solute",
            "Glycerol",
            "--solute",
            "Urea",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 solutes fitted." in result.output
    rows = {
        r["solute"]: r
        for r in csv.DictReader(
            line
            for line in (tmp_path / "osmotic_virial_fitted.csv").open()
            if not line.startswith("#")
        )
    }
    assert set(rows) == {"Glycerol", "Urea"}
    assert all(r["provenance"] == "fitted" and "CRC" in r["source"] for r in rows.values())
    shipped = {
        r["solute"]: r
        for r in csv.DictReader(
            line
            for line in (SHIPPED / "osmotic_virial_fitted.csv").open()
            if not line.startswith("#")
        )
    }
    assert rows["Glycerol"]["B_kg_per_mol"] == shipped["Glycerol"]["B_kg_per_mol"]
    record = json.loads((tmp_path / "osmotic_virial_fits.json").read_text())
    text = json.dumps(record)
    assert "residuals" in text and "Glycerol" in text


def test_params_fit_fits_propylene_glycol_to_the_published_curve(tmp_path: Path) -> None:
    # Issue 13: propylene glycol has no CRC freezing points; its coefficients now come from
    # Melinder's (2010) curve in the shipped reference table, with per-source held-out errors.
    require(CRC.exists(), f"the shared CRC table is not at {CRC}")
    result = CliRunner().invoke(
        main,
        [
            "params",
            "fit",
            "--crc",
            str(CRC),
            "--output-dir",
            str(tmp_path),
            "--solute",
            "Propylene glycol",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 solutes fitted." in result.output
    (row,) = list(csv.DictReader((tmp_path / "osmotic_virial_fitted.csv").open()))
    assert row["solute"] == "Propylene glycol" and row["provenance"] == "fitted"
    assert "Melinder" in row["source"] and float(row["valid_max_mass_percent"]) == 60.0
    shipped = {
        r["solute"]: r for r in csv.DictReader((SHIPPED / "osmotic_virial_fitted.csv").open())
    }
    assert row == shipped["Propylene glycol"]
    (fit,) = json.loads((tmp_path / "osmotic_virial_fits.json").read_text())["fits"]
    assert [s["source"] for s in fit["held_out_by_source"]] == ["melinder2010"]


def test_params_fit_crc_only_ignores_the_reference_table(tmp_path: Path) -> None:
    require(CRC.exists(), f"the shared CRC table is not at {CRC}")
    args = ["params", "fit", "--crc", str(CRC), "--output-dir", str(tmp_path), "--crc-only"]
    result = CliRunner().invoke(main, [*args, "--solute", "Glycerol"])
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader((tmp_path / "osmotic_virial_fitted.csv").open()))
    assert "Melinder" not in row["source"] and "CRC" in row["source"]
    missing = CliRunner().invoke(main, [*args, "--solute", "Propylene glycol"])
    assert missing.exit_code != 0 and "Propylene glycol" in missing.output
