// Unit tests of the mixture pages' pure helpers (static/js/mixtures_lib.js), run by
// `node --test tests/js/`. The fixtures are trimmed copies of real API responses
// (GET /api/v1/mixtures/{DP6}/properties, GET /api/v1/solutions/phase-diagram?name=Glycerol,
// POST /api/v1/solutions/properties with 70 % w/w glycerol).
import assert from "node:assert/strict";
import { mock, test } from "node:test";

import {
  amountIn,
  componentsPayload,
  componentSummary,
  componentVocabulary,
  compositionTable,
  convertedAmount,
  displayUnit,
  exactMatch,
  isReference,
  mixtureBody,
  moleculeLabel,
  parseAmount,
  parseIds,
  previewBlocker,
  SYSTEM_USER_ID,
  versionRows,
} from "../../src/cryoprotect/web/static/js/mixtures_lib.js";
import { debounce } from "../../src/cryoprotect/web/static/js/timing_lib.js";
import { compareRows, fmtDelta } from "../../src/cryoprotect/web/static/js/mixtures_compare_lib.js";
import {
  freezeConcentratedText,
  glassCard,
  measuredPhasePoints,
  measurementRows,
  phaseDiagramChoices,
  phaseDiagramFigure,
  propertyCards,
  validity,
  withinRangeText,
} from "../../src/cryoprotect/web/static/js/mixtures_properties_lib.js";
import { predictionSummary, targetUnit } from "../../src/cryoprotect/web/static/js/models_lib.js";
import { uniqueWarnings } from "../../src/cryoprotect/web/static/js/format.js";
import { defaultScope } from "../../src/cryoprotect/web/static/js/scope_lib.js";

const DMSO = "e65fcfff-fdc3-4c45-9e38-65eb529a15fe";
const PG = "ede01d9e-f005-4493-9904-275706499b92";
const A = "11111111-1111-4111-8111-111111111111";
const B = "22222222-2222-4222-8222-222222222222";

const dp6Props = {
  mixture_id: A,
  name: "DP6",
  version: 1,
  carrier: "Euro-Collins",
  composition: {
    solutes: ["Dimethyl sulfoxide", "Propylene glycol", "D-Glucose"],
    amounts: {
      "mol/L": [3.0000000000000004, 3.0000000000000004, 0.194],
      "% w/w": [22.311510626094698, 21.730377589820506, 3.3268862075504653],
      "% v/v": [21.30043620501636, 22.03310491265322, null],
      "mole fraction": [0.08255586319774193, 0.08255586319774191, 0.005338612486787311],
    },
    density_g_per_ml: 1.050533977407457,
  },
  osmolality: {
    value: 22.558209745092444,
    unit: "osmol/kg",
    method: "multisolute osmotic virial equation",
    provenance: "fitted",
    within_range: true,
    warnings: ["mixture: predicted from single-solute coefficients", "mixture: predicted from single-solute coefficients"],
    parameters: [],
  },
  melting_point: { value_c: -36.37334512712587, value_k: 236.7766548728741, unit: "°C", method: "ice–solution equilibrium", provenance: "fitted", within_range: true },
  glass_transition: {
    value_k: null,
    value_c: null,
    unit: "K",
    method: "Gordon–Taylor",
    kind: "model",
    homogeneous: true,
    parameters: [{ component: "Dimethyl sulfoxide", tg_k: null, k: null, k_provenance: "unavailable" }],
    warnings: ["Dimethyl sulfoxide: no Tg of the pure substance recorded; Tg not computed"],
  },
  freeze_concentrated: null,
  measurements: [
    { property: "critical_cooling_rate", value: 40.0, unit: "degC/min", source: "Han et al., Cryobiology (2022)", provenance: "measured", kind: "measured" },
  ],
};

