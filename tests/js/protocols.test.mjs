// Unit tests of the protocol pages' and model forms' pure helpers (static/js/protocols_lib.js),
// run by `node --test tests/js/`. DESIGN is a trimmed copy of a real POST
// /api/v1/protocols/design answer (rhesus MII oocyte, DMSO 1.4 mol/L, 22 °C: chart series cut
// to five points, equal-step steps to two, long texts shortened); RHESUS of GET
// /api/v1/cell-types?q=rhesus (one permeability kept); the prediction and model of POST
// /api/v1/predictive-models/<id>/predict and GET /api/v1/predictive-models/<id> for a ridge
// model on the shipped CryoMN data (DMSO 10 % v/v).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  cellLimits,
  cellOptionLabel,
  cellParameterRows,
  compareRows,
  comparisonRows,
  concentrationTraces,
  costBars,
  designErrorPath,
  designRequest,
  designSummary,
  estimatedNote,
  formFromRequest,
  infeasibleErrors,
  parseCompareIds,
  permeatingSolutes,
  PROTOCOL_KEYS,
  provenancePairs,
  savedProtocolRow,
  stepSolutes,
  stepTable,
  targetText,
  volumeTraces,
} from "../../src/cryoprotect/web/static/js/protocols_lib.js";
import { COMPOSITION_UNITS } from "../../src/cryoprotect/web/static/js/format.js";
import {
  algorithmOptions,
  nearestRows,
  predictErrorPath,
  predictionView,
  predictRequest,
  targetOptions,
  targetUnit,
  trainFieldErrors,
  trainingComponents,
  trainingProgress,
  trainRequest,
} from "../../src/cryoprotect/web/static/js/models_lib.js";
import { mapErrorPaths } from "../../src/cryoprotect/web/static/js/api.js";
import { defaultScope, scopePayload } from "../../src/cryoprotect/web/static/js/scope_lib.js";

