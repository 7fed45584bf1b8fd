// Unit tests of the protocol comparison page's pure helpers (static/js/protocols_compare_lib.js),
// run by `node --test tests/js/`. The two protocols are trimmed copies of POST
// /api/v1/protocols/compare answers (rhesus MII oocyte, DMSO 1.4 mol/L at 22 °C, designed with
// at most 2 and 3 steps: chart series cut to four points, long texts shortened); the second
// one's limits and carrier are changed to exercise the "differs" and per-protocol bands.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  carrierText,
  COMPARE_COLORS,
  compareUrl,
  concentrationOverlay,
  conditionsRows,
  overlayLayout,
  parseIds,
  stepTables,
  volumeOverlay,
} from "../../src/cryoprotect/web/static/js/protocols_compare_lib.js";

const ID_A = "0b7c5a6e-1f2d-4c3b-9a8e-7d6f5e4c3b2a";
const ID_B = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";

function protocol(id, name, { limits = { min_volume_fraction: 0.6, max_volume_fraction: 1.4 }, minCarrier = 1.0, cost = 508.32 } = {}) {
  const steps = [
    { phase: "addition", index: 1, solutes: { "Dimethyl sulfoxide": 0.75, "Sodium chloride": 0.16 }, duration_s: 300, start_s: 0, end_s: 300, temperature_c: 22 },
    { phase: "addition", index: 2, solutes: { "Dimethyl sulfoxide": 1.557, "Sodium chloride": 0.16 }, duration_s: 280, start_s: 300, end_s: 580, temperature_c: 22 },
    { phase: "removal", index: 1, solutes: { Sucrose: 0.5, "Sodium chloride": 0.16 }, duration_s: 303, start_s: 580, end_s: 883, temperature_c: 22 },
  ];
  return {
    id,
    name,
    temperature_c: 22,
    toxicity_cost: cost,
    steps,
    summary: { total_duration_s: 883.17, within_limits: true, toxicity: { total: cost, unit: "(mol/kg)^1.6·s" } },
    design: {
      cell_type_name: "Rhesus monkey MII oocyte",
      target: { "Dimethyl sulfoxide": 1.5573 },
      limits,
      settings: {
        addition_temperature_c: 22,
        removal_temperature_c: 22,
        min_carrier_fraction: minCarrier,
        carrier: { "Sodium chloride": 0.15987 },
        osmotic_buffer: "Sucrose",
      },
      protocols: {
        designed: {
          steps,
          limits,
          toxicity: { total: cost, unit: "(mol/kg)^1.6·s" },
          total_duration_s: 883.17,
          within_limits: true,
          chart: {
            time_s: [0, 60, 300, 883.17],
            volume_fraction: [1.0, 0.71, 1.02, 1.0],
            intracellular_molality: { "Dimethyl sulfoxide": [0, 0.2, 0.71, 0.01] },
            limits,
          },
        },
      },
    },
  };
}

const A = protocol(ID_A, "DMSO, 2 steps");
const B = protocol(ID_B, "DMSO, 3 steps", { limits: { min_volume_fraction: 0.5, max_volume_fraction: 1.5 }, minCarrier: 0.5, cost: 431.9 });

test("ids come from ?ids= as distinct UUIDs, and the address round-trips", () => {
  assert.deepEqual(parseIds(`?ids=${ID_A},nope,${ID_B},${ID_A}`), [ID_A, ID_B]);
  assert.deepEqual(parseIds(""), []);
  assert.deepEqual(parseIds(new URL(`http://x${compareUrl([ID_A, ID_B])}`).search), [ID_A, ID_B]);
});

