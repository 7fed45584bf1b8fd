"""The precision policy (issue 18): one table of quantities and their display rules, pure.

``web/static/js/precision.js`` formats numbers in the browser; this module holds the SAME table
(:data:`PRECISION`) and the same rules, so a page rendered by Jinja (``cryoprotect.web.numbers``,
the Jinja filters), a page drawn by its ES module and a PDF report (``services.exports``) write a
value identically. It lives in science, the lowest layer both adapters and services may import.
``tests/unit/test_precision_policy.py`` compares the two tables
and runs both implementations over ``tests/fixtures/precision_cases.json``.

Rounding follows JavaScript's ``toFixed``/``toExponential`` (ties away from zero, on the exact
binary value), hence :mod:`decimal` with ``ROUND_HALF_UP`` rather than ``round()``/``format()``
(which round ties to even).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

UNKNOWN = "—"
FALLBACK_SIG = 2

PRECISION: dict[str, dict[str, Any]] = {
    "molality": {"sig": 3, "unit": "mol/kg"},
    "molarity": {"sig": 3, "unit": "mol/L"},
    "osmolality": {"sig": 3, "unit": "mOsm/kg", "scale": 1000},
    "temperature": {"decimals": 1, "unit": "°C"},
    "temperature_k": {"decimals": 1, "unit": "K"},
    "rate": {"sig": 3, "unit": "°C/min"},
    "viability": {"decimals": 0, "unit": "%", "min": 0, "max": 100},
    "mass_fraction": {"decimals": 1, "unit": "%"},
    "percent": {"decimals": 1, "unit": "%"},
    "molar_mass": {"decimals": 2, "unit": "g/mol"},
    "mass": {"sig": 3, "unit": "g"},
    "volume": {"sig": 3, "unit": "mL"},
    "density": {"sig": 4, "unit": "g/mL"},
    "tanimoto": {"decimals": 3, "unit": ""},
    "probability": {"decimals": 2, "unit": ""},
    "score": {"decimals": 3, "unit": ""},
    "weight": {"decimals": 2, "unit": ""},
    "log_p": {"decimals": 2, "unit": ""},
    "metric": {"sig": 3, "unit": ""},
    "p_value": {"sig": 2, "unit": ""},
    "confidence": {"decimals": 0, "unit": "%"},
    "share": {"decimals": 0, "unit": "%"},
    "correlation": {"decimals": 3, "unit": ""},
    "volume_fraction": {"decimals": 3, "unit": "× V_iso"},
    "ratio": {"decimals": 2, "unit": "×"},
    "toxicity_cost": {"sig": 4, "unit": ""},
    "coefficient": {"sig": 4, "unit": ""},
    "minutes": {"decimals": 1, "unit": "min"},
    "hours": {"sig": 3, "unit": "h"},
    "bytes": {"sig": 3, "unit": "bytes"},
    "number": {"sig": 3, "unit": ""},
}
"""Quantity -> rule, exactly as ``PRECISION`` in precision.js (see its comment for the keys)."""

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _to_fixed(value: float, decimals: int) -> str:
    """JavaScript's ``value.toFixed(decimals)`` for 0 <= value < 1e21."""
    step = Decimal(1).scaleb(-decimals)
    return format(Decimal(value).quantize(step, rounding=ROUND_HALF_UP), "f")


def _exponential(value: float, sig: int) -> tuple[Decimal, int]:
    """``value`` (> 0) rounded to ``sig`` significant figures and its decimal exponent."""
    exact = Decimal(value)
    exponent = exact.adjusted()
    rounded = exact.quantize(Decimal(1).scaleb(exponent - sig + 1), rounding=ROUND_HALF_UP)
    if rounded.adjusted() > exponent:  # 9.996 -> 10.0
        exponent += 1
        rounded = exact.quantize(Decimal(1).scaleb(exponent - sig + 1), rounding=ROUND_HALF_UP)
    return rounded, exponent


def _significant(value: float, sig: int) -> str:
    rounded, exponent = _exponential(value, sig)
    if exponent < -3 or exponent >= 6:
        mantissa = format(rounded.scaleb(-exponent), f".{sig - 1}f")
        return f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"
    return format(rounded, "f")


def format_with(rule: Mapping[str, Any], value: Any) -> str:
    """``value`` under ``rule`` (``sig`` | ``decimals``, ``unit``, ``scale``, ``min``, ``max``)."""
    if not _finite(value):
        return UNKNOWN
    x = float(value) * rule.get("scale", 1)
    if "min" in rule:
        x = max(rule["min"], x)
    if "max" in rule:
        x = min(rule["max"], x)
    magnitude = abs(x)
    if magnitude == 0:
        text = "0"
    elif "sig" in rule:
        text = _significant(magnitude, rule["sig"])
    elif magnitude >= 1e6:
        text = _significant(magnitude, 3)
    else:
        decimals = rule["decimals"]
        text = _to_fixed(magnitude, decimals)
        bound = rule.get("max")
        while (
            bound is not None
            and x < bound
            and Decimal(text) >= bound
            and decimals < rule["decimals"] + 2
        ):
            decimals += 1
            text = _to_fixed(magnitude, decimals)
        if Decimal(text) == 0:
            text = _significant(magnitude, FALLBACK_SIG)
    sign = "-" if x < 0 else ""
    return f"{sign}{text} {rule['unit']}" if rule.get("unit") else f"{sign}{text}"


def format_quantity(value: Any, quantity: str, unit: str | None = None) -> str:
    """``value`` of ``quantity`` (a key of :data:`PRECISION`) with its unit (Jinja: ``quantity``).

    ``unit`` replaces the rule's unit, as precision.js ``formatQuantity``'s third argument.
    """
    if quantity not in PRECISION:
        raise KeyError(f'No precision rule for "{quantity}"')
    rule = PRECISION[quantity] if unit is None else {**PRECISION[quantity], "unit": unit}
    return format_with(rule, value)


