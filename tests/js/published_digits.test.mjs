// Literature values shown with the decimals their source writes them with (issue 18, "Numbers"):
// the API's published_decimals through precision.js formatPublished on the molecule page, the
// mixture page's measured values and the mixture compare. Run by `node --test tests/js/`.
import { test } from "node:test";
import assert from "node:assert/strict";

import { propertyTables, propertyValueText } from "../../src/cryoprotect/web/static/js/molecules_lib.js";
import { recordedText } from "../../src/cryoprotect/web/static/js/mixtures_lib.js";
import { compareRows, measuredRows } from "../../src/cryoprotect/web/static/js/mixtures_compare_lib.js";
import { measurementRows, phaseDiagramFigure } from "../../src/cryoprotect/web/static/js/mixtures_properties_lib.js";

// As GET /api/v1/molecules/{DMSO} sends them (measured_properties.csv: density "1.100", bp "189").
const DENSITY = { property_name: "density", value: 1.1, unit: "g/mL", method: "pure liquid, 20 °C", provenance: "measured", source: "NTP", published_decimals: 3 };
const LOGP = { property_name: "logp_experimental", value: -0.3, unit: null, method: "log Pow", provenance: "measured", source: "Sangster", published_decimals: 2 };

test("molecule page: a measured value keeps its published trailing zeros", () => {
  assert.equal(propertyValueText(DENSITY), "1.100");
  assert.equal(propertyValueText(LOGP), "-0.30");
  assert.equal(propertyValueText({ ...DENSITY, published_decimals: 0, value: 189 }), "189");
  // Without published digits (a computed or user value): the old four significant figures.
  assert.equal(propertyValueText({ ...DENSITY, published_decimals: null }), "1.1");
  const { literature } = propertyTables([DENSITY, LOGP]);
  assert.deepEqual(literature.map((r) => [r.label, r.value, r.unit]), [
    ["Density", "1.100", "g/mL"],
    ["log P (octanol/water, experimental)", "-0.30", "no unit given"],
  ]);
});

test("mixture measured values: published decimals with the unit", () => {
  assert.equal(recordedText(2.5, "degC/min", 1), "2.5 °C/min");
  assert.equal(recordedText(1.1, "g/mL", 3), "1.100 g/mL");
  assert.equal(recordedText(164, "K", 0), "164 K");
  assert.equal(recordedText(40, "degC/min"), "40 °C/min"); // no digits: as recorded
  const rows = measurementRows([{ property: "density", value: 1.1, unit: "g/mL", published_decimals: 3, source: "S", provenance: "measured" }]);
  assert.equal(rows[0].value, "1.100 g/mL");
});

test("mixture compare: the measured side as published", () => {
  const rate = {
    property: "critical_cooling_rate",
    label: "Critical cooling rate",
    unit: "degC/min",
    relative_to: "the measured value",
    model: { value: null, status: "no_model", reason: "no model computes this property", bound: null },
    measured: { value: 2.5, published_decimals: 1, unit: "degC/min", source: "Han et al.", kind: "literature", basis: "published for VS55" },
    difference: null,
    relative_difference: null,
    disagrees: null,
  };
  const crc = { ...rate, property: "melting_point", label: "Melting point (ice)", unit: "°C", measured: { value: -1.9, published_decimals: 2, source: "CRC", kind: "literature", basis: "tabulated at 5 % w/w" } };
  const [a, b] = measuredRows([{ name: "VS55", mixture_id: "v", measured_vs_model: [rate, crc] }]);
  assert.equal(a.measured.text, "2.5 °C/min");
  assert.equal(b.measured.text, "-1.90 °C"); // two published decimals, though the number is -1.9
  const items = [
    { name: "VS55", carrier: "Euro-Collins", measurements: [{ property: "critical_cooling_rate", value: 2.5, unit: "degC/min", published_decimals: 1 }] },
    { name: "M22", carrier: "LM5", measurements: [{ property: "critical_cooling_rate", value: 0.1, unit: "degC/min", published_decimals: 1 }] },
  ];
  const row = compareRows(items).rows.find((r) => r.label === "Critical cooling rate (measured)");
  assert.deepEqual(row.cells.map((c) => c.text), ["2.5 °C/min", "0.1 °C/min"]);
});

test("phase diagram: the CRC points' hover text as published", () => {
  const diagram = {
    solute: "Glycerol",
    mass_percent: [10, 20],
    melting_point_c: [-2.3, -5.5],
    tg_c: [null, null],
    measured_melting_points: [
      { mass_percent: 10, melting_point_c: -2.3, published_decimals: 2, source: "CRC Handbook" },
      { mass_percent: 20, melting_point_c: -5.46, published_decimals: 2, source: "CRC Handbook" },
    ],
  };
  const crc = phaseDiagramFigure(diagram).traces.find((t) => t.name === "Melting point (measured, CRC Handbook)");
  assert.deepEqual(crc.customdata, ["-2.30 °C", "-5.46 °C"]);
  assert.match(crc.hovertemplate, /%\{customdata\}/);
});
