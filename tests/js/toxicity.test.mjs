// Unit tests of the toxicity-model pages' pure helpers (static/js/toxicity_lib.js), run by
// `node --test tests/js/`. MODEL is shaped like GET /api/v1/toxicity-models/<id> (trimmed:
// two conditions, four points, SYNTHETIC values as in the integration test); ROW_ERRORS like
// the 422 of POST /api/v1/toxicity-models/exposure-import.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  compositionText,
  conditionGroups,
  curveTraces,
  fitErrorPath,
  fitRequest,
  fitSummaryPairs,
  heldOutRows,
  importErrorSummary,
  importRowErrors,
  intervalText,
  isExposureExperiment,
  modelRow,
  parameterRows,
  residualTraces,
} from "../../src/cryoprotect/web/static/js/toxicity_lib.js";

const point = (molality, time_s, viability, fitted) => ({
  experiment_id: "e1", result_index: 0, group: "e1/P1", plate: "P1", well: "A1",
  molality_mol_per_kg: molality, time_s, temperature_k: 295.15, viability, fitted, residual: viability - fitted, weight: 1,
});

const MODEL = {
  id: "m1", name: "synthetic", version: 2, status: "ready", progress: 1, verified: false,
  cpas: ["Glycerol", "Dimethyl sulfoxide"],
  spec: { cpas: ["Glycerol", "Dimethyl sulfoxide"], nonspecific: true, interactions: [], temperature: false },
  training_data: { experiment_ids: ["e1"], row_count: 4, groups: 2, verified_only: false },
  aic: -120.5, bic: null, held_out_rmse: 0.031, t_ref_k: 295.15, sigma: 0.02, log_likelihood: 64.2,
  n_observations: 4, n_free: 3, interval_level: 0.9, interval_method: "bootstrap over groups", n_draws: 60,
  parameters: [
    { name: "k_spec[Glycerol]", estimate: 2.1e-5, low: 1.8e-5, high: 2.4e-5, wald_low: 1.7e-5, wald_high: 2.5e-5, unit: "1/s", fixed: false, sloppy: false, reasons: [] },
    { name: "beta_ns", estimate: 1.2, low: null, high: 3.0, wald_low: null, wald_high: null, unit: "1", fixed: false, sloppy: true, reasons: ["interval hits the bound"] },
    { name: "k_ns", estimate: 0, low: null, high: null, unit: "1/s", fixed: false, sloppy: true, reasons: [] },
  ],
  held_out: [
    { group: "e1/P1", n: 2, rmse: 0.03, mean_error: -0.01, informed: true },
    { group: "e1/P2", n: 2, rmse: null, mean_error: null, informed: false },
  ],
  points: [
    point({ Glycerol: 2 }, 1800, 0.9, 0.91),
    point({ Glycerol: 2 }, 300, 0.98, 0.985),
    point({ "Dimethyl sulfoxide": 1.5 }, 300, 0.95, 0.96),
    point({ "Dimethyl sulfoxide": 1.5 }, 1800, 0.8, 0.78),
  ],
  warnings: ["beta_ns is sloppy"],
};

test("exposure experiments are told apart the way the API does", () => {
  assert.equal(isExposureExperiment({ conditions: { method: "cpa_exposure" } }), true);
  assert.equal(isExposureExperiment({ conditions: { method: "cpa_exposure", cooling_rate_c_per_min: 1 } }), false);
  assert.equal(isExposureExperiment({ conditions: { method: "slow_freezing" } }), false);
});

test("import row errors come in file order with a summary naming the lines", () => {
  const rows = importRowErrors({ rows: [{ row: 5, field: "cpa_1", reason: "unknown CPA" }, { row: 3, field: "viability", reason: "over 100 %" }, { row: 3, field: "exposure_time_min", reason: "must be ≥ 0" }] });
  assert.deepEqual(rows.map((r) => `${r.row}:${r.field}`), ["3:exposure_time_min", "3:viability", "5:cpa_1"]);
  assert.match(importErrorSummary(rows), /2 rows rejected \(CSV lines 3, 5\); nothing was imported/);
  assert.deepEqual(importRowErrors({}), []);
});

test("the fit request carries the terms and leaves the experiments out for 'all visible'", () => {
  const all = fitRequest({ name: " m ", experimentIds: null, nonspecific: true, nBootstrap: "40", visibility: "private" });
  assert.deepEqual(all, { name: "m", verified_only: false, terms: { nonspecific: true, interactions: false, temperature: false }, n_bootstrap: 40, visibility: "private" });
  const some = fitRequest({ name: "m", experimentIds: ["a"], teamId: "t", nBootstrap: "" });
  assert.deepEqual(some.experiment_ids, ["a"]);
  assert.equal(some.team_id, "t");
  assert.equal("n_bootstrap" in some, false);
  assert.equal(fitErrorPath("terms.interactions"), "interactions");
  assert.equal(fitErrorPath("experiment_ids[0]"), "experiment_ids");
});

test("list rows show a null BIC with its reason, never a number", () => {
  const row = modelRow(MODEL);
  assert.equal(row.name, "synthetic v2");
  assert.equal(row.aic, "-120.5");
  assert.match(row.bic, /^unknown: /);
  assert.equal(row.heldOut, "3.1 % viability");
  assert.equal(row.terms, "CPA-specific, non-specific");
  const pending = modelRow({ ...MODEL, status: "training", progress: 0.4, aic: null, held_out_rmse: null });
  assert.equal(pending.status, "training 40 %");
  assert.equal(pending.aic, "unknown: the model is training");
});

test("intervals: open ends are 'unbounded', no bound at all is unknown, fixed says so", () => {
  const [k, beta, kns] = parameterRows(MODEL);
  assert.equal(k.interval, "1.80 × 10⁻⁵ – 2.40 × 10⁻⁵");
  assert.equal(k.sloppy, false);
  assert.equal(beta.interval, "unbounded – 3.00");
  assert.equal(beta.sloppy, true);
  assert.equal(beta.reasons, "interval hits the bound");
  assert.equal(beta.wald, "—");
  assert.match(kns.interval, /^unknown/);
  assert.equal(intervalText({ fixed: true }), "fixed (not fitted)");
});

test("points are grouped per condition and sorted by time; traces in % and minutes", () => {
  const groups = conditionGroups(MODEL.points);
  assert.equal(groups.length, 2);
  assert.equal(groups[0].label, "Glycerol 2.00 mol/kg, 22.0 °C");
  assert.deepEqual(groups[0].points.map((p) => p.time_s), [300, 1800]);
  const traces = curveTraces(MODEL.points);
  assert.equal(traces.length, 4);
  assert.deepEqual(traces[0].x, [5, 30]);
  assert.deepEqual(traces[0].y, [98, 90]);
  assert.equal(traces[1].mode, "lines");
  assert.deepEqual(traces[1].y, [98.5, 91]);
  const residuals = residualTraces(MODEL.points);
  assert.equal(residuals.length, 2);
  assert.ok(Math.abs(residuals[1].y[1] - 2) < 1e-9);
  assert.equal(compositionText({}), "no CPA (control)");
});

test("held-out rows: a group the others do not inform has no number", () => {
  const [informed, blind] = heldOutRows(MODEL);
  assert.equal(informed.rmse, "3.0 % viability");
  assert.equal(informed.bias, "-1.0 % viability");
  assert.match(blind.rmse, /^unknown/);
  assert.equal(blind.bias, "—");
  const pairs = Object.fromEntries(fitSummaryPairs(MODEL));
  assert.match(pairs.BIC, /^unknown/);
  assert.equal(pairs["Residual SD"], "2.0 % viability");
});
