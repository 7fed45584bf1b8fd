// Pure helpers of the mixture comparison page (no DOM): the side-by-side rows of up to ten
// mixtures, each number with its unit and its signed difference from the first mixture.
// Unit-tested in tests/js/mixtures.test.mjs.
import { formatInUnit, formatPublished, formatQuantity, formatWith, isNum, label, PRECISION, UNKNOWN } from "./format.js";
import { amountIn, displayUnit, recordedText } from "./mixtures_lib.js";
import { UNIT_QUANTITY } from "./precision.js";
import { withinRangeText } from "./mixtures_properties_lib.js";

/**
 * Signed difference with its unit under the unit's precision rule ("+1.2 °C", "-350 mOsm/kg"),
 * or "" when it would not show (zero at the rule's digits).
 */
export function fmtDelta(delta, unit) {
  if (!isNum(delta)) return "";
  const shownUnit = displayUnit(unit);
  const rule = PRECISION[UNIT_QUANTITY[shownUnit]] || PRECISION.number;
  const scaled = Math.abs(delta) * (rule.scale ?? 1);
  if (rule.decimals !== undefined ? Number(scaled.toFixed(rule.decimals)) === 0 : scaled === 0) return "";
  return `${delta > 0 ? "+" : "-"}${formatInUnit(Math.abs(delta), shownUnit)}`;
}

function numericRow(labelText, values, unit) {
  const first = values[0];
  const shown = (v) => formatInUnit(v, displayUnit(unit));
  return {
    label: labelText,
    cells: values.map((v, i) => {
      const text = shown(v);
      const delta = i > 0 && isNum(v) && isNum(first) && text !== shown(first) ? fmtDelta(v - first, unit) : "";
      const differs = i > 0 && (isNum(v) !== isNum(first) || delta !== "");
      return { text, delta, differs };
    }),
  };
}

/** A computed quantity per mixture: its number, or "unknown" where the API gives none. */
function quantityRow(labelText, quantities, valueKey, unit) {
  const row = numericRow(labelText, quantities.map((q) => q?.[valueKey]), unit);
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
    quantityRow("Osmolality", items.map((p) => p.osmolality), "value", "osmol/kg"),
    textRow("Osmolality provenance", items.map((p) => p.osmolality?.provenance || "—")),
    quantityRow("Melting point", items.map((p) => p.melting_point), "value_c", "°C"),
    textRow("Within fitted range", items.map((p) => withinRangeText(p.melting_point?.within_range))),
    numericRow("Glass transition Tg (model)", items.map((p) => p.glass_transition?.value_c), "°C"),
    numericRow("Density", items.map((p) => p.composition?.density_g_per_ml), "g/mL"),
  ];
  const solutes = [];
  for (const p of items) for (const s of p.composition?.solutes || []) if (!solutes.includes(s)) solutes.push(s);
  for (const s of solutes) {
    const row = numericRow(`${s} (${unit})`, items.map((p) => amountIn(p.composition, s, unit)), unit);
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
          return found ? recordedText(found.value, found.unit, found.published_decimals) : "not measured";
        }),
      ),
    );
  }
  return { names: items.map((p) => (p.version ? `${p.name} v${p.version}` : p.name)), rows };
}

// --------------------------------------------------------------- measured beside model
// (issue 18, "Comparisons": POST /mixtures/compare's measured_vs_model, numbers through the
// precision policy; a model value the API withholds stays "unknown, because …" with its bound.)

const QUANTITY_OF_UNIT = { "°C": "temperature", K: "temperature_k", "degC/min": "rate", "°C/min": "rate" };

/** ``value`` in ``unit`` under the precision policy (the unit's quantity, else 3 s.f.). */
export function formatMeasure(value, unit) {
  const quantity = QUANTITY_OF_UNIT[unit];
  return quantity ? formatQuantity(quantity, value) : formatWith({ ...PRECISION.number, unit: unit || "" }, value);
}

