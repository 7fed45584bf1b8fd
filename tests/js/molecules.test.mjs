// Unit tests of the molecule pages' pure helpers (static/js/molecules_lib.js), run by
// `node --test tests/js/` (via make test).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  activeFilterCount,
  ariaSort,
  changesText,
  defaultListState,
  depictionPath,
  drawingAlt,
  editBody,
  exportFilename,
  exportPath,
  exportSelection,
  identifierRows,
  importSummary,
  listQuery,
  parseListState,
  parseSearchMode,
  parseSynonyms,
  propertyTables,
  propertyValueText,
  rangeProblems,
  registerBody,
  rejectedRows,
  scoreChart,
  scoreRows,
  scoreTotal,
  searchModeQuery,
  similarityRows,
  similaritySearchHref,
  sourceEntry,
  svgDataUrl,
  tanimotoText,
} from "../../src/cryoprotect/web/static/js/molecules_lib.js";
import { debounce, latestOnly } from "../../src/cryoprotect/web/static/js/timing_lib.js";

// The CPA score of glycerol (OCC(O)CO) as the API returns it, rounded to 4 decimals
// (cryoprotect.services.chemistry.score_dict, score version cpa-likeness-1).
const GLYCEROL_SCORE = {
  score: 0.9422,
  method: "cpa-likeness-1 (RDKit descriptors)",
  components: [
    { name: "hbond_capacity_per_mass", value: 6.5151, unit: "(donors + acceptors) per 100 g/mol", weight: 0.25, contribution: 0.2215, rationale: "r1", citation: "c1" },
    { name: "nonpolar_to_polar_ratio", value: 1, unit: "carbon atoms per N/O atom", weight: 0.25, contribution: 0.235, rationale: "r2", citation: "c2" },
    { name: "molecular_weight", value: 92.094, unit: "g/mol", weight: 0.15, contribution: 0.1367, rationale: "r3", citation: "c3" },
    { name: "net_formal_charge", value: 0, unit: "e", weight: 0.15, contribution: 0.15, rationale: "r4", citation: "c4" },
    { name: "clogp_crippen", value: -1.6681, unit: "log10 (dimensionless)", weight: 0.2, contribution: 0.199, rationale: "r5", citation: "c5" },
  ],
};

test("list state round-trips through the address bar and drops defaults", () => {
  const state = { ...defaultListState(), q: "glycol", sort: "molecular_weight", page: 2, mw_max: "100" };
  const url = listQuery(state, { forUrl: true });
  assert.equal(url, "?q=glycol&sort=molecular_weight&page=2&mw_max=100");
  assert.deepEqual(parseListState(url), state);
  assert.equal(listQuery(defaultListState(), { forUrl: true }), "");
  // the API query carries the defaults too
  assert.equal(listQuery(defaultListState()), "?sort=name&page=1&per_page=25");
});

test("malformed address-bar values fall back to defaults", () => {
  const state = parseListState("?sort=evil&page=-3&per_page=7&mw_min=abc&tpsa_max=40.5&q=%20dmso%20");
  assert.equal(state.sort, "name");
  assert.equal(state.page, 1);
  assert.equal(state.per_page, 25);
  assert.equal(state.mw_min, "");
  assert.equal(state.tpsa_max, "40.5");
  assert.equal(state.q, "dmso");
});

test("inverted range bounds are reported against the upper-bound field, with units", () => {
  const state = { ...defaultListState(), mw_min: "200", mw_max: "100", hbd_min: "1", hbd_max: "1" };
  const problems = rangeProblems(state);
  assert.deepEqual(Object.keys(problems), ["mw_max"]);
  assert.match(problems.mw_max, /100 g\/mol.*200 g\/mol/);
  assert.equal(activeFilterCount(state), 4);
  assert.equal(activeFilterCount(defaultListState()), 0);
});