const glycerol70 = {
  carrier: null,
  composition: { solutes: ["Glycerol"], amounts: { "% w/w": [70], "mol/L": [9.0] } },
  osmolality: {
    value: null,
    unit: "osmol/kg",
    method: "virial",
    provenance: "fitted",
    within_range: false,
    status: "outside_range",
    reason: "outside the fitted range 0–16.3 mol/kg (0–60 % w/w in water) for Glycerol (fit to published freezing points of Glycerol, 0–60 % w/w): here 25.3 mol/kg",
    bound: { quantity: "osmolality", relation: "above", value: 21.3, unit: "osmol/kg", text: "osmolality above 21.3 osmol/kg: the model's value with Glycerol at the top of the fitted range; osmolality only rises as solute is added" },
    warnings: [],
    parameters: [],
  },
  melting_point: {
    value_c: null,
    value_k: null,
    unit: "°C",
    method: "ice–solution equilibrium with constant ΔH_fus",
    provenance: "fitted",
    within_range: false,
    status: "solute_crystallises",
    reason: "Glycerol crystallises: the liquidus here is the solute's (glycerol), not ice's. At 70 % w/w the solution is past the glycerol–water eutectic (between 60 and 70 % w/w; Lange's Handbook of Chemistry, 15th ed. (1999)), so no ice can form above the eutectic temperature",
    bound: {
      quantity: "solute_liquidus",
      relation: "at",
      value: -37.8,
      unit: "°C",
      text: "The solution is liquid above -37.8 °C; below it glycerol crystallises at equilibrium (published liquidus at 70 % w/w, Lange's Handbook of Chemistry, 15th ed. (1999)).",
    },
    warnings: ["outside the fitted range 0–16.3 mol/kg (0–60 % w/w in water) for Glycerol"],
  },
  glass_transition: {
    value_k: 154.11594202898553,
    value_c: -119.03405797101445,
    kind: "model",
    homogeneous: true,
    method: "Gordon–Taylor",
    parameters: [{ component: "Glycerol", tg_k: 191.0, tg_source: "PMC6415443", k: 3.054, k_provenance: "fitted" }],
    warnings: [],
  },
  freeze_concentrated: { solute: "Glycerol", tg_prime_k: 164.0, wg_prime_mass_fraction: 0.76, source: "Inaba & Andersson (2007)", provenance: "measured", kind: "measured" },
  measurements: [],
};

test("reference solutions are public rows of the system user only", () => {
  assert.equal(isReference({ visibility: "public", created_by: SYSTEM_USER_ID }), true);
  assert.equal(isReference({ visibility: "public", created_by: A }), false);
  assert.equal(isReference({ visibility: "private", created_by: SYSTEM_USER_ID }), false);
  assert.equal(isReference(null), false);
});

test("componentSummary lists amounts with their units", () => {
  const summary = componentSummary([
    { name: "Dimethyl sulfoxide", amount: 3.0000000000000004, unit: "mol/L" },
    { name: "Propylene glycol", amount: 3, unit: "mol/L" },
  ]);
  assert.equal(summary, "Dimethyl sulfoxide 3 mol/L + Propylene glycol 3 mol/L");
  assert.equal(componentSummary([]), "no components");
  const redacted = { molecule_id: null, name: null, smiles: null, amount: 0.5, unit: "mol/kg", redacted: true };
  assert.equal(componentSummary([redacted]), "a molecule not visible to you 0.5 mol/kg");
});

test("componentVocabulary reads units and roles from the OpenAPI description", () => {
  const spec = {
    components: {
      schemas: {
        ComponentIn: {
          properties: { unit: { enum: ["mol/L", "% w/w", "mole fraction"] }, role: { enum: ["cpa", "carrier", null] } },
        },
      },
    },
  };
  assert.deepEqual(componentVocabulary(spec), { units: ["mol/L", "% w/w", "mole fraction"], roles: ["cpa", "carrier"] });
  assert.throws(() => componentVocabulary({}), /no composition units/);
});

test("compositionTable marks carrier solutes and keeps missing units as dashes", () => {
  const { units, rows } = compositionTable(dp6Props.composition, 2);
  assert.deepEqual(units, ["mol/L", "% w/w", "% v/v", "mole fraction"]);
  assert.deepEqual(rows.map((r) => r.origin), ["component", "component", "carrier"]);
  assert.deepEqual(rows[0].cells, ["3.00", "22.3", "21.3", "0.0826"]);
  assert.equal(rows[2].cells[2], "—");
  assert.equal(rows[2].values[2], null);
});

test("amountIn finds a solute's amount in a unit", () => {
  assert.equal(amountIn(dp6Props.composition, "Propylene glycol", "% w/w"), 21.730377589820506);
  assert.equal(amountIn(dp6Props.composition, "D-Glucose", "% v/v"), null);
  assert.equal(amountIn(dp6Props.composition, "Glycerol", "% w/w"), null);
});

