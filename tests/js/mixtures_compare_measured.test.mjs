// Unit tests of the mixture comparison's "measured beside model" rows
// (static/js/mixtures_compare_lib.js measuredRows), run by `node --test tests/js/`. The entries
// are POST /api/v1/mixtures/compare's measured_vs_model for glycerol 20 % w/w (the CRC point
// and the model's answer as the API gave them, source shortened), plus a model that withholds
// its number (outside the validated range, with its bound) and a disagreement built from it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatMeasure, measuredRows } from "../../src/cryoprotect/web/static/js/mixtures_compare_lib.js";

const GLYCEROL_20 = {
  property: "melting_point",
  label: "Melting point (ice)",
  unit: "°C",
  relative_to: "the measured freezing-point depression",
  model: { value: -5.390708008081617, uncertainty: 0.1209, status: "within_range", reason: null, bound: null, method: "ice–solution equilibrium", provenance: "fitted" },
  measured: { value: -5.46, uncertainty: null, source: "CRC Handbook of Chemistry and Physics, 102nd ed. (2021)", provenance: "measured", kind: "literature", basis: "tabulated at 20 % w/w" },
  difference: 0.06929199191838276,
  relative_difference: 0.012690841010692813,
  bound_holds: null,
  disagrees: false,
  tolerance: 0.1209,
};

const WITHHELD = {
  ...GLYCEROL_20,
  model: {
    value: null,
    uncertainty: null,
    status: "outside_range",
    reason: "unknown, because 60 % w/w is beyond the coefficients' fitted range",
    bound: { relation: "at_or_below", value: -20, unit: "°C", text: "The melting point is at or below -20 °C (source)." },
  },
  difference: null,
  relative_difference: null,
  bound_holds: false,
  disagrees: true,
};

test("model beside measured: values by the precision policy, published digits kept, difference and verdict", () => {
  const [row] = measuredRows([{ name: "Glycerol 20 % w/w", version: 1, mixture_id: "m1", measured_vs_model: [GLYCEROL_20] }]);
  assert.equal(row.mixture, "Glycerol 20 % w/w v1");
  assert.equal(row.property, "Melting point (ice)");
  assert.equal(row.model.text, "-5.4 °C ± 0.1 °C");
  assert.equal(row.model.detail, "inside the validated range · fitted");
  assert.equal(row.measured.text, "-5.46 °C"); // as published (2 decimals), not the policy's 1
  assert.equal(row.measured.detail, "tabulated at 20 % w/w · literature");
  assert.match(row.measured.source, /^CRC Handbook/);
  assert.equal(row.difference, "+0.1 °C (+1.3 % of the measured freezing-point depression)");
  assert.equal(row.verdict, "agrees within the stated uncertainty ± 0.1 °C");
  assert.equal(row.disagrees, false);
});

test("a withheld model value is 'unknown, because …' with its bound, never a number", () => {
  const [row] = measuredRows([{ name: "G60", version: 2, mixture_id: "m2", measured_vs_model: [WITHHELD] }]);
  assert.equal(row.model.text, "unknown, because 60 % w/w is beyond the coefficients' fitted range");
  assert.equal(row.model.detail, "The melting point is at or below -20 °C (source).");
  assert.equal(row.model.known, false);
  assert.equal(row.difference, "—");
  assert.equal(row.verdict, "the measurement breaks the model's bound");
  assert.equal(row.disagrees, true);
});

test("disagreement beyond the uncertainty, no verdict without one, and measured uncertainty shown", () => {
  const far = { ...GLYCEROL_20, difference: 0.9, relative_difference: 0.165, disagrees: true, measured: { ...GLYCEROL_20.measured, uncertainty: 0.05, basis: "interpolated linearly between the tabulated points at 18 and 20 % w/w", value: -5.0725 } };
  const [a, b] = measuredRows([{ name: "X", mixture_id: "x", measured_vs_model: [far, { ...GLYCEROL_20, disagrees: null, tolerance: null }] }]);
  assert.equal(a.verdict, "disagrees: beyond the stated uncertainty ± 0.1 °C");
  assert.equal(a.measured.text, "-5.1 °C ± 0.1 °C"); // interpolated: the policy's precision
  assert.equal(a.disagrees, true);
  assert.equal(b.verdict, "not judged: no uncertainty stated");
  assert.deepEqual(measuredRows([{ name: "Y", measurements: [] }]), []);
});

test("units map to their quantities", () => {
  assert.equal(formatMeasure(164, "K"), "164.0 K");
  assert.equal(formatMeasure(40, "degC/min"), "40.0 °C/min");
  assert.equal(formatMeasure(1.2345, "g/mL"), "1.23 g/mL");
});
