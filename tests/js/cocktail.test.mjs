// Unit tests of the cocktail design page's pure helpers (static/js/cocktail_lib.js), run by
// `node --test tests/js/`. RESULT is shaped like a design job's result (GET /api/v1/jobs/<id>
// of POST /api/v1/cocktails/design; generic mammalian cell, SYNTHETIC toxicity model, least
// total molality 3 mol/kg; chart series and steps trimmed, texts shortened).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bindingText,
  compositionRows,
  designErrorPath,
  designFacts,
  designRequest,
  infeasibleConstraint,
  jobErrorMessage,
  jobProgress,
  marginText,
  oneCpaRows,
  paretoChart,
  paretoRows,
  predictionText,
  protocolView,
  usableCandidates,
} from "../../src/cryoprotect/web/static/js/cocktail_lib.js";
import { stepTable, volumeTraces } from "../../src/cryoprotect/web/static/js/protocols_lib.js";

const vit = (margin) => ({ criterion: "min_total_molality", margin, unit: "mol/kg", met: true, reason: "total CPA molality against the user's minimum 3 mol/kg" });
const pred = (s, band) => ({ surviving_fraction: s, log_survival: Math.log(s), band, band_reason: band ? null : "no band: the model has no parameter uncertainty", n_draws: band ? 60 : 0 });
const STEPS = [
  { phase: "addition", index: 1, solutes: { "Sodium chloride": 0.0987 }, duration_s: 44.5, temperature_c: 22, start_s: 0, end_s: 44.5 },
  { phase: "addition", index: 2, solutes: { "Sodium chloride": 0.16, "Propylene glycol": 3.0 }, duration_s: 5, temperature_c: 22, start_s: 44.5, end_s: 49.5 },
  { phase: "removal", index: 1, solutes: { "Sodium chloride": 0.16, Sucrose: 0.5 }, duration_s: 60, temperature_c: 22, start_s: 49.5, end_s: 109.5 },
];
const BEST = {
  label: "designed",
  composition: { molality_mol_per_kg: { "Propylene glycol": 3.0 }, mass_percent: { "Propylene glycol": 18.445 }, total_molality_mol_per_kg: 3.0, total_mass_percent: 18.445 },
  vitrification: vit(0),
  prediction: pred(0.99834, { low: 0.99809, high: 0.99852, level: 0.9 }),
  binding_constraints: [{ constraint: "vitrification.min_total_molality", value: 0, limit: 0, note: "margin 0" }, { constraint: "max_steps", value: 2, limit: 2, note: "a phase uses every step allowed" }],
  steps: STEPS,
  protocol: { name: "designed", steps: STEPS, chart: { time_s: [0, 60, 120], volume_fraction: [1, 0.8, 1], intracellular_molality: { "Propylene glycol": [0, 2.5, 0] }, limits: { min_volume_fraction: 0.6, max_volume_fraction: 1.4 } } },
  total_duration_s: 109.5,
  feasible: true,
};
const LEVEL1 = { ...BEST, label: "pareto level 1", composition: { ...BEST.composition, molality_mol_per_kg: { Glycerol: 1.75, "Propylene glycol": 1.75 }, total_molality_mol_per_kg: 3.5 }, vitrification: vit(0.5), prediction: pred(0.997, null) };
const UNKNOWN = { ...BEST, label: "pareto level 2", vitrification: { ...vit(null), reason: "outside the critical-rate models" } };
const RESULT = {
  cell_name: "Generic mammalian cell",
  candidates: ["Glycerol", "Dimethyl sulfoxide", "Propylene glycol"],
  toxicity_model: { name: "synthetic", provenance: "fitted", verified: false },
  temperature_c: 22,
  vitrification: { min_total_molality_mol_per_kg: 3, cooling_rate_c_per_min: null },
  limits: { min_volume_fraction: 0.6, max_volume_fraction: 1.4 },
  best: BEST,
  steps: STEPS,
  pareto: [BEST, LEVEL1, UNKNOWN],
  settings: { composition_step: 0.5, proportions: 6, proportions_meeting_constraint: 6, protocol_designs: 2, pareto_levels: 2, max_steps: 2, removal_temperature_c: 22, carrier: { "Sodium chloride": 0.16 }, seconds: 1.84 },
  warnings: ["toxicity parameters from: synthetic"],
  one_cpa: [
    { cpa: "Glycerol", design: { ...BEST, composition: { ...BEST.composition, molality_mol_per_kg: { Glycerol: 3.0 } }, prediction: pred(0.99748, null) }, reason: null, ratio: 0.659 },
    { cpa: "Dimethyl sulfoxide", design: null, reason: "no protocol keeps the cell within its limits", ratio: null },
  ],
};

test("the candidates offered are those both the cell and the model know", () => {
  assert.deepEqual(usableCandidates(["Dimethyl sulfoxide", "Ethylene glycol", "glycerol"], ["Glycerol", "Dimethyl sulfoxide"]), ["Dimethyl sulfoxide", "glycerol"]);
  assert.deepEqual(usableCandidates([], ["Glycerol"]), []);
});