/** Decimals a tabulated number was published with: the API's ``published_decimals``, else read
 * from the number as sent (where trailing zeros are lost). */
function publishedDigits(m) {
  if (Number.isInteger(m.published_decimals)) return m.published_decimals;
  const text = String(m.value);
  return text.includes(".") && !/e/i.test(text) ? text.split(".")[1].length : 0;
}

function signed(text, value) {
  return typeof value === "number" && value > 0 ? `+${text}` : text;
}

const STATUS_TEXT = {
  within_range: "inside the validated range",
  range_unknown: "validated range not recorded",
  outside_range: "outside the validated range",
  eutectic_region: "past the eutectic",
  solute_crystallises: "the solute crystallises",
  model: "model",
  no_model: "no model",
};

function modelCell(entry) {
  const m = entry.model || {};
  if (typeof m.value !== "number") {
    const bound = m.bound?.text ? ` ${m.bound.text}` : "";
    return { text: m.reason || "unknown", detail: bound.trim(), known: false };
  }
  const pm = typeof m.uncertainty === "number" ? ` ± ${formatMeasure(m.uncertainty, entry.unit)}` : "";
  const how = [STATUS_TEXT[m.status] || m.status, m.provenance].filter(Boolean).join(" · ");
  return { text: `${formatMeasure(m.value, entry.unit)}${pm}`, detail: how, method: m.method || "", known: true };
}

function measuredCell(entry) {
  const m = entry.measured || {};
  const tabulated = typeof m.basis === "string" && m.basis.startsWith("tabulated");
  const quantity = QUANTITY_OF_UNIT[entry.unit] || "number";
  const published = tabulated || Number.isInteger(m.published_decimals);
  const value = published
    ? formatPublished(quantity, { value: m.value, digits: publishedDigits(m) }, displayUnit(entry.unit))
    : formatMeasure(m.value, entry.unit);
  const pm = typeof m.uncertainty === "number" ? ` ± ${formatMeasure(m.uncertainty, entry.unit)}` : "";
  return { text: `${value}${pm}`, detail: [m.basis, m.kind].filter(Boolean).join(" · "), source: m.source || "" };
}

function differenceText(entry) {
  if (typeof entry.difference !== "number") return UNKNOWN;
  const abs = signed(formatMeasure(entry.difference, entry.unit), entry.difference);
  if (typeof entry.relative_difference !== "number") return abs;
  const rel = signed(formatQuantity("percent", entry.relative_difference * 100), entry.relative_difference);
  return `${abs} (${rel} of ${entry.relative_to || "the measured value"})`;
}

function verdictText(entry) {
  if (entry.bound_holds === true) return "the measurement respects the model's bound";
  if (entry.bound_holds === false) return "the measurement breaks the model's bound";
  if (typeof entry.difference !== "number") return "not compared: the model gives no number";
  const tol = typeof entry.tolerance === "number" ? formatMeasure(entry.tolerance, entry.unit) : "";
  if (entry.disagrees === true) return `disagrees: beyond the stated uncertainty ± ${tol}`;
  if (entry.disagrees === false) return `agrees within the stated uncertainty ± ${tol}`;
  return "not judged: no uncertainty stated";
}

/**
 * One row per mixture and measured property: the model's answer, the measurement with its
 * source, model − measured (absolute and relative) and the verdict; ``disagrees`` marks rows
 * to highlight.
 */
export function measuredRows(list) {
  const rows = [];
  for (const p of list || []) {
    for (const entry of p.measured_vs_model || []) {
      rows.push({
        mixture: p.version ? `${p.name} v${p.version}` : p.name,
        mixtureId: p.mixture_id,
        property: entry.label || label(entry.property),
        model: modelCell(entry),
        measured: measuredCell(entry),
        difference: differenceText(entry),
        verdict: verdictText(entry),
        disagrees: entry.disagrees === true,
      });
    }
  }
  return rows;
}