test("the conditions table has one value per protocol and marks rows that differ", () => {
  const rows = Object.fromEntries(conditionsRows([A, B]).map((r) => [r.label, r]));
  assert.deepEqual(rows["Cell type"].values, ["Rhesus monkey MII oocyte", "Rhesus monkey MII oocyte"]);
  assert.equal(rows["Cell type"].differs, false);
  assert.deepEqual(rows["Temperature"].values, ["22.0 °C", "22.0 °C"]);
  assert.deepEqual(rows["CPA(s)"].values, ["Dimethyl sulfoxide", "Dimethyl sulfoxide"]);
  assert.equal(rows["Target (intracellular)"].values[0], "Dimethyl sulfoxide 1.56 mol/kg");
  assert.deepEqual(rows["Osmotic tolerance limits"].values, ["0.600 – 1.400 × V_iso", "0.500 – 1.500 × V_iso"]);
  assert.equal(rows["Osmotic tolerance limits"].differs, true);
  assert.deepEqual(rows["Total time"].values, ["14 min 43 s", "14 min 43 s"]);
  assert.deepEqual(rows["Toxicity cost J"].values, ["508.3 (mol/kg)^1.6·s", "431.9 (mol/kg)^1.6·s"]);
  assert.equal(rows["Toxicity cost J"].differs, true);
  assert.deepEqual(rows["Number of steps"].values, ["3 (2 addition + 1 removal)", "3 (2 addition + 1 removal)"]);
  assert.equal(rows["Carrier"].differs, true);
});

test("the carrier reads as the conventional default or as reduced", () => {
  assert.equal(carrierText(A), "kept at full strength in every step (conventional) (Sodium chloride 0.160 mol/kg)");
  assert.equal(carrierText(B), "reduced to no less than 50.0 % of isotonic (Sodium chloride 0.160 mol/kg)");
  assert.equal(carrierText({ design: {} }), "—");
});

test("each protocol gets its step table from protocols_lib", () => {
  const [ta] = stepTables([A, B]);
  assert.equal(ta.name, "DMSO, 2 steps");
  assert.deepEqual(ta.headers.slice(0, 3), ["Phase", "Step", "Dimethyl sulfoxide (mol/kg)"]);
  assert.equal(ta.rows.length, 3);
  assert.equal(ta.rows[2][0], "Removal");
});

test("volume curves: one trace per protocol on minutes, limits as bands", () => {
  const same = volumeOverlay([A, protocol(ID_B, "copy")]);
  assert.equal(same.traces.length, 2);
  assert.deepEqual(same.traces[0].x, [0, 1, 5, 883.17 / 60]);
  assert.deepEqual(same.traces[1].y, [1.0, 0.71, 1.02, 1.0]);
  assert.equal(same.sharedLimits, true);
  const bands = same.shapes.filter((s) => s.type === "rect");
  assert.equal(bands.length, 1); // shared limits: one band
  assert.deepEqual([bands[0].y0, bands[0].y1], [0.6, 1.4]);
  const differ = volumeOverlay([A, B]);
  assert.equal(differ.sharedLimits, false);
  const rects = differ.shapes.filter((s) => s.type === "rect");
  assert.deepEqual(rects.map((r) => [r.y0, r.y1, r.fillcolor]), [[0.6, 1.4, COMPARE_COLORS[0]], [0.5, 1.5, COMPARE_COLORS[1]]]);
  assert.deepEqual(differ.traces.map((t) => t.line.color), COMPARE_COLORS.slice(0, 2));
  assert.deepEqual(differ.traces.map((t) => t.name), ["DMSO, 2 steps", "DMSO, 3 steps"]);
});

test("concentration curves: one trace per protocol and CPA, same axes, legend on", () => {
  const traces = concentrationOverlay([A, B]);
  assert.deepEqual(traces.map((t) => t.name), ["DMSO, 2 steps", "DMSO, 3 steps"]);
  assert.deepEqual(traces[0].y, [0, 0.2, 0.71, 0.01]);
  const two = structuredClone(A);
  two.design.target.Glycerol = 1.0;
  two.design.protocols.designed.chart.intracellular_molality.Glycerol = [0, 0.1, 0.5, 0];
  assert.deepEqual(concentrationOverlay([two]).map((t) => t.name), ["DMSO, 2 steps · Dimethyl sulfoxide", "DMSO, 2 steps · Glycerol"]);
  const layout = overlayLayout("Intracellular CPA (mol/kg)");
  assert.equal(layout.showlegend, true);
  assert.equal(layout.xaxis.title.text, "Time (min)");
});