test("aria-sort follows the sort order's direction", () => {
  const state = { ...defaultListState(), sort: "molecular_weight" };
  assert.equal(ariaSort(state, "molecular_weight"), "ascending");
  assert.equal(ariaSort(state, "name"), "none");
  assert.equal(ariaSort({ ...state, sort: "created_at" }, "created_at"), "descending");
});

test("structure-search state parses, clamps and serialises", () => {
  const parsed = parseSearchMode("?mode=similarity&structure=OCC(O)CO&threshold=1.5&k=10");
  assert.equal(parsed.mode, "similarity");
  assert.equal(parsed.similarity.structure, "OCC(O)CO");
  assert.equal(parsed.similarity.threshold, "0.3"); // out of 0–1: default
  assert.equal(parsed.similarity.k, "10");
  assert.equal(parseSearchMode("?mode=bogus").mode, "text");
  assert.equal(parseSearchMode("?mode=substructure&max_hits=2.5").substructure.max_hits, "50");
  assert.equal(searchModeQuery("substructure", { query: "[OX2H]", max_hits: "50" }), "?mode=substructure&query=%5BOX2H%5D");
  assert.equal(similaritySearchHref("C#N"), "/molecules?mode=similarity&structure=C%23N");
});

test("depiction and export paths encode their arguments", () => {
  assert.equal(depictionPath("abc", { highlight: "[OX2H]", width: 160, height: 120 }), "/api/v1/molecules/abc/depiction?highlight=%5BOX2H%5D&width=160&height=120");
  assert.equal(depictionPath("abc"), "/api/v1/molecules/abc/depiction");
  assert.equal(exportPath("sdf", { ids: ["a", "b"] }), "/api/v1/molecules/export?format=sdf&ids=a&ids=b");
  assert.equal(exportPath("csv", { q: "PEG 400" }), "/api/v1/molecules/export?format=csv&q=PEG%20400");
  assert.throws(() => exportPath("xlsx", {}), /unknown export format/);
  assert.equal(exportFilename("json", 3), "molecules-3.json");
});

test("export takes the ticked rows in table order, else every row shown", () => {
  assert.deepEqual(exportSelection(["c", "a", "gone"], ["a", "b", "c"]), { ids: ["a", "c"], scope: "selected" });
  assert.deepEqual(exportSelection([], ["a", "b"]), { ids: ["a", "b"], scope: "shown" });
});

test("SVG becomes a data: URL and drawings get descriptive alt text", () => {
  const url = svgDataUrl("<svg xmlns='http://www.w3.org/2000/svg'><path d='M0 0'/></svg>");
  assert.ok(url.startsWith("data:image/svg+xml;charset=utf-8,%3Csvg"));
  assert.equal(decodeURIComponent(url.split(",")[1]), "<svg xmlns='http://www.w3.org/2000/svg'><path d='M0 0'/></svg>");
  assert.equal(drawingAlt({ name: "Glycerol", smiles: "OCC(O)CO" }), "Structure of Glycerol (SMILES OCC(O)CO)");
  assert.match(drawingAlt({ name: "Glycerol", smiles: "OCC(O)CO" }, "[OX2H]"), /matching \[OX2H\] highlighted$/);
});

test("similarity hits are sorted by Tanimoto with three decimals", () => {
  const rows = similarityRows({ items: [{ id: "b", similarity: 0.25 }, { id: "a", similarity: 0.8125 }, { id: "c", similarity: 1 }] });
  assert.deepEqual(rows.map((r) => r.id), ["c", "a", "b"]);
  assert.deepEqual(rows.map((r) => r.similarityText), ["1.000", "0.813", "0.250"]);
  assert.equal(tanimotoText(undefined), "—");
  assert.deepEqual(similarityRows(null), []);
});

