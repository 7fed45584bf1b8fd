// Unit tests of the recipe texts (recipe_ui.js): timer, amounts, carrier and rounding sentences.
import assert from "node:assert/strict";
import { test } from "node:test";

import { amountText, carrierText, recipeUrl, roundingOutside, roundingText, sheetUrl, timerText } from "../../src/cryoprotect/web/static/js/recipe_ui.js";

test("timerText reads like a bench timer", () => {
  assert.equal(timerText(5), "5 s");
  assert.equal(timerText(165), "2 min 45 s");
  assert.equal(timerText(4740), "79 min");
});

test("amountText: liquids by volume with their mass, solids weighed", () => {
  assert.equal(amountText({ measure: "volume", volume_ml: 1.0, mass_g: 1.1004 }), "1.00 mL (1.10 g)");
  assert.equal(amountText({ measure: "mass", volume_ml: null, mass_g: 0.16057 }), "0.161 g (weigh)");
});

test("carrierText gives both costs for a salt-reduced design", () => {
  assert.match(carrierText({ salt_reduced: false }), /^Conventional design/);
  const text = carrierText({
    salt_reduced: true,
    min_carrier_fraction: 0,
    comparison: { toxicity_unit: "u", salt_reduced: { toxicity_cost: 212.7 }, conventional: { toxicity_cost: 517.6 }, difference: -304.9, ratio: 0.411 },
  });
  assert.match(text, /212\.7 u vs 517\.6 u for the conventional design/);
  assert.match(text, /-304\.9 u, ×0\.41/);
  assert.match(carrierText({ salt_reduced: true, min_carrier_fraction: 0, comparison: { conventional: null, reason: "conventional design infeasible: x" } }), /infeasible: x/);
});

test("roundingText says when the rounded holds leave the limits", () => {
  const effect = {
    status: "computed",
    designed: { toxicity_cost: 100, toxicity_unit: "u", total_duration_s: 600 },
    rounded: { toxicity_cost: 105, total_duration_s: 615, min_volume_fraction: 0.8, max_volume_fraction: 1.41, within_limits: false, violations: ["volume rose to 1.41"] },
    toxicity_change: 0.05,
  };
  assert.equal(roundingOutside(effect), true);
  assert.match(roundingText(effect), /lasts 10 min 15 s \(designed 10 min\); toxicity cost 105\.0 u \(designed 100\.0 u, 5\.0 %\).*OUTSIDE the limits: volume rose to 1\.41\./);
  assert.match(roundingText({ status: "unknown", reason: "deleted" }), /unknown \(deleted\)/);
});

test("recipe and sheet addresses carry the volume and carrier stock", () => {
  assert.equal(recipeUrl("p1", { volume: 10, carrierStrength: 10 }), "/api/v1/protocols/p1/recipe?volume_ml=10&carrier_strength=10");
  assert.equal(sheetUrl("p1", { volume: 25 }), "/protocols/p1/recipe?volume_ml=25");
});