const DESIGN = {
  cell_name: "Rhesus monkey MII oocyte",
  target: {"Dimethyl sulfoxide": 1.5573},
  temperature_c: 22.0,
  limits: {"min_volume_fraction": 0.6, "max_volume_fraction": 1.4},
  method: "toxicity-cost minimisation (Benson, Kearsley & Higgins 2012 ",
  settings: {"max_steps": 4, "equilibration": 0.95, "allow_osmotic_buffer": true, "addition_temperature_c": 22.0, "removal_temperature_c": 22.0, "carrier": {"Sodium chloride": 0.1599}, "osmotic_buffer": "Sucrose", "design_margin": 0.002},
  comparison: [
    {"name": "designed", "toxicity_cost": 190.6918, "toxicity_unit": "(mol/kg)^1.6·s", "relative_to_one_step": 0.3508, "min_volume_fraction": 0.86, "max_volume_fraction": 1.3957, "within_limits": true, "total_duration_s": 673.6311, "steps": 7},
    {"name": "one_step", "toxicity_cost": 543.559, "toxicity_unit": "(mol/kg)^1.6·s", "relative_to_one_step": 1.0, "min_volume_fraction": 0.5804, "max_volume_fraction": 1.4223, "within_limits": false, "total_duration_s": 528.0, "steps": 2},
    {"name": "equal_steps", "toxicity_cost": 1877.5753, "toxicity_unit": "(mol/kg)^1.6·s", "relative_to_one_step": 3.4542, "min_volume_fraction": 0.8218, "max_volume_fraction": 1.4539, "within_limits": false, "total_duration_s": 2344.0, "steps": 8},
  ],
  protocols: {
    designed: {
      steps: [
        {"phase": "addition", "index": 1, "solutes": {"Sodium chloride": 0.0034, "Dimethyl sulfoxide": 0.1586}, "duration_s": 151.3537, "temperature_c": 22.0, "label": "addition 1", "start_s": 0.0, "end_s": 151.3537},
        {"phase": "addition", "index": 2, "solutes": {"Sodium chloride": 0.0071, "Dimethyl sulfoxide": 0.2981}, "duration_s": 99.2813, "temperature_c": 22.0, "label": "addition 2", "start_s": 151.3537, "end_s": 250.635},
        {"phase": "addition", "index": 3, "solutes": {"Sodium chloride": 0.0126, "Dimethyl sulfoxide": 0.4824}, "duration_s": 99.3016, "temperature_c": 22.0, "label": "addition 3", "start_s": 250.635, "end_s": 349.9366},
        {"phase": "addition", "index": 4, "solutes": {"Sodium chloride": 0.1599, "Dimethyl sulfoxide": 1.5573}, "duration_s": 94, "temperature_c": 22.0, "label": "addition 4", "start_s": 349.9366, "end_s": 443.9366},
        {"phase": "removal", "index": 1, "solutes": {"Sodium chloride": 0.1599, "Sucrose": 0.002}, "duration_s": 56.5581, "temperature_c": 22.0, "label": "removal 1", "start_s": 443.9366, "end_s": 500.4947},
        {"phase": "removal", "index": 2, "solutes": {"Sodium chloride": 0.1599, "Sucrose": 0.1085}, "duration_s": 97.1364, "temperature_c": 22.0, "label": "removal 2", "start_s": 500.4947, "end_s": 597.6311},
        {"phase": "removal", "index": 3, "solutes": {"Sodium chloride": 0.1599}, "duration_s": 76, "temperature_c": 22.0, "label": "removal 3", "start_s": 597.6311, "end_s": 673.6311},
      ],
      chart: {"time_s": [0.0, 227.1866, 400.007, 524.4127, 673.6311], "volume_fraction": [1.0, 1.3531, 0.9019, 1.3686, 1.3926], "intracellular_molality": {"Dimethyl sulfoxide": [0.0, 0.2046, 1.2686, 0.3126, 0.0775]}, "limits": {"min_volume_fraction": 0.6, "max_volume_fraction": 1.4}, "method": "two-parameter membrane transport (Kleinhans, Cryobiology 37:271-289, 1998), molal solute flux; osmolality by the multisolute osmotic virial equation; Arrhenius Lp(T), Ps(T); scipy solve_ivp LSODA, rtol 1e-8, atol 1e-10 x isotonic volume", "warnings": ["Dimethyl sulfoxide: coefficients from osmotic_virial.csv could not be checked against their source"]},
      violations: [],
      toxicity: {"total": 190.6918, "unit": "(mol/kg)^1.6·s", "method": "cumulative toxicity cost J = sum over CP", "exponent": {"Dimethyl sulfoxide": 1.6}, "sources": {"Dimethyl sulfoxide": "Benson JD, Kearsley AJ, Higgins AZ. Math"}},
    },
    one_step: {
      steps: [
        {"phase": "addition", "index": 1, "solutes": {"Sodium chloride": 0.1599, "Dimethyl sulfoxide": 1.5573}, "duration_s": 313.0, "temperature_c": 22.0, "label": "addition 1", "start_s": 0.0, "end_s": 313.0},
        {"phase": "removal", "index": 1, "solutes": {"Sodium chloride": 0.1599}, "duration_s": 215.0, "temperature_c": 22.0, "label": "removal 1", "start_s": 313.0, "end_s": 528.0},
      ],
      chart: {"time_s": [0.0, 155.7136, 313.0, 421.0402, 528.0], "volume_fraction": [1.0, 0.7002, 0.8103, 1.3822, 1.4178], "intracellular_molality": {"Dimethyl sulfoxide": [0.0, 1.4252, 1.4796, 0.2085, 0.0775]}, "limits": {"min_volume_fraction": 0.6, "max_volume_fraction": 1.4}, "method": "two-parameter membrane transport (Kleinhans, Cryobiology 37:271-289, 1998), molal solute flux; osmolality by the multisolute osmotic virial equation; Arrhenius Lp(T), Ps(T); scipy solve_ivp LSODA, rtol 1e-8, atol 1e-10 x isotonic volume", "warnings": ["Dimethyl sulfoxide: coefficients from osmotic_virial.csv could not be checked against their source"]},
      violations: ["volume fell to 0.580 × isotonic in step 1 (addition 1) at t = 45 s, 0.020 below the lower limit 0.600", "volume rose to 1.422 × isotonic in step 2 (removal 1) at t = 496 s, 0.022 above the upper limit 1.400"],
      toxicity: {"total": 543.559, "unit": "(mol/kg)^1.6·s", "method": "cumulative toxicity cost J = sum over CP", "exponent": {"Dimethyl sulfoxide": 1.6}, "sources": {"Dimethyl sulfoxide": "Benson JD, Kearsley AJ, Higgins AZ. Math"}},
    },
    equal_steps: {
      steps: [
        {"phase": "addition", "index": 1, "solutes": {"Sodium chloride": 0.1599, "Dimethyl sulfoxide": 0.3893}, "duration_s": 323.0, "temperature_c": 22.0, "label": "addition 1", "start_s": 0.0, "end_s": 323.0},
        {"phase": "addition", "index": 2, "solutes": {"Sodium chloride": 0.1599, "Dimethyl sulfoxide": 0.7787}, "duration_s": 323.0, "temperature_c": 22.0, "label": "addition 2", "start_s": 323.0, "end_s": 646.0},
      ],
      chart: {"time_s": [0.0, 646.0, 1292.0, 1819.3216, 2344.0], "volume_fraction": [1.0, 0.9205, 0.9344, 1.1762, 1.3971], "intracellular_molality": {"Dimethyl sulfoxide": [0.0, 0.7553, 1.5219, 0.7861, 0.0356]}, "limits": {"min_volume_fraction": 0.6, "max_volume_fraction": 1.4}, "method": "two-parameter membrane transport (Kleinhans, Cryobiology 37:271-289, 1998), molal solute flux; osmolality by the multisolute osmotic virial equation; Arrhenius Lp(T), Ps(T); scipy solve_ivp LSODA, rtol 1e-8, atol 1e-10 x isotonic volume", "warnings": ["Dimethyl sulfoxide: coefficients from osmotic_virial.csv could not be checked against their source"]},
      violations: ["volume rose to 1.454 × isotonic in step 8 (removal 4) at t = 2213 s, 0.054 above the upper limit 1.400"],
      toxicity: {"total": 1877.5753, "unit": "(mol/kg)^1.6·s", "method": "cumulative toxicity cost J = sum over CP", "exponent": {"Dimethyl sulfoxide": 1.6}, "sources": {"Dimethyl sulfoxide": "Benson JD, Kearsley AJ, Higgins AZ. Math"}},
    },
  },
};

