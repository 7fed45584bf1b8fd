"""One-page PDF reports: a Jinja template (``templates/report.html``) filled from an
export's tables and a chart, converted to PDF by WeasyPrint.

A report always fits one A4 page: when the rendered document runs longer, it is rendered
again with fewer table rows and shorter notes (the full data are in the CSV and Excel
exports, which the report says).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from cryoprotect import __version__
from cryoprotect.science.precision import (
    PRECISION,
    UNIT_QUANTITY,
    format_quantity,
    format_timestamp,
    format_with,
)
from cryoprotect.services.exports.tables import Cell, Export, Obtained, Table

PDF_MEDIA_TYPE = "application/pdf"
#: (table rows, characters of a note or cell) tried in turn until the report fits a page.
_BUDGETS = ((30, 600), (20, 300), (12, 180), (6, 100), (3, 60), (1, 40))

_templates = Environment(
    loader=PackageLoader("cryoprotect.services.exports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class Report:
    """What one report shows: ``facts`` (label, value) in two columns, one chart (SVG, or
    ``no_chart`` saying why there is none), one ``table`` and ``warnings``; the export's
    title and "how obtained" notes."""

    kind: str
    export: Export
    facts: Sequence[tuple[str, Cell]]
    chart_svg: str | None
    chart_title: str
    table: Table
    table_title: str
    facts_title: str = "Summary"
    no_chart: str = "Nothing in this record can be charted."
    warnings: Sequence[str] = field(default=())


_UNIT_IN_LABEL = re.compile(r"\(([^()]+)\)$")


def _number(value: float, unit: str | None) -> str:
    """``value`` in ``unit`` (named in its header or label, so not repeated) under the precision
    policy (science.precision, the rules precision.js applies on the pages): the unit's rule,
    or 3 significant figures (also for a unit the policy shows scaled, as osmol/kg)."""
    quantity = UNIT_QUANTITY.get(unit or "")
    if quantity and "scale" not in PRECISION[quantity]:
        return format_quantity(value, quantity, "")
    return format_with(PRECISION["number"], value)


def display(value: Cell, limit: int = 200, unit: str | None = None) -> str:
    """A cell as the report prints it: numbers under the precision policy in ``unit``,
    readable UTC timestamps ("6 Dec 2026 09:30 UTC"), yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _number(value, unit)
    if isinstance(value, datetime):
        return format_timestamp(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unit_of(label: str) -> str | None:
    """The unit a fact's label names at its end ("Temperature (°C)" -> "°C"), or None."""
    found = _UNIT_IN_LABEL.search(label)
    return found.group(1) if found else None


def _shown(
    table: Table, max_rows: int, limit: int
) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Headers and the first ``max_rows`` rows, leaving out the columns that are empty."""
    rows = table.rows[:max_rows]
    keep = [i for i in range(len(table.columns)) if any(r[i] not in (None, "") for r in rows)]
    headers = [table.headers[i] for i in keep]
    cells = [
        [
            (
                display(r[i], limit, table.columns[i].unit),
                isinstance(r[i], int | float) and not isinstance(r[i], bool),
            )
            for i in keep
        ]
        for r in rows
    ]
    return headers, cells


def _short(o: Obtained, limit: int) -> Obtained:
    return Obtained(
        o.quantity,
        display(o.method, limit),
        o.provenance,
        display(o.source, limit) if o.source else None,
    )


def _html(
    report: Report, meta: list[tuple[str, str]], stamp: str, max_rows: int, limit: int
) -> str:
    facts = [
        (label, display(value, limit, _unit_of(label)))
        for label, value in report.facts
        if value not in (None, "")
    ]
    headers, rows = _shown(report.table, max_rows, limit // 3 + 20)
    chart = None
    if report.chart_svg:
        chart = "data:image/svg+xml;base64," + base64.b64encode(report.chart_svg.encode()).decode()
    return _templates.get_template("report.html").render(
        kind=report.kind,
        title=report.export.title,
        meta=meta,
        version=__version__,
        exported_at=stamp,
        facts_title=report.facts_title,
        facts=[facts[i : i + 2] for i in range(0, len(facts), 2)],
        chart=chart,
        chart_title=report.chart_title,
        no_chart=report.no_chart,
        table_title=report.table_title,
        headers=headers,
        rows=rows,
        omitted=len(report.table.rows) - len(rows),
        warnings=[display(w, limit) for w in report.warnings][: max(2, max_rows // 4)],
        obtained=[_short(o, limit) for o in report.export.obtained],
    )


def render_html(
    report: Report,
    *,
    exported_by: str | None,
    exported_at: datetime,
    max_rows: int = 30,
    limit: int = 600,
) -> str:
    """The report's HTML (what :func:`render_pdf` converts)."""
    stamp = display(exported_at)
    meta = [("Exported", stamp), ("by", exported_by or "anonymous")]
    if report.export.record_id:
        meta.append(("id", report.export.record_id))
    return _html(report, meta, stamp, max_rows, limit)


def render_pdf(report: Report, *, exported_by: str | None, exported_at: datetime) -> bytes:
    """The report as a one-page PDF (fewer rows and shorter notes until it fits)."""
    from weasyprint import HTML  # imported on use: it loads Pango, which only reports need

    document = None
    for max_rows, limit in _BUDGETS:
        html = render_html(
            report, exported_by=exported_by, exported_at=exported_at, max_rows=max_rows, limit=limit
        )
        document = HTML(string=html).render()
        if len(document.pages) == 1:
            break
    assert document is not None
    pdf: bytes = document.write_pdf()
    return pdf