test("propertyCards carry value, unit, method, provenance and flags", () => {
  const [osm, mp, tg] = propertyCards(dp6Props);
  assert.equal(osm.value, "22600 mOsm/kg");
  assert.equal(osm.provenance, "fitted");
  assert.deepEqual(osm.warnings, ["mixture: predicted from single-solute coefficients"]);
  assert.equal(mp.value, "-36.4 °C");
  assert.equal(mp.secondary, "236.8 K");
  assert.equal(mp.ok, true);
  assert.equal(tg.value, "not computed");
  assert.equal(tg.ok, false);
  assert.match(tg.flags[0], /missing/);

  const [, , tg70] = propertyCards(glycerol70); // only its Tg card is checked here
  assert.equal(tg70.value, "-119.0 °C");
  assert.equal(tg70.secondary, "154.1 K");
  assert.equal(tg70.provenance, "Gordon–Taylor k: Glycerol: fitted");
});

test("a null value is shown as 'unknown, because …' with the bound, never as a number", () => {
  const [osm, mp] = propertyCards(glycerol70);
  assert.equal(mp.value, "unknown");
  assert.equal(mp.secondary, "");
  assert.equal(mp.ok, false);
  assert.match(mp.flags[0], /^unknown, because Glycerol crystallises: the liquidus here is the solute's/);
  assert.equal(mp.flags[1], `still holds: ${glycerol70.melting_point.bound.text}`);
  assert.deepEqual(mp.warnings, glycerol70.melting_point.warnings);
  assert.equal(osm.value, "unknown");
  assert.match(osm.flags[0], /^unknown, because outside the fitted range 0–16.3 mol\/kg/);
  assert.match(osm.flags[1], /^still holds: osmolality above 21.3 osmol\/kg/);
  assert.ok(![osm.value, mp.value].some((v) => /\d/.test(v)));
});

test("a value whose parameter set records no range says nobody knows whether it holds", () => {
  const unranged = structuredClone(dp6Props);
  unranged.melting_point.within_range = null;
  unranged.osmolality.within_range = null;
  const [osm, mp] = propertyCards(unranged);
  assert.equal(mp.value, "-36.4 °C");
  assert.equal(mp.ok, false);
  assert.match(mp.flags[0], /range not recorded: whether this value holds is unknown/);
  assert.equal(osm.ok, false);
  assert.equal(validity({ within_range: true }, 1).ok, true);
  assert.deepEqual(validity({ within_range: false }, 1).flags, ["outside the fitted concentration range"]);
  assert.deepEqual(validity({}, null).flags, ["unknown, because the value could not be computed"]);
  assert.deepEqual([true, false, null].map(withinRangeText), ["yes", "no", "unknown (range not recorded)"]);
});

test("measured values keep their unit (°C/min) and source", () => {
  const [row] = measurementRows(dp6Props.measurements);
  assert.deepEqual(row, { property: "Critical cooling rate", value: "40 °C/min", provenance: "measured", source: "Han et al., Cryobiology (2022)" });
  assert.equal(displayUnit("degC"), "°C");
});

test("freeze-concentrated Tg′ text gives °C, K and W′g", () => {
  assert.equal(freezeConcentratedText(glycerol70.freeze_concentrated), "Glycerol: Tg′ = -109.1 °C (164 K), at W′g = 76 % w/w");
  assert.equal(freezeConcentratedText(null), null);
});

test("measured phase points: Tg′ at W′g and the pure solute's Tg at 100 % w/w", () => {
  const points = measuredPhasePoints(glycerol70);
  assert.equal(points.length, 2);
  assert.equal(points[0].mass_percent, 76);
  assert.ok(Math.abs(points[0].temperature_c - -109.15) < 1e-9);
  assert.equal(points[1].mass_percent, 100);
  assert.ok(Math.abs(points[1].temperature_c - -82.15) < 1e-9);
  assert.deepEqual(measuredPhasePoints(dp6Props), []);
});

test("phase diagram: the model curve where given, the bound where not, published liquidus", () => {
  const diagram = {
    solute: "Glycerol",
    mass_percent: [0, 20, 40, 60, 70],
    melting_point_c: [0, -4.8, -15.4, -34.6, null],
    melting_point_within_range: [true, true, true, true, false],
    melting_point_status: ["within_range", "within_range", "within_range", "within_range", "solute_crystallises"],
    melting_point_reason: [null, null, null, null, "Glycerol crystallises: the liquidus here is the solute's (glycerol), not ice's"],
    melting_point_upper_bound_c: [null, null, null, null, -37.8],
    tg_c: [-137.15, -133.1, -127.9, -119.0, -113.3],
    phase_boundaries: [
      { mass_percent: 60, temperature_c: -33.6, solid_phase: "ice", kind: "ice_liquidus", source: "Lange" },
      { mass_percent: 70, temperature_c: -37.8, solid_phase: "glycerol", kind: "solute_liquidus", source: "Lange" },
      { mass_percent: 80, temperature_c: -19.2, solid_phase: "glycerol", kind: "solute_liquidus", source: "Lange" },
    ],
  };
  const measured = measuredPhasePoints(glycerol70);
  const { traces, layout } = phaseDiagramFigure(diagram, { measured, currentMassPercent: 40 });
  const names = traces.map((t) => t.name);
  assert.deepEqual(names.slice(0, 5), [
    "Melting point (model, fitted range)",
    "Melting point unknown: it lies below this bound",
    "Freezing point, ice (published)",
    "Liquidus: glycerol crystallises (published)",
    "Glass transition Tg (Gordon–Taylor model)",
  ]);
  assert.deepEqual(traces[0].y, [0, -4.8, -15.4, -34.6, null]);
  assert.deepEqual(traces[1].y, [null, null, null, null, -37.8]);
  assert.match(traces[1].text[4], /Glycerol crystallises/);
  // published points beyond the diagram's range (80 %) are left out
  assert.deepEqual(traces[3].x, [70]);
  assert.ok(names.includes("Tg′, maximally freeze-concentrated (measured)"));
  const marker = traces.find((t) => t.name.startsWith("This mixture"));
  assert.deepEqual(marker.x, [40, 40]);
  assert.deepEqual(marker.y, [-137.15, 0]);
  assert.deepEqual(layout.xaxis.range, [0, 102]);
  assert.equal(layout.yaxis.title.text, "Temperature (°C)");
});

test("phase diagram: a melting point without a recorded range is drawn dotted, never solid", () => {
  const { traces } = phaseDiagramFigure({
    solute: "Dimethyl sulfoxide",
    mass_percent: [0, 10, 20],
    melting_point_c: [0, -2.5, -6],
    melting_point_within_range: [null, null, null],
    tg_c: [-137.15, null, null],
  });
  assert.deepEqual(traces.map((t) => t.name), ["Melting point (model, fitted range)", "Melting point (model, valid range not recorded)"]);
  assert.deepEqual(traces[0].y, [null, null, null]);
  assert.deepEqual(traces[1].y, [0, -2.5, -6]);
});

test("phase diagram without Tg parameters has no Tg trace", () => {
  const { traces } = phaseDiagramFigure({
    solute: "Dimethyl sulfoxide",
    mass_percent: [0, 10, 20],
    melting_point_c: [0, -2.5, -6],
    melting_point_within_range: [true, true, true],
    tg_c: [-137.15, null, null],
  });
  assert.deepEqual(traces.map((t) => t.name), ["Melting point (model, fitted range)"]);
});

test("phaseDiagramChoices skips components without a molar mass", () => {
  const choices = phaseDiagramChoices([
    { molecule_id: DMSO, name: "Dimethyl sulfoxide", molar_mass: 78.136, role: "cpa" },
    { molecule_id: PG, name: "Fetal bovine serum", molar_mass: null, role: "carrier" },
  ]);
  assert.deepEqual(choices, [{ molecule_id: DMSO, name: "Dimethyl sulfoxide", role: "cpa" }]);
});

test("fmtDelta signs the difference and hides equal values", () => {
  assert.equal(fmtDelta(1.2, "°C"), "+1.2 °C");
  assert.equal(fmtDelta(-0.35, "osmol/kg"), "-350 mOsm/kg");
  assert.equal(fmtDelta(0.0001, "°C"), "");
  assert.equal(fmtDelta(null, "°C"), "");
});

test("compareRows flags differences against the first mixture", () => {
  const vs55 = structuredClone(dp6Props);
  vs55.name = "VS55";
  vs55.mixture_id = B;
  vs55.composition.solutes = ["Dimethyl sulfoxide", "Formamide", "Propylene glycol", "D-Glucose"];
  vs55.composition.amounts = { "mol/L": [3.1, 3.1, 2.2, 0.194] };
  vs55.melting_point.value_c = -56.1;
  vs55.measurements = [{ property: "critical_cooling_rate", value: 2.5, unit: "degC/min" }];
  const { names, rows } = compareRows([dp6Props, vs55], "mol/L");
  assert.deepEqual(names, ["DP6 v1", "VS55 v1"]);
  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r]));
  assert.equal(byLabel["Carrier"].cells[1].differs, false);
  const mp = byLabel["Melting point"].cells;
  assert.equal(mp[0].text, "-36.4 °C");
  assert.equal(mp[1].delta, "-19.7 °C");
  assert.equal(mp[1].differs, true);
  assert.equal(byLabel["Dimethyl sulfoxide (mol/L)"].cells[1].delta, "+0.100 mol/L");
  assert.equal(byLabel["D-Glucose (mol/L)"].cells[1].differs, false);
  const formamide = byLabel["Formamide (mol/L)"].cells;
  assert.equal(formamide[0].text, "absent");
  assert.equal(formamide[1].text, "3.10 mol/L");
  assert.equal(formamide[1].differs, true);
  assert.equal(byLabel["Critical cooling rate (measured)"].cells[1].text, "2.5 °C/min");
  assert.equal(byLabel["Critical cooling rate (measured)"].cells[1].differs, true);
});

