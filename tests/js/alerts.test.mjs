// Unit tests of static/js/alerts_lib.js: the library list's alerts cell and the highlighting
// of an alert's matched atoms in an RDKit drawing. The reports are trimmed copies of the
// API's `alerts` for formamide (NC=O: Brenk aldehyde, overridden) and hydrazine (NN).
import assert from "node:assert/strict";
import { test } from "node:test";

import { alertsCellText, highlightSvg } from "../../src/cryoprotect/web/static/js/alerts_lib.js";

const FORMAMIDE = {
  count: 1, catalogues: ["Brenk"], penalty_factor: 1,
  alerts: [{ catalogue: "Brenk", family: "Brenk", description: "aldehyde", atoms: [1, 2], penalised: false, override_reason: "amide" }],
};
const HYDRAZINE = {
  count: 3, catalogues: ["Brenk", "NIH"], penalty_factor: 0.25,
  alerts: [
    { catalogue: "Brenk", description: "hydrazine", atoms: [0, 1], penalised: true, override_reason: "" },
    { catalogue: "Brenk", description: "Oxygen-nitrogen_single_bond", atoms: [0, 1], penalised: true, override_reason: "" },
    { catalogue: "NIH", description: "hydrazine", atoms: [0, 1], penalised: true, override_reason: "" },
  ],
};

test("the alerts cell gives the API's count and catalogues, and says when alerts are not penalised", () => {
  assert.deepEqual(alertsCellText(HYDRAZINE).text, "3 (Brenk, NIH)");
  assert.match(alertsCellText(HYDRAZINE).title, /NIH: hydrazine/);
  assert.equal(alertsCellText(FORMAMIDE).text, "1 (Brenk, not penalised)");
  assert.match(alertsCellText(FORMAMIDE).title, /aldehyde \(not penalised\)/);
  const mixed = { ...HYDRAZINE, alerts: [{ ...HYDRAZINE.alerts[0], penalised: false }, ...HYDRAZINE.alerts.slice(1)] };
  assert.equal(alertsCellText(mixed).text, "3 (Brenk, NIH, 1 not penalised)");
  assert.equal(alertsCellText({ count: 0, catalogues: [], alerts: [] }).text, "none");
  assert.equal(alertsCellText(null).text, "no structure");
  assert.equal(alertsCellText(undefined).text, "—");
});

// RDKit's drawing of NC=O (atoms N0, C1, O2): bond-0 N-C, bond-1 C=O, labels atom-0, atom-2
const SVG = [
  "<svg version='1.1' width='200px' height='150px'>",
  "<rect style='fill:#FFFFFF' width='200.0' height='150.0'> </rect>",
  "<path class='bond-0 atom-0 atom-1' d='M 136.9,70.1 L 109.6,85.9' style='fill:none;stroke:#0000FF' />",
  "<path class='bond-1 atom-1 atom-2' d='M 82.2,101.7 L 55.7,86.4' style='fill:none;stroke:#000000' />",
  "<path class='atom-0' d='M 142.8 53.3 L 149.8 64.6' fill='#0000FF'/>",
  "<path class='atom-2' d='M 10.0 59.2 Q 10.0 54.0, 12.5 51.2' fill='#FF0000'/>",
  "</svg>",
].join("\n");

test("the matched atoms' bonds and labels get a halo behind the drawing, nothing else", () => {
  const { svg, highlighted } = highlightSvg(SVG, FORMAMIDE.alerts[0].atoms);
  assert.equal(highlighted, 2); // the C=O bond and the O label; not the N-C bond, not N
  const halos = svg.split("\n").filter((line) => line.includes("alert-highlight"));
  assert.equal(halos.length, 2);
  assert.ok(halos.some((l) => l.includes("M 82.2,101.7 L 55.7,86.4")));
  assert.ok(halos.some((l) => l.includes("M 10.0 59.2")));
  assert.ok(!halos.some((l) => l.includes("M 136.9,70.1")));
  // behind: right after the background rectangle, before the original paths
  assert.ok(svg.indexOf("alert-highlight") > svg.indexOf("</rect>"));
  assert.ok(svg.indexOf("alert-highlight") < svg.indexOf("class='bond-0"));
  assert.ok(halos.every((l) => !/fill='#/.test(l) && l.includes("stroke:#FF7F7F")));
  assert.ok(svg.includes(SVG.split("\n")[2]), "the original drawing is kept");
});

test("atoms that appear in no path leave the drawing unchanged", () => {
  assert.deepEqual(highlightSvg(SVG, [7]), { svg: SVG, highlighted: 0 });
  assert.deepEqual(highlightSvg(SVG, []), { svg: SVG, highlighted: 0 });
});