const RHESUS = {
  id: "8c8af328-0034-4d0c-a02f-ed95c8ef2781",
  name: "Rhesus monkey MII oocyte",
  species: "Macaca mulatta",
  parameters: {
    key: "rhesus_mii_oocyte",
    name: "Rhesus monkey MII oocyte",
    lp_um_per_min_atm: 0.55,
    lp_activation_energy_kj_per_mol: 35.4,
    reference_temperature_c: 23.5,
    inactive_volume_fraction: 0.197,
    isotonic_volume_um3: 696910.0,
    surface_area_um2: 38013.0,
    isotonic_osmolality_osmol_per_kg: 0.29,
    min_volume_fraction: 0.6,
    max_volume_fraction: 1.4,
    provenance: {
      surface_area_um2: "estimated",
      lp_um_per_min_atm: "fitted",
      isotonic_volume_um3: "estimated",
      max_volume_fraction: "estimated",
      min_volume_fraction: "estimated",
      reference_temperature_c: "measured",
      inactive_volume_fraction: "fitted",
      lp_activation_energy_kj_per_mol: "estimated",
      isotonic_osmolality_osmol_per_kg: "estimated",
    },
    verified: { lp_um_per_min_atm: true, inactive_volume_fraction: true, min_volume_fraction: false },
    sources: { lp_um_per_min_atm: "Karlsson JOM, Younis AI, Chan AWS, Gould KG, Erogl" },
    permeabilities: [
      {
        solute: "Dimethyl sulfoxide",
        ps_um_per_s: 0.24,
        activation_energy_kj_per_mol: 97.1,
        reference_temperature_c: 23.5,
        provenance: { ps_um_per_s: "fitted", reference_temperature_c: "fitted", activation_energy_kj_per_mol: "estimated" },
        verified: { ps_um_per_s: true, activation_energy_kj_per_mol: true },
        sources: { ps_um_per_s: "Karlsson JOM, Younis AI, Chan AWS, Gould KG, Erogl" },
      },
    ],
  },
};

const NO_PERMEABILITY = { id: "x", name: "Human red blood cell", species: "Homo sapiens", parameters: { key: "human_rbc", permeabilities: [] } };