test("compareRows shows 'unknown' and why where a mixture has no melting point", () => {
  const { rows } = compareRows([dp6Props, { ...glycerol70, name: "Glycerol 70 %", version: 1 }], "% w/w");
  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r]));
  assert.equal(byLabel["Melting point"].cells[1].text, "unknown");
  assert.equal(byLabel["Melting point"].cells[1].differs, true);
  assert.equal(byLabel["Osmolality"].cells[1].text, "unknown");
  assert.deepEqual(byLabel["Within fitted range"].cells.map((c) => c.text), ["yes", "no"]);
  const why = byLabel["Melting point: why unknown"].cells;
  assert.equal(why[0].text, "—");
  assert.match(why[1].text, /^Glycerol crystallises/);
  assert.equal(rows.findIndex((r) => r.label === "Melting point: why unknown"), 5);
});

test("versionRows lists the newest first and marks the current one", () => {
  const rows = versionRows(
    [
      { version: 1, name: "Mix", carrier: null, created_at: "2026-01-02T03:04:05+00:00", components: [{ name: "Glycerol", amount: 10, unit: "% w/w" }] },
      { version: 2, name: "Mix", carrier: "isotonic saline", created_at: "2026-01-03T03:04:05+00:00", components: [{ name: "Glycerol", amount: 15, unit: "% w/w" }] },
    ],
    2,
  );
  assert.deepEqual(rows.map((r) => [r.version, r.current, r.carrier, r.summary, r.date]), [
    [2, true, "isotonic saline", "Glycerol 15 % w/w", "3 Jan 2026 03:04 UTC"],
    [1, false, "water", "Glycerol 10 % w/w", "2 Jan 2026 03:04 UTC"],
  ]);
});

