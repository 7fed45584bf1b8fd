// Unit tests of static/js/models_lib.js: the baseline verdict sentence of a model, and what a
// prediction answer may show. The answers are trimmed copies of POST
// /api/v1/predictive-models/<id>/predict for a ridge model on the shipped CryoMN literature:
// 10 % v/v DMSO (in domain) and a VS55-like mixture (3.1 M DMSO, 3.1 M formamide, 2.2 M
// propylene glycol: outside the applicability domain).
import assert from "node:assert/strict";
import { test } from "node:test";

import { baselineVerdict, overrideSentence, predictionState } from "../../src/cryoprotect/web/static/js/models_lib.js";

const DOMAIN = { kind: "percent", low: 0, high: 100, unit: "%", description: "a percentage of cells, 0–100 %" };
const STATEMENT = "This model does not predict better than the mean of the training data: its cross-validated MAE differs by -0.19 (95 % CI -2.06 to +2.12 over 54 groups).";
const IN_DOMAIN = {
  target: "viability_percent", value: 71.147, lower: 7.64, upper: 98.71, level: 0.9,
  in_domain: true, domain_score: 0.1196, domain_threshold: 1.4995, reason: null, extrapolated: false,
  clipped: false, clip_reason: null, target_transform: "logit(p/100), ε = 0.5 %", target_domain: DOMAIN,
  nearest: [{ row_id: "lit:116", distance: 0.0939, group: "doi:10.1089/scd.2009.0173", measured: 85.6 }],
  warnings: [], not_better_than_baseline: true, baseline_statement: STATEMENT,
};
const VS55_LIKE = {
  ...IN_DOMAIN, value: null, lower: null, upper: null, in_domain: false, domain_score: 7608.99,
  reason: "outside applicability domain",
  nearest: [{ row_id: "lit:236", distance: 7607.5, group: "doi:10.1021/acsbiomaterials.6b00150", measured: 83.4 }],
};

test("a model not better than its baselines says so in a sentence, as a warning", () => {
  const v = baselineVerdict({ not_better_than_baseline: true, baseline_statement: STATEMENT });
  assert.equal(v.state, "not_better");
  assert.equal(v.className, "warning");
  assert.equal(v.sentence, STATEMENT);
  assert.equal(baselineVerdict({ not_better_than_baseline: false, baseline_statement: "ok" }).className, "note");
  const unknown = baselineVerdict({ not_better_than_baseline: null });
  assert.equal(unknown.state, "unknown");
  assert.match(unknown.sentence, /not shown to predict better than the mean of the training data/);
});

test("an override is shown with its reason", () => {
  assert.equal(overrideSentence({ promotion_override: null }), "");
  assert.equal(
    overrideSentence({ promotion_override: { forced: true, reason: "only model", at: "2026-12-06T02:00:00+00:00" } }),
    "Made active by override on 2026-12-06: “only model”.",
  );
});

test("outside the applicability domain there is no number, only the reason and the distance", () => {
  const s = predictionState(VS55_LIKE);
  assert.equal(s.kind, "no_value");
  assert.equal(s.className, "warning");
  assert.equal(s.headline, "No prediction: outside applicability domain");
  assert.match(s.detail, /7608\.990 against the threshold 1\.500/);
  assert.ok(!/\d+\.\d %/.test(s.headline + s.detail), "no percentage value is shown");
  assert.deepEqual(s.nearest[0], { rowId: "lit:236", distance: "7607.500", group: "doi:10.1021/acsbiomaterials.6b00150", measured: "83.4 %" });
});

test("a value from a model not better than baseline is a warning, not a success", () => {
  const s = predictionState(IN_DOMAIN);
  assert.equal(s.kind, "value");
  assert.equal(s.headline, "Viability: 71.1 %");
  assert.equal(s.interval, "7.6 – 98.7 % (90 % CV+ interval)");
  assert.equal(s.className, "warning");
  assert.equal(s.baseline, STATEMENT);
  assert.equal(s.transform, "Fitted on logit(p/100), ε = 0.5 %.");
  const good = predictionState({ ...IN_DOMAIN, not_better_than_baseline: false });
  assert.equal(good.className, "success");
  assert.equal(good.baseline, "");
});

test("an extrapolation asked for is labelled as such and stays a warning", () => {
  const s = predictionState({ ...VS55_LIKE, value: 100, lower: 100, upper: 100, reason: null, extrapolated: true, not_better_than_baseline: false });
  assert.equal(s.kind, "extrapolated");
  assert.equal(s.className, "warning");
  assert.match(s.headline, /^Extrapolation only: Viability 100\.0 %$/);
});