UNIT_QUANTITY = {
    "%": "percent",
    "°C": "temperature",
    "K": "temperature_k",
    "°C/min": "rate",
    "mol/kg": "molality",
    "mol/L": "molarity",
    "osmol/kg": "osmolality",
    "g/mol": "molar_mass",
    "g": "mass",
    "mL": "volume",
    "g/mL": "density",
}
"""The quantity whose API unit is the key, as ``UNIT_QUANTITY`` in precision.js."""


def format_in_unit(value: Any, unit: str | None, shown: str | None = None) -> str:
    """``value`` given in ``unit`` under that unit's rule, else 3 significant figures.

    ``shown`` replaces the displayed unit, as precision.js ``formatInUnit``'s third argument.
    """
    quantity = UNIT_QUANTITY.get(unit or "")
    if quantity:
        return format_quantity(value, quantity, shown)
    return format_with({"sig": 3, "unit": unit or "" if shown is None else shown}, value)


def format_published(entry: Any, quantity: str, unit: str | None = None) -> str:
    """A literature value as published (a string as given, ``{value, digits}``), else the rule."""
    rule = dict(PRECISION.get(quantity, PRECISION["number"]))
    if unit is not None:
        rule["unit"] = unit
    suffix = f" {rule['unit']}" if rule.get("unit") else ""
    if isinstance(entry, str) and entry.strip():
        return f"{entry.strip()}{suffix}"
    if isinstance(entry, Mapping):
        digits = entry.get("digits", entry.get("published_precision"))
        value = entry.get("value")
        if isinstance(value, str) and value.strip():
            return f"{value.strip()}{suffix}"
        if isinstance(digits, int) and not isinstance(digits, bool) and _finite(value):
            published = {"decimals": digits, "unit": rule.get("unit", "")}
            if "scale" in rule:
                published["scale"] = rule["scale"]
            return format_with(published, value)
        return format_with(rule, value)
    return format_with(rule, entry)


def as_published(value: Any, sig: int = 4) -> Any:
    """A bare literature number as its data file gives it (precision.js ``asPublished``).

    The shortest decimal text of ``value`` to at most ``sig`` significant figures, without padding
    zeros (0.55 stays "0.55"); zero, tiny or huge magnitudes and non-numbers are returned unchanged.
    """
    if not _finite(value) or value == 0 or abs(value) < 1e-3 or abs(value) >= 1e6:
        return value
    text = format(Decimal(_significant(abs(float(value)), sig)).normalize(), "f")
    return f"-{text}" if value < 0 else text


def format_recorded(value: Any, unit: str | None) -> str:
    """A recorded value in ``unit`` at its recorded precision (precision.js ``formatRecorded``)."""
    return format_published(
        as_published(value), UNIT_QUANTITY.get(unit or "", "number"), unit or ""
    )


def format_time(seconds: Any) -> str:
    """A duration in seconds, readable: "45 s", "2 min 30 s", "1 h 5 min" (Jinja: ``duration``)."""
    if not _finite(seconds):
        return UNKNOWN
    sign = "-" if seconds < 0 else ""
    magnitude = abs(float(seconds))
    if magnitude == 0:
        return "0 s"
    if magnitude < 10:
        short = Decimal(_significant(magnitude, 2)).normalize()
        return f"{sign}{format(short, 'f')} s"
    total = int(Decimal(magnitude).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    parts = [
        (total // 86400, "d"),
        (total % 86400 // 3600, "h"),
        (total % 3600 // 60, "min"),
        (total % 60, "s"),
    ]
    first = next(i for i, (n, _) in enumerate(parts) if n > 0)
    shown = [f"{n} {u}" for n, u in parts[first : first + 2] if n > 0]
    return sign + " ".join(shown)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_timestamp(value: Any) -> str:
    """An ISO timestamp (or datetime) as "6 Dec 2026 09:05 UTC" (Jinja: ``timestamp``).

    The server does not know the reader's time zone, so it writes UTC and says so (precision.js
    ``formatTimestamp(iso, {utc: true})`` gives the same text; the pages show local time).
    """
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return UNKNOWN
    if not isinstance(value, datetime):
        return UNKNOWN
    moment = value.astimezone(UTC) if value.tzinfo else value
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M} UTC"


_CHARGE = re.compile(r"(?:\^(\d*[+-])|([+-]\d*))$")


def formula_parts(formula: Any) -> list[dict[str, str]]:
    """``[{"text", "kind"}]`` with kind "", "sub" or "sup", as precision.js ``formulaParts``."""
    if not isinstance(formula, str) or not formula:
        return []
    body, charge = formula, ""
    tail = _CHARGE.search(body)
    if tail and tail.start() > 0:
        body = body[: tail.start()]
        raw = tail.group(1) if tail.group(1) is not None else tail.group(2)
        count = re.sub(r"[+-]", "", raw)
        charge = f"{'' if count == '1' else count}{'+' if '+' in raw else '−'}"
    parts: list[dict[str, str]] = []

    def push(text: str, kind: str) -> None:
        if parts and parts[-1]["kind"] == kind:
            parts[-1]["text"] += text
        else:
            parts.append({"text": text, "kind": kind})

    for digits, other in re.findall(r"(\d+)|(\D+)", body):
        if other:
            push(other, "")
        else:
            before = parts[-1]["text"][-1:] if parts else ""
            push(digits, "sub" if re.fullmatch(r"[A-Za-z)\]]", before) else "")
    if charge:
        parts.append({"text": charge, "kind": "sup"})
    return parts
