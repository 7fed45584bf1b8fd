"""Writing an :class:`~cryoprotect.services.exports.tables.Export`: CSV (its main table,
csv module) and Excel (every table a sheet, typed cells, the header row frozen, and a
metadata sheet), with no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cryoprotect import __version__
from cryoprotect.services.exports.tables import Cell, Export, Table, text_cell

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"
#: How the metadata sheet names the application that wrote the file.
APPLICATION = "CryoProtect"


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return text_cell(value)


def to_csv(export: Export) -> bytes:
    """The export's main table as UTF-8 CSV (a byte-order mark first, so that Excel opens
    units such as °C and µm correctly); text that could run as a formula is escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([text_cell(h) for h in export.main.headers])
    for row in export.main.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _excel_value(value: Cell) -> Any:
    """Excel keeps no time zone: timestamps are written in UTC (the headers say so)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _put(ws: Any, row: int, col: int, value: Cell, *, bold: bool = False) -> None:
    """One typed cell; text is always a string cell (never a formula), shown as typed."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
        if value.startswith(("=", "+", "-", "@")):
            cell.quotePrefix = True
    else:
        cell.value = _excel_value(value)
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)


def _sheet(ws: Any, table: Table) -> None:
    widths = [len(h) for h in table.headers]
    for c, header in enumerate(table.headers, start=1):
        _put(ws, 1, c, header, bold=True)
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            _put(ws, r, c, value)
            widths[c - 1] = max(widths[c - 1], min(len(str(value or "")), 60))
    ws.freeze_panes = "A2"
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(8, width + 2)


def metadata_rows(
    export: Export, exported_by: str | None, exported_at: datetime
) -> list[list[Cell]]:
    """The metadata sheet's rows: where the file came from and how its numbers were obtained."""
    rows: list[list[Cell]] = [
        ["Source", f"{APPLICATION} {export.resource}", None, None],
        ["Record", export.title, None, None],
        ["Record id", export.record_id, None, None],
        ["Exported at (UTC)", exported_at.astimezone(UTC).replace(tzinfo=None), None, None],
        ["Exported by", exported_by or "anonymous", None, None],
        [f"{APPLICATION} version", __version__, None, None],
        *[[label, value, None, None] for label, value in export.details],
        [None, None, None, None],
        ["Quantity", "How obtained", "Provenance", "Source"],
    ]
    rows += [[o.quantity, o.method, o.provenance, o.source] for o in export.obtained]
    return rows


def to_xlsx(export: Export, *, exported_by: str | None, exported_at: datetime) -> bytes:
    """Every table of the export as a sheet, then the "Metadata" sheet."""
    wb = Workbook()
    first = True
    for table in export.tables:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = table.name
        _sheet(ws, table)
    meta = wb.create_sheet("Metadata")
    for r, row in enumerate(metadata_rows(export, exported_by, exported_at), start=1):
        for c, value in enumerate(row, start=1):
            _put(meta, r, c, value, bold=c == 1 or row[0] == "Quantity")
    meta.column_dimensions["A"].width = 28
    meta.column_dimensions["B"].width = 80
    meta.column_dimensions["C"].width = 14
    meta.column_dimensions["D"].width = 60
    wb.properties.creator = APPLICATION
    wb.properties.title = export.title
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