test("a cell type lists its permeating CPAs and flags its estimated parameters", () => {
  assert.deepEqual(permeatingSolutes(RHESUS), ["Dimethyl sulfoxide"]);
  assert.deepEqual(permeatingSolutes(NO_PERMEABILITY), []);
  assert.equal(cellOptionLabel(RHESUS), "Rhesus monkey MII oocyte (Macaca mulatta) — Dimethyl sulfoxide");
  assert.match(cellOptionLabel(NO_PERMEABILITY), /no CPA permeability recorded/);
  const rows = cellParameterRows(RHESUS);
  assert.equal(rows.length, 9 + 2); // nine cell fields, Ps and its activation energy per CPA
  const lp = rows.find((r) => r.key === "lp_um_per_min_atm");
  assert.equal(lp.value, "0.55 µm/min/atm");
  assert.equal(lp.provenance, "fitted");
  assert.equal(lp.verified, true);
  assert.match(lp.source, /^Karlsson/);
  const volume = rows.find((r) => r.key === "isotonic_volume_um3");
  assert.equal(volume.value, "696910 µm³");
  assert.equal(volume.estimated, true);
  const ps = rows.find((r) => r.key === "ps:Dimethyl sulfoxide");
  assert.equal(ps.value, "0.24 µm/s");
  assert.equal(ps.label, "CPA permeability Ps (Dimethyl sulfoxide)");
  assert.equal(rows.find((r) => r.key === "ea:Dimethyl sulfoxide").estimated, true);
  assert.equal(estimatedNote(rows), "7 of 11 values are estimated, not measured: treat the design as indicative.");
  assert.match(estimatedNote([{ estimated: false }]), /No value/);
  assert.deepEqual(cellLimits(RHESUS), { min: 0.6, max: 1.4 });
  assert.deepEqual(cellLimits(NO_PERMEABILITY), { min: null, max: null });
});

test("the design request carries only what the form says, in the API's field names", () => {
  const body = designRequest({
    cellType: RHESUS.id,
    components: [
      { name: " Dimethyl sulfoxide ", amount: "1.4", unit: "mol/L" },
      { name: "", amount: "", unit: "mol/L" }, // an untouched extra row is dropped
    ],
    temperatureC: "22",
    removalTemperatureC: "",
    minVolume: "0.7",
    maxVolume: "",
    maxSteps: "3",
    allowBuffer: false,
  });
  assert.deepEqual(body, {
    cell_type: RHESUS.id,
    target: { components: [{ name: "Dimethyl sulfoxide", amount: 1.4, unit: "mol/L" }] },
    temperature_c: 22,
    osmotic_limits: { min_volume_fraction: 0.7 },
    max_steps: 3,
    allow_osmotic_buffer: false,
  });
  const fromMixture = designRequest({ cellType: "rhesus_mii_oocyte", mixtureId: "m-1", components: [{ name: "x", amount: 1, unit: "mol/L" }], temperatureC: 4 });
  assert.deepEqual(fromMixture.target, { mixture_id: "m-1" });
  assert.equal(fromMixture.osmotic_limits, undefined);
  // A missing temperature is left out (the API names the field); text that is not a number
  // is passed on so the API's message lands next to the field.
  const bad = designRequest({ cellType: "c", components: [{ name: "DMSO", amount: "lots", unit: "mol/L" }], temperatureC: "" });
  assert.equal(bad.temperature_c, undefined);
  assert.equal(bad.target.components[0].amount, "lots");
});

test("a saved design request fills the form back in", () => {
  const request = {
    cell_type: "rhesus_mii_oocyte",
    target: { components: [{ name: "Dimethyl sulfoxide", amount: 1.4, unit: "mol/L" }] },
    temperature_c: 22,
    removal_temperature_c: 4,
    osmotic_limits: { min_volume_fraction: 0.7, max_volume_fraction: 1.3 },
    max_steps: 3,
    allow_osmotic_buffer: false,
  };
  assert.deepEqual(designRequest(formFromRequest(request)), request);
  assert.equal(formFromRequest({}).maxSteps, 4);
  assert.equal(formFromRequest({}).allowBuffer, true);
});

