// Unit tests of the pages' pure helpers, run by `node --test tests/js/` (via make test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { fieldErrors } from "../../src/cryoprotect/web/static/js/api.js";
import { formatInUnit, formatQuantity, formatTime, label, pageInfo, query } from "../../src/cryoprotect/web/static/js/format.js";

// fmt/fmtSig/fmtDuration are gone (one precision policy): the same properties, through the policy.
test("numbers keep their unit and show a dash when missing (formatInUnit)", () => {
  assert.equal(formatInUnit(12.345, "%"), "12.3 %");
  assert.equal(formatInUnit(0.29, "osmol/kg"), "290 mOsm/kg");
  assert.equal(formatInUnit(null, "%"), "—");
  assert.equal(formatInUnit(Number.NaN, "K"), "—");
});

test("tiny and huge values switch to powers of ten", () => {
  assert.equal(formatInUnit(0.0001234, "cm/s"), "1.23 × 10⁻⁴ cm/s");
  assert.equal(formatQuantity("number", 123.456), "123");
  assert.equal(formatInUnit(2.5e7, "s"), "2.50 × 10⁷ s");
});

test("durations read in seconds, minutes or hours (formatTime)", () => {
  assert.equal(formatTime(45), "45 s");
  assert.equal(formatTime(600), "10 min");
  assert.equal(formatTime(10800), "3 h");
});

test("label turns unit suffixes into readable units", () => {
  assert.equal(label("viability_percent"), "Viability (%)");
  assert.equal(label("cooling_rate_c_per_min"), "Cooling rate (°C/min)");
  assert.equal(label("storage_temperature_c"), "Storage temperature (°C)");
});

test("query skips empty values and encodes", () => {
  assert.equal(query({ q: "a b", page: 2, empty: "", none: null }), "?q=a%20b&page=2");
  assert.equal(query({}), "");
});

test("pageInfo clamps and reports the visible range", () => {
  assert.deepEqual(pageInfo({ total: 51, page: 3, per_page: 25 }), {
    pages: 3, page: 3, first: 51, last: 51, total: 51, hasPrev: true, hasNext: false,
  });
  assert.equal(pageInfo({ total: 0 }).first, 0);
  assert.equal(pageInfo({ total: 10, page: 9, per_page: 5 }).page, 2);
});

test("fieldErrors flattens schema errors and keeps domain fields", () => {
  assert.deepEqual(
    fieldErrors({ fields: { components: { 0: { amount: ["Must be ≥ 0."] } }, name: ["Missing."] } }),
    { "components[0].amount": "Must be ≥ 0.", name: "Missing." },
  );
  assert.deepEqual(fieldErrors({ field: "results[0].value" }, "Out of range."), {
    "results[0].value": "Out of range.",
  });
  assert.deepEqual(fieldErrors({}), {});
});
