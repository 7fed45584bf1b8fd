// Unit tests of the pages' pure helpers, run by `node --test tests/js/` (via make test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { fieldErrors } from "../../src/cryoprotect/web/static/js/api.js";
import { fmt, fmtDuration, fmtSig, label, pageInfo, query } from "../../src/cryoprotect/web/static/js/format.js";

test("fmt keeps the unit and shows a dash for missing numbers", () => {
  assert.equal(fmt(12.345, "%", 1), "12.3 %");
  assert.equal(fmt(0.29, "osmol/kg", 3), "0.290 osmol/kg");
  assert.equal(fmt(null, "%"), "—");
  assert.equal(fmt(Number.NaN, "K"), "—");
});

test("fmtSig switches to exponents for tiny and huge values", () => {
  assert.equal(fmtSig(0.0001234, "cm/s"), "1.23e-4 cm/s");
  assert.equal(fmtSig(123.456), "123");
  assert.equal(fmtSig(2.5e7, "s"), "2.50e+7 s");
});

test("fmtDuration picks seconds, minutes or hours", () => {
  assert.equal(fmtDuration(45), "45 s");
  assert.equal(fmtDuration(600), "10.0 min");
  assert.equal(fmtDuration(10800), "3.0 h");
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