test("API error paths land on the design form's fields", () => {
  assert.equal(designErrorPath("components[0].name"), "target.components[0].name");
  assert.equal(designErrorPath("components"), "target.components");
  assert.equal(designErrorPath("target.components[0].amount"), "target.components[0].amount");
  assert.equal(designErrorPath("design_request.temperature_c"), "temperature_c");
  assert.equal(designErrorPath("mixture_id"), "target.mixture_id");
  assert.equal(designErrorPath("componentsx"), "componentsx");
  assert.deepEqual(mapErrorPaths({ "components[0].name": "unknown", "target.components[0].name": "also" }, designErrorPath), {
    "target.components[0].name": "unknown also",
  });
});

test("an infeasible design names its binding constraint next to the limit it concerns", () => {
  const low = infeasibleErrors({ constraint: "min_volume_fraction", limit: 0.99, best_achievable: 0.9179, phase: "addition" });
  assert.deepEqual(Object.keys(low), ["osmotic_limits.min_volume_fraction"]);
  assert.match(low["osmotic_limits.min_volume_fraction"], /loading \(addition\).*above 0\.990 × V_iso.*best achieved was 0\.918 × V_iso.*Lower this limit/);
  const high = infeasibleErrors({ constraint: "max_volume_fraction", limit: 1.05, best_achievable: 1.2, phase: "removal" });
  assert.match(high["osmotic_limits.max_volume_fraction"], /unloading \(removal\).*below 1\.050 × V_iso.*Raise this limit/);
  assert.deepEqual(Object.keys(infeasibleErrors({ constraint: "equilibration", phase: "addition" })), ["target"]);
  assert.deepEqual(infeasibleErrors({}), {});
  assert.deepEqual(infeasibleErrors(undefined), {});
});

test("the step table puts CPAs, then buffer, then carrier in columns with units", () => {
  const steps = DESIGN.protocols.designed.steps;
  assert.deepEqual(stepSolutes(steps, DESIGN.settings), ["Dimethyl sulfoxide", "Sucrose", "Sodium chloride"]);
  const { headers, rows } = stepTable(steps, DESIGN.settings);
  assert.deepEqual(headers, [
    "Phase",
    "Step",
    "Dimethyl sulfoxide (mol/kg)",
    "Sucrose (buffer) (mol/kg)",
    "Sodium chloride (carrier) (mol/kg)",
    "Duration",
    "Time from start (min)",
    "Temperature (°C)",
  ]);
  assert.equal(rows.length, steps.length);
  assert.deepEqual(rows[0].slice(0, 5), ["Addition", "1", "0.159", "0", "0.00340"]);
  assert.equal(rows[0][5], "2 min 31 s");
  assert.equal(rows[0][6], "0 – 2.5");
  assert.equal(rows[0][7], "22.0");
  const last = rows[rows.length - 1];
  assert.equal(last[0], "Removal");
  assert.equal(last[2], "0"); // no DMSO in the last removal step
});

test("volume traces show each protocol in minutes with the limits as horizontal lines", () => {
  const traces = volumeTraces(DESIGN);
  assert.deepEqual(traces.map((t) => t.name), ["Designed", "One step", "Equal steps", "Lower limit 0.600 × V_iso", "Upper limit 1.400 × V_iso"]);
  const designed = traces[0];
  assert.deepEqual(designed.y, DESIGN.protocols.designed.chart.volume_fraction);
  const seconds = DESIGN.protocols.designed.chart.time_s;
  assert.equal(designed.x[designed.x.length - 1], seconds[seconds.length - 1] / 60);
  const lower = traces[3];
  assert.deepEqual(lower.y, [0.6, 0.6]);
  const equalEnd = DESIGN.protocols.equal_steps.chart.time_s.at(-1) / 60;
  assert.deepEqual(lower.x, [0, equalEnd]); // spans the longest protocol shown
  const only = volumeTraces(DESIGN, ["designed"]);
  assert.deepEqual(only.map((t) => t.name), ["Designed", "Lower limit 0.600 × V_iso", "Upper limit 1.400 × V_iso"]);
  assert.equal(only[1].x[1], seconds[seconds.length - 1] / 60);
});

