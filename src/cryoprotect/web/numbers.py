"""The precision policy's Jinja filters, twinned with precision.js.

The table and the formatting functions are :mod:`cryoprotect.science.precision` (pure, also used
by the PDF reports in ``services.exports``); this module adds the HTML of a formula and registers
the filters. ``tests/unit/test_precision_policy.py`` compares the table with precision.js's and
runs both implementations over ``tests/fixtures/precision_cases.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from cryoprotect.science.precision import (
    FALLBACK_SIG,
    PRECISION,
    UNIT_QUANTITY,
    UNKNOWN,
    as_published,
    format_in_unit,
    format_published,
    format_quantity,
    format_recorded,
    format_time,
    format_timestamp,
    format_with,
    formula_parts,
)

__all__ = [
    "FALLBACK_SIG",
    "FILTERS",
    "PRECISION",
    "UNIT_QUANTITY",
    "UNKNOWN",
    "as_published",
    "format_formula",
    "format_in_unit",
    "format_published",
    "format_quantity",
    "format_recorded",
    "format_time",
    "format_timestamp",
    "format_with",
    "formula_parts",
]


def format_formula(formula: Any) -> Markup:
    """A formula as escaped HTML with ``<sub>``/``<sup>`` (Jinja: ``formula``); "—" if empty."""
    parts = formula_parts(formula)
    if not parts:
        return Markup('<span class="unknown" title="unknown">{}</span>').format(UNKNOWN)
    inner = Markup("").join(
        Markup("<{0}>{1}</{0}>").format(p["kind"], p["text"]) if p["kind"] else escape(p["text"])
        for p in parts
    )
    return Markup('<span class="formula">{}</span>').format(inner)


FILTERS: dict[str, Callable[..., Any]] = {
    "quantity": format_quantity,
    "in_unit": format_in_unit,
    "published": format_published,
    "duration": format_time,
    "timestamp": format_timestamp,
    "formula": format_formula,
}
"""Jinja filters registered on the app by the ``web`` blueprint."""
