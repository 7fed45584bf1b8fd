"""The precision policy (issue 18): the Jinja filters and precision.js agree.

Both read tests/fixtures/precision_cases.json (tests/js/precision.test.mjs is the JavaScript
side); this test also asks Node for precision.js's own table and for its answers on the same
cases, so the two implementations cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string

from cryoprotect.web import web
from cryoprotect.web.numbers import (
    PRECISION,
    UNIT_QUANTITY,
    format_formula,
    format_in_unit,
    format_published,
    format_quantity,
    format_time,
    format_timestamp,
    formula_parts,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests" / "fixtures" / "precision_cases.json").read_text("utf-8"))
PRECISION_JS = ROOT / "src" / "cryoprotect" / "web" / "static" / "js" / "precision.js"
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


def decode(value: Any) -> Any:
    return SPECIAL.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(("quantity", "value", "expected"), CASES["quantity"])
def test_quantity(quantity: str, value: Any, expected: str) -> None:
    assert format_quantity(decode(value), quantity) == expected


@pytest.mark.parametrize(("value", "unit", "expected"), CASES["in_unit"])
def test_in_unit(value: Any, unit: str, expected: str) -> None:
    assert format_in_unit(decode(value), unit) == expected


@pytest.mark.parametrize(("quantity", "entry", "unit", "expected"), CASES["published"])
def test_published(quantity: str, entry: Any, unit: str | None, expected: str) -> None:
    assert format_published(entry, quantity, unit) == expected


@pytest.mark.parametrize(("seconds", "expected"), CASES["time"])
def test_time(seconds: Any, expected: str) -> None:
    assert format_time(decode(seconds)) == expected


@pytest.mark.parametrize(("iso", "expected"), CASES["timestamp_utc"])
def test_timestamp(iso: Any, expected: str) -> None:
    assert format_timestamp(iso) == expected


@pytest.mark.parametrize(("formula", "parts"), CASES["formula"])
def test_formula_parts(formula: str, parts: list[list[str]]) -> None:
    assert formula_parts(formula) == [{"text": t, "kind": k} for t, k in parts]


def test_booleans_and_strings_are_unknown() -> None:
    for value in (True, "1.5", None, math.inf):
        assert format_quantity(value, "molality") == "—"


NODE_SCRIPT = """
import { readFileSync } from "node:fs";
const m = await import(process.argv[1]);
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const SPECIAL = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
const d = (x) => (typeof x === "string" && x in SPECIAL ? SPECIAL[x] : x);
const extra = [0.125, 0.375, 2.5, 1.005, 1.0049999, 123456.5, 0.00099951, 99.5, 1e21, 5e-7, -0.0005];
const quantity = [];
for (const q of Object.keys(m.PRECISION)) for (const v of extra) quantity.push([q, v, m.formatQuantity(q, v)]);
console.log(JSON.stringify({
  table: m.PRECISION,
  units: m.UNIT_QUANTITY,
  inUnit: cases.in_unit.map(([v, u]) => m.formatInUnit(d(v), u)),
  quantity,
  time: [0.05, 9.949, 89.5, 3599.5, 7261, 172799].map((s) => [s, m.formatTime(s)]),
  utc: cases.timestamp_utc.map(([iso]) => m.formatTimestamp(iso, { utc: true })),
  formula: cases.formula.map(([f]) => m.formulaParts(d(f))),
}));
"""


@pytest.fixture(scope="module")
def node_answers() -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "Node.js is required (the JavaScript unit tests need it too)"
    done = subprocess.run(  # noqa: S603 - our own script and files
        [
            node,
            "--input-type=module",
            "-e",
            NODE_SCRIPT,
            str(PRECISION_JS),
            str(ROOT / "tests" / "fixtures" / "precision_cases.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    answers: dict[str, Any] = json.loads(done.stdout)
    return answers


def test_the_two_tables_are_the_same(node_answers: dict[str, Any]) -> None:
    assert node_answers["table"] == PRECISION
    assert node_answers["units"] == UNIT_QUANTITY


def test_both_sides_round_ties_and_bounds_alike(node_answers: dict[str, Any]) -> None:
    assert len(node_answers["quantity"]) == 11 * len(PRECISION)
    for quantity, value, text in node_answers["quantity"]:
        assert format_quantity(value, quantity) == text, (quantity, value)
    for seconds, text in node_answers["time"]:
        assert format_time(seconds) == text, seconds
    assert node_answers["utc"] == [format_timestamp(iso) for iso, _ in CASES["timestamp_utc"]]
    assert node_answers["inUnit"] == [format_in_unit(decode(v), u) for v, u, _ in CASES["in_unit"]]
    assert node_answers["formula"] == [formula_parts(f) for f, _ in CASES["formula"]]


def test_the_jinja_filters_render_the_policy() -> None:
    app = Flask(__name__)
    app.register_blueprint(web)
    with app.app_context():
        html = render_template_string(
            "{{ m|quantity('molality') }}|{{ v|quantity('viability') }}|{{ t|duration }}|"
            "{{ at|timestamp }}|{{ f|formula }}|{{ bad|formula }}|{{ lit|published('temperature') }}",
            m=0.0,
            v=99.6,
            t=150,
            at="2026-12-06T09:05:37+00:00",
            f="C2H3O2-",
            bad="<script>1",
            lit={"value": -132, "digits": 0},
        )
    assert html == (
        "0 mol/kg|99.6 %|2 min 30 s|6 Dec 2026 09:05 UTC|"
        '<span class="formula">C<sub>2</sub>H<sub>3</sub>O<sub>2</sub><sup>−</sup></span>|'
        '<span class="formula">&lt;script&gt;1</span>|-132 °C'
    )
    assert str(format_formula("")) == '<span class="unknown" title="unknown">—</span>'