test("concentration traces follow each CPA inside the cell with its target", () => {
  const traces = concentrationTraces(DESIGN);
  assert.deepEqual(traces.map((t) => t.name), ["Designed", "One step", "Equal steps", "Target Dimethyl sulfoxide 1.56 mol/kg"]);
  assert.deepEqual(traces[1].y, DESIGN.protocols.one_step.chart.intracellular_molality["Dimethyl sulfoxide"]);
  assert.deepEqual(traces[3].y, [1.5573, 1.5573]);
  const two = structuredClone(DESIGN);
  two.target["Ethylene glycol"] = 1.0;
  for (const k of PROTOCOL_KEYS) two.protocols[k].chart.intracellular_molality["Ethylene glycol"] = [0, 0.5, 0.9, 0.5, 0];
  const names = concentrationTraces(two, ["designed"]).map((t) => t.name);
  assert.deepEqual(names, [
    "Designed · Dimethyl sulfoxide",
    "Designed · Ethylene glycol",
    "Target Dimethyl sulfoxide 1.56 mol/kg",
    "Target Ethylene glycol 1.00 mol/kg",
  ]);
});

test("the cost comparison says how the designed protocol compares with one step", () => {
  const rows = comparisonRows(DESIGN);
  assert.deepEqual(rows.map((r) => r.label), ["Designed", "One step", "Equal steps"]);
  assert.equal(rows[0].costText, "190.7 (mol/kg)^1.6·s");
  assert.equal(rows[0].relativeText, "0.35 ×");
  assert.equal(rows[0].withinText, "yes");
  assert.equal(rows[1].withinText, "no");
  assert.equal(rows[1].violations.length, 2);
  assert.equal(rows[0].volumeText, "0.860 – 1.396 × V_iso");
  const bars = costBars(rows, "(mol/kg)^1.6·s");
  assert.deepEqual(bars.traces[0].y, [190.6918, 543.559, 1877.5753]);
  assert.equal(bars.traces[0].text[2], "3.45 × one step");
  assert.equal(bars.layout.yaxis.title.text, "Toxicity cost J ((mol/kg)^1.6·s)");
  const summary = designSummary(DESIGN);
  assert.match(summary, /^The designed protocol has 7 steps over 11 min 14 s with toxicity cost 190\.7 \(mol\/kg\)\^1\.6·s/);
  assert.match(summary, /65 % lower than one step \(543\.6 \(mol\/kg\)\^1\.6·s, which leaves the limits\)/);
  assert.match(summary, /stays within the limits 0\.600–1\.400 × V_iso\.$/);
  assert.equal(designSummary({}), "");
  assert.equal(targetText(DESIGN.target), "Dimethyl sulfoxide 1.56 mol/kg");
});

test("method and sources name the design, transport and toxicity methods and the exponent's source", () => {
  const pairs = Object.fromEntries(provenancePairs(DESIGN));
  assert.match(pairs["Design method"], /^toxicity-cost minimisation/);
  assert.match(pairs["Membrane transport"], /two-parameter/);
  assert.match(pairs["Toxicity exponent α (Dimethyl sulfoxide) = 1.6"], /^Benson JD/);
  assert.equal(pairs["Isotonic carrier"], "Sodium chloride 0.160 mol/kg");
  assert.match(pairs.Settings, /≥ 95 % of the target inside; removal at ≤ 5 %; osmotic buffer allowed during removal: Sucrose/);
  assert.ok(pairs.Caveats);
});

test("saved protocols are listed and compared with their cost and volume range", () => {
  const saved = {
    id: "p1",
    name: "DMSO 1.4 M",
    cell_type_id: RHESUS.id,
    temperature_c: 22,
    toxicity_cost: 190.6918,
    steps: DESIGN.protocols.designed.steps,
    summary: { toxicity: { unit: "(mol/kg)^1.6·s" }, min_volume_fraction: 0.86, max_volume_fraction: 1.3957, within_limits: true, violations: [], total_duration_s: 673.6 },
    visibility: "private",
    created_at: "2026-11-27T09:49:00+00:00",
  };
  const names = { [RHESUS.id]: RHESUS.name };
  const row = savedProtocolRow(saved, names);
  assert.equal(row.cell, "Rhesus monkey MII oocyte");
  assert.equal(row.temperature, "22.0 °C");
  assert.equal(row.cost, "190.7 (mol/kg)^1.6·s");
  assert.equal(row.volume, "0.860 – 1.396 × V_iso");
  assert.equal(row.within, "yes");
  assert.equal(row.steps, "4 + 3");
  assert.equal(row.saved, "27 Nov 2026 09:49 UTC");
  const other = { ...saved, id: "p2", name: "2 steps", toxicity_cost: 212.7, summary: { ...saved.summary, within_limits: false, violations: ["volume fell"] } };
  const rows = Object.fromEntries(compareRows([saved, other], names).map((r) => [r.label, r.values]));
  assert.deepEqual(rows["Cost relative to the lowest"], ["1.00 ×", "1.12 ×"]);
  assert.deepEqual(rows["Within limits"], ["yes", "no"]);
  assert.deepEqual(rows.Violations, ["none", "volume fell"]);
});

