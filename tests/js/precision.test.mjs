// The precision policy (issue 18): precision.js over the shared cases that web/numbers.py also
// passes (tests/fixtures/precision_cases.json), plus rules that only the browser side has.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  PRECISION,
  formatInUnit,
  formatPublished,
  formatQuantity,
  formatTime,
  formatTimestamp,
  formatWith,
  formulaParts,
} from "../../src/cryoprotect/web/static/js/precision.js";
import * as format from "../../src/cryoprotect/web/static/js/format.js";

const cases = JSON.parse(readFileSync(new URL("../fixtures/precision_cases.json", import.meta.url), "utf8"));
const SPECIAL = { NaN: Number.NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 };
const decode = (x) => (typeof x === "string" && x in SPECIAL ? SPECIAL[x] : x);

test("every quantity case of the shared table", () => {
  for (const [quantity, value, expected] of cases.quantity) {
    assert.equal(formatQuantity(quantity, decode(value)), expected, `${quantity} ${value}`);
  }
});

test("literature values keep their published precision", () => {
  for (const [quantity, entry, unit, expected] of cases.published) {
    assert.equal(formatPublished(quantity, entry, unit ?? undefined), expected, JSON.stringify(entry));
  }
});

test("values in an API unit follow that unit's rule", () => {
  for (const [value, unit, expected] of cases.in_unit) assert.equal(formatInUnit(decode(value), unit), expected, `${value} ${unit}`);
});

test("durations are readable", () => {
  for (const [seconds, expected] of cases.time) assert.equal(formatTime(decode(seconds)), expected, String(seconds));
});

test("timestamps in UTC match the server's", () => {
  for (const [iso, expected] of cases.timestamp_utc) assert.equal(formatTimestamp(iso, { utc: true }), expected, String(iso));
});

test("timestamps are local, to the minute", () => {
  const iso = "2026-12-06T09:05:37+00:00";
  const d = new Date(iso);
  const expected = `${d.getDate()} ${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getMonth()]} ${d.getFullYear()} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  assert.equal(formatTimestamp(iso), expected);
  assert.doesNotMatch(formatTimestamp(iso), /:37/); // seconds dropped
});

test("formulas: subscripted counts, superscripted charges, coefficients plain", () => {
  for (const [formula, parts] of cases.formula) {
    assert.deepEqual(formulaParts(formula), parts.map(([text, kind]) => ({ text, kind })), formula);
  }
  assert.deepEqual(formulaParts(null), []);
});

test("zero is '0' beside other values, never '0.000', and -0 is 0", () => {
  for (const quantity of Object.keys(PRECISION)) {
    const zero = formatQuantity(quantity, 0);
    assert.match(zero, /^0( |$)/, quantity);
    assert.equal(formatQuantity(quantity, -0), zero, quantity);
    assert.doesNotMatch(formatQuantity(quantity, -1e-20), /^-?0\.0*( |$)/, quantity); // a tiny value is not "0.00"
  }
});

test("null, undefined, NaN, infinities, booleans and strings are unknown", () => {
  for (const value of [null, undefined, Number.NaN, Infinity, -Infinity, true, "1.5"]) {
    assert.equal(formatQuantity("molality", value), "—", String(value));
  }
  assert.equal(formatTime(undefined), "—");
  assert.equal(formatTimestamp(undefined), "—");
});

test("huge and tiny magnitudes switch to powers of ten", () => {
  assert.equal(formatQuantity("number", 6.02214076e23), "6.02 × 10²³");
  assert.equal(formatQuantity("number", -1.6e-19), "-1.60 × 10⁻¹⁹");
  assert.equal(formatWith({ sig: 2, unit: "cm/s" }, 1.234e-5), "1.2 × 10⁻⁵ cm/s");
  assert.equal(formatQuantity("number", Number.MAX_VALUE), "1.80 × 10³⁰⁸");
  assert.equal(formatQuantity("number", Number.MIN_VALUE), "4.94 × 10⁻³²⁴");
});

test("an unknown quantity is a programming error", () => {
  assert.throws(() => formatQuantity("speed_of_light", 1), /No precision rule/);
});

test("format.js re-exports the policy for the pages", () => {
  assert.equal(format.formatQuantity, formatQuantity);
  assert.equal(format.formatTime, formatTime);
  assert.equal(format.formulaParts, formulaParts);
});
