"""Exports of experiments, mixtures, protocols, cocktail designs, stored predictions and
molecule lists: CSV, Excel workbooks and one-page PDF reports (issue 18).

- :mod:`.tables`: what an export holds (typed tables, units, "how obtained");
- :mod:`.builders`, :mod:`.listings`: the tables of each resource, from its records;
- :mod:`.writers`: CSV and Excel, with no cell a spreadsheet would run as a formula;
- :mod:`.charts`, :mod:`.reports`, :mod:`.pages`: the one-page PDF reports;
- :mod:`.service`: reading a record as the caller and writing the file.
"""

from cryoprotect.services.exports.service import (
    MAX_EXPORT_ROWS,
    REPORT_FORMATS,
    TABLE_FORMATS,
    ExportFile,
    ExportService,
)

__all__ = ["MAX_EXPORT_ROWS", "REPORT_FORMATS", "TABLE_FORMATS", "ExportFile", "ExportService"]