test("compare ids come from the URL, valid and without repeats", () => {
  const a = "7e1cc02f-9a26-451b-87a2-7e9175f38c18";
  const b = "bcc0a1cd-4f41-4279-824d-86dda81fdcb4";
  assert.deepEqual(parseCompareIds(`${a}, ${b},${a},not-an-id`), [a, b]);
  assert.deepEqual(parseCompareIds(null), []);
});

test("new items default to the header's team, else private", () => {
  assert.deepEqual(defaultScope("t1"), { visibility: "team", team_id: "t1" });
  assert.deepEqual(defaultScope(""), { visibility: "private", team_id: null });
  assert.deepEqual(scopePayload("private", "t1"), { visibility: "private", team_id: null });
  assert.deepEqual(scopePayload("team", "t1"), { visibility: "team", team_id: "t1" });
});

test("the train request converts the level from percent and drops an empty name", () => {
  assert.deepEqual(trainRequest({ dataset: "d1", target: "viability_percent", algorithm: "ridge", level_percent: "90", name: " ", visibility: "private" }), {
    dataset: "d1",
    target: "viability_percent",
    algorithm: "ridge",
    level: 0.9,
    visibility: "private",
    team_id: null,
  });
  assert.equal(trainRequest({ level_percent: "95", name: "mine", visibility: "team", team_id: "t" }).level, 0.95);
  assert.equal(trainRequest({ level_percent: "95", name: "mine" }).name, "mine");
  assert.equal(trainRequest({ level_percent: "" }).level, undefined);
  const errors = trainFieldErrors({ level: "Must be greater than or equal to 0.5 and less than or equal to 0.99.", target: "no such target" });
  assert.match(errors.level_percent, /from 50 to 99 %/);
  assert.equal(errors.target, "no such target");
  assert.equal(errors.level, undefined);
  assert.deepEqual(targetOptions({ target_names: ["viability_percent"] }), [{ value: "viability_percent", label: "Viability (%)" }]);
  assert.equal(algorithmOptions(["ridge", "new_thing"])[1].label, "new_thing");
  assert.match(algorithmOptions(["ridge"])[0].label, /^ridge — Ridge regression/);
});

test("training progress follows the job and the model", () => {
  assert.equal(trainingProgress({ status: "queued" }, { status: "queued", progress: 0 }).state, "queued");
  const running = trainingProgress({ status: "running" }, { status: "training", progress: 0.333 });
  assert.equal(running.state, "running");
  assert.equal(running.fraction, 0.333);
  assert.match(running.text, /33 %/);
  const done = trainingProgress({ status: "done", result: { model_id: "m" } }, { status: "ready", progress: 1 });
  assert.deepEqual([done.done, done.failed, done.fraction], [true, false, 1]);
  const failed = trainingProgress({ status: "failed", error: "too few rows" }, { status: "failed", progress: 0.2 });
  assert.deepEqual([failed.done, failed.failed], [true, true]);
  assert.equal(failed.text, "Training failed: too few rows");
  const cancelled = trainingProgress({ status: "cancelled", error: "cancelled by its owner" }, { status: "failed", progress: 0.4 });
  assert.deepEqual([cancelled.state, cancelled.done, cancelled.failed, cancelled.fraction], ["cancelled", true, true, 0.4]);
  assert.equal(cancelled.text, "Training stopped: cancelled by its owner");
  assert.equal(trainingProgress({ status: "running" }, { status: "training", progress: 7 }).fraction, 1);
});