test("parseIds keeps valid, distinct UUIDs in order", () => {
  assert.deepEqual(parseIds(`?ids=${A},not-an-id,${B.toUpperCase()},${A}`), [A, B]);
  assert.deepEqual(parseIds(""), []);
});

test("builder rows become the API's components, one per row, in order", () => {
  const rows = [
    { molecule_id: DMSO, amount: "10", unit: "% v/v", role: "cpa" },
    { molecule_id: "", amount: "", unit: "mol/L", role: "" },
    { molecule_id: PG, amount: "1,5", unit: "mol/L", role: "" },
  ];
  assert.deepEqual(componentsPayload(rows), [
    { molecule_id: DMSO, amount: 10, unit: "% v/v", role: "cpa" },
    { amount: null, unit: "mol/L", role: null },
    { molecule_id: PG, amount: 1.5, unit: "mol/L", role: null },
  ]);
  assert.equal(previewBlocker(rows), "Choose a molecule for component 2.");
  assert.equal(previewBlocker([{ molecule_id: DMSO, amount: "x", unit: "mol/L" }]), "Enter an amount for component 1.");
  assert.equal(previewBlocker([{ molecule_id: DMSO, amount: "0", unit: "mol/L" }]), null);
  assert.equal(previewBlocker([]), "Add at least one component.");
  assert.equal(parseAmount(" 2.5 "), 2.5);
  assert.equal(parseAmount("abc"), null);
});