test("the request leaves blanks out, converts minutes and keeps non-numbers for the API to name", () => {
  const body = designRequest({
    candidates: ["Glycerol", " DMSO ", "", "", ""],
    cellType: "c1",
    toxicityModelId: "m1",
    temperatureC: "22",
    vitrification: { min_total_molality_mol_per_kg: "3", cooling_rate_c_per_min: "" },
    maxTotalTimeMin: "30",
    maxSteps: "2",
    compositionStep: "0.5",
    paretoLevels: "abc",
    minVolume: "",
    maxVolume: "1.5",
  });
  assert.deepEqual(body.candidates, ["Glycerol", "DMSO"]);
  assert.deepEqual(body.vitrification, { min_total_molality_mol_per_kg: 3 });
  assert.equal(body.max_total_time_s, 1800);
  assert.equal(body.pareto_levels, "abc");
  assert.deepEqual(body.osmotic_limits, { max_volume_fraction: 1.5 });
  assert.equal("removal_temperature_c" in body, false);
});

test("error paths and an infeasible job's constraint land on the form's fields", () => {
  assert.equal(designErrorPath("max_total_time_s"), "max_total_time_min");
  assert.equal(designErrorPath("min_volume_fraction"), "osmotic_limits.min_volume_fraction");
  assert.equal(designErrorPath("vitrification.min_total_molality"), "vitrification");
  assert.equal(designErrorPath("vitrification.cooling_rate_c_per_min"), "vitrification.cooling_rate_c_per_min");
  assert.equal(designErrorPath("candidates[1]"), "candidates[1]");
  const text = "422 infeasible_protocol: no protocol fits in 1 s (constraint: max_total_time_s; details: {'limit': 1.0})";
  assert.equal(infeasibleConstraint(text), "max_total_time_s");
  assert.equal(jobErrorMessage(text), "no protocol fits in 1 s");
  assert.equal(infeasibleConstraint("boom"), "");
});

test("job progress", () => {
  assert.deepEqual(jobProgress({ status: "running", progress: 0.35 }), { fraction: 0.35, text: "Designing… 35 % done", done: false, failed: false });
  assert.equal(jobProgress({ status: "done", progress: 1 }).done, true);
  const failed = jobProgress({ status: "failed", error: "422 infeasible_protocol: too slow (constraint: x)" });
  assert.equal(failed.failed, true);
  assert.equal(failed.text, "The design failed: too slow");
});

test("predictions show their band, or why there is none; unknown margins give the reason", () => {
  assert.equal(predictionText(BEST.prediction), "S = 0.9983 (90 % band 0.9981 – 0.9985)");
  assert.equal(predictionText(LEVEL1.prediction), "S = 0.9970 (no band: the model has no parameter uncertainty)");
  assert.match(predictionText(null), /^unknown/);
  assert.equal(marginText(LEVEL1.vitrification), "0.500 mol/kg");
  assert.equal(marginText(UNKNOWN.vitrification), "unknown: outside the critical-rate models");
});

test("the Pareto chart draws only points with known numbers, bands as error bars, the chosen one starred", () => {
  const chart = paretoChart(RESULT);
  assert.equal(chart.shown, 2);
  assert.deepEqual(chart.omitted, ["pareto level 2"]);
  const [front, chosen] = chart.traces;
  assert.deepEqual(front.x, [0, 0.5]);
  assert.deepEqual(front.y, [0.99834, 0.997]);
  assert.ok(Math.abs(front.error_y.array[0] - (0.99852 - 0.99834)) < 1e-12);
  assert.equal(front.error_y.array[1], 0);
  assert.equal(chosen.name, "Chosen design");
  assert.match(chart.layout.xaxis.title.text, /\(mol\/kg\)$/);
  const rows = paretoRows(RESULT);
  assert.equal(rows[0].chosen, true);
  assert.equal(rows[0].binding, "vitrification.min_total_molality; max_steps");
  assert.match(rows[2].margin, /^unknown/);
  assert.equal(bindingText([]), "none (no constraint is active)");
});

test("composition rows with the total; the protocol reuses the protocol pages' table and charts", () => {
  assert.deepEqual(compositionRows(BEST), [
    { cpa: "Propylene glycol", molality: "3.00 mol/kg", mass: "18.4 % w/w" },
    { cpa: "Total", molality: "3.00 mol/kg", mass: "18.4 % w/w" },
  ]);
  const view = protocolView(RESULT);
  assert.equal(view.settings.osmotic_buffer, "Sucrose");
  const { headers } = stepTable(BEST.steps, view.settings);
  assert.deepEqual(headers.slice(2, 5), ["Propylene glycol (mol/kg)", "Sucrose (buffer) (mol/kg)", "Sodium chloride (carrier) (mol/kg)"]);
  const traces = volumeTraces(view, ["designed"]);
  assert.deepEqual(traces[0].x, [0, 1, 2]);
  assert.equal(traces.length, 3); // the volume and the two limits
});

test("each candidate alone: the API's ratio, or the reason it could not be designed", () => {
  const singles = oneCpaRows(RESULT);
  assert.equal(singles.available, true);
  assert.equal(singles.rows[0].ratio, "0.659");
  assert.equal(singles.rows[0].sameMargin, true);
  assert.equal(singles.rows[1].prediction, "unknown: no protocol keeps the cell within its limits");
  assert.equal(singles.rows[1].ratio, "—");
  assert.deepEqual(oneCpaRows({ best: BEST }), { available: false, rows: [] });
  const facts = Object.fromEntries(designFacts(RESULT, {}));
  assert.equal(facts["Vitrification target"], "Least total CPA molality 3.00 mol/kg");
  assert.equal(facts["Designer time"], "1.8 s");
});
