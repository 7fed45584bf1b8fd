"""PDF reports follow the precision policy (issue 18): the cells of a report are written by
cryoprotect.science.precision, the twin of the pages' precision.js, not by ``:.4g``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cryoprotect.services.exports import reports
from cryoprotect.services.exports.tables import Column, Export, table

pytestmark = pytest.mark.unit


def test_cells_use_the_unit_rule_of_their_column_and_readable_timestamps() -> None:
    steps = table(
        "Steps",
        [
            Column("Temperature", "°C"),
            Column("Dimethyl sulfoxide", "mol/kg"),
            Column("Osmolality", "osmol/kg"),
            Column("Ratio"),
        ],
        [[22.0, 1.5573212, 0.2901, 0.0], [-0.04, 0.0034, 1.0, 12345.678]],
    )
    export = Export("protocol", "A protocol", None, (steps,))
    report = reports.Report(
        kind="Protocol report",
        export=export,
        facts=[("Loading temperature (°C)", 21.96), ("Saved", datetime(2026, 12, 6, 9, 5, 41))],
        chart_svg=None,
        chart_title="chart",
        table=steps,
        table_title="Steps",
    )
    _, rows = reports._shown(steps, 10, 100)
    assert [cell for cell, _ in rows[0]] == ["22.0", "1.56", "0.290", "0"]
    # -0.04 °C keeps 2 s.f. (never "-0.0"); tiny molality keeps 3 s.f.; 12345.678 -> 3 s.f.
    assert [cell for cell, _ in rows[1]] == ["-0.040", "0.00340", "1.00", "12300"]
    html = reports.render_html(
        report, exported_by=None, exported_at=datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    )
    assert "6 Dec 2026 09:30 UTC" in html  # the export stamp
    assert "6 Dec 2026 09:05 UTC" in html  # a naive timestamp is UTC
    assert ">22.0<" in html  # 21.96 °C at the temperature rule's 1 decimal