test("default scope follows the chosen team", () => {
  assert.deepEqual(defaultScope(""), { visibility: "private", team_id: null });
  assert.deepEqual(defaultScope(A), { visibility: "team", team_id: A });
});

test("mixtureBody: new mixtures, new versions and saved-as-new copies", () => {
  const rows = [{ molecule_id: DMSO, amount: "10", unit: "% v/v", role: "cpa" }];
  const values = { name: "  My mix ", description: "", carrier: "", citation: "", visibility: "private", team_id: A };
  assert.deepEqual(mixtureBody(values, rows), {
    name: "My mix",
    description: null,
    carrier: null,
    components: [{ molecule_id: DMSO, amount: 10, unit: "% v/v", role: "cpa" }],
    visibility: "private",
    team_id: null,
    sources: [],
  });
  const team = mixtureBody({ ...values, visibility: "team" }, rows);
  assert.equal(team.team_id, A);
  const existing = [{ citation: "Fahy 2004" }];
  const version = mixtureBody({ ...values, citation: "" }, rows, { edit: true, existingSources: existing });
  assert.equal("sources" in version, false);
  const cited = mixtureBody({ ...values, citation: "New paper" }, rows, { edit: true, existingSources: existing });
  assert.deepEqual(cited.sources, [{ citation: "Fahy 2004" }, { citation: "New paper" }]);
  const copy = mixtureBody(values, rows, { existingSources: existing, derivedFrom: { id: B, version: 3 } });
  assert.deepEqual(copy.sources, [{ citation: "Fahy 2004" }, { note: `derived from mixture ${B} v3` }]);
});

test("convertedAmount reads the new unit from the last live result, only while it still matches", () => {
  const rows = [
    { molecule_id: DMSO, amount: "3", unit: "% w/w" },
    { molecule_id: PG, amount: "3", unit: "mol/L" },
  ];
  const last = {
    carrier: null,
    components: [
      { molecule_id: DMSO, amount: 3, unit: "mol/L" },
      { molecule_id: PG, amount: 3, unit: "mol/L" },
    ],
    props: dp6Props,
  };
  // row 0 switched from mol/L to % w/w
  assert.equal(convertedAmount(last, rows, 0, "mol/L", "% w/w", null), 22.3115);
  assert.equal(convertedAmount(last, rows, 0, "mol/L", "% w/w", "isotonic saline"), null);
  assert.equal(convertedAmount(last, [{ ...rows[0], amount: "4" }, rows[1]], 0, "mol/L", "% w/w", null), null);
  assert.equal(convertedAmount(last, rows, 0, "mol/L", "g/L", null), null);
  assert.equal(convertedAmount(null, rows, 0, "mol/L", "% w/w", null), null);
});

test("exactMatch accepts a name or synonym, any case; moleculeLabel shows molar mass", () => {
  const molecules = [
    { id: A, name: "Dimethyl sulfoxide", synonyms: ["DMSO"], molecular_weight: 78.136, visibility: "public", molecule_class: "permeating" },
    { id: B, name: "Glycerol", synonyms: [], molecular_weight: 92.094, visibility: "public" },
  ];
  assert.equal(exactMatch("dmso", molecules).id, A);
  assert.equal(exactMatch("Glycerol ", molecules).id, B);
  assert.equal(exactMatch("glyc", molecules), null);
  assert.equal(moleculeLabel(molecules[0]), "Dimethyl sulfoxide · 78.14 g/mol · permeating · public");
  assert.equal(moleculeLabel({ id: A, name: "Serum", average_molar_mass: null }), "Serum · no molar mass");
});