test("score rows explain each component and add up to the score", () => {
  const rows = scoreRows(GLYCEROL_SCORE);
  assert.equal(rows.length, 5);
  const mw = rows.find((r) => r.name === "molecular_weight");
  assert.equal(mw.valueText, "92.09 g/mol");
  assert.equal(mw.desirabilityText, "0.91"); // 0.1367 / 0.15
  assert.equal(rows.find((r) => r.name === "net_formal_charge").desirabilityText, "1.00");
  assert.equal(rows[0].label, "H-bond capacity per mass");
  assert.equal(rows[0].shareText, "24 %"); // 0.2215 / 0.9422
  assert.ok(Math.abs(scoreTotal(GLYCEROL_SCORE) - 0.9422) < 1e-3);
  assert.deepEqual(scoreRows(null), []);
});

test("the score chart overlays contributions on their maxima, bottom-up", () => {
  const { data, layout } = scoreChart(GLYCEROL_SCORE);
  assert.equal(data.length, 2);
  assert.deepEqual(data[0].x, [0.2, 0.15, 0.15, 0.25, 0.25]);
  assert.deepEqual(data[1].x, [0.199, 0.15, 0.1367, 0.235, 0.2215]);
  assert.equal(data[1].y[4], "H-bond capacity per mass");
  assert.equal(layout.barmode, "overlay");
  assert.match(layout.xaxis.title.text, /dimensionless/);
});

test("properties split into literature and computed tables with labels and units", () => {
  const catalogue = [
    { name: "molecular_weight", label: "molecular weight", unit: "g/mol", description: "Average molar mass.", method: "RDKit" },
    { name: "hbd", label: "H-bond donors", unit: "count", description: "Donors.", method: "RDKit" },
  ];
  const { literature, computed } = propertyTables(
    [
      { property_name: "hbd", value: 3, unit: "count", method: "RDKit 2025: CalcNumHBD", provenance: "computed", source: null },
      { property_name: "molecular_weight", value: 92.09382, unit: "g/mol", method: "RDKit", provenance: "computed", source: null },
      { property_name: "melting_point", value: 18.5, unit: "°C", method: "literature", provenance: "measured", source: "NTP data sheet" },
      { property_name: "logp_experimental", value: -1.35, unit: null, method: "log Kow", provenance: "measured", source: "ECHA" },
    ],
    catalogue,
  );
  assert.deepEqual(computed.map((r) => [r.label, r.value, r.unit]), [
    ["Molecular weight", "92.09", "g/mol"],
    ["H-bond donors", "3", "count"],
  ]);
  assert.equal(computed[0].description, "Average molar mass.");
  assert.deepEqual(literature.map((r) => [r.label, r.value, r.unit, r.source]), [
    ["log P (octanol/water, experimental)", "-1.35", "no unit given", "ECHA"],
    ["Melting point", "18.5", "°C", "NTP data sheet"],
  ]);
  assert.equal(propertyValueText({ value: null, text_value: "white solid" }), "white solid");
});

test("identifier rows carry units and handle components without structure", () => {
  const rows = identifierRows({ kind: "structure", smiles: "CS(C)=O", inchikey: "IAZDPXIOMUYVGZ-UHFFFAOYSA-N", formula: "C2H6OS", molecular_weight: 78.135, pubchem_cid: 679, synonyms: ["DMSO"] });
  assert.deepEqual(rows.find(([k]) => k === "Molecular weight"), ["Molecular weight", "78.14 g/mol"]);
  assert.deepEqual(rows.find(([k]) => k === "PubChem CID"), ["PubChem CID", "679"]);
  const peg = identifierRows({ kind: "no_structure", average_molar_mass: 400, synonyms: [] });
  assert.deepEqual(peg.slice(0, 2), [["Kind", "component without structure"], ["Average molar mass", "400.00 g/mol"]]);
});

test("sources become text and links", () => {
  assert.deepEqual(sourceEntry({ citation: "Polge 1949", doi: "10.1038/164666a0" }), { text: "Polge 1949 · doi:10.1038/164666a0", href: "https://doi.org/10.1038/164666a0" });
  assert.deepEqual(sourceEntry({ note: "nominal mass" }), { text: "nominal mass", href: "" });
  assert.deepEqual(sourceEntry("PubChem CID 679"), { text: "PubChem CID 679", href: "" });
});

