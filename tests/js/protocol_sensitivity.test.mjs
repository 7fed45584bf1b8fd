// Unit tests of sensitivityRows (static/js/protocols_lib.js): the sensitivity band of a
// protocol design. BAND is a trimmed copy of the ``sensitivity`` of a real POST
// /api/v1/protocols/design answer (rhesus MII oocyte, DMSO 1.4 mol/L, 22 °C, two ranges kept).
import assert from "node:assert/strict";
import { test } from "node:test";

import { sensitivityRows } from "../../src/cryoprotect/web/static/js/protocols_lib.js";

const BAND = {
  status: "ok",
  reason: null,
  nominal: { min_volume_fraction: 0.8601, max_volume_fraction: 1.3956 },
  min_volume_fraction: [0.7961, 0.8851],
  max_volume_fraction: [1.3949, 1.5725],
  limits_respected_at_extremes: false,
  not_varied: [],
  parameter_ranges: [
    {
      name: "lp", parameter: "lp", solute: null, unit: "um/min/atm", low: 0.55, high: 1.01, shipped: 0.55,
      spread: true, sources: ["Karlsson JOM et al. Mol Reprod Dev 76:321-333 (2009)"], provenance: "fitted", verified: true,
      low_case: { value: 0.55, min_volume_fraction: 0.8601, max_volume_fraction: 1.3956, within_limits: true, error: null },
      high_case: { value: 1.01, min_volume_fraction: 0.7961, max_volume_fraction: 1.5725, within_limits: false, error: null },
    },
    {
      name: "inactive_volume_fraction", parameter: "inactive_volume_fraction", solute: null, unit: "1", low: 0.173, high: 0.221, shipped: 0.197,
      spread: true, sources: ["Karlsson 2009"], provenance: "fitted", verified: false,
      low_case: { value: 0.173, min_volume_fraction: 0.8498, max_volume_fraction: 1.4006, within_limits: false, error: null },
      high_case: { value: 0.221, min_volume_fraction: 0.8703, max_volume_fraction: 1.3949, within_limits: true, error: null },
    },
  ],
};

test("a band gives its envelope, a verdict and one row per parameter", () => {
  const out = sensitivityRows({ sensitivity: BAND });
  assert.match(out.summary, /between 0\.796 and 0\.885 × V_iso/);
  assert.match(out.summary, /between 1\.395 and 1\.573 × V_iso/);
  assert.match(out.summary, /NOT respected/);
  assert.equal(out.rows.length, 2);
  const [lp, vb] = out.rows;
  assert.equal(lp.range, "0.550–1.01 um/min/atm");
  assert.equal(lp.high, "0.796–1.573 × V_iso");
  assert.equal(lp.highHolds, "no");
  assert.equal(lp.lowHolds, "yes");
  assert.equal(vb.range, "0.173–0.221");
  assert.match(vb.provenance, /not all values checked/);
});

test("without a published range the band is unknown, never a number", () => {
  const out = sensitivityRows({
    sensitivity: {
      status: "no_published_range",
      reason: "unknown, because no published range is recorded for this cell type's parameters",
      min_volume_fraction: null,
      max_volume_fraction: null,
      limits_respected_at_extremes: null,
      parameter_ranges: [],
      not_varied: [],
    },
  });
  assert.equal(out.rows.length, 0);
  assert.match(out.summary, /^Sensitivity band: unknown, because no published range/);
  assert.doesNotMatch(out.summary, /\d/);
});

test("a failed case shows unknown with its error", () => {
  const failing = structuredClone(BAND);
  failing.parameter_ranges[0].high_case = { value: 1.01, min_volume_fraction: null, max_volume_fraction: null, within_limits: null, error: "solver failed" };
  const out = sensitivityRows({ sensitivity: failing });
  assert.equal(out.rows[0].high, "unknown (solver failed)");
  assert.equal(out.rows[0].highHolds, "unknown");
});