test("uniqueWarnings drops repeats and empties", () => {
  assert.deepEqual(uniqueWarnings(["a", "b", "a", "", null]), ["a", "b"]);
});

test("predictionSummary gives value, interval and domain with the target's unit", () => {
  assert.equal(targetUnit("viability_percent"), "%");
  assert.equal(targetUnit("score"), "");
  const s = predictionSummary({
    target: "viability_percent",
    value: 71.234,
    lower: 50.1,
    upper: 90.9,
    level: 0.9,
    in_domain: false,
    domain_score: 2.5,
    nearest: [{ row_id: "paper-1", distance: 0.42 }],
    warnings: ["w", "w"],
    model_version: 2,
  });
  assert.equal(s.headline, "Viability: 71.2 %");
  assert.equal(s.interval, "90 % interval 50.1 to 90.9 %");
  assert.match(s.domain, /^outside/);
  assert.deepEqual(s.nearest, ["paper-1 (distance 0.420)"]);
  assert.deepEqual(s.warnings, ["w"]);
});

test("debounce runs once after the last call", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const calls = [];
    const f = debounce((x) => calls.push(x), 100);
    f(1);
    mock.timers.tick(50);
    f(2);
    mock.timers.tick(99);
    assert.deepEqual(calls, []);
    mock.timers.tick(1);
    assert.deepEqual(calls, [2]);
    f(3);
    f.cancel();
    mock.timers.tick(200);
    assert.deepEqual(calls, [2]);
  } finally {
    mock.timers.reset();
  }
});

test("phaseDiagramFigure plots the API's measured CRC freezing points as markers", async () => {
  const { phaseDiagramFigure: figure } = await import("../../src/cryoprotect/web/static/js/mixtures_properties_lib.js");
  const diagram = {
    solute: "Glycerol",
    mass_percent: [0, 10, 20],
    melting_point_c: [0, -2.3, -5.4],
    melting_point_within_range: [true, true, true],
    tg_c: [-137, -130, -120],
    measured_melting_points: [
      { mass_percent: 10, melting_point_c: -2.32, source: "CRC Handbook" },
      { mass_percent: 20, melting_point_c: -5.46, source: "CRC Handbook" },
    ],
  };
  const { traces } = figure(diagram);
  const crc = traces.find((t) => t.name === "Melting point (measured, CRC Handbook)");
  assert.ok(crc, "a measured trace");
  assert.deepEqual(crc.x, [10, 20]);
  assert.deepEqual(crc.y, [-2.32, -5.46]);
  assert.equal(crc.mode, "markers");
  const none = figure({ ...diagram, measured_melting_points: [] }).traces;
  assert.equal(none.some((t) => t.name.startsWith("Melting point (measured")), false);
});

test("the glass card shows the glass that forms: Tg′ with its spread when ice forms first", () => {
  const glycerol20 = {
    ...glycerol70,
    glass_transition: { ...glycerol70.glass_transition, value_k: 145.2, value_c: -127.95, homogeneous: false },
    glass: {
      applies: "freeze_concentrated",
      why: "20 % w/w Glycerol is below 55 % w/w, below which ice crystallises on cooling",
      value_k: 167.0,
      value_c: -106.15,
      method: "mean of 2 published Tg′ values (spread shown)",
      provenance: "fitted",
      verified: true,
      within_range: true,
      spread_k: [164.0, 170.0],
      warnings: [],
    },
  };
  const [, , card] = propertyCards(glycerol20);
  assert.equal(card.title, "Glass transition (Tg′, freeze-concentrated)");
  assert.equal(card.value, "-106.2 °C");
  assert.equal(card.secondary, "167.0 K, published 164 K–170 K");
  assert.equal(card.ok, true);
  assert.match(card.flags[0], /ice forms first/);
  assert.ok(card.flags.some((f) => /homogeneous solution \(model, not observed here.*-128\.0 °C/.test(f)));

  const unknown = glassCard({ applies: "unknown", value_k: null, reason: "no Tg′ published for Dimethyl sulfoxide" }, null);
  assert.equal(unknown.value, "unknown");
  assert.equal(unknown.ok, false);
  assert.ok(unknown.flags.some((f) => f === "unknown, because no Tg′ published for Dimethyl sulfoxide"));
});