test("register bodies per mode, with synonyms one per line and team scope", () => {
  const values = { structure: "OCC(O)CO", name: "Glycerol", synonyms: "glycerin\n\nGlycerin\n propane-1,2,3-triol ", pubchem_cid: 753, visibility: "team", team_id: "t1", on_duplicate: "error" };
  assert.deepEqual(registerBody(values, "structure"), {
    structure: "OCC(O)CO",
    name: "Glycerol",
    synonyms: ["glycerin", "propane-1,2,3-triol"],
    pubchem_cid: 753,
    on_duplicate: "error",
    visibility: "team",
    team_id: "t1",
  });
  assert.deepEqual(registerBody({ lookup: "DMSO", visibility: "private", team_id: "t1" }, "lookup"), { lookup: "DMSO", visibility: "private" });
  assert.deepEqual(registerBody({ name: "PEG 400", average_molar_mass: 400, visibility: "private" }, "no_structure"), {
    kind: "no_structure",
    average_molar_mass: 400,
    name: "PEG 400",
    visibility: "private",
  });
  assert.throws(() => registerBody({}, "guess"), /unknown registration mode/);
  assert.deepEqual(parseSynonyms(""), []);
});

test("edit bodies send only what changed, and scope changes together", () => {
  const m = { name: "A", synonyms: ["x"], pubchem_cid: null, molecule_class: null, visibility: "private", team_id: null };
  assert.deepEqual(editBody({ name: "A", synonyms: "x", visibility: "private" }, m), {});
  assert.deepEqual(editBody({ name: "B", synonyms: "x\ny", visibility: "private" }, m), { name: "B", synonyms: ["x", "y"] });
  assert.deepEqual(editBody({ name: "A", synonyms: "x", visibility: "team", team_id: "t9" }, m), { visibility: "team", team_id: "t9" });
  assert.deepEqual(editBody({ name: "A", synonyms: "x", visibility: "private" }, { ...m, visibility: "team", team_id: "t9" }), { visibility: "private", team_id: null });
});

test("import reports read as one sentence and flag truncated rejection lists", () => {
  const report = { total: 6, created: 3, duplicates: 1, rejected_count: 2, rejected: [{ row: 3, input: "C1CC", reason: "unclosed ring" }, { row: 5, input: "X", reason: null }] };
  assert.equal(importSummary(report), "6 records read: 3 created, 1 duplicate skipped, 2 rejected.");
  assert.equal(importSummary({ total: 1, created: 1, duplicates: 0, rejected_count: 0 }), "1 record read: 1 created, 0 duplicates skipped, 0 rejected.");
  const { rows, note } = rejectedRows(report);
  assert.equal(rows[1].reason, "no reason given");
  assert.equal(note, "");
  assert.match(rejectedRows({ ...report, rejected_count: 1500 }).note, /first 2 of 1500/);
  assert.match(changesText([]), /already in standard form/);
  assert.equal(changesText(["removed fragment Cl (salt)"]), "removed fragment Cl (salt)");
});

test("debounce runs once after the pause; latestOnly keeps only the newest ticket", async () => {
  const calls = [];
  const fn = debounce((x) => calls.push(x), 20);
  fn(1);
  fn(2);
  fn(3);
  await new Promise((resolve) => {
    setTimeout(resolve, 60);
  });
  assert.deepEqual(calls, [3]);
  fn(4);
  fn.cancel();
  await new Promise((resolve) => {
    setTimeout(resolve, 40);
  });
  assert.deepEqual(calls, [3]);
  const tickets = latestOnly();
  const first = tickets.next();
  const second = tickets.next();
  assert.equal(tickets.isCurrent(first), false);
  assert.equal(tickets.isCurrent(second), true);
});
