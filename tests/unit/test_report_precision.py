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


RECORDED = [
    (-196.0, "°C", "-196 °C"),
    (3.0, "mol/L", "3 mol/L"),
    (0.55, "µm/min/atm", "0.55 µm/min/atm"),
    (164.0, "K", "164 K"),
    (72.456789, "%", "72.46 %"),
    (0.0001234, "cm/s", "1.23 × 10⁻⁴ cm/s"),
    (0.0, "°C", "0 °C"),
    (2.5, None, "2.5"),
]


def test_recorded_values_keep_their_precision_on_both_sides() -> None:
    """format_recorded (reports, Jinja) and precision.js formatRecorded (pages) agree."""
    import json
    import shutil
    import subprocess
    from pathlib import Path

    from cryoprotect.science.precision import format_recorded

    node = shutil.which("node")
    assert node, "Node.js is required (the JavaScript unit tests need it too)"
    module = Path(__file__).resolve().parents[2] / "src/cryoprotect/web/static/js/precision.js"
    script = (
        "const m = await import(process.argv[1]);"
        "const cases = JSON.parse(process.argv[2]);"
        "console.log(JSON.stringify(cases.map(([v, u]) => m.formatRecorded(v, u ?? undefined))));"
    )
    cases = json.dumps([[v, u] for v, u, _ in RECORDED])
    done = subprocess.run(  # noqa: S603 - our own script and module
        [node, "--input-type=module", "-e", script, module.as_uri(), cases],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = [text for _, _, text in RECORDED]
    assert json.loads(done.stdout) == expected
    assert [format_recorded(v, u) for v, u, _ in RECORDED] == expected
