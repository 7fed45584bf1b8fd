// The phase diagram's glass layers (issue 13, item 5): Tg drawn solid only where the
// homogeneous glass is observed, Tg′ with its published spread, and the reasons for what is
// missing (Th, Td, critical rates).
import { test } from "node:test";
import assert from "node:assert/strict";

import { glassLayerNotes, phaseDiagramFigure } from "../../src/cryoprotect/web/static/js/mixtures_properties_lib.js";

const diagram = {
  solute: "Glycerol",
  mass_percent: [0, 40, 60, 80],
  melting_point_c: [0, -15, null, null],
  melting_point_within_range: [true, true, false, false],
  melting_point_upper_bound_c: [null, null, -30, -30],
  melting_point_reason: [null, null, "outside", "outside"],
  tg_c: [-137, -130, -115, -100],
  tg_applies: ["freeze_concentrated", "freeze_concentrated", "homogeneous", "homogeneous"],
  homogeneous_glass_min_percent: 55,
  homogeneous_glass_min_source: "Inaba & Andersson 2007",
  tg_prime: {
    value_k: 167, low_k: 164, high_k: 170, wg_prime_mass_fraction: 0.76, method: "mean of 2 published Tg′ values",
    published: [{ tg_prime_k: 164, source: "Inaba" }, { tg_prime_k: 170, source: "Zhao" }],
  },
  tg_prime_reason: null,
  nucleation_points: [],
  nucleation_reason: "unknown, because no published homogeneous nucleation temperatures of Glycerol solutions are recorded",
  devitrification_reason: "unknown, because no published devitrification temperatures (Td) of Glycerol solutions are recorded",
  critical_rates: { sources: [], reason: "unknown, because no published critical cooling rate of Glycerol solutions is recorded" },
  phase_boundaries: [],
  measured_melting_points: [],
};

test("Tg is solid only where the homogeneous glass is observed", () => {
  const { traces } = phaseDiagramFigure(diagram);
  const solid = traces.find((t) => t.name.startsWith("Tg, homogeneous glass"));
  assert.deepEqual(solid.y, [null, null, -115, -100]);
  const dotted = traces.find((t) => t.name.startsWith("Tg if no ice formed"));
  assert.deepEqual(dotted.y, [-137, -130, null, null]);
  assert.equal(dotted.line.dash, "dot");
});

test("Tg′ is drawn up to the ice-free concentration with its published spread", () => {
  const { traces } = phaseDiagramFigure(diagram);
  const tgp = traces.find((t) => t.name.startsWith("Tg′"));
  assert.deepEqual(tgp.x, [0, 55]);
  assert.ok(Math.abs(tgp.y[0] - (167 - 273.15)) < 1e-9);
  assert.deepEqual(tgp.error_y.array, [3, 3]);
  assert.deepEqual(tgp.error_y.arrayminus, [3, 3]);
  assert.match(tgp.name, /164.*170/);
});

test("the notes give Tg′ with its sources and say why Th, Td and the rates are missing", () => {
  const notes = glassLayerNotes(diagram).join("\n");
  assert.match(notes, /Tg′ = -106\.[12] °C/);
  assert.match(notes, /Inaba/);
  assert.match(notes, /Zhao/);
  assert.match(notes, /Th: unknown, because/);
  assert.match(notes, /Td: unknown, because/);
  assert.match(notes, /Critical cooling\/warming rates: unknown, because/);
});

test("without a published Tg′ the diagram draws none and the notes say why", () => {
  const none = { ...diagram, tg_prime: null, tg_prime_reason: "unknown, because no published Tg′ of DMSO solutions is recorded" };
  assert.equal(phaseDiagramFigure(none).traces.find((t) => t.name.startsWith("Tg′")), undefined);
  assert.match(glassLayerNotes(none).join("\n"), /Tg′: unknown, because/);
});
