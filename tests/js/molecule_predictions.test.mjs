// Unit tests of moleculePredictionRows (static/js/models_lib.js): the molecule page's
// "Predicted properties" rows. The answers are trimmed copies of
// GET /api/v1/predictive-models/molecules/<id>/predictions for a ridge model trained on
// half of the shipped FreeSolv data: glycerol (in domain) and cholesterol (outside).
import assert from "node:assert/strict";
import { test } from "node:test";

import { moleculePredictionRows } from "../../src/cryoprotect/web/static/js/models_lib.js";

const DOMAIN = { kind: "unbounded", low: null, high: null, unit: "kcal/mol", description: "no declared domain" };
const BASE = {
  model_id: "m1", model_name: "freesolv-ridge", model_version: 2, is_active: false,
  target: "hydration_free_energy_kcal_per_mol", unit: "kcal/mol", target_domain: DOMAIN, level: 0.9,
  not_better_than_baseline: false, baseline_statement: "This model predicts better than each baseline.",
};
const GLYCEROL = {
  ...BASE, value: -12.86, lower: -15.22, upper: -6.23, in_domain: true, extrapolated: false, reason: null,
  domain_score: 0.507, domain_threshold: 0.756, nearest: [{ row_id: "freesolv-548", distance: 0, group: "scaffold:acyclic", measured: -13.43 }],
};
const CHOLESTEROL = {
  ...BASE, value: null, lower: null, upper: null, in_domain: false, extrapolated: false,
  reason: "outside applicability domain", domain_score: 0.847, domain_threshold: 0.756,
  nearest: [{ row_id: "freesolv-101", distance: 0.8, group: "scaffold:C1CCCCC1", measured: -1.2 }],
};

test("an in-domain prediction shows the value, the interval and the model", () => {
  const [row] = moleculePredictionRows({ predictions: [GLYCEROL] });
  assert.equal(row.kind, "value");
  assert.equal(row.value, "-12.9 kcal/mol");
  assert.equal(row.interval, "-15.2 – -6.23 kcal/mol (90 %)");
  assert.equal(row.model, "freesolv-ridge v2");
  assert.equal(row.verdict, "Better than baselines");
  assert.match(row.domain, /^Inside: Tanimoto distance .* 0\.507 \(threshold 0\.756\)$/);
});

test("outside the domain there is no number, only the reason, distance and nearest molecule", () => {
  const [row] = moleculePredictionRows({ predictions: [CHOLESTEROL] });
  assert.equal(row.kind, "no_value");
  assert.equal(row.value, "No value: outside applicability domain");
  assert.equal(row.interval, "—");
  assert.doesNotMatch(row.value, /\d/);
  assert.match(row.domain, /0\.847 \(threshold 0\.756\); nearest: freesolv-101 \(measured -1\.20 kcal\/mol\)/);
});

test("an extrapolated value is labelled, never shown as a plain result", () => {
  const [row] = moleculePredictionRows({ predictions: [{ ...CHOLESTEROL, value: -3.1, lower: -9, upper: 2, extrapolated: true }] });
  assert.equal(row.kind, "extrapolated");
  assert.match(row.value, /^Extrapolation only: -3\.10 kcal\/mol$/);
});

test("no predictions give no rows", () => {
  assert.deepEqual(moleculePredictionRows({ predictions: [], reason: "no molecule model visible to you" }), []);
});
