// Pure helpers of the mixture comparison page (no DOM): the side-by-side rows of up to ten
// mixtures, each number with its unit and its signed difference from the first mixture.
// Unit-tested in tests/js/mixtures.test.mjs.
import { fmt, fmtSig, isNum, label } from "./format.js";
import { amountIn, displayUnit } from "./mixtures_lib.js";
import { withinRangeText } from "./mixtures_properties_lib.js";

/** Signed difference with its unit ("+1.20 °C", "-0.350 osmol/kg"), or "" when equal. */
export function fmtDelta(delta, unit, digits = 2) {
  if (!isNum(delta)) return "";
  const rounded = Number(delta.toFixed(digits));
  if (rounded === 0) return "";
  return `${rounded > 0 ? "+" : "-"}${fmt(Math.abs(delta), unit, digits)}`;
}

function numericRow(labelText, values, unit, digits) {
  const first = values[0];
  return {
    label: labelText,
    cells: values.map((v, i) => {
      const delta = i > 0 && isNum(v) && isNum(first) ? fmtDelta(v - first, unit, digits) : "";
      const differs = i > 0 && (isNum(v) !== isNum(first) || delta !== "");
      return { text: fmt(v, unit, digits), delta, differs };
    }),
  };
}

/** A computed quantity per mixture: its number, or "unknown" where the API gives none. */
function quantityRow(labelText, quantities, valueKey, unit, digits) {
  const row = numericRow(labelText, quantities.map((q) => q?.[valueKey]), unit, digits);
  for (const [i, q] of quantities.entries()) {
    if (q && !isNum(q[valueKey])) row.cells[i] = { ...row.cells[i], text: "unknown" };
  }
  return row;
}

function textRow(labelText, texts) {
  return {
    label: labelText,
    cells: texts.map((t, i) => ({ text: t, delta: "", differs: i > 0 && t !== texts[0] })),
  };
}

/**
 * The side-by-side comparison of several property responses (POST /mixtures/compare): one
 * row per property and per solute (amount in ``unit``), each cell with its difference from
 * the first mixture and a flag when it differs.
 */
export function compareRows(list, unit = "mol/L") {
  const items = list || [];
  const rows = [
    textRow("Carrier", items.map((p) => p.carrier || "water")),
    quantityRow("Osmolality", items.map((p) => p.osmolality), "value", "osmol/kg", 3),
    textRow("Osmolality provenance", items.map((p) => p.osmolality?.provenance || "—")),
    quantityRow("Melting point", items.map((p) => p.melting_point), "value_c", "°C", 2),
    textRow("Within fitted range", items.map((p) => withinRangeText(p.melting_point?.within_range))),
    numericRow("Glass transition Tg (model)", items.map((p) => p.glass_transition?.value_c), "°C", 1),
    numericRow("Density", items.map((p) => p.composition?.density_g_per_ml), "g/mL", 4),
  ];
  const solutes = [];
  for (const p of items) for (const s of p.composition?.solutes || []) if (!solutes.includes(s)) solutes.push(s);
  for (const s of solutes) {
    const row = numericRow(`${s} (${unit})`, items.map((p) => amountIn(p.composition, s, unit)), unit, unit === "mole fraction" ? 4 : 3);
    row.group = "composition";
    for (const [i, p] of items.entries()) {
      if (!(p.composition?.solutes || []).includes(s)) row.cells[i] = { text: "absent", delta: "", differs: true };
    }
    if (row.cells[0].text === "absent") for (const c of row.cells.slice(1)) c.differs = c.text !== "absent";
    rows.push(row);
  }
  if (items.some((p) => p.melting_point && !isNum(p.melting_point.value_c))) {
    rows.splice(5, 0, textRow("Melting point: why unknown", items.map((p) => (isNum(p.melting_point?.value_c) ? "—" : p.melting_point?.reason || "not computed"))));
  }
  const measured = [];
  for (const p of items) for (const m of p.measurements || []) if (!measured.some((x) => x.property === m.property)) measured.push(m);
  for (const m of measured) {
    rows.push(
      textRow(
        `${label(m.property)} (measured)`,
        items.map((p) => {
          const found = (p.measurements || []).find((x) => x.property === m.property);
          return found ? fmtSig(found.value, displayUnit(found.unit), 4) : "not measured";
        }),
      ),
    );
  }
  return { names: items.map((p) => (p.version ? `${p.name} v${p.version}` : p.name)), rows };
}
