"""Export tables, writers and one-page reports (issue 18), on records built here."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import openpyxl
import pypdf
import pytest

from cryoprotect.services.experiments.base import ExperimentRecord
from cryoprotect.services.exports import builders, charts, pages, reports
from cryoprotect.services.exports.service import check_format, slug
from cryoprotect.services.exports.tables import Column, Export, Obtained, table, text_cell
from cryoprotect.services.exports.writers import to_csv, to_xlsx

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def _experiment(results: list[dict[str, Any]], **extra: Any) -> ExperimentRecord:
    values = {
        "visibility": "private",
        "team_id": None,
        "created_by": uuid.uuid4(),
        "created_at": NOW,
        "updated_at": NOW,
        "id": uuid.uuid4(),
        "title": "Slow cooling of HepG2 in 10 % DMSO",
        "mixture_id": None,
        "mixture_version": None,
        "mixture_name": None,
        "protocol_id": None,
        "protocol_name": None,
        "protocol_text": None,
        "cell_type_id": None,
        "cell_type_name": None,
        "biological_system": {"kind": "cell", "name": "HepG2"},
        "conditions": {"cooling_rate_c_per_min": 1.0, "storage_temperature_c": -196.0},
        "results": results,
        "performed_on": date(2026, 11, 1),
        "operator": "A. Researcher",
        "notes": None,
        "attachments": [],
        "verification_status": "unverified",
        **extra,
    }
    return ExperimentRecord(**values)


VIABILITY = {"measure": "viability_percent", "value": 72.5, "unit": "%", "replicates": 3, "sd": 4.1}


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("DMSO 10 %", "DMSO 10 %"),
        ("a=b", "a=b"),
    ],
)
def test_text_that_could_run_as_a_formula_is_escaped(text: str, escaped: str) -> None:
    assert text_cell(text) == escaped


def test_key_labels_carry_the_unit_of_the_suffix() -> None:
    assert builders.key_label("storage_temperature_c") == ("Storage temperature", "°C")
    assert builders.key_label("cooling_rate_c_per_min") == ("Cooling rate", "°C/min")
    assert builders.key_label("storage_duration_h") == ("Storage duration", "h")
    assert builders.key_label("method") == ("Method", None)


def test_experiment_rows_keep_numbers_units_and_exposure_columns() -> None:
    exposure = {
        "measure": "viability_percent",
        "value": 91.5,
        "unit": "%",
        "replicates": 1,
        "exposure": {
            "time_s": 600.0,
            "temperature_c": 4.0,
            "molality_mol_per_kg": {"Glycerol": 2.0},
        },
    }
    ice = {"measure": "ice_observed", "value": False, "unit": "", "replicates": 1}
    export = builders.experiment_export(_experiment([VIABILITY, exposure, ice]))
    results = export.main
    assert results.headers[:6] == [
        "Measure",
        "Value",
        "Unit",
        "SD",
        "Replicates",
        "Time point (h after thaw)",
    ]
    assert results.headers[-1] == "Exposure Glycerol (mol/kg)"
    rows = [dict(zip(results.headers, r, strict=True)) for r in results.rows]
    assert (
        rows[0]["Measure"] == "Post-thaw viability"
        and rows[0]["Value"] == 72.5
        and rows[0]["SD"] == 4.1
    )
    assert rows[0]["Exposure Glycerol (mol/kg)"] is None
    assert rows[1]["Exposure time (s)"] == 600.0 and rows[1]["Exposure Glycerol (mol/kg)"] == 2.0
    assert rows[2]["Value"] is False and rows[2]["Unit"] is None  # a yes/no stays a boolean
    fields = {r[0]: (r[1], r[2]) for r in export.tables[1].rows}
    assert fields["Condition: Storage temperature"] == (-196.0, "°C")
    assert fields["Performed on"] == (date(2026, 11, 1), None)
    assert [o.quantity for o in export.obtained] == ["Post-thaw viability", "Ice observed"]
    assert all(o.provenance == "measured" for o in export.obtained)


def _export() -> Export:
    rows = [("=cmd|' /C calc'!A0", -196.0, 3, True, NOW), ("plain", 1.5e-5, None, False, None)]
    columns = [Column("Note"), Column("Temperature", "°C"), Column("n"), Column("Ok"), Column("At")]
    return Export(
        "experiment",
        "+title",
        "id-1",
        (table("Results", columns, rows),),
        (Obtained("Temperature", "thermocouple", "measured", "lab"),),
        (("Carrier", "@saline"),),
    )


def test_csv_escapes_text_and_writes_numbers_in_full() -> None:
    content = to_csv(_export())
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["Note", "Temperature (°C)", "n", "Ok", "At"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-196.0", "3", "true", NOW.isoformat()]
    assert rows[2] == ["plain", "1.5e-05", "", "false", ""]


def test_excel_has_typed_cells_a_frozen_header_and_metadata() -> None:
    wb = openpyxl.load_workbook(
        io.BytesIO(to_xlsx(_export(), exported_by="a@example.org", exported_at=NOW))
    )
    assert wb.sheetnames == ["Results", "Metadata"]
    ws = wb["Results"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == ["Note", "Temperature (°C)", "n", "Ok", "At"]
    note, temperature, n, ok, at = ws[2]
    assert note.value == "=cmd|' /C calc'!A0" and note.data_type == "s"  # text, never a formula
    assert temperature.value == -196.0 and temperature.data_type == "n"
    assert n.value == 3 and ok.value is True
    assert at.value == datetime(2026, 12, 6, 9, 30)  # UTC, without a zone (Excel has none)
    meta = {r[0]: r[1:] for r in wb["Metadata"].iter_rows(values_only=True) if r[0]}
    assert meta["Record"][0] == "+title" and wb["Metadata"]["B2"].data_type == "s"
    assert meta["Exported by"][0] == "a@example.org"
    assert meta["Carrier"][0] == "@saline"
    assert meta["Temperature"] == ("thermocouple", "measured", "lab")
    assert meta["Exported at (UTC)"][0] == datetime(2026, 12, 6, 9, 30)


def test_a_table_refuses_ragged_rows_and_long_sheet_names() -> None:
    with pytest.raises(ValueError, match="cells"):
        table("Results", [Column("a"), Column("b")], [(1,)])
    with pytest.raises(ValueError, match="31"):
        table("x" * 32, [Column("a")], [])


def test_protocol_steps_have_one_molality_column_per_solute() -> None:
    steps = [
        {
            "index": 1,
            "phase": "addition",
            "label": "addition 1",
            "start_s": 0.0,
            "duration_s": 60.0,
            "temperature_c": 22.0,
            "solutes": {"Sodium chloride": 0.15, "Dimethyl sulfoxide": 0.5},
        },
        {
            "index": 1,
            "phase": "removal",
            "label": "removal 1",
            "start_s": 60.0,
            "duration_s": 90.0,
            "temperature_c": 22.0,
            "solutes": {"Sodium chloride": 0.15, "Sucrose": 0.3},
        },
    ]
    steps_table = builders.steps_table(steps)
    assert steps_table.headers[3:] == [
        "Start (s)",
        "Duration (s)",
        "Temperature (°C)",
        "Sodium chloride (mol/kg)",
        "Dimethyl sulfoxide (mol/kg)",
        "Sucrose (mol/kg)",
    ]
    assert steps_table.rows[1][-3:] == (0.15, None, 0.3)


def test_format_and_file_names() -> None:
    assert slug("HepG2: 10 % DMSO / −80 °C") == "hepg2-10-dmso-80-c"
    assert slug("∅") == "export"
    check_format("pdf", ("csv", "xlsx", "pdf"))
    from cryoprotect.errors import ValidationError

    with pytest.raises(ValidationError) as err:
        check_format("pdf", ("csv", "xlsx"))
    assert err.value.details["field"] == "format"


def test_the_experiment_chart_draws_the_results_with_units() -> None:
    svg = charts.experiment_chart([VIABILITY], {"viability_percent": "Post-thaw viability"})
    assert svg is not None and svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert charts.experiment_chart([{"measure": "ice_observed", "value": True}], {}) is None


def _pdf_pages(pdf: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "".join(p.extract_text() for p in reader.pages)


def test_a_report_with_many_results_still_fits_one_page() -> None:
    results = [
        {**VIABILITY, "value": float(v), "time_point_h": float(v % 7), "notes": "n" * 300}
        for v in range(200)
    ]
    record = _experiment(results, notes="long notes " * 200)
    pdf = reports.render_pdf(
        pages.experiment_report(record), exported_by="a@example.org", exported_at=NOW
    )
    count, text = _pdf_pages(pdf)
    assert count == 1
    assert record.title in text and "more rows" in text


def test_a_typical_report_shows_every_row_on_one_page() -> None:
    record = _experiment([VIABILITY, {**VIABILITY, "value": 65.0, "time_point_h": 24.0}])
    html = reports.render_html(pages.experiment_report(record), exported_by=None, exported_at=NOW)
    assert "more rows" not in html and "72.5" in html and "65" in html
    assert "Storage temperature" in html and "-196 °C" in html and "anonymous" in html
    count, text = _pdf_pages(
        reports.render_pdf(pages.experiment_report(record), exported_by=None, exported_at=NOW)
    )
    assert count == 1 and record.title in text


def test_results_are_charted_by_condition_with_the_spread_between_them() -> None:
    at_24 = {"measure": "recovery_percent", "unit": "%", "time_point_h": 24.0}
    groups = charts._by_condition(
        [VIABILITY, {**at_24, "value": 60.0}, {**at_24, "value": 70.0}],
        {"viability_percent": "Viability", "recovery_percent": "Recovery"},
    )
    assert groups["Viability"] == (72.5, 4.1)  # one result: its recorded SD
    mean, sd = groups["Recovery\n24 h\n(n = 2)"]
    assert mean == 65.0 and sd == pytest.approx(50**0.5)  # two: the SD between them
