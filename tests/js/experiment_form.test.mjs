// Unit tests of the new-experiment form's blank-row rule (issue 18, Forms): a result row
// nothing was typed into is left out on save; a row with anything typed is kept (and the
// API then names what is missing).
import assert from "node:assert/strict";
import { test } from "node:test";

import { buildResults, isBlankResult, measureIndex } from "../../src/cryoprotect/web/static/js/experiments_lib.js";

const vocabulary = {
  measures: [
    { key: "viability_percent", label: "Viability", kind: "number", units: ["%"], minimum: 0, maximum: 100 },
    { key: "ice_observed", label: "Ice observed", kind: "boolean", units: [] },
    { key: "enzyme_activity", label: "Enzyme activity", kind: "number", units: [], minimum: null, maximum: null },
  ],
};
const measures = measureIndex(vocabulary);
const fresh = (measure, extra = {}) => ({ measure, value: "", unit: "", replicates: "1", sd: "", assay: "", time_point_h: "", notes: "", ...extra });

test("a fresh row is blank, whatever measure it shows, with its fixed unit chosen", () => {
  assert.equal(isBlankResult(fresh("viability_percent"), measures.get("viability_percent")), true);
  assert.equal(isBlankResult(fresh("viability_percent", { unit: "%" }), measures.get("viability_percent")), true);
  assert.equal(isBlankResult(fresh("ice_observed"), measures.get("ice_observed")), true);
  assert.equal(isBlankResult(fresh("enzyme_activity", { replicates: "" }), measures.get("enzyme_activity")), true);
});

test("anything typed makes a row a result to send", () => {
  const m = measures.get("viability_percent");
  for (const extra of [{ value: "0" }, { sd: "2" }, { assay: "trypan blue" }, { time_point_h: "24" }, { notes: "x" }, { replicates: "3" }]) {
    assert.equal(isBlankResult(fresh("viability_percent", extra), m), false, JSON.stringify(extra));
  }
  assert.equal(isBlankResult(fresh("ice_observed", { value: "no" }), measures.get("ice_observed")), false);
  // a unit typed for a measure without a fixed unit
  assert.equal(isBlankResult(fresh("enzyme_activity", { unit: "U/mL" }), measures.get("enzyme_activity")), false);
});

test("buildResults keeps one entry per row, so results[i] errors land on row i", () => {
  const rows = [fresh("viability_percent", { notes: "n" }), fresh("viability_percent", { value: "70" })];
  const out = buildResults(rows, measures);
  assert.equal(out.length, 2);
  assert.equal(out[0].value, null);
  assert.equal(out[1].value, 70);
});