const MODEL = {
  id: "a89edfeb-ded7-4545-b0b9-75c23fb929ff",
  name: "viability_percent-ridge",
  version: 1,
  target: "viability_percent",
  feature_names: ["molality[Dimethyl sulfoxide]", "mass_fraction[Dimethyl sulfoxide]", "mass_fraction[Fetal bovine serum]", "molality[other]", "total_mass_fraction"],
  metrics: {
    validation_plots: {
      unit: "%",
      out_of_fold: { rows: [{ row_id: "lit:4", measured: 81.4 }, { row_id: "lit:116", measured: 85.6 }] },
    },
  },
};
const PREDICTION = {
  model_id: MODEL.id,
  model_version: 1,
  target: "viability_percent",
  value: 67.31487099787115,
  lower: 12.638348007968382,
  upper: 118.62188352227415,
  level: 0.9,
  in_domain: true,
  domain_score: 0.11955758335791884,
  nearest: [
    { row_id: "lit:4", distance: 0.0 },
    { row_id: "lit:116", distance: 0.09385068332851454 },
    { row_id: "lit:999", distance: 0.2 },
  ],
  warnings: [],
};

test("a prediction shows its value and interval with the unit, the level and the domain check", () => {
  assert.equal(targetUnit(MODEL), "%");
  assert.equal(targetUnit({ target: "viability_percent", metrics: {} }), "%");
  assert.equal(targetUnit({ target: "score", metrics: {} }), "");
  assert.deepEqual(trainingComponents(MODEL.feature_names), ["Dimethyl sulfoxide", "Fetal bovine serum"]);
  const view = predictionView(PREDICTION, MODEL);
  assert.equal(view.value, "67.3 %");
  assert.equal(view.intervalText, "12.6 – 118.6 % (90 % CV+ interval)");
  assert.equal(view.target, "Viability (%)");
  assert.equal(view.model, "viability_percent-ridge v1");
  assert.equal(view.inDomain, true);
  assert.match(view.domainText, /^inside the applicability domain \(mean distance to the nearest training rows 0\.120/);
  assert.equal(view.notes.length, 1); // the interval reaches past 100 %
  const outside = predictionView({ ...PREDICTION, in_domain: false, upper: 90, warnings: ["unseen component X"] }, MODEL);
  assert.match(outside.domainText, /^OUTSIDE/);
  assert.deepEqual(outside.notes, ["unseen component X"]);
  assert.deepEqual(nearestRows(PREDICTION, MODEL), [
    { rowId: "lit:4", distance: "0", measured: "81.4 %" },
    { rowId: "lit:116", distance: "0.094", measured: "85.6 %" },
    { rowId: "lit:999", distance: "0.200", measured: "—" },
  ]);
});

test("the predict request and its error paths match the predict form", () => {
  assert.deepEqual(predictRequest({ mixtureId: "m1", components: [{ name: "x", amount: 1, unit: "mol/L" }] }), { mixture_id: "m1" });
  assert.deepEqual(
    predictRequest({ components: [{ name: "Dimethyl sulfoxide", amount: "10", unit: "% v/v" }, { name: "", amount: "", unit: "% v/v" }] }),
    { components: [{ name: "Dimethyl sulfoxide", amount: 10, unit: "% v/v" }] },
  );
  assert.equal(predictErrorPath("rows[0].composition[1].name"), "components[1].name");
  assert.equal(predictErrorPath("items[0]"), "components");
  assert.equal(predictErrorPath("components[0].unit"), "components[0].unit");
});

test("the unit list is the API's", () => {
  assert.deepEqual(COMPOSITION_UNITS, ["mol/L", "mmol/L", "mol/kg", "% w/w", "% w/v", "% v/v", "g/L", "mole fraction"]);
});

test("designRequest and formFromRequest carry the keep-full-carrier choice", async () => {
  const lib = await import("../../src/cryoprotect/web/static/js/protocols_lib.js");
  const base = { cellType: "c", components: [{ name: "Dimethyl sulfoxide", amount: "1.4", unit: "mol/L" }], temperatureC: "22" };
  assert.equal(lib.designRequest({ ...base, keepCarrier: true }).min_carrier_fraction, 1);
  assert.equal(lib.designRequest({ ...base, keepCarrier: false }).min_carrier_fraction, 0);
  assert.equal("min_carrier_fraction" in lib.designRequest(base), false);
  assert.equal(lib.formFromRequest({ min_carrier_fraction: 1 }).keepCarrier, true);
  assert.equal(lib.formFromRequest({}).keepCarrier, undefined);
  assert.equal(lib.formFromRequest({ min_carrier_fraction: 0 }).keepCarrier, false);
});
